"""The inbox: the header badge (one indexed query), the list, marking read, per-kind email choices and the
daily digest in the learner's language."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.inbox import services, tasks
from mwanzo.inbox.models import NotificationKind
from mwanzo.notifications.models import OutboundEmail
from tests.queries import count_queries


def emails_to(user):
    return list(db.session.scalars(select(OutboundEmail).where(OutboundEmail.to_address == user.email)
                                   .order_by(OutboundEmail.created_at)))


def answer_note(user, question="How do I sum?"):
    row = services.notify(user.id, NotificationKind.ANSWER, "/learn/x/questions", name="Amina", question=question)
    db.session.commit()
    return row


def test_header_badge_shows_the_unread_count_and_costs_one_query(client, login, make):
    learner = login(make.user())
    for n in range(3):
        answer_note(learner, f"Question {n}")
    page = client.get("/courses").get_data(as_text=True)
    assert '<span class="badge" aria-label="3 unread">3</span>' in page
    learner_id = learner.id
    with count_queries() as statements:
        assert services.unread_count(learner_id) == 3
    assert len(statements) == 1 and "read_at IS NULL" in statements[0]


@pytest.mark.postgres
def test_unread_count_uses_the_index_on_postgresql(make, postgres):
    learner = make.user()
    answer_note(learner)
    db.session.execute(db.text("SET enable_seqscan = off"))
    plan = " ".join(row[0] for row in db.session.execute(db.text(
        "EXPLAIN SELECT count(*) FROM notifications WHERE user_id = :u AND read_at IS NULL"), {"u": learner.id}))
    assert "Seq Scan" not in plan and "ix_notifications_user_" in plan  # an index on user_id answers it


def test_opening_a_notification_marks_it_read_and_goes_to_it(client, login, make):
    learner = login(make.user())
    note = answer_note(learner)
    page = client.get("/notifications").get_data(as_text=True)
    assert "Amina answered your question “How do I sum?”" in page
    response = client.post(f"/notifications/{note.id}/open")
    assert response.status_code == 302 and response.headers["Location"] == "/learn/x/questions"
    assert services.unread_count(learner.id) == 0
    assert 'class="badge"' not in client.get("/courses").get_data(as_text=True)


def test_someone_elses_notification_is_not_found(client, login, make):
    owner = make.user()
    note = answer_note(owner)
    login(make.user())
    assert client.post(f"/notifications/{note.id}/open").status_code == 404
    assert services.unread_count(owner.id) == 1


def test_mark_all_read(client, login, make):
    learner = login(make.user())
    answer_note(learner, "one"), answer_note(learner, "two")
    client.post("/notifications/read")
    assert services.unread_count(learner.id) == 0


def test_the_inbox_in_swahili(client, login, make):
    learner = login(make.user(locale="sw"))
    answer_note(learner)
    page = client.get("/notifications").get_data(as_text=True)
    assert "Amina amejibu swali lako “How do I sum?”" in page and "Weka zote kuwa zimesomwa" in page


def test_each_notification_is_emailed_once_in_the_users_language(make):
    learner = make.user(locale="sw")
    note = answer_note(learner)
    [email] = emails_to(learner)
    assert email.subject == "Amina amejibu swali lako “How do I sum?”"
    assert "http://localhost/learn/x/questions" in email.body_text
    # A rerun of the job sends nothing more.
    tasks.email_notification(str(note.id))
    assert len(emails_to(learner)) == 1


def test_a_muted_kind_is_not_emailed_but_still_listed(client, login, make):
    learner = login(make.user())
    form = client.get("/notifications/settings").get_data(as_text=True)
    # A learner's kinds (answers, acceptances, announcements, payments, applications, employers' messages)
    # all on, the digest off.
    assert form.count('type="checkbox"') == 7 and form.count("checked") == 6
    client.post("/notifications/settings", data={"emailed": ["ACCEPTED", "ANNOUNCEMENT"]})
    answer_note(learner)
    assert emails_to(learner) == [] and services.unread_count(learner.id) == 1
    again = client.get("/notifications/settings").get_data(as_text=True)
    assert again.count("checked") == 2  # what was last chosen


def test_the_daily_digest_sends_one_email_in_swahili_instead_of_single_ones(client, login, make):
    learner = login(make.user(locale="sw", name="Akinyi Odhiambo"))
    client.post("/notifications/settings", data={"emailed": ["ANSWER", "ANNOUNCEMENT"], "daily_digest": "y"})
    answer_note(learner, "Swali la kwanza")
    services.notify(learner.id, NotificationKind.ANNOUNCEMENT, "/learn/x/questions", course="Excel", title="Darasa")
    services.notify(learner.id, NotificationKind.ACCEPTED, "/learn/x/questions", question="muted kind")
    db.session.commit()
    assert emails_to(learner) == []
    assert tasks.send_daily_digests() == 1
    [email] = emails_to(learner)
    assert email.subject == "Siku yako Mwanzo: arifa mpya 2"
    assert "Habari Akinyi Odhiambo" in email.body_text or "Akinyi Odhiambo" in email.body_text
    assert "Haya ndiyo yaliyotokea tangu jana:" in email.body_text
    assert "Amina amejibu swali lako “Swali la kwanza”" in email.body_text
    assert "Tangazo katika Excel: Darasa" in email.body_text and "muted kind" not in email.body_text
    # Run again the same day: nothing new is sent.
    assert tasks.send_daily_digests() == 0
    assert len(emails_to(learner)) == 1


def test_the_digest_leaves_out_what_was_read_or_is_older_than_a_day(make):
    learner = make.user()
    services.save_settings(learner.id, ["ANSWER"], True)
    old = answer_note(learner, "old")
    old.created_at = utcnow() - timedelta(days=2)
    read = answer_note(learner, "read")
    services.mark_read(learner.id, read.id)
    db.session.commit()
    assert tasks.send_daily_digests() == 0 and emails_to(learner) == []


def test_notification_settings_need_csrf(client, login, make, csrf_enabled):
    login(make.user())
    assert client.post("/notifications/settings", data={"emailed": []}).status_code == 400
