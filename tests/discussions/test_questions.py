"""Lesson and course Q&A: who may read and post, asking, answering in place, accepting, voting once,
duplicates, rate limits, search and the instructor's list."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from mwanzo.auth.models import Role
from mwanzo.discussions import services
from mwanzo.discussions.models import CourseQuestion, QuestionVote
from mwanzo.extensions import db
from mwanzo.inbox.models import Notification, NotificationKind
from mwanzo.learning.services import revoke_enrollment
from tests.queries import count_queries


@pytest.fixture
def course_world(make):
    teacher = make.instructor(name="Mwalimu Amina")
    course = make.course(instructor_id=teacher.id, title="Excel basics")
    section = make.section(course)
    lesson = make.lesson(section)
    learner = make.user(name="Juma Otieno")
    enrolment = make.enrollment(learner, course)
    return course, lesson, teacher, learner, enrolment


def ask(client, course, title="How do I sum a column?", body="I tried **SUM** but it fails.", **kwargs):
    return client.post(f"/learn/{course.slug}/questions", data={"title": title, "body": body}, **kwargs)


def question_of(course) -> CourseQuestion:
    db.session.expire_all()
    return db.session.scalar(select(CourseQuestion).where(CourseQuestion.course_id == course.id))


def test_enrolled_learner_asks_and_sees_the_question_in_the_list(client, login, course_world):
    course, _lesson, _teacher, learner, _ = course_world
    login(learner)
    response = ask(client, course)
    assert response.status_code == 302
    question = question_of(course)
    assert response.headers["Location"].endswith(f"/learn/{course.slug}/questions/{question.id}")
    page = client.get(f"/learn/{course.slug}/questions").get_data(as_text=True)
    assert "How do I sum a column?" in page and "1 question" in page
    thread = client.get(f"/learn/{course.slug}/questions/{question.id}").get_data(as_text=True)
    assert "<strong>SUM</strong>" in thread


def test_question_markdown_is_sanitised_and_shows_no_pictures(client, login, course_world):
    course, _lesson, _teacher, learner, _ = course_world
    login(learner)
    ask(client, course, body='<script>alert(1)</script> ![cat](http://x/cat.png) <img src=x onerror=alert(1)>')
    page = client.get(f"/learn/{course.slug}/questions/{question_of(course).id}").get_data(as_text=True)
    assert "<script>alert" not in page and "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page  # shown as the text it is


@pytest.mark.parametrize("who", ["anonymous", "other_learner", "revoked", "other_instructor"])
def test_only_enrolled_learners_the_instructor_and_admins_read_or_post(client, login, make, course_world, who):
    course, _lesson, _teacher, learner, enrolment = course_world
    login(learner)
    ask(client, course)
    question = question_of(course)
    if who == "anonymous":
        client.post("/logout")
        with client.session_transaction() as session:
            session.clear()
    elif who == "revoked":
        revoke_enrollment(db.session.merge(enrolment))
        db.session.commit()
    else:
        login(make.user(role=Role.INSTRUCTOR if who == "other_instructor" else Role.STUDENT))
    urls = [f"/learn/{course.slug}/questions", f"/learn/{course.slug}/questions/{question.id}"]
    for url in urls:
        response = client.get(url)
        if who == "anonymous":
            assert response.status_code == 302 and "/login" in response.headers["Location"]
        else:
            assert response.status_code == 404, (who, url)
    posted = client.post(urls[1], data={"body": "Let me answer"})
    assert posted.status_code in ((302,) if who == "anonymous" else (404,))
    assert question_of(course).answer_count == 0


def test_revoked_learner_loses_the_questions_at_once(client, login, course_world):
    course, _lesson, _teacher, learner, enrolment = course_world
    login(learner)
    assert client.get(f"/learn/{course.slug}/questions").status_code == 200
    revoke_enrollment(db.session.merge(enrolment))
    db.session.commit()
    assert client.get(f"/learn/{course.slug}/questions").status_code == 404


def test_instructor_and_admin_read_and_answer(client, login, make, course_world):
    course, _lesson, teacher, learner, _ = course_world
    login(learner)
    ask(client, course)
    question = question_of(course)
    for person in (teacher, make.user(role=Role.ADMIN)):
        login(person)
        assert client.get(f"/learn/{course.slug}/questions/{question.id}").status_code == 200
        assert client.post(f"/learn/{course.slug}/questions/{question.id}",
                           data={"body": f"Use =SUM(A:A), from {person.name}"}).status_code == 302
    assert question_of(course).answer_count == 2


def test_a_question_of_another_course_is_not_found_through_ones_own(client, login, make, course_world):
    course, _lesson, _teacher, learner, _ = course_world
    other = make.course()
    stranger = make.user()
    make.enrollment(stranger, other)
    login(learner)
    ask(client, course)
    question = question_of(course)
    login(stranger)
    assert client.get(f"/learn/{other.slug}/questions/{question.id}").status_code == 404


def test_answer_by_htmx_returns_the_answers_block_and_notifies_the_asker(client, login, course_world):
    course, _lesson, teacher, learner, _ = course_world
    login(learner)
    ask(client, course)
    question = question_of(course)
    login(teacher)
    response = client.post(f"/learn/{course.slug}/questions/{question.id}", data={"body": "Select the column first."},
                           headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert html.lstrip().startswith('<section id="answers"') and "<html" not in html
    assert "Select the column first." in html and "Instructor" in html
    note = db.session.scalar(select(Notification).where(Notification.user_id == learner.id))
    assert note.kind == NotificationKind.ANSWER and note.params["name"] == "Mwalimu Amina"


def test_the_full_page_and_the_fragment_come_from_one_url(client, login, course_world):
    course, _lesson, _teacher, learner, _ = course_world
    login(learner)
    ask(client, course)
    url = f"/learn/{course.slug}/questions/{question_of(course).id}"
    full = client.get(url).get_data(as_text=True)
    fragment = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True).strip()
    assert full.startswith("<!doctype html>") and "<html" not in fragment
    assert fragment.startswith('<section id="answers"') and fragment.endswith("</section>")
    section = full[full.index('<section id="answers"'):]
    assert section[:section.index("</section>") + len("</section>")] == fragment


def test_asker_accepts_an_answer_and_its_author_is_told(client, login, make, course_world):
    course, _lesson, teacher, learner, _ = course_world
    helper = make.user(name="Wanjiru Kamau")
    make.enrollment(helper, course)
    login(learner)
    ask(client, course)
    question = question_of(course)
    login(helper)
    client.post(f"/learn/{course.slug}/questions/{question.id}", data={"body": "Try AutoSum."})
    answer = services.thread(learner, course, question).answers[0]
    # Only the asker or the instructor accepts: not the answer's author, not another learner.
    login(helper)
    assert client.post(f"/learn/{course.slug}/questions/{question.id}/answers/{answer.id}/accept").status_code == 403
    login(learner)
    response = client.post(f"/learn/{course.slug}/questions/{question.id}/answers/{answer.id}/accept")
    assert response.status_code == 302
    page = client.get(f"/learn/{course.slug}/questions/{question.id}").get_data(as_text=True)
    assert "Accepted answer" in page and question_of(course).is_answered
    kinds = set(db.session.scalars(select(Notification.kind).where(Notification.user_id == helper.id)))
    assert kinds == {NotificationKind.ACCEPTED}


def test_a_learner_votes_once_even_when_pressing_twice(client, login, make, course_world):
    course, _lesson, _teacher, learner, _ = course_world
    login(learner)
    ask(client, course)
    question = question_of(course)
    voter = make.user()
    make.enrollment(voter, course)
    login(voter)
    url = f"/learn/{course.slug}/questions/{question.id}/vote"
    first = client.post(url, headers={"HX-Request": "true"})
    assert "1 person has this question" in first.get_data(as_text=True)
    client.post(url)
    assert question_of(course).vote_count == 1
    # The asker's own vote is not counted.
    login(learner)
    client.post(url)
    assert question_of(course).vote_count == 1


@pytest.mark.postgres
def test_votes_at_the_same_moment_count_once(app, make, course_world, postgres):
    course, _lesson, _teacher, learner, _ = course_world
    question = services.ask(learner, course, "Same time?", "Both press at once.")
    db.session.commit()
    voter = make.user()
    ids = (question.id, voter.id)
    barrier, results = threading.Barrier(4), []

    def press():
        with app.app_context():
            from mwanzo.auth.models import User

            q, user = db.session.get(CourseQuestion, ids[0]), db.session.get(User, ids[1])
            barrier.wait()
            results.append(services.vote(user, q))
            db.session.commit()

    threads = [threading.Thread(target=press) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert results.count(True) == 1
    assert db.session.scalar(select(CourseQuestion.vote_count).where(CourseQuestion.id == ids[0])) == 1
    assert len(db.session.scalars(select(QuestionVote)).all()) == 1


def test_the_same_post_within_a_minute_is_refused_with_409(client, login, course_world):
    course, _lesson, _teacher, learner, _ = course_world
    login(learner)
    assert ask(client, course).status_code == 302
    again = ask(client, course)
    assert again.status_code == 409
    assert "less than a minute ago" in again.get_data(as_text=True)
    question = question_of(course)
    url = f"/learn/{course.slug}/questions/{question.id}"
    assert client.post(url, data={"body": "Me too"}).status_code == 302
    htmx = client.post(url, data={"body": "Me too"}, headers={"HX-Request": "true"})
    assert htmx.status_code == 409 and htmx.headers["HX-Retarget"] == "#flash-errors"
    assert db.session.scalar(select(CourseQuestion.answer_count).where(CourseQuestion.id == question.id)) == 1


def test_posting_is_rate_limited_per_account(app, client, login, course_world, monkeypatch):
    monkeypatch.setitem(app.config, "POSTING_RATE_LIMIT", "3 per minute")
    course, _lesson, _teacher, learner, _ = course_world
    login(learner)
    statuses = [ask(client, course, title=f"Question number {n}").status_code for n in range(4)]
    assert statuses == [302, 302, 302, 429]


def test_lesson_questions_and_search(client, login, course_world, make):
    course, lesson, _teacher, learner, _ = course_world
    login(learner)
    client.post(f"/learn/{course.slug}/questions?lesson={lesson.id}",
                data={"title": "Pivot tables confuse me", "body": "Where is the pivot button?"})
    ask(client, course, title="Printing a sheet", body="It prints on ten pages.")
    on_lesson = client.get(f"/learn/{course.slug}/questions?lesson={lesson.id}").get_data(as_text=True)
    assert "Pivot tables" in on_lesson and "Printing a sheet" not in on_lesson
    found = client.get(f"/learn/{course.slug}/questions?q=pivot", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in found and "1 question" in found
    assert "Pivot tables" in found and "Printing a sheet" not in found


def test_the_lesson_page_links_to_its_questions(client, login, course_world):
    course, lesson, _teacher, learner, _ = course_world
    login(learner)
    page = client.get(f"/learn/{course.slug}/lessons/{lesson.id}").get_data(as_text=True)
    assert f"/learn/{course.slug}/questions?lesson={lesson.id}" in page


@pytest.mark.postgres
def test_search_uses_full_text_on_postgresql(course_world, postgres):
    course, _lesson, _teacher, learner, _ = course_world
    services.ask(learner, course, "Formulas break when copied", "The cell references move.")
    services.ask(learner, course, "Printing", "Margins are wrong.")
    db.session.commit()
    found = services.question_page(learner, course, "copied formulas")
    assert [q.title for q in found.items] == ["Formulas break when copied"]


def test_the_list_costs_a_fixed_number_of_queries(client, login, make, course_world):
    course, _lesson, _teacher, learner, _ = course_world
    for n in range(12):
        asker = make.user()
        make.enrollment(asker, course)
        services.ask(asker, course, f"Question {n} about cells", "Body")
    db.session.commit()
    learner.id, course.id  # loaded before counting
    with count_queries() as statements:
        page = services.question_page(learner, course)
        [question.author.name for question in page.items]
    assert len(page.items) == 12 and len(statements) == 2  # the count, the rows with their authors


def test_instructor_sees_unanswered_questions_first_across_courses(client, login, make, course_world):
    course, _lesson, teacher, learner, _ = course_world
    second = make.course(instructor_id=teacher.id, title="Word basics")
    make.enrollment(learner, second)
    answered = services.ask(learner, course, "Answered one", "x")
    db.session.flush()
    services.answer(teacher, course, answered, "Here you go", "/x")
    services.ask(learner, second, "Waiting in Word", "y")
    db.session.commit()
    login(teacher)
    page = client.get("/studio/questions").get_data(as_text=True)
    assert page.index("Waiting in Word") < page.index("Answered one")
    assert "Word basics</a>: 1 without an answer" in page and "Excel basics</a>: 0 without an answer" in page


def test_asking_form_needs_csrf(client, login, course_world, csrf_enabled):
    course, _lesson, _teacher, learner, _ = course_world
    login(learner)
    assert ask(client, course).status_code == 400
    assert question_of(course) is None


def test_swahili_questions_page(client, login, course_world):
    course, _lesson, _teacher, learner, _ = course_world
    learner.locale = "sw"
    db.session.commit()
    login(learner)
    page = client.get(f"/learn/{course.slug}/questions").get_data(as_text=True)
    assert "Uliza swali" in page and "Tafuta maswali" in page


def test_the_question_list_pages_keep_the_search_and_refuse_nonsense(client, login, make, course_world):
    course, _lesson, _teacher, learner, _ = course_world
    for n in range(17):
        services.ask(learner, course, f"Sheet question {n}", "Body")
    db.session.commit()
    login(learner)
    first = client.get(f"/learn/{course.slug}/questions?q=sheet").get_data(as_text=True)
    assert "17 questions" in first and f'href="/learn/{course.slug}/questions?q=sheet&amp;page=2"' in first
    second = client.get(f"/learn/{course.slug}/questions?q=sheet&page=2").get_data(as_text=True)
    assert second.count('<li hx-disable>') == 2
    assert client.get(f"/learn/{course.slug}/questions?page=abc").status_code == 422
