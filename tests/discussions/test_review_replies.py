"""The instructor replies once, publicly, to a review of their course."""
from __future__ import annotations

from mwanzo.extensions import db


def test_instructor_replies_once_and_everyone_sees_it(client, login, make):
    teacher = make.instructor()
    course = make.course(instructor_id=teacher.id)
    review = make.review(course, rating=3, text="Too fast for me")
    login(teacher)
    url = f"/studio/courses/{course.id}/reviews/{review.id}/reply"
    assert client.post(url, data={"reply": "Thank you: slower videos are coming."}).status_code == 302
    again = client.post(url, data={"reply": "A second reply"})
    assert again.status_code == 409
    db.session.expire_all()
    public = client.get(f"/courses/{course.slug}/reviews").get_data(as_text=True)
    assert "Thank you: slower videos are coming." in public and "A second reply" not in public


def test_another_instructor_cannot_reply(client, login, make):
    course = make.course()
    review = make.review(course, text="Fine")
    login(make.instructor())
    assert client.post(f"/studio/courses/{course.id}/reviews/{review.id}/reply",
                       data={"reply": "Not mine"}).status_code == 404
    assert client.get(f"/studio/courses/{course.id}/reviews").status_code == 404
