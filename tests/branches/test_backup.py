"""Backup and restore: the database and the uploaded photos come back as they were.

The dump and the restore work outside the test's transaction (pg_dump and pg_restore are
processes of their own), so these tests commit for real. They run on whichever database the
suite runs on: on SQLite the test database is in memory, which dbbackup's own SQLite
restore (writing over the database file) could not reach; restore goes through SQLite's
backup API into the open connection instead.
"""

import datetime
import hashlib
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from branches.backups import BackupError, backup_create, backups_clean, backups_list
from pledges.enums import PledgeStatus
from pledges.models import Pledge, ProgressPhoto
from pledges.services.progress import progress_record_create
from tests import factories
from tests.pledges.test_photos import picture_bytes, upload

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def places(settings, tmp_path):
    """BACKUP_DIR and MEDIA_ROOT in the test's own directory."""
    settings.BACKUP_DIR = tmp_path / "backups"
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings


def row_counts() -> dict[str, int]:
    """Rows in every table of the database, by table name."""
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
    return counts


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def record_with_photo(org):
    pledge = factories.make_pledge(branch=org.branch)
    factories.walk_to(
        pledge, PledgeStatus.IN_PROGRESS, secretary=org.secretary, staff=org.town_staff
    )
    return progress_record_create(
        pledge=pledge,
        actor=org.secretary,
        happened_on=timezone.localdate(),
        description="组织党员浇水",
        photos=[upload(picture_bytes(size=(800, 600), color="green"), name="院子.jpg")],
    )


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_backup_restore_brings_back_every_row_and_photo(org, places):
    record_with_photo(org)
    photo = ProgressPhoto.objects.get()
    media = places.MEDIA_ROOT
    image, thumbnail = media / photo.image.name, media / photo.thumbnail.name
    checksums = {"image": sha256(image), "thumbnail": sha256(thumbnail)}
    counts = row_counts()
    assert counts[ProgressPhoto._meta.db_table] == 1
    assert counts[Pledge._meta.db_table] == 1

    output = run("backup")
    (backup,) = backups_list()
    assert f"已备份（{backup.label}）" in output
    assert backup.database_file.endswith(".gz")
    assert backup.media_file.endswith(".tar.gz")

    # Lose everything: every row, every uploaded file; then a file the backup never had.
    call_command("flush", "--noinput")
    for path in (image, thumbnail):
        path.unlink()
    assert Pledge.objects.count() == ProgressPhoto.objects.count() == 0
    (media / "progress" / "stray.jpg").write_bytes(b"not in the backup")

    output = run("restore", "--noinput")

    assert "已恢复" in output
    assert row_counts() == counts
    assert sha256(image) == checksums["image"]
    assert sha256(thumbnail) == checksums["thumbnail"]
    assert not (media / "progress" / "stray.jpg").exists()
    restored = ProgressPhoto.objects.get()
    assert (restored.image.name, restored.thumbnail.name) == (
        photo.image.name,
        photo.thumbnail.name,
    )


def test_backup_keeps_the_newest_and_restore_takes_the_one_named(org, places):
    moments = [timezone.make_aware(datetime.datetime(2025, 6, day, 2, 30)) for day in (1, 2, 3)]
    first = backup_create(now=moments[0], compress=False)
    factories.make_pledge(branch=org.branch)
    second = backup_create(now=moments[1], compress=False)
    counts_at_second = row_counts()
    factories.make_pledge(branch=org.branch)
    third = backup_create(now=moments[2], compress=False)

    removed = backups_clean(keep=2)

    assert removed == [first]
    assert backups_list() == [third, second]
    assert second.stamp == "2025-06-02-023000"
    assert sorted(path.name for path in places.BACKUP_DIR.iterdir()) == sorted(
        [second.database_file, second.media_file, third.database_file, third.media_file]
    )

    run("restore", "--noinput", second.stamp)

    assert row_counts() == counts_at_second
    assert Pledge.objects.count() == 1


def test_restore_asks_and_changes_nothing_without_yes(org, places, monkeypatch):
    run("backup")
    factories.make_pledge(branch=org.branch)
    monkeypatch.setattr("builtins.input", lambda prompt: "n")

    output = run("restore")

    assert "已取消，没有做任何改动。" in output
    assert Pledge.objects.count() == 1


def test_restore_without_backups_says_so(places):
    with pytest.raises(CommandError, match="中没有完整的备份。"):
        run("restore", "--noinput")


def test_backup_refuses_a_directory_inside_media_root(places):
    places.BACKUP_DIR = places.MEDIA_ROOT / "backups"

    with pytest.raises(BackupError, match="不能在 MEDIA_ROOT 之内"):
        backup_create()
