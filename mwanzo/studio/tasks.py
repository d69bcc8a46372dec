"""Studio jobs: large course exports and imports, and the sweep that keeps them moving and tidy."""
from __future__ import annotations

import logging
import uuid

from sqlalchemy import update

from mwanzo import jobs
from mwanzo.courses.models import CourseTransfer, TransferStatus
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.jobs import job
from mwanzo.studio import copies

log = logging.getLogger(__name__)


@job()
def run_course_transfer(transfer_id: str) -> None:
    """Export or import one archive. Claimed QUEUED → RUNNING (a start counted) by one conditional UPDATE, so a
    job delivered twice runs once; a transfer already running or finished is left alone. A run removes what an
    interrupted one wrote; an error that is not the archive's (storage down, disk full) fails it with a message
    and "try again" instead of leaving it RUNNING; the sweep queues again one whose worker died."""
    claimed = db.session.execute(
        update(CourseTransfer).where(CourseTransfer.id == uuid.UUID(transfer_id),
                                     CourseTransfer.status == TransferStatus.QUEUED)
        .values(status=TransferStatus.RUNNING, attempts=CourseTransfer.attempts + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False))
    db.session.commit()
    if claimed.rowcount != 1:
        return
    transfer = db.session.get(CourseTransfer, uuid.UUID(transfer_id), populate_existing=True)
    try:
        copies.run_transfer(transfer)
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("course transfer %s stopped", transfer_id)
        copies.fail_transfer(db.session.get(CourseTransfer, uuid.UUID(transfer_id), populate_existing=True))
        db.session.commit()


@job()
def sweep_course_transfers() -> None:
    requeued = copies.requeue_stalled_transfers()
    for transfer_id in requeued:
        jobs.enqueue(run_course_transfer, transfer_id)
    expired = copies.expire_transfer_archives()
    db.session.commit()
    if requeued or expired:
        log.warning("course transfers swept: %d requeued, %d archives expired", len(requeued), expired)
