"""Migration 0123 on PostgreSQL and SQLite: existing questions land in their quiz's course, and the new
question kinds and bank questions (no quiz) are accepted by the upgraded schema."""
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from mwanzo import create_app
from mwanzo.extensions import db
from mwanzo.quizzes.models import Question, QuestionKind
from tests import factories
from tests.conftest import fresh_postgres_database


def upgrade_over_existing_questions(app) -> None:
    with app.app_context():
        upgrade()
        course = factories.course()
        quiz = factories.quiz(course)
        question = factories.question(quiz, text="Asked before the bank existed")
        question_id, course_id = question.id, course.id
        db.session.remove()
        downgrade(revision="0125")
        upgrade()
        assert db.session.scalar(sa.select(Question.course_id).where(Question.id == question_id)) == course_id
        factories.question(db.session.get(type(course), course_id), kind=QuestionKind.NUMERIC, answers=[],
                           numeric_answer=Decimal("9.81"), numeric_tolerance=Decimal("0.05"), text="Bank")
        banked = db.session.scalar(sa.select(Question).where(Question.text == "Bank"))
        assert banked.quiz_id is None and banked.numeric_answer == Decimal("9.81")
        db.session.remove()
        db.engine.dispose()


def test_0123_on_sqlite(app, tmp_path):
    upgrade_over_existing_questions(
        create_app({**app.config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'bank.db'}"}))


@pytest.mark.postgres
def test_0123_on_postgresql(app, postgres):
    url = fresh_postgres_database(postgres, f"{sa.make_url(postgres).database}_bank")
    upgrade_over_existing_questions(create_app({**app.config, "SQLALCHEMY_DATABASE_URI": url}))
