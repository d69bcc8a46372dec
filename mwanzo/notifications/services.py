"""Emails: rendered from an HTML and a plain-text template, then delivered by a job."""
from __future__ import annotations

import smtplib
import ssl
import sys
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from mwanzo import jobs
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.notifications.models import EmailStatus, OutboundEmail


def send_email(to: str | None, template: str, locale: str | None = None, dedupe_key: str | None = None,
               **context) -> OutboundEmail | None:
    """Render ``email/<template>.txt`` (which sets ``subject``) and ``.html``; queue delivery after commit.

    With ``dedupe_key``, an email already recorded under that key is not sent again (returns None).
    Without an address (a learner who signed up by phone) nothing is sent (returns None).
    """
    if not to:
        return None
    if dedupe_key and db.session.scalar(select(OutboundEmail.id).where(OutboundEmail.dedupe_key == dedupe_key)):
        return None
    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        text_template = current_app.jinja_env.get_template(f"email/{template}.txt")
        context = {"config": current_app.config, **context}
        subject = str(text_template.make_module(context).subject).strip()
        body_text = render_template(f"email/{template}.txt", **context)
        body_html = render_template(f"email/{template}.html", subject=subject, **context)
    email = OutboundEmail(
        to_address=to, template=template, subject=subject, body_text=body_text, body_html=body_html,
        dedupe_key=dedupe_key,
    )
    if dedupe_key:
        try:
            # A savepoint: when another process records the same key first, the unique index
            # refuses this row and only the savepoint rolls back, not the caller's transaction.
            with db.session.begin_nested():
                db.session.add(email)
        except IntegrityError:
            return None
    else:
        db.session.add(email)
        db.session.flush()
    from mwanzo.notifications.tasks import deliver_email

    jobs.enqueue(deliver_email, str(email.id))
    return email


def failed_emails(_criteria: dict | None = None):
    """Emails given up on after EMAIL_MAX_ATTEMPTS, newest first, with the last error."""
    return (select(OutboundEmail).where(OutboundEmail.status == EmailStatus.FAILED)
            .order_by(OutboundEmail.updated_at.desc(), OutboundEmail.id))


def send_again(email_id) -> bool:
    """FAILED → QUEUED with fresh attempts, and one delivery job after commit. One conditional UPDATE, so
    a double click or two operators queue it once; False when it was no longer failed."""
    result = db.session.execute(
        update(OutboundEmail).where(OutboundEmail.id == email_id, OutboundEmail.status == EmailStatus.FAILED)
        .values(status=EmailStatus.QUEUED, attempts=0, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    from mwanzo.notifications.tasks import deliver_email

    jobs.enqueue(deliver_email, str(email_id))
    return True


def build_message(email: OutboundEmail) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = email.subject
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = email.to_address
    message["Message-ID"] = make_msgid(domain="mwanzo")
    message.set_content(email.body_text)
    message.add_alternative(email.body_html, subtype="html")
    return message


def transmit(message: EmailMessage) -> None:
    config = current_app.config
    backend = config["MAIL_BACKEND"]
    if backend == "console":
        print(f"----- email to {message['To']}: {message['Subject']}\n"
              f"{message.get_body(('plain',)).get_content()}-----", file=sys.stdout, flush=True)
    elif backend == "smtp":
        with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=30) as smtp:
            if config["SMTP_STARTTLS"]:
                # A verifying context: smtplib's default accepts any certificate, so anyone on the path could read mail.
                smtp.starttls(context=ssl.create_default_context(cafile=config["SMTP_CA_FILE"]))
            if config["SMTP_USER"]:
                smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"] or "")
            smtp.send_message(message)
    elif backend == "ses":
        import boto3

        client = boto3.client("ses", region_name=config["AWS_REGION"], endpoint_url=config["SES_ENDPOINT_URL"])
        client.send_raw_email(RawMessage={"Data": message.as_bytes()})
    else:
        raise ValueError(f"unknown MAIL_BACKEND {backend!r}")


def deliver(email_id) -> EmailStatus:
    """Send one queued email. Idempotent: a sent or given-up email is left alone.

    A failure is counted and re-raised so the job runner retries; at EMAIL_MAX_ATTEMPTS the email
    is recorded FAILED and the job ends quietly.
    """
    email = db.session.get(OutboundEmail, email_id, with_for_update=True)
    if email is None or email.status != EmailStatus.QUEUED:
        return email.status if email else EmailStatus.FAILED
    email.attempts += 1
    try:
        transmit(build_message(email))
    except Exception as exc:
        email.last_error = f"{exc.__class__.__name__}: {exc}"[:2000]
        if email.attempts >= current_app.config["EMAIL_MAX_ATTEMPTS"]:
            email.status = EmailStatus.FAILED
            db.session.commit()
            return email.status
        db.session.commit()
        raise
    email.status = EmailStatus.SENT
    email.sent_at = utcnow()
    email.last_error = None
    db.session.commit()
    return email.status


# ---------------------------------------------------------------- the person's data (privacy calls these)

def export_user_data(email: str | None) -> dict[str, list[dict]]:
    sent = db.session.scalars(select(OutboundEmail).where(OutboundEmail.to_address == email)
                              .order_by(OutboundEmail.created_at)) if email else []
    return {"outbound_emails": [{"subject": m.subject, "to": m.to_address, "date": m.created_at,
                                 "status": m.status.value} for m in sent]}


def erase_user_data(email: str | None) -> None:
    if email:
        db.session.execute(delete(OutboundEmail).where(OutboundEmail.to_address == email))
