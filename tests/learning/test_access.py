"""Who may open a lesson and its media: pages AND every media URL the player uses."""
from decimal import Decimal
from urllib.parse import urlsplit

import pytest

from mwanzo.auth.models import Role
from mwanzo.extensions import db
from mwanzo.learning import services
from mwanzo.learning.models import Enrollment, EnrollmentStatus
from tests.learning.media_fixtures import ready_video_lesson


@pytest.fixture
def course_with_video(make):
    course = make.course(price=Decimal("500"))
    section = make.section(course)
    locked = ready_video_lesson(section, title="Locked video")
    preview = ready_video_lesson(section, title="Preview video", is_preview=True)
    return course, locked, preview


def enrol(student, course, status=EnrollmentStatus.ACTIVE):
    db.session.add(Enrollment(student_id=student.id, course_id=course.id, status=status))
    db.session.commit()


def urls(course, lesson):
    base = f"/learn/{course.slug}/lessons/{lesson.id}"
    return {
        "page": base,
        "master": f"{base}/hls/master.m3u8",
        "variant": f"{base}/hls/240p/index.m3u8",
        "audio": f"{base}/hls/audio/index.m3u8",
        "video": f"{base}/video.mp4",
        "download": f"{base}/download",
    }


def assert_allowed(client, course, lesson, download=True):
    links = urls(course, lesson)
    page = client.get(links["page"])
    assert page.status_code == 200 and lesson.title in page.get_data(as_text=True)
    master = client.get(links["master"])
    assert master.status_code == 200 and master.mimetype == "application/vnd.apple.mpegurl"
    # The master lists variant playlists through the access-checked route, not as plain signed files.
    assert links["variant"] in master.get_data(as_text=True)
    variant = client.get(links["variant"]).get_data(as_text=True)
    segment = next(line for line in variant.splitlines() if ".ts" in line)
    assert "sig=" in segment and client.get(segment).status_code == 200
    assert client.get(links["audio"]).status_code == 200
    mp4 = client.get(links["video"])
    assert mp4.status_code == 302 and client.get(mp4.location).mimetype == "video/mp4"
    assert client.get(links["download"]).status_code == (302 if download else 403)


def assert_refused(client, course, lesson, page_status=302):
    links = urls(course, lesson)
    page = client.get(links["page"])
    assert page.status_code == page_status
    if page_status == 302:
        assert urlsplit(page.location).path == f"/courses/{course.slug}"
    for name in ("master", "variant", "audio", "video", "download"):
        assert client.get(links[name]).status_code == 403, name


def test_anonymous_visitor_sees_only_the_preview(client, course_with_video):
    course, locked, preview = course_with_video
    assert_refused(client, course, locked)
    assert_allowed(client, course, preview, download=False)
    course_page = client.get(client.get(urls(course, locked)["page"]).location).get_data(as_text=True)
    assert f'href="/login?next=/courses/{course.slug}"' in course_page  # the call to action: log in to enrol


def test_learner_without_enrolment_or_with_pending_payment_is_sent_to_the_course_page(client, login, make,
                                                                                    course_with_video):
    course, locked, preview = course_with_video
    learner = login(make.user())
    assert_refused(client, course, locked)
    enrol(learner, course, EnrollmentStatus.PENDING_PAYMENT)
    assert_refused(client, course, locked)
    assert_allowed(client, course, preview, download=False)


def test_enrolled_and_completed_learners_have_everything(client, login, make, course_with_video):
    course, locked, _ = course_with_video
    learner = login(make.user())
    enrol(learner, course)
    assert_allowed(client, course, locked)
    db.session.execute(db.update(Enrollment).values(status=EnrollmentStatus.COMPLETED))
    db.session.commit()
    assert_allowed(client, course, locked)


def test_revoked_learner_loses_playlists_at_once(client, login, make, course_with_video):
    course, locked, _ = course_with_video
    learner = login(make.user())
    enrol(learner, course)
    links = urls(course, locked)
    assert client.get(links["master"]).status_code == 200
    services.revoke_enrollment(db.session.scalar(db.select(Enrollment)))
    db.session.commit()
    assert_refused(client, course, locked)


def test_instructor_of_the_course_and_admins_have_access_other_instructors_do_not(client, login, make,
                                                                                 course_with_video):
    course, locked, _ = course_with_video
    login(make.user(role=Role.INSTRUCTOR))
    assert_refused(client, course, locked)
    login(db.session.get(type(make.user()), course.instructor_id))
    assert_allowed(client, course, locked)
    login(make.user(role=Role.ADMIN))
    assert_allowed(client, course, locked)


def test_media_outside_the_lesson_folder_or_lessons_of_other_courses_are_not_served(client, login, make,
                                                                                    course_with_video):
    course, locked, preview = course_with_video
    other = make.course()
    assert client.get(f"/learn/{other.slug}/lessons/{preview.id}").status_code == 404
    assert client.get(f"/learn/{other.slug}/lessons/{preview.id}/hls/master.m3u8").status_code == 404
    base = urls(course, preview)["page"]
    assert client.get(f"{base}/hls/../{locked.id}/master.m3u8").status_code == 404
    assert client.get(f"{base}/hls/download.mp4").status_code == 404
    assert client.get(f"{base}/hls/nothing.m3u8").status_code == 404


def test_unpublished_lessons_and_draft_courses_are_hidden(client, login, make, course_with_video):
    course, locked, preview = course_with_video
    preview.is_published = False
    db.session.commit()
    assert client.get(urls(course, preview)["page"]).status_code == 404
    draft = make.course(status=type(course.status).DRAFT)
    lesson = make.lesson(make.section(draft), is_preview=True)
    assert client.get(f"/learn/{draft.slug}/lessons/{lesson.id}").status_code == 404
