"""question types and banks: short-answer, numeric and matching questions, a question bank per course that
quizzes draw from, typed answers, and per-learner extra time or attempts

``questions.course_id`` is filled from each question's quiz; a question without a quiz (``quiz_id`` NULL)
sits in its course's bank.

Revision ID: 0123
Revises: 0125
"""
from alembic import op
import sqlalchemy as sa

revision = "0123"
down_revision = "0125"
branch_labels = None
depends_on = None

OLD_KINDS = ("SINGLE", "MULTIPLE", "TRUE_FALSE")
NEW_KINDS = OLD_KINDS + ("SHORT_ANSWER", "NUMERIC", "MATCHING")


def kind_type(values):
    return sa.Enum(*values, name="questionkind", native_enum=False, create_constraint=True, length=20)


def upgrade():
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.alter_column("kind", existing_type=kind_type(OLD_KINDS), type_=kind_type(NEW_KINDS),
                              existing_nullable=False)
        batch_op.add_column(sa.Column("course_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("numeric_answer", sa.Numeric(precision=18, scale=6), nullable=True))
        batch_op.add_column(sa.Column("numeric_tolerance", sa.Numeric(precision=18, scale=6), nullable=True))
    op.execute("UPDATE questions SET course_id = (SELECT quizzes.course_id FROM quizzes "
               "WHERE quizzes.id = questions.quiz_id)")
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.alter_column("course_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.alter_column("quiz_id", existing_type=sa.Uuid(), nullable=True)
        batch_op.create_foreign_key(batch_op.f("fk_questions_course_id_courses"), "courses", ["course_id"], ["id"],
                                    ondelete="CASCADE")
        batch_op.create_index(batch_op.f("ix_questions_course_id"), ["course_id"], unique=False)
        batch_op.create_check_constraint(
            "numeric_tolerance_not_negative", "numeric_tolerance IS NULL OR numeric_tolerance >= 0")
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("match_text", sa.Text(), nullable=True))
    with op.batch_alter_table("student_answers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("response", sa.JSON(), nullable=True))
    with op.batch_alter_table("quizzes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bank_draw", sa.Integer(), nullable=True))
        batch_op.create_check_constraint("bank_draw_positive", "bank_draw IS NULL OR bank_draw > 0")
    op.create_table(
        "quiz_allowances",
        sa.Column("quiz_id", sa.Uuid(), nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column("extra_attempts", sa.Integer(), nullable=False),
        sa.Column("extra_seconds", sa.Integer(), nullable=False),
        sa.Column("granted_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("extra_attempts >= 0 AND extra_seconds >= 0",
                           name=op.f("ck_quiz_allowances_extras_not_negative")),
        sa.ForeignKeyConstraint(["quiz_id"], ["quizzes.id"], name=op.f("fk_quiz_allowances_quiz_id_quizzes"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["student_id"], ["users.id"], name=op.f("fk_quiz_allowances_student_id_users"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["granted_by_id"], ["users.id"], name=op.f("fk_quiz_allowances_granted_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_allowances")),
        sa.UniqueConstraint("quiz_id", "student_id", name="uq_quiz_allowances_quiz_student"),
    )
    op.create_index(op.f("ix_quiz_allowances_quiz_id"), "quiz_allowances", ["quiz_id"], unique=False)
    op.create_index(op.f("ix_quiz_allowances_student_id"), "quiz_allowances", ["student_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_quiz_allowances_student_id"), table_name="quiz_allowances")
    op.drop_index(op.f("ix_quiz_allowances_quiz_id"), table_name="quiz_allowances")
    op.drop_table("quiz_allowances")
    with op.batch_alter_table("quizzes", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_quizzes_bank_draw_positive"), type_="check")
        batch_op.drop_column("bank_draw")
    with op.batch_alter_table("student_answers", schema=None) as batch_op:
        batch_op.drop_column("response")
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.drop_column("match_text")
    # Bank questions and the new kinds have no place in the old schema.
    op.execute("DELETE FROM questions WHERE quiz_id IS NULL OR kind IN ('SHORT_ANSWER', 'NUMERIC', 'MATCHING')")
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_questions_numeric_tolerance_not_negative"), type_="check")
        batch_op.drop_index(batch_op.f("ix_questions_course_id"))
        batch_op.drop_constraint(batch_op.f("fk_questions_course_id_courses"), type_="foreignkey")
        batch_op.alter_column("quiz_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.drop_column("numeric_tolerance")
        batch_op.drop_column("numeric_answer")
        batch_op.drop_column("course_id")
        batch_op.alter_column("kind", existing_type=kind_type(NEW_KINDS), type_=kind_type(OLD_KINDS),
                              existing_nullable=False)
