"""Progress saves: resume position, watched time that cannot be faked by seeking, course completion."""
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from mwanzo.courses.models import Course
from mwanzo.certificates.models import Certificate
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.learning import progress, services
from mwanzo.learning.models import Enrollment, EnrollmentStatus, VideoProgress
from tests.concurrency import run_together
from tests.emails import emails_to
from tests.learning.media_fixtures import ready_video_lesson
from tests.queries import count_queries


@pytest.fixture
def video_course(make):
    """A free course with one 100-second video and one text lesson (media not needed here)."""
    course = make.course()
    section = make.section(course)
    video = ready_video_lesson(section, title="Video one")
    video.duration_seconds = 100  # the media is 6 s; the rules are easier to read over 100 s
    db.session.commit()
    text = make.lesson(section, title="Reading one", body_markdown="# Heading\n\n<script>x()</script>Read **me**")
    return course, video, text


def enrolled(make, course, **kwargs):
    learner = make.user(**kwargs)
    services.enroll_free(learner, course)
    db.session.commit()
    return learner


def row(learner, lesson):
    db.session.expire_all()
    return db.session.scalar(select(VideoProgress).where(VideoProgress.student_id == learner.id,
                                                         VideoProgress.lesson_id == lesson.id))


def play(learner, lesson, reports, start=None):
    """Save positions as a player would: [(seconds after start, position), ...]."""
    start = start or utcnow()
    slug = db.session.scalar(select(Course.slug).where(Course.id == lesson.course_id))
    completed = [services.record_position(learner, slug, lesson.id, position, now=start + timedelta(seconds=after))
                 for after, position in reports]
    db.session.commit()
    return completed


def test_saved_position_is_where_the_lesson_resumes(client, login, make, video_course):
    course, video, _ = video_course
    login(enrolled(make, course))
    url = f"/learn/{course.slug}/lessons/{video.id}"
    assert client.post(f"{url}/progress", data={"position": "42.7"}).status_code == 204
    assert 'data-start="42"' in client.get(url).get_data(as_text=True)
    assert client.post(f"{url}/progress", data={"position": "7"}).status_code == 204
    assert 'data-start="7"' in client.get(url).get_data(as_text=True)


def test_bad_saves_are_rejected(client, login, make, video_course):
    course, video, text = video_course
    url = f"/learn/{course.slug}/lessons/{video.id}/progress"
    assert client.post(url, data={"position": "5"}).status_code == 401
    login(make.user())
    assert client.post(url, data={"position": "5"}).status_code == 403  # not enrolled
    login(enrolled(make, course))
    assert client.post(url, data={"position": "soon"}).status_code == 400
    assert client.post(url, data={"position": "nan"}).status_code == 400
    assert client.post(url, data={"position": "1e309"}).status_code == 400
    assert client.post(url, data={"position": "-3"}).status_code == 400
    assert client.post(f"/learn/{course.slug}/lessons/{text.id}/progress", data={"position": "5"}).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(VideoProgress)) == 0


def test_progress_save_needs_the_csrf_token(client, login, make, video_course, csrf_enabled):
    course, video, _ = video_course
    login(enrolled(make, course))
    url = f"/learn/{course.slug}/lessons/{video.id}"
    token = client.get(url).get_data(as_text=True).split('data-csrf="')[1].split('"')[0]
    assert client.post(f"{url}/progress", data={"position": "5"}).status_code == 400
    assert client.post(f"{url}/progress", data={"position": "5", "csrf_token": token}).status_code == 204


def test_watching_80_percent_completes_the_lesson(make, video_course):
    course, video, _ = video_course
    learner = enrolled(make, course)
    # Report every 15 s of real time while playing: 0, 15, ... 75 s is 75 % watched; 90 s passes 80 %.
    completed = play(learner, video, [(t, t) for t in range(0, 76, 15)])
    assert not any(completed) and not row(learner, video).completed
    assert row(learner, video).watched_seconds == 75
    assert play(learner, video, [(0, 90)], start=row(learner, video).last_reported_at + timedelta(seconds=15)) == [True]
    saved = row(learner, video)
    assert saved.completed and saved.completed_at is not None and saved.watched_seconds == 90
    enrollment = db.session.scalar(select(Enrollment))
    assert enrollment.progress_percent == 50  # the text lesson is still to do


def test_seeking_to_the_end_does_not_complete(make, video_course):
    course, video, _ = video_course
    learner = enrolled(make, course)
    play(learner, video, [(0, 0), (3, 100), (6, 0), (9, 100)])
    saved = row(learner, video)
    assert not saved.completed and saved.watched_seconds <= 2 * 6 + 2 * 2
    assert db.session.scalar(select(Enrollment.progress_percent)) == 0


def test_rewatching_after_completion_keeps_it_complete(make, video_course):
    course, video, _ = video_course
    learner = enrolled(make, course)
    play(learner, video, [(t, t) for t in range(0, 100, 10)])
    first = row(learner, video).completed_at
    assert play(learner, video, [(0, 0), (10, 10)], start=utcnow() + timedelta(minutes=5)) == [False, False]
    assert row(learner, video).completed and row(learner, video).completed_at == first


def test_a_save_costs_at_most_three_statements(client, login, make, video_course):
    course, video, _ = video_course
    login(enrolled(make, course))
    url = f"/learn/{course.slug}/lessons/{video.id}/progress"
    client.post(url, data={"position": "1"})
    with count_queries() as first:
        assert client.post(url, data={"position": "2"}).status_code == 204
    assert len(first) <= 3, first
    assert sum("INSERT INTO video_progress" in s and "ON CONFLICT" in s for s in first) == 1


def test_text_lesson_mark_complete_and_course_completion(client, login, make, video_course):
    course, video, text = video_course
    learner = login(enrolled(make, course, email="finisher@example.com"))
    page = client.get(f"/learn/{course.slug}/lessons/{text.id}").get_data(as_text=True)
    assert "<strong>me</strong>" in page and "<script>x()" not in page and "Mark complete" in page
    response = client.post(f"/learn/{course.slug}/lessons/{text.id}/complete")
    assert response.status_code == 302
    assert db.session.scalar(select(Enrollment.progress_percent)) == 50
    client.post(f"/learn/{course.slug}/lessons/{text.id}/complete")  # twice changes nothing
    play(learner, video, [(t, t) for t in range(0, 100, 10)])
    enrollment = db.session.scalar(select(Enrollment))
    assert enrollment.status == EnrollmentStatus.COMPLETED and enrollment.progress_percent == 100
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1
    assert len(emails_to("finisher@example.com", "course_completed")) == 1
    page = client.get(f"/learn/{course.slug}/lessons/{text.id}").get_data(as_text=True)
    assert "Mark complete" not in page and page.count('class="done"') == 2


def test_progress_only_updates_for_enrolled_learners(client, login, make, video_course):
    """A visitor playing a preview saves a position but has no enrolment to advance."""
    course, video, _ = video_course
    video.is_preview = True
    db.session.commit()
    visitor = login(make.user())
    assert client.post(f"/learn/{course.slug}/lessons/{video.id}/progress", data={"position": "3"}).status_code == 204
    assert row(visitor, video).position_seconds == 3
    assert db.session.scalar(select(Enrollment)) is None


def test_two_tabs_saving_at_once_lose_no_progress(app, make, video_course):
    """Two tabs of the same lesson save at the same moments, truly concurrently (both first saves race
    to INSERT the row): no save fails and every second of play is credited exactly once."""
    course, video, _ = video_course
    learner = enrolled(make, course)
    lesson_id, student_id, steps = video.id, learner.id, 85
    start = utcnow()

    def tab(barrier):
        for step in range(steps + 1):
            barrier.wait()
            progress.save_position(student_id, lesson_id, 100, step, now=start + timedelta(seconds=step))
            db.session.commit()

    errors = run_together(app, tab, 2, timeout=300)
    assert not errors, errors
    saved = row(learner, video)
    assert saved.watched_seconds == steps and saved.position_seconds == steps and saved.completed


@pytest.fixture
def minute_video(make):
    course = make.course()
    video = ready_video_lesson(make.section(course), title="One minute")
    video.duration_seconds = 60
    db.session.commit()
    return course, video


@pytest.fixture
def unlimited_saves(app, settings):
    """Lift the save rate limit so a test sees what the credit rule alone allows."""
    settings(PROGRESS_RATE_LIMIT="1000 per second")
    yield


def shift_last_save(learner, lesson, seconds: int) -> None:
    """Move the stored save time back, as if that many seconds had passed since it."""
    saved = row(learner, lesson)
    saved.last_reported_at -= timedelta(seconds=seconds)
    db.session.commit()


def test_a_burst_of_saves_does_not_complete_a_video(client, login, make, minute_video, unlimited_saves):
    """Thirty saves of +2 s within a fraction of a second: a few seconds of slack, not the whole video."""
    course, video = minute_video
    learner = login(enrolled(make, course))
    url = f"/learn/{course.slug}/lessons/{video.id}/progress"
    began = time.monotonic()
    for position in range(2, 62, 2):
        assert client.post(url, data={"position": str(position)}).status_code == 204
    took = time.monotonic() - began  # well under a second, unless the machine is very busy
    saved = row(learner, video)
    assert saved.position_seconds == 60
    assert not saved.completed
    assert saved.watched_seconds <= progress.MAX_PLAYBACK_RATE * took + progress.SLACK_SECONDS
    assert db.session.scalar(select(Enrollment.progress_percent)) == 0


def test_saves_spaced_by_elapsed_time_complete_a_video(client, login, make, minute_video, unlimited_saves):
    """Skipping ahead earns the slack once; playing (up to 2×) for the time that passes completes the lesson."""
    course, video = minute_video
    learner = login(enrolled(make, course))
    url = f"/learn/{course.slug}/lessons/{video.id}/progress"
    for position in (0, 15, 30):
        assert client.post(url, data={"position": str(position)}).status_code == 204
    skipped = row(learner, video).watched_seconds
    assert skipped < 15  # the slack (and the little time the requests took), not the 30 s skipped
    assert client.post(url, data={"position": "0"}).status_code == 204  # back to the start
    shift_last_save(learner, video, 15)
    assert client.post(url, data={"position": "30"}).status_code == 204  # 30 s played at 2× in 15 s
    assert row(learner, video).watched_seconds == skipped + 30 and not row(learner, video).completed
    shift_last_save(learner, video, 15)
    assert client.post(url, data={"position": "60"}).status_code == 204
    saved = row(learner, video)
    assert saved.completed and saved.watched_seconds == 60
    assert db.session.scalar(select(Enrollment.progress_percent)) == 100


def test_saving_too_often_is_answered_429(client, login, make, minute_video):
    course, video = minute_video
    other = ready_video_lesson(make.section(db.session.get(Course, course.id)), title="Another")
    db.session.commit()
    login(enrolled(make, course))
    url = f"/learn/{course.slug}/lessons/{video.id}/progress"
    answers = [client.post(url, data={"position": str(n)}).status_code for n in range(8)]
    assert answers[:5] == [204] * 5 and set(answers[5:]) == {429}
    assert client.post(url, data={"position": "9"}, headers={"HX-Request": "true"}).status_code == 429
    # Another lesson has its own budget.
    assert client.post(f"/learn/{course.slug}/lessons/{other.id}/progress", data={"position": "1"}).status_code == 204
