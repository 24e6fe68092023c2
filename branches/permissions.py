"""Who may see and act on what: plain `(user, obj) -> bool` predicates.

Roles are data (`Branch.secretary`, `CommitteeStaff`); nothing here names a user or
a group. The staff paths of a user and the id of the branch they are secretary of are
read once, in one query, and kept on the user object, so a page that checks many objects
runs one query for them; so is the branch itself (branches.selectors.secretary_branch).
"""

import functools

from django.contrib.auth import get_user_model
from django.db import connection

from branches.enums import StaffRole
from branches.models import Branch, Committee, CommitteeStaff
from branches.stamps import as_aware

_PATHS_ATTR = "_pledgewall_staff_paths"
_SECRETARY_BRANCH_ID_ATTR = "_pledgewall_secretary_branch_id"
_SECRETARY_BRANCH_STAMP_ATTR = "_pledgewall_secretary_branch_stamp"
# Where branches.selectors.secretary_branch keeps its answer; forget_roles drops it.
SECRETARY_BRANCH_ATTR = "_pledgewall_secretary_branch"


def _role_paths(user) -> dict[str, tuple[str, ...]]:
    """{role: materialised paths of the committees the user holds it over}, read once
    together with the id of the branch the user is secretary of (secretary_branch_id):
    with the user themselves on a signed-in request (user_with_roles), else in a query."""
    if not getattr(user, "is_authenticated", False):
        return {}
    paths = getattr(user, _PATHS_ATTR, None)
    if paths is None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT role, path, branch_id, stamp FROM ({_roles_sql()}) r WHERE r.uid = %s",
                [user.pk],
            )
            _remember_roles(user, cursor.fetchall())
        paths = getattr(user, _PATHS_ATTR)
    return paths


def _roles_sql() -> str:
    """Every role as rows (uid, role, path, branch_id, stamp): (user, role, committee path,
    None, None) for each committee role, (user, None, None, branch id, its workspace stamp)
    for each branch a user is secretary of. Plain SQL: every signed-in page reads it, and
    given the user's id the database looks up the two indexes alone (PostgreSQL pushes the
    condition into both halves); the ORM's join from the user row cost twice as much
    (compiling it, and PostgreSQL planning four tables: 0.65 against 0.29 ms)."""
    quote = connection.ops.quote_name
    staff, committee, branch = (
        quote(model._meta.db_table) for model in (CommitteeStaff, Committee, Branch)
    )
    return (
        "SELECT s.user_id AS uid, s.role AS role, c.path AS path, NULL AS branch_id,"
        f" NULL AS stamp FROM {staff} s JOIN {committee} c ON c.id = s.committee_id"
        " UNION ALL SELECT b.secretary_id, NULL, NULL, b.id, b.workspace_changed_at"
        f" FROM {branch} b"
    )


def _remember_roles(user, rows) -> None:
    """Keep on the user object the roles of `rows` (role, path, branch_id, stamp)."""
    found: dict[str, dict[str, None]] = {}
    branches = {}
    for role, path, branch_id, workspace_changed_at in rows:
        if role is not None:
            found.setdefault(role, {})[path] = None
        if branch_id is not None:
            branches[branch_id] = as_aware(workspace_changed_at)
    setattr(user, _PATHS_ATTR, {role: tuple(role_paths) for role, role_paths in found.items()})
    branch_id = min(branches, default=None)
    setattr(user, _SECRETARY_BRANCH_ID_ATTR, branch_id)
    setattr(user, _SECRETARY_BRANCH_STAMP_ATTR, branches.get(branch_id))


def user_with_roles(user_id):
    """The user of this id with their roles (as _role_paths reads them), in one query; None
    when there is no such user. For the authentication backend (branches.signin): every
    signed-in page reads both."""
    user_model = get_user_model()
    sql, fields, converters = _user_with_roles_query(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id])
        rows = cursor.fetchall()
    if not rows:
        return None
    # Each value as the ORM converts it (SQLite's booleans and datetimes).
    values = list(rows[0][: len(fields)])
    for index, expression, field_converters in converters:
        for converter in field_converters:
            values[index] = converter(values[index], expression, connection)
    user = user_model.from_db(connection.alias, [field.attname for field in fields], values)
    _remember_roles(user, [row[len(fields) :] for row in rows])
    return user


@functools.cache
def _user_with_roles_query(vendor: str):
    """The query of user_with_roles, its user fields and their converters, built once."""
    meta = get_user_model()._meta
    fields = meta.concrete_fields
    quote = connection.ops.quote_name
    columns = ", ".join(f"u.{quote(field.column)}" for field in fields)
    key = f"u.{quote(meta.pk.column)}"
    sql = (
        f"SELECT {columns}, r.role, r.path, r.branch_id, r.stamp"
        f" FROM {quote(meta.db_table)} u LEFT JOIN ({_roles_sql()}) r ON r.uid = {key}"
        f" WHERE {key} = %s"
    )
    converters = []
    for index, field in enumerate(fields):
        expression = field.get_col(meta.db_table)
        found = connection.ops.get_db_converters(expression) + field.get_db_converters(connection)
        if found:
            converters.append((index, expression, found))
    return sql, fields, converters


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
