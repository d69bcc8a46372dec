from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mwanzo.auth.models import User
from mwanzo.database import Base, TimestampedModel, str_enum, utcnow
from mwanzo.labels import labels


class Level(enum.StrEnum):
    BEGINNER = "BEGINNER"
    INTERMEDIATE = "INTERMEDIATE"
    ADVANCED = "ADVANCED"


labels(Level, {Level.BEGINNER: _l("Beginner"), Level.INTERMEDIATE: _l("Intermediate"), Level.ADVANCED: _l("Advanced")})


class CourseStatus(enum.StrEnum):
    DRAFT = "DRAFT"
    PENDING_REVIEW = "PENDING_REVIEW"
    PUBLISHED = "PUBLISHED"
    REJECTED = "REJECTED"


labels(CourseStatus, {CourseStatus.DRAFT: _l("Draft"), CourseStatus.PENDING_REVIEW: _l("In review"),
                      CourseStatus.PUBLISHED: _l("Published"), CourseStatus.REJECTED: _l("Rejected")})


class RevisionStatus(enum.StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class LessonKind(enum.StrEnum):
    VIDEO = "VIDEO"
    TEXT = "TEXT"


labels(LessonKind, {LessonKind.VIDEO: _l("Video"), LessonKind.TEXT: _l("Text (Markdown)")})


class ProcessingStatus(enum.StrEnum):
    UPLOADED = "UPLOADED"
    PROCESSING = "PROCESSING"
    READY = "READY"
    FAILED = "FAILED"


labels(ProcessingStatus, {ProcessingStatus.UPLOADED: _l("queued"), ProcessingStatus.PROCESSING: _l("processing"),
                          ProcessingStatus.READY: _l("ready"), ProcessingStatus.FAILED: _l("failed")})


BLANK = " \t\r\n"  # what a text lesson may hold and still be empty


class Category(TimestampedModel):
    __tablename__ = "categories"

    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    slug: Mapped[str] = mapped_column(sa.String(100), unique=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    display_order: Mapped[int] = mapped_column(default=0)


class Course(TimestampedModel):
    __tablename__ = "courses"
    __table_args__ = (
        sa.CheckConstraint("price >= 0", name="price_not_negative"),
        sa.CheckConstraint("original_price IS NULL OR original_price >= 0", name="original_price_not_negative"),
        sa.CheckConstraint("average_rating >= 0 AND average_rating <= 5", name="rating_range"),
        sa.Index("ix_courses_status_published_at", "status", "published_at"),
        # The catalog's default order ("most popular"), walked backwards; and narrow indexes for its facets.
        sa.Index("ix_courses_status_popularity", "status", "enrollment_count", "published_at", "id"),
        sa.Index("ix_courses_status_category", "status", "category_id"),
        sa.Index("ix_courses_status_language", "status", "language"),
        # Full-text search (PostgreSQL): the vector is kept current by triggers (migration 0003).
        sa.Index("ix_courses_search_vector", "search_vector", postgresql_using="gin"),
        # Typo-tolerant fallback: pg_trgm similarity on titles.
        sa.Index("ix_courses_title_trgm", "title", postgresql_using="gin", postgresql_ops={"title": "gin_trgm_ops"}),
    )

    title: Mapped[str] = mapped_column(sa.String(200))
    slug: Mapped[str] = mapped_column(sa.String(220), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    short_description: Mapped[str | None] = mapped_column(sa.String(300))
    learning_objectives: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    requirements: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    category_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("categories.id"), index=True)
    instructor_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), index=True)
    price: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    original_price: Mapped[Decimal | None]
    thumbnail_key: Mapped[str | None] = mapped_column(sa.String(500))
    # Sizes written at upload, e.g. {"webp": {"320": key, ...}, "jpeg": {...}, "width": .., "height": ..}
    thumbnail_renditions: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    level: Mapped[Level] = mapped_column(str_enum(Level), default=Level.BEGINNER)
    language: Mapped[str] = mapped_column(sa.String(50), default="English")
    status: Mapped[CourseStatus] = mapped_column(str_enum(CourseStatus), default=CourseStatus.DRAFT, index=True)
    rejection_reason: Mapped[str | None] = mapped_column(sa.Text)
    duration_minutes: Mapped[int] = mapped_column(default=0)
    lecture_count: Mapped[int] = mapped_column(default=0)
    enrollment_count: Mapped[int] = mapped_column(default=0)
    average_rating: Mapped[Decimal] = mapped_column(sa.Numeric(3, 2), default=Decimal("0"))
    rating_count: Mapped[int] = mapped_column(default=0)
    is_featured: Mapped[bool] = mapped_column(default=False, index=True)
    published_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    # Weighted document (title A; short description, category B; instructor C; description D), written by
    # database triggers on PostgreSQL; unused on SQLite, where search falls back to LIKE.
    search_vector: Mapped[str | None] = mapped_column(
        TSVECTOR().with_variant(sa.Text(), "sqlite"), deferred=True, deferred_raiseload=True
    )

    category: Mapped[Category] = relationship(lazy="raise_on_sql")
    instructor: Mapped[User] = relationship(lazy="raise_on_sql")
    sections: Mapped[list[Section]] = relationship(
        back_populates="course", order_by="Section.display_order", cascade="all, delete-orphan", lazy="raise_on_sql"
    )

    @property
    def is_free(self) -> bool:
        return self.price == 0

    @property
    def is_discounted(self) -> bool:
        return self.original_price is not None and self.original_price > self.price


class FormerSlug(Base):
    """An address a course had before a title change gave it a new slug. Links already shared (WhatsApp,
    emails, certificates) keep working: a request for a former slug is redirected to the course's current one
    (catalog/views.py: redirect_former_slug). A slug belongs to the course that held it last, and while any
    course holds it as its slug it is that course's address, not a redirect."""

    __tablename__ = "course_former_slugs"

    slug: Mapped[str] = mapped_column(sa.String(220), primary_key=True)
    course_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    replaced_at: Mapped[datetime] = mapped_column(default=utcnow)


class TitleWord(Base):
    """Every word that has appeared in a course title (PostgreSQL: added by a trigger, migration 0120): the
    vocabulary a misspelt search is corrected against, through a trigram index on this small table rather
    than a similarity scan of every title. Never pruned: a word no title has any more corrects to nothing."""

    __tablename__ = "course_title_words"
    __table_args__ = (
        sa.Index("ix_course_title_words_trgm", "word", postgresql_using="gin", postgresql_ops={"word": "gin_trgm_ops"}),
    )

    word: Mapped[str] = mapped_column(sa.String(64), primary_key=True)


class Section(TimestampedModel):
    __tablename__ = "sections"
    __table_args__ = (sa.Index("ix_sections_course_order", "course_id", "display_order"),)

    course_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(200))
    display_order: Mapped[int] = mapped_column(default=0)

    course: Mapped[Course] = relationship(back_populates="sections", lazy="raise_on_sql")
    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="section", order_by="Lesson.display_order", cascade="all, delete-orphan", lazy="raise_on_sql"
    )


class Lesson(TimestampedModel):
    """A lesson of a course: a video (transcoded into renditions) or a Markdown text."""

    __tablename__ = "lessons"
    __table_args__ = (
        sa.Index("ix_lessons_section_order", "section_id", "display_order"),
        sa.CheckConstraint("processing_progress >= 0 AND processing_progress <= 100", name="progress_range"),
    )

    course_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    section_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("sections.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str | None] = mapped_column(sa.Text)
    kind: Mapped[LessonKind] = mapped_column(str_enum(LessonKind), default=LessonKind.VIDEO)
    body_markdown: Mapped[str | None] = mapped_column(sa.Text)
    display_order: Mapped[int] = mapped_column(default=0)
    duration_seconds: Mapped[int] = mapped_column(default=0)
    source_key: Mapped[str | None] = mapped_column(sa.String(500))
    media_prefix: Mapped[str | None] = mapped_column(sa.String(500))
    # [{"name": "360p", "height": 360, "bandwidth": 600000, "playlist": key, "bytes": n}, ...]
    renditions: Mapped[list[dict]] = mapped_column(sa.JSON, default=list)
    download_key: Mapped[str | None] = mapped_column(sa.String(500))
    download_bytes: Mapped[int | None] = mapped_column(sa.BigInteger)
    poster_key: Mapped[str | None] = mapped_column(sa.String(500))
    is_preview: Mapped[bool] = mapped_column(default=False)
    is_published: Mapped[bool] = mapped_column(default=True)
    processing_status: Mapped[ProcessingStatus | None] = mapped_column(str_enum(ProcessingStatus), index=True)
    processing_progress: Mapped[int] = mapped_column(default=0)
    processing_error: Mapped[str | None] = mapped_column(sa.Text)
    processing_started_at: Mapped[datetime | None]
    processing_attempts: Mapped[int] = mapped_column(default=0)

    section: Mapped[Section] = relationship(back_populates="lessons", lazy="raise_on_sql")
    course: Mapped[Course] = relationship(foreign_keys=[course_id], lazy="raise_on_sql")
    captions: Mapped[list[LessonCaption]] = relationship(
        back_populates="lesson", order_by="LessonCaption.language", cascade="all, delete-orphan",
        passive_deletes=True, lazy="raise_on_sql")

    # The one "lesson is ready" rule, in Python and in SQL: course counters, the review checklist and
    # the lessons a learner must finish all count these lessons and no others.
    @hybrid_property
    def video_ready(self) -> bool:
        """A video lesson whose file finished processing: the player has something to play."""
        return self.kind == LessonKind.VIDEO and self.processing_status == ProcessingStatus.READY

    @video_ready.inplace.expression
    @classmethod
    def _video_ready_expression(cls):
        return sa.and_(cls.kind == LessonKind.VIDEO, cls.processing_status == ProcessingStatus.READY)

    @hybrid_property
    def is_ready(self) -> bool:
        """A learner can take it: a published text lesson with content, or a published, processed video."""
        if not self.is_published:
            return False
        if self.kind == LessonKind.TEXT:
            return bool((self.body_markdown or "").strip(BLANK))
        return self.processing_status == ProcessingStatus.READY

    @is_ready.inplace.expression
    @classmethod
    def _is_ready_expression(cls):
        has_text = sa.func.trim(sa.func.coalesce(cls.body_markdown, ""), BLANK) != ""
        return sa.and_(cls.is_published.is_(True),
                       sa.or_(sa.and_(cls.kind == LessonKind.TEXT, has_text), cls.video_ready))


class LessonCaption(TimestampedModel):
    """One language's captions for a lesson: the WebVTT file learners' players load (stored like the video)
    and its cues as data, for the transcript under the player and the course's transcript search."""

    __tablename__ = "lesson_captions"
    __table_args__ = (sa.UniqueConstraint("lesson_id", "language", name="uq_lesson_captions_lesson_language"),)

    lesson_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("lessons.id", ondelete="CASCADE"))
    course_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(sa.String(8))  # a key of mwanzo.media.captions.LANGUAGES
    key: Mapped[str] = mapped_column(sa.String(500))
    bytes: Mapped[int] = mapped_column(default=0)
    # [[start_ms, end_ms, "text"], ...] in time order
    cues: Mapped[list[list]] = mapped_column(sa.JSON, default=list)
    # The cues' words, one cue a line, lower-cased: what transcript search matches against.
    search_text: Mapped[str] = mapped_column(sa.Text, default="")

    lesson: Mapped[Lesson] = relationship(back_populates="captions", lazy="raise_on_sql")


class ResourceKind(enum.StrEnum):
    PDF = "PDF"
    SLIDES = "SLIDES"
    SPREADSHEET = "SPREADSHEET"


labels(ResourceKind, {ResourceKind.PDF: _l("PDF"), ResourceKind.SLIDES: _l("Slides"),
                      ResourceKind.SPREADSHEET: _l("Spreadsheet")})


class LessonResource(TimestampedModel):
    """A file attached to a lesson (PDF, slides, spreadsheet), stored like the video, downloaded through a
    signed URL by those who may open the lesson."""

    __tablename__ = "lesson_resources"
    __table_args__ = (sa.Index("ix_lesson_resources_lesson_created", "lesson_id", "created_at"),)

    lesson_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("lessons.id", ondelete="CASCADE"))
    course_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    filename: Mapped[str] = mapped_column(sa.String(200))  # what the learner's download is saved as
    kind: Mapped[ResourceKind] = mapped_column(str_enum(ResourceKind))
    key: Mapped[str] = mapped_column(sa.String(500))
    bytes: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class Review(TimestampedModel):
    __tablename__ = "reviews"
    __table_args__ = (
        sa.UniqueConstraint("student_id", "course_id", name="uq_reviews_student_course"),
        sa.CheckConstraint("rating >= 1 AND rating <= 5", name="rating_range"),
        sa.Index("ix_reviews_course_created", "course_id", "created_at"),
    )

    course_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"))
    student_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), index=True)
    rating: Mapped[int]
    text: Mapped[str | None] = mapped_column(sa.Text)
    # The instructor's one public reply.
    reply: Mapped[str | None] = mapped_column(sa.Text)
    replied_at: Mapped[datetime | None]
    # Hidden by a moderator: others read "removed by a moderator"; the author sees it with the reason.
    hidden_at: Mapped[datetime | None]
    hidden_reason: Mapped[str | None] = mapped_column(sa.Text)

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def author_id(self) -> uuid.UUID:
        return self.student_id

    student: Mapped[User] = relationship(lazy="raise_on_sql")


class CourseReviewDecision(TimestampedModel):
    """The course's history: submissions and each admin decision, with who and why."""

    __tablename__ = "course_review_decisions"

    course_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"))
    from_status: Mapped[CourseStatus] = mapped_column(str_enum(CourseStatus, name="from_status"))
    to_status: Mapped[CourseStatus] = mapped_column(str_enum(CourseStatus, name="to_status"))
    reason: Mapped[str | None] = mapped_column(sa.Text)

    actor: Mapped[User] = relationship(lazy="raise_on_sql")


class CourseRevision(TimestampedModel):
    """Changes to a published course held for review; learners keep the approved rows meanwhile.

    ``changes`` holds only what differs from the live rows, as JSON:
    ``{"course": {field: value}, "sections": {id: {"title": ..}}, "lessons": {id: {field: value}},
    "new_sections": [id], "new_lessons": {id: visible}}``. Sections and lessons added meanwhile are real rows
    (a new video must be transcoded before review) that learners cannot see: a new lesson is unpublished and
    ``new_lessons`` keeps the visibility the instructor chose for it. A course has at most one PENDING
    revision; ``version`` grows with every edit, so an admin approves exactly what they read.
    """

    __tablename__ = "course_revisions"
    __table_args__ = (
        sa.Index("uq_course_revisions_pending", "course_id", unique=True,
                 postgresql_where=sa.text("status = 'PENDING'"), sqlite_where=sa.text("status = 'PENDING'")),
    )

    course_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"))
    status: Mapped[RevisionStatus] = mapped_column(str_enum(RevisionStatus), default=RevisionStatus.PENDING)
    changes: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    version: Mapped[int] = mapped_column(default=1)
    reviewer_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    decided_at: Mapped[datetime | None]

    course: Mapped[Course] = relationship(lazy="raise_on_sql")
    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="raise_on_sql")


class TransferKind(enum.StrEnum):
    EXPORT = "EXPORT"
    IMPORT = "IMPORT"


class TransferStatus(enum.StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    DONE = "DONE"
    FAILED = "FAILED"


labels(TransferStatus, {TransferStatus.QUEUED: _l("queued"), TransferStatus.RUNNING: _l("working"),
                        TransferStatus.DONE: _l("ready"), TransferStatus.FAILED: _l("failed")})


class CourseTransfer(TimestampedModel):
    """A large course export or import, run as a job (mwanzo/studio/copies.py): the archive waits in storage
    at ``archive_key``; an export's course is its source, an import's the draft it made."""

    __tablename__ = "course_transfers"

    kind: Mapped[TransferKind] = mapped_column(str_enum(TransferKind))
    status: Mapped[TransferStatus] = mapped_column(str_enum(TransferStatus), default=TransferStatus.QUEUED)
    owner_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("courses.id", ondelete="SET NULL"))
    archive_key: Mapped[str] = mapped_column(sa.String(500))
    archive_name: Mapped[str] = mapped_column(sa.String(250))
    error: Mapped[str | None] = mapped_column(sa.Text)
    # How many times a job started it (a worker that died leaves it RUNNING; the sweep queues it again).
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    # When its archive leaves storage (an export's download, an import's upload kept for "try again").
    expires_at: Mapped[datetime | None] = mapped_column()
