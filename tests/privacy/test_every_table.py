"""Every table that can hold a learner's personal data is found from the models themselves (a column that
points at users.id, or an email or phone column), and the learner's rows in each are proved to be in the
export and gone after erasure. A new table is therefore classified here, or this test fails: it cannot be
forgotten silently."""
from __future__ import annotations

import io
import uuid
import json
import zipfile
from decimal import Decimal

import pytest
import sqlalchemy as sa

from mwanzo.auth.models import OneTimeCode, Role
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.privacy.models import DataRequest, RequestKind, RequestStatus
from mwanzo.privacy.services import build_archive, erase_account
from tests.privacy.conftest import EMAIL, PHONE
from tests.privacy.test_erasure import personal_traces

PERSONAL_NAMES = {"email", "phone", "phone_number", "to_address", "to_phone"}
# Columns that name staff or the other side of a learner's record; each with why a learner's erasure skips it.
STAFF_COLUMNS = {
    "audit_log.actor_id": "admins and instructors act; a learner is never an audit actor",
    "courses.instructor_id": "instructors' courses",
    "course_revisions.author_id": "instructors' drafts", "course_revisions.reviewer_id": "admins reviewing",
    "course_review_decisions.actor_id": "admins and instructors deciding on courses",
    "announcements.author_id": "instructors' announcements",
    "coupons.created_by_id": "instructors' and admins' coupons",
    "employer_profiles.user_id": "employers", "jobs.employer_id": "employers",
    "payouts.instructor_id": "instructors paid",
    "payouts.decided_by_id": "admins deciding",
    "content_reports.resolved_by_id": "moderators", "posting_suspensions.suspended_by_id": "moderators",
    "certificates.revoked_by_id": "admins", "payments.refunded_by_id": "admins",
    "payments.resolved_by_id": "admins", "refund_requests.decided_by_id": "admins and instructors",
    "quiz_allowances.granted_by_id": "instructors granting extra time",
    "course_transfers.owner_id": "instructors' course exports and imports",
    "contact_requests.employer_id": "employers writing to candidates",
}
# The learner's rows that stay after erasure, and why (README: Data and privacy); their personal columns
# are still emptied, which personal_traces() checks.
KEPT = {
    "users": "the anonymised account row that payments and the request log point at",
    "payments": "amount, date and M-Pesa receipt, kept five years by law",
    "coupon_redemptions": "the discount on a kept payment",
    "refund_requests": "the refund decision on a kept payment (its reason emptied)",
    "enrollments": "each kept payment points at its enrolment",
    "data_requests": "proof the requests were met",
}


def personal_columns() -> dict[str, list[sa.Column]]:
    tables: dict[str, list[sa.Column]] = {}
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            points_at_users = any(fk.column.table.name == "users" and fk.column.name == "id"
                                  for fk in column.foreign_keys)
            if (points_at_users or column.name in PERSONAL_NAMES) and f"{table.name}.{column.name}" not in STAFF_COLUMNS:
                tables.setdefault(table.name, []).append(column)
    if "users" in tables:
        tables["users"].append(db.metadata.tables["users"].c.id)
    return tables


def rows_of(user_id) -> dict[str, int]:
    """How many rows in each personal table belong to the learner, by their id, email or phone."""
    counts = {}
    for name, columns in personal_columns().items():
        conditions = []
        for column in columns:
            if column.name in PERSONAL_NAMES:
                conditions.append(column == (EMAIL if "email" in column.name or column.name == "to_address" else PHONE))
            else:
                conditions.append(column == user_id)
        counts[name] = db.session.scalar(sa.select(sa.func.count()).select_from(column.table).where(sa.or_(*conditions)))
    return counts


@pytest.fixture
def everywhere(learner, make):
    """The privacy fixture's learner, with a row in every remaining table that can hold their data."""
    from mwanzo.careers.models import ContactRequest
    from mwanzo.discussions.models import CourseAnswer, CourseQuestion, PostingSuspension, QuestionVote, Report, ReportTarget
    from mwanzo.inbox.models import Notification, NotificationKind, NotificationSettings
    from mwanzo.learning.models import VideoProgress
    from mwanzo.offline.models import OfflineReceipt
    from mwanzo.notifications.services import send_email
    from mwanzo.payments.models import Coupon, CouponKind, CouponRedemption, Payout, PayoutStatus, RefundRequest
    from mwanzo.quizzes.models import QuizAllowance, QuizAttempt

    user, course, payment = learner["user"], learner["course"], learner["payment"]
    teacher = make.instructor()
    lesson = make.lesson(make.section(course))
    quiz = make.quiz(course)
    other = make.user()
    theirs = CourseQuestion(course_id=course.id, author_id=other.id, title="Where is lesson 2?", body="I cannot find it")
    mine = CourseQuestion(course_id=course.id, author_id=user.id, title="Swali langu", body="Napenda kujifunza zaidi")
    db.session.add_all([theirs, mine])
    db.session.flush()
    refund = RefundRequest(payment_id=payment.id, student_id=user.id, reason="Not what I expected", watched_percent=5)
    coupon = Coupon(code="KARIBU10", kind=CouponKind.PERCENT, value=Decimal("10"), course_id=course.id,
                    created_by_id=teacher.id)
    db.session.add_all([coupon, refund])
    db.session.flush()
    db.session.add_all([
        OneTimeCode(phone=PHONE, purpose="sign-in", code_hash="0" * 64, user_id=user.id, expires_at=utcnow()),
        VideoProgress(student_id=user.id, lesson_id=lesson.id, watched_seconds=30),
        OfflineReceipt(user_id=user.id, client_id=uuid.uuid4(), kind="progress", outcome="applied"),
        QuizAttempt(quiz_id=quiz.id, student_id=user.id, started_at=utcnow()),
        QuizAllowance(quiz_id=quiz.id, student_id=user.id, extra_attempts=1, granted_by_id=teacher.id),
        CourseAnswer(question_id=theirs.id, author_id=user.id, body="It is under Week 1"),
        QuestionVote(question_id=theirs.id, user_id=user.id),
        Report(reporter_id=user.id, target=ReportTarget.QUESTION, target_id=theirs.id, reason="Off topic"),
        PostingSuspension(user_id=user.id, reason="Spam", suspended_by_id=teacher.id),
        ContactRequest(employer_id=make.user(role=Role.EMPLOYER).id, candidate_id=user.id,
                       message="We would like to talk to you about a bookkeeping job."),
        Notification(user_id=user.id, kind=NotificationKind.PAYMENT, params={}, link="/learn"),
        NotificationSettings(user_id=user.id, daily_digest=True),
        CouponRedemption(coupon_id=coupon.id, student_id=user.id, course_id=course.id, payment_id=payment.id,
                         amount_off=Decimal("150")),
        DataRequest(user_id=user.id, kind=RequestKind.EXPORT, status=RequestStatus.DONE),
        Payout(refund_request_id=refund.id, amount=Decimal("1500"), phone_number=PHONE, status=PayoutStatus.PAID,
               external_reference="refund-test-1"),
    ])
    send_email(EMAIL, "data_export_ready", locale="en", user=user, link="http://x/", hours=48)
    db.session.commit()
    return learner


def test_the_fixture_puts_the_learner_in_every_personal_table(everywhere):
    """If this fails, a table was added that can hold a learner's data: give it an export and an erasure in
    its domain's services (export_user_data / erase_user_data), then a row here, or list it as staff-only."""
    missing = [name for name, count in rows_of(everywhere["user"].id).items() if count == 0]
    assert missing == []


def test_the_export_has_every_row_of_every_personal_table(everywhere):
    user = everywhere["user"]
    data = json.loads(zipfile.ZipFile(io.BytesIO(build_archive(user))).read("data.json"))
    expected = rows_of(user.id)
    assert {name: len(data.get(name, [])) for name in expected} == expected


def test_erasure_empties_every_personal_table_but_what_the_law_keeps(everywhere):
    user = everywhere["user"]
    user_id = user.id
    before = rows_of(user_id)
    erase_account(user, keep_certificates=False)
    db.session.commit()
    after = rows_of(user_id)
    kept = {name: before[name] for name in KEPT}
    kept["data_requests"] += 1  # the erasure's own record
    assert {name: count for name, count in after.items() if count} == kept
    assert personal_traces() == []
    assert db.session.get(type(user), user_id).role == Role.STUDENT
