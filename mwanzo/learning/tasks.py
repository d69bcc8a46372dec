"""The study reminder's job."""
from __future__ import annotations

from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.jobs import job
from mwanzo.learning import reminders


@job()  # on a timer: mwanzo/tasks.py SCHEDULE
def send_study_reminders() -> int:
    """Every STUDY_REMINDER_CHECK_SECONDS (hourly by default), in daytime: text each idle learner who opted in
    and has not had this week's reminder. Commits per learner, so a rerun only sends the rest."""
    now = utcnow()
    if not reminders.in_daytime(now):
        return 0
    sent = 0
    for user_id in reminders.idle_learner_ids(now):
        if reminders.send_reminder(user_id, now) is not None:
            sent += 1
        db.session.commit()
    return sent
