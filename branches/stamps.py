"""The public change stamps, kept in the shared cache so that a cached public page is
served without touching the database.

A stamp says when something shown on public pages last changed:
- a branch's stamp ("b:<id>") is its `Branch.public_changed_at`;
- a scope's stamp ("s:<committee path>", "s:" for the whole site) is the newest branch
  stamp under that committee.
The database columns stay the truth; the cache holds a copy of each stamp for
STAMP_SECONDS, read together with the page in one round trip (`read_stamps`).

How a change reaches the copies (`stamps_moved`, called by every write of a stamp):
- at once, inside the writing transaction, the copies are deleted: a reader then falls
  back to the database, which still shows the committed stamp and the committed data
  together, so nothing uncommitted is ever paired with a stamp;
- when the transaction commits, a branch's copy is set to the value it committed, and a
  scope's copy is deleted again (its value is an aggregate, read afresh by the next
  reader).
A reader that fills a missing copy uses `cache.add`, which never overwrites the value a
commit set. Staleness is therefore bounded by STAMP_SECONDS, and only where a commit's
callback is lost (the process dies between commit and callback, the cache is
unreachable at that moment) or a scope's reader straddles the commit; with the
per-process cache of development, other worker processes see a change within
STAMP_SECONDS, because the copies they hold are their own. With the shared cache
(Redis, production) every worker sees a change at once.
"""

import datetime
from collections.abc import Iterable

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.dateparse import parse_datetime

# How long a cached copy of a stamp lives: the bound on staleness when a commit's
# update of the copy is lost, and between processes with a per-process cache.
STAMP_SECONDS = 60
# Before any change was recorded (an empty site).
EPOCH = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)

_PREFIX = "public-stamp:"


def branch_stamp(branch_id: int) -> str:
    return f"b:{int(branch_id)}"


def scope_stamp(committee_path: str = "") -> str:
    """The stamp of everything under a committee ("": the whole site)."""
    return f"s:{committee_path}"


def _scope_paths(committee_path: str) -> list[str]:
    """The committee's path, each of its ancestors' and the whole site's ("")."""
    return [
        "",
        *(committee_path[:end] for end, char in enumerate(committee_path, 1) if char == "/"),
    ]


def read_stamps(
    names: Iterable[str],
    *,
    also: Iterable[str] = (),
    known: dict[str, datetime.datetime] | None = None,
    needs: str | None = None,
) -> tuple[dict[str, datetime.datetime] | None, dict]:
    """The named stamps, and the cache entries `also` names, in one cache round trip;
    stamps missing from the cache are taken from `known` (committed values the caller
    read from the database in this request) or read from the database, and kept.

    With `needs` (one of `also`) missing from the cache, the stamps are None: a caller
    that can do nothing without that entry spares the database."""
    names = list(dict.fromkeys(names))
    also = list(also)
    found = cache.get_many([_PREFIX + name for name in names] + also)
    entries = {key: found[key] for key in also if key in found}
    if needs is not None and needs not in entries:
        return None, entries
    stamps = {}
    missing = []
    for name in names:
        value = found.get(_PREFIX + name)
        if value is None:
            missing.append(name)
        else:
            stamps[name] = value
    if missing:
        known = known or {}
        fresh = {name: known[name] for name in missing if name in known}
        fresh.update(_stamps_from_database([name for name in missing if name not in fresh]))
        for name, value in fresh.items():
            cache.add(_PREFIX + name, value, STAMP_SECONDS)
        stamps.update(fresh)
    return stamps, entries


def _stamps_from_database(names: list[str]) -> dict[str, datetime.datetime]:
    from branches.models import Branch

    stamps = {}
    if not names:
        return stamps
    branch_ids = [int(name[2:]) for name in names if name.startswith("b:")]
    if branch_ids:
        # Plain SQL: this runs on every page whose stamp copy expired, and the ORM's
        # compiling of it costs more than the query.
        table = connection.ops.quote_name(Branch._meta.db_table)
        placeholders = ", ".join(["%s"] * len(branch_ids))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, public_changed_at FROM {table} WHERE id IN ({placeholders})",
                branch_ids,
            )
            rows = cursor.fetchall()
        stamps.update({branch_stamp(pk): as_aware(value) for pk, value in rows})
        # A branch that does not exist (deleted since) has the epoch: its pages renew.
        for pk in branch_ids:
            stamps.setdefault(branch_stamp(pk), EPOCH)
    for name in names:
        if name.startswith("s:"):
            path = name[2:]
            branches = Branch.objects.all()
            if path:
                branches = branches.filter(committee__path__startswith=path)
            newest = branches.aggregate(newest=Max("public_changed_at"))["newest"]
            stamps[name] = newest or EPOCH
    return stamps


def as_aware(value) -> datetime.datetime:
    # PostgreSQL gives an aware datetime; SQLite gives the stored UTC text.
    if isinstance(value, str):
        value = parse_datetime(value)
    if timezone.is_naive(value):
        value = value.replace(tzinfo=datetime.UTC)
    return value


def stamps_moved(*, branches: dict[int, str], at: datetime.datetime) -> None:
    """The branches (id → committee path) were stamped `at` in the current transaction:
    drop their copies and their scopes' now, and renew them when it commits."""
    if not branches:
        return
    branch_keys = [_PREFIX + branch_stamp(pk) for pk in branches]
    scope_keys = {
        _PREFIX + scope_stamp(path)
        for committee in branches.values()
        for path in _scope_paths(committee)
    }
    cache.delete_many([*branch_keys, *scope_keys])

    def renew():
        cache.set_many(dict.fromkeys(branch_keys, at), STAMP_SECONDS)
        cache.delete_many(list(scope_keys))

    transaction.on_commit(renew, robust=True)
