"""An employer writes to a pool candidate who did not apply. The consent rule: the learner's email and phone
reach that employer only if the learner accepts; before that, and after a decline, no page or CSV of the
employer's shows them. Learners may switch employer messages off."""
import pytest
from sqlalchemy import func, select

from mwanzo.auth.models import Role, User
from mwanzo.careers import contacts
from mwanzo.careers import services as careers
from mwanzo.careers.models import ContactRequest, ContactStatus
from mwanzo.extensions import db
from mwanzo.inbox.models import Notification, NotificationKind
from tests.concurrency import run_together
from tests.emails import emails_to
from tests.queries import count_queries
from tests.web.test_stored_markup import PAYLOAD, assert_inert

EMAIL, PHONE, SHOWN_PHONE = "njeri.wambui@example.com", "254722334455", "0722 334 455"
MESSAGE = "Habari Njeri, we are hiring a bookkeeper in Nakuru and liked your Excel certificate."


@pytest.fixture
def people(make):
    employer = make.user(role=Role.EMPLOYER, name="Hiring Hawa")
    careers.save_profile(employer, "Nakuru Grains Ltd", None, None, None)
    learner = make.user(name="Njeri Wambui", email=EMAIL, phone=PHONE, show_to_employers=True)
    make.certificate(learner, make.course(title="Excel for business"))
    job = make.job(employer, title="Storekeeper")
    careers.apply(job, make.user(name="Other Applicant", show_to_employers=True), "Hi", [])  # someone else applied
    db.session.commit()
    return employer, learner, job


def employer_pages(client, job, learner) -> str:
    """Every page and file of the employer's that could carry a learner's details."""
    urls = ["/employer/candidates", f"/employer/candidates/{learner.id}/contact", "/employer/contacts",
            "/employer/jobs", f"/employer/jobs/{job.id}/applicants", f"/employer/jobs/{job.id}/applicants.csv",
            f"/jobs/{job.id}", "/notifications", "/jobs"]
    bodies = []
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        bodies.append(response.get_data(as_text=True))
    return "\n".join(bodies)


def shows_details(text: str) -> bool:
    return any(part in text for part in (EMAIL, PHONE, SHOWN_PHONE, "722334455", "334 455"))


def send(client, learner, message=MESSAGE):
    return client.post(f"/employer/candidates/{learner.id}/contact", data={"message": message})


def test_the_learner_accepts_and_only_then_the_employer_sees_their_details(client, login, people):
    employer, learner, job = people
    login(employer)
    pool = client.get("/employer/candidates").get_data(as_text=True)
    assert f"/employer/candidates/{learner.id}/contact" in pool and not shows_details(pool)
    response = send(client, learner)
    assert response.status_code == 303 and response.headers["Location"].endswith("/employer/contacts")
    assert not shows_details(employer_pages(client, job, learner))
    assert "Waiting for an answer" in client.get("/employer/contacts").get_data(as_text=True)

    # The learner: a notification in the inbox (and its email), leading to the message and its two buttons.
    login(learner)
    inbox = client.get("/notifications").get_data(as_text=True)
    assert "Nakuru Grains Ltd sent you a message" in inbox
    assert [e.template for e in emails_to(EMAIL)] == ["notification"]
    link = db.session.scalar(select(Notification.link).where(Notification.user_id == learner.id))
    page = client.get(link).get_data(as_text=True)
    assert MESSAGE in page and "Accept and share my contact details" in page and "Decline" in page
    contact = db.session.scalar(select(ContactRequest))
    assert client.post(f"/contact-requests/{contact.id}/answer", data={"answer": "accept"}).status_code == 303
    assert client.post(f"/contact-requests/{contact.id}/answer", data={"answer": "decline"}).status_code == 409

    login(employer)
    db.session.expire_all()
    assert db.session.get(ContactRequest, contact.id).status == ContactStatus.ACCEPTED
    sent = client.get("/employer/contacts").get_data(as_text=True)
    assert EMAIL in sent and SHOWN_PHONE in sent
    assert EMAIL in client.get("/employer/candidates").get_data(as_text=True)
    assert "Njeri Wambui accepted your message" in client.get("/notifications").get_data(as_text=True)
    # Accepting a message is not applying: the applicants list and its CSV still hold only applicants.
    for url in (f"/employer/jobs/{job.id}/applicants", f"/employer/jobs/{job.id}/applicants.csv"):
        assert not shows_details(client.get(url).get_data(as_text=True)), url


def test_a_declined_message_reveals_nothing_and_cannot_be_sent_again(client, login, people, make):
    employer, learner, job = people
    login(employer)
    send(client, learner)
    contact = db.session.scalar(select(ContactRequest))
    login(learner)
    assert client.post(f"/contact-requests/{contact.id}/answer", data={"answer": "decline"}).status_code == 303
    login(employer)
    pages = employer_pages(client, job, learner)
    assert not shows_details(pages)
    assert "Declined" in client.get("/employer/contacts").get_data(as_text=True)
    assert "Njeri Wambui declined your message" in client.get("/notifications").get_data(as_text=True)
    assert send(client, learner, MESSAGE + " Please reconsider.").status_code == 409
    assert db.session.scalar(select(func.count()).select_from(ContactRequest)) == 1
    # Another employer's acceptance elsewhere opens nothing to this one.
    other = make.user(role=Role.EMPLOYER)
    db.session.add(ContactRequest(employer_id=other.id, candidate_id=learner.id, message=MESSAGE,
                                  status=ContactStatus.ACCEPTED))
    db.session.commit()
    assert not shows_details(employer_pages(client, job, learner))


def test_only_the_learner_written_to_answers(client, login, people, make):
    employer, learner, _job = people
    login(employer)
    send(client, learner)
    contact = db.session.scalar(select(ContactRequest))
    for someone in (make.user(), make.user(role=Role.ADMIN)):
        login(someone)
        assert client.post(f"/contact-requests/{contact.id}/answer", data={"answer": "accept"}).status_code == 404
        assert MESSAGE not in client.get("/contact-requests").get_data(as_text=True)
    login(employer)
    assert client.post(f"/contact-requests/{contact.id}/answer", data={"answer": "accept"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(ContactRequest, contact.id).status == ContactStatus.PENDING


def test_learners_outside_the_pool_or_who_opted_out_cannot_be_written_to(client, login, people, make):
    employer, learner, _job = people
    hidden = make.user(show_to_employers=False)
    login(learner)
    # The profile form sent with the pool box ticked and the messages box not.
    client.post("/profile", data={"name": learner.name, "phone": "0722334455", "locale": "en", "show_to_employers": "y"})
    db.session.expire_all()
    assert learner.accepts_employer_messages is False and learner.show_to_employers is True
    login(employer)
    assert client.get(f"/employer/candidates/{hidden.id}/contact").status_code == 404
    assert send(client, hidden).status_code == 404
    assert f"/employer/candidates/{learner.id}/contact" not in client.get("/employer/candidates").get_data(as_text=True)
    page = client.get(f"/employer/candidates/{learner.id}/contact").get_data(as_text=True)
    assert "does not take messages from employers" in page and "<textarea" not in page
    assert send(client, learner).status_code == 409
    assert db.session.scalar(select(ContactRequest)) is None
    assert db.session.scalar(select(Notification).where(Notification.kind == NotificationKind.CONTACT_REQUEST)) is None


def test_messages_are_length_and_rate_limited(client, login, people, make, settings):
    employer, learner, _job = people
    settings(CONTACT_RATE_LIMIT="2 per day")
    login(employer)
    assert send(client, learner, "Hi").status_code == 422
    assert send(client, learner, "x" * 1001).status_code == 422
    assert db.session.scalar(select(ContactRequest)) is None
    others = [make.user(show_to_employers=True) for _ in range(3)]
    # The refused forms above did not count: two messages go, the third is refused.
    assert [send(client, person).status_code for person in [learner, *others[:2]]] == [303, 303, 429]
    assert db.session.scalar(select(func.count()).select_from(ContactRequest)) == 2


def test_the_contact_form_needs_its_csrf_token(client, login, people, csrf_enabled):
    employer, learner, _job = people
    login(employer)
    assert send(client, learner).status_code == 400
    assert db.session.scalar(select(ContactRequest)) is None


def test_a_learner_in_swahili_reads_the_notification_in_swahili(client, login, people):
    employer, learner, _job = people
    login(employer)
    send(client, learner)
    learner.locale = "sw"
    db.session.commit()
    login(learner)
    inbox = client.get("/notifications").get_data(as_text=True)
    assert "Nakuru Grains Ltd" in inbox and "sent you a message" not in inbox


def test_markup_in_names_messages_and_company_details_is_inert(client, login, make):
    employer = make.user(role=Role.EMPLOYER)
    careers.save_profile(employer, PAYLOAD, None, None, None)
    careers.request_verification(careers.get_profile(employer.id), "PVT-1", PAYLOAD)
    learner = make.user(name=PAYLOAD, show_to_employers=True)
    job = make.job(employer, title=PAYLOAD)
    db.session.commit()
    login(employer)
    assert send(client, learner, PAYLOAD).status_code == 303
    for url in ("/employer/candidates", f"/employer/candidates/{learner.id}/contact", "/employer/contacts",
                "/employer/verification", f"/employer/jobs/{job.id}/delete"):
        assert_inert(client.get(url))
    login(learner)
    for url in ("/contact-requests", "/notifications"):
        assert_inert(client.get(url))
    login(make.user(role=Role.ADMIN))
    for url in ("/admin/employers", f"/admin/employers/{employer.id}/verify", f"/admin/employers/{employer.id}/reject"):
        assert_inert(client.get(url))


def test_the_learners_data_export_holds_the_messages_and_erasure_deletes_them(client, login, people):
    from mwanzo.privacy import services as privacy

    employer, learner, _job = people
    login(employer)
    send(client, learner)
    assert privacy.personal_data(learner)["contact_requests"][0]["message"] == MESSAGE
    privacy.erase_account(learner, keep_certificates=False)
    db.session.commit()
    assert db.session.scalar(select(ContactRequest)) is None
    assert not shows_details(client.get("/employer/contacts").get_data(as_text=True))


def test_the_message_lists_load_in_a_fixed_number_of_queries(client, login, people, make):
    employer, learner, _job = people

    def counts() -> tuple[int, int]:
        login(employer)
        with count_queries() as sent:
            assert client.get("/employer/contacts").status_code == 200
        login(learner)
        with count_queries() as received:
            assert client.get("/contact-requests").status_code == 200
        return len(sent), len(received)

    login(employer)
    send(client, learner)
    one = counts()
    for _ in range(5):
        other_employer = make.user(role=Role.EMPLOYER)
        careers.save_profile(other_employer, "Another Ltd", None, None, None)
        db.session.commit()
        login(other_employer)
        send(client, learner)
        login(employer)
        send(client, make.user(show_to_employers=True))
    assert counts() == one


@pytest.mark.postgres
def test_a_message_sent_twice_at_once_and_answered_twice_at_once_counts_once(postgres, app, people):
    employer_id, learner_id = people[0].id, people[1].id  # read here: the threads have sessions of their own
    told: list[str] = []

    def send_at_once(barrier):
        employer_row, candidate = db.session.get(User, employer_id), db.session.get(User, learner_id)
        barrier.wait()
        try:
            contacts.send_request(employer_row, candidate, MESSAGE)
            db.session.commit()
            told.append("sent")
        except contacts.AlreadyContacted:
            db.session.rollback()
            told.append("already")

    assert run_together(app, send_at_once, count=2) == [] and sorted(told) == ["already", "sent"]
    contact_id = db.session.scalar(select(ContactRequest.id))
    told.clear()

    def answer_at_once(barrier, accept):
        contact = contacts.get_request(contact_id)
        barrier.wait()
        try:
            contacts.answer(contact, accept)
            db.session.commit()
            told.append("answered")
        except contacts.AlreadyAnswered:
            db.session.rollback()
            told.append("already")

    assert run_together(app, answer_at_once, each=[True, False]) == [] and sorted(told) == ["already", "answered"]
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.kind == NotificationKind.CONTACT_ANSWER)) == 1
