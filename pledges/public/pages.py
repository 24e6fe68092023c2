"""The pages of one member, one pledge and one branch (its notice board, 公示栏), and
the printed codes that lead to them."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import (
    BooleanField,
    Q,
    QuerySet,
    Value,
    prefetch_related_objects,
)
from django.http import Http404
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.translation import gettext_lazy as _

from branches.models import Branch, Member, Pairing
from branches.names import surname_first
from branches.tokens import TOKEN_ALPHABET, TOKEN_LENGTH
from pledges.chart import Chart, public_chart
from pledges.enums import CommentStatus, PledgeMove
from pledges.figures import PUBLIC
from pledges.figures.steps import branches_with_public_steps
from pledges.models import (
    Feedback,
    Pledge,
    PledgeAmendment,
    PledgeTransition,
    ProgressRecord,
    TimeNode,
)
from pledges.progress import set_progress, set_progress_from_nodes, with_node_counts
from pledges.public.figures import Figures, branches_with_public_figures
from pledges.selectors import RESUBMISSION_FIELDS
from pledges.workflow import DONE_STATUSES

# Progress records shown per pledge, newest first; the page says how many there are in all.
LATEST_RECORDS = 5
# Approved villagers' comments made available per pledge (pledge.public_comments).
LATEST_COMMENTS = 5

# The moves of a public pledge's history, as villagers read them: no pre-publication
# move (submit, return, approve) and no actor, only the date.
HISTORY_MOVES = {
    PledgeMove.PUBLISH: _("公示承诺"),
    PledgeMove.START: _("开始践诺"),
    PledgeMove.COMPLETE: _("完成承诺"),
    PledgeMove.VERIFY: _("上级党组织销号"),
    PledgeMove.EVALUATE: _("年终评议"),
}


# ---------------------------------------------------------------------------
# Codes
# ---------------------------------------------------------------------------


def token_is_well_formed(token: str) -> bool:
    """Whether the (normalised) text could be a code at all: checked before any query."""
    return len(token) == TOKEN_LENGTH and all(symbol in TOKEN_ALPHABET for symbol in token)


@dataclass(frozen=True)
class TokenTarget:
    """What a printed code names now: a member, a branch, or a retired code's branch."""

    kind: str  # "member", "branch" or "retired"
    branch: Branch
    member: Member | None

    MEMBER = "member"
    BRANCH = "branch"
    RETIRED = "retired"


def resolve_token(token: str) -> TokenTarget | None:
    """The live member, live branch or retired code with this token; None if unknown.

    One query for a member's code (the codes on the wall), two for any other.
    """
    member = Member.objects.filter(public_token=token).select_related("branch__committee").first()
    if member is not None:
        return TokenTarget(TokenTarget.MEMBER, member.branch, member)
    live = (
        Branch.objects.filter(public_token=token)
        .annotate(retired=Value(False, output_field=BooleanField()))
        .order_by()
    )
    retired = (
        Branch.objects.filter(retired_tokens__token=token)
        .annotate(retired=Value(True, output_field=BooleanField()))
        .order_by()
    )
    branch = next(iter(live.union(retired).order_by("retired")[:1]), None)
    if branch is None:
        return None
    kind = TokenTarget.RETIRED if branch.retired else TokenTarget.BRANCH
    return TokenTarget(kind, branch, None)


def member_page_stamps(*, member: Member) -> dict[int, datetime.datetime]:
    """The branches whose stamps are the stamp of the member's page, with those stamps:
    the member's own and every branch owning one of their pledges (one they pledged in
    before moving). One query; the member comes with their branch (resolve_token)."""
    owners = (
        Pledge.objects.filter(member=member)
        .order_by()
        .values_list("owner_branch_id", "owner_branch__public_changed_at")
        .distinct()
    )
    return {member.branch_id: member.branch.public_changed_at, **dict(owners)}


# ---------------------------------------------------------------------------
# Pledges as the public sees them
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryEvent:
    """One dated line of a pledge's public history: a move, or a change to its text."""

    at: datetime.datetime
    label: str
    field_label: str = ""
    old_value: str = ""
    new_value: str = ""
    reason: str = ""

    @property
    def is_amendment(self) -> bool:
        return bool(self.field_label)


def _set_percent(pledge: Pledge, *, nodes: list[TimeNode] | None = None) -> Pledge:
    """The progress bar from the pledge's `with_node_counts`, or from its time nodes when
    they are loaded anyway."""
    if nodes is None:
        set_progress(pledge)
    else:
        set_progress_from_nodes(pledge, nodes)
    pledge.is_done = pledge.status in DONE_STATUSES
    return pledge


def _closing_event(node: TimeNode) -> HistoryEvent:
    """A time node closed, as the public history tells it."""
    if node.is_done:
        label = _("时间节点“%(node)s”于 %(date)s 完成") % {
            "node": node.description,
            "date": dateformat.format(node.done_on, "Y年n月j日"),
        }
    else:
        label = _("时间节点“%(node)s”不再需要：%(reason)s") % {
            "node": node.description,
            "reason": node.close_reason,
        }
    at = node.closed_at
    if at is None:
        # Closed before closings were stamped: dated by the day the work was done.
        at = timezone.make_aware(datetime.datetime.combine(node.done_on, datetime.time()))
    return HistoryEvent(at=at, label=str(label))


def public_pledges_in_full(pledges: QuerySet[Pledge]) -> list[Pledge]:
    """The public ones of these pledges with all a public page shows of each, in seven
    queries whatever their number:

    time nodes (`public_nodes`), the newest LATEST_RECORDS progress records with their
    photos (`latest_records`, `records_total`), the dated history of moves after
    publication and of amendments (`history`, oldest first), the date of the last update
    (`last_update`), the progress bar (`percent`, `bar`: pledges.progress), and the newest approved
    comments of villagers (`public_comments`) for the feedback include.
    """
    pledges = list(
        pledges.public()
        .select_related("member", "branch", "owner_branch")
        .order_by("-year", "due_date", "pk")
    )
    if not pledges:
        return []
    # Plain queries grouped here rather than prefetches with windowed slices: the same
    # rows, at a fraction of the ORM's cost of building the queries, which is most of a
    # page's rendering time (the database answers in well under a millisecond).
    ids = [pledge.pk for pledge in pledges]
    nodes: dict[int, list[TimeNode]] = defaultdict(list)
    for node in TimeNode.objects.filter(pledge_id__in=ids).order_by("due_on", "pk"):
        nodes[node.pledge_id].append(node)
    records: dict[int, list[ProgressRecord]] = defaultdict(list)
    shown_records = ProgressRecord.objects.filter(pledge_id__in=ids).only(
        "pledge_id", "happened_on", "description", "created_at"
    )
    for record in shown_records.order_by("-happened_on", "-pk"):
        records[record.pledge_id].append(record)
    newest = [record for rows in records.values() for record in rows[:LATEST_RECORDS]]
    prefetch_related_objects(newest, "photos")
    comments: dict[int, list[Feedback]] = defaultdict(list)
    approved = Feedback.objects.filter(pledge_id__in=ids, comment_status=CommentStatus.APPROVED)
    for feedback in approved.order_by("-created_at", "-pk"):
        if len(comments[feedback.pledge_id]) < LATEST_COMMENTS:
            comments[feedback.pledge_id].append(feedback)
    for pledge in pledges:
        pledge.public_nodes = nodes[pledge.pk]
        pledge.latest_records = records[pledge.pk][:LATEST_RECORDS]
        pledge.records_total = len(records[pledge.pk])
        pledge.public_comments = comments[pledge.pk]
    history: dict[int, list[HistoryEvent]] = defaultdict(list)
    moves = PledgeTransition.objects.filter(pledge_id__in=ids, move__in=list(HISTORY_MOVES))
    for pledge_id, move, at in moves.values_list("pledge_id", "move", "created_at"):
        history[pledge_id].append(HistoryEvent(at=at, label=str(HISTORY_MOVES[move])))
    amendments = PledgeAmendment.objects.filter(pledge_id__in=ids).values_list(
        "pledge_id", "field", "old_value", "new_value", "reason", "created_at"
    )
    for pledge_id, name, old, new, reason, at in amendments:
        history[pledge_id].append(
            HistoryEvent(
                at=at,
                label=str(_("公示后修改")),
                field_label=str(RESUBMISSION_FIELDS.get(name, name)),
                old_value=old,
                new_value=new,
                reason=reason,
            )
        )
    for pledge in pledges:
        # From the time nodes loaded here: two counting subqueries fewer to compile.
        _set_percent(pledge, nodes=pledge.public_nodes)
        closings = [
            _closing_event(node)
            for node in pledge.public_nodes
            if node.is_done or (node.is_not_needed and node.closed_at)
        ]
        pledge.history = sorted(history[pledge.pk] + closings, key=lambda event: event.at)
        moments = [event.at for event in pledge.history]
        moments += [record.created_at for record in pledge.latest_records]
        days = [timezone.localdate(moment) for moment in moments]
        days += [node.done_on for node in pledge.public_nodes if node.done_on]
        days += [timezone.localdate(n.closed_at) for n in pledge.public_nodes if n.closed_at]
        pledge.last_update = max(days, default=None)
    return pledges


def _last_update(pledges: list[Pledge]) -> datetime.date | None:
    days = [pledge.last_update for pledge in pledges if pledge.last_update]
    return max(days) if days else None


@dataclass
class MemberPage:
    member: Member
    branch: Branch
    pledges: list[Pledge]
    last_update: datetime.date | None


def member_public_page(*, member: Member) -> MemberPage:
    """A member's page, in seven queries (their public page must be enabled: the caller
    checks). The member comes with their branch and its committee (resolve_token)."""
    pledges = public_pledges_in_full(Pledge.objects.filter(member=member))
    return MemberPage(
        member=member, branch=member.branch, pledges=pledges, last_update=_last_update(pledges)
    )


def public_pledge(*, pledge_id: int) -> Pledge | None:
    """The pledge if the public may see it, with its owner, in one query; else None.

    A member's pledge is public only while the member's public page is enabled; an
    inactive member's pledges stay public (the page says the member left the roll).
    """
    pledge = (
        Pledge.objects.public()
        .filter(pk=pledge_id)
        .select_related("owner_branch", "member__branch")
        .first()
    )
    if pledge is None or (pledge.member_id and not pledge.member.public_page_enabled):
        return None
    return pledge


def pledge_page_stamps(pledge: Pledge) -> dict[int, datetime.datetime]:
    """The branches whose stamps cover the pledge's page, with those stamps: its owner,
    and its member's branch (the member's consent and name)."""
    stamps = {pledge.owner_branch_id: pledge.owner_branch.public_changed_at}
    if pledge.member_id:
        stamps[pledge.member.branch_id] = pledge.member.branch.public_changed_at
    return stamps


def pledge_public_page(*, pledge: Pledge) -> Pledge:
    """The pledge with all its public details (seven queries); 404 should it have been
    withdrawn since public_pledge found it."""
    found = public_pledges_in_full(Pledge.objects.filter(pk=pledge.pk))
    if not found:
        raise Http404
    return found[0]


# ---------------------------------------------------------------------------
# The branch's notice board (公示栏)
# ---------------------------------------------------------------------------


@dataclass
class BoardMember:
    """One member on the board: their public pledges and page only while it is enabled."""

    member: Member
    pledges: list[Pledge] = field(default_factory=list)

    @property
    def is_shown(self) -> bool:
        return self.member.public_page_enabled


@dataclass
class BoardPage:
    branch: Branch
    figures: Figures
    secretary_name: str
    branch_pledges: list[Pledge]
    members: list[BoardMember]
    pairings: list[Pairing]
    year: int
    # 一图 of the branch's published pledges (pledges.chart.public_chart).
    chart: Chart | None = None


def secretary_name(branch: Branch) -> str:
    """The secretary's name as the organisation records it, else the account's name,
    surname first; empty when neither has one (the login name is never shown)."""
    if branch.secretary_name:
        return branch.secretary_name
    return surname_first(branch.secretary) if branch.secretary else ""


def branch_board(*, branch_id: int, today: datetime.date | None = None) -> BoardPage:
    """The board of a branch in four queries: the branch with its figures, its chart's
    (一图: published pledges by status, the needs they answer), committee and secretary;
    its public pledges of the year; its active members; the pairings of the year.

    Members whose page is off are listed by name alone; members who left the roll (or
    the branch) still show the public pledges the branch owns, marked as such.
    """
    today = today or timezone.localdate()
    branch = branches_with_public_steps(
        branches_with_public_figures(Branch.objects.select_related("committee", "secretary")),
        today=today,
    ).get(pk=branch_id)
    pledges = [
        _set_percent(pledge)
        # The year under way's, as its figures count: last year's are on the members'
        # pages and in the published results.
        for pledge in with_node_counts(
            Pledge.objects.public().filter(owner_branch=branch, year=today.year)
        )
        .select_related("member")
        .order_by("-year", "due_date", "pk")
    ]
    roll = [
        BoardMember(member)
        for member in Member.objects.filter(branch=branch, is_active=True).order_by("name", "pk")
    ]
    rows = {row.member.pk: row for row in roll}
    former: dict[int, BoardMember] = {}
    for pledge in pledges:
        if pledge.member_id is None:
            continue
        row = rows.get(pledge.member_id) or former.setdefault(
            pledge.member_id, BoardMember(pledge.member)
        )
        if row.is_shown:
            row.pledges.append(pledge)
    pairings = list(
        Pairing.objects.filter(Q(office_branch=branch) | Q(village_branch=branch), year=today.year)
        .select_related("office_branch", "village_branch")
        .order_by("office_branch__name", "village_branch__name")
    )
    return BoardPage(
        branch=branch,
        figures=Figures.of_branch(branch, PUBLIC),
        secretary_name=secretary_name(branch),
        branch_pledges=[pledge for pledge in pledges if pledge.member_id is None],
        # Former members, after the roll, only with the public pledges the branch owns.
        members=roll + [row for row in former.values() if row.pledges],
        pairings=pairings,
        year=today.year,
        chart=public_chart(
            branch=branch,
            title=branch.name,
            today=today,
            note=reverse("public:figures") + "#chart",
        ),
    )
