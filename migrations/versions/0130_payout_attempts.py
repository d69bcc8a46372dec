"""payments: a refund transfer sent again keeps its earlier transfers' references

``payout_attempts`` holds each transfer a retry replaced (our external reference, PayHero's reference and,
once M-Pesa confirms it paid after all, its receipt), so PayHero's late callback about it still finds the
payout; ``payouts.overpaid_since`` marks a payout two of whose transfers were paid.

Revision ID: 0130
Revises: 0129
"""
from alembic import op
import sqlalchemy as sa

revision = "0130"
down_revision = "0129"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "payout_attempts",
        sa.Column("payout_id", sa.Uuid(), nullable=False),
        sa.Column("external_reference", sa.String(length=64), nullable=False),
        sa.Column("provider_reference", sa.String(length=100), nullable=True),
        sa.Column("transaction_id", sa.String(length=40), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["payout_id"], ["payouts.id"], name=op.f("fk_payout_attempts_payout_id_payouts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_attempts")),
        sa.UniqueConstraint("external_reference", name=op.f("uq_payout_attempts_external_reference")),
        sa.UniqueConstraint("transaction_id", name=op.f("uq_payout_attempts_transaction_id")),
    )
    with op.batch_alter_table("payout_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payout_attempts_payout_id"), ["payout_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payout_attempts_provider_reference"), ["provider_reference"],
                              unique=False)
    with op.batch_alter_table("payouts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("overpaid_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_payouts_overpaid_since"), ["overpaid_since"], unique=False)


def downgrade():
    with op.batch_alter_table("payouts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payouts_overpaid_since"))
        batch_op.drop_column("overpaid_since")
    op.drop_table("payout_attempts")
