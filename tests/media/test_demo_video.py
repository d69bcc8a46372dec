from sqlalchemy import select

from mwanzo.courses.models import Course, Lesson, LessonKind, ProcessingStatus
from mwanzo.extensions import db


def test_seed_demo_gives_one_course_a_processed_video_lesson_once(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    videos = db.session.scalars(select(Lesson).where(Lesson.kind == LessonKind.VIDEO)).all()
    assert len(videos) == 1
    video = videos[0]
    assert video.processing_status == ProcessingStatus.READY and video.duration_seconds == 6
    assert [r["name"] for r in video.renditions] == ["144p", "240p", "360p", "audio"]
    course = db.session.get(Course, video.course_id)
    assert course.lecture_count == db.session.scalar(
        select(db.func.count(Lesson.id)).where(Lesson.course_id == course.id))
