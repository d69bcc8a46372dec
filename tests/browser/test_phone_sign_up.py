"""Signing up with only a phone number, on a 360 px phone set to Kiswahili, with JavaScript off."""
import re

import pytest
from sqlalchemy import select

from mwanzo.auth.models import User
from mwanzo.extensions import db
from mwanzo.sms.models import OutboundSms

pytestmark = pytest.mark.browser


def test_a_learner_signs_up_by_phone_in_kiswahili_without_javascript(new_page):
    page = new_page(javascript=False, locale="sw-KE")
    page.goto("/login")
    page.get_by_role("link", name="Ingia kwa nambari ya SMS").click()
    page.get_by_label("Nambari ya simu").fill("0712 345 678")
    page.get_by_role("button", name="Nitumie nambari kwa SMS").click()
    page.get_by_role("heading", name="Weka nambari yako").wait_for()

    db.session.expire_all()
    sms = db.session.scalar(select(OutboundSms).where(OutboundSms.to_phone == "254712345678"))
    assert "nambari yako ya kuingia" in sms.body  # texted in the learner's language
    code = re.search(r"\b(\d{6})\b", sms.body).group(1)
    page.get_by_label("Nambari ya tarakimu 6").fill(code)
    page.get_by_role("button", name="Endelea").click()

    page.get_by_text("+254712345678 imethibitishwa").wait_for()
    page.get_by_label("Jina kamili").fill("Amani Mwakilema")
    assert page.get_by_role("link", name="Ilani ya faragha").first.is_visible()
    page.get_by_label("Nimesoma na ninakubali").check()
    page.get_by_role("button", name="Fungua akaunti").click()
    page.get_by_text("Karibu Mwanzo! Akaunti yako iko tayari.").wait_for()
    page.goto("/profile")
    assert page.get_by_label("Jina kamili").input_value() == "Amani Mwakilema"

    user = db.session.scalar(select(User).where(User.phone == "254712345678"))
    assert (user.email, user.is_phone_verified, user.locale) == (None, True, "sw")
    assert page.viewport_size == {"width": 360, "height": 740}
