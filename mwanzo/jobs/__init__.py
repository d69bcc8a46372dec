"""Background jobs: declared beside their task, queued during a transaction, sent once it commits.

A task is a function in a domain's tasks.py decorated with ``@job(queue=...)``. The app factory lists
those modules and the periodic schedule (``mwanzo/tasks.py``) and hands them over in ``init_app``, so the
worker and the scheduler know every task without importing any view. Callers ``enqueue(task, *ids)``.

Three runners, chosen by JOB_RUNNER: ``rq`` (Redis, worker.py and ``flask scheduler``: production),
``thread`` (an in-process thread that also runs the periodic tasks: the embedded default) and ``sync``
(runs the job once right after commit and raises what it raises: tests and scripts). With rq, every job
is also written to the outbox table in the caller's transaction, so none is lost when Redis is briefly
unreachable at commit time. Tasks take ids, reload their rows and are safe to run twice.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from mwanzo.ops.logs import job_context, job_metadata

log = logging.getLogger(__name__)

PENDING_KEY = "mwanzo_pending_jobs"
COMMITTED_KEY = "mwanzo_committed_jobs"
QUEUES = ("transcode", "email", "default")
RETRY_INTERVALS = [10, 60, 300]
QUEUE_TIMEOUTS = {"transcode": 3 * 3600, "email": 120, "default": 600}


@dataclass(frozen=True)
class Task:
    func: Callable[..., Any]
    queue: str
    every: timedelta | str | None = None  # a str names the setting that holds the interval in seconds

    @property
    def name(self) -> str:
        return task_name(self.func)

    def interval(self, config) -> timedelta:
        return timedelta(seconds=int(config[self.every])) if isinstance(self.every, str) else self.every


@dataclass(frozen=True)
class PendingJob:
    task: str
    args: tuple
    queue: str
    outbox_id: UUID | None = None
    meta: dict = field(default_factory=dict)  # captured at enqueue (the request id), restored in the worker


TASKS: dict[str, Task] = {}
SCHEDULE_KEY = "mwanzo_schedule"
_app_factory: Callable[[], Flask] | None = None  # set by init_app: how a worker without an app builds one
_worker_app: Flask | None = None


def task_name(func: Callable) -> str:
    return f"{func.__module__}.{func.__name__}"


def job(queue: str = "default"):
    """Register the decorated function as a task on ``queue``."""
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")

    def register(func: Callable) -> Callable:
        TASKS[task_name(func)] = Task(func, queue)
        return func

    return register


def periodic_tasks(app: Flask | None = None) -> list[Task]:
    """The tasks on a timer, as the app factory scheduled them."""
    app = app or current_app._get_current_object()
    return list(app.extensions[SCHEDULE_KEY])


def enqueue(task: Callable, *args) -> None:
    """Queue ``task`` (a registered task function) to run once the current transaction commits;
    dropped if it rolls back. With rq the job is also written to the outbox in this transaction."""
    spec = TASKS.get(task_name(task))
    if spec is None or spec.func is not task:
        raise ValueError(f"{task_name(task)} is not a registered task (decorate it with @job)")
    from mwanzo.extensions import db
    from mwanzo.jobs.models import OutboxJob

    session = db.session()
    outbox_id = None
    if current_app.config["JOB_RUNNER"] == "rq":
        outbox_id = uuid4()
        session.add(OutboxJob(id=outbox_id, task=spec.name, args=list(args), queue_name=spec.queue))
    session.info.setdefault(PENDING_KEY, []).append(PendingJob(spec.name, tuple(args), spec.queue, outbox_id, job_metadata()))


def run_task(name: str, *args, job_meta: dict | None = None):
    """What a worker executes: the task inside an app context of its own (fresh DB session), with the
    metadata captured at enqueue (the request id) restored for its log lines."""
    global _worker_app
    if has_app_context():
        app = current_app._get_current_object()
    else:
        if _worker_app is None:
            if _app_factory is None:
                raise RuntimeError("no app: build one with create_app() before running tasks")
            _worker_app = _app_factory()
        app = _worker_app
    with app.app_context(), job_context(job_meta):
        started, outcome = time.perf_counter(), "failed"
        try:
            result = TASKS[name].func(*args)  # registered: the app factory imported every task module
            outcome = "ok"
            return result
        finally:
            log.info("job", extra={"task": name, "outcome": outcome,
                                   "duration_ms": round((time.perf_counter() - started) * 1000, 1)})


def each_committed(ids, send: Callable[[Any], Any]) -> int:
    """Run a timer's `send` for each id, committing after each, so a crash halfway loses nothing and a rerun
    only does the rest; `send` returns None when there was nothing to do. Returns how many were done."""
    from mwanzo.extensions import db

    done = 0
    for item in ids:
        if send(item) is not None:
            done += 1
        db.session.commit()
    return done


def redis_connection():
    from redis import Redis

    return Redis.from_url(current_app.config["REDIS_URL"])


def redis_key(name: str) -> str:
    """A key of ours in Redis, kept apart per deployment by the same prefix as the queues."""
    return f"{current_app.config.get('RQ_QUEUE_PREFIX', '')}mwanzo:{name}"


def rq_queue(name: str, connection=None):
    from rq import Queue

    # A prefix keeps separate deployments (or concurrent test runs) on one Redis apart.
    prefixed = current_app.config.get("RQ_QUEUE_PREFIX", "") + name
    return Queue(prefixed, connection=connection or redis_connection(), default_timeout=QUEUE_TIMEOUTS[name])


def push(job: PendingJob, connection) -> None:
    from rq import Retry

    rq_queue(job.queue, connection).enqueue(
        run_task, job.task, *job.args, job_meta=job.meta, retry=Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS))


def hand_over(jobs: list[PendingJob]) -> None:
    """Push committed jobs to RQ and mark their outbox rows delivered. When Redis is unreachable the
    rows stay undelivered for the relay task, and the request that committed them still succeeds."""
    from redis.exceptions import RedisError

    from mwanzo.database import utcnow
    from mwanzo.extensions import db
    from mwanzo.jobs.models import OutboxJob

    delivered = []
    try:
        connection = redis_connection()
        for job in jobs:
            push(job, connection)
            delivered.append(job.outbox_id)
    except RedisError as exc:
        log.warning("Redis unreachable (%s): %d job(s) left in the outbox", exc.__class__.__name__,
                    len(jobs) - len(delivered))
    if not delivered:
        return
    try:
        with db.engine.begin() as connection:  # the session's own transaction has just ended
            connection.execute(update(OutboxJob).where(OutboxJob.id.in_(delivered)).values(delivered_at=utcnow()))
    except SQLAlchemyError as exc:
        log.warning("could not mark %d outbox row(s) delivered (%s): the relay sends them again",
                    len(delivered), exc.__class__.__name__)


class ThreadRunner:
    """One daemon thread working through jobs in order, retrying failures with a short backoff."""

    def __init__(self, app: Flask):
        self.app = app
        self.jobs: queue.Queue[PendingJob] = queue.Queue()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def submit(self, job: PendingJob) -> None:
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self.loop, name="mwanzo-jobs", daemon=True)
                self.thread.start()
        self.jobs.put(job)

    def loop(self) -> None:
        while True:
            job = self.jobs.get()
            try:
                run_with_retries(self.app, job, sleep=self.app.config.get("THREAD_RETRY_SLEEP", True))
            finally:
                self.jobs.task_done()

    def wait(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while self.jobs.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.02)

    def backlog(self) -> dict[str, int]:
        with self.jobs.mutex:
            return dict(Counter(job.queue for job in self.jobs.queue))


def run_with_retries(app: Flask, job: PendingJob, sleep: bool) -> None:
    for attempt, delay in enumerate([0, *RETRY_INTERVALS]):
        if delay and sleep:
            time.sleep(min(delay, 5))
        try:
            with app.app_context():
                run_task(job.task, *job.args, job_meta=job.meta)
            return
        except Exception:
            log.exception("job %s failed (attempt %d)", job.task, attempt + 1)


def dispatch(app: Flask, jobs: list[PendingJob]) -> None:
    runner = app.config["JOB_RUNNER"]
    if runner == "rq":
        hand_over(jobs)
    elif runner == "thread":
        for job in jobs:
            app.extensions["mwanzo_thread_runner"].submit(job)
    else:
        for job in jobs:
            run_task(job.task, *job.args, job_meta=job.meta)


def wait_for_background_jobs(app: Flask, timeout: float = 30) -> None:
    runner = app.extensions.get("mwanzo_thread_runner")
    if runner:
        runner.wait(timeout)


def backlog() -> dict[str, Any]:
    """What /healthz reports: outbox rows not yet handed to Redis, jobs waiting per queue and the
    scheduler's last tick (ISO time, None before the first). Redis trouble leaves the outbox count."""
    from redis.exceptions import RedisError

    from mwanzo.extensions import db
    from mwanzo.jobs import scheduler
    from mwanzo.jobs.models import OutboxJob

    app = current_app._get_current_object()
    report: dict[str, Any] = {
        "runner": app.config["JOB_RUNNER"],
        "outbox_undelivered": db.session.scalar(
            select(func.count()).select_from(OutboxJob).where(OutboxJob.delivered_at.is_(None))),
    }
    try:
        if app.config["JOB_RUNNER"] == "rq":
            connection = redis_connection()
            report["queues"] = {name: rq_queue(name, connection).count for name in QUEUES}
        else:
            report["queues"] = {name: 0 for name in QUEUES} | app.extensions["mwanzo_thread_runner"].backlog()
        report["scheduler_last_tick"] = scheduler.last_tick(app)
    except RedisError as exc:
        report["queues"] = report["scheduler_last_tick"] = f"error: {exc.__class__.__name__}"
    return report


def queue_gauges():
    """Prometheus gauges read at scrape time: jobs waiting in each RQ queue and in its failed registry."""
    if current_app.config["JOB_RUNNER"] != "rq":
        return
    from prometheus_client.core import GaugeMetricFamily

    depth = GaugeMetricFamily("mwanzo_job_queue_depth", "Jobs waiting in each RQ queue.", labels=["queue"])
    failed = GaugeMetricFamily("mwanzo_jobs_failed", "Jobs in each RQ queue's failed registry.", labels=["queue"])
    connection = redis_connection()
    for name in QUEUES:
        queue = rq_queue(name, connection)
        depth.add_metric([name], queue.count)
        failed.add_metric([name], queue.failed_job_registry.count)
    yield depth
    yield failed


def init_app(app: Flask, schedule, app_factory: Callable[[], Flask]) -> None:
    """``schedule``: (task, interval) pairs, the interval a timedelta or the name of a setting in seconds;
    ``app_factory`` builds the app in a worker process that has none."""
    global _app_factory
    if app.config["JOB_RUNNER"] not in ("rq", "thread", "sync"):
        raise ValueError("JOB_RUNNER must be rq, thread or sync")
    _app_factory = app_factory
    tasks = []
    for scheduled, every in schedule:
        spec = TASKS.get(task_name(scheduled))
        if spec is None or spec.func is not scheduled:
            raise ValueError(f"{task_name(scheduled)} is not a registered task (decorate it with @job)")
        tasks.append(Task(scheduled, spec.queue, every))
    app.extensions[SCHEDULE_KEY] = tuple(tasks)
    app.extensions["mwanzo_thread_runner"] = ThreadRunner(app)
    if app.config["JOB_RUNNER"] == "thread" and not app.testing:
        # Without Redis there is no scheduler process: the web process runs the periodic tasks itself
        # (started with the first request, so CLI commands such as `flask db upgrade` start no threads).
        started = threading.Event()

        @app.before_request
        def _start_periodic_tasks() -> None:
            if not started.is_set():
                started.set()
                from mwanzo.jobs import scheduler
                scheduler.start_in_process(app)


@event.listens_for(Session, "after_commit")
def _keep_committed_jobs(session: Session) -> None:
    if not session.in_nested_transaction():  # a released savepoint commits nothing yet
        jobs = session.info.pop(PENDING_KEY, None)
        if jobs:
            session.info[COMMITTED_KEY] = jobs


@event.listens_for(Session, "after_transaction_end")
def _send_committed_jobs(session: Session, transaction) -> None:
    # Sent once the transaction is closed rather than from after_commit, so the session is usable again
    # even when the sync runner raises a job's exception to the caller.
    if transaction.parent is None:
        jobs = session.info.pop(COMMITTED_KEY, None)
        if jobs and has_app_context():
            dispatch(current_app._get_current_object(), jobs)


@event.listens_for(Session, "after_rollback")
def _drop_pending_jobs(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)
