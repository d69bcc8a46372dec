"""Course content jobs: removing a replaced thumbnail."""
from __future__ import annotations

import uuid

from mwanzo.courses.models import Course
from mwanzo.extensions import db
from mwanzo.jobs import job
from mwanzo.storage import get_storage


@job()
def delete_old_thumbnail(course_id: str, version: str) -> None:
    """Remove a replaced thumbnail version; does nothing if the course still uses it (safe to retry)."""
    course = db.session.get(Course, uuid.UUID(course_id))
    if course is not None and (course.thumbnail_renditions or {}).get("version") == version:
        return
    get_storage().delete_prefix(f"courses/{course_id}/thumb/{version}")
