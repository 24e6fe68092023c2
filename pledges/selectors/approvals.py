"""The approval queue (审核): the submitted pledges of committee staff's subtree, oldest
submission first, with the committees and branches they wait in for the filter.

Counted once per state of the staff's branches (branches.kept): the queue changes only
when a pledge of theirs moves (submitted, approved, returned, withdrawn), which moves its
branch's workspace stamp in the same transaction; the form and its token are still drawn
for each request."""

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Subquery

from branches.kept import kept, page_key, page_of
from branches.permissions import secretary_branch_id, staff_committee_paths
from branches.selectors import branches_visible_to, workspace_stamp_of
from pledges.enums import PledgeMove, PledgeStatus
from pledges.models import PledgeTransition
from pledges.selectors import pledges_visible_to

APPROVALS_PER_PAGE = 30


def approval_queue_state(*, user) -> str:
    """The key of the user's queue as it stands, in one query. Read it first."""
    latest, count = workspace_stamp_of(branches_visible_to(user=user))
    paths = ",".join(sorted(staff_committee_paths(user)))
    return f"{paths}:{secretary_branch_id(user)}:{latest}:{count}"


def _waiting(user):
    return pledges_visible_to(user=user).filter(status=PledgeStatus.SUBMITTED)


def approval_places(*, user, state: str) -> list[tuple]:
    """(committee id, committee name, branch id, branch name, pledges waiting) of each
    branch with pledges waiting: the filter's choices and, summed over the branches the
    filter keeps, the count of the pages (no COUNT query of its own)."""

    def count():
        return list(
            _waiting(user)
            .order_by()
            .values_list(
                "owner_branch__committee_id",
                "owner_branch__committee__name",
                "owner_branch_id",
                "owner_branch__name",
            )
            .annotate(waiting=Count("pk"))
        )

    return kept(f"approvals:places:{state}", count)


def approval_page(*, user, state: str, places: list[tuple], committee, branch, page_number) -> Page:
    """One page of the queue, narrowed to a committee or a branch (ids from the filter's
    choices, or None), each pledge with whether it was returned before and when it was
    submitted."""
    if committee:
        places = [place for place in places if place[0] == committee]
    if branch:
        places = [place for place in places if place[2] == branch]
    total = sum(place[4] for place in places)

    def count():
        waiting = _waiting(user)
        if committee:
            waiting = waiting.filter(owner_branch__committee_id=committee)
        if branch:
            waiting = waiting.filter(owner_branch_id=branch)
        transitions = PledgeTransition.objects.filter(pledge=OuterRef("pk"))
        waiting = (
            waiting.select_related("owner_branch__committee", "member")
            .only(
                "title",
                "due_date",
                "member",
                "owner_branch",
                "member__name",
                "owner_branch__name",
                "owner_branch__committee__name",
            )
            .annotate(
                was_returned=Exists(transitions.filter(move=PledgeMove.RETURN_FOR_REVISION)),
                submitted_at=Subquery(
                    transitions.filter(move=PledgeMove.SUBMIT)
                    .order_by("-created_at", "-pk")
                    .values("created_at")[:1]
                ),
            )
            .order_by("submitted_at", "pk")
        )
        paginator = Paginator(waiting, APPROVALS_PER_PAGE)
        paginator.count = total
        page = paginator.get_page(page_number)
        return page.number, list(page.object_list)

    key = f"approvals:page:{state}:{committee}:{branch}:{page_key(page_number)}"
    number, rows = kept(key, count)
    return page_of(rows, number=number, total=total, per_page=APPROVALS_PER_PAGE)
