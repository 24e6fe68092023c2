import time

from django.core.management.base import BaseCommand

from pledges.figures.stored import stored_figures_rebuild
from pledges.stored_figures import BranchYearFigures, PledgeTally


class Command(BaseCommand):
    help = (
        "重新统计各党支部各年度的存储计数（承诺计数、党支部年度计数）。"
        "日常修改会在同一事务中自动更新；仅在绕过程序直接改写数据库后需要运行。"
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        stored_figures_rebuild()
        self.stdout.write(
            self.style.SUCCESS(
                f"已重新统计：承诺计数 {PledgeTally.objects.count():,} 行，"
                f"党支部年度计数 {BranchYearFigures.objects.count():,} 行，"
                f"用时 {time.monotonic() - started:.1f} 秒。"
            )
        )
