"""drop columns no feature reads or writes

``users.profile_picture_url`` (no upload or display of profile pictures), ``users.email_product_updates``
(no product-update email exists; the weekly report has its own setting) and ``lessons.view_count``
(never counted; progress lives in video_progress).

Revision ID: 0108
Revises: 0107
"""
from alembic import op
import sqlalchemy as sa

revision = "0108"
down_revision = "0107"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("profile_picture_url")
        batch_op.drop_column("email_product_updates")
    with op.batch_alter_table("lessons", schema=None) as batch_op:
        batch_op.drop_column("view_count")


def downgrade():
    with op.batch_alter_table("lessons", schema=None) as batch_op:
        batch_op.add_column(sa.Column("view_count", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_product_updates", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column("profile_picture_url", sa.String(length=500), nullable=True))
