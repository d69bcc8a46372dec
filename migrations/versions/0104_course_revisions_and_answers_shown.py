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
    with op.batch_alter_table("quizzes", schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            "answers_shown",
            sa.Enum("AFTER_LAST_ATTEMPT", "IMMEDIATELY", "NEVER", name="answersshown", native_enum=False,
                    create_constraint=True, length=20),
            server_default="AFTER_LAST_ATTEMPT", nullable=False))


def downgrade():
    with op.batch_alter_table("quizzes", schema=None) as batch_op:
        batch_op.drop_column("answers_shown")
