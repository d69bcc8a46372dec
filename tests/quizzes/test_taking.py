"""Taking a quiz: attempts, saving as you go, the server's clock, scoring, and nothing leaked early."""
import re
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from mwanzo.certificates.models import Certificate
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.learning import services as learning
from mwanzo.learning.models import Enrollment, EnrollmentStatus, VideoProgress
from mwanzo.quizzes import services
from mwanzo.quizzes.models import Answer, AnswersShown, QuestionKind, QuizAttempt, StudentAnswer
from tests.emails import emails_to
from tests.queries import count_queries

HTMX = {"HX-Request": "true"}
EXPLANATION = "Because four is two pairs."


@pytest.fixture
def learner(make, login):
    """An enrolled, signed-in learner and a course with one lesson (already done) and one required quiz."""
    student = make.user(email="amina@example.com", name="Amina Otieno")
    course = make.course(title="Bookkeeping Basics", duration_minutes=90)
    lesson = make.lesson(make.section(course))
    quiz = make.quiz(course, passing_score=60)
    learning.enroll_free(student, course)
    db.session.add(VideoProgress(student_id=student.id, lesson_id=lesson.id, completed=True))
    db.session.commit()
    login(student)
    return student, course, quiz


def answer_id(question, text):
    return str(db.session.scalar(select(Answer.id).where(Answer.question_id == question.id, Answer.text == text)))


def start(client, quiz) -> QuizAttempt:
    response = client.post(f"/quizzes/{quiz.id}/start")
    assert response.status_code == 302, response.text
    attempt_id = response.headers["Location"].rsplit("/", 1)[-1]
    return db.session.get(QuizAttempt, uuid.UUID(attempt_id))


def reload(attempt) -> QuizAttempt:
    db.session.expire_all()
    return db.session.get(QuizAttempt, attempt.id)


# ---------------------------------------------------------------- scoring rules

def scored(make, answers, kind, picks):
    quiz = make.quiz(make.course())
    question = make.question(quiz, answers=answers, kind=kind, points=4)
    question = services.quiz_with_questions(quiz.id).questions[0]
    return services.points_for(question, [answer_id(question, text) for text in picks])


@pytest.mark.parametrize("picks, points", [(["A"], 4), (["B"], 0), ([], 0)])
def test_single_choice_scores_all_or_nothing(make, picks, points):
    assert scored(make, [("A", True), ("B", False), ("C", False)], QuestionKind.SINGLE, picks) == points


@pytest.mark.parametrize("picks, points", [(["True"], 0), (["False"], 4), ([], 0)])
def test_true_false_scores_all_or_nothing(make, picks, points):
    assert scored(make, [("True", False), ("False", True)], QuestionKind.TRUE_FALSE, picks) == points


@pytest.mark.parametrize("picks, points", [
    (["A", "B"], Decimal("4")),          # every correct answer
    (["A"], Decimal("2")),               # half the correct answers: half the points
    (["A", "C"], Decimal("0")),          # one right, one wrong cancel out
    (["A", "B", "C"], Decimal("2")),     # all right plus one wrong
    (["C", "D"], Decimal("0")),          # never below zero
    ([], Decimal("0")),
])
def test_multiple_choice_gives_partial_credit(make, picks, points):
    answers = [("A", True), ("B", True), ("C", False), ("D", False)]
    assert scored(make, answers, QuestionKind.MULTIPLE, picks) == points


def test_multiple_choice_partial_credit_rounds_to_cents(make):
    answers = [("A", True), ("B", True), ("C", True), ("D", False)]
    assert scored(make, answers, QuestionKind.MULTIPLE, ["A"]) == Decimal("1.33")


# ---------------------------------------------------------------- taking a quiz

def test_take_a_quiz_without_javascript(client, learner, make):
    student, course, quiz = learner
    quiz.answers_shown = AnswersShown.IMMEDIATELY
    db.session.commit()
    single = make.question(quiz, text="2 + 2?", answers=[("4", True), ("5", False)], points=1,
                           explanation=EXPLANATION, display_order=1)
    multi = make.question(quiz, text="Kenyan cities?", kind=QuestionKind.MULTIPLE, points=2, display_order=2,
                          answers=[("Nairobi", True), ("Kisumu", True), ("Kampala", False)])
    tf = make.question(quiz, text="The sun is cold.", kind=QuestionKind.TRUE_FALSE, points=1, display_order=3,
                       answers=[("True", False), ("False", True)])
    single, multi, tf = (services.question_in_quiz(services.quiz_with_questions(quiz.id), q.id)
                         for q in (single, multi, tf))
    attempt = start(client, quiz)
    page = client.get(f"/quizzes/attempts/{attempt.id}")
    assert page.status_code == 200 and "2 + 2?" in page.text and "partial credit" in page.text

    response = client.post(f"/quizzes/attempts/{attempt.id}/submit", data={
        f"q-{single.id}": ["", answer_id(single, "4")],
        f"q-{multi.id}": ["", answer_id(multi, "Nairobi")],
        f"q-{tf.id}": [""],
    })
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/{attempt.id}/result")
    attempt = reload(attempt)
    # 1 (single) + 1 of 2 (multiple, half) + 0 (unanswered true/false) = 2 of 4 points
    assert attempt.score == Decimal("50.00") and attempt.passed is False and attempt.submitted_at is not None

    result = client.get(response.headers["Location"])
    assert "Your score: 50 %" in result.text and "Not passed" in result.text
    assert EXPLANATION in result.text and "correct answer" in result.text
    assert "Best score: 50 %" in result.text


def test_answers_are_saved_as_the_learner_goes_and_count_at_submission(client, learner, make):
    _, _, quiz = learner
    question = make.question(quiz, answers=[("Right", True), ("Wrong", False)])
    attempt = start(client, quiz)
    url = f"/quizzes/attempts/{attempt.id}/answers/{question.id}"
    first = client.post(url, data={f"q-{question.id}": ["", answer_id(question, "Wrong")]}, headers=HTMX)
    assert first.status_code == 200 and "Saved" in first.text
    client.post(url, data={f"q-{question.id}": ["", answer_id(question, "Right")]}, headers=HTMX)
    rows = db.session.scalars(select(StudentAnswer)).all()
    assert len(rows) == 1 and rows[0].chosen_answer_ids == [answer_id(question, "Right")]

    # The connection dropped; the learner comes back to the page: the choice is still ticked.
    page = client.get(f"/quizzes/attempts/{attempt.id}")
    assert re.search(rf'value="{answer_id(question, "Right")}" checked', page.text)
    client.post(f"/quizzes/attempts/{attempt.id}/submit")  # the form came without this question
    assert reload(attempt).score == Decimal("100.00")


def test_a_choice_that_is_not_an_answer_of_the_question_is_refused(client, learner, make):
    _, _, quiz = learner
    question = make.question(quiz)
    other = make.question(make.quiz(make.course()))
    attempt = start(client, quiz)
    url = f"/quizzes/attempts/{attempt.id}/answers/{question.id}"
    assert client.post(url, data={f"q-{question.id}": answer_id(other, "Right")}).status_code == 422
    two = [answer_id(question, "Right"), answer_id(question, "Wrong")]
    assert client.post(url, data={f"q-{question.id}": two}).status_code == 422  # two picks on single choice
    assert db.session.scalar(select(func.count()).select_from(StudentAnswer)) == 0


def test_correct_answers_never_reach_the_browser_before_submitting(client, learner, make):
    _, _, quiz = learner
    make.question(quiz, text="Pick the right one", answers=[("Alpha", False), ("Bravo", True), ("Charlie", False)],
                  explanation=EXPLANATION)
    make.question(quiz, text="Pick all", kind=QuestionKind.MULTIPLE, answers=[("X", True), ("Y", False)])
    detail = client.get(f"/quizzes/{quiz.id}")
    attempt = start(client, quiz)
    page = client.get(f"/quizzes/attempts/{attempt.id}")
    for html in (detail.text, page.text):
        assert EXPLANATION not in html
        # no attribute, class or badge that tells answers apart
        marker = re.search(r"<[^>]*(correct|data-answer|checked)[^>]*>|<span[^>]*>[^<]*correct[^<]*</span>", html, re.I)
        assert marker is None, f"a marker gives an answer away: {marker and marker.group(0)}"
    # Each answer's markup differs only in its id and text.
    inputs = re.findall(r'<label class="check"><input ([^>]*)>', page.text)
    assert len(inputs) == 5
    assert {re.sub(r'value="[^"]+"', "", i) for i in inputs[:3]} == {'type="radio" name="q-%s" ' % re.search(
        r'name="q-([^"]+)"', inputs[0]).group(1)}
    # The result page of the last allowed attempt does show them.
    quiz.max_attempts = 1
    db.session.commit()
    client.post(f"/quizzes/attempts/{attempt.id}/submit")
    assert EXPLANATION in client.get(f"/quizzes/attempts/{attempt.id}/result").text


# ---------------------------------------------------------------- when the result page shows the answers

CORRECT_MARKING = re.compile(r"<span[^>]*>\s*correct answer|Points: ", re.I)


def result_html(client, quiz, pick: str) -> str:
    """Start an attempt, submit one pick for the quiz's only question, return the result page."""
    question = services.quiz_with_questions(quiz.id).questions[0]
    attempt = start(client, quiz)
    client.post(f"/quizzes/attempts/{attempt.id}/submit", data={f"q-{question.id}": answer_id(question, pick)})
    response = client.get(f"/quizzes/attempts/{attempt.id}/result")
    assert response.status_code == 200 and "Your score" in response.text
    return response.text


def assert_hidden(html: str) -> None:
    assert EXPLANATION not in html
    assert CORRECT_MARKING.search(html) is None, CORRECT_MARKING.search(html).group(0)


def assert_shown(html: str) -> None:
    assert EXPLANATION in html and CORRECT_MARKING.search(html)
    assert '<span class="badge ok">correct answer</span>' in html


@pytest.fixture
def true_false_quiz(learner, make):
    """A quiz of one true/false question, two attempts: the points per question alone would give it away."""
    _, _, quiz = learner
    quiz.max_attempts = 2
    make.question(quiz, kind=QuestionKind.TRUE_FALSE, answers=[("True", False), ("False", True)],
                  explanation=EXPLANATION)
    return quiz


def test_by_default_answers_stay_hidden_while_attempts_remain(client, true_false_quiz):
    assert true_false_quiz.answers_shown == AnswersShown.AFTER_LAST_ATTEMPT
    first = result_html(client, true_false_quiz, "True")
    assert_hidden(first)
    assert "once you pass or have used every attempt" in first
    assert_shown(result_html(client, true_false_quiz, "True"))  # the last attempt


def test_by_default_a_pass_shows_the_answers(client, true_false_quiz):
    assert_shown(result_html(client, true_false_quiz, "False"))


def test_by_default_an_open_last_attempt_keeps_earlier_results_hidden(client, true_false_quiz):
    question = services.quiz_with_questions(true_false_quiz.id).questions[0]
    first = start(client, true_false_quiz)
    client.post(f"/quizzes/attempts/{first.id}/submit", data={f"q-{question.id}": answer_id(question, "True")})
    start(client, true_false_quiz)  # the last attempt, still open
    assert_hidden(client.get(f"/quizzes/attempts/{first.id}/result").text)


def test_answers_shown_immediately(client, true_false_quiz):
    true_false_quiz.answers_shown = AnswersShown.IMMEDIATELY
    db.session.commit()
    assert_shown(result_html(client, true_false_quiz, "True"))


def test_answers_never_shown(client, true_false_quiz):
    true_false_quiz.answers_shown = AnswersShown.NEVER
    db.session.commit()
    first = result_html(client, true_false_quiz, "True")
    assert_hidden(first)
    assert "does not show the correct answers" in first
    assert_hidden(result_html(client, true_false_quiz, "False"))  # the last attempt, and a pass


def test_result_page_is_not_shown_while_the_attempt_is_open(client, learner, make):
    _, _, quiz = learner
    make.question(quiz, explanation=EXPLANATION)
    attempt = start(client, quiz)
    response = client.get(f"/quizzes/attempts/{attempt.id}/result")
    assert response.status_code == 302 and response.headers["Location"].endswith(str(attempt.id))


def test_attempts_limit(client, learner, make):
    _, _, quiz = learner
    quiz.max_attempts = 2
    db.session.commit()
    make.question(quiz)
    for _ in range(2):
        attempt = start(client, quiz)
        assert client.post(f"/quizzes/{quiz.id}/start").headers["Location"].endswith(str(attempt.id))  # resumes
        client.post(f"/quizzes/attempts/{attempt.id}/submit")
    refused = client.post(f"/quizzes/{quiz.id}/start")
    assert refused.status_code == 409 and "used all your attempts" in refused.text
    assert db.session.scalar(select(func.count()).select_from(QuizAttempt)) == 2
    assert db.session.scalars(select(QuizAttempt.attempt_number).order_by(QuizAttempt.attempt_number)).all() == [1, 2]
    assert "Start the quiz" not in client.get(f"/quizzes/{quiz.id}").text


def test_unlimited_attempts_keep_history_and_best_score(client, learner, make):
    _, _, quiz = learner
    question = make.question(quiz, answers=[("Right", True), ("Wrong", False)])
    for pick in ("Wrong", "Right", "Wrong"):
        attempt = start(client, quiz)
        client.post(f"/quizzes/attempts/{attempt.id}/submit", data={f"q-{question.id}": answer_id(
            services.quiz_with_questions(quiz.id).questions[0], pick)})
    page = client.get(f"/quizzes/{quiz.id}")
    assert page.text.count("/result") == 3 and "Best score: 100 %" in page.text and "Try again" in page.text


def test_time_limit_is_enforced_by_the_server(client, learner, make):
    _, _, quiz = learner
    quiz.time_limit_seconds = 60
    db.session.commit()
    q1 = make.question(quiz, text="First", display_order=1)
    q2 = make.question(quiz, text="Second", display_order=2)
    q1, q2 = services.quiz_with_questions(quiz.id).questions
    attempt = start(client, quiz)
    assert attempt.deadline_at == attempt.started_at + timedelta(seconds=60)
    page = client.get(f"/quizzes/attempts/{attempt.id}")
    assert 'data-remaining="' in page.text and "quiz." in page.text  # the countdown script and its figure
    client.post(f"/quizzes/attempts/{attempt.id}/answers/{q1.id}", data={f"q-{q1.id}": answer_id(q1, "Right")},
                headers=HTMX)

    # Two minutes pass on the server's clock (the attempt started earlier than it thinks).
    attempt = reload(attempt)
    attempt.started_at -= timedelta(minutes=2)
    attempt.deadline_at -= timedelta(minutes=2)
    db.session.commit()
    late_save = client.post(f"/quizzes/attempts/{attempt.id}/answers/{q2.id}",
                            data={f"q-{q2.id}": answer_id(q2, "Right")}, headers=HTMX)
    assert late_save.status_code == 409
    client.post(f"/quizzes/attempts/{attempt.id}/submit", data={
        f"q-{q1.id}": answer_id(q1, "Right"), f"q-{q2.id}": answer_id(q2, "Right")})
    attempt = reload(attempt)
    assert attempt.submitted_at == attempt.deadline_at  # scored as at the deadline
    assert attempt.score == Decimal("50.00")  # the late answer to the second question did not count
    assert "Time ran out" in client.get(f"/quizzes/attempts/{attempt.id}/result").text
    assert client.get(f"/quizzes/attempts/{attempt.id}").status_code == 302  # the form is closed


def test_an_abandoned_timed_attempt_is_scored_at_its_deadline(client, learner, make):
    _, _, quiz = learner
    quiz.time_limit_seconds, quiz.max_attempts = 60, 2
    db.session.commit()
    make.question(quiz)
    attempt = start(client, quiz)
    attempt.deadline_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    page = client.get(f"/quizzes/{quiz.id}")
    attempt = reload(attempt)
    assert attempt.submitted_at == attempt.deadline_at and attempt.score == 0 and attempt.passed is False
    assert "1 attempt left" in page.text and "Try again" in page.text


def test_only_enrolled_learners_take_quizzes_and_only_their_own_attempts(client, learner, make, login):
    _, _, quiz = learner
    make.question(quiz)
    attempt = start(client, quiz)
    login(make.user())
    assert client.get(f"/quizzes/{quiz.id}").status_code == 403
    assert client.post(f"/quizzes/{quiz.id}/start").status_code == 403
    assert client.get(f"/quizzes/attempts/{attempt.id}").status_code == 404
    assert client.post(f"/quizzes/attempts/{attempt.id}/submit").status_code == 404
    assert reload(attempt).submitted_at is None


def test_shuffled_quiz_keeps_one_order_per_attempt(client, learner, make):
    _, _, quiz = learner
    quiz.shuffle = True
    db.session.commit()
    for n in range(8):
        make.question(quiz, text=f"Question {n}", display_order=n,
                      answers=[(f"q{n}a{i}", i == 0) for i in range(4)])
    attempt = start(client, quiz)
    first = client.get(f"/quizzes/attempts/{attempt.id}").text
    again = client.get(f"/quizzes/attempts/{attempt.id}").text
    order = re.findall(r"Question \d|q\da\d", first)
    assert order == re.findall(r"Question \d|q\da\d", again)
    assert sorted(attempt.question_order) == sorted(str(q.id) for q in services.quiz_with_questions(quiz.id).questions)


# ---------------------------------------------------------------- progress and completion

def test_passing_the_required_quiz_completes_the_course_and_issues_the_certificate(client, learner, make):
    student, course, quiz = learner
    make.question(quiz, answers=[("Right", True), ("Wrong", False)])
    question = services.quiz_with_questions(quiz.id).questions[0]
    enrollment = learning.get_enrollment(student.id, course.id)
    learning.refresh_progress(enrollment)
    db.session.commit()
    assert enrollment.progress_percent == 50 and enrollment.status == EnrollmentStatus.ACTIVE

    failed = start(client, quiz)
    client.post(f"/quizzes/attempts/{failed.id}/submit", data={f"q-{question.id}": answer_id(question, "Wrong")})
    db.session.expire_all()
    assert db.session.get(Enrollment, enrollment.id).status == EnrollmentStatus.ACTIVE

    passed = start(client, quiz)
    client.post(f"/quizzes/attempts/{passed.id}/submit", data={f"q-{question.id}": answer_id(question, "Right")})
    db.session.expire_all()
    enrollment = db.session.get(Enrollment, enrollment.id)
    assert enrollment.status == EnrollmentStatus.COMPLETED and enrollment.progress_percent == 100
    certificate = db.session.scalar(select(Certificate))
    assert certificate.learner_name == "Amina Otieno" and certificate.course_title == "Bookkeeping Basics"
    assert certificate.content_hours == Decimal("1.5")
    [email] = emails_to("amina@example.com", "course_completed")
    assert f"/certificates/{certificate.verification_code}" in email.body_text

    # Passing again changes nothing: one certificate, one email.
    again = start(client, quiz)
    client.post(f"/quizzes/attempts/{again.id}/submit", data={f"q-{question.id}": answer_id(question, "Right")})
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1
    assert len(emails_to("amina@example.com", "course_completed")) == 1


def test_a_pass_scored_at_its_deadline_completes_the_course_too(client, learner, make):
    """Quiz passed → progress also when the server scores a timed attempt left open: the answer saved in
    time passes the quiz when the learner next opens it, and the course completes."""
    student, course, quiz = learner
    quiz.time_limit_seconds = 60
    db.session.commit()
    make.question(quiz, answers=[("Right", True), ("Wrong", False)])
    question = services.quiz_with_questions(quiz.id).questions[0]
    attempt = start(client, quiz)
    client.post(f"/quizzes/attempts/{attempt.id}/answers/{question.id}",
                data={f"q-{question.id}": answer_id(question, "Right")}, headers=HTMX)
    attempt = reload(attempt)
    attempt.deadline_at = utcnow() - timedelta(minutes=5)
    db.session.commit()

    assert client.get(f"/quizzes/{quiz.id}").status_code == 200
    attempt = reload(attempt)
    assert attempt.passed is True and attempt.submitted_at == attempt.deadline_at
    enrollment = learning.get_enrollment(student.id, course.id)
    assert enrollment.status == EnrollmentStatus.COMPLETED and enrollment.progress_percent == 100
    assert len(emails_to("amina@example.com", "course_completed")) == 1


def test_an_optional_quiz_does_not_hold_back_completion(client, learner, make):
    student, course, quiz = learner
    quiz.is_required = False
    db.session.commit()
    enrollment = learning.refresh_progress(learning.get_enrollment(student.id, course.id))
    db.session.commit()
    assert enrollment.status == EnrollmentStatus.COMPLETED


def test_quizzes_appear_in_the_curriculum_at_their_section(client, make, login):
    student, course = make.user(), make.course()
    first, second = make.section(course, title="Start"), make.section(course, title="Later")
    lesson = make.lesson(first, title="Welcome")
    make.lesson(second, title="Deeper")
    make.quiz(course, title="Start check", section_id=first.id)
    make.quiz(course, title="Final exam")
    learning.enroll_free(student, course)
    db.session.commit()
    login(student)
    page = client.get(f"/learn/{course.slug}/lessons/{lesson.id}").text
    html = page[page.index('class="curriculum"'):]  # the pager above also names the next lesson
    assert html.index("Welcome") < html.index("Quiz: Start check") < html.index("Deeper") < html.index("Quiz: Final exam")
    assert services.quizzes_by_section(course.id)[first.id][0].title == "Start check"


def test_attempt_and_result_pages_run_a_fixed_number_of_queries(client, learner, make):
    _, _, quiz = learner
    make.question(quiz)
    one_attempt = start(client, quiz)
    with count_queries() as one:
        client.get(f"/quizzes/attempts/{one_attempt.id}")
    client.post(f"/quizzes/attempts/{one_attempt.id}/submit")
    with count_queries() as one_result:
        client.get(f"/quizzes/attempts/{one_attempt.id}/result")

    for n in range(5):
        make.question(quiz, text=f"Extra {n}", display_order=n + 2)
    many_attempt = start(client, quiz)
    with count_queries() as many:
        page = client.get(f"/quizzes/attempts/{many_attempt.id}")
    assert "Extra 4" in page.text and len(many) == len(one)
    client.post(f"/quizzes/attempts/{many_attempt.id}/submit")
    with count_queries() as many_result:
        client.get(f"/quizzes/attempts/{many_attempt.id}/result")
    assert len(many_result) == len(one_result)


def test_a_twenty_question_quiz_page_stays_within_the_14_kb_budget(client, learner, make):
    import gzip

    _, _, quiz = learner
    quiz.time_limit_seconds = 900
    db.session.commit()
    for n in range(20):
        make.question(quiz, text=f"Question {n}: which of these statements about bookkeeping is right?",
                      display_order=n, kind=QuestionKind.MULTIPLE,
                      answers=[(f"A fairly long answer text number {i}", i < 2) for i in range(4)])
    attempt = start(client, quiz)
    html = client.get(f"/quizzes/attempts/{attempt.id}").data
    assert len(gzip.compress(html)) <= 14 * 1024
