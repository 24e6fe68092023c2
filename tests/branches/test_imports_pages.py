"""The import pages: the permission grid of every URL for every role, and the flows of
upload, preview, confirm and abandon."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from branches.enums import Gender, ImportKind, ImportStatus
from branches.imports.services import import_batch_create
from branches.models import ImportBatch, Member, OrganisationChange
from tests import factories
from tests.branches.imports_support import member_row, xlsx
from tests.conftest import ORGANISATION_ROLES

LOGIN_URL = reverse("login")
REFUSED = {role: 403 for role in ORGANISATION_ROLES} | {"anonymous": 302}


def _upload(content=None, name="名册.xlsx"):
    return SimpleUploadedFile(name, content if content is not None else xlsx([member_row()]))


def _batch(org, committee=None, content=None, **extra):
    return import_batch_create(
        kind=extra.pop("kind", ImportKind.MEMBERS),
        committee=committee or org.town,
        filename="名册.xlsx",
        content=content if content is not None else xlsx([member_row()]),
        full_roster=extra.pop("full_roster", False),
        actor=org.district_organiser,
    )


# (name, method, URL arguments, status for district_organiser, for town_organiser)
URLS = [
    ("home", "get", lambda org, batch: reverse("branches:org_import_home"), 302, 302),
    (
        "index members",
        "get",
        lambda org, b: reverse("branches:org_import_index", args=["members"]),
        200,
        200,
    ),
    (
        "index organisation",
        "get",
        lambda org, b: reverse("branches:org_import_index", args=["organisation"]),
        200,
        200,
    ),
    (
        "upload",
        "post",
        lambda org, b: reverse("branches:org_import_upload", args=["members"]),
        302,
        302,
    ),
    (
        "template",
        "get",
        lambda org, b: reverse("branches:org_import_template", args=["organisation"]),
        200,
        200,
    ),
    ("export", "get", lambda org, b: reverse("branches:org_import_export"), 200, 200),
    (
        "export branch",
        "get",
        lambda org, b: reverse("branches:org_import_export") + f"?branch={org.far_branch.pk}",
        200,
        404,
    ),
    (
        "preview",
        "get",
        lambda org, b: reverse("branches:org_import_preview", args=[b.pk]),
        200,
        404,
    ),
    (
        "confirm",
        "post",
        lambda org, b: reverse("branches:org_import_confirm", args=[b.pk]),
        200,
        404,
    ),
    (
        "abandon",
        "post",
        lambda org, b: reverse("branches:org_import_abandon", args=[b.pk]),
        302,
        404,
    ),
]


@pytest.mark.parametrize("who", ORGANISATION_ROLES)
@pytest.mark.parametrize(
    "method, url, district, town", [case[1:] for case in URLS], ids=[c[0] for c in URLS]
)
def test_import_url_permission_grid(org, client_as, who, method, url, district, town):
    batch = _batch(org, committee=org.other_town, content=xlsx([member_row(党支部="远村党支部")]))
    expected = {**REFUSED, "district_organiser": district, "town_organiser": town}[who]
    client = client_as(who)
    data = {}
    if method == "post":
        data = {"file": _upload(), "committee": org.town.pk, "fingerprint": "x"}

    response = getattr(client, method)(url(org, batch), data)

    assert response.status_code == expected
    if who == "anonymous":
        assert response["Location"].startswith(LOGIN_URL)
    if expected in (403, 404):
        assert "远村党支部" not in response.content.decode()
        assert ImportBatch.objects.get(pk=batch.pk).status == ImportStatus.PENDING
    assert not Member.objects.exists()


def test_import_unknown_kind_is_404(org, client_as):
    response = client_as("town_organiser").get("/work/organisation/imports/pledges/")

    assert response.status_code == 404


@pytest.mark.parametrize(
    "name, content, expected",
    [
        ("名册.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "另存为 .xlsx"),
        ("名册.docx", b"hello", "这不是电子表格文件"),
        ("名册.xlsx", xlsx([member_row()], headers=["姓名", "身份证号"]), "不是模板中的列"),
    ],
)
def test_upload_refused_file_stays_on_the_page_and_stores_nothing(
    org, client_as, name, content, expected
):
    response = client_as("town_organiser").post(
        reverse("branches:org_import_upload", args=["members"]),
        {"file": _upload(content, name), "committee": org.town.pk},
    )

    assert response.status_code == 200
    assert expected in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_upload_refuses_a_scope_outside_the_subtree(org, client_as):
    response = client_as("town_organiser").post(
        reverse("branches:org_import_upload", args=["members"]),
        {"file": _upload(), "committee": org.other_town.pk},
    )

    assert response.status_code == 200
    assert not ImportBatch.objects.exists()


def _confirm(client, batch, **data):
    preview = client.get(reverse("branches:org_import_preview", args=[batch.pk]))
    data.setdefault("fingerprint", preview.context["fingerprint"])
    return client.post(reverse("branches:org_import_confirm", args=[batch.pk]), data)


def test_upload_preview_confirm_writes_the_roster(org, client_as):
    client = client_as("town_organiser")
    response = client.post(
        reverse("branches:org_import_upload", args=["members"]),
        {
            "file": _upload(xlsx([member_row(), member_row(姓名="王建国", 性别="男")])),
            "committee": org.town.pk,
        },
    )
    batch = ImportBatch.objects.get()
    assert response["Location"] == reverse("branches:org_import_preview", args=[batch.pk])

    preview = client.get(response["Location"])
    assert preview.status_code == 200
    assert "no-store" in preview["Cache-Control"] and "private" in preview["Cache-Control"]
    assert [row.status for row in preview.context["rows"]] == ["new", "new"]
    assert not Member.objects.exists()

    confirmed = _confirm(client, batch)

    assert confirmed.status_code == 302
    assert sorted(Member.objects.values_list("name", flat=True)) == ["李荣花", "王建国"]
    batch.refresh_from_db()
    assert (batch.status, batch.summary["written"]) == (
        ImportStatus.APPLIED,
        {"new": 2, "changed": 0, "rolled_off": 0},
    )
    outcome = client.get(reverse("branches:org_import_preview", args=[batch.pk]))
    assert "导入结果" in outcome.content.decode()
    assert outcome.context["plan"] is None
    again = client.post(
        reverse("branches:org_import_confirm", args=[batch.pk]), {"fingerprint": "x"}
    )
    assert again.status_code == 200
    assert Member.objects.count() == 2
    assert OrganisationChange.objects.count() == 1


def test_preview_with_row_errors_cannot_be_confirmed(org, client_as):
    client = client_as("town_organiser")
    batch = _batch(
        org, content=xlsx([member_row(), member_row(姓名="王建国", 出生年份="１９５６")])
    )

    preview = client.get(reverse("branches:org_import_preview", args=[batch.pk]) + "?show=problems")
    page = preview.content.decode()
    assert "第 3 行“出生年份”：“１９５６”含全角数字：请改为半角数字“1956”。" in page
    assert [row.number for row in preview.context["rows"]] == [3]
    assert "disabled" in page

    response = _confirm(client, batch)

    assert response.status_code == 200
    assert "表格中还有错误" in response.content.decode()
    assert not Member.objects.exists()
    batch.refresh_from_db()
    assert batch.status == ImportStatus.PENDING


def test_preview_opens_on_the_problems_when_there_are_any(org, client_as):
    client = client_as("town_organiser")
    batch = _batch(
        org, content=xlsx([member_row(), member_row(姓名="王建国", 出生年份="１９５６")])
    )

    preview = client.get(reverse("branches:org_import_preview", args=[batch.pk]))

    assert preview.context["show"] == "problems"
    assert [row.number for row in preview.context["rows"]] == [3]


def test_preview_of_a_large_roster_lists_its_rows_a_page_at_a_time(org, client_as):
    client = client_as("town_organiser")
    rows = [member_row(姓名=f"党员{number:03d}") for number in range(250)]
    batch = _batch(org, content=xlsx(rows))
    url = reverse("branches:org_import_preview", args=[batch.pk])

    first = client.get(url)
    last = client.get(url + "?show=&page=3")

    assert first.context["show"] == ""
    assert [row.number for row in first.context["rows"]] == list(range(2, 102))
    assert [row.number for row in last.context["rows"]] == list(range(202, 252))
    assert "第 1 / 3 页" in first.content.decode()


def test_confirm_after_the_database_changed_shows_the_new_preview(org, client_as):
    client = client_as("town_organiser")
    batch = _batch(org)
    stale = client.get(reverse("branches:org_import_preview", args=[batch.pk])).context[
        "fingerprint"
    ]
    factories.make_member(org.branch, name="李荣花", phone="123-4567")

    response = client.post(
        reverse("branches:org_import_confirm", args=[batch.pk]), {"fingerprint": stale}
    )

    assert response.status_code == 200
    assert "预览之后数据已有变化" in response.content.decode()
    assert [row.status for row in response.context["rows"]] == ["changed"]
    assert Member.objects.get().phone == "123-4567"
    assert _confirm(client, batch).status_code == 302
    assert Member.objects.get().phone == "13900001111"


def test_confirm_asks_about_namesakes_until_answered(org, client_as):
    client = client_as("town_organiser")
    first = factories.make_member(org.branch, name="王建国", gender=Gender.MALE)
    factories.make_member(org.branch, name="王建国", gender=Gender.MALE)
    batch = _batch(org, content=xlsx([member_row(姓名="王建国", 性别="男")]))

    unanswered = _confirm(client, batch)
    assert unanswered.status_code == 200
    assert "第 2 行（范寨村党支部 · 王建国）：请选择是哪一名党员" in unanswered.content.decode()
    assert Member.objects.get(pk=first.pk).phone == ""

    answered = _confirm(client, batch, match_2=str(first.pk))

    assert answered.status_code == 302
    assert Member.objects.get(pk=first.pk).phone == "13900001111"


def test_confirm_takes_off_the_roll_only_the_ticked_members(org, client_as):
    client = client_as("town_organiser")
    ticked = factories.make_member(org.branch, name="离开甲")
    unticked = factories.make_member(org.branch, name="离开乙")
    batch = _batch(org, full_roster=True)
    page = client.get(reverse("branches:org_import_preview", args=[batch.pk])).content.decode()
    assert "不在名册中：移出在册？" in page

    response = _confirm(client, batch, roll_off=[str(ticked.pk)])

    assert response.status_code == 302
    assert Member.objects.get(pk=ticked.pk).is_active is False
    assert Member.objects.get(pk=unticked.pk).is_active is True


def test_abandon_writes_nothing_and_leaves_a_read_only_page(org, client_as):
    client = client_as("town_organiser")
    batch = _batch(org)

    response = client.post(reverse("branches:org_import_abandon", args=[batch.pk]))

    assert response["Location"] == reverse("branches:org_import_index", args=["members"])
    batch.refresh_from_db()
    assert batch.status == ImportStatus.ABANDONED
    assert bytes(batch.content) == b""  # personal data of a file never imported is dropped
    page = client.get(reverse("branches:org_import_preview", args=[batch.pk])).content.decode()
    assert "这批导入已放弃" in page and "确认导入" not in page
    assert not Member.objects.exists()


def test_index_lists_batches_of_the_subtree_only(org, client_as):
    mine = _batch(org)
    other = _batch(org, committee=org.other_town, content=xlsx([member_row(党支部="远村党支部")]))

    response = client_as("town_organiser").get(
        reverse("branches:org_import_index", args=["members"])
    )

    assert list(response.context["batches"]) == [mine]
    assert other.pk not in [b.pk for b in response.context["batches"]]


def test_template_and_export_downloads(org, client_as):
    factories.make_member(org.branch, name="李荣花", phone="13900001111")
    factories.make_member(org.far_branch, name="远方")
    client = client_as("town_organiser")

    template = client.get(reverse("branches:org_import_template", args=["members"]))
    export = client.get(reverse("branches:org_import_export"))

    assert "no-store" in template["Cache-Control"] and "no-store" in export["Cache-Control"]
    assert template["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(export.content)).active
    names = [row[3] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == ["李荣花"]
