"""Kernel jobs: the outbox relay (hands RQ the jobs that Redis missed at commit time) and file removal."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select

from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.jobs import PendingJob, job, push, redis_connection
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


@job()
def delete_stored_files(*prefixes: str) -> None:
    """Remove files whose rows are gone (a deleted lesson's video, an upload that was replaced). Enqueued by
    the change that dropped them, so it runs only once that change has committed; removing twice is harmless."""
    storage = get_storage()
    for prefix in prefixes:
        storage.delete_prefix(prefix)
