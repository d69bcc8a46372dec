"""Certificates: issued once per completed enrolment, verifiable by anyone with the code."""
from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from mwanzo.audit import record
from mwanzo.auth.models import User
from mwanzo.certificates.models import Certificate
from mwanzo.courses.models import Course
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.storage import get_storage

# No 0/O, 1/I/L: a code read aloud over the phone is typed right the first time.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_verification_code() -> str:
    """MWZ-XXXX-XXXX: 8 random symbols from 31, about 8.5 × 10^11 codes."""
    symbols = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"MWZ-{symbols[:4]}-{symbols[4:]}"


def normalise_code(raw: str) -> str:
    compact = "".join(ch for ch in (raw or "").upper() if ch.isalnum())
    if compact.startswith("MWZ"):
        compact = compact[3:]
    return f"MWZ-{compact[:4]}-{compact[4:]}" if len(compact) == 8 else (raw or "").strip().upper()


def certificate_for_enrollment(enrollment_id) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.enrollment_id == enrollment_id))


def live_certificate(student_id, course_id) -> Certificate | None:
    """The learner's certificate for a course, unless it was revoked."""
    return db.session.scalar(select(Certificate).where(Certificate.student_id == student_id,
                                                       Certificate.course_id == course_id,
                                                       Certificate.revoked_at.is_(None)))


def issue_certificate(enrollment_id: uuid.UUID, student_id: uuid.UUID, course_id: uuid.UUID,
                      completed_at: datetime | None) -> Certificate:
    """Issue the certificate of a completed enrolment (learning calls this on completion, in the same
    transaction), or return the one it already has (also under a race: the unique enrollment_id decides)."""
    existing = certificate_for_enrollment(enrollment_id)
    if existing is not None:
        return existing
    student = db.session.get(User, student_id)
    course = db.session.get(Course, course_id)
    instructor = db.session.get(User, course.instructor_id)
    completed_at = completed_at or utcnow()
    certificate = Certificate(
        enrollment_id=enrollment_id, student_id=student.id, course_id=course.id,
        verification_code=new_verification_code(), learner_name=student.name, course_title=course.title,
        instructor_name=instructor.name, completed_on=completed_at.date(),
        content_hours=(Decimal(course.duration_minutes) / 60).quantize(Decimal("0.1")), issued_at=utcnow(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(certificate)
    except IntegrityError:
        return certificate_for_enrollment(enrollment_id)
    return certificate


def find_by_code(raw_code: str) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.verification_code == normalise_code(raw_code)))


class CertificateError(Exception):
    """Base of the refusals of certificate actions."""


class AlreadyRevoked(CertificateError):
    """The certificate was revoked before."""


def certificates_of(student_id) -> list[Certificate]:
    return list(db.session.scalars(
        select(Certificate).where(Certificate.student_id == student_id).order_by(Certificate.issued_at.desc())
    ))


def revoke_certificate(certificate: Certificate, admin: User, reason: str) -> Certificate:
    """Revoked for good: the verification page says so from now on. Recorded in the audit log."""

    if certificate.revoked_at is not None:
        raise AlreadyRevoked()
    certificate.revoked_at = utcnow()
    certificate.revoke_reason = reason
    certificate.revoked_by_id = admin.id
    record(admin, "certificate.revoke", certificate, code=certificate.verification_code, reason=reason)
    db.session.flush()
    return certificate


def pdf_key(certificate: Certificate) -> str:
    return f"certificates/{certificate.verification_code}.pdf"


def certificate_pdf(certificate: Certificate, verify_url: str) -> bytes:
    """The PDF, made once and kept in storage (what it states never changes after issue)."""
    import io

    storage = get_storage()
    key = pdf_key(certificate)
    if storage.exists(key):
        with storage.open(key) as handle:
            return handle.read()
    data = render_pdf(certificate, verify_url)
    storage.save(key, io.BytesIO(data), "application/pdf")
    return data


def render_pdf(certificate: Certificate, verify_url: str) -> bytes:
    """A4 landscape: who, what, when, the code and a QR code that opens the verification page."""
    import io

    import segno
    from flask_babel import format_date
    from flask_babel import gettext as _
    from fpdf import FPDF

    qr_png = io.BytesIO()
    segno.make(verify_url, error="m").save(qr_png, kind="png", scale=10, border=2)
    qr_png.seek(0)

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    _add_fonts(pdf)
    pdf.set_title(f"Certificate {certificate.verification_code}")
    pdf.set_author("Mwanzo Skills Campus")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_draw_color(11, 110, 79)
    pdf.set_line_width(1.5)
    pdf.rect(10, 10, 277, 190)
    pdf.set_line_width(0.4)
    pdf.rect(14, 14, 269, 182)

    def line(text: str, size: int, style: str = "", gap: float = 4, color=(29, 42, 36)) -> None:
        pdf.set_font(FONT, style, size)
        pdf.set_text_color(*color)
        pdf.cell(0, size * 0.5, text, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    pdf.set_y(30)
    line("MWANZO SKILLS CAMPUS", 14, "B", color=(11, 110, 79))
    line(_("Certificate of completion"), 30, "B", gap=10)
    line(_("This certifies that"), 13)
    line(certificate.learner_name, 26, "B", gap=6)
    line(_("has completed the course"), 13)
    line(certificate.course_title, 20, "B", gap=6)
    line(_("taught by %(name)s, with %(hours)s hours of content, on %(date)s.",
           name=certificate.instructor_name, hours=certificate.content_hours,
           date=format_date(certificate.completed_on, "long")), 12, gap=8)

    pdf.image(qr_png, x=30, y=140, w=42, h=42)
    pdf.set_xy(78, 150)
    pdf.set_font(FONT, "", 11)
    pdf.set_text_color(91, 107, 99)
    pdf.cell(0, 6, _("Verification code"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(78)
    pdf.set_font(MONO_FONT, "B", 18)
    pdf.set_text_color(29, 42, 36)
    pdf.cell(0, 9, certificate.verification_code, new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(78)
    pdf.set_font(FONT, "", 10)
    pdf.set_text_color(91, 107, 99)
    pdf.cell(0, 6, _("Scan the code or open %(url)s to check this certificate.", url=verify_url))
    return bytes(pdf.output())


FONT = "DejaVuSans"
MONO_FONT = "DejaVuSansMono"
# (family, style, file): Latin Extended, Greek, Cyrillic… so Wanjirũ, Njogũ and Zoë print as written.
FONT_FILES = (
    (FONT, "", "DejaVuSans.ttf"),
    (FONT, "B", "DejaVuSans-Bold.ttf"),
    (MONO_FONT, "B", "DejaVuSansMono-Bold.ttf"),
)


class CertificateFontMissing(RuntimeError):
    """The Unicode font certificate PDFs embed is not installed."""


def _add_fonts(pdf) -> None:
    """Embed DejaVu Sans (subset by fpdf2: only the glyphs used). It comes from the system's
    fonts-dejavu-core package; pages never use it, only PDFs do."""
    from pathlib import Path

    from flask import current_app

    folder = Path(current_app.config["CERTIFICATE_FONT_DIR"])
    for family, style, name in FONT_FILES:
        path = folder / name
        if not path.is_file():
            raise CertificateFontMissing(
                f"Certificate font {path} is missing: install Debian's fonts-dejavu-core "
                f"(apt-get install fonts-dejavu-core) or set CERTIFICATE_FONT_DIR to a folder holding {name}."
            )
        pdf.add_font(family, style, str(path))


# ---------------------------------------------------------------- the person's data (privacy calls these)

def export_user_data(user: User) -> dict[str, list[dict]]:
    return {"certificates": [{"code": c.verification_code, "course": c.course_title,
                              "name_on_certificate": c.learner_name, "completed_on": c.completed_on,
                              "issued_at": c.issued_at, "revoked": c.revoked_at is not None}
                             for c in certificates_of(user.id)]}


def erase_user_data(user: User, keep_certificates: bool) -> None:
    """Kept, a certificate still verifies with the name on it (the learner chose so); otherwise it and its
    PDF go and its code no longer verifies. Job applications that showed it are erased before this."""
    if keep_certificates:
        return
    storage = get_storage()
    issued = certificates_of(user.id)
    for certificate in issued:
        storage.delete_prefix(pdf_key(certificate))
    db.session.execute(delete(Certificate).where(Certificate.id.in_([c.id for c in issued])))
