"""Audio lessons: an MP3, M4A or WAV upload goes through the video pipeline (same probe, progress, states) and
becomes an audio-only HLS rendition plus a small M4A download; learners complete it as they complete a video."""
from __future__ import annotations

import io
import subprocess
from datetime import timedelta

import pytest

from mwanzo.courses.models import CourseStatus, Lesson, LessonKind, ProcessingStatus
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.learning import services as learning
from mwanzo.learning.models import Enrollment, EnrollmentStatus
from mwanzo.media import ffmpeg
from mwanzo.storage import get_storage
from tests.learning.test_lesson_page import learner_in

SECONDS = 12


def recording(path, *codec: str):
    subprocess.run([ffmpeg.ffmpeg_binary(), "-v", "error", "-f", "lavfi", "-i",
                    f"sine=frequency=330:duration={SECONDS}", *codec, str(path)], check=True, timeout=60)
    return path.read_bytes()


@pytest.fixture
def owner(make, login):
    return login(make.instructor())


def audio_course(client, make, owner, path):
    """A course whose one lesson is the recording at ``path``, uploaded while a draft, then published."""
    course = make.draft_course(owner)
    lesson = make.lesson(make.section(course), kind=LessonKind.VIDEO, body_markdown=None)
    assert upload(client, lesson, path.read_bytes(), path.name).status_code == 302
    course.status = CourseStatus.PUBLISHED
    db.session.commit()
    return course, reload(lesson)


def upload(client, lesson, data: bytes, filename: str):
    return client.post(f"/studio/lessons/{lesson.id}/video", data={"video": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def reload(lesson) -> Lesson:
    db.session.expire_all()
    return db.session.get(Lesson, lesson.id)


@pytest.mark.parametrize("name, codec", [("talk.mp3", ()), ("talk.wav", ()), ("talk.m4a", ("-c:a", "aac"))])
def test_a_recording_becomes_an_audio_only_rendition_and_a_small_download(client, make, owner, tmp_path, name,
                                                                         codec):
    lesson = make.lesson(make.section(make.draft_course(owner)), kind=LessonKind.VIDEO, body_markdown=None)
    data = recording(tmp_path / name, *codec)
    assert upload(client, lesson, data, name).status_code == 302
    lesson = reload(lesson)
    assert lesson.processing_status == ProcessingStatus.READY, lesson.processing_error
    assert lesson.processing_progress == 100 and lesson.processing_attempts == 1
    assert lesson.duration_seconds == SECONDS and lesson.poster_key is None
    assert [r["name"] for r in lesson.renditions] == ["audio"] and lesson.renditions[0]["bytes"] > 0
    download = ffmpeg.probe(get_storage().path(lesson.download_key))
    assert lesson.download_key.endswith(".m4a") and download.is_audio and round(download.duration) == SECONDS
    assert lesson.download_bytes * 8 / SECONDS < 80_000  # about 64 kbit/s: ~0.5 MB a minute
    with get_storage().open(f"{lesson.media_prefix}/master.m3u8") as handle:
        master = handle.read().decode()
    assert 'CODECS="mp4a.40.2"' in master and "RESOLUTION" not in master and "hls/audio/index.m3u8" in master


def test_learners_play_and_complete_an_audio_lesson_like_a_video(client, login, make, tmp_path):
    owner = login(make.instructor())
    recording(tmp_path / "talk.mp3")
    course, lesson = audio_course(client, make, owner, tmp_path / "talk.mp3")
    learner = login(learner_in(make, course))
    page = client.get(f"/learn/{course.slug}/lessons/{lesson.id}").get_data(as_text=True)
    assert 'type="audio/mp4"' in page and 'data-quality="audio"' in page and "poster=" not in page
    download = client.get(f"/learn/{course.slug}/lessons/{lesson.id}/download")
    assert download.status_code == 302 and "dl=" in download.location and ".m4a" in download.location
    # the no-JavaScript rule: the server's clock since the file was served must cover most of it
    client.get(f"/learn/{course.slug}/lessons/{lesson.id}/video.mp4")
    early = learning.confirm_video_watched(learner, course.slug, lesson.id)
    assert early.wait_seconds > 0 and not early.course_completed
    later = learning.confirm_video_watched(learner, course.slug, lesson.id, now=utcnow() + timedelta(seconds=SECONDS))
    db.session.commit()
    assert later.wait_seconds == 0 and later.course_completed
    enrollment = db.session.scalar(db.select(Enrollment).where(Enrollment.student_id == learner.id))
    assert enrollment.status == EnrollmentStatus.COMPLETED and enrollment.progress_percent == 100


def test_the_players_saves_complete_an_audio_lesson(client, login, make, tmp_path):
    owner = login(make.instructor())
    recording(tmp_path / "talk.wav")
    course, lesson = audio_course(client, make, owner, tmp_path / "talk.wav")
    learner = login(learner_in(make, course))
    assert learning.record_position(learner, course.slug, lesson.id, 0) is False
    assert learning.record_position(learner, course.slug, lesson.id, SECONDS,
                                    now=utcnow() + timedelta(seconds=SECONDS)) is True
