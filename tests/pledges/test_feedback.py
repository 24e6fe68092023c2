"""服务对象评议: villagers' feedback with no account, feedback recorded on their behalf,
moderation of comments, and the branch's queue of comments waiting for approval."""

import datetime

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pledges.enums import CommentStatus, FeedbackChannel, FeedbackRating, PledgeStatus
from pledges.models import Feedback
from pledges.services import feedback as services
from tests import factories
from tests.conftest import ROLES

S = PledgeStatus
TITLE = "每月给村东生产路树木浇水一次"
ADDRESS = "203.0.113.77"
OPEN_STATUSES = [S.PUBLISHED, S.IN_PROGRESS, S.COMPLETED, S.VERIFIED]
CLOSED_STATUSES = [status for status in S if status not in OPEN_STATUSES]


@pytest.fixture(autouse=True)
def _empty_cache():
    """The hourly cap counts in the cache, which outlives a test."""
    cache.clear()
    yield
    cache.clear()


def walked(org, status, **extra):
    """A pledge of 范寨村 (or of `branch`) moved along the real workflow to `status`."""
    branch = extra.pop("branch", org.branch)
    pledge = factories.make_pledge(branch=branch, **extra)
    owner = pledge.owner_branch
    return factories.walk_to(pledge, status, secretary=owner.secretary, staff=org.district_staff)


def submit_url(pledge):
    return reverse("public:feedback_submit", args=[pledge.pk])


def submit(client, pledge, data=None, address=ADDRESS, **headers):
    data = {"rating": FeedbackRating.SATISFIED} if data is None else data
    return client.post(submit_url(pledge), data, REMOTE_ADDR=address, **headers)


def online_feedback(pledge, address=ADDRESS, day=None, **extra):
    day = day or timezone.localdate()
    return Feedback.objects.create(
        pledge=pledge,
        rating=extra.pop("rating", FeedbackRating.SATISFIED),
        address_hash=services.address_hash_of(address, day=day),
        day=day,
        **extra,
    )


def login_url(url):
    return f"{reverse('login')}?next={url}"


# ---------------------------------------------------------------------------
# Public submission
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", OPEN_STATUSES)
def test_feedback_submit_saves_the_rating_and_a_pending_comment(client, org, status):
    pledge = walked(org, status)

    response = submit(client, pledge, {"rating": "fairly_satisfied", "comment": "  浇得很及时  "})

    assert response.status_code == 200
    assert "感谢您的评议" in response.text
    assert reverse("public:pledge_page", args=[pledge.pk]) in response.text
    row = Feedback.objects.get()
    assert (row.pledge, row.rating, row.comment, row.comment_status, row.channel) == (
        pledge,
        FeedbackRating.FAIRLY_SATISFIED,
        "浇得很及时",
        CommentStatus.PENDING,
        FeedbackChannel.ONLINE,
    )
    assert row.day == timezone.localdate()
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.parametrize("comment", ["", "   "])
def test_feedback_submit_rating_alone_has_no_comment_to_moderate(client, org, comment):
    pledge = walked(org, S.PUBLISHED)

    response = submit(client, pledge, {"rating": "dissatisfied", "comment": comment})

    assert response.status_code == 200
    row = Feedback.objects.get()
    assert (row.comment, row.comment_status) == ("", CommentStatus.NONE)


@pytest.mark.parametrize(
    ("data", "message", "kept"),
    [
        ({"comment": "路边树死了几棵"}, "请选择满意、基本满意或不满意。", "路边树死了几棵"),
        ({}, "请选择满意、基本满意或不满意。", None),
        ({"comment": "   "}, "请选择满意、基本满意或不满意。", None),
        ({"rating": "very_good", "comment": "好"}, "请选择满意、基本满意或不满意。", "好"),
        (
            {"rating": "satisfied", "comment": "树" * 201},
            "留言最多 200 个字，现在是 201 个字，请删短一些。",
            "树" * 201,
        ),
    ],
)
def test_feedback_submit_refuses_bad_input_and_keeps_what_was_typed(
    client, org, data, message, kept
):
    pledge = walked(org, S.IN_PROGRESS)

    response = submit(client, pledge, data)

    assert response.status_code == 400
    assert message in response.text
    if kept:
        assert f">{kept}</textarea>" in response.text
    assert Feedback.objects.count() == 0


def test_feedback_submit_keeps_the_chosen_rating_when_refused(client, org):
    pledge = walked(org, S.IN_PROGRESS)

    response = submit(client, pledge, {"rating": "dissatisfied", "comment": "长" * 300})

    assert response.status_code == 400
    assert 'value="dissatisfied" checked' in response.text


def test_feedback_submit_accepts_exactly_the_longest_comment(client, org):
    pledge = walked(org, S.PUBLISHED)

    response = submit(client, pledge, {"rating": "satisfied", "comment": "好" * 200})

    assert response.status_code == 200
    assert Feedback.objects.get().comment == "好" * 200


def test_feedback_submit_once_a_day_per_pledge_and_address(client, org, monkeypatch):
    pledge = walked(org, S.IN_PROGRESS)
    other_pledge = walked(org, S.IN_PROGRESS)
    assert submit(client, pledge).status_code == 200

    again = submit(client, pledge, {"rating": "dissatisfied", "comment": "再说一句"})

    assert again.status_code == 400
    assert "今天已经评议过这项承诺了，明天再来吧。" in again.text
    assert ">再说一句</textarea>" in again.text
    assert submit(client, pledge, address="198.51.100.4").status_code == 200
    assert submit(client, other_pledge).status_code == 200
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: tomorrow)
    assert submit(client, pledge).status_code == 200
    assert Feedback.objects.filter(pledge=pledge).count() == 3


def test_feedback_submit_service_turns_the_constraint_into_the_message(org):
    """Two submissions that both passed every check: the database constraint decides."""
    pledge = walked(org, S.PUBLISHED)
    day = datetime.date(2026, 5, 1)
    arguments = {"pledge": pledge, "rating": "satisfied", "address_hash": "a" * 64, "day": day}
    services.feedback_submit(comment="", **arguments)

    with pytest.raises(ValidationError) as refusal:
        services.feedback_submit(comment="第二次", **arguments)

    assert refusal.value.messages == ["今天已经评议过这项承诺了，明天再来吧。"]
    services.feedback_submit(comment="", **{**arguments, "day": day + datetime.timedelta(days=1)})
    assert Feedback.objects.count() == 2


@pytest.mark.parametrize("status", CLOSED_STATUSES)
def test_feedback_submit_on_a_pledge_not_open_is_not_found(client, org, status):
    pledge = walked(org, status, title="草稿里的秘密承诺")

    response = submit(client, pledge)

    assert response.status_code == 404
    assert "草稿里的秘密承诺" not in response.text
    assert Feedback.objects.count() == 0


def test_feedback_submit_on_a_member_without_consent_is_not_found(client, org):
    member = factories.make_member(org.branch, name="李荣花", public_page_enabled=False)
    pledge = walked(org, S.IN_PROGRESS, member=member, branch=None, title="不公开的承诺")

    response = submit(client, pledge)

    assert response.status_code == 404
    assert "不公开的承诺" not in response.text


def test_feedback_submit_on_a_missing_pledge_is_not_found(client, db):
    response = client.post(
        reverse("public:feedback_submit", args=[999999]), {"rating": "satisfied"}
    )

    assert response.status_code == 404


def test_feedback_submit_takes_post_only(client, org):
    pledge = walked(org, S.PUBLISHED)

    assert client.get(submit_url(pledge)).status_code == 405


def test_feedback_submit_needs_no_csrf_token(org):
    pledge = walked(org, S.PUBLISHED)
    client = Client(enforce_csrf_checks=True)

    response = submit(client, pledge)

    assert response.status_code == 200
    assert Feedback.objects.count() == 1


def test_feedback_address_is_never_stored(client, org):
    pledge = walked(org, S.PUBLISHED)

    submit(client, pledge, {"rating": "satisfied", "comment": "好"})

    row = Feedback.objects.values().get()
    assert all(ADDRESS not in str(value) for value in row.values())
    assert len(row["address_hash"]) == 64
    assert row["address_hash"] == services.address_hash_of(ADDRESS, day=row["day"])


def test_address_hash_differs_by_address_and_day():
    day = datetime.date(2026, 5, 1)

    hashes = {
        services.address_hash_of(ADDRESS, day=day),
        services.address_hash_of("198.51.100.4", day=day),
        services.address_hash_of(ADDRESS, day=day + datetime.timedelta(days=1)),
    }

    assert len(hashes) == 3


def test_feedback_submit_caps_one_address_per_hour_across_pledges(client, org, monkeypatch):
    monkeypatch.setattr(services, "FEEDBACK_HOURLY_CAP", 3)
    pledges = [walked(org, S.PUBLISHED, title=f"承诺{number}") for number in range(4)]
    for pledge in pledges[:3]:
        assert submit(client, pledge).status_code == 200

    flooded = submit(client, pledges[3], {"rating": "satisfied", "comment": "第四条"})

    assert flooded.status_code == 429
    assert "提交太频繁了，请过一会儿再试。" in flooded.text
    assert ">第四条</textarea>" in flooded.text
    assert Feedback.objects.count() == 3
    assert submit(client, pledges[3], address="198.51.100.4").status_code == 200


def test_feedback_flood_check_starts_again_the_next_hour(monkeypatch):
    monkeypatch.setattr(services, "FEEDBACK_HOURLY_CAP", 2)
    now = 1_800_000_000.0

    first_hour = [services.feedback_flood_check(address_hash="h", now=now) for _ in range(3)]
    next_hour = services.feedback_flood_check(address_hash="h", now=now + 3600)

    assert (first_hour, next_hour) == ([True, True, False], True)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, 200),
        ({"HTTP_ORIGIN": "http://testserver"}, 200),
        ({"HTTP_ORIGIN": "http://127.0.0.1:8000"}, 200),  # PUBLIC_BASE_URL
        ({"HTTP_REFERER": "http://testserver/p/1/"}, 200),
        ({"HTTP_ORIGIN": "https://evil.example"}, 403),
        ({"HTTP_ORIGIN": "null"}, 403),
        ({"HTTP_REFERER": "https://evil.example/form.html"}, 403),
        ({"HTTP_ORIGIN": "https://evil.example", "HTTP_REFERER": "http://testserver/"}, 403),
    ],
)
def test_feedback_submit_refuses_posts_from_other_sites(client, org, settings, headers, expected):
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"
    pledge = walked(org, S.PUBLISHED)

    response = submit(client, pledge, **headers)

    assert response.status_code == expected
    assert Feedback.objects.count() == (1 if expected == 200 else 0)
    if expected == 403:
        assert "请在承诺公示页面上提交评议。" in response.text


def test_feedback_submit_hashes_the_configured_client_header(client, org, settings):
    settings.PUBLIC_CLIENT_ADDRESS_HEADER = "HTTP_X_REAL_IP"
    pledge = walked(org, S.PUBLISHED)

    submit(client, pledge, address="127.0.0.1", HTTP_X_REAL_IP=ADDRESS)
    second = submit(client, pledge, address="127.0.0.1", HTTP_X_REAL_IP="198.51.100.4")

    assert second.status_code == 200
    row = Feedback.objects.order_by("pk").first()
    assert row.address_hash == services.address_hash_of(ADDRESS, day=row.day)


def test_feedback_submit_runs_a_fixed_number_of_queries(client, org, django_assert_max_num_queries):
    pledge = walked(org, S.IN_PROGRESS)
    with django_assert_max_num_queries(6):  # pledge, savepoint, insert, signal (read, bump)
        assert submit(client, pledge, {"rating": "satisfied", "comment": "好"}).status_code == 200


# ---------------------------------------------------------------------------
# The include under each public pledge
# ---------------------------------------------------------------------------


def test_feedback_form_include_is_the_same_for_everyone_and_has_no_token(org):
    pledge = walked(org, S.PUBLISHED)
    signed_in = RequestFactory().get("/")
    signed_in.user = org.secretary

    anonymous_html = render_to_string("pledges/public/_feedback_form.html", {"pledge": pledge})
    signed_in_html = render_to_string(
        "pledges/public/_feedback_form.html", {"pledge": pledge}, request=signed_in
    )

    assert anonymous_html == signed_in_html
    assert "csrfmiddlewaretoken" not in anonymous_html
    assert f'action="{submit_url(pledge)}"' in anonymous_html
    assert 'maxlength="200"' in anonymous_html
    for rating in FeedbackRating:
        assert f'name="rating" value="{rating.value}"' in anonymous_html
        assert f"<span>{rating.label}</span>" in anonymous_html
    assert anonymous_html.count('type="radio"') == len(FeedbackRating)


def test_feedback_form_include_shows_the_comments_the_page_prefetched(org):
    pledge = walked(org, S.PUBLISHED)
    pledge.public_comments = [
        online_feedback(pledge, comment="树都活了", comment_status=CommentStatus.APPROVED),
    ]

    html = render_to_string("pledges/public/_feedback_form.html", {"pledge": pledge})

    assert "树都活了" in html
    assert "群众留言" in html


@pytest.mark.parametrize(
    ("comment_status", "shown"),
    [
        (CommentStatus.APPROVED, True),
        (CommentStatus.PENDING, False),
        (CommentStatus.REJECTED, False),
    ],
)
def test_public_pledge_page_shows_approved_comments_only(client, org, comment_status, shown):
    pledge = walked(org, S.IN_PROGRESS)
    online_feedback(pledge, comment="留言标记甲乙丙", comment_status=comment_status)

    response = client.get(reverse("public:pledge_page", args=[pledge.pk]))

    assert response.status_code == 200
    assert ("留言标记甲乙丙" in response.text) is shown
    assert f'action="{submit_url(pledge)}"' in response.text
    assert "csrfmiddlewaretoken" not in response.text
    for moderation_word in ("待审核", "已公开", "不公开"):
        assert moderation_word not in response.text


# ---------------------------------------------------------------------------
# Workspace: the feedback of a pledge, recorded feedback
# ---------------------------------------------------------------------------

READ_MATRIX = {
    "secretary": 200,
    "other_secretary": 404,
    "town_staff": 200,
    "other_town_staff": 404,
    "district_staff": 200,
    "anonymous": 302,
}
SECRETARY_MATRIX = {**READ_MATRIX, "town_staff": 403, "district_staff": 403}


@pytest.mark.parametrize("role", ROLES)
def test_pledge_feedback_permission_matrix(client_as, org, role):
    pledge = walked(org, S.IN_PROGRESS)
    online_feedback(pledge, comment="村东的树长得好", comment_status=CommentStatus.PENDING)
    url = reverse("pledges:pledge_feedback", args=[pledge.pk])

    response = client_as(role).get(url)

    assert response.status_code == READ_MATRIX[role]
    assert ("村东的树长得好" in response.text) is (READ_MATRIX[role] == 200)
    if READ_MATRIX[role] == 302:
        assert response.url == login_url(url)


@pytest.mark.parametrize("role", ROLES)
def test_feedback_record_permission_matrix(client_as, org, role):
    pledge = walked(org, S.IN_PROGRESS)
    url = reverse("pledges:pledge_feedback", args=[pledge.pk])
    data = {"rating": "satisfied", "comment": "", "gathered_at": "入户走访"}

    response = client_as(role).post(url, data)

    expected = 302 if role == "secretary" else SECRETARY_MATRIX[role]
    assert response.status_code == expected
    assert Feedback.objects.count() == (1 if role == "secretary" else 0)
    if role == "secretary":
        assert response.url == url


def test_feedback_record_is_marked_and_counted_apart(client_as, org):
    pledge = walked(org, S.IN_PROGRESS)
    online_feedback(pledge, rating=FeedbackRating.SATISFIED)
    online_feedback(pledge, address="198.51.100.4", rating=FeedbackRating.SATISFIED)
    client = client_as("secretary")
    url = reverse("pledges:pledge_feedback", args=[pledge.pk])

    client.post(
        url, {"rating": "satisfied", "comment": "书记来家里问过", "gathered_at": "入户走访"}
    )
    client.post(url, {"rating": "dissatisfied", "comment": "", "gathered_at": "群众会"})

    recorded = Feedback.objects.filter(channel=FeedbackChannel.RECORDED).order_by("pk")
    assert [
        (row.rating, row.gathered_at, row.recorded_by, row.address_hash) for row in recorded
    ] == [
        (FeedbackRating.SATISFIED, "入户走访", org.secretary, ""),
        (FeedbackRating.DISSATISFIED, "群众会", org.secretary, ""),
    ]
    assert [row.comment_status for row in recorded] == [CommentStatus.PENDING, CommentStatus.NONE]
    from pledges.views.feedback import rating_table

    assert rating_table(pledge) == [
        {"rating": "满意", "online": 2, "recorded": 1},
        {"rating": "基本满意", "online": 0, "recorded": 0},
        {"rating": "不满意", "online": 0, "recorded": 1},
    ]
    text = client.get(url).text
    assert "代为记录（入户走访，记录人：" in text
    assert '<tfoot><tr><th scope="row">合计</th><td>2</td><td>2</td></tr></tfoot>' in text


@pytest.mark.parametrize(
    ("data", "field_message"),
    [
        (
            {"rating": "satisfied", "gathered_at": ""},
            "请填写在什么场合收集的，如入户走访、群众会、电话。",
        ),
        (
            {"rating": "satisfied", "gathered_at": "   "},
            "请填写在什么场合收集的，如入户走访、群众会、电话。",
        ),
        ({"gathered_at": "电话"}, "请选择满意、基本满意或不满意。"),
        (
            {"rating": "satisfied", "gathered_at": "电话", "comment": "话" * 201},
            "留言最多 200 个字，现在是 201 个字，请删短一些。",
        ),
    ],
)
def test_feedback_record_refuses_bad_input_and_keeps_it(client_as, org, data, field_message):
    pledge = walked(org, S.IN_PROGRESS)
    url = reverse("pledges:pledge_feedback", args=[pledge.pk])

    response = client_as("secretary").post(url, data)

    assert response.status_code == 200
    assert field_message in response.text
    if data.get("comment"):
        assert data["comment"] in response.text
    assert Feedback.objects.count() == 0


def test_feedback_record_refused_once_the_pledge_is_evaluated(client_as, org):
    pledge = walked(org, S.EVALUATED)
    url = reverse("pledges:pledge_feedback", args=[pledge.pk])
    client = client_as("secretary")
    assert "代群众记录评议" not in client.get(url).text

    response = client.post(url, {"rating": "satisfied", "gathered_at": "电话"})

    assert "这项承诺现在不接受评议。" in response.text
    assert Feedback.objects.count() == 0


def test_feedback_record_service_refuses_staff(org):
    pledge = walked(org, S.IN_PROGRESS)

    with pytest.raises(PermissionDenied):
        services.feedback_record(
            pledge=pledge, actor=org.town_staff, rating="satisfied", comment="", gathered_at="电话"
        )


@pytest.mark.parametrize("size", [1, 60])
def test_pledge_feedback_runs_a_fixed_number_of_queries(
    client_as, org, size, django_assert_max_num_queries
):
    pledge = walked(org, S.IN_PROGRESS)
    for number in range(size):
        online_feedback(
            pledge,
            address=f"10.0.0.{number}",
            comment=f"留言{number}",
            comment_status=CommentStatus.APPROVED,
            moderated_by=org.town_staff,
        )
        Feedback.objects.create(
            pledge=pledge,
            rating=FeedbackRating.FAIRLY_SATISFIED,
            comment=f"记录{number}",
            comment_status=CommentStatus.PENDING,
            channel=FeedbackChannel.RECORDED,
            recorded_by=org.secretary,
            gathered_at="群众会",
        )
    client = client_as("town_staff")

    with django_assert_max_num_queries(8):
        response = client.get(reverse("pledges:pledge_feedback", args=[pledge.pk]))

    assert response.status_code == 200
    assert response.text.count('<span class="badge comment-') == min(2 * size, 30)


# ---------------------------------------------------------------------------
# Moderation
# ---------------------------------------------------------------------------

MODERATE_MATRIX = {
    "secretary": 302,
    "other_secretary": 404,
    "town_staff": 302,
    "other_town_staff": 404,
    "district_staff": 302,
    "anonymous": 302,
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("decision", "status"),
    [("approve", CommentStatus.APPROVED), ("reject", CommentStatus.REJECTED)],
)
def test_feedback_moderate_permission_matrix(client_as, org, role, decision, status):
    pledge = walked(org, S.IN_PROGRESS)
    feedback = online_feedback(pledge, comment="路灯修好了", comment_status=CommentStatus.PENDING)
    url = reverse("pledges:feedback_moderate", args=[feedback.pk])

    response = client_as(role).post(url, {"decision": decision})

    assert response.status_code == MODERATE_MATRIX[role]
    feedback.refresh_from_db()
    if role in ("secretary", "town_staff", "district_staff"):
        assert response.url == reverse("pledges:pledge_feedback", args=[pledge.pk])
        assert (feedback.comment_status, feedback.moderated_by) == (status, getattr(org, role))
    else:
        assert (feedback.comment_status, feedback.moderated_by) == (CommentStatus.PENDING, None)
    if role == "anonymous":
        assert response.url == login_url(url)


def test_feedback_moderate_takes_post_only(client_as, org):
    feedback = online_feedback(
        walked(org, S.IN_PROGRESS), comment="好", comment_status=CommentStatus.PENDING
    )

    response = client_as("secretary").get(reverse("pledges:feedback_moderate", args=[feedback.pk]))

    assert response.status_code == 405


def test_feedback_moderate_can_take_an_approved_comment_down(client_as, org):
    feedback = online_feedback(
        walked(org, S.IN_PROGRESS), comment="电话 138", comment_status=CommentStatus.APPROVED
    )
    client = client_as("secretary")
    queue = reverse("pledges:branch_feedback", args=[org.branch.pk])

    response = client.post(
        reverse("pledges:feedback_moderate", args=[feedback.pk]),
        {"decision": "reject", "next": queue},
    )

    assert response.url == queue
    feedback.refresh_from_db()
    assert feedback.comment_status == CommentStatus.REJECTED


@pytest.mark.parametrize(
    ("decision", "message"),
    [("maybe", "请选择公开或不公开。"), ("approve", "这条评议没有留言，无需审核。")],
)
def test_feedback_moderate_refusals_are_shown(client_as, org, decision, message):
    feedback = online_feedback(walked(org, S.IN_PROGRESS))
    client = client_as("secretary")

    response = client.post(
        reverse("pledges:feedback_moderate", args=[feedback.pk]),
        {"decision": decision},
        follow=True,
    )

    assert message in response.text
    feedback.refresh_from_db()
    assert feedback.comment_status == CommentStatus.NONE


def test_feedback_moderate_ignores_a_next_off_the_site(client_as, org):
    feedback = online_feedback(
        walked(org, S.IN_PROGRESS), comment="好", comment_status=CommentStatus.PENDING
    )

    response = client_as("secretary").post(
        reverse("pledges:feedback_moderate", args=[feedback.pk]),
        {"decision": "approve", "next": "https://evil.example/"},
    )

    assert response.url == reverse("pledges:pledge_feedback", args=[feedback.pledge_id])


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("secretary", True),
        ("other_secretary", False),
        ("town_staff", True),
        ("other_town_staff", False),
        ("district_staff", True),
    ],
)
def test_feedback_moderate_service_permissions(org, who, allowed):
    feedback = online_feedback(
        walked(org, S.IN_PROGRESS), comment="好", comment_status=CommentStatus.PENDING
    )

    if allowed:
        services.feedback_moderate(feedback=feedback, actor=getattr(org, who), approve=True)
        feedback.refresh_from_db()
        assert feedback.comment_status == CommentStatus.APPROVED
    else:
        with pytest.raises(PermissionDenied):
            services.feedback_moderate(feedback=feedback, actor=getattr(org, who), approve=True)


# ---------------------------------------------------------------------------
# The branch's queue of comments waiting for approval
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_branch_feedback_permission_matrix(client_as, org, role):
    online_feedback(
        walked(org, S.IN_PROGRESS), comment="范寨村的留言", comment_status=CommentStatus.PENDING
    )
    url = reverse("pledges:branch_feedback", args=[org.branch.pk])

    response = client_as(role).get(url)

    assert response.status_code == READ_MATRIX[role]
    assert ("范寨村的留言" in response.text) is (READ_MATRIX[role] == 200)
    if READ_MATRIX[role] == 302:
        assert response.url == login_url(url)


def test_branch_feedback_lists_only_the_branchs_pending_comments(client_as, org):
    pledge = walked(org, S.IN_PROGRESS, title="范寨村承诺")
    other = walked(org, S.IN_PROGRESS, branch=org.other_branch, title="姬石村承诺")
    online_feedback(pledge, comment="等待审核的", comment_status=CommentStatus.PENDING)
    online_feedback(pledge, "10.0.0.2", comment="已经公开的", comment_status=CommentStatus.APPROVED)
    online_feedback(pledge, "10.0.0.3", comment="不公开的", comment_status=CommentStatus.REJECTED)
    online_feedback(other, comment="别的支部的", comment_status=CommentStatus.PENDING)

    text = (
        client_as("town_staff").get(reverse("pledges:branch_feedback", args=[org.branch.pk])).text
    )

    assert "等待审核的" in text
    assert "范寨村承诺" in text
    for hidden in ("已经公开的", "不公开的", "别的支部的", "姬石村承诺"):
        assert hidden not in text


def test_branch_feedback_queries_do_not_grow_with_comments(
    client_as, org, django_assert_max_num_queries
):
    def page_queries():
        client = client_as("secretary")
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("pledges:branch_feedback", args=[org.branch.pk]))
        assert response.status_code == 200
        return len(queries)

    member = factories.make_member(org.branch)
    pledge = walked(org, S.IN_PROGRESS, member=member, branch=None)
    Feedback.objects.create(
        pledge=pledge,
        rating=FeedbackRating.SATISFIED,
        comment="记录",
        comment_status=CommentStatus.PENDING,
        channel=FeedbackChannel.RECORDED,
        recorded_by=org.secretary,
        gathered_at="电话",
    )
    small = page_queries()
    for number in range(45):
        target = walked(org, S.PUBLISHED) if number % 3 else pledge
        online_feedback(
            target, f"10.0.1.{number}", comment=f"留言{number}", comment_status="pending"
        )

    assert page_queries() == small
    client = client_as("district_staff")
    with django_assert_max_num_queries(7):
        client.get(reverse("pledges:branch_feedback", args=[org.branch.pk]))


@pytest.mark.parametrize(
    ("status", "shown"),
    [(S.DRAFT, False), (S.APPROVED, False), (S.PUBLISHED, True), (S.EVALUATED, True)],
)
def test_pledge_detail_links_to_its_feedback_once_public(client_as, org, status, shown):
    pledge = walked(org, status)

    text = client_as("town_staff").get(reverse("pledges:pledge_detail", args=[pledge.pk])).text

    assert (reverse("pledges:pledge_feedback", args=[pledge.pk]) in text) is shown


@pytest.mark.parametrize(
    ("comment", "status", "bumps"),
    [("", "none", False), ("很好", "pending", False), ("很好", "approved", True)],
)
def test_only_a_moderation_decision_changes_the_public_pages(org, comment, status, bumps):
    import datetime

    from branches.models import Branch
    from pledges.models import Feedback

    pledge = factories.walk_to(
        factories.make_pledge(branch=org.branch),
        "published",
        secretary=org.secretary,
        staff=org.town_staff,
    )
    old = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    Branch.objects.filter(pk=org.branch.pk).update(public_changed_at=old)
    Feedback.objects.create(
        pledge=pledge,
        rating="satisfied",
        comment=comment,
        comment_status=status,
        address_hash="x" * 64,
    )
    stamp = Branch.objects.get(pk=org.branch.pk).public_changed_at
    assert (stamp != old) == bumps
