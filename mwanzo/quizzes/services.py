"""Quizzes: building them, taking them, scoring them on the server (the pages learners take them on
are in ``mwanzo.learning.views``).

Scoring rules (shown to instructors and learners):
- single choice and true/false: full points for the one correct answer, nothing otherwise;
- multiple choice uses partial credit: each correct answer chosen earns points ÷ (number of correct
  answers), each wrong answer chosen takes the same amount off, and a question never scores below zero.
A late submission is scored as at the deadline: only answers saved before it count.

On a published course the words of quizzes and questions wait in the course's revision (see
``mwanzo.courses.revisions``); learners take the approved version.
"""
from __future__ import annotations

import random
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from mwanzo.auth.models import User
from mwanzo.courses.models import Course
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.quizzes.models import Answer, AnswersShown, Question, QuestionKind, Quiz, QuizAttempt, StudentAnswer
from mwanzo.courses import revisions

# Answers saved up to this long after the deadline still count: the request left the phone in time.
DEADLINE_GRACE = timedelta(seconds=5)
TWO_PLACES = Decimal("0.01")


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


@dataclass
class AnswerDraft:
    text: str
    is_correct: bool


@dataclass
class QuestionDraft:
    text: str
    kind: QuestionKind
    points: int
    explanation: str | None
    answers: list[AnswerDraft]


def answer_rule_errors(kind: QuestionKind, answers: list[AnswerDraft]) -> list[str]:
    """Why these answers cannot make a question of this kind (empty when they can)."""
    correct = sum(1 for a in answers if a.is_correct)
    errors = []
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
    errors = answer_rule_errors(draft.kind, draft.answers)
    if errors:
        raise InvalidQuestion(errors)


def add_question(course: Course, quiz: Quiz, draft: QuestionDraft, author: User) -> Question:
    """A new question; on a published course learners are not asked it until its revision is approved."""
    _check(draft)
    last = db.session.scalar(select(func.max(Question.display_order)).where(Question.quiz_id == quiz.id))
    question = Question(quiz_id=quiz.id, display_order=(last or 0) + 1, answers=[])
    _apply_question(question, draft)
    db.session.add(question)
    db.session.flush()
    if revisions.is_live(course) and not revisions.is_new(revisions.draft_changes(course.id), "new_quizzes", quiz.id):
        revisions.add_new(course, author, "new_questions", question.id)
    return question


def update_question(course: Course, question: Question, draft: QuestionDraft, author: User) -> None:
    """Save a question: held for review when it is an approved question of a published course; a question
    new to a published course is edited in place and stays hidden until approval."""
    _check(draft)
    if revisions.is_live(course) and not revisions.is_new_question(revisions.draft_changes(course.id), question):
        values = {"text": draft.text, "kind": draft.kind, "points": draft.points, "explanation": draft.explanation,
                  "answers": revisions.answer_values(draft.answers)}
        revisions.hold_question(course, question, author, values)
        return
    _apply_question(question, draft)
    db.session.flush()


def _apply_question(question: Question, draft: QuestionDraft) -> None:
    """Answers are rewritten in place by position, so an attempt open meanwhile keeps valid choices."""
    question.text, question.kind, question.points = draft.text, draft.kind, draft.points
    question.explanation = draft.explanation
    kept = question.answers[:len(draft.answers)]
    for answer, answer_draft in zip(kept, draft.answers):
        answer.text, answer.is_correct = answer_draft.text, answer_draft.is_correct
    del question.answers[len(draft.answers):]
    for order, answer_draft in enumerate(draft.answers[len(kept):], start=len(kept)):
        question.answers.append(Answer(text=answer_draft.text, is_correct=answer_draft.is_correct,
                                       display_order=order))


def apply_approved(course_id: uuid.UUID, changes: dict) -> None:
    """An approved revision's held quiz and question words go live (new quizzes and questions show by
    themselves once nothing waits)."""
    quizzes = list(db.session.scalars(select(Quiz).where(Quiz.course_id == course_id).options(
        selectinload(Quiz.questions).selectinload(Question.answers))))
    for quiz in quizzes:
        for name, value in changes.get("quizzes", {}).get(str(quiz.id), {}).items():
            setattr(quiz, name, value)
        for question in quiz.questions:
            held = changes.get("questions", {}).get(str(question.id))
            if held:
                values = {**revisions.question_values(question), **held}
                _apply_question(question, QuestionDraft(
                    text=values["text"], kind=QuestionKind(values["kind"]), points=values["points"],
                    explanation=values["explanation"], answers=[AnswerDraft(**answer) for answer in values["answers"]]))
    db.session.flush()


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


def is_expired(attempt: QuizAttempt, now=None) -> bool:
    return attempt.deadline_at is not None and (now or utcnow()) > attempt.deadline_at + DEADLINE_GRACE


def attempts_left(quiz: Quiz, attempts: list[QuizAttempt]) -> int | None:
    return None if quiz.max_attempts is None else max(0, quiz.max_attempts - len(attempts))


def close_expired_attempts(quiz: Quiz, attempts: list[QuizAttempt]) -> list[QuizAttempt]:
    """Score attempts whose time ran out without a submission, as at their deadline; returns them."""
    expired = [attempt for attempt in attempts if attempt.submitted_at is None and is_expired(attempt)]
    for attempt in expired:
        _score(quiz_with_questions(quiz.id), attempt, submitted_at=attempt.deadline_at)
    return expired


def start_attempt(quiz: Quiz, student: User) -> QuizAttempt:
    """The learner's open attempt, or a new one; refused when every allowed attempt is used. Call
    settle_attempts first: an attempt whose time ran out still counts as open until it is scored."""
    attempts = attempts_for(quiz.id, student.id)
    open_attempt = next((a for a in attempts if a.submitted_at is None), None)
    if open_attempt is not None:
        return open_attempt
    if attempts_left(quiz, attempts) == 0:
        raise AttemptsExhausted()
    _new_quizzes, new_questions = revisions.unapproved_quiz_parts(quiz.course_id)
    question_ids = [str(q_id) for q_id in db.session.scalars(
        select(Question.id).where(Question.quiz_id == quiz.id, Question.id.not_in(new_questions))
        .order_by(Question.display_order)
    )]
    if quiz.shuffle:
        random.SystemRandom().shuffle(question_ids)
    now = utcnow()
    attempt = QuizAttempt(
        quiz_id=quiz.id, student_id=student.id, attempt_number=len(attempts) + 1, started_at=now,
        deadline_at=now + timedelta(seconds=quiz.time_limit_seconds) if quiz.time_limit_seconds else None,
        question_order=question_ids,
    )
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
    except IntegrityError:  # a second tab started the same attempt number a moment earlier
        return start_attempt(quiz, student)
    return attempt


def attempt_questions(quiz: Quiz, attempt: QuizAttempt) -> list[tuple[Question, list[Answer]]]:
    """The attempt's questions in the order this learner sees them, each with its answers; answers are
    shuffled per attempt when the quiz shuffles (the same order on every reload, nothing stored)."""
    by_id = {str(q.id): q for q in quiz.questions}
    shown = []
    for question in (by_id[q_id] for q_id in attempt.question_order if q_id in by_id):
        answers = list(question.answers)
        if quiz.shuffle:
            random.Random(f"{attempt.id}:{question.id}").shuffle(answers)
        shown.append((question, answers))
    return shown


def saved_answers(attempt: QuizAttempt) -> dict[uuid.UUID, StudentAnswer]:
    return {row.question_id: row for row in db.session.scalars(
        select(StudentAnswer).where(StudentAnswer.attempt_id == attempt.id))}


def seconds_left(attempt: QuizAttempt) -> int | None:
    if attempt.deadline_at is None:
        return None
    return max(0, int((attempt.deadline_at - utcnow()).total_seconds()))


def _clean_choice(question: Question, raw_ids: list[str]) -> list[str]:
    valid = {str(a.id) for a in question.answers}
    chosen = sorted({raw for raw in raw_ids if raw})
    if any(raw not in valid for raw in chosen):
        raise InvalidChoice()
    if question.kind != QuestionKind.MULTIPLE and len(chosen) > 1:
        raise InvalidChoice()
    return chosen


def _upsert_answer(attempt: QuizAttempt, question: Question, chosen: list[str]) -> StudentAnswer:
    row = db.session.scalar(select(StudentAnswer).where(
        StudentAnswer.attempt_id == attempt.id, StudentAnswer.question_id == question.id))
    if row is None:
        row = StudentAnswer(attempt_id=attempt.id, question_id=question.id, chosen_answer_ids=chosen)
        try:
            with db.session.begin_nested():
                db.session.add(row)
            return row
        except IntegrityError:  # two saves of the same question crossed on a slow line
            row = db.session.scalar(select(StudentAnswer).where(
                StudentAnswer.attempt_id == attempt.id, StudentAnswer.question_id == question.id))
    row.chosen_answer_ids = chosen
    row.updated_at = utcnow()
    return row


def _require_open(attempt: QuizAttempt) -> None:
    if attempt.submitted_at is not None or is_expired(attempt):
        raise AttemptClosed()


def save_answer(quiz: Quiz, attempt: QuizAttempt, question_id: uuid.UUID, raw_ids: list[str]) -> StudentAnswer:
    """Save one question's choice while the learner works (HTMX, as they tick)."""
    _require_open(attempt)
    question = question_in_quiz(quiz, question_id)
    if question is None or str(question.id) not in attempt.question_order:
        raise InvalidChoice()
    answer = _upsert_answer(attempt, question, _clean_choice(question, raw_ids))
    db.session.flush()
    return answer


def submit_attempt(quiz: Quiz, attempt: QuizAttempt, choices: dict[str, list[str]]) -> list[QuizAttempt]:
    """Finish an attempt with the form's choices; returns the attempts scored now (this one, or none when
    it was already submitted: a double tap or a resent form changes nothing). After the deadline the form
    is ignored and the attempt is scored as at the deadline from what was saved in time (unanswered
    questions are wrong)."""
    if attempt.submitted_at is not None:
        return []
    if is_expired(attempt):
        return [_score(quiz, attempt, submitted_at=attempt.deadline_at)]
    for question, _answers in attempt_questions(quiz, attempt):
        if str(question.id) in choices:
            _upsert_answer(attempt, question, _clean_choice(question, choices[str(question.id)]))
    db.session.flush()
    return [_score(quiz, attempt, submitted_at=utcnow())]


def points_for(question: Question, chosen: list[str]) -> Decimal:
    correct = {str(a.id) for a in question.answers if a.is_correct}
    picked = set(chosen)
    if question.kind != QuestionKind.MULTIPLE:
        return Decimal(question.points) if picked and picked == correct else Decimal(0)
    if not correct:
        return Decimal(0)
    share = Decimal(question.points) / len(correct)
    earned = share * (len(picked & correct) - len(picked - correct))
    return max(Decimal(0), earned).quantize(TWO_PLACES, ROUND_HALF_UP)


def _score(quiz: Quiz, attempt: QuizAttempt, submitted_at) -> QuizAttempt:
    """Score once. What a pass means for the learner's course (progress, completion) is for the caller:
    the functions that score return the attempts they scored."""
    questions = [question for question, _answers in attempt_questions(quiz, attempt)]
    rows = saved_answers(attempt)
    total = sum(Decimal(q.points) for q in questions)
    earned = Decimal(0)
    for question in questions:
        row = rows.get(question.id)
        awarded = points_for(question, row.chosen_answer_ids if row else [])
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


def settle_attempts(quiz: Quiz, student: User) -> list[QuizAttempt]:
    """Score the learner's attempts whose time ran out without a submission (call before showing them or
    starting another); returns the attempts scored now."""
    return close_expired_attempts(quiz, attempts_for(quiz.id, student.id))


def summary_for(quiz: Quiz, student: User) -> QuizSummary:
    """History, best score and what the learner may do next."""
    attempts = attempts_for(quiz.id, student.id)
    scored = [a.score for a in attempts if a.score is not None]
    return QuizSummary(
        attempts=attempts, best=max(scored) if scored else None, passed=any(a.passed for a in attempts),
        left=attempts_left(quiz, attempts), open_attempt=next((a for a in attempts if a.submitted_at is None), None),
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


# ---------------------------------------------------------------- the person's data (privacy calls these)

def export_user_data(user: User) -> dict[str, list[dict]]:
    attempts = db.session.execute(
        select(QuizAttempt, Quiz.title).join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .where(QuizAttempt.student_id == user.id).order_by(QuizAttempt.started_at)).all()
    return {"quiz_attempts": [{"quiz": title, "attempt": a.attempt_number, "started_at": a.started_at,
                               "submitted_at": a.submitted_at, "score": a.score, "passed": a.passed}
                              for a, title in attempts]}


def erase_user_data(user: User) -> None:
    """Attempts go, and their answers with them (ON DELETE CASCADE)."""
    db.session.execute(delete(QuizAttempt).where(QuizAttempt.student_id == user.id))
