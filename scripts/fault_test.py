#!/usr/bin/env python3
"""Faults under load: do acknowledged writes survive a database restart and a killed worker?

    .venv/bin/python scripts/fault_test.py [options]

What it does:
  1. prepares a scratch PostgreSQL database (--database-url, default pledgewall_fault on
     127.0.0.1:5432): creates, migrates and loads the demo district (seed_demo --bulk) when
     it is empty, and collects static files into a temporary directory;
  2. starts gunicorn on a free loopback port, DEBUG off, sync workers (--workers);
  3. runs readers (a public member page, /healthz, a secretary's /work/ and needs list) and
     writers (secretaries of the demo's branches, each recording needs through the needs form
     in a loop, as a person would: open the form, submit it). A writer whose request fails
     (a cut connection, a 5xx) submits the same form again with the same one-time
     submission key, as a browser's "resubmit" does, until it is answered or gives up;
  4. in the middle, restarts PostgreSQL (--restart-at seconds) and SIGKILLs a gunicorn worker
     (--kill-at seconds, and again every --kill-every seconds if set);
  5. stops, then reads the database: every write the server acknowledged (answered with the
     redirect that follows a saved form) must be there exactly once.

It prints requests, 5xx answers, connection errors, acknowledged writes, writes that were
acknowledged but are missing (must be 0) and writes stored twice (must be 0), and exits 1
when either is not 0.

Restarting PostgreSQL needs the right to do so (root, or the postgres user): by default
`pg_ctlcluster <version> main restart -m fast` for the cluster found under /etc/postgresql,
or --restart-command. Never point --database-url at real data: the writes stay in it.
"""

import argparse
import collections
import http.client
import http.cookiejar
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from serving import (
    MANAGE,
    ensure_database,
    free_port,
    is_local_postgres,
    run,
    start_gunicorn,
    stop,
    worker_pids,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/pledgewall_fault"
DEMO_PASSWORD = "demo12345"
# A writer gives up on one form after this many seconds of failed attempts.
RETRY_SECONDS = 30.0

# The secretaries of branches with a needs list, their branch, and a public member token.
FIND_PEOPLE = """
from branches.models import Branch, Member
branches = (
    Branch.objects.filter(secretary__isnull=False, secretary__is_active=True)
    .select_related("secretary")
    .order_by("pk")[:40]
)
# The demo's named secretaries sign in with the demo password; the generated ones do not.
usable = [b for b in branches if b.secretary.check_password("demo12345")][:12]
for branch in usable:
    print(f"branch\\t{branch.pk}\\t{branch.secretary.username}")
member = Member.objects.filter(is_active=True, public_page_enabled=True).order_by("pk").first()
print(f"member\\t{member.public_token}")
"""

COUNT_WRITES = """
from collections import Counter
from pledges.models import Need
prefix = {prefix!r}
counts = Counter(Need.objects.filter(description__startswith=prefix).values_list(
    "description", flat=True))
for description, count in counts.items():
    print(f"{{count}}\\t{{description}}")
"""

FORM_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SUBMISSION_KEY = re.compile(r'name="submission_key" value="([^"]+)"')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--duration", type=int, default=45, help="seconds of load")
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--restart-at", type=float, default=12.0)
    parser.add_argument("--kill-at", type=float, default=25.0)
    parser.add_argument("--kill-every", type=float, default=0.0)
    parser.add_argument("--restart-command", default="")
    args = parser.parse_args()
    if not is_local_postgres(args.database_url):
        parser.error("--database-url must be a PostgreSQL database on this machine (loopback)")
    for name in ("duration", "writers", "readers", "workers"):
        if not 1 <= getattr(args, name) <= 600:
            parser.error(f"--{name} must be between 1 and 600")
    return args


def restart_command(args) -> list[str]:
    if args.restart_command:
        return args.restart_command.split()
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if not versions or shutil.which("pg_ctlcluster") is None:
        raise SystemExit("no PostgreSQL cluster found to restart: pass --restart-command")
    return ["pg_ctlcluster", versions[-1], "main", "restart", "-m", "fast"]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Tally:
    """Thread-safe counters of what the clients saw."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = collections.Counter()
        self.acknowledged: list[str] = []

    def add(self, **increments):
        with self.lock:
            self.counts.update(increments)

    def acknowledge(self, description: str):
        with self.lock:
            self.acknowledged.append(description)


class Client:
    """One person's browser: cookies, no automatic redirects."""

    def __init__(self, base: str, tally: Tally):
        self.base = base
        self.tally = tally
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), NoRedirect()
        )

    def request(self, path: str, data: dict | None = None) -> tuple[int, str, str]:
        """(status, body, Location); status 0 for a connection that failed."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body)
        if data is not None:
            request.add_header("Referer", self.base + path)
        self.tally.add(requests=1)
        try:
            with self.opener.open(request, timeout=10) as response:
                status, text, location = response.status, response.read().decode(), ""
        except urllib.error.HTTPError as error:
            status, location = error.code, error.headers.get("Location", "")
            text = error.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            self.tally.add(connection_errors=1)
            return 0, "", ""
        if status >= 500:
            self.tally.add(server_errors=1)
        return status, text, location

    def sign_in(self, username: str) -> bool:
        deadline = time.monotonic() + RETRY_SECONDS
        while time.monotonic() < deadline:
            status, page, _ = self.request("/accounts/login/")
            token = FORM_TOKEN.search(page) if status == 200 else None
            if token:
                status, _, location = self.request(
                    "/accounts/login/",
                    {
                        "csrfmiddlewaretoken": token.group(1),
                        "username": username,
                        "password": DEMO_PASSWORD,
                    },
                )
                if status == 302:
                    return True
            time.sleep(0.5)
        return False


def writer(base, tally, finished, username, branch_id, prefix, number):
    client = Client(base, tally)
    if not client.sign_in(username):
        tally.add(writers_not_signed_in=1)
        return
    form_path = f"/work/branches/{branch_id}/needs/add/"
    sequence = 0
    while not finished.is_set():
        status, page, _ = client.request(form_path)
        token, key = FORM_TOKEN.search(page or ""), SUBMISSION_KEY.search(page or "")
        if status != 200 or not token:
            time.sleep(0.3)
            continue
        sequence += 1
        description = f"{prefix} 写入者{number} 第{sequence}条"
        data = {
            "csrfmiddlewaretoken": token.group(1),
            "description": description,
            "category": "infrastructure",
            "urgency": "medium",
            "source": "home_visit",
            "raised_by": "",
            "village": "",
        }
        if key:
            data["submission_key"] = key.group(1)
        deadline = time.monotonic() + RETRY_SECONDS
        attempts = 0
        while time.monotonic() < deadline:
            attempts += 1
            status, body, location = client.request(form_path, data)
            if status in (302, 303):
                tally.acknowledge(description)
                if attempts > 1:
                    tally.add(resubmitted=1)
                break
            if status == 200:
                # The form came back with an error: nothing saved, nothing acknowledged.
                tally.add(refused_forms=1)
                break
            time.sleep(0.5)
        else:
            tally.add(gave_up=1)


def reader(base, tally, finished, paths, username):
    client = Client(base, tally)
    if username:
        client.sign_in(username)
    index = 0
    while not finished.is_set():
        client.request(paths[index % len(paths)])
        index += 1


def main() -> int:
    args = parse_args()
    restart = restart_command(args)
    workdir = Path(tempfile.mkdtemp(prefix="pledgewall-fault-"))
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
        "LOG_LEVEL": "ERROR",
        # Plain HTTP on the loopback: cookies without the Secure flag, no HTTPS redirect.
        "SECURE_COOKIES": "0",
        "SECURE_SSL_REDIRECT": "0",
        # Writers sign in many times from one address.
        "AXES_FAILURE_LIMIT": "1000",
    }
    manage = MANAGE
    server = log = None
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        ensure_database(args.database_url)
        run([*manage, "migrate", "--noinput", "--verbosity", "0"], env)
        run([*manage, "seed_demo", "--if-empty", "--bulk", "--verbosity", "0"], env, capture=True)
        run([*manage, "collectstatic", "--noinput", "--verbosity", "0"], env)
        found = run([*manage, "shell", "-c", FIND_PEOPLE], env, capture=True).splitlines()
        secretaries = [line.split("\t")[1:] for line in found if line.startswith("branch\t")]
        token = next(line.split("\t")[1] for line in found if line.startswith("member\t"))
        if not secretaries:
            print("no branch with a secretary in the database", file=sys.stderr)
            return 2

        log = open(workdir / "gunicorn.log", "w")  # noqa: SIM115 (closed in the finally)
        server = start_gunicorn(port, env, log, workers=args.workers, options=("--timeout=20",))

        prefix = f"故障测试{secrets.token_hex(4)}"
        tally, finished = Tally(), threading.Event()
        threads = []
        for number in range(args.writers):
            branch_id, username = secretaries[number % len(secretaries)]
            threads.append(
                threading.Thread(
                    target=writer,
                    args=(base, tally, finished, username, branch_id, prefix, number + 1),
                )
            )
        read_paths = ["/healthz", f"/q/{token}/", "/work/"]
        for number in range(args.readers):
            username = secretaries[number % len(secretaries)][1] if number % 2 else ""
            paths = read_paths if username else read_paths[:2]
            threads.append(
                threading.Thread(target=reader, args=(base, tally, finished, paths, username))
            )
        for thread in threads:
            thread.start()

        started = time.monotonic()
        events = [(args.restart_at, "restart"), (args.kill_at, "kill")]
        if args.kill_every:
            moment = args.kill_at + args.kill_every
            while moment < args.duration:
                events.append((moment, "kill"))
                moment += args.kill_every
        kills, restarts = 0, 0
        for moment, event in sorted(events):
            if moment >= args.duration:
                continue
            time.sleep(max(0.0, started + moment - time.monotonic()))
            if event == "restart":
                print(f"{moment:5.1f} s  restarting PostgreSQL: {' '.join(restart)}")
                subprocess.run(restart, check=True, timeout=120)
                restarts += 1
            else:
                victims = worker_pids(server)
                if victims:
                    print(f"{moment:5.1f} s  SIGKILL to gunicorn worker {victims[0]}")
                    os.kill(victims[0], signal.SIGKILL)
                    kills += 1
        time.sleep(max(0.0, started + args.duration - time.monotonic()))
        finished.set()
        for thread in threads:
            thread.join(timeout=RETRY_SECONDS + 15)

        stored = collections.Counter()
        script = COUNT_WRITES.format(prefix=prefix)
        for line in run([*manage, "shell", "-c", script], env, capture=True).splitlines():
            if "\t" in line:
                count, description = line.split("\t", 1)
                stored[description] = int(count)
        acknowledged = set(tally.acknowledged)
        lost = sorted(acknowledged - set(stored))
        twice = sorted(description for description, count in stored.items() if count > 1)
        counts = tally.counts
        print(
            f"gunicorn: {args.workers} sync workers; {args.writers} writers, {args.readers} "
            f"readers for {args.duration} s; PostgreSQL restarted {restarts} time(s), "
            f"{kills} worker(s) killed"
        )
        print(f"  requests                        {counts['requests']}")
        print(f"  5xx answers                     {counts['server_errors']}")
        print(f"  connection errors               {counts['connection_errors']}")
        print(f"  writes acknowledged             {len(acknowledged)}")
        print(f"  of them after a resubmission    {counts['resubmitted']}")
        print(f"  forms given up                  {counts['gave_up']}")
        print(f"  stored but never acknowledged   {len(set(stored) - acknowledged)}")
        print(f"  acknowledged but missing        {len(lost)}")
        print(f"  stored twice                    {len(twice)}")
        for description in lost[:10]:
            print(f"    missing: {description}")
        for description in twice[:10]:
            print(f"    twice: {description}")
        if counts["writers_not_signed_in"]:
            print(f"  writers who could not sign in   {counts['writers_not_signed_in']}")
        return 1 if lost or twice or not acknowledged else 0
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
