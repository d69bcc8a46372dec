"""A course's question bank: quizzes draw N questions per attempt, each draw kept with its attempt, scored on
the drawn questions only; built in the studio; on a published course bank edits wait for review."""
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select

from mwanzo.auth.models import Role
from mwanzo.courses.models import CourseStatus, RevisionStatus
from mwanzo.extensions import db
from mwanzo.learning import services as learning
from mwanzo.quizzes import services
from mwanzo.quizzes.models import Answer, AnswersShown, Question, QuestionKind, QuizAttempt
from tests.quizzes.test_question_types import new_question
from tests.quizzes.test_taking import reload, start
from tests.studio.test_revisions import decide, revision

BANK_SIZE, DRAW = 20, 5


@pytest.fixture
def banked(make, login):
    """A course with a bank of 20 single-choice questions ("Bank 1".."Bank 20", "Right" is right), a quiz
    of its own question that draws 5 from the bank, and four enrolled learners."""
    course = make.course(title="Bookkeeping Basics")
    quiz = make.quiz(course, bank_draw=DRAW, answers_shown=AnswersShown.IMMEDIATELY)
    make.question(quiz, text="Own question, not asked")
    for n in range(1, BANK_SIZE + 1):
        make.question(course, text=f"Bank {n}", display_order=n)
    learners = [make.user(email=f"learner{n}@example.com") for n in range(4)]
    for learner in learners:
        learning.enroll_free(learner, course)
    db.session.commit()
    return course, quiz, learners


def drawn_texts(attempt: QuizAttempt) -> list[str]:
    texts = dict(db.session.execute(select(Question.id, Question.text)).all())
    return [texts[uuid.UUID(q_id)] for q_id in attempt.question_order]


def test_each_attempt_draws_n_bank_questions_and_keeps_them_on_reload(client, banked, login):
    course, quiz, learners = banked
    login(learners[0])
    detail = client.get(f"/quizzes/{quiz.id}").text
    assert "5 questions" in detail and "drawn at random" in detail
    attempt = start(client, quiz)
    drawn = drawn_texts(attempt)
    assert len(drawn) == DRAW == len(set(drawn)) and all(text.startswith("Bank ") for text in drawn)
    first, again = client.get(f"/quizzes/attempts/{attempt.id}").text, client.get(f"/quizzes/attempts/{attempt.id}").text
    positions = [first.index(f">{number}. {text}<") for number, text in enumerate(drawn, start=1)]
    assert positions == sorted(positions)  # shown in the drawn order
    assert first.replace(str(attempt.id), "") == again.replace(str(attempt.id), "")
    assert "Own question" not in first
    # Asking to start again while it is open returns the same attempt, the same draw.
    assert start(client, quiz).id == attempt.id and drawn_texts(reload(attempt)) == drawn


def test_different_learners_get_different_draws(client, banked, login):
    """Four learners drawing 5 of 20: all four draws equal has a chance of about 1 in 10^15."""
    _course, quiz, learners = banked
    draws = []
    for learner in learners:
        login(learner)
        draws.append(tuple(drawn_texts(start(client, quiz))))
    assert len(set(draws)) > 1


def test_only_the_drawn_questions_are_scored(client, banked, login):
    _course, quiz, learners = banked
    login(learners[0])
    attempt = start(client, quiz)
    question_ids = [uuid.UUID(q_id) for q_id in attempt.question_order]
    right = dict(db.session.execute(select(Answer.question_id, Answer.id).where(
        Answer.question_id.in_(question_ids), Answer.text == "Right")).all())
    picks = {f"q-{q_id}": str(right[q_id]) for q_id in question_ids[:4]}  # 4 of the 5 drawn right
    assert client.post(f"/quizzes/attempts/{attempt.id}/submit", data=picks).status_code == 302
    assert reload(attempt).score == Decimal("80.00")  # of the 5 drawn, not of the 20 in the bank
    result = client.get(f"/quizzes/attempts/{attempt.id}/result").text
    assert result.count("Points: ") == DRAW


def test_a_draw_larger_than_the_bank_asks_the_whole_bank(client, make, login):
    course = make.course()
    quiz = make.quiz(course, bank_draw=10)
    for n in range(3):
        make.question(course, text=f"Bank {n}")
    learner = make.user()
    learning.enroll_free(learner, course)
    db.session.commit()
    login(learner)
    assert len(start(client, quiz).question_order) == 3


def test_a_quiz_drawing_from_an_empty_bank_cannot_be_started(client, make, login):
    course = make.course()
    quiz = make.quiz(course, bank_draw=5)
    make.question(quiz, text="Own")
    learner = make.user()
    learning.enroll_free(learner, course)
    db.session.commit()
    login(learner)
    assert "Start the quiz" not in client.get(f"/quizzes/{quiz.id}").text
    assert client.post(f"/quizzes/{quiz.id}/start").status_code == 409


# ---------------------------------------------------------------- the bank in the studio

@pytest.fixture
def instructor_course(make, login):
    instructor = make.user(role=Role.INSTRUCTOR)
    course = make.course(instructor_id=instructor.id, status=CourseStatus.DRAFT)
    login(instructor)
    return course


def test_instructor_fills_the_bank_and_sets_a_quiz_to_draw_from_it(client, instructor_course, make):
    course = instructor_course
    bank = f"/studio/courses/{course.id}/bank"
    assert client.get(bank).status_code == 200
    added = client.post(f"{bank}/questions/new", data=new_question("SHORT_ANSWER", (("Nairobi", ""),)))
    assert added.status_code == 302 and added.headers["Location"].endswith(f"{bank}#questions")
    question = db.session.scalar(select(Question))
    assert question.quiz_id is None and question.course_id == course.id
    assert "Nairobi" in client.get(bank).text
    bad = client.post(f"{bank}/questions/new", data=new_question("MATCHING", (("Nairobi", "Kenya"),)),
                      headers={"HX-Request": "true"})
    assert bad.status_code == 422 and "at least two pairs" in bad.text and "<html" not in bad.text

    edit = f"{bank}/questions/{question.id}"
    assert 'value="Nairobi"' in client.get(edit).text
    data = {"text": "Capital?", "kind": "SHORT_ANSWER", "points": "1", "answers-0-text": "Nairobi",
            "answers-1-text": "Nairobi City"}
    assert client.post(edit, data=data).status_code == 302
    assert db.session.scalars(select(Answer.text).order_by(Answer.display_order)).all() == ["Nairobi", "Nairobi City"]

    quiz = make.quiz(course)
    settings = {"title": "Check", "passing_score": "50", "answers_shown": "IMMEDIATELY", "bank_draw": "1"}
    assert client.post(f"/studio/courses/{course.id}/quizzes/{quiz.id}", data=settings).status_code == 302
    db.session.expire_all()
    assert quiz.bank_draw == 1
    assert "draws 1 question from the course" in client.get(f"/studio/courses/{course.id}/quizzes/{quiz.id}").text

    assert client.post(f"{edit}/delete").status_code == 302
    assert db.session.scalar(select(Question.id)) is None


def test_a_bank_question_of_another_course_is_not_found(client, instructor_course, make):
    other = make.course()
    question = make.question(other)
    assert client.get(f"/studio/courses/{instructor_course.id}/bank/questions/{question.id}").status_code == 404
    assert client.get(f"/studio/courses/{other.id}/bank").status_code == 404


def test_on_a_published_course_a_new_bank_question_waits_for_review(client, make, login):
    instructor = make.instructor()
    course = make.course(instructor_id=instructor.id, price=0)
    quiz = make.quiz(course, bank_draw=2)
    make.question(course, text="Approved one")
    learner, admin = make.user(), make.user(role=Role.ADMIN)
    learning.enroll_free(learner, course)
    db.session.commit()
    login(instructor)
    added = client.post(f"/studio/courses/{course.id}/bank/questions/new",
                        data=new_question("NUMERIC", numeric_answer="4", numeric_tolerance="0"))
    assert added.status_code == 302
    assert revision().status == RevisionStatus.PENDING
    login(learner)
    first = start(client, quiz)
    assert drawn_texts(first) == ["Approved one"]  # the waiting question is not drawn
    client.post(f"/quizzes/attempts/{first.id}/submit")
    login(admin)
    held = revision()
    review = client.get(f"/admin/reviews/revisions/{held.id}").text
    assert "Question bank" in review and "Question?" in review  # the admin reads what waits in the bank
    assert decide(client, held, "approve", {"version": held.version}).status_code == 302
    login(learner)
    assert sorted(drawn_texts(start(client, quiz))) == ["Approved one", "Question?"]


def test_an_approved_bank_questions_edit_is_held_then_applied(client, make, login):
    instructor = make.instructor()
    course = make.course(instructor_id=instructor.id, price=0)
    question = make.question(course, kind=QuestionKind.NUMERIC, answers=[], numeric_answer=Decimal("4"),
                             numeric_tolerance=Decimal("0"), text="2 + 2?")
    admin = make.user(role=Role.ADMIN)
    login(instructor)
    data = {"text": "2 + 2?", "kind": "NUMERIC", "points": "1", "numeric_answer": "4.0", "numeric_tolerance": "0.5"}
    assert client.post(f"/studio/courses/{course.id}/bank/questions/{question.id}", data=data).status_code == 302
    db.session.expire_all()
    assert db.session.get(Question, question.id).numeric_tolerance == Decimal("0")  # held
    held = revision()
    assert held.changes["questions"][str(question.id)] == {"numeric_tolerance": "0.5"}  # 4.0 is 4: unchanged
    login(admin)
    assert decide(client, held, "approve", {"version": held.version}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Question, question.id).numeric_tolerance == Decimal("0.5")


def test_passing_a_required_quiz_drawn_from_the_bank_completes_the_course(client, make, login):
    course = make.course()
    quiz = make.quiz(course, bank_draw=1, is_required=True, passing_score=100)
    make.question(course, text="Bank only")
    learner = make.user()
    enrolment = learning.enroll_free(learner, course)
    db.session.commit()
    assert learning.progress_counts(enrolment) == (0, 1)  # the bank quiz counts though it has no own questions
    login(learner)
    attempt = start(client, quiz)
    question_id = uuid.UUID(attempt.question_order[0])
    right = db.session.scalar(select(Answer.id).where(Answer.question_id == question_id, Answer.text == "Right"))
    client.post(f"/quizzes/attempts/{attempt.id}/submit", data={f"q-{question_id}": str(right)})
    db.session.expire_all()
    assert learning.progress_counts(enrolment) == (1, 1)
