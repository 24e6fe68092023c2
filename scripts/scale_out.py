#!/usr/bin/env python3
"""Two gunicorn instances sharing one PostgreSQL and one Redis behave as one site.

    .venv/bin/python scripts/scale_out.py [options]

Starts instances A and B on two loopback ports, with the same SECRET_KEY, the same scratch
PostgreSQL database and CACHE_URL on the same scratch Redis database, and checks, each
printed PASS or FAIL:
  1. sessions: signed in through A (fanzhai), the session cookie opens /work/ on B;
  2. page cache: a member's page rendered by B is served by A from Redis: the same body
     and ETag, and A stores nothing (no key is added and no key's expiry starts anew);
  3. stamps: a progress record posted through A, with the real form (CSRF token and
     one-time submission key), is on the member's page fetched through B at once;
  4. limits: failed lookups of unknown codes, alternating between A and B, are answered
     404 up to MISS_LIMIT in all and 429 after (pledges.public.caching).
Exits 1 when any check fails.

What it does, and undoes:
  - uses the scratch PostgreSQL database of --database-url (default pledgewall_bench on
    127.0.0.1:5432), creating, migrating and seeding it (seed_demo --if-empty) as
    scripts/bench_public.py does; it adds one progress record to a pledge of 范寨村 per run:
    never point it at real data;
  - empties the scratch Redis database of --redis-url (default number 15 on 127.0.0.1)
    with FLUSHDB before and after: never give it a database that holds anything;
  - stops both gunicorns when done, on an error and on Ctrl-C, and removes its temporary
    files.

Options (all optional):
  --database-url URL   scratch PostgreSQL database on this machine (a loopback host)
  --redis-url URL      scratch Redis database (default redis://127.0.0.1:6379/15)
  --workers N          sync workers per instance (default 2)
"""

import argparse
import os
import secrets
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from serving import (
    flush_redis,
    form_with_field,
    free_port,
    http_request,
    is_local_postgres,
    is_local_redis,
    prepare_demo_site,
    print_logs,
    redis_keys,
    sign_in,
    start_gunicorn,
    stop,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/pledgewall_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
SECRETARY = "fanzhai"
PASSWORD = "demo12345"
TOKEN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

# A pledge of 范寨村 being carried out whose member has a public page, and the limits.
FIND_FIXTURES = """
import json
from branches.models import Member
from pledges.enums import PledgeStatus
from pledges.models import Pledge
from pledges.public.caching import MISS_LIMIT
pledge = (
    Pledge.objects.filter(
        owner_branch__name="范寨村党支部",
        status=PledgeStatus.IN_PROGRESS,
        member__is_active=True,
        member__public_page_enabled=True,
    )
    .select_related("member")
    .order_by("pk")
    .first()
)
print("FIXTURES " + json.dumps({
    "pledge_id": pledge.pk if pledge else 0,
    "member_token": pledge.member.public_token if pledge else "",
    "miss_limit": MISS_LIMIT,
}))
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not 1 <= args.workers <= 64:
        parser.error("--workers must be between 1 and 64")
    if not is_local_postgres(args.database_url):
        parser.error("--database-url must be a PostgreSQL database on this machine (loopback)")
    if not is_local_redis(args.redis_url):
        parser.error(
            "--redis-url must be redis://<loopback>:<port>/<n> with a scratch number n ≠ 0"
        )
    return args


class Checks:
    def __init__(self):
        self.failed = 0

    def report(self, name: str, passed: bool, detail: str) -> None:
        self.failed += not passed
        print(f"{'PASS' if passed else 'FAIL'}  {name}: {detail}", flush=True)


def key_ttls(redis_url: str) -> dict[str, int]:
    """Every key of the Redis database with the seconds left to it (-1: no expiry)."""
    import redis

    client = redis.Redis.from_url(redis_url, socket_timeout=5)
    try:
        return {key: client.ttl(key) for key in redis_keys(redis_url, "*")}
    finally:
        client.close()


def check_sessions(checks: Checks, a: str, b: str) -> dict[str, str]:
    cookies = sign_in(a, SECRETARY, PASSWORD)
    answer = http_request(f"{b}/work/", cookies=cookies)
    checks.report(
        "sessions",
        answer.status == 200,
        f"signed in as {SECRETARY} through A; /work/ on B answers {answer.status}"
        + ("" if answer.status == 200 else f" ({answer.headers.get('Location', '')})"),
    )
    return cookies


def check_page_cache(checks: Checks, a: str, b: str, page: str, redis_url: str) -> None:
    first = http_request(b + page)
    stored = key_ttls(redis_url)
    # What A stored again would start its expiry anew: wait for the clocks to move.
    time.sleep(2.5)
    second = http_request(a + page)
    after = key_ttls(redis_url)
    pages = [key for key in stored if "public-page:" in key]
    rewritten = [
        key for key, ttl in after.items() if key not in stored or (ttl != -1 and ttl >= stored[key])
    ]
    shared = (
        first.status == second.status == 200
        and first.body == second.body
        and first.headers["ETag"] == second.headers["ETag"]
        and bool(pages)
        and not rewritten
    )
    checks.report(
        "page cache",
        shared,
        f"{page} rendered by B ({first.status}; {len(stored)} keys in Redis, "
        f"{len(pages)} page), served by A 2.5 s later ({second.status}, same ETag and body: "
        f"{first.body == second.body}) without storing anything "
        f"(keys stored or renewed by A: {rewritten or 'none'})",
    )


def check_stamps(checks: Checks, a: str, b: str, page: str, fixtures, cookies) -> None:
    before = http_request(b + page)
    form_path = f"/work/pledges/{fixtures['pledge_id']}/progress/add/"
    form_page = http_request(a + form_path, cookies=cookies)
    if form_page.status != 200:
        checks.report("stamps", False, f"{form_path} on A answers {form_page.status}")
        return
    form = form_with_field(form_page.text, "description")
    description = f"扩展测试 {secrets.token_hex(4)}：两台服务器共享缓存与时间戳"
    data = {
        **form["hidden"],
        "happened_on": form["values"].get("happened_on", time.strftime("%Y-%m-%d")),
        "description": description,
    }
    posted = http_request(a + form_path, data=data, cookies=cookies)
    after = http_request(b + page)
    shown = description in after.text
    checks.report(
        "stamps",
        before.status == 200
        and description not in before.text
        and posted.status in {302, 303}
        and after.status == 200
        and shown
        and after.headers["ETag"] != before.headers["ETag"],
        f"progress record posted through A ({posted.status}, submission key "
        f"{'sent' if 'submission_key' in form['hidden'] else 'MISSING'}); the page through "
        f"B at once: {after.status}, record shown: {shown}, ETag "
        f"{before.headers.get('ETag')} → {after.headers.get('ETag')}",
    )


def check_limits(checks: Checks, a: str, b: str, limit: int, redis_url: str) -> None:
    statuses = []
    for number in range(limit + 2):
        base = (a, b)[number % 2]
        code = "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(10))
        statuses.append(http_request(f"{base}/q/{code}/").status)
    expected = [404] * limit + [429, 429]
    counters = redis_keys(redis_url, "*public-misses:*")
    on_a, on_b = statuses[0::2][: (limit + 1) // 2], statuses[1::2][: limit // 2]
    checks.report(
        "limits",
        statuses == expected and len(counters) == 1,
        f"{limit + 2} unknown codes alternating A, B: 404 × "
        f"{statuses.count(404)} (A {on_a.count(404)}, B {on_b.count(404)}), then "
        f"{statuses[limit:]} (expected 404 × {limit}, then 429); "
        f"{len(counters)} counter in Redis",
    )


def main() -> int:
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="pledgewall-scale-"))
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "CACHE_URL": args.redis_url,
        "DEBUG": "0",
        # One key for both instances, as in a deployment: a session signed by A is B's too.
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "STATIC_ROOT": str(workdir / "static"),
        "LOG_LEVEL": "WARNING",
        # The client address is the connection's (REMOTE_ADDR), as without a proxy.
        "PUBLIC_CLIENT_ADDRESS_HEADER": "",
    }
    servers = []
    logs = []
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        flush_redis(args.redis_url)
        fixtures = prepare_demo_site(env, find_fixtures=FIND_FIXTURES)
        if not fixtures.get("pledge_id"):
            print("no pledge of 范寨村 being carried out with a public page", file=sys.stderr)
            return 2
        # Migrations and the seed may have written to the cache: start from empty.
        flush_redis(args.redis_url)

        bases = []
        for name in ("a", "b"):
            port = free_port()
            log = open(workdir / f"gunicorn-{name}.log", "w")  # noqa: SIM115 (closed below)
            logs.append(log)
            server_env = {**env, "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}
            servers.append(start_gunicorn(port, server_env, log, workers=args.workers))
            bases.append(f"http://127.0.0.1:{port}")
        a, b = bases
        print(
            f"A {a} and B {b}: {args.workers} sync workers each; PostgreSQL "
            f"{args.database_url.rsplit('/', 1)[-1]}, Redis {args.redis_url}"
        )

        checks = Checks()
        page = f"/q/{fixtures['member_token']}/"
        cookies = check_sessions(checks, a, b)
        check_page_cache(checks, a, b, page, args.redis_url)
        check_stamps(checks, a, b, page, fixtures, cookies)
        check_limits(checks, a, b, fixtures["miss_limit"], args.redis_url)
        if checks.failed:
            print(f"{checks.failed} check(s) failed", file=sys.stderr)
            print_logs(workdir)
            return 1
        print("all checks passed")
        return 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except SystemExit as failure:
        if failure.code not in (None, 0) and logs:
            print_logs(workdir)
        raise
    finally:
        for server in servers:
            stop(server)
        for log in logs:
            log.close()
        try:
            flush_redis(args.redis_url)
        except Exception as error:  # noqa: BLE001 (cleaning up: report, go on)
            print(f"could not empty {args.redis_url}: {error}", file=sys.stderr)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
