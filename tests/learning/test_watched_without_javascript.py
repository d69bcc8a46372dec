"""Video lessons without the player's script: "I've watched this" counts once the video had time to play.

The rule is the player's: the server's clock starts when it first serves the learner the MP4 (to play
or to download), and credit is 2× the seconds since (the fastest speed) plus 2 s, until 80 % of the
duration. Pressing the button sooner says how long is left and changes nothing."""
from datetime import timedelta

from sqlalchemy import select

from mwanzo.certificates.models import Certificate
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.learning import services
from mwanzo.learning.models import Enrollment, VideoProgress
from tests.learning.media_fixtures import ready_video_lesson


def video_only_course(make, seconds=100):
    course = make.course()
    lesson = ready_video_lesson(make.section(course), title="Only video")
    lesson.duration_seconds = seconds
    db.session.commit()
    return course, lesson


def enrolled(make, course):
    learner = make.user()
    services.enroll_free(learner, course)
    db.session.commit()
    return learner


def completed(lesson):
    db.session.expire_all()
    return bool(db.session.scalar(select(VideoProgress.completed).where(VideoProgress.lesson_id == lesson.id)))


def test_video_course_is_finished_without_javascript_and_the_certificate_issued(client, login, make):
    course, lesson = video_only_course(make)
    learner = enrolled(make, course)
    login(learner)
    url = f"/learn/{course.slug}/lessons/{lesson.id}"
    page = client.get(url).get_data(as_text=True)
    assert f'action="{url}/watched"' in page and "I've watched this" in page

    assert client.get(f"{url}/video.mp4").status_code == 302  # the browser starts playing the MP4
    early = client.post(f"{url}/watched", follow_redirects=True).get_data(as_text=True)
    assert "Keep watching" in early and not completed(lesson)

    # 100 s at up to 2× speed: 80 s of credit needs 39 s on the server's clock.
    assert services.confirm_video_watched(learner, course.slug, lesson.id, now=utcnow() + timedelta(seconds=35)).wait_seconds > 0
    assert services.confirm_video_watched(learner, course.slug, lesson.id, now=utcnow() + timedelta(seconds=40)).course_completed
    db.session.commit()
    assert completed(lesson)
    assert db.session.scalar(select(Enrollment.progress_percent)) == 100
    assert db.session.scalar(select(Certificate).where(Certificate.student_id == learner.id)) is not None
    assert "I've watched this" not in client.get(url).get_data(as_text=True)


def test_the_button_does_nothing_for_a_video_never_served(client, login, make):
    course, lesson = video_only_course(make, seconds=6)
    learner = enrolled(make, course)
    login(learner)
    page = client.post(f"/learn/{course.slug}/lessons/{lesson.id}/watched", follow_redirects=True)
    assert "Keep watching" in page.get_data(as_text=True) and not completed(lesson)
    later = utcnow() + timedelta(hours=1)
    assert services.confirm_video_watched(learner, course.slug, lesson.id, now=later).wait_seconds > 0
    assert not completed(lesson)


def test_a_download_starts_the_clock_too(client, login, make):
    course, lesson = video_only_course(make, seconds=6)
    learner = enrolled(make, course)
    login(learner)
    assert client.get(f"/learn/{course.slug}/lessons/{lesson.id}/download").status_code == 302
    assert services.confirm_video_watched(learner, course.slug, lesson.id, now=utcnow() + timedelta(seconds=2)).wait_seconds == 0


def test_visitors_and_strangers_cannot_mark_it(client, login, make, csrf_enabled):
    course, lesson = video_only_course(make, seconds=6)
    url = f"/learn/{course.slug}/lessons/{lesson.id}/watched"
    assert client.post(url).status_code in (302, 400)
    login(make.user())
    assert client.post(url).status_code == 400  # no CSRF token
    learner = enrolled(make, course)
    login(learner)
    token = client.get(f"/learn/{course.slug}/lessons/{lesson.id}").get_data(as_text=True)
    token = token.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post(url, data={"csrf_token": token}).status_code == 302


def test_the_last_lesson_leads_to_the_certificate(client, login, make):
    course = make.course()
    reading = make.lesson(make.section(course), title="Only reading", body_markdown="Read me")
    learner = enrolled(make, course)
    login(learner)
    page = client.post(f"/learn/{course.slug}/lessons/{reading.id}/complete", follow_redirects=True)
    code = db.session.scalar(select(Certificate.verification_code).where(Certificate.student_id == learner.id))
    assert page.request.path == f"/certificates/{code}"
    assert "Course complete! Here is your certificate." in page.get_data(as_text=True)
