"""course transfers: attempts (a stale job is queued again, then failed) and when the archive expires

Revision ID: 0129
Revises: 0121
"""
from alembic import op
import sqlalchemy as sa

revision = "0129"
down_revision = "0121"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("course_transfers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("course_transfers", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
        batch_op.drop_column("attempts")
