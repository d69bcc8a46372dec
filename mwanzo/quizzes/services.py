"""Quizzes: building them, taking them, scoring them on the server (the pages learners take them on
are in ``mwanzo.learning.views``).

Scoring rules (shown to instructors and learners):
- single choice and true/false: full points for the one correct answer, nothing otherwise;
- multiple choice uses partial credit: each correct answer chosen earns points ÷ (number of correct
  answers), each wrong answer chosen takes the same amount off, and a question never scores below zero;
- short answer: full points when the typed text equals one of the accepted answers once both are
  Unicode-normalised (NFKC), case-folded and their spaces collapsed ("  Nairobi   City" = "nairobi city");
- numeric: full points when the number typed (a comma may stand for the decimal point) is within the
  tolerance of the answer;
- matching uses partial credit: each prompt matched with its partner earns points ÷ (number of pairs); a
  wrong match costs nothing, since every prompt takes exactly one choice and guessing all cannot pay.
A late submission is scored as at the deadline: only answers saved before it count.

A quiz asks its own questions, or (``bank_draw``) draws that many at random from its course's question
bank for each attempt; the draw is stored with the attempt, so a reload shows the same questions in the
same order, and only the drawn questions are scored. An instructor may grant a learner extra attempts
or extra time on a quiz (``QuizAllowance``); the deadline is the server's start time plus the limit plus
the extra time.

On a published course the words of quizzes and questions wait in the course's revision (see
``mwanzo.courses.revisions``); learners take the approved version.
"""
from __future__ import annotations

import hashlib
import hmac
import random
import unicodedata
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from mwanzo.auth.models import User
from mwanzo.courses.models import Course
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo import audit
from mwanzo.quizzes.models import (CHOICE_KINDS, Answer, AnswersShown, Question, QuestionKind, Quiz, QuizAllowance,
                                   QuizAttempt, StudentAnswer)
from mwanzo.courses import revisions

# Answers saved up to this long after the deadline still count: the request left the phone in time.
DEADLINE_GRACE = timedelta(seconds=5)
TWO_PLACES = Decimal("0.01")
MAX_TYPED_ANSWER = 500


class QuizError(Exception):
    """Base of the refusals of quiz actions."""


class AttemptsExhausted(QuizError):
    """The learner has used every attempt the quiz allows."""


class AttemptClosed(QuizError):
    """The attempt was submitted or its time is up."""


class InvalidChoice(QuizError):
    """An answer that does not belong to the question."""


# ---------------------------------------------------------------- building

@dataclass
class QuizSettings:
    title: str
    instructions: str | None
    section_id: uuid.UUID | None
    passing_score: int
    max_attempts: int | None
    time_limit_seconds: int | None
    shuffle: bool
    is_required: bool
    answers_shown: AnswersShown
    bank_draw: int | None = None


@dataclass
class AnswerDraft:
    text: str
    is_correct: bool
    match_text: str | None = None  # matching: the prompt's partner


@dataclass
class QuestionDraft:
    text: str
    kind: QuestionKind
    points: int
    explanation: str | None
    answers: list[AnswerDraft]
    numeric_answer: Decimal | None = None
    numeric_tolerance: Decimal | None = None


def question_rule_errors(draft: QuestionDraft) -> list[str]:
    """Why this draft cannot make a question of its kind (empty when it can)."""
    kind, answers = draft.kind, draft.answers
    correct = sum(1 for a in answers if a.is_correct)
    errors = []
    if kind == QuestionKind.SHORT_ANSWER:
        if not answers:
            errors.append(_l("Give at least one accepted answer."))
        return [str(e) for e in errors]
    if kind == QuestionKind.NUMERIC:
        if draft.numeric_answer is None:
            errors.append(_l("Give the numeric answer."))
        if draft.numeric_tolerance is not None and draft.numeric_tolerance < 0:
            errors.append(_l("The tolerance cannot be negative."))
        return [str(e) for e in errors]
    if kind == QuestionKind.MATCHING:
        if len(answers) < 2:
            errors.append(_l("Give at least two pairs."))
        if any(not a.match_text for a in answers):
            errors.append(_l("Give every prompt its partner."))
        return [str(e) for e in errors]
    if kind == QuestionKind.TRUE_FALSE:
        if len(answers) != 2:
            errors.append(_l("A true/false question has exactly two answers."))
        if correct != 1:
            errors.append(_l("Mark exactly one answer as correct."))
        return [str(e) for e in errors]
    if len(answers) < 2:
        errors.append(_l("Give at least two answers."))
    if kind == QuestionKind.SINGLE and correct != 1:
        errors.append(_l("A single-choice question has exactly one correct answer."))
    if kind == QuestionKind.MULTIPLE and correct < 1:
        errors.append(_l("Mark at least one answer as correct."))
    return [str(e) for e in errors]


class InvalidQuestion(QuizError):
    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


def bank_questions(course_id: uuid.UUID) -> list[Question]:
    """The course's question bank, with the answers (two queries)."""
    return list(db.session.scalars(
        select(Question).where(Question.course_id == course_id, Question.quiz_id.is_(None))
        .order_by(Question.display_order, Question.created_at).options(selectinload(Question.answers))
    ))


def question_in_bank(course_id: uuid.UUID, question_id: uuid.UUID) -> Question | None:
    return next((q for q in bank_questions(course_id) if q.id == question_id), None)


def course_quizzes(course_id: uuid.UUID) -> list[Quiz]:
    """The course's quizzes with their questions (two queries)."""
    return list(db.session.scalars(
        select(Quiz).where(Quiz.course_id == course_id).order_by(Quiz.display_order, Quiz.created_at)
        .options(selectinload(Quiz.questions))
    ))


def quiz_with_questions(quiz_id: uuid.UUID) -> Quiz | None:
    return db.session.scalar(
        select(Quiz).where(Quiz.id == quiz_id)
        .options(selectinload(Quiz.questions).selectinload(Question.answers))
    )


def quiz_for_learner(quiz_id: uuid.UUID) -> Quiz | None:
    """The approved version learners take: None for a quiz waiting for review, and without the questions
    that wait (left out of the loaded list only, nothing is deleted)."""
    quiz = quiz_with_questions(quiz_id)
    if quiz is None:
        return None
    new_quizzes, new_questions = revisions.unapproved_quiz_parts(quiz.course_id)
    if quiz.id in new_quizzes:
        return None
    if new_questions:
        set_committed_value(quiz, "questions", [q for q in quiz.questions if q.id not in new_questions])
    return quiz


def quizzes_by_section(course_id: uuid.UUID) -> dict[uuid.UUID | None, list[Quiz]]:
    """The approved quizzes grouped by the section they sit in (None: after the last section)."""
    new_quizzes, _new_questions = revisions.unapproved_quiz_parts(course_id)
    grouped: dict[uuid.UUID | None, list[Quiz]] = defaultdict(list)
    for quiz in db.session.scalars(
        select(Quiz).where(Quiz.course_id == course_id, Quiz.id.not_in(new_quizzes))
        .order_by(Quiz.display_order, Quiz.created_at)
    ):
        grouped[quiz.section_id].append(quiz)
    return dict(grouped)


def _apply_settings(quiz: Quiz, settings: QuizSettings) -> None:
    for name, value in vars(settings).items():
        setattr(quiz, name, value)


def create_quiz(course: Course, settings: QuizSettings, author: User) -> Quiz:
    """A new quiz; on a published course learners see it once its revision is approved."""
    last = db.session.scalar(select(func.max(Quiz.display_order)).where(Quiz.course_id == course.id))
    quiz = Quiz(course_id=course.id, display_order=(last or 0) + 1)
    _apply_settings(quiz, settings)
    db.session.add(quiz)
    db.session.flush()
    if revisions.is_live(course):
        revisions.add_new(course, author, "new_quizzes", quiz.id)
    return quiz


def update_quiz(course: Course, quiz: Quiz, settings: QuizSettings, author: User) -> bool:
    """Save the settings; returns True when the title or instructions wait for review (an approved quiz of
    a published course). The other settings apply at once."""
    values = vars(settings)
    if not revisions.is_live(course) or revisions.is_new(revisions.draft_changes(course.id), "new_quizzes", quiz.id):
        _apply_settings(quiz, settings)
        db.session.flush()
        return False
    revisions.hold_quiz(course, quiz, author, {name: values[name] for name in revisions.HELD_QUIZ_FIELDS})
    for name in set(values) - set(revisions.HELD_QUIZ_FIELDS):
        setattr(quiz, name, values[name])
    db.session.flush()
    return bool(revisions.draft_changes(course.id).get("quizzes", {}).get(str(quiz.id)))


def delete_quiz(quiz: Quiz) -> None:
    db.session.delete(quiz)
    db.session.flush()


def _check(draft: QuestionDraft) -> None:
    errors = question_rule_errors(draft)
    if errors:
        raise InvalidQuestion(errors)


def add_question(course: Course, quiz: Quiz | None, draft: QuestionDraft, author: User) -> Question:
    """A new question of the quiz, or of the course's bank (``quiz`` None); on a published course learners
    are not asked it until its revision is approved."""
    _check(draft)
    same_place = Question.quiz_id == quiz.id if quiz else Question.quiz_id.is_(None)
    last = db.session.scalar(select(func.max(Question.display_order))
                             .where(Question.course_id == course.id, same_place))
    question = Question(course_id=course.id, quiz_id=quiz.id if quiz else None, display_order=(last or 0) + 1,
                        answers=[])
    _apply_question(question, draft)
    db.session.add(question)
    db.session.flush()
    if revisions.is_live(course) and not (
            quiz and revisions.is_new(revisions.draft_changes(course.id), "new_quizzes", quiz.id)):
        revisions.add_new(course, author, "new_questions", question.id)
    return question


def update_question(course: Course, question: Question, draft: QuestionDraft, author: User) -> None:
    """Save a question: held for review when it is an approved question of a published course; a question
    new to a published course is edited in place and stays hidden until approval."""
    _check(draft)
    if revisions.is_live(course) and not revisions.is_new_question(revisions.draft_changes(course.id), question):
        values = {"text": draft.text, "kind": draft.kind, "points": draft.points, "explanation": draft.explanation,
                  "numeric_answer": draft.numeric_answer, "numeric_tolerance": draft.numeric_tolerance,
                  "answers": revisions.answer_values(_key_answers(draft))}
        revisions.hold_question(course, question, author, values)
        return
    _apply_question(question, draft)
    db.session.flush()


def _apply_question(question: Question, draft: QuestionDraft) -> None:
    """Answers are rewritten in place by position, so an attempt open meanwhile keeps valid choices."""
    question.text, question.kind, question.points = draft.text, draft.kind, draft.points
    question.explanation = draft.explanation
    numeric = draft.kind == QuestionKind.NUMERIC
    question.numeric_answer = draft.numeric_answer if numeric else None
    question.numeric_tolerance = (draft.numeric_tolerance or Decimal(0)) if numeric else None
    answers = _key_answers(draft)
    kept = question.answers[:len(answers)]
    for answer, answer_draft in zip(kept, answers):
        answer.text, answer.is_correct, answer.match_text = answer_draft.text, answer_draft.is_correct, answer_draft.match_text
    del question.answers[len(answers):]
    for order, answer_draft in enumerate(answers[len(kept):], start=len(kept)):
        question.answers.append(Answer(text=answer_draft.text, is_correct=answer_draft.is_correct,
                                       match_text=answer_draft.match_text, display_order=order))


def _key_answers(draft: QuestionDraft) -> list[AnswerDraft]:
    """The answer rows a draft keeps: accepted answers and pairs are all "correct"; a numeric question keeps
    its answer in its own fields; only matching keeps partners."""
    if draft.kind == QuestionKind.NUMERIC:
        return []
    return [AnswerDraft(text=a.text, is_correct=a.is_correct or draft.kind not in CHOICE_KINDS,
                        match_text=a.match_text if draft.kind == QuestionKind.MATCHING else None)
            for a in draft.answers]


def apply_approved(course_id: uuid.UUID, changes: dict) -> None:
    """An approved revision's held quiz and question words go live (new quizzes and questions show by
    themselves once nothing waits)."""
    for quiz in db.session.scalars(select(Quiz).where(Quiz.course_id == course_id)):
        for name, value in changes.get("quizzes", {}).get(str(quiz.id), {}).items():
            setattr(quiz, name, value)
    held_questions = changes.get("questions", {})
    for question in db.session.scalars(select(Question).where(Question.course_id == course_id)
                                       .options(selectinload(Question.answers))):
        held = held_questions.get(str(question.id))
        if held:
            values = {**revisions.question_values(question), **held}
            _apply_question(question, QuestionDraft(
                text=values["text"], kind=QuestionKind(values["kind"]), points=values["points"],
                explanation=values["explanation"], answers=[AnswerDraft(**answer) for answer in values["answers"]],
                numeric_answer=_decimal_or_none(values.get("numeric_answer")),
                numeric_tolerance=_decimal_or_none(values.get("numeric_tolerance"))))
    db.session.flush()


def _decimal_or_none(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def delete_question(question: Question) -> None:
    db.session.delete(question)
    db.session.flush()


def move_question(quiz: Quiz, question_id: uuid.UUID, direction: str) -> None:
    """Swap a question with its neighbour ("up" or "down"); renumbers the quiz 1..n."""
    questions = list(quiz.questions)
    index = next((i for i, q in enumerate(questions) if q.id == question_id), None)
    if index is None:
        raise InvalidChoice()
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(questions):
        questions[index], questions[other] = questions[other], questions[index]
    for order, question in enumerate(questions, start=1):
        question.display_order = order
    quiz.questions.sort(key=lambda q: q.display_order)
    db.session.flush()


def question_in_quiz(quiz: Quiz, question_id: uuid.UUID) -> Question | None:
    return next((q for q in quiz.questions if q.id == question_id), None)


# ---------------------------------------------------------------- taking

def attempts_for(quiz_id: uuid.UUID, student_id: uuid.UUID) -> list[QuizAttempt]:
    return list(db.session.scalars(
        select(QuizAttempt).where(QuizAttempt.quiz_id == quiz_id, QuizAttempt.student_id == student_id)
        .order_by(QuizAttempt.attempt_number)
    ))


def allowance_for(quiz_id: uuid.UUID, student_id: uuid.UUID) -> QuizAllowance | None:
    return db.session.scalar(select(QuizAllowance).where(
        QuizAllowance.quiz_id == quiz_id, QuizAllowance.student_id == student_id))


def is_expired(attempt: QuizAttempt, now=None) -> bool:
    return attempt.deadline_at is not None and (now or utcnow()) > attempt.deadline_at + DEADLINE_GRACE


def attempts_left(quiz: Quiz, attempts: list[QuizAttempt], allowance: QuizAllowance | None = None) -> int | None:
    if quiz.max_attempts is None:
        return None
    return max(0, quiz.max_attempts + (allowance.extra_attempts if allowance else 0) - len(attempts))


def close_expired_attempts(quiz: Quiz, attempts: list[QuizAttempt]) -> list[QuizAttempt]:
    """Score attempts whose time ran out without a submission, as at their deadline; returns them."""
    expired = [attempt for attempt in attempts if attempt.submitted_at is None and is_expired(attempt)]
    for attempt in expired:
        _score(quiz_with_questions(quiz.id), attempt, submitted_at=attempt.deadline_at)
    return expired


def _approved_question_ids(quiz: Quiz) -> list[str]:
    """The questions an attempt may ask: the quiz's own in their order, or (bank_draw) the course's bank."""
    _new_quizzes, new_questions = revisions.unapproved_quiz_parts(quiz.course_id)
    own = Question.quiz_id.is_(None) if quiz.bank_draw else Question.quiz_id == quiz.id
    return [str(q_id) for q_id in db.session.scalars(
        select(Question.id).where(Question.course_id == quiz.course_id, own, Question.id.not_in(new_questions))
        .order_by(Question.display_order, Question.created_at)
    )]


def question_count(quiz: Quiz) -> int:
    """How many questions each attempt asks."""
    available = len(_approved_question_ids(quiz)) if quiz.bank_draw else len(quiz.questions)
    return min(quiz.bank_draw, available) if quiz.bank_draw else available


def _deadline(quiz: Quiz, started_at, allowance: QuizAllowance | None):
    if not quiz.time_limit_seconds:
        return None
    return started_at + timedelta(seconds=quiz.time_limit_seconds + (allowance.extra_seconds if allowance else 0))


def start_attempt(quiz: Quiz, student: User) -> QuizAttempt:
    """The learner's open attempt, or a new one; refused when every allowed attempt is used. Call
    settle_attempts first: an attempt whose time ran out still counts as open until it is scored."""
    attempts = attempts_for(quiz.id, student.id)
    open_attempt = next((a for a in attempts if a.submitted_at is None), None)
    if open_attempt is not None:
        return open_attempt
    allowance = allowance_for(quiz.id, student.id)
    if attempts_left(quiz, attempts, allowance) == 0:
        raise AttemptsExhausted()
    question_ids = _approved_question_ids(quiz)
    if quiz.bank_draw:
        question_ids = random.SystemRandom().sample(question_ids, min(quiz.bank_draw, len(question_ids)))
    elif quiz.shuffle:
        random.SystemRandom().shuffle(question_ids)
    now = utcnow()
    attempt = QuizAttempt(
        quiz_id=quiz.id, student_id=student.id, attempt_number=len(attempts) + 1, started_at=now,
        deadline_at=_deadline(quiz, now, allowance), question_order=question_ids,
    )
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
    except IntegrityError:  # a second tab started the same attempt number a moment earlier
        return start_attempt(quiz, student)
    return attempt


@dataclass
class ShownQuestion:
    """One question as this attempt shows it: its answers (choices, accepted answers or matching prompts)
    and, for matching, the partners to choose from."""
    question: Question
    answers: list[Answer]
    partners: list[Answer]


def attempt_questions(quiz: Quiz, attempt: QuizAttempt) -> list[ShownQuestion]:
    """The attempt's questions in the order this learner sees them (drawn from the bank or the quiz's
    own), each with its answers; answers are shuffled per attempt when the quiz shuffles, matching
    partners always (their order would give the pairs away); the same order on every reload."""
    by_id = {str(q.id): q for q in quiz.questions}
    missing = [uuid.UUID(q_id) for q_id in attempt.question_order if q_id not in by_id]
    if missing:
        by_id |= {str(q.id): q for q in db.session.scalars(
            select(Question).where(Question.id.in_(missing), Question.course_id == quiz.course_id)
            .options(selectinload(Question.answers)))}
    shown = []
    for question in (by_id[q_id] for q_id in attempt.question_order if q_id in by_id):
        answers, partners = list(question.answers), []
        if quiz.shuffle:
            random.Random(f"{attempt.id}:{question.id}").shuffle(answers)
        if question.kind == QuestionKind.MATCHING:
            partners = list(question.answers)
            random.Random(_secret_seed(attempt, question)).shuffle(partners)
        shown.append(ShownQuestion(question, answers, partners))
    return shown


def _secret_seed(attempt: QuizAttempt, question: Question) -> bytes:
    """A seed the learner cannot recompute from the ids on the page (the partners' order, with the prompts'
    order, would give the pairs away)."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"quiz-partners:{attempt.id}:{question.id}".encode(), hashlib.sha256).digest()


def saved_answers(attempt: QuizAttempt) -> dict[uuid.UUID, StudentAnswer]:
    return {row.question_id: row for row in db.session.scalars(
        select(StudentAnswer).where(StudentAnswer.attempt_id == attempt.id))}


def seconds_left(attempt: QuizAttempt) -> int | None:
    if attempt.deadline_at is None:
        return None
    return max(0, int((attempt.deadline_at - utcnow()).total_seconds()))


def field_name(question: Question) -> str:
    """The form field of a question's answer; a matching prompt's is ``<field>-<prompt answer id>``, its
    value the position of the chosen partner in the attempt's list of partners (never the partner's id,
    which is the prompt's own)."""
    return f"q-{question.id}"


def _clean_response(shown: ShownQuestion, fields: dict[str, list[str]]) -> tuple[list[str], str | dict | None]:
    """The choice ids and typed response a form's fields give for one question; refuses ids that are not
    the question's."""
    question = shown.question
    name = field_name(question)
    if question.kind in (QuestionKind.SHORT_ANSWER, QuestionKind.NUMERIC):
        typed = next((value.strip() for value in fields.get(name, []) if value.strip()), "")
        return [], typed[:MAX_TYPED_ANSWER] or None
    valid = {str(a.id) for a in question.answers}
    if question.kind == QuestionKind.MATCHING:
        positions = {str(index): str(partner.id) for index, partner in enumerate(shown.partners)}
        matched = {}
        for prompt_id in valid:
            picked = next((value for value in fields.get(f"{name}-{prompt_id}", []) if value), None)
            if picked is not None and picked not in positions:
                raise InvalidChoice()
            if picked is not None:
                matched[prompt_id] = positions[picked]
        return [], matched or None
    chosen = sorted({raw for raw in fields.get(name, []) if raw})
    if any(raw not in valid for raw in chosen):
        raise InvalidChoice()
    if question.kind != QuestionKind.MULTIPLE and len(chosen) > 1:
        raise InvalidChoice()
    return chosen, None


def _upsert_answer(attempt: QuizAttempt, question: Question, chosen: list[str],
                   response: str | dict | None) -> StudentAnswer:
    row = db.session.scalar(select(StudentAnswer).where(
        StudentAnswer.attempt_id == attempt.id, StudentAnswer.question_id == question.id))
    if row is None:
        row = StudentAnswer(attempt_id=attempt.id, question_id=question.id, chosen_answer_ids=chosen,
                            response=response)
        try:
            with db.session.begin_nested():
                db.session.add(row)
            return row
        except IntegrityError:  # two saves of the same question crossed on a slow line
            row = db.session.scalar(select(StudentAnswer).where(
                StudentAnswer.attempt_id == attempt.id, StudentAnswer.question_id == question.id))
    row.chosen_answer_ids, row.response = chosen, response
    row.updated_at = utcnow()
    return row


def _require_open(attempt: QuizAttempt) -> None:
    if attempt.submitted_at is not None or is_expired(attempt):
        raise AttemptClosed()


def save_answer(quiz: Quiz, attempt: QuizAttempt, question_id: uuid.UUID,
                fields: dict[str, list[str]]) -> StudentAnswer:
    """Save one question's answer while the learner works (HTMX, as they tick or type); ``fields`` are the
    form's fields by name."""
    _require_open(attempt)
    shown = next((shown for shown in attempt_questions(quiz, attempt) if shown.question.id == question_id), None)
    if shown is None:
        raise InvalidChoice()
    answer = _upsert_answer(attempt, shown.question, *_clean_response(shown, fields))
    db.session.flush()
    return answer


def submit_attempt(quiz: Quiz, attempt: QuizAttempt, fields: dict[str, list[str]]) -> list[QuizAttempt]:
    """Finish an attempt with the form's fields (by name); returns the attempts scored now (this one, or
    none when it was already submitted: a double tap or a resent form changes nothing). After the deadline
    the form is ignored and the attempt is scored as at the deadline from what was saved in time
    (unanswered questions are wrong)."""
    if attempt.submitted_at is not None:
        return []
    if is_expired(attempt):
        return [_score(quiz, attempt, submitted_at=attempt.deadline_at)]
    for shown in attempt_questions(quiz, attempt):
        if field_name(shown.question) in fields:
            _upsert_answer(attempt, shown.question, *_clean_response(shown, fields))
    db.session.flush()
    return [_score(quiz, attempt, submitted_at=utcnow())]


def typed_form(text: str) -> str:
    """How typed answers are compared: Unicode-normalised (NFKC), case-folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def typed_number(text: str | None) -> Decimal | None:
    """The number a learner typed ("3.5", "3,5", " -2 "), or None."""
    if not text:
        return None
    cleaned = "".join(text.split())
    if "," in cleaned and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def points_for(question: Question, chosen: list[str], response: str | dict | None = None) -> Decimal:
    points = Decimal(question.points)
    if question.kind == QuestionKind.SHORT_ANSWER:
        accepted = {typed_form(a.text) for a in question.answers}
        return points if isinstance(response, str) and typed_form(response) in accepted else Decimal(0)
    if question.kind == QuestionKind.NUMERIC:
        number = typed_number(response if isinstance(response, str) else None)
        if number is None or question.numeric_answer is None:
            return Decimal(0)
        return points if abs(number - question.numeric_answer) <= (question.numeric_tolerance or 0) else Decimal(0)
    if question.kind == QuestionKind.MATCHING:
        partners = {str(a.id): typed_form(a.match_text or "") for a in question.answers}
        matched = response if isinstance(response, dict) else {}
        right = sum(1 for prompt_id, partner in partners.items()
                    if matched.get(prompt_id) in partners and partners[matched[prompt_id]] == partner)
        return (points * right / len(partners)).quantize(TWO_PLACES, ROUND_HALF_UP) if partners else Decimal(0)
    correct = {str(a.id) for a in question.answers if a.is_correct}
    picked = set(chosen)
    if question.kind != QuestionKind.MULTIPLE:
        return points if picked and picked == correct else Decimal(0)
    if not correct:
        return Decimal(0)
    share = points / len(correct)
    earned = share * (len(picked & correct) - len(picked - correct))
    return max(Decimal(0), earned).quantize(TWO_PLACES, ROUND_HALF_UP)


def _score(quiz: Quiz, attempt: QuizAttempt, submitted_at) -> QuizAttempt:
    """Score once, the drawn questions only. What a pass means for the learner's course (progress,
    completion) is for the caller: the functions that score return the attempts they scored."""
    questions = [shown.question for shown in attempt_questions(quiz, attempt)]
    rows = saved_answers(attempt)
    total = sum(Decimal(q.points) for q in questions)
    earned = Decimal(0)
    for question in questions:
        row = rows.get(question.id)
        awarded = points_for(question, row.chosen_answer_ids if row else [], row.response if row else None)
        earned += awarded
        if row is None:
            row = StudentAnswer(attempt_id=attempt.id, question_id=question.id, chosen_answer_ids=[])
            db.session.add(row)
        row.points_awarded = awarded
    attempt.score = (earned * 100 / total).quantize(TWO_PLACES, ROUND_HALF_UP) if total else Decimal(0)
    attempt.passed = attempt.score >= quiz.passing_score
    attempt.submitted_at = submitted_at
    db.session.flush()
    return attempt


@dataclass
class QuizSummary:
    attempts: list[QuizAttempt]
    best: Decimal | None
    passed: bool
    left: int | None
    open_attempt: QuizAttempt | None
    asks: int  # questions each attempt asks


def settle_attempts(quiz: Quiz, student: User) -> list[QuizAttempt]:
    """Score the learner's attempts whose time ran out without a submission (call before showing them or
    starting another); returns the attempts scored now."""
    return close_expired_attempts(quiz, attempts_for(quiz.id, student.id))


def summary_for(quiz: Quiz, student: User) -> QuizSummary:
    """History, best score and what the learner may do next (counting extra attempts granted)."""
    attempts = attempts_for(quiz.id, student.id)
    scored = [a.score for a in attempts if a.score is not None]
    return QuizSummary(
        attempts=attempts, best=max(scored) if scored else None, passed=any(a.passed for a in attempts),
        left=attempts_left(quiz, attempts, allowance_for(quiz.id, student.id)),
        open_attempt=next((a for a in attempts if a.submitted_at is None), None), asks=question_count(quiz),
    )


def answers_revealed(quiz: Quiz, summary: QuizSummary) -> bool:
    """Whether the result page may show correct answers, explanations and points per question (points on a
    true/false question give its answer away). By default only once nothing is left to try: the learner
    passed, or used every attempt and has none open."""
    if quiz.answers_shown == AnswersShown.IMMEDIATELY:
        return True
    if quiz.answers_shown == AnswersShown.NEVER:
        return False
    return summary.passed or (summary.left == 0 and summary.open_attempt is None)


# ---------------------------------------------------------------- extra time and attempts

def allowances_with_learners(quiz: Quiz) -> list[tuple[QuizAllowance, User]]:
    """The quiz's grants with their learners, the latest first (one query)."""
    return list(db.session.execute(
        select(QuizAllowance, User).join(User, User.id == QuizAllowance.student_id)
        .where(QuizAllowance.quiz_id == quiz.id).order_by(QuizAllowance.updated_at.desc())))


def grant_allowance(quiz: Quiz, student: User, extra_attempts: int, extra_minutes: int, granted_by: User) -> QuizAllowance:
    """Give one learner extra attempts and/or extra time on a quiz (replacing an earlier grant); an attempt
    open now gets the new deadline at once. Audited."""
    allowance = allowance_for(quiz.id, student.id)
    if allowance is None:
        allowance = QuizAllowance(quiz_id=quiz.id, student_id=student.id)
        db.session.add(allowance)
    allowance.extra_attempts, allowance.extra_seconds = extra_attempts, extra_minutes * 60
    allowance.granted_by_id = granted_by.id
    for attempt in attempts_for(quiz.id, student.id):
        if attempt.submitted_at is None and not is_expired(attempt):
            attempt.deadline_at = _deadline(quiz, attempt.started_at, allowance)
    db.session.flush()
    audit.record(granted_by, "quiz.allowance_granted", allowance, quiz_id=str(quiz.id), student_id=str(student.id),
                 extra_attempts=extra_attempts, extra_minutes=extra_minutes)
    return allowance
