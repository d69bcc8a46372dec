from sqlalchemy import func, select

from mwanzo.courses.models import Course
from mwanzo.cli import DEMO_COURSES, seed_demo
from mwanzo.extensions import db


def test_demo_seed_is_idempotent_and_its_courses_show_with_thumbnails(client):
    seed_demo()
    db.session.commit()
    seed_demo()
    db.session.commit()
    assert db.session.scalar(select(func.count(Course.id))) == len(DEMO_COURSES)
    html = client.get("/courses?q=python").get_data(as_text=True)
    assert "Python Programming from Zero" in html and "<picture>" in html
    thumb = html.split('<img src="', 1)[1].split('"', 1)[0]
    assert client.get(thumb).status_code == 200
    assert client.get("/courses/python-programming-from-zero").status_code == 200
