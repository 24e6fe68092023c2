"""Formula injection: every .xlsx the site hands out writes typed text as text. Names and
comments that look like formulas come back unchanged and never as a formula, whichever
export carries them; numbers and dates keep their types."""

import datetime
import decimal
import io
import re
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from branches.enums import ExemptionReason, ImportKind
from branches.xlsx import build_workbook, workbook_bytes, write_cell
from pledges.enums import PledgeStatus
from reviews.enums import ReviewRating
from reviews.models import BranchGrade, PointsEntry, QuarterlyReview
from reviews.services.quarterly import quarterly_review_save
from tests import factories

YEAR = timezone.localdate().year
# Text a person could type that Excel (or a CSV reader) would take for a formula.
HOSTILE = [
    '=HYPERLINK("http://x","x")',
    "=1+1",
    "+1",
    "-1",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
]
# An <f> element (a formula) of a sheet's XML, with or without a namespace prefix.
FORMULA_ELEMENT = re.compile(r"<(?:\w+:)?f[\s>/]")


def read_back(text: str) -> str:
    """What a reader gets for `text`: XML carries no bare CR, so line ends read as LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _pledge(org, branch, title):
    pledge = factories.make_pledge(branch=branch, year=YEAR, title=title)
    return factories.walk_to(
        pledge, PledgeStatus.IN_PROGRESS, secretary=branch.secretary, staff=org.district_staff
    )


# Each export: (who downloads it, a function making the hostile data and returning the
# URL, the hostile texts the file must carry).
def _dashboard(org):
    for text in HOSTILE:
        factories.make_branch(org.town, name=text)
    return "district_staff", reverse("dashboard_export"), HOSTILE


def _quarterly(org):
    for number, text in enumerate(HOSTILE):
        quarterly_review_save(
            pledge=_pledge(org, org.branch, f"承诺{number}"),
            year=YEAR,
            quarter=1,
            actor=org.town_staff,
            today=timezone.localdate(),
            rating=ReviewRating.GOOD,
            on_schedule=True,
            comment=text,
        )
    # The service trims a comment ("\t=1" is kept as "=1"): the file carries what is stored.
    stored = list(QuarterlyReview.objects.values_list("comment", flat=True))
    return "town_staff", reverse("reviews:quarterly_export", args=[YEAR, 1]), stored


def _yearend(org):
    for text in HOSTILE:
        member = factories.make_member(org.branch, name=text)
        PointsEntry.objects.create(member=member, year=YEAR, points=2, reason=text)
    BranchGrade.objects.create(
        branch=org.branch,
        year=YEAR,
        grade=ReviewRating.GOOD,
        reasons=HOSTILE[0],
        graded_by=org.town_staff,
    )
    return "town_staff", reverse("reviews:yearend_export", args=[YEAR]), HOSTILE


def _roster(org):
    for text in HOSTILE:
        factories.make_member(
            org.branch,
            name=text,
            phone="+8613900000000",
            is_exempt=True,
            exemption_reason=ExemptionReason.OTHER,
            exemption_note=text,
        )
    url = reverse("branches:org_import_export") + f"?branch={org.branch.pk}"
    return "town_organiser", url, [*HOSTILE, "+8613900000000"]


def _template(kind):
    def make(org):
        return "town_organiser", reverse("branches:org_import_template", args=[kind]), []

    return make


EXPORTS = {
    "dashboard": _dashboard,
    "quarterly": _quarterly,
    "yearend": _yearend,
    "roster": _roster,
    "organisation-template": _template(ImportKind.ORGANISATION),
    "members-template": _template(ImportKind.MEMBERS),
}


@pytest.fixture(params=sorted(EXPORTS))
def export(request, org, client_as):
    """(the downloaded bytes, the hostile texts they must carry) of one export."""
    who, url, hostile = EXPORTS[request.param](org)
    response = client_as(who).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    # The dashboard's export is streamed; the others come whole.
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content, hostile


def test_export_has_no_formula_cell(export):
    content, _hostile = export
    workbook = load_workbook(io.BytesIO(content))
    formulas = [
        f"{sheet.title}!{cell.coordinate}"
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]
    assert formulas == []


def test_export_sheet_xml_has_no_formula_element(export):
    content, _hostile = export
    with zipfile.ZipFile(io.BytesIO(content)) as package:
        sheets = [name for name in package.namelist() if name.startswith("xl/worksheets/")]
        assert sheets
        with_formulas = [
            name
            for name in sheets
            if name.endswith(".xml") and FORMULA_ELEMENT.search(package.read(name).decode())
        ]
    assert with_formulas == []


def test_export_reads_hostile_text_back_as_text(export):
    content, hostile = export
    workbook = load_workbook(io.BytesIO(content))
    expected = {read_back(text) for text in hostile}
    cells = [
        cell
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value in expected
    ]
    assert {cell.value for cell in cells} == expected
    assert {(cell.data_type, cell.quotePrefix) for cell in cells} <= {("s", True)}


def test_roster_export_keeps_numbers_and_dates_typed(org, client_as):
    factories.make_member(
        org.branch, name="=1+1", birth_year=1968, joined_on=datetime.date(1995, 7, 1)
    )
    url = reverse("branches:org_import_export") + f"?branch={org.branch.pk}"
    sheet = load_workbook(io.BytesIO(client_as("town_organiser").get(url).content)).active
    header = [cell.value for cell in sheet[1]]
    row = {header[index]: cell for index, cell in enumerate(sheet[2])}
    assert (row["姓名"].value, row["姓名"].data_type) == ("=1+1", "s")
    assert (row["出生年份"].value, row["出生年份"].data_type) == (1968, "n")
    assert row["入党日期"].value.date() == datetime.date(1995, 7, 1)
    assert row["入党日期"].is_date


@pytest.mark.parametrize(
    ("value", "stored", "data_type", "quote_prefix"),
    [
        *[(text, read_back(text), "s", True) for text in HOSTILE],
        ("#REF!", "#REF!", "s", False),
        ("李荣花", "李荣花", "s", False),
        ("a\r\nb", "a\nb", "s", False),
        # XML cannot carry these at all: the export shows a replacement mark instead of failing.
        ("响铃\x07符\x00", "响铃\ufffd符\ufffd", "s", False),
        (12, 12, "n", False),
        (2.5, 2.5, "n", False),
        (decimal.Decimal("1.5"), decimal.Decimal("1.5"), "n", False),
        (True, True, "b", False),
        (datetime.date(2026, 7, 1), datetime.date(2026, 7, 1), "d", False),
        (None, None, "n", False),
    ],
    ids=repr,
)
def test_write_cell_writes_values_never_formulas(value, stored, data_type, quote_prefix):
    sheet = Workbook().active
    cell = write_cell(sheet, row=1, column=1, value=value)
    assert (cell.value, cell.data_type, bool(cell.quotePrefix)) == (
        stored,
        data_type,
        quote_prefix,
    )


def test_build_workbook_writes_headers_and_rows_through_write_cell():
    workbook = build_workbook([("表", ["=标题", "n"], [["=1+1", 3]])])
    sheet = load_workbook(io.BytesIO(workbook_bytes(workbook)))["表"]
    assert [(cell.value, cell.data_type) for row in sheet.iter_rows() for cell in row] == [
        ("=标题", "s"),
        ("n", "s"),
        ("=1+1", "s"),
        (3, "n"),
    ]
