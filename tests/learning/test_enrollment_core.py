from sqlalchemy import func, select

from mwanzo.certificates.models import Certificate
from mwanzo.extensions import db
from mwanzo.learning import services
from mwanzo.learning.models import EnrollmentStatus, VideoProgress
from tests.emails import emails_to


def test_free_enrolment_is_once_only_and_counted_once(make):
    student, course = make.user(email="s@example.com"), make.course()
    first = services.enroll_free(student, course)
    second = services.enroll_free(student, course)
    db.session.commit()
    assert first.id == second.id and first.status == EnrollmentStatus.ACTIVE
    db.session.refresh(course)
    assert course.enrollment_count == 1
    assert len(emails_to("s@example.com", "enrollment_confirmation")) == 1


def test_completing_every_lesson_completes_the_course_and_issues_one_certificate(make):
    student, course = make.user(email="s@example.com"), make.course()
    lessons = [make.lesson(make.section(course)) for _ in range(2)]
    enrollment = services.enroll_free(student, course)
    db.session.add(VideoProgress(student_id=student.id, lesson_id=lessons[0].id, completed=True))
    services.refresh_progress(enrollment)
    assert enrollment.progress_percent == 50 and enrollment.status == EnrollmentStatus.ACTIVE
    db.session.add(VideoProgress(student_id=student.id, lesson_id=lessons[1].id, completed=True))
    services.refresh_progress(enrollment)
    services.refresh_progress(enrollment)
    db.session.commit()
    assert enrollment.status == EnrollmentStatus.COMPLETED and enrollment.progress_percent == 100
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1
    [email] = emails_to("s@example.com", "course_completed")
    assert "/certificates/MWZ-" in email.body_text


def test_a_required_quiz_without_questions_does_not_block_completion(make):
    from mwanzo.quizzes.models import Quiz

    student, course = make.user(), make.course()
    lesson = make.lesson(make.section(course))
    db.session.add(Quiz(course_id=course.id, title="Not written yet", is_required=True))
    enrollment = services.enroll_free(student, course)
    db.session.add(VideoProgress(student_id=student.id, lesson_id=lesson.id, completed=True))
    services.refresh_progress(enrollment)
    assert enrollment.status == EnrollmentStatus.COMPLETED
