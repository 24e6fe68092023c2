#!/usr/bin/env python3
"""Time the district dashboard (/dashboard/) as the district user, in process.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> .venv/bin/python scripts/bench_dashboard.py

Seed the database first with the province-sized demo data (THE DATABASE IS WIPED: use a
scratch database), and let PostgreSQL gather statistics:

    DATABASE_URL=... .venv/bin/python manage.py migrate
    DATABASE_URL=... .venv/bin/python manage.py seed_demo --reset --scale 100   # ~3 minutes
    psql <db> -c ANALYZE

Without DATABASE_URL the scratch database postgres://postgres@127.0.0.1:5432/pledgewall_bench
is used (scripts/bench_public.py seeds it at scale 1). The script only reads.

What it measures: Django's test Client, signed in with force_login as --user (default
"district"), GET of the page once as a warm-up, then --runs times (default 5); prints each
time, the median, the number of SQL queries, the size of the data set and whether the
median is under the target (one second at scale 100 on PostgreSQL). DEBUG is off; static
files are served unhashed so that no collectstatic is needed.

Options: --user NAME, --runs N, --path PATH (default /dashboard/, e.g. '/dashboard/?sort=-overdue'
or /dashboard/export.xlsx), --strict (exit 1 when the target is missed).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/pledgewall_bench"
TARGET_SECONDS = 1.0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--user", default="district")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--path", default="/dashboard/")
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
    from django.test.utils import CaptureQueriesContext

    from branches.models import Branch, Member
    from pledges.models import Pledge

    settings.ALLOWED_HOSTS = ["testserver"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }

    user = get_user_model().objects.filter(username=args.user).first()
    if user is None:
        print(f"no user {args.user!r}: seed the database first (see --help)", file=sys.stderr)
        return 2
    client = Client()
    client.force_login(user)

    response = client.get(args.path)  # warm-up: connection, templates, caches
    if response.status_code != 200:
        print(f"{args.path} answers {response.status_code}", file=sys.stderr)
        return 1
    seconds = []
    for _run in range(args.runs):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(args.path)
            seconds.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    median = statistics.median(seconds)
    met = median < TARGET_SECONDS
    print(
        f"database: {connection.vendor} {connection.settings_dict['NAME']}; "
        f"{Branch.objects.count():,} branches, {Member.objects.count():,} members, "
        f"{Pledge.objects.count():,} pledges"
    )
    print(
        f"{args.path} as {args.user}: {len(queries.captured_queries)} queries, "
        f"{len(response.content):,} bytes"
    )
    print("runs: " + ", ".join(f"{s * 1000:.0f} ms" for s in seconds))
    print(
        f"median {median * 1000:.0f} ms (target < {TARGET_SECONDS * 1000:.0f} ms): "
        + ("met" if met else "MISSED")
    )
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
