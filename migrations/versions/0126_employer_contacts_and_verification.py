"""employers: deleted jobs, verification of companies, messages to pool candidates

``jobs.deleted_at`` (a deleted job stays for its applicants' history), the verification columns of
``employer_profiles``, ``users.accepts_employer_messages`` (the learner's opt-out) and ``contact_requests``;
three more notification kinds.

Revision ID: 0126
Revises: 0123
"""
from alembic import op
import sqlalchemy as sa

revision = "0126"
down_revision = "0124"
branch_labels = None
depends_on = None

OLD_KINDS = ("ANSWER", "ACCEPTED", "ANNOUNCEMENT", "COURSE_DECISION", "PAYMENT", "APPLICATION")
NEW_KINDS = (*OLD_KINDS, "CONTACT_REQUEST", "CONTACT_ANSWER", "VERIFICATION")


def kind_type(values):
    return sa.Enum(*values, name="notificationkind", native_enum=False, create_constraint=True, length=20)


def upgrade():
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("employer_profiles", schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            "verification_status", sa.Enum("NONE", "PENDING", "VERIFIED", "REJECTED", name="verificationstatus",
                                           native_enum=False, create_constraint=True, length=20),
            nullable=False, server_default="NONE"))
        batch_op.add_column(sa.Column("registration_number", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("verification_details", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("verification_requested_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("verification_decided_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("verification_reason", sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f("ix_employer_profiles_verification_status"), ["verification_status"],
                              unique=False)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("accepts_employer_messages", sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.alter_column("kind", existing_type=kind_type(OLD_KINDS), type_=kind_type(NEW_KINDS),
                              existing_nullable=False)
    op.create_table(
        "contact_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("employer_id", sa.Uuid(), nullable=False),
        sa.Column("candidate_id", sa.Uuid(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("status", sa.Enum("PENDING", "ACCEPTED", "DECLINED", name="contactstatus", native_enum=False,
                                    create_constraint=True, length=20), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["employer_id"], ["users.id"], name=op.f("fk_contact_requests_employer_id_users"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["candidate_id"], ["users.id"], name=op.f("fk_contact_requests_candidate_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_requests")),
        sa.UniqueConstraint("employer_id", "candidate_id", name="uq_contact_requests_employer_candidate"),
    )
    op.create_index("ix_contact_requests_candidate_created", "contact_requests", ["candidate_id", "created_at"],
                    unique=False)


def downgrade():
    op.drop_index("ix_contact_requests_candidate_created", table_name="contact_requests")
    op.drop_table("contact_requests")
    op.execute(sa.text("DELETE FROM notifications WHERE kind IN ('CONTACT_REQUEST', 'CONTACT_ANSWER', 'VERIFICATION')"))
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.alter_column("kind", existing_type=kind_type(NEW_KINDS), type_=kind_type(OLD_KINDS),
                              existing_nullable=False)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("accepts_employer_messages")
    op.drop_index(op.f("ix_employer_profiles_verification_status"), table_name="employer_profiles")
    with op.batch_alter_table("employer_profiles", schema=None) as batch_op:
        batch_op.drop_column("verification_reason")
        batch_op.drop_column("verification_decided_at")
        batch_op.drop_column("verification_requested_at")
        batch_op.drop_column("verification_details")
        batch_op.drop_column("registration_number")
        batch_op.drop_constraint(batch_op.f("ck_employer_profiles_verificationstatus"), type_="check")
        batch_op.drop_column("verification_status")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("deleted_at")
