"""`manage.py seed_demo`: fill an empty database with the demo district (or province)."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from reviews.demo import (
    DEMO_PASSWORD,
    build_demo,
    demo_logins,
    existing_data,
    row_counts,
    wipe_all_data,
)


class Command(BaseCommand):
    help = (
        "Build the demo data: 漯河市城乡一体化示范区 with its 53 branches, 1,600 members and "
        "2,000 pledges; --scale N builds N districts under a province root."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=int,
            default=1,
            help="Number of districts; 100 builds about 5,300 branches and 200,000 pledges.",
        )
        parser.add_argument(
            "--reset", action="store_true", help="Wipe all data in the database first."
        )
        parser.add_argument(
            "--bulk",
            action="store_true",
            help=(
                "Write the year under way in bulk too (seconds) instead of playing it day by "
                "day through the services (about 40 seconds); the data has the same shape."
            ),
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (but list the demo logins) when the database holds data.",
        )

    def handle(self, *args, scale: int, reset: bool, if_empty: bool, bulk: bool, **options):
        if scale < 1:
            raise CommandError("--scale 须为正整数。")
        if reset and if_empty:
            raise CommandError("--reset 与 --if-empty 不能同时使用。")
        holdings = existing_data()
        if holdings and if_empty:
            self.stdout.write(f"数据库中已有数据（{_describe(holdings)}），不再生成演示数据。")
            self._print_logins()
            return
        if holdings and not reset:
            raise CommandError(
                f"数据库中已有数据（{_describe(holdings)}），未生成演示数据。"
                "如需清空后重新生成，请加 --reset；只在空库时生成，请用 --if-empty。"
            )
        self.verbosity = options["verbosity"]
        started = time.monotonic()
        # One transaction: a failed seed leaves the database as it was, wiped or not.
        with transaction.atomic():
            if reset:
                wipe_all_data()
                self._progress(f"已清空数据库，用时 {time.monotonic() - started:.1f} 秒。")
            build_demo(scale=scale, progress=self._progress, play=not bulk)
        self._progress(
            f"演示数据已生成（规模 {scale}），共用时 {time.monotonic() - started:.1f} 秒："
        )
        if self.verbosity:
            for label, rows in row_counts():
                self.stdout.write(f"  {label}：{rows:,}")
        self._print_logins()

    def _progress(self, message: str) -> None:
        if self.verbosity:
            self.stdout.write(message)
            self.stdout.flush()  # shows progress as it goes when the output is a pipe or a log

    def _print_logins(self):
        self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
        for username, role in demo_logins():
            self.stdout.write(f"  {username:<9} / {DEMO_PASSWORD} / {role}")


def _describe(holdings: dict[str, int]) -> str:
    return "、".join(f"{label} {rows:,} 条" for label, rows in holdings.items())
