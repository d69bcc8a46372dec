"""Platform and instructor analytics against known fixtures: the numbers, the SVG charts and the CSVs."""
import csv
import io
import re
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from mwanzo.auth.models import Role
from mwanzo.courses.models import Review
from mwanzo.extensions import db
from mwanzo.learning.models import EnrollmentStatus, VideoProgress
from mwanzo.payments.models import PaymentStatus
from mwanzo.quizzes.models import Quiz, QuizAttempt

RANGE = "?start=2026-03-01&end=2026-03-07"


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=timezone.utc)


def chart_values(html: str, name: str) -> dict[str, str]:
    svg = re.search(rf'<svg id="chart-{name}".*?</svg>', html, re.S).group(0)
    return dict(re.findall(r'data-label="([^"]*)" data-value="([^"]*)"', svg))


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


@pytest.fixture
def platform(make):
    """Sign-ups, enrolments, payments and completions on known days of 1–7 March 2026."""
    for day in (2, 2, 3, 7):
        make.user(created_at=at(day))
    make.user(created_at=at(8, 0))      # the day after the range: not counted
    make.user(created_at=at(1, 0))      # midnight UTC on the first day: counted
    excel = make.course(title="Excel", price=Decimal("1500"))
    farming = make.course(title="Farming")
    rows = []
    for day, course, status in [(2, excel, EnrollmentStatus.ACTIVE), (2, excel, EnrollmentStatus.COMPLETED),
                                (4, excel, EnrollmentStatus.ACTIVE), (5, excel, EnrollmentStatus.ACTIVE),
                                (5, farming, EnrollmentStatus.COMPLETED), (6, farming, EnrollmentStatus.COMPLETED)]:
        rows.append(make.enrollment(make.user(created_at=at(9)), course, status=status, activated_at=at(day)))
    make.payment(rows[0], "1500", PaymentStatus.SUCCESS, settled_at=at(2), created_at=at(2))
    make.payment(rows[1], "1500", PaymentStatus.SUCCESS, settled_at=at(3, 1), created_at=at(2, 23))
    make.payment(rows[2], "1200.50", PaymentStatus.SUCCESS, settled_at=at(4), created_at=at(4))
    make.payment(rows[3], "1500", PaymentStatus.FAILED, created_at=at(5))
    make.payment(rows[3], "1500", PaymentStatus.PENDING, created_at=at(5))
    return {"excel": excel, "farming": farming}


def test_platform_charts_show_the_known_numbers(client, make, login, platform):
    login(make.user(role=Role.ADMIN))
    response = client.get("/admin/analytics" + RANGE)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert chart_values(html, "signups") == {"2026-03-01": "1", "2026-03-02": "2", "2026-03-03": "1",
                                             "2026-03-04": "0", "2026-03-05": "0", "2026-03-06": "0",
                                             "2026-03-07": "1"}
    enrolments = chart_values(html, "enrolments")
    assert [enrolments[f"2026-03-0{d}"] for d in range(1, 8)] == ["0", "2", "0", "1", "2", "1", "0"]
    revenue = chart_values(html, "revenue")
    assert (revenue["2026-03-02"], revenue["2026-03-03"], revenue["2026-03-04"]) == ("1500", "1500", "1200.50")
    assert revenue["2026-03-05"] == "0"
    assert chart_values(html, "completion") == {"Excel": "25.0", "Farming": "100.0"}
    assert chart_values(html, "payments")["SUCCESS"] == "3" and chart_values(html, "payments")["FAILED"] == "1"
    assert chart_values(html, "top-courses") == {"Excel": "4", "Farming": "2"}
    # 3 successes of 4 finished payments (the pending one is not finished yet)
    assert "75.0" in html.split('id="payments"')[1].split("</section>")[0]
    assert "<script" not in html.split("<main")[1]  # charts are plain SVG, no chart library


def test_platform_csv_exports_parse_to_the_same_numbers(client, make, login, platform):
    login(make.user(role=Role.ADMIN))
    revenue = csv_rows(client.get("/admin/analytics/revenue.csv" + RANGE))
    assert revenue[0] == ["Day", "KES"] and len(revenue) == 8
    assert sum(Decimal(value) for _, value in revenue[1:]) == Decimal("4200.50")
    completion = csv_rows(client.get("/admin/analytics/completion.csv" + RANGE))
    assert completion[1:] == [["Excel", "25.0", "4", "1"], ["Farming", "100.0", "2", "2"]]
    top = csv_rows(client.get("/admin/analytics/top-courses.csv" + RANGE))
    assert top[1] == ["Excel", "4", "4200.50"]
    assert client.get("/admin/analytics/nothing.csv" + RANGE).status_code == 404


def test_bad_ranges_are_rejected(client, make, login):
    login(make.user(role=Role.ADMIN))
    for query in ("?start=2026-03-07&end=2026-03-01", "?start=yesterday", "?start=2020-01-01&end=2026-01-01"):
        assert client.get("/admin/analytics" + query).status_code == 400
    assert client.get("/admin/analytics").status_code == 200  # defaults to the last 30 days


def test_csv_cells_cannot_become_spreadsheet_formulas(client, make, login):
    course = make.course(title="=HYPERLINK(\"http://evil\")")
    make.enrollment(make.user(), course, activated_at=at(3))
    login(make.user(role=Role.ADMIN))
    rows = csv_rows(client.get("/admin/analytics/completion.csv" + RANGE))
    assert rows[1][0].startswith("'=")


@pytest.fixture
def course_with_activity(make):
    instructor = make.user(role=Role.INSTRUCTOR)
    course = make.course(title="Poultry", instructor_id=instructor.id)
    section = make.section(course)
    lessons = [make.lesson(section, title=f"Lesson {n}", display_order=n) for n in range(1, 4)]
    learners = [make.user() for _ in range(4)]
    for learner in learners:
        make.enrollment(learner, course, activated_at=at(3))
    # Lesson 1: 4 started, 3 completed; lesson 2: 2 started, 1 completed; lesson 3: nobody.
    for lesson, started, completed in [(lessons[0], 4, 3), (lessons[1], 2, 1)]:
        for index, learner in enumerate(learners[:started]):
            db.session.add(VideoProgress(student_id=learner.id, lesson_id=lesson.id, completed=index < completed))
    quiz = Quiz(course_id=course.id, title="Egg basics")
    db.session.add(quiz)
    db.session.flush()
    for number, (learner, score) in enumerate(zip(learners * 2, [95, 100, 72.5, 71, 40, None])):
        db.session.add(QuizAttempt(quiz_id=quiz.id, student_id=learner.id, attempt_number=number + 1,
                                   started_at=at(4), score=score))
    db.session.add_all([Review(course_id=course.id, student_id=learners[0].id, rating=5),
                        Review(course_id=course.id, student_id=learners[1].id, rating=4)])
    db.session.commit()
    return instructor, course


def test_instructor_sees_funnel_quiz_scores_and_rating(client, login, course_with_activity):
    instructor, course = course_with_activity
    login(instructor)
    assert "Poultry" in client.get("/instructor/analytics/").get_data(as_text=True)
    html = client.get(f"/instructor/analytics/{course.id}{RANGE}").get_data(as_text=True)
    assert chart_values(html, "funnel") == {"Lesson 1": "3", "Lesson 2": "1", "Lesson 3": "0"}
    funnel_table = html.split('id="funnel"')[1].split("</section>")[0]
    assert "<td>Lesson 1</td><td>4</td><td>3</td>" in funnel_table
    scores = chart_values(html, "quiz-1")
    assert (scores["90–100"], scores["70–79"], scores["40–49"], scores["0–9"]) == ("2", "2", "1", "0")
    assert '<strong id="average-rating">4.50</strong>' in html
    assert chart_values(html, "enrolments")["2026-03-03"] == "4"
    rows = csv_rows(client.get(f"/instructor/analytics/{course.id}/funnel.csv{RANGE}"))
    assert rows == [["Lesson", "Started", "Completed"], ["Lesson 1", "4", "3"], ["Lesson 2", "2", "1"],
                    ["Lesson 3", "0", "0"]]
    quiz_rows = csv_rows(client.get(f"/instructor/analytics/{course.id}/quiz-1.csv{RANGE}"))
    assert len(quiz_rows) == 11 and quiz_rows[-1] == ["90–100", "2"]


def test_instructors_only_see_their_own_courses(client, make, login, course_with_activity):
    _, course = course_with_activity
    login(make.user(role=Role.INSTRUCTOR))
    assert "Poultry" not in client.get("/instructor/analytics/").get_data(as_text=True)
    assert client.get(f"/instructor/analytics/{course.id}").status_code == 404
    assert client.get(f"/instructor/analytics/{course.id}/funnel.csv").status_code == 404
    login(make.user())
    assert client.get("/instructor/analytics/").status_code == 403
    login(make.user(role=Role.ADMIN))
    assert client.get(f"/instructor/analytics/{course.id}").status_code == 200


def test_chart_helper_escapes_labels_and_scales_bars():
    from mwanzo.analytics.charts import bar_chart

    svg = str(bar_chart([("<b>", 10), ("half", 5)], "T & C"))
    assert "<b>" not in svg and "&lt;b&gt;" in svg and 'aria-label="T &amp; C"' in svg
    heights = [float(h) for h in re.findall(r'<rect [^>]*height="([\d.]+)"', svg)]
    assert heights[0] == pytest.approx(2 * heights[1])


def test_revenue_is_counted_on_the_kenyan_calendar_day(app, make):
    """22:30 UTC on 9 March is 01:30 on 10 March in Nairobi: that sale belongs to the 10th."""
    from datetime import date

    from mwanzo.analytics.services import DateRange, revenue_per_day
    from mwanzo.payments.models import PaymentStatus

    course = make.course(price=Decimal("900"))
    enrolment = make.enrollment(make.user(), course)
    late_evening = datetime(2026, 3, 9, 22, 30, tzinfo=timezone.utc)
    make.payment(enrolment, "900", PaymentStatus.SUCCESS, created_at=late_evening, settled_at=late_evening)
    days = dict(revenue_per_day(DateRange(date(2026, 3, 9), date(2026, 3, 10))))
    assert days[date(2026, 3, 9)] == 0 and days[date(2026, 3, 10)] == Decimal("900")
