#!/usr/bin/env python3
"""Throughput and p95 latency of the public side, in one run, on one gunicorn.

    .venv/bin/python scripts/bench_public.py [options]

Measures with wrk, at the same concurrency and for the same time each:
  1. a static file         /static/css/app.css   (whitenoise, no database)
  2. a trivial Django view /healthz              (one SELECT 1)
  3. a member's page       /q/<token>/           (a member of 范寨村 with published pledges)
and prints requests/s and p95 latency of each, and the member page's throughput as a share of
the trivial view's. Target: at least 70 % of the trivial view, p95 under 20 ms at 16
connections.

What it does, and undoes:
  - uses the scratch PostgreSQL database of --database-url (default pledgewall_bench on
    127.0.0.1:5432), creating it if missing, migrating it, and loading the demo district
    (seed_demo --if-empty) when it is empty: never point it at real data;
  - collects static files into a temporary STATIC_ROOT (hashed and compressed, as deployed);
  - starts gunicorn on 127.0.0.1 at a free port, DEBUG off, a throwaway SECRET_KEY,
    persistent connections as configured by default (CONN_MAX_AGE), sync workers as in the
    README's deployment command (2 × cores unless --workers);
  - stops gunicorn when done, on an error and on Ctrl-C, and removes the temporary files.
Traffic goes to the loopback address only; every wrk run is bounded by --duration.

Options (all optional):
  --database-url URL   scratch PostgreSQL database on this machine (a loopback host)
  --duration S         seconds measured per address (default 10)
  --warmup S           seconds of warm-up per address, not measured (default 3)
  --connections N      concurrent connections (default 16)
  --threads N          wrk threads (default 2)
  --workers N          gunicorn workers (default 2 × cores)
  --token TOKEN        the member whose page is measured (default: found in 范寨村)
  --member-path PATH   measure this address instead of the member page (development)
  --strict             exit 1 when the target is missed

Needs wrk (`apt-get install -y wrk`) and a PostgreSQL server at the given address.
"""

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from serving import MANAGE, ensure_database, free_port, is_local_postgres, run, start_gunicorn, stop

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/pledgewall_bench"
TARGET_SHARE = 0.70
TARGET_P95_MS = 20.0

# Printed by wrk after the run: one JSON line with the figures (latencies in microseconds).
WRK_REPORT = """
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "seconds": %.3f, "p50": %d, "p95": %d, "p99": %d, ' ..
    '"max": %d, "non_2xx": %d, "socket_errors": %d}\\n',
    summary.requests, summary.duration / 1e6,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
"""

# Finds a member of 范寨村 whose page has published pledges and is public.
FIND_MEMBER = """
from branches.models import Member
from pledges.workflow import PUBLIC_STATUSES
member = (
    Member.objects.filter(
        branch__name="范寨村党支部",
        is_active=True,
        public_page_enabled=True,
        pledges__status__in=PUBLIC_STATUSES,
    )
    .order_by("name", "pk")
    .first()
)
print(f"{member.public_token}\t{member.name}" if member else "")
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument("--token", default="")
    parser.add_argument("--member-path", default="")
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()
    for name in ("duration", "connections", "threads", "workers"):
        if not 1 <= getattr(args, name) <= 600:
            parser.error(f"--{name.replace('_', '-')} must be between 1 and 600")
    if not 0 <= args.warmup <= 60:
        parser.error("--warmup must be between 0 and 60")
    if not is_local_postgres(args.database_url):
        parser.error("--database-url must be a PostgreSQL database on this machine (loopback)")
    return args


def fetch(url: str, *, timeout: float = 5.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, ""


def wrk(url: str, script: Path, args, seconds: int) -> dict:
    command = [
        "wrk",
        f"--threads={args.threads}",
        f"--connections={args.connections}",
        f"--duration={seconds}s",
        "--timeout=5s",
        "--latency",
        f"--script={script}",
        url,
    ]
    output = subprocess.run(
        command, check=True, text=True, capture_output=True, timeout=seconds + 60
    ).stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH "))
    figures = json.loads(line.removeprefix("BENCH "))
    figures["rps"] = figures["requests"] / figures["seconds"]
    return figures


def main() -> int:
    args = parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install -y wrk", file=sys.stderr)
        return 2

    workdir = Path(tempfile.mkdtemp(prefix="pledgewall-bench-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "STATIC_ROOT": str(workdir / "static"),
        "PUBLIC_BASE_URL": base,
        "LOG_LEVEL": "WARNING",
    }
    manage = MANAGE
    server = None
    log = None
    # Ctrl-C (even where a background job ignores it) and a TERM from outside both end in
    # the finally below, which stops gunicorn.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        ensure_database(args.database_url)
        run([*manage, "migrate", "--noinput", "--verbosity", "0"], env)
        run([*manage, "seed_demo", "--if-empty", "--verbosity", "0"], env, capture=True)
        run([*manage, "collectstatic", "--noinput", "--verbosity", "0"], env)
        member_path, name = args.member_path, ""
        if args.token:
            member_path = f"/q/{args.token}/"
        elif not member_path:
            found = run([*manage, "shell", "-c", FIND_MEMBER], env, capture=True).splitlines()
            if not found or not found[-1].strip():
                print("no member of 范寨村 with published pledges: pass --token", file=sys.stderr)
                return 2
            token, name = found[-1].split("\t")
            member_path = f"/q/{token}/"

        log = open(workdir / "gunicorn.log", "w")  # noqa: SIM115 (closed in the finally)
        server = start_gunicorn(port, env, log, workers=args.workers)

        targets = [
            ("static file", "/static/css/app.css"),
            ("trivial view", "/healthz"),
            ("member page", member_path),
        ]
        for label, path in targets:
            status, body = fetch(base + path)
            if status != 200 or (label == "member page" and name and name not in body):
                print(f"{label} {path}: answers {status}, not the page to measure", file=sys.stderr)
                return 1

        script = workdir / "report.lua"
        script.write_text(WRK_REPORT)
        print(
            f"gunicorn: {args.workers} sync workers on {os.cpu_count()} cores; wrk: "
            f"{args.connections} connections, {args.threads} threads, "
            f"{args.warmup} s warm-up + {args.duration} s each; database: PostgreSQL"
        )
        results = {}
        for label, path in targets:
            if args.warmup:
                wrk(base + path, script, args, args.warmup)
            results[label] = figures = wrk(base + path, script, args, args.duration)
            print(
                f"  {label:<13} {path:<22} {figures['rps']:8.0f} req/s   "
                f"p50 {figures['p50'] / 1000:6.2f} ms   p95 {figures['p95'] / 1000:6.2f} ms   "
                f"p99 {figures['p99'] / 1000:6.2f} ms   "
                f"errors {figures['non_2xx'] + figures['socket_errors']}"
            )

        member, trivial = results["member page"], results["trivial view"]
        share = member["rps"] / trivial["rps"]
        p95_ms = member["p95"] / 1000
        met = share >= TARGET_SHARE and p95_ms < TARGET_P95_MS
        print(
            f"member page: {share:.0%} of the trivial view's throughput, p95 {p95_ms:.2f} ms "
            f"(target ≥ {TARGET_SHARE:.0%}, p95 < {TARGET_P95_MS:.0f} ms): "
            + ("met" if met else "MISSED")
        )
        errors = sum(r["non_2xx"] + r["socket_errors"] for r in results.values())
        if errors:
            print(f"{errors} failed requests; gunicorn's log ends:", file=sys.stderr)
            print((workdir / "gunicorn.log").read_text()[-3000:], file=sys.stderr)
            return 1
        return 1 if args.strict and not met else 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        stop(server)
        if log is not None:
            log.close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
