"""Account recovery's code, recorded and texted by a job: the request that asks for it does the same work
(queue this job) whether or not the number has an account, so neither its answer nor its timing tells."""
from __future__ import annotations

from mwanzo.auth import codes, services
from mwanzo.extensions import db
from mwanzo.jobs import job


@job(queue="email")
def issue_recovery_code(phone: str, page_locale: str) -> None:
    """A real code texted to a number with a usable account, a decoy (recorded, texted to nobody) otherwise.
    A second request that raced the first one's job finds a code already sent and does nothing."""
    user = services.find_user_by_phone(phone)
    usable = user is not None and user.is_active
    try:
        if usable:
            codes.issue_code(phone, codes.RESET, user.locale or page_locale, user_id=user.id)
        else:
            codes.issue_decoy_code(phone, codes.RESET)
    except codes.ResendTooSoon:
        return
    db.session.commit()
