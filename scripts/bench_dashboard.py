#!/usr/bin/env python3
"""Time the staff pages (dashboard, its branch sorts, pledge lists, review calendar,
quarterly, half-year and year-end pages) and the dashboard export, in process.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> .venv/bin/python scripts/bench_dashboard.py

Seed a scratch database first with the province-sized demo data (THE DATABASE IS WIPED),
and let PostgreSQL gather statistics:

    DATABASE_URL=... .venv/bin/python manage.py migrate
    DATABASE_URL=... .venv/bin/python manage.py seed_demo --reset --scale 100
    psql <db> -c 'VACUUM ANALYZE'

Without DATABASE_URL the scratch database postgres://postgres@127.0.0.1:5432/pledgewall_province
is used. The script only reads.

What it measures: Django's test Client, signed in with force_login as each user (by
default `district` and every other review staff user of a root committee: at scale 100
`district` and the superuser `admin` both stand at the province root), GET of each page
once as a warm-up, then --runs times (default 5); prints the median, the number of SQL
queries and whether the median meets its target: 300 ms a page at scale 100 (30 ms for
the dashboard on a scale-1 database, under 100 branches); for the export, the time to its
first byte (< 1 s) and to its last (< 3 s), consuming the streamed response. DEBUG is
off; static files are served unhashed so that no collectstatic is needed.

Options: --users a,b (instead of the default), --runs N, --only TEXT (pages whose label
or path contains TEXT), --verbose (EXPLAIN (ANALYZE, BUFFERS) of each page's slowest
queries), --explain N (how many per page, default 2), --strict (exit 1 on a miss).
"""

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/pledgewall_province"
PAGE_TARGET_MS = 300
SMALL_DASHBOARD_TARGET_MS = 30  # the dashboard at scale 1
SMALL_DATABASE_BRANCHES = 100
EXPORT_FIRST_BYTE_MS = 1000
EXPORT_TOTAL_MS = 3000


@dataclass
class Page:
    label: str
    path: str
    target_ms: float
    export: bool = False


@dataclass
class Result:
    page: Page
    user: str
    median_ms: float
    first_byte_ms: float
    queries: list[dict]
    size: int

    @property
    def met(self) -> bool:
        if self.page.export:
            return self.first_byte_ms < EXPORT_FIRST_BYTE_MS and self.median_ms < EXPORT_TOTAL_MS
        return self.median_ms < self.page.target_ms


def pages(*, small: bool, year: int, quarter: int) -> list[Page]:
    from django.urls import reverse

    from reviews.dashboard import BRANCH_SORTS

    dashboard_target = SMALL_DASHBOARD_TARGET_MS if small else PAGE_TARGET_MS
    dashboard = reverse("dashboard")
    listing = reverse("dashboard_pledges")
    found = [Page("dashboard", dashboard, dashboard_target)]
    for column in BRANCH_SORTS:
        for sort in (column, f"-{column}"):
            found.append(Page(f"dashboard sort={sort}", f"{dashboard}?sort={sort}", PAGE_TARGET_MS))
    found += [
        Page("pledge list", listing, PAGE_TARGET_MS),
        Page("pledge list overdue", f"{listing}?overdue=1", PAGE_TARGET_MS),
        Page("pledge list step=practise", f"{listing}?step=practise", PAGE_TARGET_MS),
        Page("pledge list done", f"{listing}?done=1", PAGE_TARGET_MS),
        Page("pledge list completed Q1", f"{listing}?completed_quarter=1", PAGE_TARGET_MS),
        Page("pledge list last page", f"{listing}?page=last", PAGE_TARGET_MS),
        Page("approvals", reverse("pledges:approvals"), PAGE_TARGET_MS),
        Page("cross-off", reverse("reviews:cross_off"), PAGE_TARGET_MS),
        Page("calendar", reverse("reviews:calendar"), PAGE_TARGET_MS),
        Page(
            f"quarterly {year} Q{quarter}",
            reverse("reviews:quarterly", args=[year, quarter]),
            PAGE_TARGET_MS,
        ),
        Page(f"quarterly {year} Q1", reverse("reviews:quarterly", args=[year, 1]), PAGE_TARGET_MS),
        Page(f"half-year {year}", reverse("reviews:halfyear", args=[year]), PAGE_TARGET_MS),
        Page(f"year-end {year}", reverse("reviews:yearend", args=[year]), PAGE_TARGET_MS),
        Page(f"year-end {year - 1}", reverse("reviews:yearend", args=[year - 1]), PAGE_TARGET_MS),
        Page("export", reverse("dashboard_export"), EXPORT_TOTAL_MS, export=True),
    ]
    return found


def fetch(client, path: str) -> tuple[float, float, int, int]:
    """GET `path`, reading the whole body: (ms to the first byte, ms to the last, status,
    bytes). A streamed body's first byte is its first chunk."""
    started = time.perf_counter()
    response = client.get(path)
    if response.streaming:
        chunks = iter(response.streaming_content)
        first = next(chunks, b"")
        first_byte = time.perf_counter() - started
        size = len(first) + sum(len(chunk) for chunk in chunks)
    else:
        first_byte = time.perf_counter() - started
        size = len(response.content)
    total = time.perf_counter() - started
    return first_byte * 1000, total * 1000, response.status_code, size


def measure(client, page: Page, *, user: str, runs: int) -> Result | str:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _first, _total, status, _size = fetch(client, page.path)  # warm-up
    if status != 200:
        return f"answers {status}"
    totals, first_bytes = [], []
    for _run in range(runs):
        with CaptureQueriesContext(connection) as captured:
            first_byte, total, status, size = fetch(client, page.path)
        totals.append(total)
        first_bytes.append(first_byte)
    return Result(
        page=page,
        user=user,
        median_ms=statistics.median(totals),
        first_byte_ms=statistics.median(first_bytes),
        queries=list(captured.captured_queries),
        size=size,
    )


def explain(result: Result, how_many: int) -> None:
    from django.db import connection

    slowest = sorted(result.queries, key=lambda q: -float(q["time"]))[:how_many]
    for query in slowest:
        sql = query["sql"]
        print(f"    -- {float(query['time']) * 1000:.0f} ms: {sql[:300]}")
        if connection.vendor != "postgresql" or not sql.lstrip().upper().startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            for (line,) in cursor.fetchall():
                print(f"       {line}")


def default_users() -> list[str]:
    """`district` and every other review staff user of a root committee."""
    from branches.enums import StaffRole
    from branches.models import CommitteeStaff

    roots = (
        CommitteeStaff.objects.filter(committee__parent=None, role=StaffRole.REVIEW)
        .order_by("user_id")
        .values_list("user__username", flat=True)
    )
    return ["district", *[name for name in roots if name != "district"]]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--users", default="")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", default="")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--explain", type=int, default=2)
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()
    if not 1 <= args.runs <= 100:
        parser.error("--runs must be between 1 and 100")

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from branches.models import Branch, Member
    from pledges.models import Pledge

    settings.ALLOWED_HOSTS = ["testserver"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }

    branches = Branch.objects.count()
    print(
        f"database: {connection.vendor} {connection.settings_dict['NAME']}; "
        f"{branches:,} branches, {Member.objects.count():,} members, "
        f"{Pledge.objects.count():,} pledges; {args.runs} runs after a warm-up, medians"
    )
    today = timezone.localdate()
    todo = [
        page
        for page in pages(
            small=branches < SMALL_DATABASE_BRANCHES,
            year=today.year,
            quarter=(today.month - 1) // 3 + 1,
        )
        if args.only in page.label or args.only in page.path
    ]
    usernames = [name for name in args.users.split(",") if name] or default_users()
    misses = 0
    for username in usernames:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            print(f"no user {username!r}: seed the database first (see --help)", file=sys.stderr)
            return 2
        client = Client()
        client.force_login(user)
        print(f"\n== {username}")
        for page in todo:
            result = measure(client, page, user=username, runs=args.runs)
            if isinstance(result, str):
                print(f"{page.label:<28} {result}  ({page.path})")
                misses += 1
                continue
            if page.export:
                timing = (
                    f"first byte {result.first_byte_ms:6.0f} ms (< {EXPORT_FIRST_BYTE_MS}), "
                    f"total {result.median_ms:6.0f} ms (< {EXPORT_TOTAL_MS})"
                )
            else:
                timing = f"{result.median_ms:6.0f} ms (< {page.target_ms:.0f})"
            verdict = "met" if result.met else "MISSED"
            misses += not result.met
            print(
                f"{page.label:<28} {timing}  {len(result.queries):3d} queries  "
                f"{result.size:>9,} bytes  {verdict}"
            )
            if args.verbose:
                explain(result, args.explain)
    print(f"\n{misses} missed" if misses else "\nevery target met")
    return 1 if args.strict and misses else 0


if __name__ == "__main__":
    sys.exit(main())
