"""The dashboard's scope: the committees whose subtrees it covers."""

from dataclasses import dataclass, field

from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _

from branches.models import PATH_SEGMENT_WIDTH, Committee
from branches.permissions import staff_committee_paths
from branches.selectors import committees_visible_to

SEGMENT = PATH_SEGMENT_WIDTH + 1


@dataclass
class Scope:
    """The committees whose subtrees the dashboard covers: one (the person's committee, or
    the one chosen with ?c=) or several (staff of several committees side by side)."""

    roots: list[Committee]
    chosen: Committee | None = None
    # Committees above the chosen one that are still within the person's reach.
    ancestors: list[Committee] = field(default_factory=list)

    @property
    def single(self) -> Committee | None:
        return self.roots[0] if len(self.roots) == 1 else None

    def branch_q(self, prefix: str = "") -> Q:
        """Branches (or rows reached through `prefix`) under any of the roots."""
        scope = Q(pk__in=[])
        for root in self.roots:
            scope |= Q(**{f"{prefix}committee__path__startswith": root.path})
        return scope


def dashboard_scope(*, user, committee_id: str | None = None) -> Scope:
    """The dashboard's scope for a staff member: their committees (the topmost of them),
    or the committee of ?c= if it is within reach, else 404. One or two queries."""
    paths = staff_committee_paths(user)
    if committee_id:
        try:
            pk = int(committee_id)
        except ValueError:
            raise Http404(_("没有这个党委。")) from None
        chosen = committees_visible_to(user).filter(pk=pk).first()
        if chosen is None:
            raise Http404(_("没有这个党委，或不在您的管理范围内。"))
        above = [chosen.path[:end] for end in range(SEGMENT, len(chosen.path), SEGMENT)]
        reachable = [path for path in above if any(path.startswith(own) for own in paths)]
        ancestors = list(Committee.objects.filter(path__in=reachable).order_by("path"))
        return Scope(roots=[chosen], chosen=chosen, ancestors=ancestors)
    topmost = [path for path in paths if not any(path != o and path.startswith(o) for o in paths)]
    roots = list(Committee.objects.filter(path__in=topmost).order_by("path"))
    return Scope(roots=roots)
