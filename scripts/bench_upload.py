#!/usr/bin/env python3
"""Time and peak memory of one progress record (践诺) with ten photos of the largest size
accepted, posted in one request to a gunicorn worker, as a secretary's phone sends it.

    .venv/bin/python scripts/bench_upload.py [--cases jpeg,png,flat-png,alpha-png]
                                             [--photos 10] [--megapixels M] [--strict]

The cases, each ten photos at the pixel cap of their format (pledges.photos: MAX_PIXELS for
JPEG, MAX_PIXELS_DECODED_WHOLE for PNG; or --megapixels), 4:3, under the 10 MB a file may
have:
  jpeg       a camera-like JPEG: a scene with fine noise, quality 90 (about 5 MB each at
             24 MP);
  png        a photo-like PNG: a smooth scene, 32 levels a channel (fewer where needed to
             stay under 10 MB; about 3.5 MB each at 10 MP);
  flat-png   the cheap-to-upload PNG: almost one colour, a few kilobytes each, yet as
             many pixels to decode as the others;
  alpha-png  the same with transparency, laid on white before it is shrunk.
For each case a fresh gunicorn (one sync worker, DEBUG off) is started, warmed up with the
progress form page, sent the one POST, and measured: the seconds from sending the request to
its answer (the redirect of a saved record); the CPU seconds the worker spent on it (user and
system: on a busy machine the seconds grow, these hardly); and the worker's peak resident
memory (VmHWM of /proc/<worker>/status: the high-water mark of the whole process, Django
included; "idle" is its resident memory just before the POST). Target: under 3 seconds and
under 250 MB for every case.

What it does, and undoes: a scratch SQLite database, media and static directory in a new
temporary directory (removed at the end); one committee, branch, secretary and pledge in
progress in it; gunicorn on 127.0.0.1 at a free port, stopped after each case, on an error
and on Ctrl-C. Nothing outside the temporary directory is read or written.

Options (all optional):
  --cases LIST       comma-separated cases (default: all four)
  --photos N         photos in the one request (default 10)
  --megapixels M     pixels of each photo, in millions (default: the cap of its format)
  --strict           exit 1 when a target is missed
"""

import argparse
import http.client
import io
import math
import os
import random
import secrets
import shutil
import signal
import string
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from serving import MANAGE, free_port, run, start_gunicorn, stop, worker_pids

TARGET_SECONDS = 3.0
TARGET_PEAK_MB = 250
CASES = ("jpeg", "png", "flat-png", "alpha-png")
# Under the 10 MB a photo may have (pledges.photos.MAX_BYTES), with room to spare.
MAX_UPLOAD_BYTES = 9_500_000

# Run by `manage.py shell -c` on the scratch database: a pledge in progress of a village
# branch and a signed-in session of its secretary. Prints a line of "SETUP" and, tab-separated:
# the progress form's path, the session cookie's name and value, the CSRF cookie's name,
# today's date and the pixel caps of JPEG and of PNG.
SETUP = """
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pledges.enums import PledgeStatus
from pledges import photos
from tests import factories

secretary = factories.make_user("bench_secretary")
town = factories.make_committee("姬石镇党委")
branch = factories.make_branch(town, secretary, name="范寨村党支部")
staff = factories.make_staff(town)
pledge = factories.make_pledge(branch=branch)
factories.walk_to(pledge, PledgeStatus.IN_PROGRESS, secretary=secretary, staff=staff)
client = Client()
client.force_login(secretary)
session = client.cookies[settings.SESSION_COOKIE_NAME].value
print(
    "SETUP", reverse("pledges:progress_add", args=[pledge.pk]), settings.SESSION_COOKIE_NAME,
    session, settings.CSRF_COOKIE_NAME,
    timezone.localdate().isoformat(), photos.MAX_PIXELS,
    photos.MAX_PIXELS_DECODED_WHOLE, sep="\t",
)
"""

COUNT_PHOTOS = """
from pledges.models import ProgressPhoto
print("PHOTOS", ProgressPhoto.objects.count())
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--photos", type=int, default=10)
    parser.add_argument("--megapixels", type=float, default=0.0)
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()
    args.cases = [case.strip() for case in args.cases.split(",") if case.strip()]
    unknown = [case for case in args.cases if case not in CASES]
    if unknown or not args.cases:
        parser.error(f"--cases takes some of {', '.join(CASES)}")
    if not 1 <= args.photos <= 50:
        parser.error("--photos must be between 1 and 50")
    if not 0 <= args.megapixels <= 100:
        parser.error("--megapixels must be between 0 and 100")
    return args


# ---------------------------------------------------------------------------
# The photos
# ---------------------------------------------------------------------------
def photo_size(pixels: int) -> tuple[int, int]:
    """The largest 4:3 picture of at most `pixels` pixels."""
    width = math.isqrt(pixels * 4 // 3)
    return width, pixels // width


def scene(size: tuple[int, int], rng: random.Random):
    """A smooth landscape of colours: random colours 64 px apart, blended bicubically."""
    from PIL import Image

    width, height = size
    small = (width // 64 + 2, height // 64 + 2)
    colours = Image.frombytes("RGB", small, rng.randbytes(small[0] * small[1] * 3))
    return colours.resize(size, Image.Resampling.BICUBIC)


def make_photo(case: str, size: tuple[int, int]) -> tuple[bytes, str, str]:
    """The bytes, file extension and content type of one photo of the case."""
    from PIL import Image, ImageDraw, ImageOps

    rng = random.Random(case)
    buffer = io.BytesIO()
    if case == "jpeg":
        noise = Image.merge("RGB", [Image.effect_noise(size, 40) for _band in range(3)])
        Image.blend(scene(size, rng), noise, 0.12).save(buffer, format="JPEG", quality=90)
        return buffer.getvalue(), "jpg", "image/jpeg"
    if case == "png":
        # As many levels a channel as keep the file under the 10 MB a photo may have.
        picture = scene(size, rng)
        for bits in (5, 4, 3, 2):
            buffer = io.BytesIO()
            ImageOps.posterize(picture, bits).save(buffer, format="PNG")
            if buffer.tell() < MAX_UPLOAD_BYTES:
                break
        return buffer.getvalue(), "png", "image/png"
    mode = "RGBA" if case == "alpha-png" else "RGB"
    picture = Image.new(mode, size, (200, 220, 240, 255))
    draw = ImageDraw.Draw(picture)
    width, height = size
    draw.rectangle((0, height * 2 // 3, width, height), fill=(90, 140, 60, 255))
    draw.ellipse((width // 3, height // 5, width // 2, height // 2), fill=(240, 200, 40, 255))
    if case == "alpha-png":
        draw.rectangle((0, 0, width, height // 6), fill=(0, 0, 0, 0))
    picture.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue(), "png", "image/png"


def multipart(fields: dict[str, str], files: list[tuple[str, bytes, str]]) -> tuple[bytes, str]:
    """A multipart/form-data body (as a browser sends a form with files) and its type."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
        )
    for filename, content, content_type in files:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; '
            f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
        )
        parts.append(content)
        parts.append(b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


# ---------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------
def request(port: int, method: str, path: str, *, body=None, headers=None, timeout=300):
    """The status and headers of one request to the server; the body is read and dropped."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response.status, dict(response.getheaders())
    finally:
        connection.close()


def start_server(port: int, env: dict[str, str], log) -> subprocess.Popen:
    return start_gunicorn(
        port, env, log, workers=1, options=("--worker-class=sync", "--timeout=300")
    )


def worker_pid(server: subprocess.Popen) -> int:
    workers = worker_pids(server)
    if len(workers) != 1:
        raise SystemExit(f"expected one gunicorn worker, found {len(workers)}")
    return workers[0]


def memory_mb(pid: int) -> dict[str, float]:
    """VmRSS (now) and VmHWM (the peak so far) of a process, in MB."""
    figures = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _colon, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            figures[key] = int(value.split()[0]) / 1024
    return figures


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------
def main() -> int:
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="pledgewall-bench-upload-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "STATIC_ROOT": str(workdir / "static"),
        "MEDIA_ROOT": str(workdir / "media"),
        "CACHE_URL": "locmemcache://",
        "LOG_LEVEL": "WARNING",
    }
    manage = MANAGE
    server = None
    log = None
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        run([*manage, "migrate", "--noinput", "--verbosity", "0"], env, capture=True)
        run([*manage, "collectstatic", "--noinput", "--verbosity", "0"], env, capture=True)
        output = run([*manage, "shell", "-c", SETUP], env, capture=True).splitlines()
        setup = next(line for line in output if line.startswith("SETUP\t")).split("\t")[1:]
        path, session_cookie, session_key, csrf_cookie, today, jpeg_cap, png_cap = setup
        csrf = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
        cookies = f"{session_cookie}={session_key}; {csrf_cookie}={csrf}"
        print(
            f"{args.photos} photos in one request; caps {int(jpeg_cap) / 1e6:g} MP (JPEG), "
            f"{int(png_cap) / 1e6:g} MP (PNG); one sync gunicorn worker; "
            f"{os.cpu_count()} cores"
        )
        print(
            f"{'case':<11}{'pixels':>11}{'each':>10}{'request':>10}{'seconds':>9}{'CPU s':>7}"
            f"{'peak MB':>9}{'idle MB':>9}"
        )
        missed = False
        saved = 0
        for case in args.cases:
            cap = int(jpeg_cap if case == "jpeg" else png_cap)
            size = photo_size(int(args.megapixels * 1_000_000) if args.megapixels else cap)
            content, extension, content_type = make_photo(case, size)
            files = [
                (f"照片{number + 1}.{extension}", content, content_type)
                for number in range(args.photos)
            ]
            fields = {
                "csrfmiddlewaretoken": csrf,
                "happened_on": today,
                "description": "组织党员为村东生产路树木浇水，共浇水 120 棵。",
            }
            body, body_type = multipart(fields, files)
            del files
            log = open(workdir / f"gunicorn-{case}.log", "w")  # noqa: SIM115 (closed below)
            port = free_port()
            server = start_server(port, env, log)
            pid = worker_pid(server)
            # Warm-up: the form page loads the views, templates and session code.
            status, _headers = request(port, "GET", path, headers={"Cookie": cookies})
            if status != 200:
                print(f"the progress form answers {status}: not signed in?", file=sys.stderr)
                return 1
            idle = memory_mb(pid)["VmRSS"]
            headers = {"Cookie": cookies, "Content-Type": body_type}
            cpu = cpu_seconds(pid)
            started = time.perf_counter()
            status, _headers = request(port, "POST", path, body=body, headers=headers)
            seconds = time.perf_counter() - started
            cpu = cpu_seconds(pid) - cpu
            peak = memory_mb(pid)["VmHWM"]
            stop(server)
            server = None
            log.close()
            log = None
            if status != 302:
                print(f"{case}: the record was not saved (answer {status})", file=sys.stderr)
                print((workdir / f"gunicorn-{case}.log").read_text()[-3000:], file=sys.stderr)
                return 1
            saved += args.photos
            met = seconds < TARGET_SECONDS and peak < TARGET_PEAK_MB
            missed = missed or not met
            print(
                f"{case:<11}{f'{size[0]}×{size[1]}':>11}"
                f"{len(content) / 1e6:>8.2f}MB{len(body) / 1e6:>8.1f}MB"
                f"{seconds:>9.2f}{cpu:>7.2f}{peak:>9.0f}{idle:>9.0f}  "
                + ("met" if met else "MISSED")
            )
        output = run([*manage, "shell", "-c", COUNT_PHOTOS], env, capture=True).splitlines()
        stored = int(next(line for line in output if line.startswith("PHOTOS ")).split()[1])
        if stored != saved:
            print(f"{stored} photos stored, {saved} expected", file=sys.stderr)
            return 1
        print(
            f"target: under {TARGET_SECONDS:g} s and {TARGET_PEAK_MB} MB peak per request: "
            + ("missed" if missed else "met")
        )
        return 1 if args.strict and missed else 0
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
