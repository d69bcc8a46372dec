"""lesson captions and resources: one WebVTT file per lesson and language, with its cues for the transcript
and search; files (PDF, slides, spreadsheets) attached to lessons

Replaces ``lessons.captions_key`` (nothing could ever set it) and remembers each learner's captions choice
(``users.captions_language``: NULL is off).

Revision ID: 0113
Revises: 0111
"""
from alembic import op
import sqlalchemy as sa

revision = "0113"
down_revision = "0112"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "lesson_captions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("lesson_id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("key", sa.String(length=500), nullable=False),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.Column("cues", sa.JSON(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["lesson_id"], ["lessons.id"], name=op.f("fk_lesson_captions_lesson_id_lessons"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["course_id"], ["courses.id"], name=op.f("fk_lesson_captions_course_id_courses"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lesson_captions")),
        sa.UniqueConstraint("lesson_id", "language", name="uq_lesson_captions_lesson_language"),
    )
    op.create_index(op.f("ix_lesson_captions_course_id"), "lesson_captions", ["course_id"], unique=False)
    op.create_table(
        "lesson_resources",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("lesson_id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.Enum("PDF", "SLIDES", "SPREADSHEET", name="resourcekind", native_enum=False,
                                  create_constraint=True, length=20), nullable=False),
        sa.Column("key", sa.String(length=500), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["lesson_id"], ["lessons.id"], name=op.f("fk_lesson_resources_lesson_id_lessons"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["course_id"], ["courses.id"], name=op.f("fk_lesson_resources_course_id_courses"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lesson_resources")),
    )
    op.create_index(op.f("ix_lesson_resources_course_id"), "lesson_resources", ["course_id"], unique=False)
    op.create_index("ix_lesson_resources_lesson_created", "lesson_resources", ["lesson_id", "created_at"],
                    unique=False)
    with op.batch_alter_table("lessons", schema=None) as batch_op:
        batch_op.drop_column("captions_key")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("captions_language", sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("captions_language")
    with op.batch_alter_table("lessons", schema=None) as batch_op:
        batch_op.add_column(sa.Column("captions_key", sa.String(length=500), nullable=True))
    op.drop_index("ix_lesson_resources_lesson_created", table_name="lesson_resources")
    op.drop_index(op.f("ix_lesson_resources_course_id"), table_name="lesson_resources")
    op.drop_table("lesson_resources")
    op.drop_index(op.f("ix_lesson_captions_course_id"), table_name="lesson_captions")
    op.drop_table("lesson_captions")
