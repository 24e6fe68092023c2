from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from branches.enums import ImportKind
from branches.imports.writing import template_workbook


class Command(BaseCommand):
    help = "写出空白导入模板：organisation（组织架构）或 members（党员名册）。"

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=ImportKind.values)
        parser.add_argument("path", help="写出的 .xlsx 文件")

    def handle(self, *args, kind, path, **options):
        target = Path(path)
        try:
            target.write_bytes(template_workbook(kind))
        except OSError as error:
            raise CommandError(f"无法写入 {target}：{error}") from error
        self.stdout.write(self.style.SUCCESS(f"已写出{ImportKind(kind).label}模板：{target}"))
