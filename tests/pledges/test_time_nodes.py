"""Time nodes closed (done on a date, or no longer needed and why), the completion that
asks for each node still open, and the public history that shows which."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import dateformat, timezone

from pledges.enums import PledgeMove, PledgeStatus, TimeNodeOutcome
from pledges.models import PledgeTransition, TimeNode, TimeNodeClosing
from pledges.services.progress import NodeClosing, pledge_complete, time_node_close
from pledges.workflow import StatusChangeRefused
from tests import factories
from tests.conftest import ROLES

S = PledgeStatus
DONE = TimeNodeOutcome.DONE
NOT_NEEDED = TimeNodeOutcome.NOT_NEEDED
TODAY = timezone.localdate()
YESTERDAY = TODAY - datetime.timedelta(days=1)
TOMORROW = TODAY + datetime.timedelta(days=1)

# role → answer of a secretary-only page about a 范寨村 pledge.
SECRETARY_MATRIX = {
    "secretary": 200,
    "other_secretary": 404,
    "town_staff": 403,
    "other_town_staff": 404,
    "district_staff": 403,
    "anonymous": 302,
}


def walked(org, status, **extra):
    pledge = factories.make_pledge(branch=org.branch, **extra)
    return factories.walk_to(pledge, status, secretary=org.secretary, staff=org.town_staff)


def make_node(pledge, description="第一次浇水", due_on=TODAY, **extra):
    return TimeNode.objects.create(pledge=pledge, due_on=due_on, description=description, **extra)


def chinese(day):
    return dateformat.format(day, "Y年n月j日")


def close_url(pledge, node):
    return reverse("pledges:time_node_close", args=[pledge.pk, node.pk])


def complete_url(pledge):
    return reverse("pledges:pledge_complete", args=[pledge.pk])


def refreshed(obj):
    obj.refresh_from_db()
    return obj


# ---------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("closed_as", "done_on", "reason"),
    [
        ("", TODAY, ""),  # open with a date
        ("", None, "原因"),  # open with a reason
        (DONE, None, ""),  # done without a date
        (DONE, TODAY, "原因"),  # done with a reason
        (NOT_NEEDED, None, ""),  # not needed without a reason
        (NOT_NEEDED, TODAY, "原因"),  # not needed with a date
    ],
)
def test_time_node_closing_constraint_refuses_inconsistent_rows(org, closed_as, done_on, reason):
    pledge = walked(org, S.IN_PROGRESS)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_node(pledge, closed_as=closed_as, done_on=done_on, close_reason=reason)


def test_time_node_closing_is_append_only(org):
    pledge = walked(org, S.IN_PROGRESS)
    node = make_node(pledge)
    closing = time_node_close(node=node, actor=org.secretary, outcome=DONE)

    closing.reason = "改"
    with pytest.raises(StatusChangeRefused):
        closing.save()
    with pytest.raises(StatusChangeRefused):
        closing.delete()


# ---------------------------------------------------------------------------
# time_node_close
# ---------------------------------------------------------------------------


def test_time_node_close_done_defaults_to_today_and_writes_the_audit(org):
    pledge = walked(org, S.IN_PROGRESS)
    node = make_node(pledge)

    closing = time_node_close(node=node, actor=org.secretary, outcome=DONE)

    assert (node.closed_as, node.done_on, node.closed_by) == (DONE, TODAY, org.secretary)
    stored = refreshed(node)
    assert (stored.closed_as, stored.done_on, stored.close_reason) == (DONE, TODAY, "")
    assert stored.closed_at is not None
    assert (closing.node, closing.outcome, closing.done_on, closing.actor) == (
        stored,
        DONE,
        TODAY,
        org.secretary,
    )


def test_time_node_close_done_on_a_past_date(org):
    pledge = walked(org, S.PUBLISHED)
    node = make_node(pledge)

    time_node_close(node=node, actor=org.secretary, outcome=DONE, on=TODAY, today=TOMORROW)

    assert refreshed(node).done_on == TODAY


def test_time_node_close_not_needed_keeps_the_reason(org):
    pledge = walked(org, S.IN_PROGRESS)
    node = make_node(pledge)

    closing = time_node_close(
        node=node, actor=org.secretary, outcome=NOT_NEEDED, reason="  县里已统一修好  "
    )

    stored = refreshed(node)
    assert (stored.closed_as, stored.done_on, stored.close_reason) == (
        NOT_NEEDED,
        None,
        "县里已统一修好",
    )
    assert (closing.outcome, closing.reason, closing.done_on) == (
        NOT_NEEDED,
        "县里已统一修好",
        None,
    )


@pytest.mark.parametrize(
    ("outcome", "on", "reason", "field", "message"),
    [
        (DONE, TOMORROW, "", "on", "完成日期不能晚于今天。"),
        (DONE, datetime.date(2000, 1, 1), "", "on", "完成日期不能早于承诺公示的日期"),
        (NOT_NEEDED, None, "", "reason", "请填写该时间节点不再需要的原因。"),
        (NOT_NEEDED, None, "   ", "reason", "请填写该时间节点不再需要的原因。"),
        (NOT_NEEDED, None, "长" * 201, "reason", "原因最多 200 个字。"),
        ("maybe", None, "", "outcome", "请选择该时间节点是已完成还是不再需要。"),
    ],
)
def test_time_node_close_refuses_wrong_closings(org, outcome, on, reason, field, message):
    pledge = walked(org, S.IN_PROGRESS)
    node = make_node(pledge)

    with pytest.raises(ValidationError) as refusal:
        time_node_close(node=node, actor=org.secretary, outcome=outcome, on=on, reason=reason)

    assert message in refusal.value.message_dict[field][0]
    assert refreshed(node).closed_as == ""
    assert TimeNodeClosing.objects.count() == 0


def test_time_node_close_refuses_a_closed_node(org):
    pledge = walked(org, S.IN_PROGRESS)
    node = make_node(pledge)
    time_node_close(node=node, actor=org.secretary, outcome=DONE)

    with pytest.raises(ValidationError) as refusal:
        time_node_close(node=node, actor=org.secretary, outcome=NOT_NEEDED, reason="改主意")

    assert refusal.value.messages == ["时间节点“第一次浇水”已经关闭，不能再次关闭。"]
    assert refreshed(node).closed_as == DONE
    assert TimeNodeClosing.objects.count() == 1


@pytest.mark.parametrize("status", [S.DRAFT, S.SUBMITTED, S.APPROVED, S.WITHDRAWN])
def test_time_node_close_refused_before_publication_or_after_withdrawal(org, status):
    pledge = walked(org, status)
    node = make_node(pledge)

    with pytest.raises(ValidationError) as refusal:
        time_node_close(node=node, actor=org.secretary, outcome=DONE)

    assert refusal.value.messages == ["只有已公示的承诺可以关闭时间节点。"]
    assert refreshed(node).closed_as == ""


@pytest.mark.parametrize("who", ["other_secretary", "town_staff", "district_staff"])
def test_time_node_close_only_by_the_branch_secretary(org, who):
    pledge = walked(org, S.IN_PROGRESS)
    node = make_node(pledge)

    with pytest.raises(PermissionDenied):
        time_node_close(node=node, actor=getattr(org, who), outcome=DONE)

    assert refreshed(node).closed_as == ""


def test_time_node_left_open_can_be_closed_after_completion(org):
    """A pledge completed before completions asked for each node keeps an open node:
    it can still be closed, so its public page stops saying 未完成 for good."""
    pledge = walked(org, S.COMPLETED)
    node = make_node(pledge)

    time_node_close(node=node, actor=org.secretary, outcome=DONE)

    assert refreshed(node).closed_as == DONE


# ---------------------------------------------------------------------------
# The close view
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_time_node_close_view_permission_matrix(client_as, org, role):
    pledge = walked(org, S.IN_PROGRESS, title="范寨村承诺甲")
    node = make_node(pledge)
    url = close_url(pledge, node)

    response = client_as(role).post(
        url, {f"node{node.pk}-outcome": DONE, f"node{node.pk}-done_on": TODAY.isoformat()}
    )

    expected = SECRETARY_MATRIX[role]
    if expected == 200:
        assert response.status_code == 302
        assert refreshed(node).closed_as == DONE
    else:
        assert response.status_code == expected
        assert "范寨村承诺甲" not in response.content.decode()
        assert refreshed(node).closed_as == ""


def test_time_node_close_view_not_needed(client_as, org):
    pledge = walked(org, S.IN_PROGRESS)
    node = make_node(pledge)

    response = client_as("secretary").post(
        close_url(pledge, node),
        {f"node{node.pk}-outcome": NOT_NEEDED, f"node{node.pk}-reason": "村里自筹解决"},
        follow=True,
    )

    assert "时间节点“第一次浇水”已标记为不再需要。" in response.text
    assert "不再需要：村里自筹解决" in response.text
    assert refreshed(node).close_reason == "村里自筹解决"


def test_time_node_close_view_future_date_keeps_typed_date_and_says_why(client_as, org):
    pledge = walked(org, S.IN_PROGRESS)
    node = make_node(pledge)

    response = client_as("secretary").post(
        close_url(pledge, node),
        {f"node{node.pk}-outcome": DONE, f"node{node.pk}-done_on": TOMORROW.isoformat()},
    )

    assert response.status_code == 200
    assert "完成日期不能晚于今天。" in response.text
    assert f'value="{TOMORROW.isoformat()}"' in response.text
    assert refreshed(node).closed_as == ""


def test_time_node_close_view_not_needed_without_reason_says_why(client_as, org):
    pledge = walked(org, S.IN_PROGRESS)
    node = make_node(pledge)

    response = client_as("secretary").post(
        close_url(pledge, node), {f"node{node.pk}-outcome": NOT_NEEDED}
    )

    assert response.status_code == 200
    assert "请填写该时间节点不再需要的原因。" in response.text
    assert refreshed(node).closed_as == ""


def test_time_node_close_view_refused_while_draft(client_as, org):
    pledge = walked(org, S.DRAFT)
    node = make_node(pledge)

    response = client_as("secretary").post(
        close_url(pledge, node),
        {f"node{node.pk}-outcome": DONE, f"node{node.pk}-done_on": TODAY.isoformat()},
    )

    assert response.status_code == 200
    assert "只有已公示的承诺可以关闭时间节点。" in response.text
    assert refreshed(node).closed_as == ""


def test_time_node_close_view_node_of_another_pledge_is_not_found(client_as, org):
    pledge = walked(org, S.IN_PROGRESS)
    node = make_node(walked(org, S.IN_PROGRESS))

    response = client_as("secretary").post(
        close_url(pledge, node), {f"node{node.pk}-outcome": DONE}
    )

    assert response.status_code == 404
    assert refreshed(node).closed_as == ""


def test_pledge_page_offers_closing_only_for_open_nodes(client_as, org):
    pledge = walked(org, S.IN_PROGRESS)
    open_node = make_node(pledge, "二次浇水")
    done = make_node(pledge, "一次浇水", closed_as=DONE, done_on=TODAY)

    text = client_as("secretary").get(reverse("pledges:pledge_detail", args=[pledge.pk])).text

    assert close_url(pledge, open_node) in text
    assert close_url(pledge, done) not in text
    assert "标记完成或不再需要" in text


# ---------------------------------------------------------------------------
# Completing: never silently with open nodes
# ---------------------------------------------------------------------------


def test_complete_with_open_nodes_is_refused_by_the_workflow(org):
    pledge = walked(org, S.IN_PROGRESS)
    make_node(pledge, "一次浇水")
    make_node(pledge, "二次浇水", due_on=TOMORROW)

    with pytest.raises(ValidationError) as refusal:
        pledge.complete(org.secretary)

    assert refusal.value.messages == [
        "还有 2 个时间节点未关闭（一次浇水、二次浇水），请逐一确认已完成或不再需要后再完成承诺。"
    ]
    assert refreshed(pledge).status == S.IN_PROGRESS
    assert not PledgeTransition.objects.filter(pledge=pledge, move=PledgeMove.COMPLETE).exists()


def test_complete_with_every_node_closed_goes_through(org):
    pledge = walked(org, S.IN_PROGRESS)
    make_node(pledge, closed_as=NOT_NEEDED, close_reason="不需要了")

    pledge.complete(org.secretary)

    assert refreshed(pledge).status == S.COMPLETED


def test_pledge_complete_closes_each_node_and_completes_in_one_go(org):
    pledge = walked(org, S.IN_PROGRESS)
    first = make_node(pledge, "一次浇水")
    second = make_node(pledge, "二次浇水")

    audit = pledge_complete(
        pledge=pledge,
        actor=org.secretary,
        closings=[
            NodeClosing(node_id=first.pk, outcome=DONE, on=TODAY),
            NodeClosing(node_id=second.pk, outcome=NOT_NEEDED, reason="雨水充足"),
        ],
    )

    assert audit.move == PledgeMove.COMPLETE
    assert refreshed(pledge).status == S.COMPLETED
    assert (refreshed(first).closed_as, first.done_on) == (DONE, TODAY)
    assert (refreshed(second).closed_as, second.close_reason) == (NOT_NEEDED, "雨水充足")
    assert TimeNodeClosing.objects.count() == 2


@pytest.mark.parametrize(
    "closings",
    [
        # one closing wrong: nothing is written
        lambda a, b: [
            NodeClosing(node_id=a.pk, outcome=DONE, on=TODAY),
            NodeClosing(node_id=b.pk, outcome=NOT_NEEDED, reason=""),
        ],
        # one node without a closing
        lambda a, b: [NodeClosing(node_id=a.pk, outcome=DONE, on=TODAY)],
    ],
    ids=["missing_reason", "missing_node"],
)
def test_pledge_complete_refused_leaves_everything_as_it_was(org, closings):
    pledge = walked(org, S.IN_PROGRESS)
    first = make_node(pledge, "一次浇水")
    second = make_node(pledge, "二次浇水")

    with pytest.raises(ValidationError) as refusal:
        pledge_complete(pledge=pledge, actor=org.secretary, closings=closings(first, second))

    assert list(refusal.value.message_dict) == [f"node-{second.pk}"]
    assert refreshed(pledge).status == S.IN_PROGRESS
    assert TimeNode.objects.filter(pledge=pledge).open().count() == 2
    assert TimeNodeClosing.objects.count() == 0


def test_pledge_complete_only_by_the_branch_secretary(org):
    pledge = walked(org, S.IN_PROGRESS)
    node = make_node(pledge)

    with pytest.raises(PermissionDenied):
        pledge_complete(
            pledge=pledge,
            actor=org.town_staff,
            closings=[NodeClosing(node_id=node.pk, outcome=DONE, on=TODAY)],
        )

    assert refreshed(node).closed_as == ""


def test_complete_move_with_open_nodes_leads_to_the_confirmation(client_as, org):
    pledge = walked(org, S.IN_PROGRESS)
    make_node(pledge)
    client = client_as("secretary")

    detail = client.get(reverse("pledges:pledge_detail", args=[pledge.pk])).text
    response = client.post(reverse("pledges:pledge_move", args=[pledge.pk, "complete"]))

    assert f'href="{complete_url(pledge)}"' in detail
    assert response.status_code == 302
    assert response.url == complete_url(pledge)
    assert refreshed(pledge).status == S.IN_PROGRESS


@pytest.mark.parametrize("role", ROLES)
def test_pledge_complete_page_permission_matrix(client_as, org, role):
    pledge = walked(org, S.IN_PROGRESS, title="范寨村承诺甲")
    make_node(pledge)
    url = complete_url(pledge)

    response = client_as(role).get(url)

    expected = SECRETARY_MATRIX[role]
    assert response.status_code == expected
    if expected != 200:
        assert "范寨村承诺甲" not in response.content.decode()


def test_pledge_complete_page_lists_open_nodes_and_completes(client_as, org):
    pledge = walked(org, S.IN_PROGRESS)
    first = make_node(pledge, "一次浇水")
    second = make_node(pledge, "二次浇水")
    make_node(pledge, "早先的节点", closed_as=DONE, done_on=TODAY)
    client = client_as("secretary")

    page = client.get(complete_url(pledge)).text
    response = client.post(
        complete_url(pledge),
        {
            f"node{first.pk}-outcome": DONE,
            f"node{first.pk}-done_on": TODAY.isoformat(),
            f"node{second.pk}-outcome": NOT_NEEDED,
            f"node{second.pk}-reason": "雨水充足，不用再浇",
        },
        follow=True,
    )

    assert "还有 2 个时间节点未关闭" in page
    assert "一次浇水" in page and "二次浇水" in page
    assert f'name="node{first.pk}-outcome"' in page
    assert "早先的节点" in page  # listed as already closed
    assert refreshed(pledge).status == S.COMPLETED
    assert "已完成，等待上级党组织销号" in response.text
    assert refreshed(second).close_reason == "雨水充足，不用再浇"


def test_pledge_complete_page_keeps_what_was_typed_on_refusal(client_as, org):
    pledge = walked(org, S.IN_PROGRESS)
    first = make_node(pledge, "一次浇水")
    second = make_node(pledge, "二次浇水")

    response = client_as("secretary").post(
        complete_url(pledge),
        {
            f"node{first.pk}-outcome": DONE,
            f"node{first.pk}-done_on": YESTERDAY.isoformat(),
            f"node{second.pk}-outcome": NOT_NEEDED,
            f"node{second.pk}-reason": "",
        },
    )

    assert response.status_code == 200
    assert "请填写该时间节点不再需要的原因。" in response.text
    assert f'value="{YESTERDAY.isoformat()}"' in response.text
    assert refreshed(pledge).status == S.IN_PROGRESS
    assert TimeNode.objects.filter(pledge=pledge).open().count() == 2


def test_pledge_complete_page_without_open_nodes_confirms_once(client_as, org):
    pledge = walked(org, S.IN_PROGRESS)
    client = client_as("secretary")

    page = client.get(complete_url(pledge)).text
    client.post(complete_url(pledge))

    assert "确认完成" in page
    assert refreshed(pledge).status == S.COMPLETED


def test_pledge_complete_page_of_a_pledge_not_in_progress_says_why(client_as, org):
    pledge = walked(org, S.PUBLISHED)

    response = client_as("secretary").get(complete_url(pledge), follow=True)

    assert "只有“践诺中”的承诺可以完成。" in response.text


# ---------------------------------------------------------------------------
# The public page shows which
# ---------------------------------------------------------------------------


def test_public_history_shows_each_closing(client, org):
    member = factories.make_member(org.branch)
    pledge = factories.make_pledge(member=member)
    factories.walk_to(pledge, S.IN_PROGRESS, secretary=org.secretary, staff=org.town_staff)
    first = make_node(pledge, "一次浇水")
    second = make_node(pledge, "二次浇水")
    pledge_complete(
        pledge=pledge,
        actor=org.secretary,
        closings=[
            NodeClosing(node_id=first.pk, outcome=DONE, on=TODAY),
            NodeClosing(node_id=second.pk, outcome=NOT_NEEDED, reason="雨水充足"),
        ],
    )

    text = client.get(reverse("public:pledge_page", args=[pledge.pk])).text

    assert f"时间节点“一次浇水”于 {chinese(TODAY)} 完成" in text
    assert "时间节点“二次浇水”不再需要：雨水充足" in text
    assert "○" not in text
    assert "100%" in text
