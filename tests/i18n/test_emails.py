"""Every email renders, with both parts, in English and in Swahili."""
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

from mwanzo.inbox.models import NotificationKind
from mwanzo.inbox.services import message
from mwanzo.notifications import services
from mwanzo.notifications.models import OutboundEmail

EMAIL_DIR = Path(__file__).resolve().parents[2] / "mwanzo" / "templates" / "email"
TEMPLATES = sorted(p.stem for p in EMAIL_DIR.glob("*.txt"))

SAMPLE = {
    "user": SimpleNamespace(name="Akinyi Odhiambo", email="akinyi@example.com"),
    "course": SimpleNamespace(title="Excel for Small Business", slug="excel"),
    "certificate": SimpleNamespace(verification_code="MWZ-7K3Q-9XPA", course_title="Excel for Small Business"),
    "job": SimpleNamespace(title="Data clerk"),
    "status_label": "SHORTLISTED",
    "courses": [SimpleNamespace(title="Excel for Small Business", progress_percent=40, lessons_this_week=3,
                                url="http://localhost/learn/excel")],
    "payment": SimpleNamespace(amount=1500, mpesa_receipt="QGH7XY12AB", phone_number="254712345678",
                               external_reference="MWZ-PAY-1", settled_at=None, created_at=date(2026, 3, 1)),
    "notification": SimpleNamespace(kind=NotificationKind.ANSWER, params={"name": "Amina", "question": "SUM?"},
                                    link="/learn/excel/questions"),
    "notifications": [SimpleNamespace(kind=NotificationKind.ANNOUNCEMENT, link="/learn/excel/questions",
                                      params={"course": "Excel for Small Business", "title": "Live class"})],
    "message": message, "absolute": lambda link: f"http://localhost{link}", "link": "http://localhost/learn/excel",
    "inbox_url": "http://localhost/notifications",
    **{name: f"http://localhost/{name}" for name in ("verify_url", "reset_url", "learn_url", "certificate_url",
                                                     "unsubscribe_url", "applications_url", "profile_url",
                                                     "receipt_url")},
}


def test_every_email_template_has_both_parts():
    for name in TEMPLATES:
        assert (EMAIL_DIR / f"{name}.html").exists(), name


@pytest.mark.parametrize("template", TEMPLATES)
def test_email_renders_in_english_and_swahili(app, template):
    with app.test_request_context():
        english = services.send_email("a@example.com", template, locale="en", **SAMPLE)
        swahili = services.send_email("a@example.com", template, locale="sw", **SAMPLE)
    assert isinstance(english, OutboundEmail) and isinstance(swahili, OutboundEmail)
    assert english.subject and swahili.subject and english.subject != swahili.subject
    assert english.body_text.strip() != swahili.body_text.strip()
    assert "Akinyi" in swahili.body_text and "<html" in swahili.body_html
    assert "Mwanzo Skills Campus" in swahili.body_html
