"""一图三册 on paper, in a real headless Chromium: the 范寨村 secretary prints a member's
activity manual, the branch work manual, the record manual, the chart and the letter to all
members to A4 PDFs, as from the browser's print dialog. The text is read back with pdftotext
(poppler-utils): each PDF holds the names, titles and dates it should, in order, and no
page is blank."""

import os
import re
import shutil
import subprocess

import pytest
from django.core.management import call_command
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from branches.models import Branch
from pledges.enums import PledgeStatus
from pledges.figures import LIVE
from pledges.models import Pledge, ProgressRecord
from tests.test_browser_flow import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDFTOTEXT = shutil.which("pdftotext")
PAGE_NUMBER = re.compile(r"—\s*\d+\s*—")


@pytest.fixture(autouse=True)
def needs_pdftotext():
    if PDFTOTEXT is None:
        message = "needs pdftotext (apt-get install poppler-utils; .ci/run installs it)"
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)


def print_pdf(page, base, path, tmp_path, name) -> list[str]:
    """Open the page, print it to an A4 PDF as the browser's dialog does, and return the
    text of each PDF page."""
    response = page.goto(base + path)
    assert response.status == 200, path
    target = tmp_path / f"{name}.pdf"
    page.pdf(path=str(target), prefer_css_page_size=True, print_background=True)
    text = subprocess.run(
        [PDFTOTEXT, "-layout", str(target), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = text.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def squeezed(text: str) -> str:
    """Text without white space: a title a table cell wraps reads back whole."""
    return "".join(text.split())


def assert_in_order(pages: list[str], expected: list[str]) -> None:
    text = squeezed("".join(pages))
    position = 0
    for item in expected:
        found = text.find(squeezed(item), position)
        assert found >= 0, f"{item!r} not found after position {position}"
        position = found + len(squeezed(item))


def assert_no_blank_page(pages: list[str], *, header: str = "") -> None:
    """Every page holds something besides the running header and its page number."""
    for number, text in enumerate(pages, start=1):
        rest = PAGE_NUMBER.sub("", text)
        if header:
            rest = rest.replace(header, "")
        assert squeezed(rest), f"page {number} of {len(pages)} is blank"


def day(date) -> str:
    return f"{date.year}年{date.month}月{date.day}日"


def test_fanzhai_prints_its_manuals_chart_and_letter(live_server, page, tmp_path):
    call_command("seed_demo", "--bulk", verbosity=0)
    base = live_server.url
    year = timezone.localdate().year
    branch = Branch.objects.get(name="范寨村党支部")
    header = f"{branch.name} · {year}年度"
    # The member with the most pledges this year that have progress records.
    member = (
        branch.members.filter(is_active=True)
        .annotate(
            n=Count(
                "pledges",
                filter=Q(pledges__year=year) & ~Q(pledges__status=PledgeStatus.DRAFT),
            )
        )
        .order_by("-n", "name")
        .first()
    )
    titles = list(
        Pledge.objects.filter(member=member, year=year)
        .exclude(status=PledgeStatus.DRAFT)
        .order_by("due_date", "pk")
        .values_list("title", flat=True)
    )
    assert titles
    sign_in(page, base, "fanzhai")

    # 党员活动手册: the cover with the member's name, then each pledge of the year.
    pages = print_pdf(
        page, base, reverse("reviews:member_manual", args=[member.pk]), tmp_path, "member"
    )
    assert len(pages) >= 3
    assert_in_order(pages, ["党员活动手册", member.name, branch.name, *titles])
    assert header in pages[1]  # the running header, not on the cover
    assert header not in pages[0]
    assert_no_blank_page(pages, header=header)

    # 党支部工作手册: the branch, then its own pledges in order.
    own = list(
        Pledge.objects.filter(owner_branch=branch, member=None, year=year)
        .exclude(status=PledgeStatus.DRAFT)
        .order_by("due_date", "pk")
        .values_list("title", flat=True)
    )
    pages = print_pdf(
        page, base, reverse("reviews:branch_work_manual", args=[branch.pk]), tmp_path, "work"
    )
    assert_in_order(pages, ["党支部工作手册", branch.name, "支部承诺", *own])
    assert_no_blank_page(pages, header=header)

    # 践行承诺记实手册: a pledge with several records, its title then each date in order.
    pledge = (
        Pledge.objects.filter(owner_branch=branch, year=year, status__in=LIVE.statuses)
        .annotate(records=Count("progress_records"))
        .order_by("-records", "pk")
        .first()
    )
    dates = list(
        ProgressRecord.objects.filter(pledge=pledge)
        .order_by("happened_on", "pk")
        .values_list("happened_on", flat=True)
    )
    assert len(dates) >= 2
    pages = print_pdf(
        page, base, reverse("pledges:record_manual", args=[branch.pk]), tmp_path, "record"
    )
    assert_in_order(pages, ["践行承诺记实手册", branch.name, pledge.title, *map(day, dates)])
    assert_no_blank_page(pages, header=header)

    # 一图: one A4 landscape page with the branch's six steps.
    pages = print_pdf(page, base, reverse("reviews:chart") + f"?b={branch.pk}", tmp_path, "chart")
    assert len(pages) == 1
    assert_in_order(pages, ["研诺", "定诺", "示诺", "践诺", "督诺", "用诺"])

    # 致全区党员的一封信: one page for each member on the roll, each with their name.
    names = list(
        branch.members.filter(is_active=True).order_by("name", "pk").values_list("name", flat=True)
    )
    pages = print_pdf(
        page, base, reverse("pledges:members_letter", args=[branch.pk]), tmp_path, "letter"
    )
    assert len(pages) == len(names)
    for text, name in zip(pages, names, strict=True):
        assert squeezed(f"{name}同志") in squeezed(text)
    assert_no_blank_page(pages)
