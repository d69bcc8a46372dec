import uuid

from mwanzo.jobs import job
from mwanzo.sms import services


@job(queue="email")
def deliver_sms(sms_id: str) -> str:
    """On the messages queue with email; runs at most once per message (see services.deliver)."""
    return services.deliver(uuid.UUID(sms_id)).value
