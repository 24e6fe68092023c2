#!/usr/bin/env python3
"""Time the spreadsheet imports through the web pages: an organisation workbook of about 60
rows, then a roster of 2,000 members, each imported and then imported again unchanged.

    DEBUG=1 .venv/bin/python scripts/bench_import.py                      # SQLite, scratch file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<scratch> \
        .venv/bin/python scripts/bench_import.py

Without DATABASE_URL a fresh SQLite file in the temporary directory is used (and removed).
With DATABASE_URL THE DATABASE IS MIGRATED AND FLUSHED: use a scratch database.

What it measures, in process with Django's test Client signed in as organisation staff of
the district: upload (POST: the file read, checked and kept), preview (GET: planned from the
stored file and rendered) and confirm (POST: planned again and written), for the first
import and for the re-import of the same content (the roster re-import is the roster's own
export, so every row is unchanged). Prints a table of seconds and SQL queries per step and
whether each preview and confirm is under the target of 10 seconds.

Options: --members N (default 2000), --branches N (default 55), --strict (exit 1 when a
target is missed).
"""

import argparse
import os
import random
import re
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The script never runs collectstatic; whitenoise would say so on every start.
warnings.filterwarnings("ignore", message="No directory at")
TARGET_SECONDS = 10.0
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "建国荣花国胜秀英志强丽娟红梅德明玉兰文华海燕春生金凤永庆桂芝淑珍振华长青"


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--branches", type=int, default=55)
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    scratch = None
    if not os.environ.get("DATABASE_URL"):
        scratch = Path(tempfile.mkdtemp()) / "bench_import.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch}"
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

    import django

    django.setup()
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from branches.enums import BranchKind, CommitteeKind, ExemptionReason, ImportKind, StaffRole
    from branches.imports.cells import NO, YES
    from branches.imports.schemas import BRANCH_ROW, COMMITTEE_ROW
    from branches.imports.writing import filled_workbook, roster_workbook
    from branches.models import Committee, CommitteeStaff, ImportBatch, Member

    settings.ALLOWED_HOSTS = ["testserver"]
    settings.DEBUG = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    call_command("migrate", verbosity=0)
    if scratch is None:
        call_command("flush", interactive=False, verbosity=0)

    from django.contrib.auth import get_user_model

    district = Committee.objects.create(name="示范区党工委", kind=CommitteeKind.WORKING_COMMITTEE)
    user = get_user_model().objects.create_user("bench_organiser", password="bench-pw-1234")
    CommitteeStaff.objects.create(user=user, committee=district, role=StaffRole.ORGANISATION)
    client = Client()
    client.force_login(user)

    rng = random.Random(8)
    towns = [f"第{i}镇党委" for i in range(1, 6)]
    branches = [f"第{i}村党支部" for i in range(1, args.branches + 1)]
    # Rows by the templates' column keys (branches.imports.schemas), written in the
    # template's layout, as an organiser fills the downloaded template.
    organisation_rows = [
        {"row_kind": COMMITTEE_ROW, "name": town, "kind": str(CommitteeKind.TOWN.label)}
        for town in towns
    ] + [
        {
            "row_kind": BRANCH_ROW,
            "name": branch,
            "parent": towns[i % len(towns)],
            "kind": str(BranchKind.VILLAGE.label),
            "village": branch.removesuffix("党支部"),
            "secretary_name": _name(rng),
        }
        for i, branch in enumerate(branches)
    ]
    organisation = filled_workbook(ImportKind.ORGANISATION, organisation_rows)

    seen = set()
    roster_rows = []
    while len(roster_rows) < args.members:
        branch, name = rng.choice(branches), _name(rng)
        if (branch, name) in seen:
            continue
        seen.add((branch, name))
        exempt = rng.random() < 0.1
        roster_rows.append(
            {
                "branch": branch,
                "name": name,
                "gender": rng.choice("男女"),
                "birth_year": rng.randint(1940, 1990),
                "joined_on": f"{rng.randint(2010, 2020)}-{rng.randint(1, 12):02d}-01",
                "phone": f"139{rng.randint(0, 99_999_999):08d}",
                "is_exempt": YES if exempt else NO,
                "exemption_reason": str(ExemptionReason.OLD_AGE.label) if exempt else None,
                "is_active": YES,
            }
        )
    roster = filled_workbook(ImportKind.MEMBERS, roster_rows)

    results = []

    def timed(step, call):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = call()
            seconds = time.perf_counter() - started
        results.append((step, seconds, len(queries.captured_queries)))
        return response

    def import_file(label, kind, content, filename):
        response = timed(
            f"{label}: upload",
            lambda: client.post(
                reverse("branches:org_import_upload", args=[kind]),
                {"file": SimpleUploadedFile(filename, content), "committee": district.pk},
            ),
        )
        assert response.status_code == 302, response.status_code
        batch = ImportBatch.objects.latest("pk")
        url = reverse("branches:org_import_preview", args=[batch.pk])
        preview = timed(f"{label}: preview", lambda: client.get(url))
        assert preview.status_code == 200
        fingerprint = re.search(r'name="fingerprint" value="(\w+)"', preview.content.decode())[1]
        confirm = timed(
            f"{label}: confirm",
            lambda: client.post(
                reverse("branches:org_import_confirm", args=[batch.pk]),
                {"fingerprint": fingerprint},
            ),
        )
        assert confirm.status_code == 302, confirm.status_code
        batch.refresh_from_db()
        return batch.summary["counts"]

    counts = [
        ("organisation", import_file("organisation", "organisation", organisation, "组织.xlsx")),
        (
            "organisation again",
            import_file("organisation again", "organisation", organisation, "组织.xlsx"),
        ),
        ("roster", import_file("roster", "members", roster, "名册.xlsx")),
    ]
    export = roster_workbook(Member.objects.all())
    counts.append(
        ("roster export again", import_file("roster export again", "members", export, "导出.xlsx"))
    )

    print(
        f"database: {connection.vendor}; {len(organisation_rows)} organisation rows, "
        f"{len(roster_rows):,} roster rows; {Member.objects.count():,} members written"
    )
    for label, summary in counts:
        print(f"  {label}: " + ", ".join(f"{k} {v}" for k, v in summary.items() if v))
    print(f"{'step':<34}{'seconds':>9}{'queries':>9}")
    missed = False
    for step, seconds, queries in results:
        mark = ""
        if step.endswith(("preview", "confirm")):
            met = seconds < TARGET_SECONDS
            missed |= not met
            mark = "" if met else "  MISSED"
        print(f"{step:<34}{seconds:>9.2f}{queries:>9}{mark}")
    print(
        f"target: preview and confirm each under {TARGET_SECONDS:.0f} s: "
        + ("MISSED" if missed else "met")
    )
    if scratch is not None:
        connection.close()
        scratch.unlink(missing_ok=True)
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
