#!/usr/bin/env python3
"""Time the workspace pages at scale 1 (the demo district), in process.

    .venv/bin/python scripts/bench_workspace.py [options]

Target (issue 12): each page renders in under 10 ms (median) in a fixed number of queries.

Pages, each as the demo login that works on it:
  /work/ (待办)          as fanzhai (secretary of 范寨村), jishi (committee staff of a town),
                         district (staff of the district) and zuzhi (its organisation staff)
  needs list (需求)      范寨村's, as fanzhai
  pledge page (承诺)     the 范寨村 pledge with the longest history, as fanzhai and as jishi
  approvals list (审核)  as jishi and as district

What it does: with the default --database-url, a scratch SQLite file in the system's temporary
directory that it migrates and seeds with `seed_demo --if-empty` (about a minute the first
time; never point it at real data). Then in this process: DEBUG off, Django's test Client
signed in with force_login, one warm-up GET per page, then --runs GETs (default 200); prints
the median and p95 in ms, the queries of one request, and whether the median is under 10 ms.
Static files are served unhashed so that no collectstatic is needed.

Options (all optional):
  --database-url URL   the database (default sqlite:///<tmp>/pledgewall_bench_workspace.sqlite3);
                       a PostgreSQL URL on this machine is created if missing
  --runs N             timed requests per page (default 200)
  --only TEXT          measure only the pages whose label contains TEXT
  --profile PATH       write a cProfile of the timed loop of every page to PATH
                       (read it with `python -m pstats PATH`)
  --strict             exit 1 when a page misses the target
"""

import argparse
import cProfile
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from serving import MANAGE, ROOT, ensure_database, is_local_postgres, run

SCRATCH_FILE = Path(tempfile.gettempdir()) / "pledgewall_bench_workspace.sqlite3"
DEFAULT_DATABASE_URL = f"sqlite:///{SCRATCH_FILE}"
TARGET_MS = 10.0


@dataclass
class Page:
    label: str
    username: str
    path: str


def prepare(database_url: str) -> None:
    """Migrate the database and load the demo district when it is empty."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-secret-key"),
        "DEBUG": "0",
    }
    if is_local_postgres(database_url):
        ensure_database(database_url)
    run([*MANAGE, "migrate", "-v0"], env)
    run([*MANAGE, "seed_demo", "--if-empty", "-v0"], env)


def pages() -> list[Page]:
    """The pages measured, found in the demo district."""
    from django.db.models import Count

    from branches.models import Branch
    from pledges.enums import PledgeStatus
    from pledges.models import Pledge

    branch = Branch.objects.get(secretary__username="fanzhai")
    # The pledge with the longest history: the most work for its page.
    pledge = (
        Pledge.objects.filter(owner_branch=branch)
        .exclude(status=PledgeStatus.DRAFT)
        .annotate(moves=Count("transitions", distinct=True), records=Count("progress_records"))
        .order_by("-records", "-moves", "pk")
        .first()
    )
    return [
        Page("home · secretary (fanzhai)", "fanzhai", "/work/"),
        Page("home · town staff (jishi)", "jishi", "/work/"),
        Page("home · district staff (district)", "district", "/work/"),
        Page("home · organisation staff (zuzhi)", "zuzhi", "/work/"),
        Page("needs list (fanzhai)", "fanzhai", f"/work/branches/{branch.pk}/needs/"),
        Page("pledge page (fanzhai)", "fanzhai", f"/work/pledges/{pledge.pk}/"),
        Page("pledge page (jishi)", "jishi", f"/work/pledges/{pledge.pk}/"),
        Page("approvals (jishi)", "jishi", "/work/approvals/"),
        Page("approvals (district)", "district", "/work/approvals/"),
    ]


def measure(page: Page, runs: int, profiler: cProfile.Profile | None) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username=page.username))
    response = client.get(page.path)  # warm-up: templates, translations, connection
    if response.status_code != 200:
        raise SystemExit(f"{page.path} as {page.username} answers {response.status_code}")
    # Counted by a wrapper: CaptureQueriesContext loses the queries of a whole request, as
    # request_started empties the connection's log it reads.
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get(page.path)
    seconds, cpu = [], []
    if profiler:
        profiler.enable()
    for _run in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        client.get(page.path)
        seconds.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    if profiler:
        profiler.disable()
    seconds.sort()
    return {
        "median": statistics.median(seconds) * 1000,
        "p95": seconds[min(len(seconds) - 1, int(len(seconds) * 0.95))] * 1000,
        "cpu": statistics.median(cpu) * 1000,
        "queries": len(queries),
        "bytes": len(response.content),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--only", default="")
    parser.add_argument("--profile", type=Path)
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()
    if not 1 <= args.runs <= 10_000:
        parser.error("--runs must be between 1 and 10000")

    prepare(args.database_url)
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from branches.models import Branch, Member
    from pledges.models import Pledge

    settings.ALLOWED_HOSTS = ["testserver"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }

    print(
        f"database: {connection.vendor} {connection.settings_dict['NAME']}; "
        f"{Branch.objects.count():,} branches, {Member.objects.count():,} members, "
        f"{Pledge.objects.count():,} pledges; {args.runs} requests a page"
    )
    profiler = cProfile.Profile() if args.profile else None
    missed = 0
    print(f"{'page':<38} {'median':>9} {'p95':>9} {'cpu':>9} {'queries':>8}  < {TARGET_MS:.0f} ms")
    for page in pages():
        if args.only not in page.label:
            continue
        figures = measure(page, args.runs, profiler)
        met = figures["median"] < TARGET_MS
        missed += not met
        print(
            f"{page.label:<38} {figures['median']:6.1f} ms {figures['p95']:6.1f} ms "
            f"{figures['cpu']:6.1f} ms {figures['queries']:>8}  {'yes' if met else 'NO'}"
        )
    if profiler:
        profiler.dump_stats(args.profile)
        print(f"profile written to {args.profile} (python -m pstats {args.profile})")
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
