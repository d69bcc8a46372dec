"""section releases: a section may open only after an earlier section is finished, a quiz is passed, or some
days after the learner's enrolment (drip); course transfers: large course exports and imports run as jobs

Revision ID: 0124
Revises: 0123
"""
from alembic import op
import sqlalchemy as sa

revision = "0124"
down_revision = "0127"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "section_releases",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("section_id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("after_section_id", sa.Uuid(), nullable=True),
        sa.Column("quiz_id", sa.Uuid(), nullable=True),
        sa.Column("days_after_enrolment", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("days_after_enrolment IS NULL OR days_after_enrolment >= 0",
                           name=op.f("ck_section_releases_days_not_negative")),
        sa.ForeignKeyConstraint(["section_id"], ["sections.id"], name=op.f("fk_section_releases_section_id_sections"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["course_id"], ["courses.id"], name=op.f("fk_section_releases_course_id_courses"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["after_section_id"], ["sections.id"],
                                name=op.f("fk_section_releases_after_section_id_sections"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["quiz_id"], ["quizzes.id"], name=op.f("fk_section_releases_quiz_id_quizzes"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_section_releases")),
        sa.UniqueConstraint("section_id", name=op.f("uq_section_releases_section_id")),
    )
    op.create_index(op.f("ix_section_releases_course_id"), "section_releases", ["course_id"], unique=False)
    op.create_table(
        "course_transfers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.Enum("EXPORT", "IMPORT", name="transferkind", native_enum=False, create_constraint=True,
                                  length=20), nullable=False),
        sa.Column("status", sa.Enum("QUEUED", "RUNNING", "DONE", "FAILED", name="transferstatus", native_enum=False,
                                    create_constraint=True, length=20), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=True),
        sa.Column("archive_key", sa.String(length=500), nullable=False),
        sa.Column("archive_name", sa.String(length=250), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_course_transfers_owner_id_users"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["course_id"], ["courses.id"], name=op.f("fk_course_transfers_course_id_courses"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_transfers")),
    )
    op.create_index(op.f("ix_course_transfers_owner_id"), "course_transfers", ["owner_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_course_transfers_owner_id"), table_name="course_transfers")
    op.drop_table("course_transfers")
    op.drop_index(op.f("ix_section_releases_course_id"), table_name="section_releases")
    op.drop_table("section_releases")
