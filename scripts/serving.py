"""What the measuring scripts share: a scratch PostgreSQL database, manage.py commands, and a
gunicorn on a free loopback port that is always stopped with its whole process group.

Imported by the scripts beside it (run as `.venv/bin/python scripts/<name>.py`).
"""

import os
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
    port: int, env: dict[str, str], log, *, workers: int, options: tuple[str, ...] = ()
) -> subprocess.Popen:
    """gunicorn with `workers` sync workers on 127.0.0.1:`port`, in a process group of its
    own (see stop), answering /healthz when this returns."""
    server = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            "config.wsgi",
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
