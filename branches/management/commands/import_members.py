from django.core.management.base import BaseCommand

from branches.enums import ImportKind
from branches.imports.commandline import add_import_arguments, run_import


class Command(BaseCommand):
    help = "导入党员名册：先显示预览；有错误或无法确定的同名党员时不写入并以非零状态退出。"

    def add_arguments(self, parser):
        add_import_arguments(parser)
        parser.add_argument(
            "--full-roster",
            action="store_true",
            help="完整名册：列出表中所列支部里表中没有的在册党员",
        )
        parser.add_argument(
            "--take-off-roll",
            action="store_true",
            help="与 --full-roster 一起用：把列出的党员移出在册（不删除）",
        )

    def handle(self, *args, **options):
        if options["take_off_roll"] and not options["full_roster"]:
            from django.core.management.base import CommandError

            raise CommandError("--take-off-roll 须与 --full-roster 一起使用。")
        run_import(
            self,
            kind=ImportKind.MEMBERS,
            options=options,
            full_roster=options["full_roster"],
            take_off_roll=options["take_off_roll"],
        )
