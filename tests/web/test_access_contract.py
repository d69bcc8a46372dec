"""The access contract, proved over every URL the app serves (walking ``app.url_map``).

- A page is either public (listed in PUBLIC below, with the reason) or guarded. The admin and studio
  blueprints state their role once (BLUEPRINT_ROLES); every other guarded page is listed in SIGNED_IN with
  the roles it admits. An endpoint in neither fails the test until someone decides which it is.
- Anonymous callers of a guarded page are sent to the login page, plain or HTMX, GET or POST.
- A signed-in caller of another role gets 403 (admins hold every role).
- Someone else's record (a course and its parts, a job and its applications, a learner's payment or quiz
  attempt) answers 404, exactly like an id that was never issued; admins open them where admins act.
"""
from __future__ import annotations

import io
import uuid
from decimal import Decimal
from urllib.parse import urlsplit

import pytest

from mwanzo.auth.models import Role
from sqlalchemy import select

from mwanzo.careers import services as careers
from mwanzo.careers.models import ContactRequest
from mwanzo.discussions import services as talk
from mwanzo.inbox.models import Notification
from mwanzo.courses.models import CourseRevision, CourseTransfer, TransferKind
from mwanzo.extensions import db, limiter
from mwanzo.learning.models import EnrollmentStatus
from mwanzo.media import captions, resources
from mwanzo.notifications.models import OutboundEmail
from mwanzo.payments.models import PaymentEvent, PaymentStatus, Payout, RefundRequest
from mwanzo.quizzes import services as quizzes
from tests.web.test_hostile_input import sign_in

ANYONE = frozenset(Role)
STUDENT, INSTRUCTOR, EMPLOYER = frozenset({Role.STUDENT}), frozenset({Role.INSTRUCTOR}), frozenset({Role.EMPLOYER})

# Reviewed allow-list: every page anyone may open without signing in, and why.
PUBLIC = {
    "/": "home page",
    "/courses": "catalog",
    "/categories/<slug>": "catalog",
    "/courses/<slug>": "course page",
    "/courses/<slug>/reviews": "a course's reviews",
    "/thumbs/<uuid:course_id>/<version>/<int:width>.<ext>": "course pictures",
    "/sitemap.xml": "search engines",
    "/robots.txt": "search engines",
    "/jobs": "jobs board",
    "/jobs/<uuid:job_id>": "a job's page",
    "/verify": "certificate verification, for employers without an account",
    "/certificates/<code>": "certificate verification",
    "/certificates/<code>/pdf": "certificate verification",
    "/learn/<slug>": "preview lessons are open to visitors; locked lessons send them to the course page",
    "/learn/<slug>/lessons/<uuid:lesson_id>": "as above",
    "/learn/<slug>/lessons/<uuid:lesson_id>/hls/<path:name>": "media of preview lessons; access checked per request",
    "/learn/<slug>/lessons/<uuid:lesson_id>/video.mp4": "as above",
    "/learn/<slug>/lessons/<uuid:lesson_id>/download": "as above",
    "/learn/<slug>/lessons/<uuid:lesson_id>/files/<uuid:resource_id>": "files of preview lessons; checked per request",
    "/learn/<slug>/transcripts": "visitors search the preview lessons' transcripts, enrolled learners every lesson",
    "/media/<path:key>": "signed, expiring media URLs",
    "/static/<path:filename>": "stylesheet, scripts, pictures",
    "/register": "signing up",
    "/register/check-email": "signing up",
    "/login": "signing in",
    "/login/phone": "signing in or up by a code sent by SMS",
    "/login/phone/code": "entering that code (the number being proven is in the session)",
    "/login/phone/resend": "asking for the code again",
    "/register/phone": "finishing a sign-up by phone (needs a number just proven, in the session)",
    "/forgot-password/phone": "account recovery by a code sent by SMS",
    "/privacy": "the privacy notice, linked from every page",
    "/terms": "the terms of use, linked from every page",
    "/api/v1/sms/delivery-reports/<token>": "Africa's Talking's delivery reports, authorised by their secret token",
    "/logout": "signing out needs no session (it ends one if there is one)",
    "/verify-email/<token>": "the link in the verification email",
    "/verify-email": "asks for the verification email again (by address when signed out)",
    "/forgot-password": "password reset",
    "/reset-password/<token>": "password reset",
    "/email/unsubscribe/<token>": "the signed link in every email",
    "/language": "the footer's language switcher",
    "/api/v1/payments/callback/<token>": "PayHero's webhook, authorised by its secret token",
    "/api/v1/payouts/callback/<token>": "PayHero's withdrawal webhook, authorised by the same secret token",
    "/healthz": "load balancer",
    "/manifest.webmanifest": "the installable app's manifest, read by the browser",
    "/sw.js": "the service worker script, fetched by the browser from the site root",
    "/metrics": "Prometheus, authorised by its bearer token",
}

# Blueprints that state their role once, in before_request: every page in them needs it.
BLUEPRINT_ROLES = {"admin": frozenset({Role.ADMIN}), "studio": INSTRUCTOR}

# The signed-in pages of the blueprints that mix public and signed-in pages: the roles each admits.
SIGNED_IN = {
    "/profile": ANYONE,
    "/profile/password": ANYONE,
    "/profile/email": ANYONE,
    "/profile/phone/confirm": ANYONE,
    "/account/data": ANYONE,
    "/account/data/export": ANYONE,
    "/account/data/download/<token>": ANYONE,
    "/account/delete": ANYONE,
    "/account/delete/code": ANYONE,
    "/dashboard": ANYONE,
    "/courses/<slug>/enroll": ANYONE,
    "/courses/<slug>/checkout": ANYONE,
    "/courses/<slug>/review": ANYONE,
    "/learn/<slug>/lessons/<uuid:lesson_id>/complete": ANYONE,
    "/learn/<slug>/lessons/<uuid:lesson_id>/progress": ANYONE,
    "/learn/<slug>/lessons/<uuid:lesson_id>/watched": ANYONE,
    "/learn/<slug>/lessons/<uuid:lesson_id>/captions": ANYONE,
    "/learn/<slug>/lessons/<uuid:lesson_id>/saved.json": ANYONE,
    "/learn/<slug>/lessons/<uuid:lesson_id>/saved/<path:name>": ANYONE,
    "/learn/<slug>/saved.json": ANYONE,
    "/saved": ANYONE,
    "/saved/access.json": ANYONE,
    "/saved/queue": ANYONE,
    "/quizzes/<uuid:quiz_id>": ANYONE,
    "/quizzes/<uuid:quiz_id>/start": ANYONE,
    "/quizzes/attempts/<uuid:attempt_id>": ANYONE,
    "/quizzes/attempts/<uuid:attempt_id>/answers/<uuid:question_id>": ANYONE,
    "/quizzes/attempts/<uuid:attempt_id>/submit": ANYONE,
    "/quizzes/attempts/<uuid:attempt_id>/result": ANYONE,
    "/certificates": ANYONE,
    "/payments": ANYONE,
    "/payments/<uuid:payment_id>": ANYONE,
    "/payments/<uuid:payment_id>/receipt": ANYONE,
    "/payments/<uuid:payment_id>/refund-request": ANYONE,
    "/payments/<uuid:payment_id>/sandbox-phone": ANYONE,
    "/applications": STUDENT,
    "/jobs/<uuid:job_id>/apply": STUDENT,
    "/jobs/<uuid:job_id>/report": ANYONE,
    "/employer/profile": EMPLOYER,
    "/employer/jobs": EMPLOYER,
    "/employer/jobs/new": EMPLOYER,
    "/employer/jobs/<uuid:job_id>/edit": EMPLOYER,
    "/employer/jobs/<uuid:job_id>/close": EMPLOYER,
    "/employer/jobs/<uuid:job_id>/reopen": EMPLOYER,
    "/employer/jobs/<uuid:job_id>/delete": EMPLOYER,
    "/employer/jobs/<uuid:job_id>/applicants": EMPLOYER,
    "/employer/jobs/<uuid:job_id>/applicants.csv": EMPLOYER,
    "/employer/verification": EMPLOYER,
    # A pool candidate (anyone else: 404) and the employer's own messages; the learner's side is theirs alone.
    "/employer/candidates/<uuid:user_id>/contact": EMPLOYER,
    "/employer/contacts": EMPLOYER,
    "/contact-requests": STUDENT,
    "/contact-requests/<uuid:contact_id>/answer": STUDENT,
    "/employer/applications/<uuid:application_id>/status": EMPLOYER,
    "/employer/candidates": EMPLOYER,
    "/employer/verify": EMPLOYER,
    # A course's Q&A: signed in, then the course's access rule (enrolled, its instructor, admins) or 404.
    "/learn/<slug>/questions": ANYONE,
    "/learn/<slug>/questions/<uuid:post_id>": ANYONE,
    "/learn/<slug>/questions/<uuid:post_id>/vote": ANYONE,
    "/learn/<slug>/questions/<uuid:post_id>/answers/<uuid:answer_id>/accept": ANYONE,
    "/learn/<slug>/report/<target>/<uuid:target_id>": ANYONE,
    "/courses/<slug>/reviews/<uuid:review_id>/report": ANYONE,
    "/notifications": ANYONE,
    "/notifications/<uuid:notification_id>/open": ANYONE,
    "/notifications/read": ANYONE,
    "/notifications/settings": ANYONE,
}

# The progress beacon has no page to send anyone to: an anonymous save is a bare 401.
BEACONS = {"/learn/<slug>/lessons/<uuid:lesson_id>/progress"}

# Arguments that name someone's own record, and who owns it in the world below. A learner's payment or
# attempt is theirs wherever it appears; a course (and its parts) or a job (and its applications) is its
# owner's on the pages of the owner's role.
PERSONAL = {"payment_id": "student", "attempt_id": "student", "notification_id": "student", "contact_id": "student"}
EDITED = {"course_id": "instructor", "section_id": "instructor", "lesson_id": "instructor", "quiz_id": "instructor",
          "transfer_id": "instructor",
          "question_id": "instructor", "bank_question_id": "instructor", "job_id": "employer", "application_id": "employer"}


def admitted(rule) -> frozenset[Role] | None:
    """The roles a guarded rule admits; None for a public one."""
    if rule.endpoint.partition(".")[0] in BLUEPRINT_ROLES:
        return BLUEPRINT_ROLES[rule.endpoint.partition(".")[0]]
    return SIGNED_IN.get(rule.rule)


def guarded_rules(app):
    # Deleting things last keeps the world's ids alive for the other rules.
    return sorted((rule for rule in app.url_map.iter_rules() if admitted(rule) is not None),
                  key=lambda rule: ("delete" in rule.rule, rule.rule))


def methods(rule) -> list[str]:
    return sorted(rule.methods & {"GET", "POST"})


@pytest.fixture
def world(make):
    """Two of every kind of user, and one of everything owned by the first of each."""
    users = {name: make.user(role=role) for name, role in [
        ("student", Role.STUDENT), ("other_student", Role.STUDENT), ("instructor", Role.INSTRUCTOR),
        ("other_instructor", Role.INSTRUCTOR), ("employer", Role.EMPLOYER), ("other_employer", Role.EMPLOYER),
        ("admin", Role.ADMIN)]}
    course = make.course(instructor_id=users["instructor"].id, price=Decimal("500"))
    section = make.section(course)
    lesson = make.lesson(section)
    enrolment = make.enrollment(users["student"], course, status=EnrollmentStatus.ACTIVE)
    payment = make.payment(enrolment, "500", PaymentStatus.SUCCESS)
    certificate = make.certificate(users["student"])
    quiz = make.quiz(course)
    question = make.question(quiz)
    bank_question = make.question(course)
    attempt = quizzes.start_attempt(quiz, users["student"])
    job = make.job(users["employer"])
    application = careers.apply(job, users["student"], "Hello", [certificate.id])
    contact = ContactRequest(employer_id=users["employer"].id, candidate_id=users["student"].id,
                             message="We are hiring data clerks in Nakuru.")
    captions.save_captions(lesson, "en", io.BytesIO(b"WEBVTT\n\n00:00.000 --> 00:02.000\nKaribu\n"))
    resource = resources.add_resource(lesson, "Notes", io.BytesIO(b"%PDF-1.4\n%%EOF\n"))
    revision = CourseRevision(course_id=course.id, author_id=users["instructor"].id, changes={})
    event = PaymentEvent(kind="callback", payload={})
    email = OutboundEmail(to_address="x@example.com", template="welcome", subject="-", body_text="-", body_html="-")
    refund = RefundRequest(payment_id=payment.id, student_id=users["student"].id, reason="Not for me", watched_percent=0)
    payout = Payout(instructor_id=users["instructor"].id, amount=Decimal("100"), phone_number="254712345678",
                    external_reference="MWZP-CONTRACT")
    transfer = CourseTransfer(kind=TransferKind.EXPORT, owner_id=users["instructor"].id, course_id=course.id,
                              archive_key="transfers/contract/c.zip", archive_name="c.zip")
    db.session.add_all([revision, event, email, refund, payout, transfer, contact])
    db.session.commit()
    asked = talk.ask(users["student"], course, "Where is lesson two?", "I cannot find it.")
    answer = talk.answer(users["instructor"], course, asked, "Under the first section.", "/")
    notification = db.session.scalar(select(Notification).where(Notification.user_id == users["student"].id))
    review = make.review(course, student=users["student"], text="Good")
    db.session.commit()
    values = {
        "user_id": users["student"].id, "category_id": course.category_id, "course_id": course.id,
        "section_id": section.id, "lesson_id": lesson.id, "quiz_id": quiz.id, "question_id": question.id,
        "bank_question_id": bank_question.id,
        "attempt_id": attempt.id, "payment_id": payment.id, "job_id": job.id, "application_id": application.id,
        "revision_id": revision.id, "event_id": event.id,
        "enrollment_id": enrolment.id, "email_id": email.id, "request_id": refund.id, "payout_id": payout.id, "slug": course.slug, "code": certificate.verification_code,
        "name": "funnel", "post_id": asked.id, "answer_id": answer.id, "target": "question", "target_id": asked.id,
        "notification_id": notification.id, "review_id": review.id, "report_id": uuid.uuid4(), "token": "not-a-signed-token",
        "language": "en", "resource_id": resource.id, "transfer_id": transfer.id, "contact_id": contact.id,
    }
    return values, users


def url(app, rule, values) -> str:
    return app.url_map.bind("localhost").build(rule.endpoint, {name: values[name] for name in rule.arguments})


def call(client, method: str, target: str, htmx: bool = False):
    limiter.reset()
    return client.open(target, method=method, headers={"HX-Request": "true"} if htmx else {})


def sent_to_login(response, htmx: bool) -> bool:
    """The one answer to an anonymous caller: the login page by redirect; to HTMX, the 401 alert fragment
    with a link to it (htmx would otherwise swap the whole login page into the element that asked)."""
    if htmx:
        return (response.status_code == 401 and response.headers.get("HX-Retarget") == "#flash-errors"
                and 'href="/login' in response.get_data(as_text=True))
    target = response.headers.get("Location", "") if response.status_code in (302, 303) else ""
    return urlsplit(target).path == "/login"


def unlisted(app) -> list[str]:
    return [f"{rule.endpoint} {rule.rule}" for rule in app.url_map.iter_rules()
            if admitted(rule) is None and rule.rule not in PUBLIC]


def test_every_endpoint_is_public_or_guarded(app):
    rules = list(app.url_map.iter_rules())
    missing = unlisted(app)
    assert not missing, "decide whether these are public (PUBLIC) or for whom (SIGNED_IN):\n" + "\n".join(missing)
    served = {rule.rule for rule in rules}
    stale = sorted((set(PUBLIC) | set(SIGNED_IN)) - served)
    assert not stale, f"listed but no longer served: {stale}"
    both = sorted(set(PUBLIC) & {rule.rule for rule in rules if admitted(rule) is not None})
    assert not both, f"listed as public but guarded: {both}"


def test_a_new_endpoint_fails_until_it_is_listed(app):
    from mwanzo import create_app

    bigger = create_app(dict(app.config))
    bigger.add_url_rule("/reports/new", "catalog.new_report", lambda: "new")
    assert unlisted(bigger) == ["catalog.new_report /reports/new"]


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_anonymous_callers_are_sent_to_sign_in(app, client, world, htmx):
    values, _users = world
    wrong = []
    for rule in guarded_rules(app):
        for method in methods(rule):
            response = call(client, method, url(app, rule, values), htmx)
            refused = response.status_code == 401 if rule.rule in BEACONS else sent_to_login(response, htmx)
            if not refused:
                wrong.append((method, rule.rule, response.status_code, response.headers.get("Location")))
    assert not wrong, "\n".join(map(str, wrong))


@pytest.mark.parametrize("role", [Role.STUDENT, Role.INSTRUCTOR, Role.EMPLOYER])
def test_the_wrong_role_gets_403(app, client, world, role):
    values, users = world
    sign_in(client, next(user for user in users.values() if user.role == role))
    wrong = []
    for rule in guarded_rules(app):
        if role in admitted(rule):
            continue
        for method in methods(rule):
            response = call(client, method, url(app, rule, values))
            if response.status_code != 403:
                wrong.append((method, rule.rule, response.status_code))
    assert not wrong, "\n".join(map(str, wrong))


def owner_of(rule) -> str | None:
    """Whose record the rule's URL names, when the caller must be its owner (see PERSONAL and EDITED)."""
    roles = admitted(rule)
    owners = {PERSONAL[name] for name in rule.arguments if name in PERSONAL and Role.STUDENT in roles}
    if roles != ANYONE:
        owners |= {EDITED[name] for name in rule.arguments
                   if name in EDITED and Role[EDITED[name].upper()] in roles}
    assert len(owners) <= 1, rule.rule
    return next(iter(owners), None)


def test_someone_elses_record_answers_404_everywhere(app, client, world):
    """The studio (courses, sections, lessons, quizzes, questions, analytics), the employer's pages (jobs,
    applications) and a learner's payments and attempts: another user of the same role gets 404, as for an
    id that does not exist."""
    values, users = world
    checked, wrong = set(), []
    for rule in guarded_rules(app):
        owner = owner_of(rule)
        if owner is None:
            continue
        sign_in(client, users[f"other_{owner}"])
        for method in methods(rule):
            response = call(client, method, url(app, rule, values))
            checked.add(rule.endpoint)
            if response.status_code != 404:
                wrong.append((method, rule.rule, response.status_code))
    assert not wrong, "\n".join(map(str, wrong))
    assert {"studio.course_builder", "studio.section_delete", "studio.lesson_edit", "studio.quiz_edit",
            "studio.question_edit", "studio.bank_view", "studio.bank_question_edit", "studio.bank_question_delete",
            "studio.quiz_allowances", "studio.analytics_course_report", "careers.job_edit", "careers.application_status",
            "payments.payment_status", "studio.section_release", "studio.course_duplicate", "studio.course_export",
            "studio.transfer_status", "studio.transfer_retry", "careers.job_delete", "careers.job_reopen", "careers.applicant_csv",
            "careers.contact_request_answer"} <= checked


def test_the_owner_and_admins_open_them_where_admins_act(app, client, world):
    values, users = world
    for name in ("instructor", "admin"):
        sign_in(client, users[name])
        for rule in guarded_rules(app):
            if rule.endpoint.startswith("studio.") and "GET" in rule.methods and rule.arguments:
                response = call(client, "GET", url(app, rule, values))
                assert response.status_code == 200, (name, rule.rule, response.status_code)
    for name in ("employer", "admin"):
        sign_in(client, users[name])
        assert call(client, "GET", f"/employer/jobs/{values['job_id']}/edit").status_code == 200
        assert call(client, "GET", f"/employer/jobs/{values['job_id']}/applicants").status_code == 200
    # A learner's payment pages are the learner's alone; admins read payments in the console.
    sign_in(client, users["student"])
    assert call(client, "GET", f"/payments/{values['payment_id']}").status_code == 200
    sign_in(client, users["admin"])
    assert call(client, "GET", f"/payments/{values['payment_id']}").status_code == 404
    assert call(client, "GET", f"/admin/payments/{values['payment_id']}").status_code == 200
    # A payout PayHero never answered is settled by admins only (the admin blueprint's guard): they open it,
    # an id never issued is 404.
    assert call(client, "GET", f"/admin/payouts/{values['payout_id']}/settle").status_code == 200
    assert call(client, "GET", f"/admin/payouts/{uuid.uuid4()}/settle").status_code == 404


def test_a_quiz_of_another_course_is_not_found_through_ones_own(app, client, make, world):
    values, users = world
    own = make.course(instructor_id=users["other_instructor"].id)
    sign_in(client, users["other_instructor"])
    assert call(client, "GET", f"/studio/courses/{own.id}/quizzes").status_code == 200
    assert call(client, "GET", f"/studio/courses/{own.id}/quizzes/{values['quiz_id']}").status_code == 404
    assert call(client, "GET", f"/studio/courses/{uuid.uuid4()}/quizzes").status_code == 404


def test_the_studio_guard_sends_an_unverified_instructor_to_verify_on_every_page(app, client, make, world):
    values, _users = world
    sign_in(client, make.user(role=Role.INSTRUCTOR, is_email_verified=False))
    for rule in guarded_rules(app):
        if rule.endpoint.startswith("studio."):
            for method in methods(rule):
                response = call(client, method, url(app, rule, values))
                assert urlsplit(response.headers.get("Location", "")).path == "/verify-email", rule.rule
