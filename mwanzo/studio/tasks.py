"""Studio jobs: large course exports and imports."""
from __future__ import annotations

import uuid

from sqlalchemy import update

from mwanzo.courses.models import CourseTransfer, TransferStatus
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.jobs import job
from mwanzo.studio import copies


@job()
def run_course_transfer(transfer_id: str) -> None:
    """Export or import one archive. Claimed QUEUED → RUNNING by one conditional UPDATE, so a job delivered
    twice runs once; a transfer already running or finished is left alone."""
    claimed = db.session.execute(
        update(CourseTransfer).where(CourseTransfer.id == uuid.UUID(transfer_id),
                                     CourseTransfer.status == TransferStatus.QUEUED)
        .values(status=TransferStatus.RUNNING, updated_at=utcnow()).execution_options(synchronize_session=False))
    db.session.commit()
    if claimed.rowcount != 1:
        return
    transfer = db.session.get(CourseTransfer, uuid.UUID(transfer_id), populate_existing=True)
    copies.run_transfer(transfer)
    db.session.commit()
