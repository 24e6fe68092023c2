"""What the measuring scripts share: a scratch PostgreSQL database, a scratch Redis database
number, manage.py commands, a gunicorn on a free loopback port that is always stopped with
its whole process group, and a small HTTP client that signs in and reads forms.

Imported by the scripts beside it (run as `.venv/bin/python scripts/<name>.py`).
"""

import html.parser
import http.cookies
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
MANAGE = [PYTHON, "manage.py"]
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(command: list[str], env: dict[str, str], *, capture: bool = False) -> str:
    """Run a command in the project directory; its output when `capture`."""
    result = subprocess.run(
        command, cwd=ROOT, env=env, check=True, text=True, capture_output=capture, timeout=900
    )
    return result.stdout if capture else ""


def is_local_postgres(database_url: str) -> bool:
    url = urllib.parse.urlsplit(database_url)
    return url.scheme in {"postgres", "postgresql"} and url.hostname in LOOPBACK_HOSTS


def ensure_database(database_url: str) -> None:
    """Create the scratch PostgreSQL database if it does not exist yet."""
    import psycopg

    url = urllib.parse.urlsplit(database_url)
    name = url.path.lstrip("/")
    server = urllib.parse.urlunsplit(url._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True, connect_timeout=10) as connection:
        query = "SELECT 1 FROM pg_database WHERE datname = %s"
        if not connection.execute(query, [name]).fetchone():
            print(f"creating database {name}")
            connection.execute(f'CREATE DATABASE "{name}"')


def healthz_status(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def start_gunicorn(
    port: int,
    env: dict[str, str],
    log,
    *,
    workers: int,
    options: tuple[str, ...] = (),
    app: str = "config.wsgi",
) -> subprocess.Popen:
    """gunicorn serving the WSGI application `app` (module or module:name) with `workers`
    sync workers on 127.0.0.1:`port`, in a process group of its own (see stop), answering
    /healthz when this returns. `options` are further gunicorn options, such as
    --pythonpath=scripts for an application beside these scripts."""
    server = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            app,
            f"--workers={workers}",
            f"--bind=127.0.0.1:{port}",
            "--log-level=warning",
            *options,
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + STARTUP_SECONDS
    while healthz_status(port) != 200:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with code {server.returncode}")
        if time.monotonic() > deadline:
            stop(server)
            raise SystemExit(f"gunicorn did not answer /healthz within {STARTUP_SECONDS} s")
        time.sleep(0.2)
    return server


def print_logs(directory: Path, *, tail: int = 3000) -> None:
    """The ends of the gunicorn logs (gunicorn-*.log) in `directory`, on stderr."""
    for log_path in sorted(directory.glob("gunicorn-*.log")):
        print(f"--- the end of {log_path.name}", file=sys.stderr)
        print(log_path.read_text(errors="replace")[-tail:], file=sys.stderr)


def worker_pids(server: subprocess.Popen) -> list[int]:
    """The gunicorn master's worker processes."""
    try:
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    except OSError:
        return []
    return [int(pid) for pid in children]


def stop(server: subprocess.Popen | None) -> None:
    """Stop gunicorn's whole process group: TERM, then KILL after fifteen seconds."""
    if server is None or server.poll() is not None:
        return
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
    except ProcessLookupError:
        pass


# ---------------------------------------------------------------------------
# Redis: a scratch database number on this machine
# ---------------------------------------------------------------------------


def is_local_redis(redis_url: str) -> bool:
    """A Redis on a loopback address, with a database number other than 0 in its path (the
    scratch number the scripts empty with FLUSHDB)."""
    url = urllib.parse.urlsplit(redis_url)
    number = url.path.lstrip("/")
    return (
        url.scheme == "redis"
        and url.hostname in LOOPBACK_HOSTS
        and number.isdigit()
        and int(number) != 0
    )


def flush_redis(redis_url: str) -> None:
    """Empty the scratch Redis database of `redis_url` (FLUSHDB: that number only)."""
    import redis

    if not is_local_redis(redis_url):
        raise SystemExit(f"not a scratch Redis database on this machine: {redis_url}")
    client = redis.Redis.from_url(redis_url, socket_timeout=5)
    try:
        client.flushdb()
    finally:
        client.close()


def redis_keys(redis_url: str, pattern: str) -> list[str]:
    """The keys of the Redis database of `redis_url` matching `pattern` (SCAN)."""
    import redis

    client = redis.Redis.from_url(redis_url, socket_timeout=5)
    try:
        return [key.decode() for key in client.scan_iter(match=pattern, count=1000)]
    finally:
        client.close()


# ---------------------------------------------------------------------------
# The machine
# ---------------------------------------------------------------------------


def machine_summary() -> str:
    """Cores, CPU model, memory and load: the line that goes with every figure."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f", {int(line.split()[1]) / 1024 / 1024:.1f} GiB memory"
                break
    except (OSError, ValueError):
        pass
    load = ", load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    return (
        f"{os.cpu_count()} cores ({model}){memory}{load}; "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


# ---------------------------------------------------------------------------
# HTTP: plain requests without following redirects, cookies kept by hand
# ---------------------------------------------------------------------------


class Response:
    def __init__(self, status: int, headers, body: bytes):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def cookies(self) -> dict[str, str]:
        """The cookies this answer sets (Set-Cookie), by name."""
        jar = {}
        for header in self.headers.get_all("Set-Cookie") or []:
            parsed = http.cookies.SimpleCookie()
            parsed.load(header)
            jar.update({name: morsel.value for name, morsel in parsed.items()})
        return jar


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def http_request(
    url: str,
    *,
    data: dict[str, str] | None = None,
    cookies: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> Response:
    """GET `url`, or POST `data` form-encoded; redirects are answered, not followed.
    Cookies are sent as given: the session cookie is Secure when DEBUG is off, and a
    cookie jar would keep it from a plain-HTTP loopback address."""
    request_headers = dict(headers or {})
    if cookies:
        request_headers["Cookie"] = cookie_header(cookies)
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers=request_headers)
    try:
        with _OPENER.open(request, timeout=timeout) as answer:
            return Response(answer.status, answer.headers, answer.read())
    except urllib.error.HTTPError as error:
        return Response(error.code, error.headers, error.read())


class _FormParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {
                "action": attrs.get("action") or "",
                "method": (attrs.get("method") or "get").lower(),
                "hidden": {},
                "values": {},
                "fields": [],
            }
            self.forms.append(self._form)
        elif self._form is not None and tag in {"input", "textarea", "select"}:
            name = attrs.get("name")
            if not name:
                return
            self._form["fields"].append(name)
            if tag == "input" and attrs.get("value") is not None:
                self._form["values"][name] = attrs["value"]
            if tag == "input" and attrs.get("type") == "hidden":
                self._form["hidden"][name] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def page_forms(page: str) -> list[dict]:
    """The forms of an HTML page: each its action, method, hidden inputs (name → value,
    the CSRF token and submission key among them), the values its inputs are drawn with,
    and the names of all its fields."""
    parser = _FormParser()
    parser.feed(page)
    return parser.forms


def form_with_field(page: str, field: str) -> dict:
    """The page's POST form that has the field `field`."""
    for form in page_forms(page):
        if form["method"] == "post" and field in form["fields"]:
            return form
    raise LookupError(f"no form with a field {field!r} on the page")


def sign_in(base: str, username: str, password: str) -> dict[str, str]:
    """Sign in through /accounts/login/ as a browser does (the CSRF cookie and the form's
    token); the cookies of the signed-in session (sessionid, csrftoken)."""
    page = http_request(f"{base}/accounts/login/")
    if page.status != 200:
        raise SystemExit(f"/accounts/login/ answered {page.status}")
    cookies = page.cookies()
    form = form_with_field(page.text, "password")
    data = {**form["hidden"], "username": username, "password": password}
    answer = http_request(f"{base}/accounts/login/", data=data, cookies=cookies)
    cookies.update(answer.cookies())
    if answer.status not in {302, 303} or "sessionid" not in cookies:
        raise SystemExit(f"signing in as {username} failed: {answer.status}")
    return cookies


def prepare_demo_site(env: dict[str, str], *, find_fixtures: str) -> dict:
    """Migrate the scratch database, load the demo district when it is empty, collect the
    static files, and run `find_fixtures` (a `manage.py shell` script printing one line
    "FIXTURES <json>"); its object, or {} when it printed none."""
    ensure_database(env["DATABASE_URL"])
    run([*MANAGE, "migrate", "--noinput", "--verbosity", "0"], env)
    run([*MANAGE, "seed_demo", "--if-empty", "--verbosity", "0"], env, capture=True)
    run([*MANAGE, "collectstatic", "--noinput", "--verbosity", "0"], env)
    found = run([*MANAGE, "shell", "-c", find_fixtures], env, capture=True)
    line = next((x for x in found.splitlines() if x.startswith("FIXTURES ")), "")
    return json.loads(line.removeprefix("FIXTURES ")) if line else {}
