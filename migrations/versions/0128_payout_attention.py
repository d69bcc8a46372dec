"""payments: payouts whose withdraw went unanswered wait for an admin

``payouts.attention_since`` is set when a payout is SENT with no PayHero reference (the withdraw timed out or
its connection dropped) and transaction-status cannot be asked about it; an admin settles it from the M-Pesa
statement.

Revision ID: 0128
Revises: 0123
"""
from alembic import op
import sqlalchemy as sa

revision = "0128"
down_revision = "0123"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("payouts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attention_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_payouts_attention_since"), ["attention_since"], unique=False)


def downgrade():
    with op.batch_alter_table("payouts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payouts_attention_since"))
        batch_op.drop_column("attention_since")
