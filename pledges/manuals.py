"""Reads of the printed pages of 一图三册: the record manual (践行承诺记实手册) of a branch,
the letter to all members (致全区党员的一封信) and who may write that letter.

Each read runs a fixed number of queries whatever the number of pledges, records,
photos or members: rows are prefetched and grouped in Python.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import F, Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from branches.http import parse_id
from branches.models import PATH_SEGMENT_WIDTH, Branch, Committee, Member
from branches.permissions import is_organisation_staff_over, is_staff_over
from pledges.figures import LIVE
from pledges.models import MembersLetter, Pledge, ProgressPhoto, ProgressRecord, TimeNode
from pledges.workflow import OPEN_STATUSES

# The years a printed page may be asked for (as the review pages); anything else falls
# back to the year under way, and the page says so.
FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass(frozen=True)
class ManualYear:
    """The year a printed page is made for, and what was asked when it was refused."""

    year: int
    refused: str = ""


def manual_year(value, *, today: datetime.date) -> ManualYear:
    """The year in `?year=`: ASCII digits of a year within FIRST_YEAR..LAST_YEAR; the year
    under way when it is missing, and also when it is junk (then `refused` holds what was
    asked, for the page to say so). One definition for every printed page."""
    year = parse_id(value)
    if year is not None and FIRST_YEAR <= year <= LAST_YEAR:
        return ManualYear(year)
    refused = str(value)[:20] if value not in (None, "") else ""
    return ManualYear(today.year, refused=refused)


def manual_years(*, today: datetime.date) -> list[int]:
    """The years to offer: those that have pledges, and the year under way, newest first.
    One query."""
    years = set(Pledge.objects.order_by().values_list("year", flat=True).distinct())
    return sorted(years | {today.year}, reverse=True)


def running_header(branch: Branch, year: int) -> str:
    """The line at the top of every printed page: the branch and the year."""
    return _("%(branch)s · %(year)s年度") % {"branch": branch.name, "year": year}


# ---------------------------------------------------------------------------
# 践行承诺记实手册: by time node, member, pledge, progress
# ---------------------------------------------------------------------------


@dataclass
class ManualPart:
    """The pledges whose first time node (or due date) falls in one month."""

    month: datetime.date
    pledges: list[Pledge] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"part-{self.month:%Y-%m}"


@dataclass
class RecordManual:
    branch: Branch
    year: int
    parts: list[ManualPart]
    pledge_count: int
    record_count: int


OPEN, OVERDUE, DONE, NOT_NEEDED = "open", "overdue", "done", "not_needed"
NODE_STATE_LABELS = {
    OPEN: gettext_lazy("未到期"),
    OVERDUE: gettext_lazy("逾期未完成"),
    DONE: gettext_lazy("已完成"),
    NOT_NEEDED: gettext_lazy("不再需要"),
}


def node_state(node: TimeNode, *, reference: datetime.date, pledge_open: bool = True) -> str:
    """How a time node stands in every printed manual: done, no longer needed, or still
    open — overdue once its date is before `reference` (today, or the end of a past year)
    while its pledge is open."""
    if node.is_done:
        return DONE
    if node.is_not_needed:
        return NOT_NEEDED
    return OVERDUE if pledge_open and node.due_on < reference else OPEN


def record_manual_for(*, branch: Branch, year: int, today: datetime.date) -> RecordManual:
    """The branch's pledges of `year` (all but drafts and withdrawn ones: the LIVE set of
    pledges.figures), in parts by the month of each pledge's first time node (its due date
    when it has none), within a part the branch's own first, then by member name; each with
    its time nodes in date order and its progress records, oldest first, with their photos.
    Four queries: pledges with their members, time nodes, records, photos."""
    pledges = list(
        Pledge.objects.filter(owner_branch=branch, year=year, status__in=LIVE.statuses)
        .select_related("member")
        .prefetch_related(
            Prefetch("time_nodes", queryset=TimeNode.objects.order_by("due_on", "pk")),
            Prefetch(
                "progress_records",
                queryset=ProgressRecord.objects.order_by("happened_on", "pk")
                .only("pk", "pledge_id", "happened_on", "description")
                .prefetch_related(
                    Prefetch(
                        "photos",
                        queryset=ProgressPhoto.objects.order_by("pk").only(
                            "pk", "record_id", "image", "thumbnail"
                        ),
                    )
                ),
            ),
        )
        .order_by(F("member__name").asc(nulls_first=True), "member_id", "due_date", "pk")
    )
    parts: dict[datetime.date, ManualPart] = {}
    record_count = 0
    for pledge in pledges:
        nodes = list(pledge.time_nodes.all())
        is_open = pledge.status in OPEN_STATUSES
        pledge.manual_nodes = [
            (node, node_state(node, reference=today, pledge_open=is_open)) for node in nodes
        ]
        pledge.manual_records = list(pledge.progress_records.all())
        pledge.manual_overdue = is_open and pledge.due_date < today
        record_count += len(pledge.manual_records)
        first = nodes[0].due_on if nodes else pledge.due_date
        month = first.replace(day=1)
        parts.setdefault(month, ManualPart(month=month)).pledges.append(pledge)
    return RecordManual(
        branch=branch,
        year=year,
        parts=[parts[month] for month in sorted(parts)],
        pledge_count=len(pledges),
        record_count=record_count,
    )


# ---------------------------------------------------------------------------
# 致全区党员的一封信
# ---------------------------------------------------------------------------


def root_path(committee: Committee) -> str:
    """The materialised path of the committee's root (the district)."""
    return committee.path[: PATH_SEGMENT_WIDTH + 1]


def can_edit_members_letter(user, committee: Committee) -> bool:
    """The letter of a root committee is written by its staff (审核讲评, district staff) or
    by organisation staff of it (or above it)."""
    return committee.parent_id is None and (
        is_staff_over(user, committee) or is_organisation_staff_over(user, committee)
    )


def letter_committees_for(*, user) -> list[Committee]:
    """The root committees whose letter the user may write, by path. One query."""
    if not getattr(user, "is_authenticated", False):
        return []
    return [
        committee
        for committee in Committee.objects.filter(parent=None).order_by("path")
        if can_edit_members_letter(user, committee)
    ]


@dataclass
class MembersLetterPrint:
    branch: Branch
    year: int
    root: Committee
    letter: MembersLetter | None
    members: list[Member]


def members_letter_print(*, branch: Branch, year: int) -> MembersLetterPrint:
    """The letter of the branch's root committee for `year` (None when not written yet)
    and the members on the branch's roll, by name, each once. Three queries."""
    root = Committee.objects.get(path=root_path(branch.committee))
    letter = MembersLetter.objects.filter(committee=root, year=year).first()
    members = list(
        Member.objects.filter(branch=branch, is_active=True)
        .only("pk", "branch_id", "name", "public_token", "public_page_enabled")
        .order_by("name", "pk")
    )
    return MembersLetterPrint(branch=branch, year=year, root=root, letter=letter, members=members)


def default_signature(committee: Committee) -> str:
    """中共 + the committee's name, as a party committee signs."""
    return committee.name if committee.name.startswith("中共") else "中共" + committee.name


def draft_letter_body(*, year: int) -> str:
    """A first draft of the letter, in the spirit of the article: what 双承诺 is, the six
    steps, what each member is asked to do, and the QR code on the letter."""
    return _(
        "在“党员支部双承诺、为民服务解难题”活动中，全区每一个党支部、每一名党员都要向群众"
        "公开承诺、兑现承诺。%(year)s年，我们继续以“一图三册”为载体，按照研诺、定诺、示诺、"
        "践诺、督诺、用诺六个步骤，把承诺事项办到百姓心坎上。\n"
        "请您走进群众、倾听呼声，从需求清单中认领群众最急最盼的难题，结合自己的岗位和实际，"
        "想清楚向谁承诺、承诺什么、怎么承诺、如何兑现承诺，认真填写为民服务解难题公开承诺书，"
        "写明服务对象、完成时限和时间节点。\n"
        "承诺经上级党组织审核通过后，将在党员会议、主题党日、党务公开栏和网上公开公示。"
        "请您按时间节点履行承诺，每月主题党日向党支部汇报服务情况，党支部记入践行承诺记实手册；"
        "党支部每季度讲评一次，年底由党支部和服务对象评议，结果作为民主评议、评优评先和"
        "党员积分的重要依据。\n"
        "信的下方是您本人的二维码。群众用手机扫一扫，就能看到您的承诺和推进情况，"
        "并告诉我们是否满意。请您亮身份、践承诺、做表率，让群众看得见、评得了。\n"
        "共产党员是块砖，哪里需要哪里搬。让我们从身边的一件件实事做起，兑现对群众的承诺！"
    ) % {"year": year}
