"""/dashboard: continue where you left off, courses with progress, payments waiting, certificates."""
import uuid
from decimal import Decimal

from sqlalchemy import select

from mwanzo.auth.models import Role
from mwanzo.extensions import db
from mwanzo.learning import progress, services
from mwanzo.learning.models import Enrollment
from mwanzo.payments.models import Payment, PaymentStatus
from tests.queries import count_queries


def pending_payment(learner, course, status=PaymentStatus.PENDING):
    enrollment = services.start_paid_enrollment(learner, course)
    db.session.add(Payment(enrollment_id=enrollment.id, student_id=learner.id, course_id=course.id,
                           amount=course.price, status=status, provider="payhero", phone_number="254712345678",
                           external_reference=uuid.uuid4().hex))
    db.session.commit()


def finished_course(make, learner, title):
    course = make.course(title=title)
    lesson = make.lesson(make.section(course))
    enrollment = services.enroll_free(learner, course)
    progress.mark_complete(learner.id, lesson.id)
    services.refresh_progress(enrollment)
    db.session.commit()
    return course


def test_dashboard_shows_everything_a_learner_has_going_on(client, login, make):
    learner = login(make.user())
    finished_course(make, learner, "Customer care")
    halfway = make.course(title="Excel for work")
    section = make.section(halfway)
    video = make.lesson(section, kind="VIDEO", body_markdown=None, processing_status="READY",
                        duration_seconds=600, title="Pivot tables")
    make.lesson(section, title="Shortcuts")
    services.enroll_free(learner, halfway)
    progress.save_position(learner.id, video.id, 600, 125)
    db.session.commit()
    pending_payment(learner, make.course(title="Bookkeeping", price=Decimal("900")))
    pending_payment(learner, make.course(title="Paid and failed", price=Decimal("900")), PaymentStatus.FAILED)

    page = client.get("/dashboard").get_data(as_text=True)
    resume = page.split("Continue where you left off")[1].split("</section>")[0]
    assert "Pivot tables" in resume and "Excel for work" in resume and "2:05" in resume
    assert f'href="/learn/{halfway.slug}/lessons/{video.id}"' in resume
    courses = page.split("My courses")[1].split("</section>")[0]
    assert "Excel for work" in courses and '<progress max="100" value="0">' in courses
    assert "Customer care" in page.split("Completed courses")[1]
    waiting = page.split("Payments awaiting confirmation")[1].split("</section>")[0]
    assert "Bookkeeping" in waiting and "Paid and failed" not in waiting
    certificate = page.split("<h2>Certificates</h2>")[1]
    assert "Customer care" in certificate and 'href="/certificates/MWZ-' in certificate
    assert 'href="/dashboard"' in page  # the header link


def test_dashboard_query_count_does_not_grow_with_courses(client, login, make):
    learner = login(make.user())
    finished_course(make, learner, "First")
    pending_payment(learner, make.course(price=Decimal("100")))
    with count_queries() as one:
        assert client.get("/dashboard").status_code == 200
    for n in range(5):
        finished_course(make, learner, f"More {n}")
        pending_payment(learner, make.course(price=Decimal("100")))
        services.enroll_free(learner, make.course())
        db.session.commit()
    with count_queries() as many:
        page = client.get("/dashboard").get_data(as_text=True)
    assert len(many) == len(one) <= 7  # the account, the dashboard's, the header's unread count, announcements
    assert page.count('<progress max="100"') == 5
    assert db.session.scalar(select(db.func.count()).select_from(Enrollment)) == 17


def test_dashboard_is_only_for_the_signed_in_learner(client, login, make):
    assert "/login" in client.get("/dashboard").location
    other = make.user()
    finished_course(make, other, "Someone else's course")
    login(make.user(role=Role.INSTRUCTOR))
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Someone else" not in page and "not enrolled in any course yet" in page


def test_dashboard_shows_recent_announcements_of_the_learners_courses(client, login, make):
    from mwanzo.discussions import services as talk

    learner = login(make.user())
    teacher = make.instructor()
    mine, other = make.course(instructor_id=teacher.id, title="Mine"), make.course(instructor_id=teacher.id)
    make.enrollment(learner, mine)
    talk.announce(teacher, mine, "Exam on Friday", "Bring a pen.", "/")
    talk.announce(teacher, other, "Not for you", "x", "/")
    db.session.commit()
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Exam on Friday" in page and f'href="/learn/{mine.slug}/questions"' in page and "Not for you" not in page
