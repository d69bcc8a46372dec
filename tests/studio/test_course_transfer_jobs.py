"""Course transfers run as jobs survive what breaks them: a storage error fails the transfer with a message and
"try again" (never RUNNING for ever); a worker that died is noticed by the sweep and the job runs again,
first removing what the interrupted run wrote; export archives expire; the same job works on S3."""
from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import urllib.request
import uuid
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import select, update

from mwanzo.auth.models import User
from mwanzo.courses.models import Course, CourseTransfer, Lesson, TransferStatus
from mwanzo import jobs
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.storage import get_storage
from mwanzo.studio import copies, tasks
from tests.processes import wait_for
from tests.studio.test_course_copies import assert_playable, exported, original, outline  # noqa: F401


def transfer_of(location: str) -> CourseTransfer:
    return db.session.get(CourseTransfer, uuid.UUID(location.rsplit("/", 1)[1]), populate_existing=True)


def download(client, status: str) -> bytes:
    """The archive behind the status page's link (a signed URL of the app, or of the bucket in s3 mode)."""
    link = re.search(r'href="([^"]+)" download', status).group(1).replace("&amp;", "&")
    if link.startswith("http"):
        with urllib.request.urlopen(link) as answer:
            return answer.read()
    return client.get(link).data


@pytest.fixture
def own_media(app, settings, tmp_path):
    """Local storage in a folder of this test's own (asked for before the course is made)."""
    settings(MEDIA_ROOT=str(tmp_path))
    app.extensions.pop("mwanzo_storage", None)
    yield tmp_path
    app.extensions.pop("mwanzo_storage", None)


def test_an_export_stopped_by_a_storage_error_fails_with_try_again_and_then_completes(client, own_media, original,
                                                                                       settings):
    settings(COURSE_TRANSFER_INLINE_BYTES=1000)
    blocker = own_media / "transfers"
    blocker.write_bytes(b"")  # a file where the transfers folder belongs: writing the archive fails
    try:
        response = client.post(f"/studio/courses/{original.id}/export")
        status = client.get(response.location).get_data(as_text=True)
        assert "failed" in status and "The job stopped on an error before it finished." in status
        assert "Try again" in status and 'hx-trigger="every 2s"' not in status
        assert transfer_of(response.location).status == TransferStatus.FAILED
    finally:
        blocker.unlink()
    retry = client.post(f"{response.location}/retry")
    assert retry.status_code == 302
    status = client.get(response.location).get_data(as_text=True)
    assert "Download the archive" in status and "Try again" not in status
    assert zipfile.ZipFile(io.BytesIO(download(client, status))).read("manifest.json")
    assert client.post(f"{response.location}/retry").status_code == 409  # a finished transfer is not redone


def test_a_transfer_whose_worker_died_is_swept_cleaned_up_and_completed(client, original, make, login, settings):
    data = exported(client, original)
    importer = login(make.instructor())
    transfer = copies.queue_import(io.BytesIO(data), importer)  # queued, and then its worker was killed:
    transfer.status, transfer.attempts = TransferStatus.RUNNING, 1
    db.session.commit()
    ids = copies.import_ids(transfer)
    ids()  # the course's id; then the first lesson's folder, where the dead run had started writing
    stray = f"lessons/{ids()}/hls/240p/segment_000.ts"
    get_storage().save(stray, io.BytesIO(b"half a segment"), "video/mp2t")
    tasks.sweep_course_transfers()
    assert transfer_of(f"/{transfer.id}").status == TransferStatus.RUNNING  # recent: the worker may be busy
    db.session.execute(update(CourseTransfer).where(CourseTransfer.id == transfer.id)
                       .values(updated_at=utcnow() - timedelta(hours=2)))
    db.session.commit()
    tasks.sweep_course_transfers()  # queues it again; the sync runner runs the job at commit
    transfer = transfer_of(f"/{transfer.id}")
    assert (transfer.status, transfer.attempts) == (TransferStatus.DONE, 2)
    assert not get_storage().exists(stray)
    imported = db.session.get(Course, transfer.course_id)
    assert imported.instructor_id == importer.id and outline(imported.id) == outline(original.id)
    assert_playable(client, imported.id)
    assert "Open the imported draft" in client.get(f"/studio/transfers/{transfer.id}").get_data(as_text=True)


def test_a_transfer_that_keeps_stopping_is_failed_after_its_attempts(client, original, settings):
    settings(COURSE_TRANSFER_INLINE_BYTES=1000)
    transfer = copies.queue_export(original, db.session.get(User, original.instructor_id))
    transfer.status, transfer.attempts = TransferStatus.RUNNING, current_app.config["COURSE_TRANSFER_MAX_ATTEMPTS"]
    db.session.commit()
    db.session.execute(update(CourseTransfer).where(CourseTransfer.id == transfer.id)
                       .values(updated_at=utcnow() - timedelta(hours=2)))
    db.session.commit()
    tasks.sweep_course_transfers()
    status = client.get(f"/studio/transfers/{transfer.id}").get_data(as_text=True)
    assert "The job stopped several times without finishing." in status and "Try again" in status
    assert db.session.scalar(select(CourseTransfer.archive_key).where(CourseTransfer.id == transfer.id))


def test_an_export_archive_is_downloadable_until_it_expires_then_removed(client, original, settings):
    settings(COURSE_TRANSFER_INLINE_BYTES=1000)
    response = client.post(f"/studio/courses/{original.id}/export")
    transfer = transfer_of(response.location)
    key = transfer.archive_key
    status = client.get(response.location).get_data(as_text=True)
    until = transfer.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    assert f"You can download it until {until}; then it is removed." in status
    assert transfer.expires_at - utcnow() > timedelta(hours=71)
    tasks.sweep_course_transfers()
    assert get_storage().exists(key)  # not yet due
    db.session.execute(update(CourseTransfer).where(CourseTransfer.id == transfer.id)
                       .values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    tasks.sweep_course_transfers()
    assert not get_storage().exists(key)
    status = client.get(response.location).get_data(as_text=True)
    assert "Download the archive" not in status and "This archive was removed on" in status


def test_an_export_and_import_as_jobs_round_trip_through_s3(client, s3, original, make, login, settings):
    settings(COURSE_TRANSFER_INLINE_BYTES=1000)
    response = client.post(f"/studio/courses/{original.id}/export")
    status = client.get(response.location).get_data(as_text=True)
    key = transfer_of(response.location).archive_key
    assert key.startswith("transfers/") and s3.exists(key)
    data = download(client, status)
    importer = login(make.instructor())
    response = client.post("/studio/courses/import", data={"archive": (io.BytesIO(data), "course.zip")},
                           content_type="multipart/form-data")
    assert "Open the imported draft" in client.get(response.location).get_data(as_text=True)
    imported = db.session.scalar(select(Course).where(Course.instructor_id == importer.id))
    assert outline(imported.id) == outline(original.id)
    video = db.session.scalar(select(Lesson).where(Lesson.course_id == imported.id, Lesson.media_prefix.is_not(None)))
    variant = client.get(f"/learn/{imported.slug}/lessons/{video.id}/hls/240p/index.m3u8").get_data(as_text=True)
    segment = next(line for line in variant.splitlines() if ".ts" in line)
    assert f"/lessons/{video.id}/" in segment  # the copy's own file in the bucket, signed for the bucket
    with urllib.request.urlopen(segment) as answer:
        assert answer.status == 200 and answer.read()


def test_an_import_whose_worker_is_killed_is_swept_and_finishes(app, client, original, make, login, database_url,
                                                                settings):
    """A real worker process dies (SIGKILL) while its import job runs: the transfer is left RUNNING, the
    sweep queues it again and the job finishes it."""
    data = exported(client, original)
    importer = login(make.instructor())
    transfer = copies.queue_import(io.BytesIO(data), importer)
    db.session.commit()
    upload = Path(app.config["MEDIA_ROOT"]) / transfer.archive_key
    upload.unlink()
    os.mkfifo(upload)  # the worker's read of the upload waits here until the test has killed it
    env = {**os.environ, "DATABASE_URL": database_url, "MEDIA_ROOT": app.config["MEDIA_ROOT"],
           "SECRET_KEY": app.config["SECRET_KEY"], "JOB_RUNNER": "sync", "REDIS_URL": ""}
    worker = subprocess.Popen(
        [sys.executable, "-c", "from mwanzo import create_app, jobs\nwith create_app().app_context():\n"
                               f"    jobs.run_task({jobs.task_name(tasks.run_course_transfer)!r}, "
                               f"{str(transfer.id)!r})"],
        env=env, start_new_session=True, cwd=Path(__file__).parents[2])
    try:
        assert wait_for(lambda: transfer_of(f"/{transfer.id}").status == TransferStatus.RUNNING)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    upload.unlink()
    upload.write_bytes(data)
    assert "working" in client.get(f"/studio/transfers/{transfer.id}").text  # what the instructor saw, for ever

    settings(COURSE_TRANSFER_STALL_SECONDS=0)
    tasks.sweep_course_transfers()  # queues it again; the sync runner runs the job at commit
    transfer = transfer_of(f"/{transfer.id}")
    assert (transfer.status, transfer.attempts) == (TransferStatus.DONE, 2)
    assert outline(transfer.course_id) == outline(original.id)
