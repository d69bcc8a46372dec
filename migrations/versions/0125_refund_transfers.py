"""payments: refunds sent back through PayHero's withdraw (B2C) as payouts to the learner

A payout row is either an instructor's payout (``instructor_id``) or the transfer of an approved refund
back to the learner's M-Pesa (``refund_request_id``, one per request); ``refund_requests.sent_at`` is set
once PayHero confirmed that transfer.

Revision ID: 0125
Revises: 0113
"""
from alembic import op
import sqlalchemy as sa

revision = "0125"
down_revision = "0113"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("payouts", schema=None) as batch_op:
        batch_op.alter_column("instructor_id", existing_type=sa.Uuid(), nullable=True)
        batch_op.add_column(sa.Column("refund_request_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_payouts_refund_request_id_refund_requests"), "refund_requests",
                                    ["refund_request_id"], ["id"])
        batch_op.create_unique_constraint(batch_op.f("uq_payouts_refund_request_id"), ["refund_request_id"])
        batch_op.create_check_constraint(batch_op.f("ck_payouts_one_recipient"),
                                         "(instructor_id IS NULL) <> (refund_request_id IS NULL)")
    with op.batch_alter_table("refund_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    op.execute("DELETE FROM payout_events WHERE payout_id IN (SELECT id FROM payouts WHERE instructor_id IS NULL)")
    op.execute("DELETE FROM payouts WHERE instructor_id IS NULL")
    with op.batch_alter_table("refund_requests", schema=None) as batch_op:
        batch_op.drop_column("sent_at")
    with op.batch_alter_table("payouts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_payouts_one_recipient"), type_="check")
        batch_op.drop_constraint(batch_op.f("uq_payouts_refund_request_id"), type_="unique")
        batch_op.drop_constraint(batch_op.f("fk_payouts_refund_request_id_refund_requests"), type_="foreignkey")
        batch_op.drop_column("refund_request_id")
        batch_op.alter_column("instructor_id", existing_type=sa.Uuid(), nullable=False)
