"""Text messages: render in the recipient's language, record, send once by a job, apply delivery reports."""
from __future__ import annotations

import re
import uuid
from collections.abc import Mapping

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from mwanzo import jobs
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.sms import gsm
from mwanzo.sms.models import OutboundSms, SmsDeliveryReport, SmsStatus
from mwanzo.sms.providers import Provider, SendError, provider_from_config
from mwanzo.web import security

S = SmsStatus
# Africa's Talking's delivery-report statuses. Anything else is recorded and leaves the status alone.
DELIVERED_REPORTS = {"Success"}
FAILED_REPORTS = {"Rejected", "Failed", "AbsentSubscriber", "Expired"}
_SPACES = re.compile(r"[ \t]+")


class UnreadableReport(ValueError):
    """A delivery report without the message id or status every report carries."""


def render_sms(template: str, locale: str, **context) -> str:
    """``sms/<template>.txt`` in ``locale``, trimmed, with typographic characters made GSM-7."""
    with force_locale(locale):
        text = render_template(f"sms/{template}.txt", config=current_app.config, **context)
    lines = [_SPACES.sub(" ", line).strip() for line in text.strip().splitlines()]
    return gsm.plain_text("\n".join(line for line in lines if line))


def send_sms(phone: str, template: str, locale: str | None = None, dedupe_key: str | None = None,
             **context) -> OutboundSms | None:
    """Record the message and queue its sending for after commit. ``phone`` is canonical (2547…).

    With ``dedupe_key``, a message already recorded under that key is not sent again (returns None)."""
    if dedupe_key and db.session.scalar(select(OutboundSms.id).where(OutboundSms.dedupe_key == dedupe_key)):
        return None
    locale = locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    body = render_sms(template, locale, **context)
    length = gsm.measure(body)
    sms = OutboundSms(to_phone=phone, template=template, locale=locale, body=body, encoding=length.encoding,
                      parts=length.parts, dedupe_key=dedupe_key)
    try:
        # A savepoint: a concurrent sender of the same key loses only this row, not the caller's transaction.
        with db.session.begin_nested():
            db.session.add(sms)
    except IntegrityError:
        if dedupe_key is None:
            raise
        return None
    from mwanzo.sms.tasks import deliver_sms

    jobs.enqueue(deliver_sms, str(sms.id))
    return sms


def get_provider() -> Provider:
    return provider_from_config(current_app.config)


def deliver(sms_id: uuid.UUID) -> SmsStatus:
    """Send one recorded message, at most once.

    The row is claimed (QUEUED → SENDING, one conditional UPDATE, committed) before the provider is asked,
    so a job run twice, or two workers at once, send it once. A refusal worth retrying (a network error,
    Africa's Talking's 402/405/5xx) puts it back to QUEUED and re-raises so the job runner retries, until
    SMS_MAX_ATTEMPTS; a final refusal is FAILED. A timeout is UNKNOWN: SMS has no idempotency key, so the
    message may have gone out and is never resent by itself (a sign-in code is resent by the person, with a
    new code). A worker killed mid-send leaves SENDING, for the same reason."""
    claimed = db.session.execute(
        update(OutboundSms).where(OutboundSms.id == sms_id, OutboundSms.status == S.QUEUED)
        .values(status=S.SENDING, attempts=OutboundSms.attempts + 1)).rowcount
    db.session.commit()
    sms = db.session.get(OutboundSms, sms_id)
    if sms is None:
        return S.FAILED
    if not claimed:
        return sms.status
    provider = get_provider()
    sms.provider = provider.name
    try:
        result = provider.send(sms.to_phone, sms.body)
    except SendError as exc:
        sms.last_error = exc.message[:2000]
        sms.provider_status_code = exc.status_code
        if exc.timed_out:
            sms.status = S.UNKNOWN
        elif exc.retryable and sms.attempts < current_app.config["SMS_MAX_ATTEMPTS"]:
            sms.status = S.QUEUED
            db.session.commit()
            raise
        else:
            sms.status = S.FAILED
        db.session.commit()
        return sms.status
    sms.status = S.ACCEPTED
    sms.provider_message_id = result.message_id
    sms.provider_status_code = result.status_code
    sms.cost = result.cost
    sms.sent_at = utcnow()
    sms.last_error = None
    db.session.commit()
    return sms.status


# ---------------------------------------------------------------- delivery reports

def callback_token_matches(token: str) -> bool:
    return security.callback_token_matches(token, "SMS_CALLBACK_TOKEN", "mwanzo-sms-callback")


def record_delivery_report(form: Mapping[str, str], raw: str) -> SmsDeliveryReport:
    """Keep the raw report, then move the message it names: Success → DELIVERED; Rejected, Failed,
    AbsentSubscriber, Expired → FAILED; Sent, Submitted, Buffered and unknown words only note the status.
    Conditional updates keep it idempotent and in order: a late Sent never undoes Success, a Failed never
    undoes Success, and a later Success (a retried delivery) overrides an earlier failure."""
    message_id, status = (form.get("id") or "").strip(), (form.get("status") or "").strip()
    if not message_id or not status or len(message_id) > 80 or len(status) > 40:
        raise UnreadableReport("a delivery report needs id and status")
    reason = (form.get("failureReason") or "").strip()[:200] or None
    report = SmsDeliveryReport(provider_message_id=message_id, status=status, raw=raw)
    db.session.add(report)
    sms_id = db.session.scalar(select(OutboundSms.id).where(OutboundSms.provider_message_id == message_id))
    if sms_id is None:
        return report
    report.matched = True
    row = update(OutboundSms).where(OutboundSms.id == sms_id)
    if status in DELIVERED_REPORTS:
        db.session.execute(row.where(OutboundSms.status.in_((S.ACCEPTED, S.FAILED)))
                           .values(status=S.DELIVERED, delivery_status=status, delivered_at=utcnow()))
    elif status in FAILED_REPORTS:
        db.session.execute(row.where(OutboundSms.status == S.ACCEPTED)
                           .values(status=S.FAILED, delivery_status=status, failure_reason=reason))
    else:
        db.session.execute(row.where(OutboundSms.status == S.ACCEPTED).values(delivery_status=status))
    return report


def recent_messages(_criteria: dict | None = None):
    """Every text message, newest first: the admins' view of what went out and what became of it."""
    return select(OutboundSms).order_by(OutboundSms.created_at.desc(), OutboundSms.id)


# ---------------------------------------------------------------- the person's data (privacy calls these)

def export_user_data(phone: str | None) -> dict[str, list[dict]]:
    sent = db.session.scalars(select(OutboundSms).where(OutboundSms.to_phone == phone)
                              .order_by(OutboundSms.created_at)) if phone else []
    return {"outbound_sms": [{"text": m.body, "to": m.to_phone, "date": m.created_at, "status": m.status.value}
                             for m in sent]}


def erase_user_data(phone: str | None) -> None:
    """The texts and their delivery reports (which repeat the number)."""
    if not phone:
        return
    sent = select(OutboundSms.provider_message_id).where(OutboundSms.to_phone == phone).scalar_subquery()
    db.session.execute(delete(SmsDeliveryReport).where(SmsDeliveryReport.provider_message_id.in_(sent)))
    db.session.execute(delete(OutboundSms).where(OutboundSms.to_phone == phone))


def clear_report_bodies(received_before) -> int:
    """The raw body of delivery reports (it repeats the number); the status they set stays on the message."""
    return db.session.execute(update(SmsDeliveryReport).where(
        SmsDeliveryReport.received_at < received_before, SmsDeliveryReport.raw.is_not(None)).values(raw=None)).rowcount
