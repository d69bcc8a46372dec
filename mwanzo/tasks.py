"""Every background task and the periodic schedule, declared in one place.

The worker, the scheduler and (without Redis) the web process know every task from the modules imported
here, never from importing a view; create_app hands the schedule to the job pipeline.
"""
from __future__ import annotations

from datetime import timedelta

from mwanzo.analytics import tasks as analytics_tasks
from mwanzo.auth import tasks as auth_tasks
from mwanzo.courses import tasks as course_tasks
from mwanzo.inbox import tasks as inbox_tasks
from mwanzo.jobs import tasks as job_tasks
from mwanzo.learning import tasks as learning_tasks
from mwanzo.media import tasks as media_tasks
from mwanzo.notifications import tasks as notification_tasks
from mwanzo.payments import tasks as payment_tasks
from mwanzo.privacy import tasks as privacy_tasks
from mwanzo.sms import tasks as sms_tasks
from mwanzo.studio import tasks as studio_tasks

TASK_MODULES = (job_tasks, course_tasks, media_tasks, notification_tasks, payment_tasks, analytics_tasks, inbox_tasks,
                privacy_tasks, sms_tasks, learning_tasks, auth_tasks, studio_tasks)

# (task, interval): a timedelta, or the name of the setting that holds the interval in seconds.
SCHEDULE = (
    (job_tasks.relay_outbox, timedelta(seconds=15)),
    (media_tasks.sweep_stale_lessons, timedelta(minutes=5)),
    (studio_tasks.sweep_course_transfers, timedelta(minutes=5)),
    (payment_tasks.reconcile_payments, timedelta(seconds=30)),
    (payment_tasks.reconcile_payouts, timedelta(seconds=30)),
    (analytics_tasks.send_weekly_reports, "WEEKLY_REPORT_CHECK_SECONDS"),
    (inbox_tasks.send_daily_digests, "NOTIFICATION_DIGEST_SECONDS"),
    (privacy_tasks.apply_retention, timedelta(hours=6)),
    (learning_tasks.send_study_reminders, "STUDY_REMINDER_CHECK_SECONDS"),
)
