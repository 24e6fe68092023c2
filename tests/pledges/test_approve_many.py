"""Approving many pledges at once: a preview of each letter, then one all-or-nothing POST."""

import datetime

import pytest
from django.urls import reverse

from branches.enums import ExemptionReason
from pledges.enums import PledgeMove, PledgeStatus
from pledges.models import PledgeTransition, TimeNode
from pledges.services.workflow import BulkMoveRefused, pledges_approve
from tests import factories
from tests.conftest import ROLES

S = PledgeStatus
URL = reverse("pledges:approve_many")


def submitted(org, title, branch=None, **extra):
    pledge = factories.make_pledge(branch=branch or org.branch, title=title, **extra)
    return factories.walk_to(
        pledge, S.SUBMITTED, secretary=pledge.owner_branch.secretary, staff=org.district_staff
    )


def status_of(pledge):
    pledge.refresh_from_db()
    return pledge.status


def test_approve_many_preview_shows_each_letter(client_as, org):
    member = factories.make_member(
        org.branch, name="李荣花", is_exempt=True, exemption_reason=ExemptionReason.OLD_AGE
    )
    first = factories.make_pledge(
        member=member,
        title="浇水承诺",
        content="每月浇水一次，覆盖东路全部树木",
        beneficiaries="村东生产路沿线群众",
        exempt_override_reason="本人坚持要承诺",
    )
    TimeNode.objects.create(
        pledge=first, due_on=datetime.date(2026, 6, 30), description="上半年浇六次"
    )
    first.submit(org.secretary)
    second = submitted(org, "修厕所", branch=org.other_branch, content="改造 340 户厕所")

    response = client_as("town_staff").get(URL, {"pledges": [first.pk, second.pk]})

    assert response.status_code == 200
    text = response.text
    for expected in (
        "浇水承诺",
        "李荣花",
        "每月浇水一次，覆盖东路全部树木",
        "村东生产路沿线群众",
        "2026年12月31日",
        "上半年浇六次",
        "本人坚持要承诺",
        "修厕所",
        "改造 340 户厕所",
    ):
        assert expected in text
    assert text.index("浇水承诺") < text.index("修厕所")
    assert status_of(first) == S.SUBMITTED  # GET writes nothing


def test_approve_many_approves_all_through_the_workflow(client_as, org):
    pledges = [submitted(org, f"承诺{n}") for n in range(3)]

    response = client_as("town_staff").post(URL, {"pledges": [p.pk for p in pledges]})

    assert response.status_code == 302
    assert response.url == reverse("pledges:approvals")
    assert [status_of(p) for p in pledges] == [S.APPROVED] * 3
    audits = PledgeTransition.objects.filter(move=PledgeMove.APPROVE, actor=org.town_staff)
    assert audits.count() == 3


def test_approve_many_is_all_or_nothing_and_names_the_refused(client_as, org):
    first = submitted(org, "能通过的")
    stale = submitted(org, "已被通过的")
    stale.approve(org.district_staff)
    last = submitted(org, "也能通过的")

    response = client_as("town_staff").post(
        URL, {"pledges": [first.pk, stale.pk, last.pk]}, follow=True
    )

    assert response.status_code == 200
    assert "“已被通过的”不能审核通过" in response.text
    assert "本批承诺均未审核通过" in response.text
    assert status_of(first) == S.SUBMITTED
    assert status_of(last) == S.SUBMITTED
    assert not PledgeTransition.objects.filter(
        move=PledgeMove.APPROVE, actor=org.town_staff
    ).exists()


def test_pledges_approve_service_rolls_back_on_a_refusal(org):
    good = submitted(org, "好的")
    draft = factories.make_pledge(branch=org.branch, title="草稿")

    with pytest.raises(BulkMoveRefused) as refused:
        pledges_approve(pledges=[good, draft], actor=org.town_staff)

    assert refused.value.pledge == draft
    assert status_of(good) == S.SUBMITTED


# role → status code when choosing a 范寨村 pledge.
MATRIX = {
    "secretary": 403,
    "other_secretary": 403,
    "town_staff": 200,
    "other_town_staff": 404,
    "district_staff": 200,
    "anonymous": 302,
}


@pytest.mark.parametrize("role", ROLES)
def test_approve_many_preview_permission_matrix(client_as, org, role):
    pledge = submitted(org, "范寨村承诺甲")

    response = client_as(role).get(URL, {"pledges": [pledge.pk]})

    assert response.status_code == MATRIX[role]
    assert ("范寨村承诺甲" in response.text) is (MATRIX[role] == 200)


@pytest.mark.parametrize("role", ROLES)
def test_approve_many_post_permission_matrix(client_as, org, role):
    pledge = submitted(org, "范寨村承诺甲")

    response = client_as(role).post(URL, {"pledges": [pledge.pk]})

    assert response.status_code == (302 if MATRIX[role] == 200 else MATRIX[role])
    assert status_of(pledge) == (S.APPROVED if MATRIX[role] == 200 else S.SUBMITTED)


def test_approve_many_one_out_of_reach_refuses_the_batch(client_as, org):
    mine = submitted(org, "本镇的")
    far = submitted(org, "远村的", branch=org.far_branch)

    response = client_as("town_staff").post(URL, {"pledges": [mine.pk, far.pk]})

    assert response.status_code == 404
    assert status_of(mine) == S.SUBMITTED


def test_approve_many_without_selection_returns_to_the_queue(client_as, org):
    response = client_as("town_staff").get(URL, follow=True)

    assert response.redirect_chain[-1][0] == reverse("pledges:approvals")
    assert "请先勾选要审核的承诺。" in response.text


def test_approve_many_return_one_leaves_the_others_in_the_preview(client_as, org):
    kept = submitted(org, "留下的")
    returned = submitted(org, "退回的")
    client = client_as("town_staff")
    preview = client.get(URL, {"pledges": [kept.pk, returned.pk]}).text
    back = f"{URL}?pledges={kept.pk}"
    assert back in preview

    response = client.post(
        reverse("pledges:pledge_move", args=[returned.pk, "return_for_revision"]),
        {"reason": "请补充时间节点", "next": back},
    )

    assert response.url == back
    assert status_of(returned) == S.RETURNED
    assert status_of(kept) == S.SUBMITTED


def test_approvals_queue_offers_selection(client_as, org):
    pledge = submitted(org, "待审的")

    text = client_as("town_staff").get(reverse("pledges:approvals")).text

    assert f'name="pledges" value="{pledge.pk}"' in text
    assert f'action="{URL}"' in text


@pytest.mark.parametrize("count", [3, 20])
def test_approve_many_preview_queries_fixed(client_as, org, count, django_assert_num_queries):
    pledges = [submitted(org, f"承诺{n}") for n in range(count)]
    client = client_as("district_staff")

    with django_assert_num_queries(4):
        response = client.get(URL, {"pledges": [p.pk for p in pledges]})

    assert response.text.count('class="card approve-preview"') == count
