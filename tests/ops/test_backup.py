"""Backup and restore on PostgreSQL: what was backed up is served again from a fresh database and folder."""
import io
import json
import os

import pytest

from mwanzo import create_app
from mwanzo.courses.models import LessonKind, ProcessingStatus
from mwanzo.extensions import db
from mwanzo.media.delivery import media_url
from mwanzo.storage import get_storage
from tests.conftest import fresh_postgres_database

CLIP = b"\x00\x00\x00\x18ftypmp42" + os.urandom(4096)


@pytest.mark.postgres
def test_a_backup_restored_into_an_empty_database_serves_the_course_and_its_media(app, make, postgres, tmp_path):
    course = make.course(title="Poultry Keeping Basics")
    lesson = make.lesson(make.section(course), kind=LessonKind.VIDEO, body_markdown=None,
                         title="Feeding your flock")
    key = f"lessons/{lesson.id}/download.mp4"
    get_storage().save(key, io.BytesIO(CLIP), "video/mp4")
    lesson.media_prefix, lesson.download_key = f"lessons/{lesson.id}", key
    lesson.processing_status = ProcessingStatus.READY
    db.session.commit()

    created = app.test_cli_runner().invoke(args=["backup", "create", str(tmp_path / "backup")])
    assert created.exit_code == 0, created.output
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["schema_revision"] and manifest["media"]["files"] >= 1

    restored_url = fresh_postgres_database(os.environ["TEST_DATABASE_URL"], f"mwanzo_restore_{os.getpid()}")
    restored = create_app({**app.config, "SQLALCHEMY_DATABASE_URI": restored_url,
                           "MEDIA_ROOT": str(tmp_path / "restored-media")})
    with restored.app_context():  # the CLI runs in the current app context, the session app's otherwise
        result = restored.test_cli_runner().invoke(args=["backup", "restore", str(tmp_path / "backup")])
    assert result.exit_code == 0, result.output

    client = restored.test_client()
    page = client.get(f"/courses/{course.slug}")
    assert page.status_code == 200 and "Poultry Keeping Basics" in page.get_data(as_text=True)
    assert "Feeding your flock" in page.get_data(as_text=True)
    with restored.test_request_context():
        url = media_url(key)
    media = client.get(url)
    assert media.status_code == 200 and media.data == CLIP
    with restored.app_context():
        db.engine.dispose()


@pytest.mark.postgres
def test_restore_refuses_a_database_that_already_has_tables(app, make, postgres, tmp_path):
    make.course(title="Kept as it was")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", "create", str(tmp_path / "backup")]).exit_code == 0
    result = runner.invoke(args=["backup", "restore", str(tmp_path / "backup")])
    assert result.exit_code == 1 and "The database is not empty" in result.output


@pytest.mark.postgres
def test_a_damaged_backup_is_refused_before_anything_is_restored(app, postgres, tmp_path):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", "create", str(tmp_path / "backup")]).exit_code == 0
    with (tmp_path / "backup" / "database.dump").open("ab") as dump:
        dump.write(b"tampered")
    result = runner.invoke(args=["backup", "restore", str(tmp_path / "backup")])
    assert result.exit_code == 1 and "damaged" in result.output


def test_backups_need_postgresql(app, tmp_path):
    on_sqlite = create_app({**app.config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'local.db'}"})
    with on_sqlite.app_context():
        result = on_sqlite.test_cli_runner().invoke(args=["backup", "create", str(tmp_path / "backup")])
    assert result.exit_code == 1 and "Backups need PostgreSQL" in result.output
