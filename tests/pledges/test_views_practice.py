"""The pledge page and its moves, approval, 示诺 (publish) and 践诺 (progress with photos)."""

import datetime
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from pledges.enums import ActorRole, PledgeMove, PledgeStatus
from pledges.models import (
    PledgeTransition,
    ProgressPhoto,
    ProgressRecord,
    TimeNode,
)
from pledges.services.progress import progress_record_create
from pledges.workflow import MOVES
from tests import factories
from tests.conftest import ROLES

S = PledgeStatus
TITLE = "每月给村东生产路树木浇水一次"


def walked(org, status, **extra):
    """A pledge of 范寨村 (or of `branch`) moved along the real workflow to `status`."""
    branch = extra.pop("branch", org.branch)
    pledge = factories.make_pledge(branch=branch, **extra)
    owner = pledge.owner_branch
    return factories.walk_to(pledge, status, secretary=owner.secretary, staff=org.district_staff)


def make_node(pledge, description="节", due_on=datetime.date(2026, 6, 30), **extra):
    return TimeNode.objects.create(pledge=pledge, due_on=due_on, description=description, **extra)


def jpeg(name="site.jpg", size=(80, 60)):
    buffer = io.BytesIO()
    Image.new("RGB", size, "green").save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def login_url(url):
    return f"{reverse('login')}?next={url}"


def status_of(pledge):
    pledge.refresh_from_db()
    return pledge.status


def assert_refused_without_data(response, expected, url, secret):
    assert response.status_code == expected
    if expected == 302:
        assert response.url == login_url(url)
    else:
        assert secret not in response.content.decode()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


# ---------------------------------------------------------------------------
# Permission matrix of every view taking an id
# ---------------------------------------------------------------------------

# role → status code of a page about a 范寨村 pledge.
READ_MATRIX = {
    "secretary": 200,
    "other_secretary": 404,
    "town_staff": 200,
    "other_town_staff": 404,
    "district_staff": 200,
    "anonymous": 302,
}
# Pages only committee staff use.
STAFF_MATRIX = {**READ_MATRIX, "secretary": 403}
# Pages only the branch's secretary uses.
SECRETARY_MATRIX = {**READ_MATRIX, "town_staff": 403, "district_staff": 403}


@pytest.mark.parametrize("role", ROLES)
def test_pledge_detail_permission_matrix(client_as, org, role):
    pledge = walked(org, S.SUBMITTED, title="范寨村承诺甲")
    url = reverse("pledges:pledge_detail", args=[pledge.pk])

    response = client_as(role).get(url)

    if READ_MATRIX[role] == 200:
        assert response.status_code == 200
        assert "范寨村承诺甲" in response.text
    else:
        assert_refused_without_data(response, READ_MATRIX[role], url, "范寨村承诺甲")


@pytest.mark.parametrize("role", ROLES)
def test_pledge_review_permission_matrix(client_as, org, role):
    pledge = walked(org, S.SUBMITTED, title="范寨村承诺甲")
    url = reverse("pledges:pledge_review", args=[pledge.pk])

    response = client_as(role).get(url)

    if STAFF_MATRIX[role] == 200:
        assert response.status_code == 200
        assert "范寨村承诺甲" in response.text
    else:
        assert_refused_without_data(response, STAFF_MATRIX[role], url, "范寨村承诺甲")
    if STAFF_MATRIX[role] == 403:
        assert "只有上级党组织工作人员可以审核承诺。" in response.text


@pytest.mark.parametrize(
    ("role", "expected", "sees_pledge"),
    [
        ("secretary", 403, False),
        ("other_secretary", 403, False),
        ("town_staff", 200, True),
        ("other_town_staff", 200, False),
        ("district_staff", 200, True),
        ("anonymous", 302, False),
    ],
)
def test_approvals_permission_matrix(client_as, org, role, expected, sees_pledge):
    walked(org, S.SUBMITTED, title="范寨村承诺甲")
    url = reverse("pledges:approvals")

    response = client_as(role).get(url)

    assert response.status_code == expected
    assert ("范寨村承诺甲" in response.content.decode()) is sees_pledge
    if expected == 302:
        assert response.url == login_url(url)


@pytest.mark.parametrize("role", ROLES)
def test_publish_many_page_permission_matrix(client_as, org, role):
    walked(org, S.APPROVED, title="范寨村承诺甲")
    url = reverse("pledges:publish_many", args=[org.branch.pk])

    response = client_as(role).get(url)

    if SECRETARY_MATRIX[role] == 200:
        assert response.status_code == 200
        assert "范寨村承诺甲" in response.text
    else:
        assert_refused_without_data(response, SECRETARY_MATRIX[role], url, "范寨村承诺甲")


@pytest.mark.parametrize("role", ROLES)
def test_publish_many_post_permission_matrix(client_as, org, role):
    pledge = walked(org, S.APPROVED, title="范寨村承诺甲")
    url = reverse("pledges:publish_many", args=[org.branch.pk])

    response = client_as(role).post(url, {"pledges": [pledge.pk]})

    if SECRETARY_MATRIX[role] == 200:
        assert response.status_code == 302
        assert status_of(pledge) == S.PUBLISHED
    else:
        assert_refused_without_data(response, SECRETARY_MATRIX[role], url, "范寨村承诺甲")
        assert status_of(pledge) == S.APPROVED


@pytest.mark.parametrize("role", ROLES)
def test_progress_add_permission_matrix(client_as, org, role):
    pledge = walked(org, S.IN_PROGRESS, title="范寨村承诺甲")
    url = reverse("pledges:progress_add", args=[pledge.pk])

    response = client_as(role).get(url)

    if SECRETARY_MATRIX[role] == 200:
        assert response.status_code == 200
        assert "范寨村承诺甲" in response.text
    else:
        assert_refused_without_data(response, SECRETARY_MATRIX[role], url, "范寨村承诺甲")


@pytest.mark.parametrize("role", ROLES)
def test_progress_add_post_permission_matrix(client_as, org, role):
    pledge = walked(org, S.IN_PROGRESS, title="范寨村承诺甲")
    url = reverse("pledges:progress_add", args=[pledge.pk])
    data = {"happened_on": timezone.localdate().isoformat(), "description": "浇水"}

    response = client_as(role).post(url, data)

    if SECRETARY_MATRIX[role] == 200:
        assert response.status_code == 302
        assert ProgressRecord.objects.filter(pledge=pledge).count() == 1
    else:
        assert_refused_without_data(response, SECRETARY_MATRIX[role], url, "范寨村承诺甲")
        assert ProgressRecord.objects.count() == 0


# ---------------------------------------------------------------------------
# pledge_move: every move × every role
# ---------------------------------------------------------------------------

# The status each move is tried from: the one it is allowed from.
MOVE_FROM = {
    "submit": S.DRAFT,
    "return_for_revision": S.SUBMITTED,
    "approve": S.SUBMITTED,
    "publish": S.APPROVED,
    "start": S.PUBLISHED,
    "complete": S.IN_PROGRESS,
    "verify": S.COMPLETED,
    "evaluate": S.VERIFIED,
    "withdraw": S.IN_PROGRESS,
}
SECRETARY_MOVES = {"submit", "publish", "start", "complete"}
STAFF_ROLES = {"town_staff", "district_staff"}


def expected_move_outcome(move: str, role: str) -> str:
    if role == "anonymous":
        return "login"
    if role in ("other_secretary", "other_town_staff"):
        return "not_found"
    if move in SECRETARY_MOVES:
        return "moved" if role == "secretary" else "refused"
    return "moved" if role in STAFF_ROLES else "refused"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("move", list(MOVE_FROM))
def test_pledge_move_matrix(client_as, org, move, role):
    pledge = walked(org, MOVE_FROM[move], title="范寨村承诺甲")
    url = reverse("pledges:pledge_move", args=[pledge.pk, move])
    client = client_as(role)

    response = client.post(url, {"reason": "群众反映需调整"})

    outcome = expected_move_outcome(move, role)
    spec = MOVES[PledgeMove(move)]
    if outcome == "moved":
        assert response.status_code == 302
        assert response.url == reverse("pledges:pledge_detail", args=[pledge.pk])
        assert status_of(pledge) == spec.target
        audit = PledgeTransition.objects.filter(pledge=pledge).latest("pk")
        assert audit.move == move
        if spec.needs_reason:
            assert audit.note == "群众反映需调整"
        return
    assert status_of(pledge) == MOVE_FROM[move]
    if outcome == "refused":
        assert response.status_code == 302
        page = client.get(response.url)
        who = "本支部书记" if spec.role == ActorRole.BRANCH_SECRETARY else "上级党组织工作人员"
        assert f"只有{who}可以执行“{spec.name.label}”。" in page.text
    else:
        assert_refused_without_data(
            response, 404 if outcome == "not_found" else 302, url, "范寨村承诺甲"
        )


@pytest.mark.parametrize("move", list(MOVE_FROM))
def test_pledge_move_success_message_in_chinese(client_as, org, move):
    pledge = walked(org, MOVE_FROM[move], title="范寨村承诺甲")
    role = "secretary" if move in SECRETARY_MOVES else "town_staff"
    client = client_as(role)

    response = client.post(
        reverse("pledges:pledge_move", args=[pledge.pk, move]),
        {"reason": "原因"},
        follow=True,
    )

    assert response.status_code == 200
    messages = [str(message) for message in response.context["messages"]]
    assert len(messages) == 1
    assert messages[0].startswith("“范寨村承诺甲”已")


def test_pledge_move_wrong_status_shows_reason_not_500(client_as, org):
    pledge = walked(org, S.DRAFT)
    client = client_as("secretary")

    response = client.post(reverse("pledges:pledge_move", args=[pledge.pk, "publish"]), follow=True)

    assert response.status_code == 200
    assert "当前状态为“草稿”，不能执行“公示”。" in response.text
    assert status_of(pledge) == S.DRAFT


def test_pledge_move_unknown_move_is_not_found(client_as, org):
    pledge = walked(org, S.DRAFT)

    response = client_as("secretary").post(
        reverse("pledges:pledge_move", args=[pledge.pk, "explode"])
    )

    assert response.status_code == 404
    assert status_of(pledge) == S.DRAFT


def test_pledge_move_refuses_get(client_as, org):
    pledge = walked(org, S.DRAFT)

    response = client_as("secretary").get(
        reverse("pledges:pledge_move", args=[pledge.pk, "submit"])
    )

    assert response.status_code == 405
    assert status_of(pledge) == S.DRAFT


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/work/approvals/", "/work/approvals/"),
        ("https://evil.example/phish", None),
        ("//evil.example/", None),
    ],
)
def test_pledge_move_follows_only_safe_next(client_as, org, target, expected):
    pledge = walked(org, S.SUBMITTED)

    response = client_as("town_staff").post(
        reverse("pledges:pledge_move", args=[pledge.pk, "approve"]), {"next": target}
    )

    assert response.status_code == 302
    assert response.url == (expected or reverse("pledges:pledge_detail", args=[pledge.pk]))


def test_pledge_move_withdraw_without_reason_keeps_page_and_says_why(client_as, org):
    pledge = walked(org, S.IN_PROGRESS, title="范寨村承诺甲")

    response = client_as("town_staff").post(
        reverse("pledges:pledge_move", args=[pledge.pk, "withdraw"]), {"reason": "   "}
    )

    assert response.status_code == 200
    assert "请填写原因。" in response.text
    assert "范寨村承诺甲" in response.text
    assert status_of(pledge) == S.IN_PROGRESS


def test_pledge_move_refused_withdraw_keeps_typed_reason(client_as, org):
    pledge = walked(org, S.COMPLETED)

    response = client_as("town_staff").post(
        reverse("pledges:pledge_move", args=[pledge.pk, "withdraw"]),
        {"reason": "村里已另行安排，不再需要"},
    )

    assert response.status_code == 200
    assert "当前状态为“已完成”，不能执行“撤销”。" in response.text
    textarea = re.search(
        r"<textarea[^>]*name=\"reason\"[^>]*>(.*?)</textarea>", response.text, re.S
    )
    assert textarea.group(1).strip() == "村里已另行安排，不再需要"
    assert '<details class="card" open>' in response.text
    assert status_of(pledge) == S.COMPLETED


def test_pledge_move_refused_return_keeps_typed_reason_on_review_page(client_as, org):
    pledge = walked(org, S.APPROVED, title="范寨村承诺甲")

    response = client_as("town_staff").post(
        reverse("pledges:pledge_move", args=[pledge.pk, "return_for_revision"]),
        {"reason": "请写明浇水的次数"},
    )

    assert response.status_code == 200
    assert "当前状态为“审核通过”，不能执行“退回修改”。" in response.text
    assert "请写明浇水的次数" in response.text
    assert status_of(pledge) == S.APPROVED


def test_pledge_move_return_without_reason_keeps_review_page(client_as, org):
    pledge = walked(org, S.SUBMITTED, title="范寨村承诺甲")

    response = client_as("town_staff").post(
        reverse("pledges:pledge_move", args=[pledge.pk, "return_for_revision"]), {"reason": ""}
    )

    assert response.status_code == 200
    assert "请填写原因。" in response.text
    assert "审核通过" in response.text
    assert status_of(pledge) == S.SUBMITTED


def test_pledge_move_secretary_cannot_return_own_pledge(client_as, org):
    pledge = walked(org, S.SUBMITTED)
    client = client_as("secretary")

    response = client.post(
        reverse("pledges:pledge_move", args=[pledge.pk, "return_for_revision"]),
        {"reason": "自己退回"},
    )

    assert response.status_code == 302
    assert "只有上级党组织工作人员可以执行“退回修改”。" in client.get(response.url).text
    assert status_of(pledge) == S.SUBMITTED


@pytest.mark.parametrize("move", ["withdraw", "return_for_revision"])
def test_pledge_move_reason_move_without_role_is_refused_even_without_reason(client_as, org, move):
    pledge = walked(org, MOVE_FROM[move])
    client = client_as("secretary")

    response = client.post(move_url(pledge, move), {"reason": ""})

    assert response.status_code == 302
    label = MOVES[PledgeMove(move)].name.label
    assert f"只有上级党组织工作人员可以执行“{label}”。" in client.get(response.url).text
    assert status_of(pledge) == MOVE_FROM[move]


def test_pledge_move_too_long_reason_keeps_text_and_says_why(client_as, org):
    pledge = walked(org, S.SUBMITTED)
    reason = "改" * 1001

    response = client_as("town_staff").post(
        move_url(pledge, "return_for_revision"), {"reason": reason}
    )

    assert response.status_code == 200
    assert "1000" in response.text
    assert reason in response.text
    assert "请填写“退回修改”的原因。" not in response.text
    assert status_of(pledge) == S.SUBMITTED


# ---------------------------------------------------------------------------
# The pledge page
# ---------------------------------------------------------------------------


def move_url(pledge, move):
    return reverse("pledges:pledge_move", args=[pledge.pk, move])


@pytest.mark.parametrize(
    ("status", "role", "shown", "hidden"),
    [
        (S.DRAFT, "secretary", {"submit", "edit", "letter"}, {"withdraw", "review", "record"}),
        (S.DRAFT, "town_staff", {"withdraw", "letter"}, {"submit", "edit", "review"}),
        (S.RETURNED, "secretary", {"submit", "edit"}, {"withdraw", "publish"}),
        (S.SUBMITTED, "secretary", {"letter"}, {"submit", "edit", "review", "approve"}),
        (S.SUBMITTED, "district_staff", {"review", "withdraw"}, {"submit", "approve", "edit"}),
        (S.APPROVED, "secretary", {"publish"}, {"start", "edit", "withdraw"}),
        (S.PUBLISHED, "secretary", {"start"}, {"complete", "record"}),
        (S.IN_PROGRESS, "secretary", {"complete", "record"}, {"start", "withdraw", "edit"}),
        (S.IN_PROGRESS, "town_staff", {"withdraw"}, {"complete", "record"}),
        (S.COMPLETED, "town_staff", {"verify"}, {"evaluate", "withdraw"}),
        (S.COMPLETED, "secretary", set(), {"verify", "complete", "record"}),
        (S.VERIFIED, "district_staff", {"evaluate"}, {"verify"}),
        (S.WITHDRAWN, "town_staff", set(), {"withdraw", "submit"}),
    ],
)
def test_pledge_detail_shows_only_moves_this_person_may_make(
    client_as, org, status, role, shown, hidden
):
    pledge = walked(org, status)
    links = {
        "edit": reverse("pledges:pledge_edit", args=[pledge.pk]),
        "letter": reverse("pledges:pledge_letter", args=[pledge.pk]),
        "review": reverse("pledges:pledge_review", args=[pledge.pk]),
        "record": reverse("pledges:progress_add", args=[pledge.pk]),
        **{move: move_url(pledge, move) for move in MOVE_FROM},
    }

    text = client_as(role).get(reverse("pledges:pledge_detail", args=[pledge.pk])).text

    for name in shown:
        assert links[name] in text, name
    for name in hidden:
        assert links[name] not in text, name


def test_pledge_detail_shows_everything_about_the_pledge(client_as, org):
    member = factories.make_member(org.branch, name="李荣花")
    need = factories.make_need(org.branch, description="村东树木缺人浇水", raised_by="四组村民")
    pledge = factories.make_pledge(
        member=member,
        content="每月组织一次浇水",
        beneficiaries="全村群众",
        is_recurring=True,
        rhythm="monthly",
        due_date=datetime.date(2020, 12, 31),
        year=2020,
    )
    pledge.needs.add(need)
    TimeNode.objects.create(
        pledge=pledge,
        due_on=datetime.date(2020, 3, 31),
        description="第一季度浇水",
        closed_as="done",
        done_on=datetime.date(2020, 3, 30),
    )
    TimeNode.objects.create(pledge=pledge, due_on=datetime.date(2020, 6, 30), description="二季度")
    factories.walk_to(pledge, S.IN_PROGRESS, secretary=org.secretary, staff=org.town_staff)

    text = client_as("secretary").get(reverse("pledges:pledge_detail", args=[pledge.pk])).text

    for expected in [
        "李荣花",
        TITLE,
        "每月组织一次浇水",
        "全村群众",
        "人居环境",
        "2020年12月31日",
        "经常性承诺，每月",
        "村东树木缺人浇水",
        "四组村民",
        "第一季度浇水",
        "已于 2020年3月30日 完成",
        "践诺中",
        '<li class="current" aria-current="step">践诺</li>',
        '<li class="done">示诺</li>',
        '<li class="todo">督诺</li>',
        "提交审核",
        "开始践诺",
    ]:
        assert expected in text, expected
    assert text.count("（已逾期）") == 2  # the pledge and its open node


def test_pledge_detail_history_shows_return_reason(client_as, org):
    pledge = factories.make_pledge(branch=org.branch)
    pledge.submit(org.secretary)
    pledge.return_for_revision(org.town_staff, reason="请写明服务对象")

    text = client_as("secretary").get(reverse("pledges:pledge_detail", args=[pledge.pk])).text

    assert "退回修改的原因" in text
    assert text.count("请写明服务对象") == 2  # the notice and the history
    assert "上级党组织" in text
    assert "jishi" in text


def test_pledge_detail_withdrawn_reason_visible(client_as, org):
    pledge = walked(org, S.DRAFT)
    pledge.withdraw(org.town_staff, reason="与支部承诺重复")

    text = client_as("secretary").get(reverse("pledges:pledge_detail", args=[pledge.pk])).text

    assert "与支部承诺重复" in text
    assert "该承诺已撤销，退出流程。" in text
    assert 'aria-current="step"' not in text


def test_pledge_detail_records_newest_first_with_thumbnails(client_as, org, media):
    pledge = walked(org, S.IN_PROGRESS)
    today = timezone.localdate()
    progress_record_create(
        pledge=pledge, actor=org.secretary, happened_on=today, description="第一次", photos=[]
    )
    record = progress_record_create(
        pledge=pledge, actor=org.secretary, happened_on=today, description="第二次", photos=[jpeg()]
    )
    photo = record.photos.get()

    text = client_as("town_staff").get(reverse("pledges:pledge_detail", args=[pledge.pk])).text

    assert text.index("第二次") < text.index("第一次")
    assert f'<a href="{photo.image.url}"><img src="{photo.thumbnail.url}"' in text


def test_pledge_detail_queries_do_not_grow_with_records(
    client_as, org, media, django_assert_max_num_queries
):
    def page_queries(pledge):
        client = client_as("secretary")
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("pledges:pledge_detail", args=[pledge.pk]))
        assert response.status_code == 200
        assert response.text.count("<img ") == 3 * pledge.progress_records.count()
        return len(queries)

    small = walked(org, S.IN_PROGRESS)
    big = walked(org, S.IN_PROGRESS)
    for pledge, count in ((small, 1), (big, 25)):
        for number in range(count):
            factories.make_need(org.branch).pledges.add(pledge)
            make_node(pledge)
            record = ProgressRecord.objects.create(
                pledge=pledge,
                happened_on=datetime.date(2026, 1, 1),
                description=f"记录{number}",
                recorded_by=org.secretary,
            )
            for _photo in range(3):
                ProgressPhoto.objects.create(
                    record=record, image="progress/a.jpg", thumbnail="t.jpg"
                )

    assert page_queries(big) == page_queries(small)
    client = client_as("town_staff")
    with django_assert_max_num_queries(11):
        client.get(reverse("pledges:pledge_detail", args=[big.pk]))


# ---------------------------------------------------------------------------
# Approval
# ---------------------------------------------------------------------------


def test_pledge_review_resubmission_shows_changes_and_previous_reason(client_as, org):
    pledge = factories.make_pledge(branch=org.branch, title="浇树")
    pledge.submit(org.secretary)
    pledge.return_for_revision(org.town_staff, reason="请写明浇水的次数")
    pledge.title = "每月浇树一次"
    pledge.save()
    pledge.submit(org.secretary)

    text = client_as("town_staff").get(reverse("pledges:pledge_review", args=[pledge.pk])).text

    assert "重新提交" in text
    assert "请写明浇水的次数" in text
    assert "<del>浇树</del>" in text
    assert "<ins>每月浇树一次</ins>" in text
    assert 'class="diff"' in text


def test_pledge_review_first_submission_has_no_diff(client_as, org):
    pledge = walked(org, S.SUBMITTED)

    text = client_as("town_staff").get(reverse("pledges:pledge_review", args=[pledge.pk])).text

    assert "与上次提交相比的修改" not in text
    assert "重新提交" not in text
    assert move_url(pledge, "approve") in text
    assert move_url(pledge, "return_for_revision") in text


def test_pledge_review_of_decided_pledge_has_no_forms(client_as, org):
    pledge = walked(org, S.APPROVED)

    text = client_as("town_staff").get(reverse("pledges:pledge_review", args=[pledge.pk])).text

    assert "不在待审核中" in text
    assert move_url(pledge, "approve") not in text


def test_pledge_review_return_reaches_the_secretary(client_as, org):
    pledge = walked(org, S.SUBMITTED)

    response = client_as("town_staff").post(
        move_url(pledge, "return_for_revision"),
        {"reason": "请补充时间节点", "next": reverse("pledges:approvals")},
    )

    assert response.status_code == 302
    assert response.url == reverse("pledges:approvals")
    assert status_of(pledge) == S.RETURNED
    text = client_as("secretary").get(reverse("pledges:pledge_detail", args=[pledge.pk])).text
    assert "请补充时间节点" in text


def test_approvals_oldest_first_with_resubmission_mark(client_as, org):
    first = walked(org, S.SUBMITTED, title="先交的")
    returned = factories.make_pledge(branch=org.other_branch, title="退回后重交的")
    returned.submit(org.other_secretary)
    returned.return_for_revision(org.town_staff, reason="改")
    returned.submit(org.other_secretary)
    walked(org, S.APPROVED, title="已通过的")
    walked(org, S.SUBMITTED, title="远村的", branch=org.far_branch)

    text = client_as("town_staff").get(reverse("pledges:approvals")).text

    assert text.index("先交的") < text.index("退回后重交的")
    assert "已通过的" not in text
    assert "远村的" not in text
    assert text.count("重新提交") == 1
    assert reverse("pledges:pledge_review", args=[first.pk]) in text


def test_approvals_filter_by_branch_and_committee(client_as, org):
    walked(org, S.SUBMITTED, title="范寨的")
    walked(org, S.SUBMITTED, title="姬石的", branch=org.other_branch)
    walked(org, S.SUBMITTED, title="远村的", branch=org.far_branch)
    client = client_as("district_staff")

    by_branch = client.get(reverse("pledges:approvals"), {"branch": org.other_branch.pk}).text
    by_committee = client.get(reverse("pledges:approvals"), {"committee": org.town.pk}).text

    assert "姬石的" in by_branch and "范寨的" not in by_branch and "远村的" not in by_branch
    assert "姬石的" in by_committee and "范寨的" in by_committee and "远村的" not in by_committee


def test_approvals_filter_ignores_branch_out_of_reach(client_as, org):
    walked(org, S.SUBMITTED, title="远村的", branch=org.far_branch)

    response = client_as("town_staff").get(
        reverse("pledges:approvals"), {"branch": org.far_branch.pk}
    )

    assert response.status_code == 200
    assert "远村的" not in response.text
    assert "远村党支部" not in response.text


def test_approvals_paginates(client_as, org):
    for number in range(31):
        walked(org, S.SUBMITTED, title=f"承诺{number:02d}号")
    client = client_as("town_staff")

    first = client.get(reverse("pledges:approvals")).text
    second = client.get(reverse("pledges:approvals"), {"page": 2}).text

    assert "承诺00号" in first and "承诺30号" not in first
    assert "承诺30号" in second and "承诺00号" not in second
    assert "第 1 / 2 页" in first


def test_approvals_queries_fixed_with_many_pledges(client_as, org, django_assert_max_num_queries):
    for number in range(40):
        member = factories.make_member(org.branch if number % 2 else org.other_branch)
        pledge = factories.make_pledge(member=member, title=f"承诺{number}")
        pledge.submit(member.branch.secretary)
    client = client_as("district_staff")

    with django_assert_max_num_queries(9):
        response = client.get(reverse("pledges:approvals"))

    assert response.status_code == 200
    assert response.text.count('class="title"') == 30


# ---------------------------------------------------------------------------
# 示诺: publish many
# ---------------------------------------------------------------------------


def test_publish_many_lists_approved_all_checked(client_as, org):
    walked(org, S.APPROVED, title="待公示甲")
    walked(org, S.APPROVED, title="待公示乙")
    walked(org, S.SUBMITTED, title="待审核丙")

    text = client_as("secretary").get(reverse("pledges:publish_many", args=[org.branch.pk])).text

    assert "待公示甲" in text and "待公示乙" in text and "待审核丙" not in text
    assert text.count(" checked>") == 2


def test_publish_many_publishes_selected_only(client_as, org):
    chosen = walked(org, S.APPROVED, title="甲")
    left = walked(org, S.APPROVED, title="乙")

    response = client_as("secretary").post(
        reverse("pledges:publish_many", args=[org.branch.pk]), {"pledges": [chosen.pk]}, follow=True
    )

    assert status_of(chosen) == S.PUBLISHED
    assert status_of(left) == S.APPROVED
    assert "已公示 1 项承诺。" in response.text


def test_publish_many_reports_each_refusal_by_title(client_as, org):
    ready = walked(org, S.APPROVED, title="可以公示的")
    draft = walked(org, S.DRAFT, title="还是草稿的")

    response = client_as("secretary").post(
        reverse("pledges:publish_many", args=[org.branch.pk]),
        {"pledges": [ready.pk, draft.pk]},
        follow=True,
    )

    assert status_of(ready) == S.PUBLISHED
    assert status_of(draft) == S.DRAFT
    assert "已公示 1 项承诺。" in response.text
    assert "“还是草稿的”未公示：当前状态为“草稿”，不能执行“公示”。" in response.text


@pytest.mark.parametrize("kind", ["other_branch", "not_a_number"])
def test_publish_many_refuses_ids_not_of_this_branch(client_as, org, kind):
    mine = walked(org, S.APPROVED, title="本支部的")
    theirs = walked(org, S.APPROVED, title="姬石村的", branch=org.other_branch)
    foreign, message = {
        "other_branch": (theirs.pk, f"所选承诺不属于本支部：{theirs.pk}。"),
        "not_a_number": ("abc", "“abc”不是有效的承诺编号。"),
    }[kind]

    response = client_as("secretary").post(
        reverse("pledges:publish_many", args=[org.branch.pk]), {"pledges": [mine.pk, foreign]}
    )

    assert response.status_code == 200
    assert message in response.text
    assert "姬石村的" not in response.text
    assert f'value="{mine.pk}" checked' in response.text
    assert status_of(mine) == S.APPROVED
    assert status_of(theirs) == S.APPROVED


def test_publish_many_nothing_selected_says_so(client_as, org):
    pledge = walked(org, S.APPROVED)

    response = client_as("secretary").post(reverse("pledges:publish_many", args=[org.branch.pk]))

    assert response.status_code == 200
    assert "请至少选择一项承诺。" in response.text
    assert status_of(pledge) == S.APPROVED


# ---------------------------------------------------------------------------
# 践诺: progress records with photos, and completion
# ---------------------------------------------------------------------------


def test_progress_add_saves_record_with_photos(client_as, org, media):
    pledge = walked(org, S.IN_PROGRESS)
    today = timezone.localdate()

    response = client_as("secretary").post(
        reverse("pledges:progress_add", args=[pledge.pk]),
        {
            "happened_on": today.isoformat(),
            "description": "组织党员浇水 120 棵",
            "photos": [jpeg("one.jpg"), jpeg("two.jpg")],
        },
        follow=True,
    )

    record = ProgressRecord.objects.get(pledge=pledge)
    assert record.description == "组织党员浇水 120 棵"
    assert record.happened_on == today
    assert record.recorded_by == org.secretary
    assert record.photos.count() == 2
    assert "已记录践诺情况。" in response.text
    assert "组织党员浇水 120 棵" in response.text


def test_progress_add_form_defaults_to_today_and_takes_several_photos(client_as, org):
    pledge = walked(org, S.IN_PROGRESS)

    text = client_as("secretary").get(reverse("pledges:progress_add", args=[pledge.pk])).text

    assert f'value="{timezone.localdate().isoformat()}"' in text
    assert re.search(r'<input type="file" name="photos"[^>]*multiple', text)
    assert 'accept="image/*"' in text
    assert 'enctype="multipart/form-data"' in text


def test_progress_add_bad_photo_keeps_text_and_names_file(client_as, org, media):
    pledge = walked(org, S.IN_PROGRESS)
    text_file = SimpleUploadedFile("现场.jpg", b"this is text", content_type="image/jpeg")

    response = client_as("secretary").post(
        reverse("pledges:progress_add", args=[pledge.pk]),
        {
            "happened_on": timezone.localdate().isoformat(),
            "description": "组织党员浇水",
            "photos": [jpeg("good.jpg"), text_file],
        },
    )

    assert response.status_code == 200
    assert "照片 现场.jpg 不是 JPEG、PNG 或 WebP 图片。" in response.text
    assert "组织党员浇水" in response.text
    assert "请重新选择照片" in response.text
    assert ProgressRecord.objects.count() == 0
    assert list(media.rglob("*.jpg")) == []


@pytest.mark.parametrize(
    ("days", "description", "field_error"),
    [
        (1, "浇水", "日期不能晚于今天。"),
        (-1, "浇水", "日期不能早于承诺公示的日期"),
        (0, "", "请填写推进情况。"),
    ],
)
def test_progress_add_bad_input_keeps_values(client_as, org, days, description, field_error):
    pledge = walked(org, S.IN_PROGRESS)
    day = (timezone.localdate() + datetime.timedelta(days=days)).isoformat()

    response = client_as("secretary").post(
        reverse("pledges:progress_add", args=[pledge.pk]),
        {"happened_on": day, "description": description},
    )

    assert response.status_code == 200
    assert field_error in response.text
    assert f'value="{day}"' in response.text
    if description:
        assert description in response.text
    assert ProgressRecord.objects.count() == 0


def test_progress_add_invalid_date_says_so(client_as, org):
    pledge = walked(org, S.IN_PROGRESS)

    response = client_as("secretary").post(
        reverse("pledges:progress_add", args=[pledge.pk]),
        {"happened_on": "昨天", "description": "浇水"},
    )

    assert response.status_code == 200
    assert "请填写正确的日期。" in response.text
    assert "浇水" in response.text


@pytest.mark.parametrize("status", [S.PUBLISHED, S.COMPLETED, S.WITHDRAWN])
def test_progress_add_refused_unless_in_progress(client_as, org, status):
    pledge = walked(org, status)
    client = client_as("secretary")

    response = client.post(
        reverse("pledges:progress_add", args=[pledge.pk]),
        {"happened_on": timezone.localdate().isoformat(), "description": "浇水"},
    )

    assert response.status_code == 302
    assert response.url == reverse("pledges:pledge_detail", args=[pledge.pk])
    assert "只有“践诺中”的承诺可以记录践诺情况。" in client.get(response.url).text
    assert ProgressRecord.objects.count() == 0


def test_complete_from_detail_page(client_as, org):
    pledge = walked(org, S.IN_PROGRESS)
    client = client_as("secretary")
    detail = client.get(reverse("pledges:pledge_detail", args=[pledge.pk])).text
    assert move_url(pledge, "complete") in detail

    response = client.post(move_url(pledge, "complete"), follow=True)

    assert status_of(pledge) == S.COMPLETED
    assert "等待上级党组织销号" in response.text
