"""the weekly study reminder by SMS: each learner's opt-in (off until they choose it)

Revision ID: 0127
Revises: 0123
"""
from alembic import op
import sqlalchemy as sa

revision = "0127"
down_revision = "0128"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("sms_study_reminder", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_column("sms_study_reminder")
