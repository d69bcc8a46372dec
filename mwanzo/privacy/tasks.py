import uuid
from datetime import timedelta

from mwanzo.jobs import job, periodic
from mwanzo.privacy import services


@job()
def build_export(request_id: str) -> None:
    services.complete_export(uuid.UUID(request_id))


@periodic(every=timedelta(hours=6))
def apply_retention() -> dict:
    """Every 6 hours: remove what is past its retention period (README: Data and privacy)."""
    from mwanzo.extensions import db

    removed = services.apply_retention()
    db.session.commit()
    return removed
