import uuid

from mwanzo.jobs import job
from mwanzo.notifications import services


@job(queue="email")
def deliver_email(email_id: str) -> str:
    return services.deliver(uuid.UUID(email_id)).value
