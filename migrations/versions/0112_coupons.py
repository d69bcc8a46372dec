"""payments: coupons and their redemptions, learners' refund requests, the platform share of each payment,
instructor payouts and their events

Revision ID: 0112
Revises: 0111
"""
from alembic import op
import sqlalchemy as sa

revision = "0112"
down_revision = "0111"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("platform_share_percent", sa.Numeric(5, 2), nullable=True))
    op.create_table(
        "coupons",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.Enum("PERCENT", "FIXED", name="couponkind", native_enum=False, create_constraint=True,
                                  length=20), nullable=False),
        sa.Column("value", sa.Numeric(10, 2), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("max_uses", sa.Integer(), nullable=True),
        sa.Column("per_learner", sa.Integer(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("value > 0", name=op.f("ck_coupons_value_positive")),
        sa.CheckConstraint("kind <> 'PERCENT' OR value <= 100", name=op.f("ck_coupons_percent_range")),
        sa.CheckConstraint("uses >= 0", name=op.f("ck_coupons_uses_not_negative")),
        sa.CheckConstraint("per_learner >= 1", name=op.f("ck_coupons_per_learner_positive")),
        sa.CheckConstraint("max_uses IS NULL OR max_uses >= 1", name=op.f("ck_coupons_max_uses_positive")),
        sa.ForeignKeyConstraint(["course_id"], ["courses.id"], name=op.f("fk_coupons_course_id_courses")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_coupons_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupons")),
        sa.UniqueConstraint("code", name=op.f("uq_coupons_code")),
    )
    op.create_index(op.f("ix_coupons_course_id"), "coupons", ["course_id"], unique=False)
    op.create_index(op.f("ix_coupons_created_by_id"), "coupons", ["created_by_id"], unique=False)
    op.create_table(
        "coupon_redemptions",
        sa.Column("coupon_id", sa.Uuid(), nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=True),
        sa.Column("amount_off", sa.Numeric(10, 2), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["coupon_id"], ["coupons.id"], name=op.f("fk_coupon_redemptions_coupon_id_coupons")),
        sa.ForeignKeyConstraint(["course_id"], ["courses.id"], name=op.f("fk_coupon_redemptions_course_id_courses")),
        sa.ForeignKeyConstraint(["payment_id"], ["payments.id"], name=op.f("fk_coupon_redemptions_payment_id_payments")),
        sa.ForeignKeyConstraint(["student_id"], ["users.id"], name=op.f("fk_coupon_redemptions_student_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_redemptions")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_coupon_redemptions_payment_id")),
    )
    op.create_index("ix_coupon_redemptions_coupon_student", "coupon_redemptions", ["coupon_id", "student_id"],
                    unique=False)
    op.create_index(op.f("ix_coupon_redemptions_student_id"), "coupon_redemptions", ["student_id"], unique=False)

    op.create_table(
        "refund_requests",
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("watched_percent", sa.Integer(), nullable=False),
        sa.Column("status", sa.Enum("REQUESTED", "APPROVED", "DECLINED", name="refundstatus", native_enum=False,
                                    create_constraint=True, length=20), nullable=False),
        sa.Column("decided_by_id", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"], name=op.f("fk_refund_requests_decided_by_id_users")),
        sa.ForeignKeyConstraint(["payment_id"], ["payments.id"], name=op.f("fk_refund_requests_payment_id_payments")),
        sa.ForeignKeyConstraint(["student_id"], ["users.id"], name=op.f("fk_refund_requests_student_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refund_requests")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_refund_requests_payment_id")),
    )
    op.create_index(op.f("ix_refund_requests_student_id"), "refund_requests", ["student_id"], unique=False)
    op.create_index(op.f("ix_refund_requests_status"), "refund_requests", ["status"], unique=False)

    op.create_table(
        "payouts",
        sa.Column("instructor_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.Numeric(10, 2), nullable=False),
        sa.Column("phone_number", sa.String(length=15), nullable=False),
        sa.Column("status", sa.Enum("REQUESTED", "APPROVED", "SENT", "PAID", "FAILED", "REJECTED", name="payoutstatus",
                                    native_enum=False, create_constraint=True, length=20), nullable=False),
        sa.Column("external_reference", sa.String(length=64), nullable=False),
        sa.Column("provider_reference", sa.String(length=100), nullable=True),
        sa.Column("transaction_id", sa.String(length=40), nullable=True),
        sa.Column("result_desc", sa.Text(), nullable=True),
        sa.Column("decided_by_id", sa.Uuid(), nullable=True),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payouts_amount_positive")),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"], name=op.f("fk_payouts_decided_by_id_users")),
        sa.ForeignKeyConstraint(["instructor_id"], ["users.id"], name=op.f("fk_payouts_instructor_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payouts")),
        sa.UniqueConstraint("external_reference", name=op.f("uq_payouts_external_reference")),
        sa.UniqueConstraint("transaction_id", name=op.f("uq_payouts_transaction_id")),
    )
    op.create_index(op.f("ix_payouts_instructor_id"), "payouts", ["instructor_id"], unique=False)
    op.create_index(op.f("ix_payouts_provider_reference"), "payouts", ["provider_reference"], unique=False)
    op.create_index(op.f("ix_payouts_status"), "payouts", ["status"], unique=False)
    op.create_table(
        "payout_events",
        sa.Column("payout_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["payout_id"], ["payouts.id"], name=op.f("fk_payout_events_payout_id_payouts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_events")),
    )
    op.create_index(op.f("ix_payout_events_payout_id"), "payout_events", ["payout_id"], unique=False)


def downgrade():
    op.drop_table("payout_events")
    op.drop_table("payouts")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_column("platform_share_percent")
    op.drop_table("refund_requests")
    op.drop_table("coupon_redemptions")
    op.drop_table("coupons")
