"""Where a form's `next` may send a person, and the 400 page for control characters."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from branches.http import NEXT_MAX_LENGTH, parse_id, parse_ids, safe_next_url, this_page_url
from pledges.enums import CommentStatus, FeedbackRating, NeedStatus, PledgeStatus
from pledges.models import Feedback, Need, ProgressRecord
from reviews.enums import ReviewRating
from reviews.models import QuarterlyReview
from tests import factories

DEFAULT = "/work/branches/1/needs/"
BAD_REQUEST_TEXT = "请求有误"
# C0 controls but tab, line feed and carriage return, and DEL: what the 400 page is for.
CONTROL_CHARACTERS = [chr(code) for code in range(0x20) if code not in (9, 10, 13)] + ["\x7f"]


# ---------------------------------------------------------------------------
# safe_next_url
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/work/approvals/", "/work/approvals/"),
        ("/work/branches/1/needs/?status=open&category=env", None),
        ("/work/reviews/2026/q1/?branch=3#pledge-4", None),
        ("/", None),
        ("/搜索/😀", None),
        ("/" + "a" * (NEXT_MAX_LENGTH - 1), None),
        # Not a path of this site: the default.
        ("", DEFAULT),
        ("-1", DEFAULT),
        ("0", DEFAULT),
        ("😀", DEFAULT),
        ("\x00", DEFAULT),
        ("pledges:approvals", DEFAULT),
        ("approvals", DEFAULT),
        ("work/approvals/", DEFAULT),
        ("./approvals/", DEFAULT),
        ("../", DEFAULT),
        (" /work/", DEFAULT),
        ("//evil.example/", DEFAULT),
        ("///evil.example/", DEFAULT),
        ("/\\evil.example/", DEFAULT),
        ("\\\\evil.example/", DEFAULT),
        ("https://evil.example/phish", DEFAULT),
        ("http://testserver/work/", DEFAULT),
        ("javascript:alert(1)", DEFAULT),
        ("JavaScript:alert(1)", DEFAULT),
        ("data:text/html,<b>x</b>", DEFAULT),
        ("/work/\x00", DEFAULT),
        ("/work/\r\nSet-Cookie: a=b", DEFAULT),
        ("/work/\t", DEFAULT),
        ("/work/\x7f", DEFAULT),
        ("/work/\u200e", DEFAULT),
        ("/" + "a" * NEXT_MAX_LENGTH, DEFAULT),
    ],
)
def test_safe_next_url_table(target, expected):
    request = RequestFactory().post("/work/needs/1/drop/", {"next": target})

    assert safe_next_url(request, DEFAULT) == (expected or target)


def test_safe_next_url_reads_the_form_before_the_query_string():
    factory = RequestFactory()

    from_form = factory.post("/x/?next=/from-query/", {"next": "/from-form/"})
    from_query = factory.post("/x/?next=/from-query/", {})
    junk_form = factory.post("/x/?next=/from-query/", {"next": "-1"})

    assert safe_next_url(from_form, DEFAULT) == "/from-form/"
    assert safe_next_url(from_query, DEFAULT) == "/from-query/"
    assert safe_next_url(junk_form, DEFAULT) == DEFAULT


def test_safe_next_url_over_https_keeps_a_path():
    request = RequestFactory().post("/x/", {"next": "/work/"}, secure=True)

    assert safe_next_url(request, DEFAULT) == "/work/"


# Every view that follows a `next`: a junk one sends the person to the view's own default
# (these answered 500 with NoReverseMatch when "-1" was taken for a view name).
def _pledge(org, status):
    pledge = factories.make_pledge(branch=org.branch, year=2026)
    return factories.walk_to(pledge, status, secretary=org.secretary, staff=org.district_staff)


def _need_drop(org):
    need = factories.make_need(branch=org.branch)
    url = reverse("pledges:need_drop", args=[need.pk])
    return "secretary", url, {}, reverse("pledges:needs", args=[org.branch.pk])


def _pledge_move(org):
    pledge = _pledge(org, PledgeStatus.SUBMITTED)
    url = reverse("pledges:pledge_move", args=[pledge.pk, "approve"])
    return "town_staff", url, {}, reverse("pledges:pledge_detail", args=[pledge.pk])


def _feedback_moderate(org):
    pledge = _pledge(org, PledgeStatus.IN_PROGRESS)
    feedback = Feedback.objects.create(
        pledge=pledge,
        rating=FeedbackRating.SATISFIED,
        comment="路灯修好了",
        comment_status=CommentStatus.PENDING,
        address_hash="x",
        day=timezone.localdate(),
    )
    url = reverse("pledges:feedback_moderate", args=[feedback.pk])
    default = reverse("pledges:pledge_feedback", args=[pledge.pk])
    return "secretary", url, {"decision": "approve"}, default


def _member_reissue(org):
    member = factories.make_member(org.branch)
    url = reverse("pledges:member_reissue", args=[member.pk])
    return "secretary", url, {}, reverse("branches:member_edit", args=[member.pk])


def _quarterly_review(org):
    pledge = _pledge(org, PledgeStatus.IN_PROGRESS)
    url = reverse("reviews:quarterly_review", args=[pledge.pk, 2026, 1])
    prefix = f"p{pledge.pk}"
    data = {f"{prefix}-rating": ReviewRating.GOOD, f"{prefix}-on_schedule": "yes"}
    back = reverse("reviews:quarterly", args=[2026, 1]) + f"?branch={org.branch.pk}"
    return "town_staff", url, data, f"{back}#pledge-{pledge.pk}"


@pytest.mark.parametrize(
    "view", [_need_drop, _pledge_move, _feedback_moderate, _member_reissue, _quarterly_review]
)
@pytest.mark.parametrize("target", ["-1", "😀", "", "//evil.example/", "javascript:alert(1)"])
def test_views_with_next_fall_back_to_their_default(client_as, org, view, target):
    role, url, data, default = view(org)

    response = client_as(role).post(url, {**data, "next": target})

    assert response.status_code == 302
    assert response["Location"] == default


def test_quarterly_review_follows_a_site_path(client_as, org):
    role, url, data, default = _quarterly_review(org)
    back = reverse("reviews:quarterly", args=[2026, 1]) + "?page=2"

    response = client_as(role).post(url, {**data, "next": back})

    assert response["Location"] == back + default[default.index("#") :]
    assert QuarterlyReview.objects.count() == 1


# ---------------------------------------------------------------------------
# Ids from forms and query strings, and the page's own address
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", 7),
        ("007", 7),
        ("0", 0),
        ("9" * 18, int("9" * 18)),
        # str.isdigit() passes these, int() or the database refuses them.
        ("²", None),
        ("١٢", None),
        ("１２", None),
        ("9" * 19, None),
        ("9" * 400, None),
        # Not digits at all.
        ("-1", None),
        (" 1", None),
        ("1.0", None),
        ("", None),
        (None, None),
        (7, None),
    ],
)
def test_parse_id_table(value, expected):
    assert parse_id(value) == expected


def test_parse_ids_keeps_order_drops_junk_and_repeats():
    assert parse_ids(["3", "²", "1", "3", "9" * 30, "-2", "2"]) == [3, 1, 2]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", "/work/reviews/cross-off/"),
        ("branch=3&page=2", "/work/reviews/cross-off/?branch=3&page=2"),
        ("branch=" + "长" * 5000, "/work/reviews/cross-off/"),
    ],
)
def test_this_page_url_keeps_filters_unless_too_long(query, expected):
    request = RequestFactory().post(
        f"/work/reviews/cross-off/?{query}" if query else "/work/reviews/cross-off/"
    )

    assert this_page_url(request) == expected


def _junk_reads(org):
    """(role, method, URL, the parameter read as an id): views that read ids from a form
    or a query string, and answered 500 to "²" or to twenty nines."""
    year = 2026
    return [
        ("town_staff", "post", reverse("reviews:halfyear_verify", args=[year]), "pledges"),
        ("town_staff", "post", reverse("reviews:cross_off"), "pledges"),
        ("town_staff", "post", reverse("reviews:quarterly", args=[year, 1]), "pledges"),
        ("town_staff", "post", reverse("reviews:yearend", args=[year]), "confirm"),
        ("town_staff", "post", reverse("pledges:approve_many"), "pledges"),
        ("secretary", "get", reverse("pledges:branch_pledges", args=[org.branch.pk]), "pledger"),
        ("secretary", "get", reverse("pledges:branch_letters", args=[org.branch.pk]), "year"),
        ("secretary", "get", reverse("pledges:wall_sheet", args=[org.branch.pk]), "member"),
        ("secretary", "post", reverse("pledges:pledge_add", args=[org.branch.pk]), "member"),
        ("secretary", "post", reverse("pledges:pledge_add", args=[org.branch.pk]), "needs"),
        ("secretary", "post", reverse("pledges:publish_many", args=[org.branch.pk]), "pledges"),
        ("anonymous", "get", reverse("public:district_site"), "c"),
        ("anonymous", "get", reverse("public:district_site"), "page"),
        ("district_organiser", "get", reverse("branches:org_branches"), "committee"),
        ("district_organiser", "get", reverse("branches:org_import_export"), "branch"),
    ]


@pytest.mark.parametrize("junk", ["²", "9" * 20], ids=["superscript", "twenty-nines"])
def test_junk_ids_are_no_server_error(client_as, org, junk):
    factories.make_member(org.branch)
    for role, method, url, name in _junk_reads(org):
        response = getattr(client_as(role), method)(url, {name: junk})

        assert response.status_code < 500, (url, name)


def test_cross_off_with_a_long_query_string_returns_to_the_page(client_as, org):
    """Django refuses a redirect past 16 384 characters (400): once the pledges were
    crossed off, the answer returns to the page without its filters instead."""
    pledge = _pledge(org, PledgeStatus.COMPLETED)
    url = reverse("reviews:cross_off")

    response = client_as("town_staff").post(
        f"{url}?branch={'长' * 5000}", {"pledges": [str(pledge.pk)]}
    )

    assert response.status_code == 302
    assert response["Location"] == url
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.VERIFIED


# ---------------------------------------------------------------------------
# ControlCharacterMiddleware and the 400 page
# ---------------------------------------------------------------------------


def _assert_bad_request_page(response, *, control_characters=True):
    assert response.status_code == 400
    assert BAD_REQUEST_TEXT in response.text
    assert ("无法识别的字符" in response.text) == control_characters


@pytest.mark.parametrize("character", CONTROL_CHARACTERS, ids=lambda c: f"U+{ord(c):04X}")
def test_control_character_in_query_string_is_refused(client, db, character):
    response = client.get(reverse("public:search"), {"q": f"范寨{character}村"})

    _assert_bad_request_page(response)
    # The way back is the same page without its query string.
    assert f'href="{reverse("public:search")}"' in response.text


@pytest.mark.parametrize("character", ["\x00", "\x1b", "\x7f"], ids=["NUL", "ESC", "DEL"])
def test_control_character_in_query_string_name_is_refused(client, db, character):
    response = client.get(f"{reverse('public:search')}?a{character}b=1")

    _assert_bad_request_page(response)


def test_nul_in_staff_search_is_refused_not_a_database_error(client_as, org):
    """PostgreSQL refuses NUL in text (a DataError, 500, before the check)."""
    client = client_as("town_staff")

    for url in (
        reverse("pledges:branch_list"),
        reverse("pledges:members", args=[org.branch.pk]),
    ):
        _assert_bad_request_page(client.get(url, {"q": "\x00"}))


def _need_data(**values):
    return {
        "description": "村东生产路树木缺人浇水",
        "category": "environment",
        "urgency": "medium",
        "source": "home_visit",
        **values,
    }


@pytest.mark.parametrize("character", CONTROL_CHARACTERS, ids=lambda c: f"U+{ord(c):04X}")
def test_control_character_in_form_field_is_refused(client_as, org, character):
    url = reverse("pledges:need_add", args=[org.branch.pk])

    response = client_as("secretary").post(
        url, _need_data(description=f"缺水{character}"), HTTP_REFERER=f"http://testserver{url}"
    )

    _assert_bad_request_page(response)
    assert f'href="{url}"' in response.text
    assert Need.objects.count() == 0


@pytest.mark.parametrize("character", ["\x00", "\x08", "\x7f"], ids=["NUL", "BS", "DEL"])
def test_control_character_in_form_field_name_is_refused(client_as, org, character):
    url = reverse("pledges:need_add", args=[org.branch.pk])

    response = client_as("secretary").post(url, {**_need_data(), f"x{character}": "1"})

    _assert_bad_request_page(response)
    assert Need.objects.count() == 0


def test_tab_and_line_breaks_in_a_textarea_are_kept(client_as, org):
    description = "第一行\r\n第二行\n\t缩进的第三行"

    response = client_as("secretary").post(
        reverse("pledges:need_add", args=[org.branch.pk]), _need_data(description=description)
    )

    assert response.status_code == 302
    need = Need.objects.get()
    assert need.description == description
    assert need.status == NeedStatus.OPEN


def _jpeg(name="现场.jpg"):
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), "green").save(buffer, format="JPEG")
    # A JPEG is full of NUL and other control bytes: files are never checked.
    assert b"\x00" in buffer.getvalue()
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_multipart_upload_with_photos_still_works(client_as, org, media):
    pledge = _pledge(org, PledgeStatus.IN_PROGRESS)

    response = client_as("secretary").post(
        reverse("pledges:progress_add", args=[pledge.pk]),
        {
            "happened_on": timezone.localdate().isoformat(),
            "description": "组织党员浇水\r\n共 120 棵",
            "photos": [_jpeg(), _jpeg("second.jpg")],
        },
    )

    assert response.status_code == 302
    assert ProgressRecord.objects.get().photos.count() == 2


def test_multipart_upload_with_control_character_in_a_text_field_is_refused(client_as, org, media):
    pledge = _pledge(org, PledgeStatus.IN_PROGRESS)

    response = client_as("secretary").post(
        reverse("pledges:progress_add", args=[pledge.pk]),
        {
            "happened_on": timezone.localdate().isoformat(),
            "description": "浇水\x00",
            "photos": [_jpeg()],
        },
    )

    _assert_bad_request_page(response)
    assert ProgressRecord.objects.count() == 0


def test_djangos_own_bad_request_renders_the_chinese_page(client, db, settings):
    """A SuspiciousOperation (here too many fields) answers with the same 400 page."""
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 2

    response = client.post(reverse("login"), {"a": "1", "b": "2", "c": "3"})

    _assert_bad_request_page(response, control_characters=False)


def test_disallowed_host_renders_the_chinese_page(client, db):
    response = client.get(reverse("public:search"), HTTP_HOST="evil.example")

    _assert_bad_request_page(response, control_characters=False)
    assert f'href="{reverse("home")}"' in response.text
