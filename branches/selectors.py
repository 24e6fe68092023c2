from dataclasses import dataclass

from django.db.models import Count, F, Func, IntegerField, Max, Q, QuerySet, Subquery, Window
from django.shortcuts import get_object_or_404

from branches.models import Branch, Committee, Member
from branches.permissions import (
    SECRETARY_BRANCH_ATTR,
    organisation_committee_paths,
    secretary_branch_id,
    staff_committee_paths,
)


def committee_subtree(*, committee: Committee) -> QuerySet[Committee]:
    """The committee and every committee below it, in one query."""
    return Committee.objects.filter(path__startswith=committee.path)


def branches_in_subtree(*, committee: Committee) -> QuerySet[Branch]:
    """Every branch under the committee, at any depth, in one query."""
    return Branch.objects.filter(committee__path__startswith=committee.path)


def branches_visible_to(*, user) -> QuerySet[Branch]:
    """Branches the user may see: their own as secretary, and their committees' subtrees."""
    if not getattr(user, "is_authenticated", False):
        return Branch.objects.none()
    scope = Q(secretary=user)
    for path in staff_committee_paths(user):
        scope |= Q(committee__path__startswith=path)
    return Branch.objects.filter(scope)


def workspace_stamp_of(branches: QuerySet[Branch]) -> tuple[str, int]:
    """What stands for the state of these branches' workspace content, in one query: the
    newest Branch.workspace_changed_at among them and how many they are (a branch that
    leaves the set changes the count, where the newest stamp may stay)."""
    found = branches.order_by().aggregate(latest=Max("workspace_changed_at"), count=Count("pk"))
    latest = found["latest"]
    return (latest.isoformat() if latest else "", found["count"])


def members_visible_to(*, user) -> QuerySet[Member]:
    return Member.objects.filter(branch__in=branches_visible_to(user=user))


def branch_for(*, user, branch_id: int) -> Branch:
    """The branch if the user may see it, else 404 (an id out of reach is not found)."""
    return get_object_or_404(
        branches_visible_to(user=user).select_related("committee", "secretary"), pk=branch_id
    )


def member_for(*, user, member_id: int) -> Member:
    return get_object_or_404(
        Member.objects.filter(branch__in=branches_visible_to(user=user)).select_related(
            "branch__committee"
        ),
        pk=member_id,
    )


def secretary_branch(*, user) -> Branch | None:
    """The branch the user is secretary of (the first, should there be several).

    Read once and kept on the user object, as the staff paths are (branches.permissions):
    the navigation (branches.context_processors.workspace) and the page both ask, and a
    request's user object lives as long as the request. forget_roles drops it."""
    if not getattr(user, "is_authenticated", False):
        return None
    # A tuple, so that "no branch" is remembered too.
    kept = getattr(user, SECRETARY_BRANCH_ATTR, None)
    if kept is None:
        # Its id comes with the user's roles (branches.permissions): no query when none.
        branch_id = secretary_branch_id(user)
        branch = None
        if branch_id is not None:
            branch = Branch.objects.filter(pk=branch_id).select_related("committee").first()
        kept = (branch,)
        setattr(user, SECRETARY_BRANCH_ATTR, kept)
    return kept[0]


def _under(paths, field: str = "path") -> Q:
    scope = Q(pk__in=[])
    for path in paths:
        scope |= Q(**{f"{field}__startswith": path})
    return scope


def committees_visible_to(user) -> QuerySet[Committee]:
    return Committee.objects.filter(_under(staff_committee_paths(user))).order_by("path")


def committees_organised_by(*, user) -> QuerySet[Committee]:
    """Committees in the subtrees whose organisation the user keeps, closed ones included."""
    return Committee.objects.filter(_under(organisation_committee_paths(user))).order_by("path")


def branches_organised_by(*, user) -> QuerySet[Branch]:
    """Branches in the subtrees whose organisation the user keeps."""
    return Branch.objects.filter(_under(organisation_committee_paths(user), "committee__path"))


def committee_organised_for(*, user, committee_id: int) -> Committee:
    """The committee if the user keeps its organisation, else 404."""
    return get_object_or_404(committees_organised_by(user=user), pk=committee_id)


def branch_organised_for(*, user, branch_id: int) -> Branch:
    """The branch if the user keeps its organisation, else 404."""
    return get_object_or_404(
        branches_organised_by(user=user).select_related("committee", "secretary"), pk=branch_id
    )


@dataclass
class TodoList:
    """The first rows of a to-do list and how many there are in all (first_rows): the count
    is exact, the rows stop at the caller's limit and the page links to the full list."""

    items: list
    total: int

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __bool__(self) -> bool:
        return bool(self.total)

    @property
    def more(self) -> int:
        """Rows not shown."""
        return self.total - len(self.items)


def first_rows(queryset: QuerySet, limit: int) -> TodoList:
    """The first `limit` rows and the count of all, in one query: the count rides on each
    row, which LIMIT does not cut. Of plain rows it is a scalar subquery counting the
    filtered set, which the database runs once (a window over the set would join and sort
    every row first: twice the time at a district's hundreds of rows); of grouped rows
    (an aggregate annotated) a window over the groups."""
    if queryset.query.group_by is None:
        counted = queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
        total = Subquery(counted[:1], output_field=IntegerField())
    else:
        total = Window(Count("pk"))
    rows = list(queryset.annotate(todo_total=total)[:limit])
    return TodoList(items=rows, total=rows[0].todo_total if rows else 0)
