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
    """One demo year: events run from the campaign's start to `end`, yesterday evening for
    the year under way, the last evening of December for a year gone by.

    The year's fixed sessions (the half-year 销号, the later crossing-off sessions, the
    year-end 评议 and publication) happen only when their day falls before `end`.
    """

    year: int
    today: datetime.date  # the day the seed runs
    start: datetime.datetime
    end: datetime.datetime
    recent_start: datetime.datetime

    @classmethod
    def around(cls, now: datetime.datetime) -> "Clock":
        """The year under way at `now`."""
        end = now.replace(hour=18, minute=0, second=0, microsecond=0) - datetime.timedelta(days=1)
        start = now.replace(month=1, day=1, hour=9, minute=0, second=0, microsecond=0)
        # Early in the year the campaign began last winter, so there is history to show.
        start = min(start, end - datetime.timedelta(days=120))
        recent_start = max(start, end - datetime.timedelta(days=50))
        return cls(now.year, now.date(), start, end, recent_start)

    @classmethod
    def year_before(cls, now: datetime.datetime) -> "Clock":
        """The whole year before the one under way at `now`: every session happened."""
        start = now.replace(
            year=now.year - 1, month=1, day=1, hour=9, minute=0, second=0, microsecond=0
        )
        end = start.replace(month=12, day=31, hour=18)
        return cls(now.year - 1, now.date(), start, end, end - datetime.timedelta(days=50))

    @property
    def year_end(self) -> datetime.date:
        return datetime.date(self.year, 12, 31)

    @property
    def is_over(self) -> bool:
        return self.end.date() >= self.year_end

    def at(self, day: datetime.date, hour: int = 10, minute: int = 0) -> datetime.datetime:
        """The moment `day` at `hour`:`minute`, in the year's time zone."""
        return self.start.replace(
            year=day.year, month=day.month, day=day.day, hour=hour, minute=minute
        )

    def happened(self, moment: datetime.datetime) -> bool:
        return moment <= self.end

    def day(self, month: int, day: int) -> datetime.date:
        return datetime.date(self.year, month, day)

    # The sessions of the review calendar, each on its fixed day of the year.
    @property
    def crossing_off_days(self) -> list[datetime.date]:
        """Upper staff cross off (销号) the completed pledges: at the half-year check,
        after the third quarter, and before the year-end evaluation."""
        days = [self.day(7, 6), self.day(10, 12), self.day(12, 14)]
        return [day for day in days if self.happened(self.at(day, 16))]

    @property
    def notice_day(self) -> datetime.date:
        return self.day(7, 8)

    @property
    def feedback_days(self) -> tuple[datetime.date, datetime.date]:
        """The village-by-village evaluation (逐村评议) gathers the villagers' word."""
        return self.day(12, 1), self.day(12, 13)

    @property
    def evaluation_day(self) -> datetime.date:
        return self.day(12, 18)

    @property
    def confirmation_day(self) -> datetime.date:
        return self.day(12, 22)

    @property
    def publication_day(self) -> datetime.date:
        return self.day(12, 28)

    @property
    def evaluates(self) -> bool:
        """Whether the year got as far as its year-end evaluation and publication."""
        return self.happened(self.at(self.publication_day, 17))

    def briefing_day(self, quarter: int) -> datetime.date:
        return quarter_last_day(self.year, quarter) - datetime.timedelta(days=12)

    def review_day(self, quarter: int) -> datetime.date:
        return quarter_last_day(self.year, quarter) - datetime.timedelta(days=5)

    def sign_off_day(self, quarter: int) -> datetime.date:
        return quarter_last_day(self.year, quarter) - datetime.timedelta(days=2)

    @property
    def report_months(self) -> list[datetime.date]:
        """First days of the months whose theme party day (the 10th to the 25th) may have
        come: every month begun before `end`."""
        return [
            datetime.date(self.year, month, 1)
            for month in range(1, 13)
            if self.happened(self.at(datetime.date(self.year, month, 10), 9))
            and datetime.date(self.year, month, 1) >= self.start.date().replace(day=1)
        ]


def quarter_last_day(year: int, quarter: int) -> datetime.date:
    first_of_next = datetime.date(year + quarter // 4, quarter % 4 * 3 + 1, 1)
    return first_of_next - datetime.timedelta(days=1)


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
    # Filled by a played year: the saved pledge, and the planned time nodes.
    saved: Pledge | None = None
    demo_nodes: list = field(default_factory=list)

    def moment_of(self, move: PledgeMove) -> datetime.datetime | None:
        for name, moment in zip(self.path, self.times[1:], strict=True):
            if name == move:
                return moment
        return None
