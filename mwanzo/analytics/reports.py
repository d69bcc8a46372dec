"""The analytics pages as named tables: the page draws a chart and a table from each, the CSV export
writes the same rows — one source, so the two never disagree."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from flask import Response
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from mwanzo.analytics import services
from mwanzo.analytics.charts import bar_chart, line_chart
from mwanzo.analytics.services import DateRange
from mwanzo.courses.models import Course


@dataclass
class Table:
    name: str
    title: str
    header: list
    rows: list[list]
    chart: str | None = "bar"       # "bar", "line" or None
    value_column: int = 1
    summary: list[tuple[str, object]] = field(default_factory=list)

    def svg(self) -> Markup:
        if not self.chart:
            return Markup("")
        points = [(row[0], row[self.value_column]) for row in self.rows]
        draw = line_chart if self.chart == "line" else bar_chart
        return draw(points, str(self.title), chart_id=f"chart-{self.name}")


def _daily(name, title, value_header, series, chart="line") -> Table:
    return Table(name, title, [_l("Day"), value_header], [[d.isoformat(), v] for d, v in series], chart,
                 summary=[(_l("Total"), sum(v for _, v in series))])


def platform_report(rng: DateRange) -> list[Table]:
    completion = services.completion_by_course(rng)
    payments = services.payment_outcomes(rng)
    top = services.top_courses(rng)
    return [
        _daily("signups", _l("Sign-ups per day"), _l("Sign-ups"), services.signups_per_day(rng)),
        _daily("enrolments", _l("Enrolments per day"), _l("Enrolments"), services.enrollments_per_day(rng)),
        _daily("revenue", _l("Revenue per day (KES)"), _l("KES"), services.revenue_per_day(rng), chart="bar"),
        Table("completion", _l("Completion rate per course"),
              [_l("Course"), _l("Completion rate (%)"), _l("Enrolled"), _l("Completed")],
              [[c.title, c.rate, c.enrolled, c.completed] for c in completion]),
        Table("payments", _l("Payment outcomes"), [_l("Status"), _l("Payments")],
              [[status, n] for status, n in payments.counts.items()],
              summary=[(_l("Success rate of finished payments (%)"), payments.success_rate)]),
        Table("top-courses", _l("Top courses"), [_l("Course"), _l("Enrolments"), _l("Revenue (KES)")],
              [[t.title, t.enrollments, t.revenue] for t in top]),
    ]


def course_report(course: Course, rng: DateRange) -> list[Table]:
    funnel = services.lesson_funnel(course.id)
    tables = [
        _daily("enrolments", _l("Enrolments per day"), _l("Enrolments"),
               services.enrollments_per_day(rng, course_id=course.id)),
        _daily("revenue", _l("Revenue per day (KES)"), _l("KES"), services.revenue_per_day(rng, course_id=course.id),
               chart="bar"),
        Table("funnel", _l("Completion funnel per lesson"), [_l("Lesson"), _l("Started"), _l("Completed")],
              [[f.title, f.started, f.completed] for f in funnel], value_column=2),
    ]
    for number, quiz in enumerate(services.quiz_score_distribution(course.id), start=1):
        # gettext, not lazy: a lazy string counts as safe markup, and the quiz title is the instructor's text.
        tables.append(Table(f"quiz-{number}", _("Scores in %(quiz)s", quiz=quiz.title),
                            [_l("Score band"), _l("Attempts")], [[band, n] for band, n in quiz.buckets],
                            summary=[(_l("Attempts"), quiz.attempts), (_l("Average score"), quiz.average or "–")]))
    return tables


def find_table(tables: list[Table], name: str) -> Table | None:
    return next((t for t in tables if t.name == name), None)


def _cell(value) -> str:
    text = str(value)
    if not isinstance(value, str):
        return text  # a number, such as a negative net, is written as itself
    # A spreadsheet would run a cell starting with = + - @ as a formula: course titles are user input.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_response(table: Table, filename: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([str(h) for h in table.header])
    writer.writerows([_cell(v) for v in row] for row in table.rows)
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'})
