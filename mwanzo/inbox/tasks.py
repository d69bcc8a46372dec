import uuid

from mwanzo.inbox import services
from mwanzo.jobs import job


@job(queue="email")
def email_notification(notification_id: str) -> bool:
    from mwanzo.extensions import db

    sent = services.send_notification_email(uuid.UUID(notification_id))
    db.session.commit()
    return sent


@job()
def send_daily_digests() -> int:
    """Once a day (NOTIFICATION_DIGEST_SECONDS, in mwanzo/tasks.py SCHEDULE): each user who chose the digest gets one email of the day's unread notifications.
    The dedupe key (user and date) makes a rerun or a second scheduler send nothing twice; commits per user."""
    from mwanzo.database import utcnow
    from mwanzo.extensions import db

    now, sent = utcnow(), 0
    for user_id in services.digest_due_user_ids(now):
        sent += services.send_digest(user_id, now)
        db.session.commit()
    return sent
