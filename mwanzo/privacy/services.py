"""Export and erasure of one account's personal data, and the retention rules (README: Data and privacy)."""
from __future__ import annotations

import io
import json
import secrets
import uuid
import zipfile
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, select, update

from mwanzo import jobs
from mwanzo.auth.models import OneTimeCode, Role, User, new_security_stamp
from mwanzo.careers.models import ApplicationCertificate, ContactRequest, JobApplication
from mwanzo.certificates import services as certificates
from mwanzo.certificates.models import Certificate
from mwanzo.courses.models import Course, Review
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.learning.models import Enrollment, VideoProgress
from mwanzo.notifications.models import OutboundEmail
from mwanzo.notifications.services import send_email
from mwanzo.payments.models import Payment, PaymentEvent, PaymentStatus
from mwanzo.privacy.models import DataRequest, RequestKind, RequestStatus
from mwanzo.quizzes.models import QuizAttempt
from mwanzo.sms.models import OutboundSms, SmsDeliveryReport
from mwanzo.sms.services import send_sms
from mwanzo.storage import get_storage
from mwanzo.urls import absolute_url

ERASED_NAME = "Deleted account"
FINAL_PAYMENTS = (PaymentStatus.SUCCESS, PaymentStatus.FAILED, PaymentStatus.CANCELLED, PaymentStatus.EXPIRED,
                  PaymentStatus.REFUNDED, PaymentStatus.PUSH_FAILED)


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


def personal_data(user: User) -> dict:
    """Everything the app holds about the person, as plain JSON."""
    def when(value):
        return value.isoformat() if value else None

    enrolments = db.session.execute(
        select(Enrollment, Course.title).join(Course, Course.id == Enrollment.course_id)
        .where(Enrollment.student_id == user.id)).all()
    payments = db.session.execute(
        select(Payment, Course.title).join(Course, Course.id == Payment.course_id)
        .where(Payment.student_id == user.id).order_by(Payment.created_at)).all()
    return {
        "account": {
            "name": user.name, "email": user.email, "email_verified": user.is_email_verified,
            "phone": user.phone, "phone_verified": user.is_phone_verified, "role": user.role.value,
            "bio": user.bio, "language": user.locale, "created_at": when(user.created_at),
            "last_login_at": when(user.last_login_at), "consent_version": user.consent_version,
            "consented_at": when(user.consented_at),
            "preferences": {"data_saver": user.data_saver, "show_to_employers": user.show_to_employers,
                            "email_weekly_report": user.email_weekly_report},
        },
        "enrolments": [{"course": title, "status": e.status.value, "progress_percent": e.progress_percent,
                        "enrolled_at": when(e.created_at), "completed_at": when(e.completed_at)}
                       for e, title in enrolments],
        "lesson_progress": [
            {"lesson_id": str(p.lesson_id), "watched_seconds": p.watched_seconds, "position_seconds": p.position_seconds,
             "completed": p.completed, "updated_at": when(p.updated_at)}
            for p in db.session.scalars(select(VideoProgress).where(VideoProgress.student_id == user.id))],
        "quiz_attempts": [
            {"quiz_id": str(a.quiz_id), "score": None if a.score is None else str(a.score),
             "started_at": when(a.created_at)}
            for a in db.session.scalars(select(QuizAttempt).where(QuizAttempt.student_id == user.id))],
        "certificates": [
            {"code": c.verification_code, "name_on_certificate": c.learner_name, "issued_at": when(c.created_at),
             "revoked": c.revoked_at is not None} for c in certificates.certificates_of(user.id)],
        "payments": [
            {"course": title, "amount_kes": str(p.amount), "status": p.status.value, "phone": p.phone_number,
             "mpesa_receipt": p.mpesa_receipt, "date": when(p.created_at)} for p, title in payments],
        "reviews": [{"course_id": str(r.course_id), "rating": r.rating, "text": r.text, "date": when(r.created_at)}
                    for r in db.session.scalars(select(Review).where(Review.student_id == user.id))],
        "job_applications": [
            {"job_id": str(a.job_id), "note": a.note, "status": a.status.value, "date": when(a.created_at)}
            for a in db.session.scalars(select(JobApplication).where(JobApplication.applicant_id == user.id))],
        "messages_from_employers": [
            {"employer_id": str(c.employer_id), "message": c.message, "answer": c.status.value, "date": when(c.created_at)}
            for c in db.session.scalars(select(ContactRequest).where(ContactRequest.candidate_id == user.id))],
        "messages_sent_to_you": {
            "emails": [{"subject": m.subject, "date": when(m.created_at)} for m in db.session.scalars(
                select(OutboundEmail).where(OutboundEmail.to_address == user.email))] if user.email else [],
            "sms": [{"text": m.body, "date": when(m.created_at), "status": m.status.value} for m in db.session.scalars(
                select(OutboundSms).where(OutboundSms.to_phone == user.phone))] if user.phone else [],
        },
    }


def build_archive(user: User) -> bytes:
    """A zip: data.json and each certificate's PDF."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(personal_data(user), ensure_ascii=False, indent=2))
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
    """The job: build and store the archive once, then email and text the link. Idempotent."""
    request = db.session.get(DataRequest, request_id)
    if request is None or request.status != RequestStatus.PENDING:
        return
    user = db.session.get(User, request.user_id)
    key = archive_key(request)
    get_storage().save(key, io.BytesIO(build_archive(user)), "application/zip")
    request.archive_key, request.status, request.completed_at = key, RequestStatus.DONE, utcnow()
    link = absolute_url("privacy.export_download", token=download_token(request))
    hours = current_app.config["EXPORT_LINK_HOURS"]
    send_email(user.email, "data_export_ready", locale=user.locale, user=user, link=link, hours=hours)
    if user.phone and user.is_phone_verified:
        send_sms(user.phone, "data_export_ready", locale=user.locale, hours=hours)
    db.session.commit()


# ---------------------------------------------------------------- erasure

def erase_account(user: User, keep_certificates: bool) -> DataRequest:
    """Erase or anonymise the person's data in one transaction.

    Kept, because the law requires it for payments (the Tax Procedures Act keeps records five years): each
    payment's amount, date, status, course and M-Pesa receipt, on an anonymised account row. The payer's
    phone and the raw M-Pesa callbacks go. Certificates stay verifiable (with the name on them) only when
    the learner chose so; otherwise they and their PDFs are deleted and their codes no longer verify."""
    if user.role != Role.STUDENT:
        raise NotALearnerAccount()
    in_flight = db.session.scalar(select(Payment.id).where(
        Payment.student_id == user.id, Payment.status.in_((PaymentStatus.PENDING, PaymentStatus.PUSH_UNKNOWN))))
    if in_flight is not None:
        raise PaymentInFlight()
    email, phone = user.email, user.phone
    payment_ids = select(Payment.id).where(Payment.student_id == user.id).scalar_subquery()
    db.session.execute(update(PaymentEvent).where(PaymentEvent.payment_id.in_(payment_ids)).values(payload=None))
    db.session.execute(update(Payment).where(Payment.student_id == user.id).values(phone_number=""))
    if not keep_certificates:
        certificate_ids = [c.id for c in certificates.certificates_of(user.id)]
        storage = get_storage()
        for certificate in certificates.certificates_of(user.id):
            storage.delete_prefix(certificates.pdf_key(certificate))
        db.session.execute(delete(ApplicationCertificate).where(ApplicationCertificate.certificate_id.in_(certificate_ids)))
        db.session.execute(delete(Certificate).where(Certificate.id.in_(certificate_ids)))
    db.session.execute(delete(JobApplication).where(JobApplication.applicant_id == user.id))
    db.session.execute(delete(ContactRequest).where(ContactRequest.candidate_id == user.id))
    db.session.execute(delete(Review).where(Review.student_id == user.id))
    db.session.execute(delete(QuizAttempt).where(QuizAttempt.student_id == user.id))
    db.session.execute(delete(VideoProgress).where(VideoProgress.student_id == user.id))
    db.session.execute(delete(OneTimeCode).where(OneTimeCode.user_id == user.id))
    if phone:
        db.session.execute(delete(OneTimeCode).where(OneTimeCode.phone == phone))
        sent = select(OutboundSms.provider_message_id).where(OutboundSms.to_phone == phone).scalar_subquery()
        db.session.execute(delete(SmsDeliveryReport).where(SmsDeliveryReport.provider_message_id.in_(sent)))
        db.session.execute(delete(OutboundSms).where(OutboundSms.to_phone == phone))
    if email:
        db.session.execute(delete(OutboundEmail).where(OutboundEmail.to_address == email))
    exports = list(db.session.scalars(select(DataRequest).where(DataRequest.user_id == user.id,
                                                                DataRequest.archive_key.is_not(None))))
    for export in exports:
        get_storage().delete_prefix(export.archive_key)
        export.archive_key = None
    user.name, user.email, user.phone, user.bio = ERASED_NAME, None, None, None
    user.is_email_verified = user.is_phone_verified = user.show_to_employers = False
    user.email_weekly_report = False
    user.is_active, user.locale, user.last_login_at = False, None, None
    user.set_password(secrets.token_urlsafe(24))
    user.security_stamp = new_security_stamp()
    user.erased_at = utcnow()
    request = DataRequest(user_id=user.id, kind=RequestKind.ERASURE, status=RequestStatus.DONE,
                          keep_certificates=keep_certificates, completed_at=utcnow())
    db.session.add(request)
    db.session.flush()
    return request


# ---------------------------------------------------------------- retention

def apply_retention(now=None) -> dict[str, int]:
    """Remove what is kept no longer than README states: unverified accounts that never did anything,
    used or expired codes, raw SMS delivery reports, raw M-Pesa callbacks of settled payments, and export
    archives whose link has lapsed."""
    config = current_app.config
    now = now or utcnow()
    days = timedelta(days=1)
    stale_before = now - config["UNVERIFIED_ACCOUNT_DAYS"] * days
    active = select(Enrollment.student_id).union(select(Payment.student_id), select(DataRequest.user_id))
    stale = list(db.session.scalars(select(User.id).where(
        User.created_at < stale_before, User.is_email_verified.is_(False), User.is_phone_verified.is_(False),
        User.erased_at.is_(None), User.role == Role.STUDENT, User.last_login_at.is_(None), User.id.not_in(active))))
    if stale:
        db.session.execute(delete(OneTimeCode).where(OneTimeCode.user_id.in_(stale)))
        db.session.execute(delete(User).where(User.id.in_(stale)))
    codes = db.session.execute(delete(OneTimeCode).where(
        OneTimeCode.created_at < now - config["OTP_RETENTION_DAYS"] * days)).rowcount
    reports = db.session.execute(update(SmsDeliveryReport).where(
        SmsDeliveryReport.received_at < now - config["SMS_REPORT_RETENTION_DAYS"] * days,
        SmsDeliveryReport.raw.is_not(None)).values(raw=None)).rowcount
    settled = select(Payment.id).where(Payment.status.in_(FINAL_PAYMENTS), Payment.attention.is_(None))
    callbacks = db.session.execute(update(PaymentEvent).where(
        PaymentEvent.created_at < now - config["CALLBACK_RETENTION_DAYS"] * days, PaymentEvent.payload.is_not(None),
        PaymentEvent.payment_id.in_(settled)).values(payload=None)).rowcount
    lapsed = list(db.session.scalars(select(DataRequest).where(
        DataRequest.archive_key.is_not(None),
        DataRequest.completed_at < now - timedelta(hours=config["EXPORT_LINK_HOURS"]))))
    for export in lapsed:
        get_storage().delete_prefix(export.archive_key)
        export.archive_key = None
    return {"accounts": len(stale), "codes": codes, "sms_reports": reports, "payment_callbacks": callbacks,
            "exports": len(lapsed)}


def data_requests(limit: int = 200) -> list[tuple[DataRequest, User]]:
    return list(db.session.execute(select(DataRequest, User).join(User, User.id == DataRequest.user_id)
                                   .order_by(DataRequest.created_at.desc()).limit(limit)).all())
