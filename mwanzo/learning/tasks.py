"""The study reminder's job."""
from __future__ import annotations

from mwanzo.database import utcnow
from mwanzo.jobs import each_committed, job
from mwanzo.learning import reminders


@job()  # on a timer: mwanzo/tasks.py SCHEDULE
def send_study_reminders() -> int:
    """Every STUDY_REMINDER_CHECK_SECONDS (hourly by default), in daytime: text each idle learner who opted in
    and has not had this week's reminder. Commits per learner, so a rerun only sends the rest."""
    now = utcnow()
    if not reminders.in_daytime(now):
        return 0
    return each_committed(reminders.idle_learner_ids(now), lambda user_id: reminders.send_reminder(user_id, now))
