"""Who may see and act on what: plain `(user, obj) -> bool` predicates.

Roles are data (`Branch.secretary`, `CommitteeStaff`); nothing here names a user or
a group. The staff paths of a user are read once and kept on the user object, so a
page that checks many objects runs one query for them; so is the branch the user is
secretary of (branches.selectors.secretary_branch).
"""

from branches.enums import StaffRole
from branches.models import Branch, Committee, CommitteeStaff

_PATHS_ATTR = "_pledgewall_staff_paths"
# Where branches.selectors.secretary_branch keeps its answer; forget_roles drops it.
SECRETARY_BRANCH_ATTR = "_pledgewall_secretary_branch"


def _role_paths(user) -> dict[str, tuple[str, ...]]:
    """{role: materialised paths of the committees the user holds it over}, read once."""
    if not getattr(user, "is_authenticated", False):
        return {}
    paths = getattr(user, _PATHS_ATTR, None)
    if paths is None:
        paths = {}
        for role, path in CommitteeStaff.objects.filter(user=user).values_list(
            "role", "committee__path"
        ):
            paths[role] = (*paths.get(role, ()), path)
        setattr(user, _PATHS_ATTR, paths)
    return paths


def staff_committee_paths(user) -> tuple[str, ...]:
    """Paths of the committees the user reviews as committee staff (empty for others)."""
    return _role_paths(user).get(StaffRole.REVIEW, ())


def organisation_committee_paths(user) -> tuple[str, ...]:
    """Paths of the committees whose organisation the user keeps (empty for others)."""
    return _role_paths(user).get(StaffRole.ORGANISATION, ())


def forget_roles(user) -> None:
    """Drop the roles read for this user object, after a change to them."""
    for attr in (_PATHS_ATTR, SECRETARY_BRANCH_ATTR):
        if hasattr(user, attr):
            delattr(user, attr)


def is_branch_secretary(user, branch: Branch) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and branch.secretary_id == user.pk


def is_staff_over(user, committee) -> bool:
    """Staff of the committee or of any committee above it."""
    return any(committee.path.startswith(path) for path in staff_committee_paths(user))


def is_upper_staff(user, branch: Branch) -> bool:
    """Staff of the branch's committee or of any committee above it."""
    return is_staff_over(user, branch.committee)


def can_view_branch(user, branch: Branch) -> bool:
    return is_branch_secretary(user, branch) or is_upper_staff(user, branch)


def is_district_staff(user) -> bool:
    """Staff of a root committee (a path of one segment)."""
    from branches.models import PATH_SEGMENT_WIDTH

    return any(len(path) == PATH_SEGMENT_WIDTH + 1 for path in staff_committee_paths(user))


def is_organisation_staff(user) -> bool:
    return bool(organisation_committee_paths(user))


def is_organisation_staff_over(user, committee: Committee) -> bool:
    """Keeps the organisation of this committee: organisation staff of it or above."""
    return any(committee.path.startswith(path) for path in organisation_committee_paths(user))


def can_organise_branch(user, branch: Branch) -> bool:
    return is_organisation_staff_over(user, branch.committee)


def can_manage_branch(user, branch: Branch) -> bool:
    """Entering the branch's members, needs, pledges, progress and reports is the
    secretary's work; committee staff read them and make their own moves."""
    return is_branch_secretary(user, branch)
