"""The quiz builder: settings, question validation, HTMX in place and plain forms, who may build."""
import pytest
from sqlalchemy import func, select

from mwanzo.auth.models import Role
from mwanzo.courses.models import CourseStatus
from mwanzo.extensions import db
from mwanzo.quizzes.models import Answer, AnswersShown, Question, QuestionKind, Quiz
from tests.queries import count_queries

HTMX = {"HX-Request": "true"}


@pytest.fixture
def owner_quiz(make, login):
    """A course not yet published: its quiz edits apply at once (a published one's wait for review)."""
    instructor = make.user(role=Role.INSTRUCTOR)
    course = make.course(instructor_id=instructor.id, status=CourseStatus.DRAFT)
    quiz = make.quiz(course)
    login(instructor)
    return course, quiz


def base(course, quiz):
    return f"/studio/courses/{course.id}/quizzes/{quiz.id}"


def question_form(text="What is 2 + 2?", kind="SINGLE", points="2", answers=(("4", True), ("5", False)),
                  explanation="Count on your fingers.", prefix="new-"):
    """The add-question form's fields carry the "new-" prefix; an edit form's do not (prefix="")."""
    data = {"text": text, "kind": kind, "points": points, "explanation": explanation}
    for i, (answer, correct) in enumerate(answers):
        data[f"answers-{i}-text"] = answer
        if correct:
            data[f"answers-{i}-is_correct"] = "y"
    return {prefix + key: value for key, value in data.items()}


def question_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Question))


def test_instructor_creates_a_quiz_with_settings(client, make, login):
    instructor = make.user(role=Role.INSTRUCTOR)
    course = make.course(instructor_id=instructor.id)
    section = make.section(course, title="Week 1")
    login(instructor)
    page = client.get(f"/studio/courses/{course.id}/quizzes/new")
    assert page.status_code == 200 and "Week 1" in page.text
    response = client.post(f"/studio/courses/{course.id}/quizzes/new", data={
        "title": "Week 1 check", "instructions": "Take your time.", "section_id": str(section.id),
        "passing_score": "80", "max_attempts": "3", "time_limit_minutes": "10", "shuffle": "y", "is_required": "y",
    })
    assert response.status_code == 302
    quiz = db.session.scalar(select(Quiz))
    assert (quiz.title, quiz.section_id, quiz.passing_score, quiz.max_attempts, quiz.time_limit_seconds,
            quiz.shuffle, quiz.is_required) == ("Week 1 check", section.id, 80, 3, 600, True, True)
    assert response.headers["Location"].endswith(f"/quizzes/{quiz.id}")


def test_instructor_chooses_when_answers_are_shown(client, owner_quiz):
    course, quiz = owner_quiz
    page = client.get(base(course, quiz))
    assert "Show correct answers on the result page" in page.text and "After the last attempt or a pass" in page.text
    settings = {"title": "Week 1 check", "passing_score": "50"}
    assert client.post(base(course, quiz), data={**settings, "answers_shown": "NEVER"}).status_code == 302
    db.session.refresh(quiz)
    assert quiz.answers_shown == AnswersShown.NEVER
    assert 'selected value="NEVER"' in client.get(base(course, quiz)).text
    refused = client.post(base(course, quiz), data={**settings, "answers_shown": "SOMETIMES"})
    assert refused.status_code == 422 and "Not a valid choice" in refused.text
    db.session.refresh(quiz)
    assert quiz.answers_shown == AnswersShown.NEVER


def test_bad_settings_re_render_with_422(client, owner_quiz):
    course, quiz = owner_quiz
    response = client.post(base(course, quiz), data={"title": "", "passing_score": "150"})
    assert response.status_code == 422
    assert "This field is required." in response.text and "between 0 and 100" in response.text
    db.session.refresh(quiz)
    assert quiz.title == "Check your understanding"


def test_unlimited_attempts_and_no_time_limit_when_left_empty(client, owner_quiz):
    course, quiz = owner_quiz
    response = client.post(base(course, quiz), data={"title": "Renamed", "passing_score": "50", "max_attempts": "",
                                                     "time_limit_minutes": ""})
    assert response.status_code == 302
    db.session.refresh(quiz)
    assert (quiz.title, quiz.max_attempts, quiz.time_limit_seconds, quiz.is_required) == ("Renamed", None, None, False)


@pytest.mark.parametrize("kind, answers, message", [
    ("SINGLE", (("A", True), ("B", True)), "exactly one correct answer"),
    ("SINGLE", (("A", False), ("B", False)), "exactly one correct answer"),
    ("SINGLE", (("A", True),), "at least two answers"),
    ("MULTIPLE", (("A", False), ("B", False), ("C", False)), "at least one answer as correct"),
    ("MULTIPLE", (("A", True),), "at least two answers"),
    ("TRUE_FALSE", (("True", True), ("False", False), ("Maybe", False)), "exactly two answers"),
    ("TRUE_FALSE", (("True", True), ("False", True)), "exactly one answer as correct"),
])
def test_invalid_questions_are_refused_with_422_and_nothing_saved(client, owner_quiz, kind, answers, message):
    course, quiz = owner_quiz
    response = client.post(f"{base(course, quiz)}/questions/new", data=question_form(kind=kind, answers=answers))
    assert response.status_code == 422
    assert message in response.text
    assert question_count() == 0


def test_missing_text_and_zero_points_are_refused(client, owner_quiz):
    course, quiz = owner_quiz
    response = client.post(f"{base(course, quiz)}/questions/new", data=question_form(text="", points="0"))
    assert response.status_code == 422 and question_count() == 0


@pytest.mark.parametrize("kind, answers", [
    ("SINGLE", (("4", True), ("5", False), ("", True))),  # empty rows are ignored, even if ticked
    ("MULTIPLE", (("Nairobi", True), ("Mombasa", True), ("Kampala", False))),
    ("TRUE_FALSE", (("True", False), ("False", True))),
])
def test_valid_questions_of_each_kind_are_saved_without_js(client, owner_quiz, kind, answers):
    course, quiz = owner_quiz
    response = client.post(f"{base(course, quiz)}/questions/new", data=question_form(kind=kind, answers=answers))
    assert response.status_code == 302 and response.headers["Location"].endswith("#questions")
    question = db.session.scalar(select(Question))
    saved = db.session.execute(select(Answer.text, Answer.is_correct).order_by(Answer.display_order)).all()
    assert question.kind == QuestionKind(kind) and question.points == 2
    assert question.explanation == "Count on your fingers."
    assert [tuple(row) for row in saved] == [a for a in answers if a[0]]


def test_htmx_add_swaps_the_question_list_and_an_error_swaps_only_the_form(client, owner_quiz):
    course, quiz = owner_quiz
    ok = client.post(f"{base(course, quiz)}/questions/new", data=question_form(), headers=HTMX)
    assert ok.status_code == 200
    assert ok.headers["HX-Retarget"] == "#questions" and "HX-Request" in ok.headers["Vary"]
    assert ok.text.lstrip().startswith('<section id="questions">') and "What is 2 + 2?" in ok.text
    assert "<html" not in ok.text
    assert ok.text.count("What is 2 + 2?") == 1  # in the list; the add form below it starts empty again

    bad = client.post(f"{base(course, quiz)}/questions/new", data=question_form(answers=(("4", True),)),
                      headers=HTMX)
    assert bad.status_code == 422 and "HX-Retarget" not in bad.headers
    assert bad.text.lstrip().startswith("<form") and "at least two answers" in bad.text


def test_edit_question_in_place_and_without_js(client, owner_quiz, make):
    course, quiz = owner_quiz
    question = make.question(quiz, text="Old text")
    url = f"{base(course, quiz)}/questions/{question.id}"
    fragment = client.get(url, headers=HTMX)
    assert fragment.text.lstrip().startswith("<form") and "Old text" in fragment.text
    page = client.get(url)
    assert "<html" in page.text and "Old text" in page.text

    response = client.post(url, data=question_form(text="New text", kind="MULTIPLE", prefix="",
                                                   answers=(("a", True), ("b", True), ("c", False))))
    assert response.status_code == 302
    db.session.expire_all()
    question = db.session.get(Question, question.id)
    assert question.text == "New text" and question.kind == QuestionKind.MULTIPLE
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 3


def test_reorder_and_delete_questions(client, owner_quiz, make):
    course, quiz = owner_quiz
    first, second, third = (make.question(quiz, text=t, display_order=i) for i, t in enumerate(["One", "Two", "Three"]))
    response = client.post(f"{base(course, quiz)}/questions/{third.id}/move", data={"direction": "up"}, headers=HTMX)
    assert response.status_code == 200
    assert response.text.index("Three") < response.text.index("Two")
    client.post(f"{base(course, quiz)}/questions/{first.id}/move", data={"direction": "down"})
    order = db.session.scalars(select(Question.text).order_by(Question.display_order)).all()
    assert order == ["Three", "One", "Two"]
    assert client.post(f"{base(course, quiz)}/questions/{first.id}/move",
                       data={"direction": "sideways"}).status_code == 400

    response = client.post(f"{base(course, quiz)}/questions/{second.id}/delete", headers=HTMX)
    assert response.status_code == 200 and "Two" not in response.text and "Three" in response.text
    assert sorted(db.session.scalars(select(Question.text))) == ["One", "Three"]
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 4


def test_the_builder_states_the_multiple_choice_scoring_rule(client, owner_quiz):
    course, quiz = owner_quiz
    page = client.get(base(course, quiz))
    assert "Multiple choice gives partial credit" in page.text


def test_only_the_course_instructor_and_admins_may_build(client, make, login):
    course = make.course()
    quiz = make.quiz(course)
    url = base(course, quiz)
    assert client.get(url).status_code == 302  # anonymous → login
    login(make.user(role=Role.INSTRUCTOR))  # another instructor's quiz does not exist for them
    assert client.get(url).status_code == 404
    assert client.post(f"{url}/questions/new", data=question_form()).status_code == 404
    assert client.post(f"{url}/delete").status_code == 404
    login(make.user(role=Role.STUDENT))
    assert client.get(url).status_code == 403
    assert question_count() == 0 and db.session.scalar(select(func.count()).select_from(Quiz)) == 1
    login(make.user(role=Role.ADMIN))
    assert client.get(url).status_code == 200


def test_a_quiz_of_another_course_is_not_found_through_my_course(client, owner_quiz, make):
    course, _ = owner_quiz
    foreign = make.quiz(make.course())
    assert client.get(f"/studio/courses/{course.id}/quizzes/{foreign.id}").status_code == 404


def test_delete_quiz(client, owner_quiz, make):
    course, quiz = owner_quiz
    make.question(quiz)
    response = client.post(f"{base(course, quiz)}/delete")
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Quiz)) == 0 and question_count() == 0


def test_forms_need_the_csrf_token(client, owner_quiz, csrf_enabled):
    course, quiz = owner_quiz
    response = client.post(f"{base(course, quiz)}/questions/new", data=question_form())
    assert response.status_code == 400 and question_count() == 0
    page = client.get(base(course, quiz))
    assert 'name="csrf_token"' in page.text


def test_quiz_list_runs_a_fixed_number_of_queries(client, owner_quiz, make):
    course, quiz = owner_quiz
    make.question(quiz)
    url = f"/studio/courses/{course.id}/quizzes"
    with count_queries() as one:
        assert client.get(url).status_code == 200
    for n in range(3):
        make.question(make.quiz(course, title=f"Quiz {n}"))
    with count_queries() as many:
        response = client.get(url)
    assert "Quiz 2" in response.text
    assert len(many) == len(one)
