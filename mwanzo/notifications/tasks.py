import uuid

from mwanzo.notifications import services


def deliver_email(email_id: str) -> str:
    return services.deliver(uuid.UUID(email_id)).value
