"""course revisions held for review, and when a quiz shows its correct answers

Revision ID: 0104
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = "0104"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "course_revisions",
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.Enum("PENDING", "APPROVED", "REJECTED", name="revisionstatus", native_enum=False,
                                    create_constraint=True, length=20), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_course_revisions_author_id_users")),
        sa.ForeignKeyConstraint(["course_id"], ["courses.id"], name=op.f("fk_course_revisions_course_id_courses"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["reviewer_id"], ["users.id"], name=op.f("fk_course_revisions_reviewer_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_revisions")),
    )
    with op.batch_alter_table("course_revisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_course_revisions_course_id"), ["course_id"], unique=False)
        batch_op.create_index("uq_course_revisions_pending", ["course_id"], unique=True,
                              postgresql_where=sa.text("status = 'PENDING'"),
                              sqlite_where=sa.text("status = 'PENDING'"))
    with op.batch_alter_table("quizzes", schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            "answers_shown",
            sa.Enum("AFTER_LAST_ATTEMPT", "IMMEDIATELY", "NEVER", name="answersshown", native_enum=False,
                    create_constraint=True, length=20),
            server_default="AFTER_LAST_ATTEMPT", nullable=False))


def downgrade():
    with op.batch_alter_table("quizzes", schema=None) as batch_op:
        batch_op.drop_column("answers_shown")
    op.drop_table("course_revisions")
