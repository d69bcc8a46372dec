"""courses: the slugs a course had before a title change, so links to them redirect to its current page

Revision ID: 0132
Revises: 0131
"""
from alembic import op
import sqlalchemy as sa

revision = "0132"
down_revision = "0131"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "course_former_slugs",
        sa.Column("slug", sa.String(length=220), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["course_id"], ["courses.id"], name=op.f("fk_course_former_slugs_course_id_courses"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("slug", name=op.f("pk_course_former_slugs")),
    )
    op.create_index(op.f("ix_course_former_slugs_course_id"), "course_former_slugs", ["course_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_course_former_slugs_course_id"), table_name="course_former_slugs")
    op.drop_table("course_former_slugs")
