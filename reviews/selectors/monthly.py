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

    @property
    def roll(self) -> list[tuple[Member, bool]]:
        """Every active member in roll order, with whether they reported this month."""
        return [(member, member.pk in self.reports) for member in self.members]

    def member(self, member_id: int) -> Member | None:
        """The active member with this id; None for anyone else (off the roll, another
        branch, unknown)."""
        return next((member for member in self.members if member.pk == member_id), None)

    def neighbours(self, member: Member) -> tuple[Member | None, Member | None]:
        """The members before and after this one in roll order (None at either end)."""
        index = self.members.index(member)
        before = self.members[index - 1] if index > 0 else None
        after = self.members[index + 1] if index + 1 < len(self.members) else None
        return before, after

    def next_to_report(
        self, *, after: Member | None = None, reported_ids: set[int] | None = None
    ) -> Member | None:
        """The next member without a report, in roll order: the first one, or the first
        after `after`, wrapping round to the top and never `after` itself; None when
        every other member has reported. `reported_ids` overrides this month's reports
        (after a save the sheet read before it is one member out of date)."""
        reported = set(self.reports) if reported_ids is None else reported_ids
        start = self.members.index(after) + 1 if after is not None else 0
        skipped = reported | ({after.pk} if after is not None else set())
        ordered = self.members[start:] + self.members[:start]
        return next((m for m in ordered if m.pk not in skipped), None)


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
