"""The district public site: totals and completion of each committee and branch, and
search by branch or member name."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.models import Branch, Committee, Member
from pledges.chart import Chart, public_chart
from pledges.figures import PUBLIC
from pledges.public.figures import (
    Figures,
    branches_with_public_figures,
    figures_by_committee,
    with_bar,
)

# Search: shortest query, most results (branches and members together).
SEARCH_MIN_LENGTH = 2
SEARCH_LIMIT = 50
SEARCH_QUERY_MAX_LENGTH = 50
# District site: branches per page of a committee, and the size of subtree whose branches
# are listed inline under each committee (larger ones link to each committee's page).
BRANCHES_PER_PAGE = 100
INLINE_BRANCHES_LIMIT = 300


def committee_by_id(committee_id: int) -> Committee | None:
    return Committee.objects.filter(pk=committee_id).first()


@dataclass
class CommitteeRow:
    committee: Committee
    figures: Figures
    # Listed inline when the subtree is small (INLINE_BRANCHES_LIMIT), else empty.
    branches: list[Branch] = field(default_factory=list)


@dataclass
class DistrictPage:
    committee: Committee | None  # None: the site's top, over several root committees
    ancestors: list[Committee]
    figures: Figures
    children: list[CommitteeRow]
    branches: Page | None  # the committee's own branches, with their figures
    # 一图 of the subtree's published pledges (pledges.chart.public_chart).
    chart: Chart | None = None


def _ancestor_paths(path: str) -> list[str]:
    """The paths of the committee and of each committee above it."""
    return [path[:end] for end in range(len(path), 0, -1) if path[end - 1] == "/"]


def district_page(*, committee: Committee | None = None, page: int = 1) -> DistrictPage:
    """Totals and completion of a committee's subtree (of everything when None; a single
    root committee is then shown as itself), its child committees each with its figures,
    and its own branches a page at a time, and the subtree's chart (一图, one query). At
    most ten queries."""
    if committee is None:
        # Every committee: the roots among them, and the subtree of "" is all of them.
        subtree = list(Committee.objects.order_by("path"))
        roots = sorted(
            (item for item in subtree if item.parent_id is None), key=lambda c: (c.name, c.pk)
        )
        if len(roots) == 1:
            committee = roots[0]
        above: list[str] = []
    else:
        # The subtree and the committees above it, in one query.
        above = [item for item in _ancestor_paths(committee.path) if item != committee.path]
        subtree = list(
            Committee.objects.filter(
                Q(path__startswith=committee.path) | Q(path__in=above)
            ).order_by("path")
        )
    path = committee.path if committee else ""
    ancestors = [item for item in subtree if item.path in above]
    subtree = [item for item in subtree if item.path.startswith(path)]
    own = figures_by_committee(path=path)
    totals: dict[str, Figures] = defaultdict(lambda: Figures(pledge_set=PUBLIC))
    by_path = {item.path: item for item in subtree}
    for item in subtree:
        for ancestor in _ancestor_paths(item.path):
            if ancestor in by_path:
                totals[ancestor].add(own.get(item.pk, Figures(pledge_set=PUBLIC)))
    if committee is not None:
        figures = totals[committee.path]
        children = [item for item in subtree if item.parent_id == committee.pk]
    else:
        figures = Figures(pledge_set=PUBLIC)
        children = [item for item in subtree if item.parent_id is None]
        for item in children:
            figures.add(totals[item.path])
    children.sort(key=lambda item: (item.name, item.pk))
    rows = [CommitteeRow(item, totals[item.path]) for item in children]

    if rows and figures.branches <= INLINE_BRANCHES_LIMIT:
        row_by_path = {row.committee.path: row for row in rows}
        # The committee's own branches are listed below, a page at a time.
        everyone = Branch.objects.filter(committee__path__startswith=path)
        if committee is not None:
            everyone = everyone.exclude(committee=committee)
        everyone = branches_with_public_figures(
            everyone.select_related("committee").order_by("name", "pk")
        )
        for branch in map(with_bar, everyone):
            for ancestor in _ancestor_paths(branch.committee.path):
                if ancestor in row_by_path:
                    row_by_path[ancestor].branches.append(branch)
                    break
    branches = None
    if committee is not None:
        own_branches = branches_with_public_figures(
            Branch.objects.filter(committee=committee).order_by("name", "pk")
        )
        branches = Paginator(own_branches, BRANCHES_PER_PAGE).get_page(page)
        branches.object_list = [with_bar(branch) for branch in branches.object_list]
    return DistrictPage(
        committee=committee,
        ancestors=ancestors,
        figures=figures,
        children=rows,
        branches=branches,
        chart=public_chart(
            branches=Branch.objects.filter(committee__path__startswith=path),
            title=committee.name if committee else str(_("各级党组织")),
            today=timezone.localdate(),
            note=reverse("public:figures") + "#chart",
        ),
    )


@dataclass
class SearchResults:
    query: str
    branches: list[Branch]
    members: list[Member]
    too_short: bool
    limit: int = SEARCH_LIMIT

    @property
    def count(self) -> int:
        return len(self.branches) + len(self.members)

    @property
    def is_cut(self) -> bool:
        return self.count >= self.limit


def public_search(*, query: str) -> SearchResults:
    """Branches and members whose name contains the query (members only while active and
    with their page enabled): at most SEARCH_LIMIT results, branches first, two queries."""
    query = " ".join(query.split())
    if len(query) < SEARCH_MIN_LENGTH:
        return SearchResults(query=query, branches=[], members=[], too_short=bool(query))
    branches = list(
        Branch.objects.filter(name__icontains=query)
        .select_related("committee")
        .order_by("name", "pk")[:SEARCH_LIMIT]
    )
    members = (
        list(
            Member.objects.filter(name__icontains=query, is_active=True, public_page_enabled=True)
            .select_related("branch")
            .order_by("name", "pk")[: SEARCH_LIMIT - len(branches)]
        )
        if len(branches) < SEARCH_LIMIT
        else []
    )
    return SearchResults(query=query, branches=branches, members=members, too_short=False)
