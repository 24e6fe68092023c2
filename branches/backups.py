"""Backups of the database and the uploaded photos, built on django-dbbackup.

A backup is two files in the backup storage (settings.BACKUP_DIR) sharing one timestamp:

    pledgewall-2025-06-01-023000-database.sqlite3.gz    (PostgreSQL: …-database.psql.bin.gz)
    pledgewall-2025-06-01-023000-media.tar.gz

The database file is what django-dbbackup's connector for the engine writes (pg_dump's
custom format on PostgreSQL, an SQLite database file on SQLite); the media file is a tar of
MEDIA_ROOT with names relative to it, the layout of dbbackup's `mediabackup`. Both are
gzipped unless BACKUP_COMPRESS is off. So dbbackup's own `dbrestore -i NAME` and
`mediarestore -i NAME` can read them too, should `restore` itself ever be unusable.
"""

import logging
import posixpath
import re
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from shutil import copyfileobj

from dbbackup import utils as dbbackup_utils
from dbbackup.db.base import get_connector
from dbbackup.db.exceptions import CommandConnectorError
from dbbackup.db.sqlite import SqliteBackupConnector
from dbbackup.storage import Storage, get_storage
from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import SuspiciousFileOperation
from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.files.utils import validate_file_name
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

PREFIX = "pledgewall"
# dbbackup's default DBBACKUP_DATE_FORMAT, so its listbackups and cleanup read the dates too.
DATE_FORMAT = "%Y-%m-%d-%H%M%S"
STAMP = r"\d{4}-\d{2}-\d{2}-\d{6}"
FILE_NAME = re.compile(
    rf"^{PREFIX}-(?P<stamp>{STAMP})-(?P<part>database|media)\.(?P<extension>[a-z0-9.]+)$"
)
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}

# dbbackup.db.base sets its command logger to DEBUG when imported, which prints every
# pg_dump command line to standard error: cron would mail it each night. Let it inherit
# the "dbbackup" logger's level again, so only its warnings and errors come through.
logging.getLogger("dbbackup.command").setLevel(logging.NOTSET)


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message tells the operator why."""


class BackupDirectoryStorage(FileSystemStorage):
    """The backup directory, settings.BACKUP_DIR, read each time it is used (as
    FileSystemStorage reads MEDIA_ROOT) so that a changed setting takes effect at once.

    Backups hold members' names and telephone numbers: files are readable by their owner only.
    """

    def __init__(self, **options):
        options.setdefault("file_permissions_mode", 0o600)
        options.setdefault("directory_permissions_mode", 0o700)
        super().__init__(**options)

    @property
    def base_location(self):
        return self._location or settings.BACKUP_DIR

    @property
    def location(self):
        return str(Path(self.base_location).resolve())


class SqliteOnlineConnector(SqliteBackupConnector):
    """dbbackup's SQLite connector, restoring through SQLite's online backup API into the
    open connection instead of writing over the database file.

    Writing over the file under running processes that hold it open corrupts what they see;
    the backup API takes SQLite's locks, and it restores an in-memory database as well.
    """

    def restore_dump(self, dump):
        self.connection.ensure_connection()
        if self.connection.in_atomic_block:
            raise BackupError("不能在事务中恢复数据库。")
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "restore.sqlite3"
            dump.seek(0)
            with path.open("wb") as copy:
                copyfileobj(dump, copy)
            source = sqlite3.connect(path)
            try:
                # Fails on a file that is not an SQLite database, before anything is changed.
                source.execute("SELECT count(*) FROM sqlite_master").fetchone()
                source.backup(self.connection.connection)
            except sqlite3.DatabaseError as error:
                raise BackupError(f"数据库备份文件无法读取：{error}") from error
            finally:
                source.close()


@dataclass(frozen=True)
class Backup:
    """One backup: the database file and the media file of one timestamp."""

    stamp: str
    database_file: str
    media_file: str

    @property
    def created_at(self) -> datetime:
        """When the backup was taken, in the site's time zone (the stamp is local time)."""
        return timezone.make_aware(datetime.strptime(self.stamp, DATE_FORMAT))

    @property
    def label(self) -> str:
        return self.created_at.strftime("%Y-%m-%d %H:%M:%S")


def backup_location() -> str:
    """Where backups are kept, as shown to the operator: the directory, or the storage."""
    storage = get_storage()
    return str(getattr(storage.storage, "location", storage))


def backup_file_size(name: str) -> str:
    """A backup file's size, readable ("1.2 MiB")."""
    return dbbackup_utils.bytes_to_str(get_storage().storage.size(name))


def backups_list() -> list[Backup]:
    """Complete backups (both files present), newest first."""
    parts: dict[str, dict[str, str]] = {}
    for name in _file_names(get_storage()):
        match = FILE_NAME.match(name)
        if match:
            parts.setdefault(match["stamp"], {})[match["part"]] = name
    return [
        Backup(stamp=stamp, database_file=found["database"], media_file=found["media"])
        for stamp, found in sorted(parts.items(), reverse=True)
        if {"database", "media"} <= found.keys()
    ]


def backup_find(name: str | None = None) -> Backup:
    """The newest backup, or the one named by its timestamp or by either of its file names."""
    backups = backups_list()
    if not backups:
        raise BackupError(f"{backup_location()} 中没有完整的备份。")
    if not name:
        return backups[0]
    name = Path(name).name
    match = FILE_NAME.match(name)
    stamp = match["stamp"] if match else name
    for backup in backups:
        if backup.stamp == stamp:
            return backup
    raise BackupError(f"找不到备份 {name}：用 restore --list 查看现有的备份。")


def backup_create(*, compress: bool | None = None, now: datetime | None = None) -> Backup:
    """Write a backup of the database and of MEDIA_ROOT, or raise and leave no part of it.

    The database is dumped first: a photo uploaded while the archive is written is then an
    unreferenced extra file, never a record whose photo is missing.
    """
    compress = settings.BACKUP_COMPRESS if compress is None else compress
    _check_backup_directory()
    storage = get_storage()
    stamp = timezone.localtime(now).strftime(DATE_FORMAT)
    if any(name.startswith(f"{PREFIX}-{stamp}-") for name in _file_names(storage)):
        raise BackupError(f"已有同一秒（{stamp}）的备份，请稍后再试。")

    connector = get_connector(DEFAULT_DB_ALIAS)
    try:
        dump = connector.create_dump()
    except (CommandConnectorError, sqlite3.Error) as error:
        raise BackupError(f"导出数据库失败：{error}") from error
    database_file = f"{PREFIX}-{stamp}-database.{connector.extension}"
    media_file = f"{PREFIX}-{stamp}-media.tar" + (".gz" if compress else "")

    written = []
    try:
        if compress:
            dump, database_file = dbbackup_utils.compress_file(dump, database_file)
        _write(storage, dump, database_file)
        written.append(database_file)
        _write(storage, _media_archive(compress=compress), media_file)
        written.append(media_file)
    except BaseException as error:
        for name in written:
            storage.delete_file(name)
        if isinstance(error, OSError):
            raise BackupError(f"写入备份失败，未留下这份备份的任何文件：{error}") from error
        raise
    return Backup(stamp=stamp, database_file=database_file, media_file=media_file)


def backups_clean(*, keep: int) -> list[Backup]:
    """Delete all but the newest `keep` backups (0 keeps all); return those deleted.

    Files of an older timestamp that lack their other half go too; files newer than the
    oldest kept backup stay, as they may belong to a backup being written right now.
    """
    if keep <= 0:
        return []
    backups = backups_list()
    if len(backups) <= keep:
        return []
    oldest_kept = backups[keep - 1].stamp
    storage = get_storage()
    for name in _file_names(storage):
        match = FILE_NAME.match(name)
        if match and match["stamp"] < oldest_kept:
            storage.delete_file(name)
    return backups[keep:]


def backup_restore(*, backup: Backup) -> int:
    """Replace the database and everything under MEDIA_ROOT with `backup`; return the number
    of media files restored.

    Both files are read and checked before anything is changed. On PostgreSQL pg_restore
    runs in one transaction, so a failed database restore changes nothing; the media files
    are replaced after the database.
    """
    _check_backup_directory()
    storage = get_storage()
    connector = get_connector(DEFAULT_DB_ALIAS)
    extension = FILE_NAME.match(backup.database_file)["extension"].removesuffix(".gz")
    if extension != connector.extension:
        raise BackupError(
            f"备份 {backup.database_file} 不是 {_engine_name()} 数据库的备份："
            "不能跨数据库类型恢复。"
        )
    dump = _read(storage, backup.database_file)
    archive = _read(storage, backup.media_file)
    members = _archive_members(archive, backup.media_file)

    if connector.connection.vendor == "postgresql":
        # A restore on a new server, whose database user may have another name, must not fail
        # on ALTER … OWNER: the user that restores owns what it restores.
        connector.pg_options = "--no-owner"
        # pg_restore drops and recreates the tables from its own session.
        connections[DEFAULT_DB_ALIAS].close()
    try:
        connector.restore_dump(dump)
    except CommandConnectorError as error:
        raise BackupError(f"恢复数据库失败，数据库未改动：{error}") from error

    _media_replace(archive, members)
    # Cached pages and remembered routes describe the database as it was before.
    for cache in caches.all():
        cache.clear()
    return len(members)


def _check_backup_directory() -> None:
    location = getattr(get_storage().storage, "location", None)
    if location is None:
        return
    backup_dir = Path(location).resolve()
    media_root = Path(settings.MEDIA_ROOT).resolve()
    if backup_dir == media_root or media_root in backup_dir.parents:
        raise BackupError(f"BACKUP_DIR（{backup_dir}）不能在 MEDIA_ROOT 之内：那里的文件对外公开。")


def _engine_name() -> str:
    vendor = connections[DEFAULT_DB_ALIAS].vendor
    return ENGINE_NAMES.get(vendor, vendor)


def _file_names(storage: Storage) -> list[str]:
    try:
        return storage.list_directory()
    except FileNotFoundError:
        return []


def _write(storage: Storage, content, name: str) -> None:
    content.seek(0)
    storage.write_file(File(content, name=name), name)


def _read(storage: Storage, name: str):
    """The backup file `name`, uncompressed, in a temporary file."""
    try:
        with storage.read_file(name) as stored:
            if name.endswith(".gz"):
                content, _ = dbbackup_utils.uncompress_file(stored, name)
            else:
                content = dbbackup_utils.create_spooled_temporary_file(fileobj=stored)
    except (OSError, EOFError) as error:
        raise BackupError(f"备份文件 {name} 无法读取：{error}") from error
    content.seek(0)
    return content


def _media_names(storage, path: str = ""):
    """Every file name under `path` of a media storage, relative to its root."""
    try:
        directories, files = storage.listdir(path)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield posixpath.join(path, name)
    for directory in sorted(directories):
        yield from _media_names(storage, posixpath.join(path, directory))


def _media_archive(*, compress: bool):
    archive = dbbackup_utils.create_spooled_temporary_file()
    with tarfile.open(fileobj=archive, mode="w:gz" if compress else "w") as tar:
        for name in _media_names(default_storage):
            info = tarfile.TarInfo(name)
            info.size = default_storage.size(name)
            info.mtime = default_storage.get_modified_time(name).timestamp()
            with default_storage.open(name, "rb") as content:
                tar.addfile(info, content)
    return archive


def _archive_members(archive, name: str) -> list[tarfile.TarInfo]:
    """The files of a media archive, each name checked to stay under MEDIA_ROOT."""
    try:
        with tarfile.open(fileobj=archive, mode="r:") as tar:
            members = [member for member in tar.getmembers() if member.isfile()]
    except tarfile.TarError as error:
        raise BackupError(f"照片备份 {name} 已损坏：{error}") from error
    for member in members:
        try:
            validate_file_name(member.name, allow_relative_path=True)
        except SuspiciousFileOperation as error:
            raise BackupError(f"照片备份 {name} 中有不安全的文件名：{member.name}") from error
    return members


def _media_replace(archive, members: list[tarfile.TarInfo]) -> None:
    for name in list(_media_names(default_storage)):
        default_storage.delete(name)
    archive.seek(0)
    with tarfile.open(fileobj=archive, mode="r:") as tar:
        for member in members:
            content = File(tar.extractfile(member), name=member.name)
            saved = default_storage.save(member.name, content)
            if saved != member.name:
                raise BackupError(f"照片 {member.name} 未能按原名恢复（存成了 {saved}）。")
