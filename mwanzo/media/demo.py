"""Demo data: one short generated video lesson, processed by the real pipeline (used by `flask seed-demo`)."""
from __future__ import annotations

import logging
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import select

from mwanzo.courses.models import Course, Lesson, LessonKind, ProcessingStatus, Section
from mwanzo.extensions import db
from mwanzo.media import ffmpeg, tasks
from mwanzo.storage import get_storage

log = logging.getLogger(__name__)
DEMO_VIDEO_TITLE = "Welcome: how this course works (video)"


def add_demo_video(course_slug: str) -> Lesson | None:
    """Once per course: a 6 s test-pattern clip with a tone, uploaded and transcoded like any upload.
    Commits (it is called after the rest of the demo data is saved). Returns None if already there or
    if the course does not exist."""
    course = db.session.scalar(select(Course).where(Course.slug == course_slug))
    if course is None or db.session.scalar(select(Lesson.id).where(Lesson.course_id == course.id,
                                                                     Lesson.title == DEMO_VIDEO_TITLE)):
        return None
    section = db.session.scalar(select(Section).where(Section.course_id == course.id).order_by(Section.display_order))
    if section is None:
        return None
    lesson = Lesson(course_id=course.id, section_id=section.id, title=DEMO_VIDEO_TITLE, kind=LessonKind.VIDEO,
                    display_order=-1, is_preview=True)
    db.session.add(lesson)
    db.session.flush()
    with tempfile.TemporaryDirectory(prefix="mwanzo-demo-") as tmp:
        clip = Path(tmp) / "demo.mp4"
        subprocess.run([ffmpeg.ffmpeg_binary(), "-v", "error", "-y",
                        "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=6",
                        "-f", "lavfi", "-i", "sine=frequency=330:duration=6",
                        "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
                        str(clip)], check=True, timeout=120)
        lesson.source_key = f"lessons/{lesson.id}/demo/source.mp4"
        get_storage().save(lesson.source_key, clip, "video/mp4")
    lesson.processing_status = ProcessingStatus.UPLOADED
    db.session.commit()
    tasks.transcode_lesson(str(lesson.id))  # inline: the command should leave it READY
    return lesson
