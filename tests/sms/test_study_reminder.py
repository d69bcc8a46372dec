"""The weekly study reminder: opted-in idle learners get one text a week, in their language, by the real job."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from mwanzo import jobs
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.learning.models import EnrollmentStatus
from mwanzo.sms import gsm
from mwanzo.sms.models import OutboundSms

IDLE = timedelta(days=8)


@pytest.fixture
def daytime(settings):
    settings(STUDY_REMINDER_HOURS_UTC=(0, 23))


def learner(make, phone, locale="en", opted_in=True, idle=IDLE, status=None, title="Excel for business"):
    user = make.user(name="Amani Mwakilema", phone=phone, is_phone_verified=True, locale=locale,
                     sms_study_reminder=opted_in)
    make.enrollment(user, make.course(title=title), status=status, last_activity_at=utcnow() - idle,
                    progress_percent=40)
    return user


def run_job() -> int:
    return jobs.run_task("mwanzo.learning.tasks.send_study_reminders")


def test_idle_learners_who_opted_in_get_one_text_a_week_in_their_language(africastalking, daytime, make):
    learner(make, "254711000001", locale="sw")
    learner(make, "254711000002", locale="en")
    learner(make, "254711000003", opted_in=False)
    learner(make, "254711000004", idle=timedelta(days=2))  # studied lately
    learner(make, "254711000005", status=EnrollmentStatus.COMPLETED)  # nothing unfinished

    assert run_job() == 2
    sent = {m["to"]: m["message"] for m in africastalking.sent()}
    assert set(sent) == {"+254711000001", "+254711000002"}
    assert "Excel for business" in sent["+254711000001"] and "inakusubiri" in sent["+254711000001"]
    assert "Kuacha ujumbe huu" in sent["+254711000001"] and "/profile" in sent["+254711000001"]
    assert "is waiting for you" in sent["+254711000002"] and "Stop these texts" in sent["+254711000002"]
    for message in sent.values():
        assert gsm.measure(message).parts == 1

    assert run_job() == 0  # the same ISO week: nothing more
    assert len(africastalking.sent()) == 2
    assert db.session.scalar(select(func.count()).select_from(OutboundSms)) == 2


def test_a_long_course_title_is_left_out_to_keep_one_text(africastalking, daytime, make):
    learner(make, "254711000006", title="Advanced bookkeeping and tax returns for small businesses in Kenya")
    assert run_job() == 1
    [sent] = africastalking.sent()
    assert "your course is waiting" in sent["message"] and gsm.measure(sent["message"]).parts == 1


def test_no_texts_at_night(africastalking, settings, make):
    settings(STUDY_REMINDER_HOURS_UTC=(utcnow().hour + 1, utcnow().hour + 1))
    learner(make, "254711000007")
    assert run_job() == 0 and africastalking.sent() == []


def test_the_opt_in_is_on_the_profile(client, login, make):
    user = make.user(phone="254711000008", is_phone_verified=True)
    login(user)
    assert "Text me a reminder" in client.get("/profile").get_data(as_text=True)
    response = client.post("/profile", data={"name": user.name, "phone": "0711000008", "locale": "en",
                                             "sms_study_reminder": "y"})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.sms_study_reminder is True
