"""QR codes: the public images (through a real decoder), the printed wall sheet and poster,
the reissue of a member's code and the consent switch."""

import io
import re
import xml.etree.ElementTree as ET

import pytest
import qrcode
import zxingcpp
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from PIL import Image

from branches import services
from branches.enums import ExemptionReason
from branches.models import Branch, Member, RetiredToken
from pledges import public, qr
from pledges.enums import PledgeStatus
from tests.conftest import ROLES
from tests.factories import make_member, make_pledge, walk_to

BASE_URL = "https://dangjian.example.gov.cn"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def _public_base_url(settings):
    settings.PUBLIC_BASE_URL = BASE_URL


@pytest.fixture(autouse=True)
def _empty_cache():
    """Failed lookups are counted in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


def qr_url(kind: str, token: str) -> str:
    return reverse(f"public:qr_{kind}", args=[token])


def decode_png(content: bytes) -> list[str]:
    image = Image.open(io.BytesIO(content)).convert("L")
    return [result.text for result in zxingcpp.read_barcodes(image)]


def cell_names(response) -> list[str]:
    return re.findall(r'<p class="code-name">([^<]*)</p>', response.content.decode())


# ---------------------------------------------------------------------------
# The public images
# ---------------------------------------------------------------------------
def test_public_url_is_base_url_and_token_path():
    assert qr.public_url("ABCDEFGHJK") == f"{BASE_URL}/q/ABCDEFGHJK/"


def test_qr_png_round_trip_decodes_to_member_page(org, client):
    member = make_member(org.branch, name="李荣花")
    pledge = make_pledge(member=member, title="每月给村东生产路树木浇水一次")
    walk_to(pledge, PledgeStatus.PUBLISHED, secretary=org.secretary, staff=org.town_staff)

    response = client.get(qr_url("png", member.public_token))

    assert response.status_code == 200
    assert decode_png(response.content) == [f"{BASE_URL}/q/{member.public_token}/"]
    page = client.get(decode_png(response.content)[0].removeprefix(BASE_URL))
    assert page.status_code == 200
    assert "李荣花" in page.content.decode()
    assert "每月给村东生产路树木浇水一次" in page.content.decode()


def test_qr_svg_is_one_path_without_text(org, client):
    member = make_member(org.branch)

    response = client.get(qr_url("svg", member.public_token))

    root = ET.fromstring(response.content)
    assert root.tag == f"{SVG}svg"
    assert len(root.findall(f"{SVG}path")) == 1
    assert root.findall(f".//{SVG}text") == []
    assert root.find(f"{SVG}path").get("d").startswith("M")


def test_qr_code_has_level_q_and_quiet_zone_of_four(org):
    member = make_member(org.branch)

    code = qr.qr_code(member.public_token)

    assert code.error_correction == qrcode.constants.ERROR_CORRECT_Q
    assert code.border == 4


def test_qr_png_keeps_quiet_zone_white(org, client):
    member = make_member(org.branch)
    modules = qr.qr_code(member.public_token).modules_count

    image = Image.open(io.BytesIO(client.get(qr_url("png", member.public_token)).content))

    quiet = 4 * qr.PNG_BOX_SIZE
    assert image.size == ((modules + 8) * qr.PNG_BOX_SIZE,) * 2
    assert image.convert("L").crop((0, 0, image.width, quiet)).getextrema() == (255, 255)
    assert image.convert("L").crop((0, 0, quiet, image.height)).getextrema() == (255, 255)


@pytest.mark.parametrize(("kind", "content_type"), [("svg", "image/svg+xml"), ("png", "image/png")])
def test_qr_image_is_cached_for_a_day_by_token(org, client, kind, content_type):
    member = make_member(org.branch)

    response = client.get(qr_url(kind, member.public_token))

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Cache-Control"] == "public, max-age=86400"
    assert response["ETag"] == f'"{member.public_token}"'


@pytest.mark.parametrize("kind", ["svg", "png"])
def test_qr_image_not_modified_when_etag_matches(org, client, kind):
    member = make_member(org.branch)

    response = client.get(
        qr_url(kind, member.public_token), HTTP_IF_NONE_MATCH=f'"{member.public_token}"'
    )

    assert response.status_code == 304
    assert response.content == b""


@pytest.mark.parametrize("kind", ["svg", "png"])
def test_qr_image_of_branch_and_lower_case_token(org, client, kind):
    response = client.get(qr_url(kind, org.branch.public_token.lower()))

    assert response.status_code == 200
    if kind == "png":
        assert decode_png(response.content) == [f"{BASE_URL}/q/{org.branch.public_token}/"]


@pytest.mark.parametrize("kind", ["svg", "png"])
def test_qr_image_of_member_without_public_page_still_served(org, client, kind):
    member = make_member(org.branch, public_page_enabled=False)

    assert client.get(qr_url(kind, member.public_token)).status_code == 200


@pytest.mark.parametrize("kind", ["svg", "png"])
@pytest.mark.parametrize("token", ["ABCDEFGHJK", "ABC", "ABCDEFGHJ0", "RETIRED"])
def test_qr_image_of_unknown_or_retired_token_is_404(org, client, kind, token):
    if token == "RETIRED":
        member = make_member(org.branch)
        token = member.public_token
        services.member_token_reissue(member=member, actor=org.secretary)

    assert client.get(qr_url(kind, token)).status_code == 404


@pytest.mark.parametrize("kind", ["svg", "png"])
def test_qr_image_once_served_costs_no_query(org, client, kind, django_assert_num_queries):
    member = make_member(org.branch)
    first = client.get(qr_url(kind, member.public_token))

    with django_assert_num_queries(0):
        again = client.get(qr_url(kind, member.public_token))

    assert again.status_code == 200
    assert again.content == first.content


@pytest.mark.parametrize("kind", ["svg", "png"])
def test_qr_image_of_a_reissued_code_is_dropped_at_once(org, client, kind):
    member = make_member(org.branch)
    token = member.public_token
    assert client.get(qr_url(kind, token)).status_code == 200

    services.member_token_reissue(member=member, actor=org.secretary)

    assert client.get(qr_url(kind, token)).status_code == 404


@pytest.mark.parametrize("kind", ["svg", "png"])
def test_qr_image_misses_are_rate_limited_with_the_code_pages(org, client, kind):
    member = make_member(org.branch)
    for _ in range(public.MISS_LIMIT):
        assert client.get(qr_url(kind, "ABCDEFGHJK")).status_code == 404

    blocked = client.get(qr_url(kind, "ABCDEFGHJM"))

    assert blocked.status_code == 429
    assert blocked["Cache-Control"] == "no-store"
    assert client.get(reverse("public:by_token", args=["ABCDEFGHJN"])).status_code == 429
    assert client.get(qr_url(kind, member.public_token)).status_code == 200
    assert client.get(reverse("public:by_token", args=[member.public_token])).status_code == 200


def test_qr_image_malformed_tokens_are_not_counted(org, client):
    member = make_member(org.branch)
    for _ in range(public.MISS_LIMIT + 1):
        assert client.get(qr_url("png", "ABCDEFGHJ0")).status_code == 404

    assert client.get(qr_url("png", member.public_token)).status_code == 200


# ---------------------------------------------------------------------------
# Reissue and consent
# ---------------------------------------------------------------------------
def test_member_reissue_retires_old_token_and_new_code_works(org, client_as):
    member = make_member(org.branch, name="李荣花")
    old_token = member.public_token
    client = client_as("secretary")

    response = client.post(reverse("pledges:member_reissue", args=[member.pk]))

    member.refresh_from_db()
    retired = RetiredToken.objects.get(token=old_token)
    assert response.status_code == 302
    assert response["Location"] == reverse("branches:member_edit", args=[member.pk])
    assert member.public_token != old_token
    assert (retired.member, retired.branch, retired.retired_by) == (
        member,
        org.branch,
        org.secretary,
    )
    assert client.get(qr_url("png", old_token)).status_code == 404
    old_page = client.get(reverse("public:by_token", args=[old_token]))
    assert old_page.status_code == 200
    assert org.branch.name in old_page.content.decode()
    assert "李荣花" not in old_page.content.decode()
    new_png = client.get(qr_url("png", member.public_token))
    assert decode_png(new_png.content) == [f"{BASE_URL}/q/{member.public_token}/"]
    [message] = get_messages(response.wsgi_request)
    print_link = reverse("pledges:wall_sheet", args=[org.branch.pk]) + f"?member={member.pk}"
    assert print_link in str(message)


def test_member_token_reissue_skips_tokens_in_use(org, monkeypatch):
    member = make_member(org.branch)
    other = make_member(org.branch)
    other = services.member_token_reissue(member=other, actor=org.secretary)
    retired = RetiredToken.objects.get(member=other).token
    candidates = iter([other.public_token, org.branch.public_token, retired, "FRESH2TKEN"])
    monkeypatch.setattr(services.members, "new_public_token", lambda: next(candidates))

    member = services.member_token_reissue(member=member, actor=org.secretary)

    assert member.public_token == "FRESH2TKEN"
    assert Member.objects.get(pk=member.pk).public_token == "FRESH2TKEN"


def test_member_token_reissue_gives_up_and_keeps_the_old_token(org, monkeypatch):
    member = make_member(org.branch)
    old_token = member.public_token
    monkeypatch.setattr(services.members, "new_public_token", lambda: org.branch.public_token)

    with pytest.raises(RuntimeError):
        services.member_token_reissue(member=member, actor=org.secretary)

    assert Member.objects.get(pk=member.pk).public_token == old_token
    assert not RetiredToken.objects.exists()


def test_member_reissue_twice_retires_both_codes(org, client_as):
    member = make_member(org.branch)
    first = member.public_token
    client = client_as("secretary")

    client.post(reverse("pledges:member_reissue", args=[member.pk]))
    member.refresh_from_db()
    second = member.public_token
    client.post(reverse("pledges:member_reissue", args=[member.pk]))
    member.refresh_from_db()

    assert set(RetiredToken.objects.filter(member=member).values_list("token", flat=True)) == {
        first,
        second,
    }
    assert member.public_token not in {first, second}


@pytest.mark.parametrize(
    ("start", "posted", "expected"),
    [(True, "0", False), (False, "1", True), (True, "1", True), (False, "0", False)],
)
def test_member_public_page_switches_consent(org, client_as, start, posted, expected):
    member = make_member(org.branch, public_page_enabled=start)

    response = client_as("secretary").post(
        reverse("pledges:member_public_page", args=[member.pk]), {"enabled": posted}
    )

    member.refresh_from_db()
    assert response.status_code == 302
    assert member.public_page_enabled is expected


def test_member_public_page_change_bumps_branch_stamp(org, client_as):
    member = make_member(org.branch)
    before = Branch.objects.get(pk=org.branch.pk).public_changed_at

    client_as("secretary").post(
        reverse("pledges:member_public_page", args=[member.pk]), {"enabled": "0"}
    )

    assert Branch.objects.get(pk=org.branch.pk).public_changed_at > before


def test_member_reissue_and_public_page_refuse_get(org, client_as):
    member = make_member(org.branch)
    client = client_as("secretary")

    for name in ("pledges:member_reissue", "pledges:member_public_page"):
        assert client.get(reverse(name, args=[member.pk])).status_code == 405
    assert not RetiredToken.objects.exists()


# ---------------------------------------------------------------------------
# Permission matrix
# ---------------------------------------------------------------------------
VIEW_OUTCOMES = {
    "secretary": 200,
    "other_secretary": 404,
    "town_staff": 200,
    "other_town_staff": 404,
    "district_staff": 200,
    "anonymous": 302,
}
MOVE_OUTCOMES = {
    "secretary": 302,
    "other_secretary": 404,
    "town_staff": 403,
    "other_town_staff": 404,
    "district_staff": 403,
    "anonymous": 302,
}


@pytest.mark.parametrize("name", ["pledges:wall_sheet", "pledges:poster"])
@pytest.mark.parametrize("who", ROLES)
def test_printing_permissions(org, client_as, name, who):
    make_member(org.branch, name="李荣花")

    response = client_as(who).get(reverse(name, args=[org.branch.pk]))

    assert response.status_code == VIEW_OUTCOMES[who]
    if who == "anonymous":
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("who", ROLES)
def test_member_reissue_permissions(org, client_as, who):
    member = make_member(org.branch)
    old_token = member.public_token

    response = client_as(who).post(reverse("pledges:member_reissue", args=[member.pk]))

    member.refresh_from_db()
    assert response.status_code == MOVE_OUTCOMES[who]
    assert (member.public_token != old_token) is (who == "secretary")
    assert RetiredToken.objects.filter(token=old_token).exists() is (who == "secretary")


@pytest.mark.parametrize("who", ROLES)
def test_member_public_page_permissions(org, client_as, who):
    member = make_member(org.branch)

    response = client_as(who).post(
        reverse("pledges:member_public_page", args=[member.pk]), {"enabled": "0"}
    )

    member.refresh_from_db()
    assert response.status_code == MOVE_OUTCOMES[who]
    assert member.public_page_enabled is (who != "secretary")


# ---------------------------------------------------------------------------
# The wall sheet and the poster
# ---------------------------------------------------------------------------
def test_wall_sheet_lists_active_members_by_name_after_branch_cell(org, client_as):
    make_member(org.branch, name="王卫东")
    make_member(org.branch, name="姬国胜", is_exempt=True, exemption_reason=ExemptionReason.OLD_AGE)
    make_member(org.branch, name="李荣花", public_page_enabled=False)
    make_member(org.branch, name="范离开", is_active=False)
    make_member(org.other_branch, name="姬外人")

    response = client_as("town_staff").get(reverse("pledges:wall_sheet", args=[org.branch.pk]))

    expected = sorted(["王卫东", "姬国胜", "李荣花"])
    assert cell_names(response) == [org.branch.name, *expected]


def test_wall_sheet_codes_are_the_members_tokens(org, client_as):
    members = [make_member(org.branch) for _ in range(3)]

    content = (
        client_as("secretary")
        .get(reverse("pledges:wall_sheet", args=[org.branch.pk]))
        .content.decode()
    )

    tokens = re.findall(r'<span class="code-token">([^<]*)</span>', content)
    assert tokens == [org.branch.public_token] + [
        m.public_token for m in sorted(members, key=lambda m: (m.name, m.pk))
    ]
    assert content.count("<svg ") == 4


@pytest.mark.parametrize(("members", "pages"), [(0, 1), (5, 1), (6, 2), (11, 2), (12, 3)])
def test_wall_sheet_puts_six_cells_on_a_page(org, client_as, members, pages):
    for _ in range(members):
        make_member(org.branch)

    content = (
        client_as("secretary")
        .get(reverse("pledges:wall_sheet", args=[org.branch.pk]))
        .content.decode()
    )

    assert content.count('<section class="code-sheet') == pages
    assert content.count('class="code-sheet last"') == 1


def test_wall_sheet_of_one_member_after_reissue(org, client_as):
    member = make_member(org.branch, name="李荣花")
    make_member(org.branch, name="王卫东")

    response = client_as("secretary").get(
        reverse("pledges:wall_sheet", args=[org.branch.pk]), {"member": member.pk}
    )

    assert cell_names(response) == ["李荣花"]


@pytest.mark.parametrize("member", ["0", "abc"])
def test_wall_sheet_of_unknown_member_is_empty(org, client_as, member):
    make_member(org.branch, name="王卫东")
    far_member = make_member(org.far_branch, name="远方人")

    response = client_as("secretary").get(
        reverse("pledges:wall_sheet", args=[org.branch.pk]),
        {"member": member if member != "0" else far_member.pk},
    )

    assert response.status_code == 200
    assert cell_names(response) == []


@pytest.mark.parametrize("count", [5, 70])
def test_wall_sheet_query_count_is_fixed(org, client_as, django_assert_max_num_queries, count):
    for _ in range(count):
        make_member(org.branch)
    client = client_as("secretary")

    with django_assert_max_num_queries(6):
        response = client.get(reverse("pledges:wall_sheet", args=[org.branch.pk]))

    assert len(cell_names(response)) == count + 1


def test_poster_shows_branch_code_and_call_to_scan(org, client_as):
    content = (
        client_as("district_staff")
        .get(reverse("pledges:poster", args=[org.branch.pk]))
        .content.decode()
    )

    assert org.branch.name in content
    assert "扫码查看本支部和党员的公开承诺" in content
    assert content.count("<svg ") == 1
    assert org.branch.public_token in content


@pytest.mark.django_db
def test_wall_sheet_of_demo_fanzhai_has_71_members(client):
    call_command("seed_demo", "--bulk", verbosity=0)
    branch = Branch.objects.get(name="范寨村党支部")
    client.force_login(branch.secretary)

    response = client.get(reverse("pledges:wall_sheet", args=[branch.pk]))

    assert len(cell_names(response)) == 1 + 71
    assert branch.members.filter(is_active=True).count() == 71
