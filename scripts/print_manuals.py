#!/usr/bin/env python3
"""Print the one chart and three manuals (一图三册) of a branch on the demo data to A4 PDFs,
as its secretary would from the browser, and report pages and seconds.

    .venv/bin/python scripts/print_manuals.py [--branch 范寨村党支部] [--year YYYY]
                                              [--out DIR] [--strict]

For each print: one page load in headless Chromium (Debian's, through Playwright), signed
in as the branch's secretary, then Chromium's own "save as PDF" of that page (A4, the
page's CSS decides the size and margins). "load" is the seconds from asking for the page to
its load event (the server's rendering, the transfer and the layout of every image and QR
code); "print" the seconds Chromium takes to lay out and write the PDF; "total" both. The
target: the 71 member manuals of 范寨村 in one print in under 10 s.

The prints: the chart (one A4 landscape page), one member's activity manual (the member of
the branch with the most pledges), the activity manuals of all members on the roll, the
branch work manual, the record manual, the letter to all members (one page per member),
and the branch's public pledge letters. Each PDF is checked: no page without text besides
its running header and page number.

What it does, and undoes: a scratch SQLite database, media and static directory in a new
temporary directory (removed at the end, except the PDFs when --out is given), filled with
`seed_demo` (the played demo year, about 40 s); gunicorn (2 sync workers; DEBUG on, for
Django to serve the photos) on 127.0.0.1 at a free port, stopped at the end, on an error and
on Ctrl-C.

Options (all optional):
  --branch NAME   the branch (default 范寨村党支部)
  --year YYYY     the year of the manuals (default the demo's year under way)
  --out DIR       keep the PDFs in DIR
  --strict        exit 1 when the batch of member manuals takes 10 s or more, a page is
                  blank, or the letter is not one page per member
"""

import argparse
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from serving import MANAGE, free_port, run, start_gunicorn, stop  # noqa: E402

BATCH_TARGET_SECONDS = 10
PASSWORD = "demo12345"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

SETUP = """
from branches.models import Branch
from django.db.models import Count, Q
from django.utils import timezone
branch = Branch.objects.select_related("secretary").get(name={branch!r})
year = {year} or timezone.localdate().year
member = (
    branch.members.filter(is_active=True)
    .annotate(n=Count("pledges", filter=Q(pledges__year=year)))
    .order_by("-n", "name").first()
)
print("SETUP", branch.pk, branch.secretary.username, year, member.pk, member.name,
      branch.members.filter(is_active=True).count(), sep="\\t")
"""


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--branch", default="范寨村党支部")
    parser.add_argument("--year", type=int, default=0)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--strict", action="store_true")
    return parser.parse_args()


def pdf_pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))


def blank_pages(path: Path) -> list[int]:
    """Pages whose only text is the running header and the page number (the header is the
    first line that most pages share)."""
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = []
    for page in text.split("\f")[: pdf_pages(path)]:
        lines = [" ".join(line.split()) for line in page.splitlines() if line.strip()]
        pages.append([line for line in lines if not re.fullmatch(r"— \d+ —", line)])
    first_lines = [lines[0] for lines in pages if lines]
    header = max(set(first_lines), key=first_lines.count) if first_lines else None
    if header is not None and first_lines.count(header) * 2 <= len(pages):
        header = None
    return [
        number
        for number, lines in enumerate(pages, start=1)
        if not [line for line in lines if line != header]
    ]


def main() -> int:
    args = parse_args()
    if not shutil.which("pdftotext") or not shutil.which(CHROMIUM):
        raise SystemExit(
            "needs chromium and poppler-utils (apt-get install chromium poppler-utils)"
        )
    from playwright.sync_api import sync_playwright

    workdir = Path(tempfile.mkdtemp(prefix="pledgewall-print-"))
    out = args.out or workdir / "pdf"
    out.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir / 'print.sqlite3'}",
        # DEBUG on, so that Django serves the demo's photos (in production the web server
        # serves MEDIA_ROOT): the record manual then prints its thumbnails, and the
        # seconds include them.
        "DEBUG": "1",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "STATIC_ROOT": str(workdir / "static"),
        "MEDIA_ROOT": str(workdir / "media"),
        "CACHE_URL": "locmemcache://",
        "LOG_LEVEL": "WARNING",
    }
    server = None
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    failed = False
    try:
        print("seeding the demo district …", flush=True)
        run([*MANAGE, "migrate", "--noinput", "--verbosity", "0"], env, capture=True)
        run([*MANAGE, "collectstatic", "--noinput", "--verbosity", "0"], env, capture=True)
        run([*MANAGE, "seed_demo", "--verbosity", "0"], env, capture=True)
        output = run(
            [*MANAGE, "shell", "-c", SETUP.format(branch=args.branch, year=args.year)],
            env,
            capture=True,
        )
        line = next(line for line in output.splitlines() if line.startswith("SETUP\t"))
        branch_id, username, year, member_id, member_name, members = line.split("\t")[1:]
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = open(workdir / "gunicorn.log", "w")  # noqa: SIM115
        server = start_gunicorn(port, env, log, workers=2)
        prints = [
            ("chart", f"/work/chart/?b={branch_id}"),
            ("member manual", f"/work/members/{member_id}/manual/?year={year}"),
            (
                f"member manuals, {members}",
                f"/work/branches/{branch_id}/manuals/members/?year={year}",
            ),
            ("branch work manual", f"/work/branches/{branch_id}/manuals/work/?year={year}"),
            ("record manual", f"/work/branches/{branch_id}/manuals/record/?year={year}"),
            ("letter to all members", f"/work/branches/{branch_id}/letter/?year={year}"),
            ("pledge letters", f"/work/branches/{branch_id}/letters/?year={year}"),
        ]
        print(
            f"{args.branch}, {year}, {members} members on the roll; one member's manual: "
            f"{member_name}; gunicorn 2 sync workers; {os.cpu_count()} cores"
        )
        print(f"{'print':<28}{'pages':>6}{'load s':>8}{'print s':>9}{'total s':>9}  blank")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page(locale="zh-CN")
            page.set_default_timeout(120_000)
            page.goto(f"{base}/accounts/login/")
            page.get_by_label("用户名").fill(username)
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_role("button", name="登录").click()
            page.wait_for_url(f"{base}/work/")
            for index, (name, path) in enumerate(prints, start=1):
                started = time.perf_counter()
                response = page.goto(base + path, wait_until="load")
                loaded = time.perf_counter()
                if response is None or response.status != 200:
                    print(f"{name:<28} HTTP {response.status if response else '—'}")
                    failed = True
                    continue
                pdf = out / f"{index}-{name.split(',')[0].replace(' ', '-')}.pdf"
                page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
                printed = time.perf_counter()
                pages = pdf_pages(pdf)
                blank = blank_pages(pdf)
                failed |= bool(blank)
                if name.startswith("member manuals") and printed - started >= BATCH_TARGET_SECONDS:
                    failed = True
                # The letter is one page for each member on the roll.
                if name.startswith("letter") and pages != int(members):
                    failed = True
                print(
                    f"{name:<28}{pages:>6}{loaded - started:>8.2f}{printed - loaded:>9.2f}"
                    f"{printed - started:>9.2f}  {', '.join(map(str, blank)) or '—'}"
                )
            browser.close()
        if args.out:
            print(f"PDFs in {out}")
    finally:
        stop(server)
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
