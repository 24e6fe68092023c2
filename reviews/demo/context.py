"""The shared pieces of one district's build: the demo year, branches, pledge drafts."""

import datetime
import random
from dataclasses import dataclass, field

from branches.models import Branch, Member
from pledges.enums import PledgeMove
from pledges.models import Need, Pledge
from reviews.demo.plan import BranchPlan


@dataclass
class Clock:
    """The demo year: events run from the campaign's start to yesterday evening."""

    year: int
    today: datetime.date
    start: datetime.datetime
    end: datetime.datetime
    recent_start: datetime.datetime
    report_months: list[datetime.date]

    @classmethod
    def around(cls, now: datetime.datetime, *, report_month_count: int) -> "Clock":
        today = now.date()
        end = now.replace(hour=18, minute=0, second=0, microsecond=0) - datetime.timedelta(days=1)
        start = now.replace(month=1, day=1, hour=9, minute=0, second=0, microsecond=0)
        # Early in the year the campaign began last winter, so there is history to show.
        start = min(start, end - datetime.timedelta(days=120))
        recent_start = max(start, end - datetime.timedelta(days=50))
        months, month = [], today.replace(day=1)
        for _ in range(report_month_count):
            month = (month - datetime.timedelta(days=1)).replace(day=1)
            months.append(month)
        return cls(today.year, today, start, end, recent_start, months[::-1])

    @property
    def year_end(self) -> datetime.date:
        return datetime.date(self.year, 12, 31)


def moment_between(
    rng: random.Random, start: datetime.datetime, end: datetime.datetime, share: float = 1.0
) -> datetime.datetime:
    """A random moment in the first `share` of [start, end]."""
    span = max((end - start).total_seconds(), 0) * share
    return start + datetime.timedelta(seconds=rng.random() * span)


@dataclass
class BranchContext:
    """A saved branch with the users who act for it and its (saved) members."""

    plan: BranchPlan
    branch: Branch
    secretary_user_id: int
    staff_user_id: int  # staff of the branch's committee: approves, verifies, evaluates
    members: list[Member] = field(default_factory=list)
    paired_village: "BranchContext | None" = None

    @property
    def key(self) -> str:
        return self.plan.key


@dataclass
class PledgeDraft:
    """A pledge with what its history needs; `pledge` gets its id at insert."""

    pledge: Pledge
    owner: BranchContext
    need_pool: str  # key of the branch whose needs list the pledge answers
    need_key: str = ""
    progress_notes: tuple[str, ...] = ()
    # Named pledges come with the status the article reports.
    fixed_status: bool = False
    path: list[PledgeMove] = field(default_factory=list)
    times: list[datetime.datetime] = field(default_factory=list)  # creation, then each move
    needs: list[Need] = field(default_factory=list)

    def moment_of(self, move: PledgeMove) -> datetime.datetime | None:
        for name, moment in zip(self.path, self.times[1:], strict=True):
            if name == move:
                return moment
        return None
