"""payments: PUSH_UNKNOWN status and the operator attention queue

A push that timed out is PUSH_UNKNOWN (the prompt may still reach the phone), not PUSH_FAILED.
Payments where M-Pesa may have taken money without the learner getting the course carry an
``attention`` reason until an answer from M-Pesa or an operator settles them; a success callback
that matched no payment stays listed until an operator records its refund (``resolved_at``).

Revision ID: 0107
Revises: 0106
"""
from alembic import op
import sqlalchemy as sa

revision = "0107"
down_revision = "0106"
branch_labels = None
depends_on = None

OLD_STATUSES = ("PENDING", "PUSH_FAILED", "SUCCESS", "FAILED", "CANCELLED", "EXPIRED", "REFUNDED")
NEW_STATUSES = ("PENDING", "PUSH_FAILED", "PUSH_UNKNOWN", "SUCCESS", "FAILED", "CANCELLED", "EXPIRED", "REFUNDED")
ATTENTION = ("PUSH_UNKNOWN", "UNVERIFIED_SUCCESS", "AMOUNT_MISMATCH", "DUPLICATE_SUCCESS")


def status_type(values):
    return sa.Enum(*values, name="paymentstatus", native_enum=False, create_constraint=True, length=20)


def upgrade():
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.alter_column("status", existing_type=status_type(OLD_STATUSES), type_=status_type(NEW_STATUSES),
                              existing_nullable=False)
        batch_op.add_column(sa.Column("attention", sa.Enum(*ATTENTION, name="attention", native_enum=False,
                                                           create_constraint=True, length=20), nullable=True))
        batch_op.add_column(sa.Column("claimed_receipt", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("resolved_by_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_payments_resolved_by_id_users"), "users", ["resolved_by_id"], ["id"])
        batch_op.create_index(batch_op.f("ix_payments_attention"), ["attention"], unique=False)
    with op.batch_alter_table("payment_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    op.execute("UPDATE payments SET status = 'PUSH_FAILED' WHERE status = 'PUSH_UNKNOWN'")
    with op.batch_alter_table("payment_events", schema=None) as batch_op:
        batch_op.drop_column("resolved_at")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_attention"))
        batch_op.drop_constraint(batch_op.f("fk_payments_resolved_by_id_users"), type_="foreignkey")
        batch_op.drop_column("resolved_by_id")
        batch_op.drop_column("resolved_at")
        batch_op.drop_column("claimed_receipt")
        batch_op.drop_constraint(batch_op.f("ck_payments_attention"), type_="check")
        batch_op.drop_column("attention")
        batch_op.alter_column("status", existing_type=status_type(NEW_STATUSES), type_=status_type(OLD_STATUSES),
                              existing_nullable=False)
