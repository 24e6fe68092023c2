"""Reads for the monthly report page: one month of a branch's reports."""

import datetime
from dataclasses import dataclass, field

from branches.models import Branch, Member
from pledges.selectors import month_start
from reviews.models import MonthlyReport


def previous_month(month: datetime.date) -> datetime.date:
    return month_start(month_start(month) - datetime.timedelta(days=1))


def next_month(month: datetime.date) -> datetime.date:
    return month_start(month_start(month) + datetime.timedelta(days=32))


@dataclass
class MonthlySheet:
    """The theme-party-day sheet of one branch for one month."""

    branch: Branch
    month: datetime.date
    # Every active member, exempt ones included: they still attend the party day.
    members: list[Member]
    # member id -> report, for this month and the month before.
    reports: dict[int, MonthlyReport] = field(default_factory=dict)
    last_reports: dict[int, MonthlyReport] = field(default_factory=dict)
    # Reports of this month by members no longer on the roll, kept for the record.
    departed_reports: list[MonthlyReport] = field(default_factory=list)

    @property
    def previous_month(self) -> datetime.date:
        return previous_month(self.month)

    @property
    def reported_count(self) -> int:
        return sum(1 for member in self.members if member.pk in self.reports)


def monthly_sheet(*, branch: Branch, month: datetime.date) -> MonthlySheet:
    """The branch's active members with this month's and last month's reports: two
    queries whatever the number of members."""
    month = month_start(month)
    last = previous_month(month)
    members = list(Member.objects.filter(branch=branch, is_active=True).order_by("name", "pk"))
    active_ids = {member.pk for member in members}
    sheet = MonthlySheet(branch=branch, month=month, members=members)
    reports = (
        MonthlyReport.objects.filter(member__branch=branch, month__in=[month, last])
        .select_related("member", "recorded_by")
        .order_by("member__name", "member_id")
    )
    for report in reports:
        if report.month == last:
            sheet.last_reports[report.member_id] = report
        elif report.member_id in active_ids:
            sheet.reports[report.member_id] = report
        else:
            sheet.departed_reports.append(report)
    return sheet
