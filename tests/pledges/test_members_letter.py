"""致全区党员的一封信: district staff write the letter of a year once; it prints one A4
page per member on a branch's roll, with the member's name and QR code."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from branches.enums import OrganisationAction
from branches.models import Member, OrganisationChange
from pledges.models import MembersLetter
from pledges.qr import qr_inline_svg
from pledges.services.letters import LETTER_BODY_MAX_CHARS, members_letter_save
from tests import factories
from tests.conftest import ORGANISATION_ROLES

YEAR = 2026
PHONE = "13800001111"
BODY = "第一段：向谁承诺、承诺什么。\n\n第二段：如何兑现承诺。"
SIGNATURE = "中共示范区党工委"


def print_url(branch, year=YEAR):
    return reverse("pledges:members_letter", args=[branch.pk]) + f"?year={year}"


def edit_url(year=YEAR):
    return reverse("pledges:letter_edit") + f"?year={year}"


def write_letter(org, year=YEAR, **extra):
    return members_letter_save(
        committee=org.district,
        year=year,
        title=extra.pop("title", "致全区党员的一封信"),
        body=extra.pop("body", BODY),
        signature=extra.pop("signature", SIGNATURE),
        dated=extra.pop("dated", datetime.date(YEAR, 3, 1)),
        actor=extra.pop("actor", org.district_staff),
    )


def form_data(**extra):
    return {
        "title": "致全区党员的一封信",
        "body": BODY,
        "signature": SIGNATURE,
        "dated": f"{YEAR}-03-01",
        **extra,
    }


def assert_answer(response, expected):
    if expected == "login":
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    else:
        assert response.status_code == expected


# --- Who may print, who may write -----------------------------------------------------------

PRINT = {
    "secretary": 200,
    "other_secretary": 404,
    "town_staff": 200,
    "other_town_staff": 404,
    "district_staff": 200,
    "district_organiser": 404,  # keeps the organisation; reads no branch's pledges
    "town_organiser": 404,
    "anonymous": "login",
}
EDIT = {
    "secretary": 403,
    "other_secretary": 403,
    "town_staff": 403,
    "other_town_staff": 403,
    "district_staff": 200,
    "district_organiser": 200,
    "town_organiser": 403,
    "anonymous": "login",
}


@pytest.mark.parametrize("role", ORGANISATION_ROLES)
def test_members_letter_print_permission_matrix(org, client_as, role):
    write_letter(org)
    factories.make_member(org.branch, name="李荣花")
    response = client_as(role).get(print_url(org.branch))
    assert_answer(response, PRINT[role])
    assert ("李荣花同志：" in response.content.decode()) == (PRINT[role] == 200)


@pytest.mark.parametrize("role", ORGANISATION_ROLES)
def test_letter_edit_permission_matrix(org, client_as, role):
    assert_answer(client_as(role).get(edit_url()), EDIT[role])


@pytest.mark.parametrize("role", ORGANISATION_ROLES)
def test_letter_edit_by_others_writes_nothing(org, client_as, role):
    response = client_as(role).post(edit_url(), form_data())
    if EDIT[role] == 200:
        assert response.status_code == 302
        assert MembersLetter.objects.count() == 1
    else:
        assert_answer(response, EDIT[role])
        assert MembersLetter.objects.count() == 0
        assert OrganisationChange.objects.count() == 0


# --- Writing the letter ------------------------------------------------------------------------


def test_letter_edit_new_year_offers_a_draft_in_the_spirit_of_the_article(org, client_as):
    text = client_as("district_staff").get(edit_url()).content.decode()
    for expected in [
        "致全区党员的一封信",
        "研诺、定诺、示诺、践诺、督诺、用诺",
        "向谁承诺、承诺什么、怎么承诺、如何兑现承诺",
        "二维码",
        "中共示范区党工委",  # the signature drafted from the root committee's name
        "这一年的信还没有保存",
        'name="submission_key"',
    ]:
        assert expected in text, expected


def test_letter_edit_saves_and_writes_the_audit_row(org, client_as):
    response = client_as("district_staff").post(edit_url(), form_data())
    assert response.status_code == 302
    letter = MembersLetter.objects.get()
    assert (letter.committee, letter.year, letter.signature) == (org.district, YEAR, SIGNATURE)
    # Paragraphs are kept one a line, blank lines dropped.
    assert letter.body == "第一段：向谁承诺、承诺什么。\n第二段：如何兑现承诺。"
    assert letter.updated_by == org.district_staff
    change = OrganisationChange.objects.get()
    assert change.action == OrganisationAction.MEMBERS_LETTER_SAVE
    assert change.committee == org.district
    assert change.actor == org.district_staff
    assert change.subject == f"{YEAR}年《致全区党员的一封信》"
    assert set(change.changes) == {"标题", "正文", "落款", "落款日期"}
    text = client_as("district_staff").get(edit_url()).content.decode()
    assert "第二段：如何兑现承诺。" in text
    assert "最后修改：" in text


def test_letter_save_again_records_only_what_changed_and_nothing_when_unchanged(org):
    write_letter(org)
    write_letter(org)
    assert OrganisationChange.objects.count() == 1
    write_letter(org, signature="中共某某党工委", actor=org.district_organiser)
    change = OrganisationChange.objects.order_by("-pk").first()
    assert change.changes == {"落款": [SIGNATURE, "中共某某党工委"]}
    assert change.actor == org.district_organiser
    assert MembersLetter.objects.get().signature == "中共某某党工委"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"body": "长" * (LETTER_BODY_MAX_CHARS + 1)}, "正文最多 800 字"),
        ({"body": "\n".join(f"第{n}段" for n in range(9))}, "正文最多 8 段"),
        ({"signature": ""}, "请填写落款"),
        ({"title": ""}, "请填写标题"),
        ({"body": "  \n "}, "请填写正文"),
        ({"dated": "2026-02-30"}, "请按“2026-03-01”的格式填写落款日期"),
    ],
)
def test_letter_edit_bad_input_says_why_and_keeps_what_was_typed(org, client_as, changes, message):
    data = form_data(**{"title": "我写的标题", "signature": "我写的落款", **changes})
    response = client_as("district_staff").post(edit_url(), data)
    text = response.content.decode()
    assert response.status_code == 200
    assert message in text
    for name, value in data.items():
        if value.strip():
            assert value.strip().splitlines()[0] in text, name
    assert MembersLetter.objects.count() == 0
    assert OrganisationChange.objects.count() == 0


def test_letter_save_refuses_a_committee_below_the_root(org):
    with pytest.raises(ValidationError):
        members_letter_save(
            committee=org.town,
            year=YEAR,
            title="信",
            body=BODY,
            signature=SIGNATURE,
            dated=datetime.date(YEAR, 3, 1),
            actor=org.district_staff,
        )
    assert MembersLetter.objects.count() == 0


@pytest.mark.parametrize("who", ["town_staff", "secretary", "town_organiser"])
def test_letter_save_refuses_who_is_not_district_staff(org, who):
    with pytest.raises(PermissionDenied):
        write_letter(org, actor=getattr(org, who))
    assert MembersLetter.objects.count() == 0
    assert OrganisationChange.objects.count() == 0


# --- Printing it -----------------------------------------------------------------------------


def test_members_letter_prints_one_page_per_member_on_the_roll(org, client_as):
    write_letter(org)
    write_letter(org, year=YEAR - 1, body="去年的信")
    zhang = factories.make_member(org.branch, name="张三", phone=PHONE, birth_year=1966)
    li = factories.make_member(org.branch, name="李四", public_page_enabled=False)
    factories.make_member(org.branch, name="王五", is_active=False)
    factories.make_member(org.other_branch, name="别村党员")
    text = client_as("secretary").get(print_url(org.branch)).content.decode()
    assert text.count('<article class="manual members-letter">') == 2
    for expected in [
        "张三同志：",
        "李四同志：",
        "<p>第一段：向谁承诺、承诺什么。</p><p>第二段：如何兑现承诺。</p>",
        SIGNATURE,
        f"{YEAR}年3月1日",
        str(qr_inline_svg(zhang.public_token)),
        str(qr_inline_svg(li.public_token)),
        "扫码查看您的承诺公示",
        "扫码查看本支部承诺公示",  # 李四 withdrew consent: the code opens the board
    ]:
        assert expected in text, expected
    for absent in ["王五", "别村党员", "去年的信", PHONE, "1966", " style="]:
        assert absent not in text, absent
    # No running header on the letters.
    assert '@top-left { content: ""; }' in text


def test_members_letter_in_name_order(org, client_as):
    write_letter(org)
    for name in ["赵六", "张三", "李四"]:
        factories.make_member(org.branch, name=name)
    text = client_as("secretary").get(print_url(org.branch)).content.decode()
    names = Member.objects.filter(branch=org.branch).order_by("name").values_list("name", flat=True)
    positions = [text.index(f"{name}同志：") for name in names]
    assert positions == sorted(positions)


def test_members_letter_not_written_says_so_with_a_link_for_who_may_write(org, client_as):
    factories.make_member(org.branch, name="张三")
    write_letter(org, year=YEAR - 1)
    staff = client_as("district_staff").get(print_url(org.branch)).content.decode()
    assert f"示范区党工委还没有撰写{YEAR}年的《致全区党员的一封信》" in staff
    assert "张三同志：" not in staff
    assert "撰写这封信" in staff
    assert reverse("pledges:letter_edit") in staff
    secretary = client_as("secretary").get(print_url(org.branch)).content.decode()
    assert "还没有撰写" in secretary
    assert reverse("pledges:letter_edit") not in secretary


def test_members_letter_of_a_branch_without_members_says_so(org, client_as):
    write_letter(org)
    text = client_as("secretary").get(print_url(org.branch)).content.decode()
    assert "本支部没有在册党员" in text


def test_members_letter_query_count_is_fixed(org, client_as, django_assert_max_num_queries):
    write_letter(org)
    client = client_as("town_staff")
    counts = []
    for size in (2, 30):
        for index in range(size):
            factories.make_member(org.branch, name=f"党员{size}-{index:02d}")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(print_url(org.branch)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(9):
        client.get(print_url(org.branch))
