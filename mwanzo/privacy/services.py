"""Export and erasure of one account's personal data, and the retention rules (README: Data and privacy)."""
from __future__ import annotations

import io
import json
import logging
import uuid
import zipfile
from datetime import date, datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from mwanzo import jobs
from mwanzo.auth import services as auth
from mwanzo.auth.models import Role, User
from mwanzo.careers import services as careers
from mwanzo.catalog import services as catalog
from mwanzo.certificates import services as certificates
from mwanzo.database import utcnow
from mwanzo.discussions import services as discussions
from mwanzo.extensions import db
from mwanzo.inbox import services as inbox
from mwanzo.learning import services as learning
from mwanzo.notifications import services as notifications
from mwanzo.offline import services as offline
from mwanzo.payments import services as payments
from mwanzo.privacy.models import DataRequest, RequestKind, RequestStatus
from mwanzo.quizzes import services as quizzes
from mwanzo.sms import services as sms
from mwanzo.storage import get_storage
from mwanzo.urls import absolute_url

log = logging.getLogger(__name__)

# An export still "being prepared" after this long lost its job (a worker died): the retention job fails it.
EXPORT_STALE_AFTER = timedelta(hours=1)


class PrivacyError(Exception):
    """A request this account cannot make."""


class PaymentInFlight(PrivacyError):
    """A payment is still being settled; erasing now could lose money in flight."""


class NotALearnerAccount(PrivacyError):
    """Instructors, employers and admins are erased by support (their courses and jobs are others' records)."""


# ---------------------------------------------------------------- export

def request_export(user: User) -> DataRequest:
    request = DataRequest(user_id=user.id, kind=RequestKind.EXPORT)
    db.session.add(request)
    db.session.flush()
    from mwanzo.privacy.tasks import build_export

    jobs.enqueue(build_export, str(request.id))
    return request


def archive_key(request: DataRequest) -> str:
    return f"exports/{request.user_id}/{request.id}.zip"


def personal_data(user: User) -> dict[str, list[dict]]:
    """Everything the app holds about the person, one list per table, each domain writing its own part."""
    data: dict[str, list[dict]] = {}
    for part in (auth.export_user_data(user), learning.export_user_data(user), quizzes.export_user_data(user),
                 certificates.export_user_data(user), catalog.export_user_data(user),
                 careers.export_user_data(user), discussions.export_user_data(user), inbox.export_user_data(user),
                 payments.export_user_data(user), offline.export_user_data(user),
                 notifications.export_user_data(user.email),
                 sms.export_user_data(user.phone), export_user_data(user)):
        data |= part
    return data


def export_user_data(user: User) -> dict[str, list[dict]]:
    """Privacy's own part: the person's earlier download and deletion requests."""
    return {"data_requests": [{"kind": r.kind.value, "status": r.status.value, "date": r.created_at}
                              for r in db.session.scalars(select(DataRequest).where(DataRequest.user_id == user.id)
                                                          .order_by(DataRequest.created_at))]}


def as_json(value):
    """Dates as ISO 8601, amounts and ids as text."""
    return value.isoformat() if isinstance(value, (datetime, date)) else str(value)


def build_archive(user: User) -> bytes:
    """A zip: data.json and each certificate's PDF."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(personal_data(user), ensure_ascii=False, indent=2, default=as_json))
        for certificate in certificates.certificates_of(user.id):
            if certificate.revoked_at is None:
                pdf = certificates.certificate_pdf(certificate, absolute_url(
                    "certificates.certificate_detail", code=certificate.verification_code))
                archive.writestr(f"certificates/{certificate.verification_code}.pdf", pdf)
    return buffer.getvalue()


def _link_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="mwanzo-data-export")


def download_token(request: DataRequest) -> str:
    return _link_serializer().dumps(str(request.id))


def request_for_token(token: str) -> DataRequest | None:
    """The export a link names, while the link lives (EXPORT_LINK_HOURS) and the archive exists."""
    try:
        request_id = _link_serializer().loads(token, max_age=current_app.config["EXPORT_LINK_HOURS"] * 3600)
    except (SignatureExpired, BadSignature):
        return None
    request = db.session.get(DataRequest, uuid.UUID(request_id))
    if request is None or request.status != RequestStatus.DONE or request.archive_key is None:
        return None
    return request


def complete_export(request_id: uuid.UUID) -> None:
    """The job: build and store the archive once, then email and text the link. Idempotent: a request
    already DONE or FAILED is left alone. A failure (storage unwritable, a certificate that will not render)
    marks the request FAILED with the reason for operators; the learner's page says so and offers another try."""
    request = db.session.get(DataRequest, request_id)
    if request is None or request.status != RequestStatus.PENDING:
        return
    try:
        user = db.session.get(User, request.user_id)
        key = archive_key(request)
        get_storage().save(key, io.BytesIO(build_archive(user)), "application/zip")
    except Exception as exc:  # whatever broke, the request must not stay "being prepared" forever
        log.exception("data export %s failed", request_id)
        db.session.rollback()
        fail_export(db.session.get(DataRequest, request_id), f"{type(exc).__name__}: {exc}")
        db.session.commit()
        return
    request.archive_key, request.status, request.completed_at = key, RequestStatus.DONE, utcnow()
    link = absolute_url("privacy.export_download", token=download_token(request))
    hours = current_app.config["EXPORT_LINK_HOURS"]
    notifications.send_email(user.email, "data_export_ready", locale=user.locale, user=user, link=link, hours=hours)
    if user.phone and user.is_phone_verified:
        sms.send_sms(user.phone, "data_export_ready", locale=user.locale, hours=hours)
    db.session.commit()


def fail_export(request: DataRequest, reason: str) -> None:
    request.status, request.error, request.completed_at = RequestStatus.FAILED, reason[:2000], utcnow()


# ---------------------------------------------------------------- erasure

def erase_account(user: User, keep_certificates: bool) -> DataRequest:
    """Erase or anonymise the person's data in one transaction, each domain erasing its own part (README:
    Data and privacy says what stays and why): job applications before the certificates they showed, the
    messages by the email and phone before the account forgets them, the account itself last."""
    if user.role != Role.STUDENT:
        raise NotALearnerAccount()
    if payments.has_payment_being_settled(user):
        raise PaymentInFlight()
    email, phone = user.email, user.phone
    careers.erase_user_data(user)
    discussions.erase_user_data(user)
    catalog.erase_user_data(user)
    inbox.erase_user_data(user)
    payments.erase_user_data(user)
    quizzes.erase_user_data(user)
    offline.erase_user_data(user)
    learning.erase_user_data(user)
    certificates.erase_user_data(user, keep_certificates)
    notifications.erase_user_data(email)
    sms.erase_user_data(phone)
    erase_user_data(user)
    auth.erase_user_data(user)
    request = DataRequest(user_id=user.id, kind=RequestKind.ERASURE, status=RequestStatus.DONE,
                          keep_certificates=keep_certificates, completed_at=utcnow())
    db.session.add(request)
    db.session.flush()
    return request


def erase_user_data(user: User) -> None:
    """Privacy's own part: download archives go; the requests stay, as proof they were met."""
    for export in db.session.scalars(select(DataRequest).where(DataRequest.user_id == user.id,
                                                               DataRequest.archive_key.is_not(None))):
        get_storage().delete_prefix(export.archive_key)
        export.archive_key = None


# ---------------------------------------------------------------- retention

def apply_retention(now=None) -> dict[str, int]:
    """Remove what is kept no longer than README states, each domain removing its own: unverified accounts
    that never did anything, used or expired codes, raw SMS delivery reports, raw M-Pesa callbacks of
    settled payments, and export archives whose link has lapsed; and fail exports whose job never finished,
    so the learner can ask again."""
    config = current_app.config
    now = now or utcnow()
    days = timedelta(days=1)
    in_use = learning.enrolled_ids().union(payments.payer_ids(), select(DataRequest.user_id))
    accounts = auth.delete_unused_accounts(now - config["UNVERIFIED_ACCOUNT_DAYS"] * days, in_use)
    codes = auth.delete_old_codes(now - config["OTP_RETENTION_DAYS"] * days)
    reports = sms.clear_report_bodies(now - config["SMS_REPORT_RETENTION_DAYS"] * days)
    callbacks = payments.clear_settled_callbacks(now - config["CALLBACK_RETENTION_DAYS"] * days)
    lapsed = list(db.session.scalars(select(DataRequest).where(
        DataRequest.archive_key.is_not(None),
        DataRequest.completed_at < now - timedelta(hours=config["EXPORT_LINK_HOURS"]))))
    for export in lapsed:
        get_storage().delete_prefix(export.archive_key)
        export.archive_key = None
    stale_exports = list(db.session.scalars(select(DataRequest).where(
        DataRequest.kind == RequestKind.EXPORT, DataRequest.status == RequestStatus.PENDING,
        DataRequest.created_at < now - EXPORT_STALE_AFTER)))
    for export in stale_exports:
        fail_export(export, "no worker finished it in time")
    return {"accounts": accounts, "codes": codes, "sms_reports": reports, "payment_callbacks": callbacks,
            "exports": len(lapsed), "stale_exports": len(stale_exports)}


def data_requests(limit: int = 200) -> list[tuple[DataRequest, User]]:
    return list(db.session.execute(select(DataRequest, User).join(User, User.id == DataRequest.user_id)
                                   .order_by(DataRequest.created_at.desc()).limit(limit)).all())
