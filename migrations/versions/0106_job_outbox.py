"""job outbox: jobs written in the transaction that asked for them, kept until Redis has them

Revision ID: 0106
Revises: 0104
"""
from alembic import op
import sqlalchemy as sa

revision = "0106"
down_revision = "0104"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "job_outbox",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("task", sa.String(length=200), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("queue_name", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_outbox")),
    )
    op.create_index(op.f("ix_job_outbox_delivered_at"), "job_outbox", ["delivered_at"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_job_outbox_delivered_at"), table_name="job_outbox")
    op.drop_table("job_outbox")
