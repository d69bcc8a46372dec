"""Release conditions: a section closed to a learner is closed on every route (page, playlists, MP4, download,
captions, transcripts, files, saves, quiz attempts), says why and when it opens, and opens once the
condition is met; its instructor and admins always see it."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from mwanzo.auth.models import Role, User
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.learning import release
from mwanzo.learning.models import VideoProgress
from mwanzo.media import resources
from mwanzo.quizzes.models import QuizAttempt
from tests.learning.media_fixtures import ready_video_lesson
from tests.media.test_resources import pdf_bytes


@pytest.fixture
def paced(make):
    """Section one (a reading), section two (a video with captions and a file, a quiz) that opens only once
    section one is finished."""
    course = make.course()
    first, second = make.section(course, title="Misingi", display_order=0), make.section(course, title="Zaidi",
                                                                                       display_order=1)
    reading = make.lesson(first, title="Soma kwanza")
    video = ready_video_lesson(second, title="Video ya pili")
    file = resources.add_resource(video, "Notes", io.BytesIO(pdf_bytes()))
    quiz = make.quiz(course, section_id=second.id, title="Jaribio la pili")
    make.question(quiz)
    release.set_section_rule(second, first.id, None, None)
    db.session.commit()
    return course, first, second, reading, video, file, quiz


def routes(course, video, file) -> dict[str, tuple[str, str]]:
    base = f"/learn/{course.slug}/lessons/{video.id}"
    return {
        "page": ("GET", base),
        "master playlist": ("GET", f"{base}/hls/master.m3u8"),
        "variant playlist": ("GET", f"{base}/hls/240p/index.m3u8"),
        "mp4": ("GET", f"{base}/video.mp4"),
        "download": ("GET", f"{base}/download"),
        "resource": ("GET", f"{base}/files/{file.id}"),
        "captions choice": ("POST", f"{base}/captions"),
        "progress save": ("POST", f"{base}/progress"),
        "watched": ("POST", f"{base}/watched"),
    }


def call(client, method: str, url: str):
    return client.get(url) if method == "GET" else client.post(url, data={"position": "3", "language": "en"})


def test_a_locked_section_is_refused_on_every_lesson_route_and_says_why(client, login, make, paced):
    course, first, second, reading, video, file, quiz = paced
    learner = make.user()
    make.enrollment(learner, course)
    login(learner)
    for name, (method, url) in routes(course, video, file).items():
        response = call(client, method, url)
        assert response.status_code == 403, name
    page = client.get(routes(course, video, file)["page"][1]).get_data(as_text=True)
    assert "Not open yet" in page and "Opens when you finish the section “Misingi”." in page
    assert "sig=" not in page and "captions.vtt" not in page  # no media URL leaks from the locked page
    assert db.session.scalar(select(VideoProgress).where(VideoProgress.lesson_id == video.id)) is None


def test_quiz_pages_and_attempts_of_a_locked_section_are_refused(client, login, make, paced):
    course, first, second, reading, video, file, quiz = paced
    learner = make.user()
    make.enrollment(learner, course)
    login(learner)
    assert client.get(f"/quizzes/{quiz.id}").status_code == 403
    assert client.post(f"/quizzes/{quiz.id}/start").status_code == 403
    assert db.session.scalar(select(QuizAttempt)) is None
    # An attempt begun before the instructor added a condition cannot be submitted while it holds.
    attempt = QuizAttempt(quiz_id=quiz.id, student_id=learner.id, started_at=utcnow())
    db.session.add(attempt)
    db.session.commit()
    assert client.post(f"/quizzes/attempts/{attempt.id}/submit").status_code == 403
    assert client.get(f"/quizzes/attempts/{attempt.id}").status_code == 403
    db.session.refresh(attempt)
    assert attempt.submitted_at is None


def test_the_outline_shows_the_lock_and_finishing_the_section_opens_it(client, login, make, paced):
    course, first, second, reading, video, file, quiz = paced
    learner = make.user()
    make.enrollment(learner, course)
    login(learner)
    page = client.get(f"/learn/{course.slug}/lessons/{reading.id}").get_data(as_text=True)
    assert "Locked" in page and "Opens when you finish the section “Misingi”." in page
    assert f'href="/learn/{course.slug}/lessons/{video.id}"' not in page
    assert client.post(f"/learn/{course.slug}/lessons/{reading.id}/complete").status_code == 302
    page = client.get(f"/learn/{course.slug}/lessons/{reading.id}").get_data(as_text=True)
    assert "Locked" not in page and f'href="/learn/{course.slug}/lessons/{video.id}"' in page
    for name, (method, url) in routes(course, video, file).items():
        assert call(client, method, url).status_code in (200, 204, 302), name
    assert client.post(f"/quizzes/{quiz.id}/start").status_code == 302


def test_instructor_and_admin_preview_is_unaffected(client, login, make, paced):
    course, first, second, reading, video, file, quiz = paced
    for viewer in (db.session.get(User, course.instructor_id), make.user(role=Role.ADMIN)):
        login(viewer)
        for name, (method, url) in routes(course, video, file).items():
            if name == "watched":
                continue  # only learners' progress counts
            assert call(client, method, url).status_code in (200, 204, 302), (viewer.role, name)
        assert client.get(f"/quizzes/{quiz.id}").status_code == 200


def test_a_quiz_condition_opens_on_a_pass(client, login, make, paced):
    course, first, second, reading, video, file, quiz = paced
    gate = make.quiz(course, section_id=first.id, title="Jaribio la kwanza")
    release.set_section_rule(second, None, gate.id, None)
    db.session.commit()
    learner = make.user()
    make.enrollment(learner, course)
    login(learner)
    page = client.get(f"/learn/{course.slug}/lessons/{video.id}")
    assert page.status_code == 403 and "Opens when you pass the quiz “Jaribio la kwanza”." in page.get_data(as_text=True)
    db.session.add(QuizAttempt(quiz_id=gate.id, student_id=learner.id, started_at=utcnow(), submitted_at=utcnow(),
                               passed=True))
    db.session.commit()
    assert client.get(f"/learn/{course.slug}/lessons/{video.id}").status_code == 200


def test_drip_opens_days_after_enrolment_and_says_when(client, login, make, paced):
    course, first, second, reading, video, file, quiz = paced
    release.set_section_rule(second, None, None, 7)
    db.session.commit()
    learner = make.user()
    enrolment = make.enrollment(learner, course, activated_at=utcnow() - timedelta(days=3))
    login(learner)
    page = client.get(f"/learn/{course.slug}/lessons/{video.id}")
    opens = (enrolment.activated_at + timedelta(days=7)).strftime("%d")
    assert page.status_code == 403 and "Opens on " in page.get_data(as_text=True)
    assert opens.lstrip("0") in page.get_data(as_text=True)
    enrolment.activated_at = utcnow() - timedelta(days=8)
    db.session.commit()
    assert client.get(f"/learn/{course.slug}/lessons/{video.id}").status_code == 200


def test_a_date_opens_the_section_for_everyone_and_says_when_in_kenya_time(client, login, make, paced):
    course, first, second, reading, video, file, quiz = paced
    release.set_section_rule(second, None, None, None, opens_at=utcnow() + timedelta(days=2))
    rule = release.section_rule(second)
    rule.opens_at = rule.opens_at.replace(hour=5, minute=30)  # 08:30 in Nairobi (UTC+3)
    db.session.commit()
    kenyan = rule.opens_at + timedelta(hours=3)
    learner = make.user(locale="sw")
    make.enrollment(learner, course)
    login(learner)
    page = client.get(f"/learn/{course.slug}/lessons/{video.id}")
    assert page.status_code == 403 and f"Inafunguka tarehe {kenyan.day} " in page.get_data(as_text=True)
    assert f"{kenyan.year}, 08:30." in page.get_data(as_text=True)
    assert client.get(f"/learn/{course.slug}/lessons/{video.id}/hls/master.m3u8").status_code == 403
    assert client.post(f"/quizzes/{quiz.id}/start").status_code == 403
    rule.opens_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert client.get(f"/learn/{course.slug}/lessons/{video.id}").status_code == 200
    assert client.get(f"/learn/{course.slug}/lessons/{video.id}/hls/master.m3u8").status_code == 200
    assert client.post(f"/quizzes/{quiz.id}/start").status_code == 302


def test_a_date_and_a_drip_both_hold_the_later_one_counts(make, paced):
    course, first, second, reading, video, file, quiz = paced
    date = utcnow() + timedelta(days=2)
    release.set_section_rule(second, None, None, 5, opens_at=date)
    learner = make.user()
    enrolment = make.enrollment(learner, course, activated_at=utcnow() - timedelta(days=1))
    db.session.commit()
    assert release.section_locks(learner, course, enrolment)[second.id].opens_at == enrolment.activated_at + \
        timedelta(days=5)
    enrolment.activated_at = utcnow() - timedelta(days=4)
    assert release.section_locks(learner, course, enrolment)[second.id].opens_at == date
    assert release.section_locks(learner, course, enrolment, now=date + timedelta(seconds=1)) == {}


def test_transcript_search_skips_locked_sections(client, login, make, paced):
    course, first, second, reading, video, file, quiz = paced
    learner = make.user()
    make.enrollment(learner, course)
    login(learner)
    hits = client.get(f"/learn/{course.slug}/transcripts?q=karibu").get_data(as_text=True)
    assert "Video ya pili" not in hits
    db.session.add(VideoProgress(student_id=learner.id, lesson_id=reading.id, completed=True))
    db.session.commit()
    assert "Video ya pili" in client.get(f"/learn/{course.slug}/transcripts?q=karibu").get_data(as_text=True)


def test_a_free_preview_in_a_locked_section_stays_open(client, make, paced):
    course, first, second, reading, video, file, quiz = paced
    video.is_preview = True
    db.session.commit()
    assert client.get(f"/learn/{course.slug}/lessons/{video.id}").status_code == 200
    assert client.get(f"/learn/{course.slug}/lessons/{video.id}/hls/master.m3u8").status_code == 200


def test_only_the_owner_sets_conditions_and_only_from_earlier_sections(client, login, make, paced):
    course, first, second, reading, video, file, quiz = paced
    login(make.instructor())
    assert client.get(f"/studio/sections/{second.id}/release").status_code == 404
    login(db.session.get(User, course.instructor_id))
    form = client.get(f"/studio/sections/{second.id}/release").get_data(as_text=True)
    assert "Misingi" in form and "Jaribio la pili" in form
    assert f'value="{first.id}"' in form
    assert f'value="{first.id}"' not in client.get(f"/studio/sections/{first.id}/release").get_data(as_text=True)
    response = client.post(f"/studio/sections/{second.id}/release",
                           data={"after_section": str(second.id), "quiz": "", "days_after_enrolment": ""})
    assert response.status_code == 422
    response = client.post(f"/studio/sections/{second.id}/release",
                           data={"after_section": "", "quiz": str(quiz.id), "days_after_enrolment": "-1"})
    assert response.status_code == 422 and "from 0 to 3650" in response.get_data(as_text=True)
    response = client.post(f"/studio/sections/{second.id}/release",
                           data={"after_section": "", "quiz": str(quiz.id), "days_after_enrolment": "2"})
    assert response.status_code == 302
    rule = release.section_rule(second)
    assert (rule.after_section_id, rule.quiz_id, rule.days_after_enrolment) == (None, quiz.id, 2)
    client.post(f"/studio/sections/{second.id}/release", data={"after_section": "", "quiz": "",
                                                                "days_after_enrolment": ""})
    assert release.section_rule(second) is None


def test_the_opening_date_is_entered_in_kenya_time_and_a_bad_one_is_refused_in_swahili(client, login, paced):
    course, first, second, reading, video, file, quiz = paced
    owner = login(db.session.get(User, course.instructor_id))
    owner.locale = "sw"
    db.session.commit()
    empty = {"after_section": "", "quiz": "", "days_after_enrolment": ""}
    response = client.post(f"/studio/sections/{second.id}/release", data={**empty, "opens_at": "31/03/2027"})
    assert response.status_code == 422 and "Weka tarehe na saa" in response.get_data(as_text=True)
    response = client.post(f"/studio/sections/{second.id}/release", data={**empty, "opens_at": "2027-03-31T08:00"})
    assert response.status_code == 302
    db.session.expire_all()
    assert release.section_rule(second).opens_at == datetime(2027, 3, 31, 5, 0, tzinfo=timezone.utc)
    form = client.get(f"/studio/sections/{second.id}/release").get_data(as_text=True)
    assert 'type="datetime-local"' in form and 'value="2027-03-31T08:00"' in form  # shown again in Kenya time


def test_the_course_page_outline_says_what_each_section_waits_for(client, make, paced):
    course, first, second, reading, video, file, quiz = paced
    page = client.get(f"/courses/{course.slug}").get_data(as_text=True)
    assert "Opens when you finish the section “Misingi”." in page
    release.set_section_rule(second, None, None, 5)  # a change shows at once: the cached page is renewed
    db.session.commit()
    page = client.get(f"/courses/{course.slug}").get_data(as_text=True)
    assert "Opens 5 days after you enrol." in page and "Opens when you finish" not in page
    release.set_section_rule(second, None, None, None, opens_at=datetime(2027, 3, 31, 5, 0, tzinfo=timezone.utc))
    db.session.commit()
    assert "Opens on 31 March 2027, 08:00." in client.get(f"/courses/{course.slug}").get_data(as_text=True)


def test_moving_a_section_above_the_one_it_waits_for_is_refused_with_why(client, login, make, paced):
    """A section waiting for a later one could never open (and two could wait for each other), so the move
    is refused and the instructor is told which condition to change; other moves still work."""
    course, first, second, reading, video, file, quiz = paced
    third = make.section(course, title="Mwisho", display_order=2)
    db.session.commit()
    login(db.session.get(User, course.instructor_id))
    for section, direction in ((second, "up"), (first, "down")):
        response = client.post(f"/studio/sections/{section.id}/move", data={"direction": direction},
                               headers={"HX-Request": "true"})
        assert response.status_code == 409
        assert "“Zaidi” opens once “Misingi” is finished, so it must stay after it." in \
            response.get_data(as_text=True)
    db.session.expire_all()
    assert (first.display_order, second.display_order) == (0, 1)
    assert client.post(f"/studio/sections/{third.id}/move", data={"direction": "up"}).status_code == 302
    db.session.expire_all()
    assert (first.display_order, third.display_order, second.display_order) == (0, 1, 2)
    release.set_section_rule(second, None, None, None)  # the condition changed first: the move is allowed
    db.session.commit()
    assert client.post(f"/studio/sections/{second.id}/move", data={"direction": "up"}).status_code == 302
    db.session.expire_all()
    assert second.display_order < third.display_order
