#!/usr/bin/env python3
"""Throughput and latency of the site against its own ceilings, in one run, on one machine.

    .venv/bin/python scripts/bench_public.py [options]

Measures with wrk, at the same concurrency and for the same time each, on gunicorns with
the same settings (sync workers, DEBUG off), against PostgreSQL:
  raw WSGI       a plain WSGI callable answering "ok", no Django (bench_wsgi:raw_app): the
                 ceiling of gunicorn and wrk on this machine
  trivial view   /bench/ok: the app's settings and whole middleware stack, one view
                 answering "ok" without a query (bench_urls); the yardstick of the shares
  healthz        /healthz (one SELECT 1)
  member cached  /q/<code>/ of one member of 范寨村, again and again
  member cold    /q/<code>/ of a random member of the district with a public page: every
                 request a different page, as scans of the walls are, after every page has
                 been asked --spread-passes times (a district's pages are each scanned now
                 and then: the cache must hold all of them, not a hot few)
  first render   the same, from a cache emptied just before (every worker's), no warm-up:
                 each page rendered from the database (no target; the cost of a change)
  branch board   /q/<branch code>/ of 范寨村党支部
  district site  /
  pledge page    /p/<id>/, a published pledge of that member
  QR PNG         /q/<code>.png
  /work/         the secretary's workspace, signed in as fanzhai
  dashboard      /dashboard/, signed in as district, at --connections and again alone
                 (1 connection: the time one answer takes, without queueing)
and prints one markdown table: req/s, p50, p95, p99, errors and the share of the trivial
view's req/s, with each target marked met or MISSED:
  member cached  ≥ 70 % of the trivial view and p95 < 10 ms (locmem); ≥ 50 % (Redis)
  member cold    ≥ 25 %;   /work/ ≥ 20 %;   dashboard alone p50 < 30 ms.

The site and the trivial view are served by the SAME gunicorn (bench_wsgi:application),
so the share is the cost of the page itself. With --cache both (the default) the whole set
is measured with the default per-process cache and with Redis (CACHE_URL), one gunicorn
each; with --rounds N the whole list is measured N times, interleaved, and the table shows
each figure's median.

What it does, and undoes:
  - uses the scratch PostgreSQL database of --database-url (default pledgewall_bench on
    127.0.0.1:5432), creating it if missing, migrating it, and loading the demo district
    (seed_demo --if-empty, scale 1) when it is empty: never point it at real data;
  - empties the scratch Redis database of --redis-url (default number 14 on 127.0.0.1)
    with FLUSHDB before and after: never give it a database that holds anything;
  - collects static files into a temporary STATIC_ROOT (hashed and compressed, as deployed);
  - starts the gunicorns on 127.0.0.1 at free ports, DEBUG off, a throwaway SECRET_KEY,
    persistent connections as configured by default (CONN_MAX_AGE);
  - signs in as fanzhai and district (password demo12345) through /accounts/login/;
  - stops every gunicorn when done, on an error and on Ctrl-C, and removes the temporary
    files.
Traffic goes to the loopback address only; every wrk run is bounded by --duration, and
the next starts only when the requests it left queued have been answered.

At 16 connections on 2 sync workers, latency is mostly queueing (Little's law: p50 ≈
connections ÷ req/s), so a p95 under 10 ms there needs about 1,600 req/s or more: compare
with the raw WSGI row, the ceiling of this machine.

Options (all optional):
  --database-url URL   scratch PostgreSQL database on this machine (a loopback host)
  --redis-url URL      scratch Redis database (default redis://127.0.0.1:6379/14)
  --cache MODE         locmem, redis or both (default both)
  --rounds N           measure the whole list N times, interleaved; medians (default 1)
  --duration S         seconds measured per address (default 10)
  --warmup S           seconds of warm-up per address, not measured (default 3)
  --spread-passes N    passes over every member page before the cold run (default 6)
  --connections N      concurrent connections (default 16)
  --threads N          wrk threads (default 1)
  --workers N          gunicorn sync workers (default 2)
  --only KEYS          measure only these targets, e.g. raw,trivial,cached (development)
  --strict             exit 1 when a target is missed

Needs wrk (`apt-get install -y wrk`), PostgreSQL and, for --cache redis/both, Redis.
"""

import argparse
import concurrent.futures
import json
import math
import os
import random
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from serving import (
    ROOT,
    cookie_header,
    flush_redis,
    free_port,
    http_request,
    is_local_postgres,
    is_local_redis,
    machine_summary,
    prepare_demo_site,
    print_logs,
    sign_in,
    start_gunicorn,
    stop,
    worker_pids,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/pledgewall_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
PASSWORD = "demo12345"


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    # "raw": the plain WSGI gunicorn; "app": the site's.
    server: str = "app"
    path: str = ""
    # Signed in as this user (the session cookie in every request).
    user: str = ""
    # Random paths from the cold list.
    cold: bool = False
    # The cold list from an emptied cache, without warm-up (else after --spread-passes).
    emptied: bool = False
    # Concurrent connections when not --connections: 1 for the time one answer takes.
    connections: int = 0


# Printed by wrk after the run: one JSON line with the figures (latencies in microseconds).
WRK_REPORT = """
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "seconds": %.3f, "bytes": %d, "p50": %d, "p95": %d, ' ..
    '"p99": %d, "max": %d, "non_2xx": %d, "socket_errors": %d}\\n',
    summary.requests, summary.duration / 1e6, summary.bytes,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
"""

# One request to a random path of the list per call (each wrk thread has its own state).
WRK_RANDOM_PATHS = """
local paths = {%s}
init = function(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end
request = function()
  return wrk.format(nil, paths[math.random(#paths)])
end
"""

# The fixtures, found in the scratch database: a member of 范寨村 with published pledges,
# one of those pledges, the branch's code, and every code of a member with a public page.
FIND_FIXTURES = """
import json
from branches.models import Branch, Member
from pledges.models import Pledge
from pledges.workflow import PUBLIC_STATUSES
branch = Branch.objects.filter(name="范寨村党支部").first()
member = (
    Member.objects.filter(
        branch=branch, is_active=True, public_page_enabled=True,
        pledges__status__in=PUBLIC_STATUSES,
    )
    .order_by("name", "pk")
    .first()
)
pledge = member and Pledge.objects.filter(
    member=member, status__in=PUBLIC_STATUSES
).order_by("pk").first()
tokens = list(
    Member.objects.filter(is_active=True, public_page_enabled=True)
    .order_by("pk")
    .values_list("public_token", flat=True)
)
print("FIXTURES " + json.dumps({
    "member_token": member.public_token if member else "",
    "member_name": member.name if member else "",
    "pledge_id": pledge.pk if pledge else 0,
    "branch_token": branch.public_token if branch else "",
    "tokens": tokens,
}))
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--cache", choices=("locmem", "redis", "both"), default="both")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--spread-passes", type=int, default=6)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", default="")
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()
    for name in ("rounds", "duration", "connections", "threads", "workers"):
        if not 1 <= getattr(args, name) <= 600:
            parser.error(f"--{name} must be between 1 and 600")
    if not 0 <= args.warmup <= 60:
        parser.error("--warmup must be between 0 and 60")
    if not is_local_postgres(args.database_url):
        parser.error("--database-url must be a PostgreSQL database on this machine (loopback)")
    if args.cache != "locmem" and not is_local_redis(args.redis_url):
        parser.error(
            "--redis-url must be redis://<loopback>:<port>/<n> with a scratch number n ≠ 0"
        )
    return args


def targets_for(fixtures: dict) -> list[Target]:
    token = fixtures["member_token"]
    return [
        Target("raw", "raw WSGI", server="raw", path="/"),
        Target("trivial", "trivial view", path="/bench/ok"),
        Target("healthz", "healthz", path="/healthz"),
        Target("cached", "member cached", path=f"/q/{token}/"),
        Target("cold", "member cold", path="/q/<random>/", cold=True),
        Target("render", "first render", path="/q/<random>/", cold=True, emptied=True),
        Target("board", "branch board", path=f"/q/{fixtures['branch_token']}/"),
        Target("district", "district site", path="/"),
        Target("pledge", "pledge page", path=f"/p/{fixtures['pledge_id']}/"),
        Target("qr", "QR PNG", path=f"/q/{token}.png"),
        Target("work", "/work/", path="/work/", user="fanzhai"),
        Target("dashboard", "dashboard", path="/dashboard/", user="district"),
        Target("dashboard1", "dashboard alone", path="/dashboard/", user="district", connections=1),
    ]


def wrk(url: str, script: Path, args, seconds: int, *, connections: int = 0) -> dict:
    connections = connections or args.connections
    command = [
        "wrk",
        f"--threads={min(args.threads, connections)}",
        f"--connections={connections}",
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
    figures["kb"] = figures["bytes"] / max(figures["requests"], 1) / 1024
    return figures


def drain(base: str, path: str, workers: int) -> None:
    """Wait until the requests wrk left queued are answered: a new connection is accepted
    after them, so one answer per worker means the backlog is gone and the next run does
    not pay for this one."""
    for _ in range(workers):
        http_request(base + path, headers={"Connection": "close"}, timeout=120)


def lua_script(path: Path, target: Target, *, cookies: dict, cold_paths: list[str]) -> Path:
    """The wrk script of a target: its Cookie header, its random paths, the report."""
    parts = []
    if target.user:
        parts.append(f"wrk.headers[{json.dumps('Cookie')}] = {json.dumps(cookies[target.user])}")
    if target.cold:
        parts.append(WRK_RANDOM_PATHS % ", ".join(json.dumps(p) for p in cold_paths))
    parts.append(WRK_REPORT)
    path.write_text("\n".join(parts))
    return path


def empty_every_cache(base: str, server) -> None:
    """Empty the cache of every worker of the site's gunicorn. /bench/clear-cache answers
    the worker's pid after holding it a moment: requests sent together reach different
    workers, and are sent again until every worker has answered."""
    workers = set(worker_pids(server))
    seen: set[int] = set()

    def clear(_) -> int:
        answer = http_request(f"{base}/bench/clear-cache?hold=0.3", timeout=60)
        if answer.status != 200:
            raise SystemExit(f"/bench/clear-cache answered {answer.status}")
        return int(answer.text)

    together = 2 * max(len(workers), 1)
    with concurrent.futures.ThreadPoolExecutor(max_workers=together) as pool:
        for _ in range(20):
            seen.update(pool.map(clear, range(together)))
            if workers <= seen:
                return
    raise SystemExit(f"could not reach every worker to empty its cache: {workers - seen}")


def check_answers(base: str, target: Target, cookies: dict, fixtures: dict) -> None:
    """The target answers 200 with the page meant (not a redirect to the sign-in)."""
    cookie = {"Cookie": cookies[target.user]} if target.user else {}
    answer = http_request(base + target.path, headers=cookie)
    if answer.status != 200:
        raise SystemExit(f"{target.label} {target.path}: answers {answer.status}, not 200")
    if target.key == "cached" and fixtures["member_name"] not in answer.text:
        raise SystemExit(f"{target.path} does not show {fixtures['member_name']}")


def spread_over(base: str, paths: list[str], *, passes: int) -> None:
    """Ask every page `passes` times, sixteen at a time, in a new random order each pass:
    the scans a district's walls see over a day, before the random run. Requests reach the
    workers as they come free, so in the per-process cache a page is in a given worker's
    after a few passes (each missing it with probability about 2 ** -passes)."""
    rng = random.Random(12)

    def ask(path: str) -> int:
        return http_request(base + path).status

    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        for _ in range(passes):
            order = list(paths)
            rng.shuffle(order)
            failed = [status for status in pool.map(ask, order) if status != 200]
            if failed:
                raise SystemExit(f"{len(failed)} member pages did not answer 200 while spreading")


def check_cold_paths(base: str, paths: list[str]) -> None:
    """Every page of the cold list answers 200 (eight at a time)."""

    def status(path: str) -> tuple[str, int]:
        return path, http_request(base + path).status

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        failed = [(p, s) for p, s in pool.map(status, paths) if s != 200]
    if failed:
        raise SystemExit(
            f"{len(failed)} of {len(paths)} member pages do not answer 200: {failed[:5]}"
        )


def expected_render_share(requests: int, pages: int, caches: int) -> float:
    """The expected share of requests that rendered their page: uniform random pages,
    spread evenly over `caches` caches that start empty (one per worker in the
    per-process cache, one in Redis)."""
    slots = pages * caches
    if not requests:
        return 0.0
    distinct = slots * (1 - math.exp(requests * math.log1p(-1 / slots)))
    return distinct / requests


def median_figures(runs: list[dict]) -> dict:
    """The medians of the rounds; a round in which no request was answered counts as an
    error (its latencies would read 0)."""
    keys = ("rps", "p50", "p95", "p99", "kb")
    figures = {key: statistics.median(run[key] for run in runs) for key in keys}
    figures["stalled"] = sum(not run["requests"] for run in runs)
    figures["errors"] = figures["stalled"] + sum(
        run["non_2xx"] + run["socket_errors"] for run in runs
    )
    figures["requests"] = statistics.median(run["requests"] for run in runs)
    return figures


def verdicts(mode: str, results: dict) -> list[tuple[str, bool]]:
    """(line, met) for each target of this cache mode that was measured."""
    trivial = results.get("trivial")
    lines = []

    def share(key: str) -> float:
        return results[key]["rps"] / trivial["rps"]

    if trivial and "cached" in results:
        cached = results["cached"]
        if mode == "locmem":
            ok = share("cached") >= 0.70 and cached["p95"] / 1000 < 10
            text = (
                f"member cached: {share('cached'):.0%} of the trivial view (≥ 70 %), "
                f"p95 {cached['p95'] / 1000:.1f} ms (< 10 ms)"
            )
        else:
            ok = share("cached") >= 0.50
            text = f"member cached: {share('cached'):.0%} of the trivial view (≥ 50 %)"
        lines.append((text, ok))
    if trivial and "cold" in results:
        ok = share("cold") >= 0.25
        lines.append((f"member cold: {share('cold'):.0%} of the trivial view (≥ 25 %)", ok))
    if trivial and "work" in results:
        ok = share("work") >= 0.20
        lines.append((f"/work/: {share('work'):.0%} of the trivial view (≥ 20 %)", ok))
    if "dashboard1" in results:
        p50 = results["dashboard1"]["p50"] / 1000
        ok = p50 < 30 and not results["dashboard1"]["stalled"]
        lines.append((f"dashboard alone: p50 {p50:.1f} ms (< 30 ms)", ok))
    return lines


def main() -> int:
    args = parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install -y wrk", file=sys.stderr)
        return 2
    modes = ["locmem", "redis"] if args.cache == "both" else [args.cache]

    workdir = Path(tempfile.mkdtemp(prefix="pledgewall-bench-"))
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "STATIC_ROOT": str(workdir / "static"),
        "LOG_LEVEL": "WARNING",
        "CACHE_URL": "locmemcache://",
    }
    gunicorn_options = (f"--pythonpath={ROOT / 'scripts'}",)
    servers: dict[str, object] = {}
    logs = []
    # Ctrl-C (even where a background job ignores it) and a TERM from outside both end in
    # the finally below, which stops the gunicorns.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        fixtures = prepare_demo_site(env, find_fixtures=FIND_FIXTURES)
        if not fixtures.get("member_token") or not fixtures.get("pledge_id"):
            print("no member of 范寨村 with published pledges in the database", file=sys.stderr)
            return 2
        cold_paths = [f"/q/{token}/" for token in fixtures["tokens"]]
        targets = targets_for(fixtures)
        if args.only:
            wanted = set(args.only.split(","))
            targets = [t for t in targets if t.key in wanted | {"trivial"}]

        # One plain WSGI gunicorn, and the site's gunicorn for each cache.
        bases: dict[str, str] = {}

        def serve(name: str, app: str, server_env: dict) -> None:
            port = free_port()
            log = open(workdir / f"gunicorn-{name}.log", "w")  # noqa: SIM115 (closed below)
            logs.append(log)
            server_env = {**server_env, "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}
            servers[name] = start_gunicorn(
                port, server_env, log, workers=args.workers, options=gunicorn_options, app=app
            )
            bases[name] = f"http://127.0.0.1:{port}"

        if any(t.server == "raw" for t in targets):
            serve("raw", "bench_wsgi:raw_app", env)
        for mode in modes:
            mode_env = env
            if mode == "redis":
                flush_redis(args.redis_url)
                mode_env = {**env, "CACHE_URL": args.redis_url}
            serve(mode, "bench_wsgi:application", mode_env)

        cookies: dict[str, dict[str, str]] = {}
        for mode in modes:
            users = {t.user for t in targets if t.user}
            cookies[mode] = {
                user: cookie_header(sign_in(bases[mode], user, PASSWORD)) for user in users
            }
            for target in targets:
                if target.server == "app" and not target.cold:
                    check_answers(bases[mode], target, cookies[mode], fixtures)
        if any(t.cold for t in targets):
            check_cold_paths(bases[modes[0]], cold_paths)

        print(f"machine: {machine_summary()}")
        print(
            f"gunicorn: {args.workers} sync workers each; wrk: {args.connections} connections, "
            f"{args.threads} thread(s), {args.warmup} s warm-up + {args.duration} s per "
            f"address, {args.rounds} round(s); database: PostgreSQL "
            f"({args.database_url.rsplit('/', 1)[-1]}); "
            f"cold list: {len(cold_paths)} member pages"
        )
        runs: dict[tuple[str, str], list[dict]] = {}
        for round_number in range(1, args.rounds + 1):
            for mode in modes:
                for target in targets:
                    base = bases[target.server if target.server == "raw" else mode]
                    script = lua_script(
                        workdir / f"{target.key}.lua",
                        target,
                        cookies=cookies[mode],
                        cold_paths=cold_paths,
                    )
                    url = base + ("/" if target.cold else target.path)
                    quiet_path = "/" if target.server == "raw" else "/bench/ok"
                    if target.emptied:
                        empty_every_cache(base, servers[mode])
                    elif target.cold:
                        spread_over(base, cold_paths, passes=args.spread_passes)
                    elif args.warmup:
                        wrk(url, script, args, args.warmup, connections=target.connections)
                        drain(base, quiet_path, args.workers)
                    figures = wrk(url, script, args, args.duration, connections=target.connections)
                    drain(base, quiet_path, args.workers)
                    runs.setdefault((mode, target.key), []).append(figures)
                    print(
                        f"  round {round_number} {mode:<6} {target.label:<14} "
                        f"{figures['rps']:7.0f} req/s  p95 {figures['p95'] / 1000:7.2f} ms",
                        flush=True,
                    )

        print()
        print(
            "| cache | target | path | req/s | p50 ms | p95 ms | p99 ms | errors | share "
            "| KB/answer |"
        )
        print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
        results: dict[str, dict[str, dict]] = {}
        for mode in modes:
            results[mode] = {t.key: median_figures(runs[(mode, t.key)]) for t in targets}
            trivial = results[mode].get("trivial")
            for target in targets:
                figures = results[mode][target.key]
                # A share only at the same concurrency as the trivial view.
                comparable = trivial and not target.connections
                share = f"{figures['rps'] / trivial['rps']:.0%}" if comparable else "–"
                label = target.label
                if target.connections:
                    label += f" ({target.connections} connection)"
                print(
                    f"| {mode} | {label} | `{target.path}` | {figures['rps']:,.0f} | "
                    f"{figures['p50'] / 1000:.2f} | {figures['p95'] / 1000:.2f} | "
                    f"{figures['p99'] / 1000:.2f} | {figures['errors']} | {share} | "
                    f"{figures['kb']:.1f} |"
                )
        print()
        if args.rounds > 1:
            print(f"Figures are the medians of {args.rounds} rounds; errors are summed.")
        for mode in modes:
            if "cold" in results[mode]:
                print(
                    f"member cold ({mode}): random over {len(cold_paths)} pages, after "
                    f"{args.spread_passes} passes over all of them"
                )
            if "render" in results[mode]:
                caches = args.workers if mode == "locmem" else 1
                rendered = expected_render_share(
                    int(results[mode]["render"]["requests"]), len(cold_paths), caches
                )
                print(
                    f"first render ({mode}): about {rendered:.0%} of its requests rendered the "
                    f"page (random over {len(cold_paths)} pages, {caches} cache(s) emptied "
                    "before the run)"
                )
        print()
        missed = 0
        for mode in modes:
            for text, met in verdicts(mode, results[mode]):
                missed += not met
                print(f"target ({mode}) {text}: {'met' if met else 'MISSED'}")

        errors = sum(r["errors"] for mode in modes for r in results[mode].values())
        if errors:
            print(f"{errors} failed requests", file=sys.stderr)
            print_logs(workdir)
            return 1
        return 1 if args.strict and missed else 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except SystemExit as failure:
        if failure.code not in (None, 0) and logs:
            print_logs(workdir)
        raise
    finally:
        for server in servers.values():
            stop(server)
        for log in logs:
            log.close()
        if args.cache != "locmem":
            try:
                flush_redis(args.redis_url)
            except Exception as error:  # noqa: BLE001 (cleaning up: report, go on)
                print(f"could not empty {args.redis_url}: {error}", file=sys.stderr)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
