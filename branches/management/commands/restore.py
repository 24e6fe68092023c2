"""`manage.py restore [NAME]`: put back the database and the uploaded photos from a backup
made by `manage.py backup` (the newest unless NAME is given), replacing what is there now."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from branches.backups import (
    ENGINE_NAMES,
    BackupError,
    backup_file_size,
    backup_find,
    backup_location,
    backup_restore,
    backups_list,
)


class Command(BaseCommand):
    help = (
        "从 BACKUP_DIR 恢复数据库和照片：默认恢复最近一份，也可指定一份。"
        "现有的全部数据和 MEDIA_ROOT 中的全部文件都会被替换。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "name",
            nargs="?",
            help="要恢复的备份：时间（如 2025-06-01-023000）或其任一文件名；省略则恢复最近一份",
        )
        parser.add_argument(
            "--list", action="store_true", dest="list_only", help="列出现有的备份，不恢复"
        )
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="不询问，直接恢复（用于脚本）",
        )

    def handle(self, *args, name: str | None, list_only: bool, interactive: bool, **options):
        try:
            if list_only:
                self._list()
                return
            backup = backup_find(name)
        except BackupError as error:
            raise CommandError(str(error)) from error

        connection = connections[DEFAULT_DB_ALIAS]
        engine = ENGINE_NAMES.get(connection.vendor, connection.vendor)
        self.stdout.write(f"将恢复 {backup.label} 的备份（{backup_location()}）：")
        self.stdout.write(f"  数据库：{backup.database_file}")
        self.stdout.write(f"  照片：{backup.media_file}")
        self.stdout.write(
            self.style.WARNING(
                f"{engine} 数据库 {connection.settings_dict['NAME']} 中的全部数据和 "
                f"{settings.MEDIA_ROOT} 中的全部文件将被替换，此后的改动都会丢失。"
            )
        )
        if interactive:
            try:
                answer = input("确定恢复吗？输入 yes 继续：")
            except EOFError:  # no terminal, e.g. under cron without --noinput
                answer = ""
            if answer.strip().lower() != "yes":
                self.stdout.write("已取消，没有做任何改动。")
                return
        try:
            restored = backup_restore(backup=backup)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(f"已恢复 {backup.label} 的备份：数据库和 {restored} 个照片文件。")
        )
        self.stdout.write("请重启应用服务（gunicorn），让各进程从恢复后的数据重新开始。")

    def _list(self):
        backups = backups_list()
        if not backups:
            self.stdout.write(f"{backup_location()} 中没有完整的备份。")
            return
        self.stdout.write(f"{backup_location()} 中的备份（最新的在前）：")
        for backup in backups:
            self.stdout.write(
                f"  {backup.stamp}  {backup.label}  数据库 {backup_file_size(backup.database_file)}"
                f"，照片 {backup_file_size(backup.media_file)}"
            )
