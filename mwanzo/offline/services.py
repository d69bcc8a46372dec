"""What a phone needs to keep lessons offline, which of its saved lessons it may still keep, and the changes it
queued without a connection (progress saves, quiz answers and submissions), applied once each and in the phone's order."""
from __future__ import annotations

import posixpath
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app, url_for
from sqlalchemy import and_, delete, select
from sqlalchemy.exc import IntegrityError

from mwanzo.auth.models import User
from mwanzo.courses.models import Course, Lesson, LessonCaption, LessonKind
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.learning import player, release
from mwanzo.learning import services as learning
from mwanzo.learning.models import Enrollment
from mwanzo.media.delivery import media_url, rewrite_playlist
from mwanzo.offline.models import OfflineReceipt
from mwanzo.quizzes import services as quizzes
from mwanzo.quizzes.models import Quiz, QuizAttempt
from mwanzo.storage import get_storage
from mwanzo.web.assets import asset_url

def stable_media_path(key: str) -> str:
    """The unsigned path a saved file is kept under in the phone's cache: it never expires by itself."""
    return url_for("media.serve", key=key)


def access_until() -> int:
    """Milliseconds since the epoch until which a saved copy plays without the phone checking in again."""
    days = current_app.config["OFFLINE_ACCESS_DAYS"]
    return int((utcnow() + timedelta(days=days)).timestamp() * 1000)


@dataclass
class SavePlan:
    lesson_id: str
    title: str
    page: str
    quality: str | None
    playlist: str | None
    bytes: int
    until: int
    assets: list[str]  # kept once for all saved lessons
    files: list[dict] = field(default_factory=list)  # {"url": signed URL to fetch, "key": path to keep it under}
    video: str | None = None  # instead of a playlist: the kept MP4 of a lesson without rungs
    poster: str | None = None  # the kept poster's path: the page names a signed URL, on S3 another host's


def _segment_keys(playlist_key: str) -> list[str]:
    """Every file a rung's playlist names (segments, and an init segment if any), as storage keys."""
    with get_storage().open(playlist_key) as handle:
        text = handle.read().decode()
    keys: list[str] = []
    rewrite_playlist(playlist_key, text, url_for_key=lambda key: keys.append(key) or key)
    return keys


def lesson_plan(course: Course, lesson: Lesson, quality: str) -> SavePlan:
    page = url_for("learning.lesson_view", slug=course.slug, lesson_id=lesson.id)
    plan = SavePlan(str(lesson.id), lesson.title, page, None, None, 0, access_until(), page_assets())
    if lesson.kind != LessonKind.VIDEO:
        return plan
    option = player.option_for(lesson, quality)
    if option is None and not player.saves_mp4(lesson):
        return plan
    ttl = current_app.config["MEDIA_URL_TTL_SECONDS"]
    extra = [lesson.poster_key] if lesson.poster_key else []
    plan.poster = stable_media_path(lesson.poster_key) if lesson.poster_key else None
    extra += list(db.session.scalars(select(LessonCaption.key).where(LessonCaption.lesson_id == lesson.id)))
    if option is None:  # the MP4, played from the phone's copy (sw.js cuts the byte ranges a seek asks for)
        plan.quality, plan.bytes = player.MP4, lesson.download_bytes or 0
        plan.video = stable_media_path(lesson.download_key)
        keys = [lesson.download_key]
    else:
        plan.quality, plan.bytes = option.value, option.bytes or 0
        plan.playlist = url_for("offline.saved_playlist", slug=course.slug, lesson_id=lesson.id, name=option.playlist)
        keys = _segment_keys(posixpath.join(lesson.media_prefix, option.playlist))
    plan.files += [{"url": media_url(key, ttl), "key": stable_media_path(key)} for key in keys + extra]
    return plan


OFFLINE_ASSETS = ("css/app.css", "vendor/htmx.min.js", "js/app.js", "js/offline.js", "js/player.js", "js/save.js",
                  "vendor/hls.light.min.js", "img/icon.svg")


def page_assets() -> list[str]:
    """What a saved lesson page loads, kept once for every saved lesson: the browser's cache may let them go."""
    return [asset_url(name) for name in OFFLINE_ASSETS]


def saved_playlist(access: learning.LessonAccess, name: str) -> str:
    """A rung's playlist naming its segments by their stable paths, as the phone keeps them."""
    key = learning.playlist_key(access.lesson, name)
    with get_storage().open(key) as handle:
        return rewrite_playlist(key, handle.read().decode(), url_for_key=stable_media_path)


def saveable_lesson(user: User, slug: str, lesson_id: uuid.UUID) -> learning.LessonAccess:
    """Saved copies are for learners with full access, like the MP4 download, of lessons open to them now."""
    access = learning.viewable_lesson(user, slug, lesson_id)
    if not access.full_access:
        raise learning.LessonLocked()
    return access


def course_plans(user: User, slug: str, quality: str) -> list[SavePlan]:
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        raise learning.LessonNotFound()
    enrollment = learning.get_enrollment(user.id, course.id)
    if not learning.access_given(user, course, enrollment):
        raise learning.LessonLocked()
    locked = release.section_locks(user, course, enrollment)  # sections not released to this learner yet
    return [lesson_plan(course, lesson, quality) for section in learning.course_outline(course.id)
            if section.id not in locked for lesson in section.lessons if lesson.is_published]


def still_allowed(user: User, lesson_ids: list[uuid.UUID]) -> dict[str, int]:
    """Of the lessons saved on a phone, those this learner may still keep, each with how long (one query)."""
    rows = db.session.execute(
        select(Lesson, Course, Enrollment)
        .join(Course, Course.id == Lesson.course_id)
        .outerjoin(Enrollment, and_(Enrollment.course_id == Course.id, Enrollment.student_id == user.id))
        .where(Lesson.id.in_(lesson_ids))
    ).all()
    until = access_until()
    return {str(lesson.id): until for lesson, course, enrollment in rows
            if lesson.is_published and learning.access_given(user, course, enrollment)}


# ---------------------------------------------------------------- the queue a phone sends when back online

class Refused(Exception):
    """The server's rules do not allow this change (no access any more, a closed attempt...)."""


def _apply_progress(user: User, item: dict) -> None:
    position = float(item["position"])
    if not 0 <= position < 10**7:
        raise Refused()
    learning.record_position(user, str(item["slug"]), uuid.UUID(str(item["lesson_id"])), position)


def _own_attempt(user: User, item: dict) -> tuple[Quiz, QuizAttempt]:
    attempt = db.session.get(QuizAttempt, uuid.UUID(str(item["attempt_id"])))
    if attempt is None or attempt.student_id != user.id:
        raise Refused()
    quiz = quizzes.quiz_for_learner(attempt.quiz_id)
    course = quiz and db.session.get(Course, quiz.course_id)
    if course is None or not learning.has_access(user, course):
        raise Refused()
    learning.released_quiz(user, course, quiz)  # as online: a section closed again (SectionLocked) refuses
    return quiz, attempt


def _fields(item: dict) -> dict[str, list[str]]:
    return {str(name): [str(value) for value in values] for name, values in dict(item["fields"]).items()}


def _apply_answer(user: User, item: dict) -> None:
    """One question answered offline; refused (not counted) when it arrives after the attempt's deadline."""
    quiz, attempt = _own_attempt(user, item)
    quizzes.save_answer(quiz, attempt, uuid.UUID(str(item["question_id"])), _fields(item))


def _apply_quiz(user: User, item: dict) -> None:
    """A submission made offline; after the deadline it is scored as at the deadline, as online."""
    quiz, attempt = _own_attempt(user, item)
    learning.credit_quiz_attempts(quiz, quizzes.submit_attempt(quiz, attempt, _fields(item)))


APPLY = {"progress": _apply_progress, "answer": _apply_answer, "quiz": _apply_quiz}


def apply_queue(user: User, items: list) -> dict[str, str]:
    """Apply each queued change in the order sent, under the same rules as online; a change already received
    (its client id is known) is not applied again. Returns client id -> applied / refused / duplicate."""
    outcomes: dict[str, str] = {}
    for item in items:
        try:
            client_id, apply = uuid.UUID(str(item["id"])), APPLY[item["kind"]]
        except (KeyError, TypeError, ValueError):
            continue
        # The receipt goes in first: a queue sent from two tabs at once applies each change once.
        try:
            with db.session.begin_nested():
                receipt = OfflineReceipt(user_id=user.id, client_id=client_id, kind=item["kind"], outcome="applied")
                db.session.add(receipt)
                db.session.flush()
                try:
                    with db.session.begin_nested():
                        apply(user, item)
                except (Refused, learning.LessonNotFound, learning.LessonLocked, quizzes.QuizError,
                        KeyError, TypeError, ValueError):
                    receipt.outcome = "refused"
            outcome = receipt.outcome
        except IntegrityError:
            outcome = "duplicate"
        outcomes[str(client_id)] = outcome
    return outcomes


# ---------------------------------------------------------------- the person's data (privacy calls these)

def export_user_data(user: User) -> dict[str, list[dict]]:
    receipts = db.session.scalars(select(OfflineReceipt).where(OfflineReceipt.user_id == user.id)
                                  .order_by(OfflineReceipt.created_at))
    return {"offline_receipts": [{"kind": r.kind, "outcome": r.outcome, "date": r.created_at} for r in receipts]}


def erase_user_data(user: User) -> None:
    db.session.execute(delete(OfflineReceipt).where(OfflineReceipt.user_id == user.id))
