from django.core.management.base import BaseCommand

from branches.enums import ImportKind
from branches.imports.commandline import add_import_arguments, run_import


class Command(BaseCommand):
    help = "导入组织架构（党委、党支部）：先显示预览；有错误时不写入并以非零状态退出。"

    def add_arguments(self, parser):
        add_import_arguments(parser)

    def handle(self, *args, **options):
        run_import(self, kind=ImportKind.ORGANISATION, options=options)
