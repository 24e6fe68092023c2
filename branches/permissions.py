"""Who may see and act on what: plain `(user, obj) -> bool` predicates.

Roles are data (`Branch.secretary`, `CommitteeStaff`); nothing here names a user or
a group. The staff paths of a user and the id of the branch they are secretary of are
read once, in one query, and kept on the user object, so a page that checks many objects
runs one query for them; so is the branch itself (branches.selectors.secretary_branch).
"""

from django.contrib.auth import get_user_model

from branches.enums import StaffRole
from branches.models import Branch, Committee

_PATHS_ATTR = "_pledgewall_staff_paths"
_SECRETARY_BRANCH_ID_ATTR = "_pledgewall_secretary_branch_id"
_SECRETARY_BRANCH_STAMP_ATTR = "_pledgewall_secretary_branch_stamp"
# Where branches.selectors.secretary_branch keeps its answer; forget_roles drops it.
SECRETARY_BRANCH_ATTR = "_pledgewall_secretary_branch"


def _role_paths(user) -> dict[str, tuple[str, ...]]:
    """{role: materialised paths of the committees the user holds it over}, read once
    together with the id of the branch the user is secretary of (secretary_branch_id)."""
    if not getattr(user, "is_authenticated", False):
        return {}
    paths = getattr(user, _PATHS_ATTR, None)
    if paths is None:
        # One row per (role, branch as secretary) pair: both are few, and most people hold
        # one of either.
        rows = (
            get_user_model()
            .objects.filter(pk=user.pk)
            .values_list(
                "committee_roles__role",
                "committee_roles__committee__path",
                "secretary_of",
                "secretary_of__workspace_changed_at",
            )
        )
        found: dict[str, dict[str, None]] = {}
        branches = {}
        for role, path, branch_id, workspace_changed_at in rows:
            if role is not None:
                found.setdefault(role, {})[path] = None
            if branch_id is not None:
                branches[branch_id] = workspace_changed_at
        paths = {role: tuple(role_paths) for role, role_paths in found.items()}
        setattr(user, _PATHS_ATTR, paths)
        branch_id = min(branches, default=None)
        setattr(user, _SECRETARY_BRANCH_ID_ATTR, branch_id)
        setattr(user, _SECRETARY_BRANCH_STAMP_ATTR, branches.get(branch_id))
    return paths


def secretary_branch_id(user) -> int | None:
    """The id of the branch the user is secretary of (the first, should there be several),
    or None; read with the user's roles (no query of its own)."""
    _role_paths(user)
    return getattr(user, _SECRETARY_BRANCH_ID_ATTR, None)


def secretary_branch_stamp(user):
    """When what the workspace shows of the user's branch last changed
    (Branch.workspace_changed_at), read with the user's roles (no query of its own)."""
    _role_paths(user)
    return getattr(user, _SECRETARY_BRANCH_STAMP_ATTR, None)


def staff_committee_paths(user) -> tuple[str, ...]:
    """Paths of the committees the user reviews as committee staff (empty for others)."""
    return _role_paths(user).get(StaffRole.REVIEW, ())


def organisation_committee_paths(user) -> tuple[str, ...]:
    """Paths of the committees whose organisation the user keeps (empty for others)."""
    return _role_paths(user).get(StaffRole.ORGANISATION, ())


def forget_roles(user) -> None:
    """Drop the roles read for this user object, after a change to them."""
    for attr in (
        _PATHS_ATTR,
        _SECRETARY_BRANCH_ID_ATTR,
        _SECRETARY_BRANCH_STAMP_ATTR,
        SECRETARY_BRANCH_ATTR,
    ):
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
