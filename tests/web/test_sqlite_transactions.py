"""Transactions stay whole, savepoints included (pysqlite needs help with this; PostgreSQL does it natively)."""
from sqlalchemy import func, select

from mwanzo.courses.models import Category
from mwanzo.extensions import db


def test_work_inside_a_savepoint_is_undone_when_the_transaction_rolls_back(app):
    with db.session.begin_nested():
        db.session.add(Category(name="Temporary", slug="temporary"))
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Category)) == 0
