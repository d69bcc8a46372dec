"""offline receipts: each change a phone queued without a connection, applied once

Revision ID: 0121
Revises: 0120
"""
from alembic import op
import sqlalchemy as sa

revision = "0121"
down_revision = "0120"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "offline_receipts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_offline_receipts_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offline_receipts")),
        sa.UniqueConstraint("user_id", "client_id", name="uq_offline_receipts_user_client"),
    )


def downgrade():
    op.drop_table("offline_receipts")
