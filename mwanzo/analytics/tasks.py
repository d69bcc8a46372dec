"""The weekly progress report's job."""
from __future__ import annotations

from mwanzo.analytics import weekly
from mwanzo.database import utcnow
from mwanzo.jobs import each_committed, job


@job()  # on a timer: mwanzo/tasks.py SCHEDULE
def send_weekly_reports() -> int:
    """Every WEEKLY_REPORT_CHECK_SECONDS (an hour by default): once the week's report is due, email each active learner who has not had it yet.
    Commits per learner, so a crash halfway loses nothing and a rerun only sends the rest."""
    now = utcnow()
    if not weekly.report_due(now):
        return 0
    return each_committed(weekly.recipient_ids(now), lambda user_id: weekly.send_report(user_id, now))
