"""Short-answer, numeric and matching questions: how each is scored (partial credit for matching), taken
without JavaScript, and built in the studio (errors re-render with 422)."""
import re
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from mwanzo.auth.models import Role
from mwanzo.courses.models import CourseStatus
from mwanzo.extensions import db
from mwanzo.quizzes import services
from mwanzo.quizzes.models import Answer, AnswersShown, Question, QuestionKind
from tests.quizzes.test_taking import learner, reload, start  # noqa: F401  (learner is a fixture)

FEEDBACK = "Nairobi has been the capital since 1905."


def loaded(question) -> Question:
    db.session.expire_all()
    return db.session.scalar(select(Question).where(Question.id == question.id).options(selectinload(Question.answers)))


def short_answer(make, accepted=("Nairobi", "Nairobi City")):
    quiz = make.quiz(make.course())
    return loaded(make.question(quiz, kind=QuestionKind.SHORT_ANSWER, points=2,
                                answers=[(text, True) for text in accepted]))


@pytest.mark.parametrize("typed, points", [
    ("Nairobi", 2), ("  nairobi ", 2), ("NAIROBI   CITY", 2), ("nairobi\tcity", 2),
    ("Ｎａｉｒｏｂｉ", 2),  # full-width letters, as some phone keyboards type them (NFKC)
    ("Mombasa", 0), ("Nairob", 0), ("", 0), (None, 0),
])
def test_short_answer_ignores_case_spacing_and_unicode_forms(make, typed, points):
    assert services.points_for(short_answer(make), [], typed) == points


def test_short_answer_compares_composed_and_decomposed_accents_alike(make):
    question = short_answer(make, accepted=("Wanjir\u0169",))  # ũ as one character
    assert services.points_for(question, [], "wanjiru\u0303") == 2  # u + combining tilde
    assert services.points_for(question, [], "wanjiru") == 0  # a different name


def numeric(make, answer="9.81", tolerance="0.05"):
    quiz = make.quiz(make.course())
    return loaded(make.question(quiz, kind=QuestionKind.NUMERIC, points=3, answers=[("-", True)],
                                numeric_answer=Decimal(answer), numeric_tolerance=Decimal(tolerance)))


@pytest.mark.parametrize("typed, points", [
    ("9.81", 3), ("9.86", 3), ("9.76", 3), ("9,8", 3), (" 9.8 ", 3),
    ("9.87", 0), ("9.75", 0), ("ten", 0), ("NaN", 0), ("", 0), (None, 0),
])
def test_numeric_answer_counts_within_the_tolerance(make, typed, points):
    assert services.points_for(numeric(make), [], typed) == points


def test_numeric_answer_with_no_tolerance_must_be_exact(make):
    question = numeric(make, answer="42", tolerance="0")
    assert services.points_for(question, [], "42.0") == 3
    assert services.points_for(question, [], "42.01") == 0


PAIRS = [("Nairobi", "Kenya"), ("Kampala", "Uganda"), ("Dodoma", "Tanzania")]


def matching(make):
    quiz = make.quiz(make.course())
    return loaded(make.question(quiz, kind=QuestionKind.MATCHING, points=3, answers=PAIRS))


def test_matching_gives_partial_credit_per_correct_pair(make):
    question = matching(make)
    by_prompt = {a.text: str(a.id) for a in question.answers}
    partner = {a.match_text: str(a.id) for a in question.answers}
    everything = {by_prompt[p]: partner[m] for p, m in PAIRS}
    assert services.points_for(question, [], everything) == 3
    one_swap = {**everything, by_prompt["Kampala"]: partner["Tanzania"], by_prompt["Dodoma"]: partner["Uganda"]}
    assert services.points_for(question, [], one_swap) == 1  # one pair of three right
    assert services.points_for(question, [], {by_prompt["Nairobi"]: partner["Kenya"]}) == 1  # the rest left blank
    assert services.points_for(question, [], None) == 0


def test_matching_shares_round_to_cents(make):
    quiz = make.quiz(make.course())
    question = loaded(make.question(quiz, kind=QuestionKind.MATCHING, points=1, answers=PAIRS))
    first = question.answers[0]
    assert services.points_for(question, [], {str(first.id): str(first.id)}) == Decimal("0.33")


# ---------------------------------------------------------------- taking them without JavaScript

@pytest.fixture
def typed_quiz(learner, make):  # noqa: F811
    _, course, quiz = learner
    quiz.answers_shown = AnswersShown.IMMEDIATELY
    db.session.commit()
    make.question(quiz, text="Capital of Kenya?", kind=QuestionKind.SHORT_ANSWER, points=1, display_order=1,
                  answers=[("Nairobi", True)], explanation=FEEDBACK)
    make.question(quiz, text="g in m/s²?", kind=QuestionKind.NUMERIC, points=1, display_order=2,
                  answers=[], numeric_answer=Decimal("9.81"), numeric_tolerance=Decimal("0.05"))
    make.question(quiz, text="Match capital and country", kind=QuestionKind.MATCHING, points=3, display_order=3,
                  answers=PAIRS)
    return quiz, services.quiz_with_questions(quiz.id).questions


def matching_fields(page: str, question, pairs) -> dict:
    """The form fields a learner's choices give: each prompt's select set to the option showing its partner."""
    fields = {f"q-{question.id}": ""}
    for prompt, partner in pairs:
        prompt_id = next(str(a.id) for a in question.answers if a.text == prompt)
        select_html = re.search(rf'<select[^>]*name="q-{question.id}-{prompt_id}"[^>]*>(.*?)</select>', page, re.S)
        fields[f"q-{question.id}-{prompt_id}"] = re.search(
            rf'<option value="(\d+)"[^>]*>{partner}</option>', select_html.group(1)).group(1)
    return fields


def test_a_learner_types_and_matches_answers_without_javascript(client, typed_quiz):
    quiz, (short, number, match) = typed_quiz
    attempt = start(client, quiz)
    page = client.get(f"/quizzes/attempts/{attempt.id}").text
    assert f'name="q-{short.id}"' in page and 'inputmode="decimal"' in page and "<select" in page
    assert "Nairobi</option>" not in page and "9.81" not in page  # no answer in the page
    data = {f"q-{short.id}": "  nairobi ", f"q-{number.id}": "9,8",
            **matching_fields(page, match, [("Nairobi", "Kenya"), ("Kampala", "Tanzania"), ("Dodoma", "Uganda")])}
    response = client.post(f"/quizzes/attempts/{attempt.id}/submit", data=data)
    assert response.status_code == 302
    attempt = reload(attempt)
    assert attempt.score == Decimal("60.00")  # 1 + 1 + 1 of 3 = 3 of 5
    result = client.get(f"/quizzes/attempts/{attempt.id}/result").text
    assert "Your score: 60 %" in result and FEEDBACK in result
    assert "Correct answer: 9.81 (± 0.05)" in result and "correct match:</span>" not in result
    assert "correct match: Tanzania" in re.sub(r"<[^>]+>", "", result)


def test_a_matching_option_never_carries_the_partners_id(client, typed_quiz):
    """The prompt's select is named by the prompt's answer id, which is its partner's too: option values are
    positions, so the page never pairs them."""
    quiz, (_short, _number, match) = typed_quiz
    attempt = start(client, quiz)
    page = client.get(f"/quizzes/attempts/{attempt.id}").text
    for answer in match.answers:
        assert f'value="{answer.id}"' not in page


def test_typed_answers_are_saved_as_the_learner_goes(client, typed_quiz):
    quiz, (short, _number, match) = typed_quiz
    attempt = start(client, quiz)
    saved = client.post(f"/quizzes/attempts/{attempt.id}/answers/{short.id}", data={f"q-{short.id}": "Nairobi"},
                        headers={"HX-Request": "true"})
    assert saved.status_code == 200
    assert f'value="Nairobi"' in client.get(f"/quizzes/attempts/{attempt.id}").text  # shown again on reload
    refused = client.post(f"/quizzes/attempts/{attempt.id}/answers/{match.id}",
                          data={f"q-{match.id}-{match.answers[0].id}": "99"}, headers={"HX-Request": "true"})
    assert refused.status_code == 422


def test_feedback_and_answers_stay_out_of_the_html_when_the_quiz_never_shows_them(client, typed_quiz):
    quiz, (short, number, _match) = typed_quiz
    quiz.answers_shown = AnswersShown.NEVER
    db.session.commit()
    attempt = start(client, quiz)
    client.post(f"/quizzes/attempts/{attempt.id}/submit", data={f"q-{short.id}": "Mombasa", f"q-{number.id}": "1"})
    result = client.get(f"/quizzes/attempts/{attempt.id}/result").text
    assert "Your score: 0 %" in result and "Mombasa" in result  # the learner's own answer
    for secret in (FEEDBACK, "9.81", "Tanzania", "Accepted answers", "correct match", "Points: "):
        assert secret not in result


def test_feedback_waits_for_the_last_attempt_by_default(client, typed_quiz):
    quiz, (short, _number, _match) = typed_quiz
    quiz.answers_shown, quiz.max_attempts = AnswersShown.AFTER_LAST_ATTEMPT, 2
    db.session.commit()
    first = start(client, quiz)
    client.post(f"/quizzes/attempts/{first.id}/submit", data={f"q-{short.id}": "Mombasa"})
    assert FEEDBACK not in client.get(f"/quizzes/attempts/{first.id}/result").text
    second = start(client, quiz)
    client.post(f"/quizzes/attempts/{second.id}/submit", data={f"q-{short.id}": "Mombasa"})
    assert FEEDBACK in client.get(f"/quizzes/attempts/{second.id}/result").text
    assert FEEDBACK in client.get(f"/quizzes/attempts/{first.id}/result").text  # nothing left to try


# ---------------------------------------------------------------- building them in the studio

@pytest.fixture
def builder(make, login):
    instructor = make.user(role=Role.INSTRUCTOR)
    course = make.course(instructor_id=instructor.id, status=CourseStatus.DRAFT)
    quiz = make.quiz(course)
    login(instructor)
    return course, quiz


def new_question(kind, rows=(), **extra) -> dict:
    data = {"new-text": "Question?", "new-kind": kind, "new-points": "2", "new-explanation": ""}
    for i, (text, partner) in enumerate(rows):
        data[f"new-answers-{i}-text"] = text
        data[f"new-answers-{i}-match_text"] = partner
    return data | {f"new-{key}": value for key, value in extra.items()}


@pytest.mark.parametrize("kind, rows, extra, message", [
    ("SHORT_ANSWER", (), {}, "at least one accepted answer"),
    ("NUMERIC", (), {}, "Give the numeric answer"),
    ("NUMERIC", (), {"numeric_answer": "5", "numeric_tolerance": "-1"}, "Number must be between 0 and"),
    ("NUMERIC", (), {"numeric_answer": "five"}, "Not a valid decimal value"),
    ("MATCHING", (("Nairobi", "Kenya"),), {}, "at least two pairs"),
    ("MATCHING", (("Nairobi", "Kenya"), ("Kampala", "")), {}, "Give every prompt its partner"),
])
def test_invalid_typed_and_matching_questions_re_render_with_422(client, builder, kind, rows, extra, message):
    course, quiz = builder
    response = client.post(f"/studio/courses/{course.id}/quizzes/{quiz.id}/questions/new",
                           data=new_question(kind, rows, **extra))
    assert response.status_code == 422 and message in response.text
    assert db.session.scalar(select(Question.id)) is None


def test_each_new_kind_is_saved_without_javascript(client, builder):
    course, quiz = builder
    url = f"/studio/courses/{course.id}/quizzes/{quiz.id}/questions/new"
    assert client.post(url, data=new_question("SHORT_ANSWER", (("Nairobi", ""), ("Nairobi City", "")))).status_code == 302
    assert client.post(url, data=new_question("NUMERIC", numeric_answer="9.81", numeric_tolerance="0.05")).status_code == 302
    assert client.post(url, data=new_question("MATCHING", PAIRS)).status_code == 302
    short, number, match = db.session.scalars(select(Question).order_by(Question.display_order)).all()
    answers = lambda q: db.session.execute(select(Answer.text, Answer.is_correct, Answer.match_text)  # noqa: E731
                                           .where(Answer.question_id == q.id).order_by(Answer.display_order)).all()
    assert [tuple(a) for a in answers(short)] == [("Nairobi", True, None), ("Nairobi City", True, None)]
    assert (number.numeric_answer, number.numeric_tolerance, answers(number)) == (Decimal("9.81"), Decimal("0.05"), [])
    assert [tuple(a) for a in answers(match)] == [(p, True, m) for p, m in PAIRS]
    page = client.get(f"/studio/courses/{course.id}/quizzes/{quiz.id}").text
    assert "Nairobi → Kenya" in page and "9.81 ± 0.05" in page


def test_editing_a_numeric_question_shows_its_values_and_saves_them(client, builder, make):
    course, quiz = builder
    question = make.question(quiz, kind=QuestionKind.NUMERIC, answers=[], numeric_answer=Decimal("100"),
                             numeric_tolerance=Decimal("0.5"))
    url = f"/studio/courses/{course.id}/quizzes/{quiz.id}/questions/{question.id}"
    form = client.get(url).text
    assert 'value="100"' in form and 'value="0.5"' in form
    data = {"text": "How many?", "kind": "NUMERIC", "points": "1", "numeric_answer": "120", "numeric_tolerance": ""}
    assert client.post(url, data=data).status_code == 302
    question = loaded(question)
    assert (question.numeric_answer, question.numeric_tolerance) == (Decimal("120"), Decimal("0"))
