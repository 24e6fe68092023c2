"""`manage.py backup`: the database and the uploaded photos into BACKUP_DIR (see README,
"Backup and restore"), keeping the newest BACKUP_KEEP backups."""

from argparse import BooleanOptionalAction

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from branches.backups import (
    BackupError,
    backup_create,
    backup_file_size,
    backup_location,
    backups_clean,
)


class Command(BaseCommand):
    help = (
        "备份数据库和上传的照片（MEDIA_ROOT）到 BACKUP_DIR，文件名带时间；"
        "之后只保留最近 BACKUP_KEEP 份。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--compress",
            action=BooleanOptionalAction,
            default=None,
            help="用 gzip 压缩备份文件（默认按 BACKUP_COMPRESS 设置，即压缩）",
        )
        parser.add_argument(
            "--keep",
            type=int,
            default=None,
            help="保留最近几份备份（默认按 BACKUP_KEEP 设置；0 表示全部保留）",
        )

    def handle(self, *args, compress: bool | None, keep: int | None, **options):
        keep = settings.BACKUP_KEEP if keep is None else keep
        try:
            backup = backup_create(compress=compress)
            removed = backups_clean(keep=keep)
        except BackupError as error:
            raise CommandError(str(error)) from error
        if options["verbosity"] < 1:
            return
        self.stdout.write(
            self.style.SUCCESS(f"已备份（{backup.label}），存于 {backup_location()}：")
        )
        self.stdout.write(
            f"  数据库：{backup.database_file}（{backup_file_size(backup.database_file)}）"
        )
        self.stdout.write(f"  照片：{backup.media_file}（{backup_file_size(backup.media_file)}）")
        if removed:
            self.stdout.write(f"已删除 {len(removed)} 份较早的备份，保留最近 {keep} 份。")
