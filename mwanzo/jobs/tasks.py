"""Kernel jobs: the outbox relay (hands RQ the jobs that Redis missed at commit time) and file removal."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select

from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.jobs import PendingJob, enqueue, job, push, redis_connection
from mwanzo.jobs.models import OutboxJob
from mwanzo.storage import get_storage

# A row younger than this may still be handed over by the commit that wrote it.
RELAY_AFTER = timedelta(seconds=30)
KEEP_DELIVERED = timedelta(days=7)
BATCH = 500


@job()  # on a timer: mwanzo/tasks.py SCHEDULE
def relay_outbox() -> int:
    """Push undelivered outbox rows to RQ, oldest first, and mark them delivered; prune old delivered rows.
    A crash between push and mark pushes the job again next time (at least once; tasks are idempotent)."""
    now = utcnow()
    rows = list(db.session.scalars(
        select(OutboxJob).where(OutboxJob.delivered_at.is_(None), OutboxJob.created_at <= now - RELAY_AFTER)
        .order_by(OutboxJob.created_at).limit(BATCH).with_for_update(skip_locked=True)))
    if rows:
        connection = redis_connection()
        for row in rows:
            push(PendingJob(row.task, tuple(row.args), row.queue_name), connection)
            row.delivered_at = now
    db.session.execute(delete(OutboxJob).where(OutboxJob.delivered_at < now - KEEP_DELIVERED))
    db.session.commit()
    return len(rows)


FILES_IN_USE = "mwanzo_files_in_use"


def keep_files_in_use(app, check: Callable[[str], bool]) -> None:
    """Connected by the container: ``check(prefix)`` is True while some row still names a file below it (a
    duplicated course shares its original's media files until either is replaced)."""
    app.extensions.setdefault(FILES_IN_USE, []).append(check)


@job()
def delete_stored_files(*prefixes: str) -> None:
    """Remove files whose rows are gone (a deleted lesson's video, an upload that was replaced). Enqueued by
    the change that dropped them, so it runs only once that change has committed; removing twice is harmless.
    Files another row still names are kept; of a folder in use, only the files no row names go."""
    storage = get_storage()
    checks = current_app.extensions.get(FILES_IN_USE, [])
    for prefix in prefixes:
        if not any(check(prefix) for check in checks):
            storage.delete_prefix(prefix)
            continue
        for key in list(storage.keys(prefix)):
            if key != prefix and not any(check(key) for check in checks):
                storage.delete_prefix(key)


def delete_with_file(row, key: str) -> None:
    """Delete a row that names a stored file; the file goes once the deletion has committed."""
    db.session.delete(row)
    db.session.flush()
    enqueue(delete_stored_files, key)
