"""job reports: a job post can be reported and hidden by a moderator, like a question, answer or review

``content_reports.target`` gains JOB; ``jobs`` gains ``hidden_at`` and ``hidden_reason``.

Revision ID: 0122
Revises: 0126
"""
from alembic import op
import sqlalchemy as sa

revision = "0122"
down_revision = "0126"
branch_labels = None
depends_on = None

OLD_TARGETS = ("QUESTION", "ANSWER", "REVIEW")
NEW_TARGETS = ("QUESTION", "ANSWER", "REVIEW", "JOB")


def target_type(values):
    return sa.Enum(*values, name="reporttarget", native_enum=False, create_constraint=True, length=20)


def upgrade():
    with op.batch_alter_table("content_reports", schema=None) as batch_op:
        batch_op.alter_column("target", existing_type=target_type(OLD_TARGETS), type_=target_type(NEW_TARGETS),
                              existing_nullable=False)
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hidden_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("hidden_reason", sa.Text(), nullable=True))


def downgrade():
    op.execute("DELETE FROM content_reports WHERE target = 'JOB'")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("hidden_reason")
        batch_op.drop_column("hidden_at")
    with op.batch_alter_table("content_reports", schema=None) as batch_op:
        batch_op.alter_column("target", existing_type=target_type(NEW_TARGETS), type_=target_type(OLD_TARGETS),
                              existing_nullable=False)
