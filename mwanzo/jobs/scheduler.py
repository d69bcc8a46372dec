"""The periodic timer: RQ's cron scheduler (rq.cron) with Redis, an in-process loop without it.

Ticks are aligned to the clock (a 30-second task is due at :00 and :30 of every minute) rather than to
each scheduler's start, and a tick is claimed in Redis before it is enqueued, so several scheduler
processes (a standby, or two started by mistake) enqueue each tick's job once.
"""
from __future__ import annotations

import contextlib
import logging
import threading
import time
from datetime import datetime, timezone

from flask import Flask
from redis.exceptions import RedisError
from rq import Retry
from rq.cron import CronJob, CronScheduler
from rq.exceptions import StopRequested
from rq.utils import now

from mwanzo.jobs import (QUEUE_TIMEOUTS, RETRY_INTERVALS, PendingJob, Task, periodic_tasks, redis_connection,
                         redis_key, run_task)

log = logging.getLogger(__name__)

LAST_TICK = "scheduler:last_tick"
RECONNECT_SECONDS = 5


class Tick(CronJob):
    """One periodic task on RQ's cron, due at each multiple of its interval and enqueued once per tick."""

    def __init__(self, app: Flask, task: Task):
        self.app = app
        self.task = task
        super().__init__(queue_name=app.config.get("RQ_QUEUE_PREFIX", "") + task.queue, func=run_task,
                         args=(task.name,), interval=int(task.interval(app.config).total_seconds()),
                         job_timeout=QUEUE_TIMEOUTS[task.queue], name=task.name)
        # Retried like every other job: a tick that meets a database restart runs again, not only next tick.
        self.job_options["retry"] = Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS)

    def to_dict(self) -> dict:
        """What RQ records of the cron job in Redis: JSON, so without the Retry object."""
        recorded = super().to_dict()
        recorded.pop("retry", None)
        return recorded

    def get_next_enqueue_time(self) -> datetime:
        slot = int(self.latest_enqueue_time.timestamp() // self.interval) + 1
        return datetime.fromtimestamp(slot * self.interval, timezone.utc)

    def enqueue(self, connection):
        tick = int(now().timestamp() // self.interval)
        with self.app.app_context():
            claim = redis_key(f"tick:{self.name}:{tick}")
        if not connection.set(claim, "1", nx=True, ex=2 * self.interval):
            return None  # another scheduler enqueued this tick
        return super().enqueue(connection)


class Scheduler(CronScheduler):
    """RQ's cron scheduler with every periodic task registered, recording each tick for /healthz."""

    def __init__(self, app: Flask, connection):
        super().__init__(connection=connection)
        self.app = app
        self._cron_jobs = [Tick(app, task) for task in periodic_tasks(app)]

    def heartbeat(self) -> None:
        super().heartbeat()
        with self.app.app_context():
            self.connection.set(redis_key(LAST_TICK), now().isoformat())

    def register_death(self, pipeline=None) -> None:
        with contextlib.suppress(RedisError):  # gone with Redis; its registry entry expires on its own
            super().register_death(pipeline)


def run(app: Flask) -> None:
    """Run the scheduler until SIGTERM or SIGINT (`flask --app wsgi scheduler`). While Redis is
    unreachable it waits and starts again, rather than exiting and leaving the timers stopped."""
    with app.app_context():
        connection = redis_connection()
    while True:
        try:
            Scheduler(app, connection).start()
            return
        except RedisError as exc:
            log.warning("Redis unreachable (%s): the scheduler starts again in %d s", exc.__class__.__name__,
                        RECONNECT_SECONDS)
        try:
            time.sleep(RECONNECT_SECONDS)
        except StopRequested:  # SIGTERM meanwhile (the stopped scheduler's handler is still installed)
            return


def start_in_process(app: Flask, stop: threading.Event | None = None) -> threading.Thread:
    """Without Redis: the same ticks, handed to the in-process job thread (until ``stop`` is set)."""
    ticks = [Tick(app, task) for task in periodic_tasks(app)]
    runner = app.extensions["mwanzo_thread_runner"]
    stop = stop or threading.Event()

    def loop() -> None:
        while not stop.is_set():
            for tick in ticks:
                if tick.should_run():
                    tick.set_enqueue_time(now())
                    runner.submit(PendingJob(tick.task.name, (), tick.task.queue))
            app.extensions[LAST_TICK] = now()
            stop.wait(max(0.5, (min(tick.next_enqueue_time for tick in ticks) - now()).total_seconds()))

    thread = threading.Thread(target=loop, name="mwanzo-periodic", daemon=True)
    thread.start()
    return thread


def last_tick(app: Flask) -> str | None:
    if app.config["JOB_RUNNER"] != "rq":
        tick = app.extensions.get(LAST_TICK)
        return tick.isoformat() if tick else None
    value = redis_connection().get(redis_key(LAST_TICK))
    return value.decode() if value else None
