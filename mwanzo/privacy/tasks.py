import uuid

from mwanzo.jobs import job
from mwanzo.privacy import services


@job()
def build_export(request_id: str) -> None:
    services.complete_export(uuid.UUID(request_id))


@job()
def apply_retention() -> dict:
    """On the schedule (mwanzo/tasks.py, every 6 hours): remove what is past its retention period (README: Data and privacy)."""
    from mwanzo.extensions import db

    removed = services.apply_retention()
    db.session.commit()
    return removed
