"""Background jobs: queued during a request, sent only after its transaction commits.

Three runners, chosen by JOB_RUNNER: ``rq`` (Redis + worker.py, production), ``thread`` (an
in-process worker thread, the embedded default) and ``sync`` (run right after commit, for tests
and scripts). Tasks are named by import path, take ids, reload their rows and are safe to retry.
"""
from __future__ import annotations

import importlib
import logging
import queue
import threading
import time
from dataclasses import dataclass, field

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from mwanzo.ops.logs import job_context, job_metadata

log = logging.getLogger(__name__)

PENDING_KEY = "mwanzo_pending_jobs"
QUEUES = ("transcode", "email", "default")
RETRY_INTERVALS = [10, 60, 300]
QUEUE_TIMEOUTS = {"transcode": 3 * 3600, "email": 120, "default": 600}

# Tasks run on a timer: (task path, every N seconds). Domains append theirs at import.
PERIODIC_TASKS: list[tuple[str, int]] = []

_worker_app: Flask | None = None


@dataclass(frozen=True)
class PendingJob:
    task: str
    args: tuple
    queue: str
    meta: dict = field(default_factory=dict)


def enqueue(task: str, *args, queue_name: str = "default") -> None:
    """Queue ``task`` (an import path such as 'mwanzo.notifications.tasks.deliver_email')
    to run once the current database transaction commits; dropped if it rolls back."""
    if queue_name not in QUEUES:
        raise ValueError(f"unknown queue {queue_name!r}")
    from mwanzo.extensions import db

    db.session().info.setdefault(PENDING_KEY, []).append(
        PendingJob(task, tuple(args), queue_name, job_metadata()))


def periodic(task: str, every_seconds: int) -> None:
    if (task, every_seconds) not in PERIODIC_TASKS:
        PERIODIC_TASKS.append((task, every_seconds))


def resolve(task: str):
    module, _, name = task.rpartition(".")
    return getattr(importlib.import_module(module), name)


def run_task(task: str, *args, job_meta: dict | None = None):
    """What a worker executes: the task inside an app context of its own (fresh DB session), with the
    metadata captured at enqueue (the request id) restored for its log lines."""
    global _worker_app
    if has_app_context():
        app = current_app._get_current_object()
    else:
        if _worker_app is None:
            from mwanzo import create_app
            _worker_app = create_app()
        app = _worker_app
    with app.app_context(), job_context(job_meta):
        started, outcome = time.perf_counter(), "failed"
        try:
            result = resolve(task)(*args)
            outcome = "ok"
            return result
        finally:
            log.info("job", extra={"task": task, "outcome": outcome,
                                   "duration_ms": round((time.perf_counter() - started) * 1000, 1)})


def redis_connection():
    from redis import Redis

    return Redis.from_url(current_app.config["REDIS_URL"])


def rq_queue(name: str, connection=None):
    from rq import Queue

    # A prefix keeps separate deployments (or concurrent test runs) on one Redis apart.
    prefixed = current_app.config.get("RQ_QUEUE_PREFIX", "") + name
    return Queue(prefixed, connection=connection or redis_connection(), default_timeout=QUEUE_TIMEOUTS[name])


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
    for job in jobs:
        if runner == "rq":
            from rq import Retry

            rq_queue(job.queue).enqueue(
                run_task, job.task, *job.args, job_meta=job.meta,
                retry=Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS),
            )
        elif runner == "thread":
            app.extensions["mwanzo_thread_runner"].submit(job)
        else:
            run_with_retries(app, job, sleep=False)


def wait_for_background_jobs(app: Flask, timeout: float = 30) -> None:
    runner = app.extensions.get("mwanzo_thread_runner")
    if runner:
        runner.wait(timeout)


def init_app(app: Flask) -> None:
    if app.config["JOB_RUNNER"] not in ("rq", "thread", "sync"):
        raise ValueError("JOB_RUNNER must be rq, thread or sync")
    app.extensions["mwanzo_thread_runner"] = ThreadRunner(app)
    if app.config["JOB_RUNNER"] == "thread" and not app.testing:
        # Without a worker process, the web process runs the periodic tasks itself (started with
        # the first request, so CLI commands such as `flask db upgrade` start no threads).
        started = threading.Event()

        @app.before_request
        def _start_periodic_tasks() -> None:
            if not started.is_set():
                started.set()
                start_periodic_scheduler(app)


@event.listens_for(Session, "after_commit")
def _send_pending_jobs(session: Session) -> None:
    jobs = session.info.pop(PENDING_KEY, None)
    if jobs and has_app_context():
        dispatch(current_app._get_current_object(), jobs)


@event.listens_for(Session, "after_rollback")
def _drop_pending_jobs(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)


def start_periodic_scheduler(app: Flask) -> threading.Thread:
    """Enqueue each PERIODIC_TASKS entry on its interval. With Redis, a short lock per tick keeps
    several workers from enqueueing the same tick twice; tasks are idempotent regardless."""

    def tick_is_ours(task: str, every: int, now: float) -> bool:
        if app.config["JOB_RUNNER"] != "rq":
            return True
        with app.app_context():
            key = f"mwanzo:periodic:{task}:{int(now // every)}"
            return bool(redis_connection().set(key, "1", nx=True, ex=every))

    def loop() -> None:
        last_run: dict[str, float] = {}
        while True:
            now = time.time()
            for task, every in list(PERIODIC_TASKS):
                if now - last_run.get(task, 0) >= every:
                    last_run[task] = now
                    try:
                        if tick_is_ours(task, every, now):
                            dispatch(app, [PendingJob(task, (), "default")])
                    except Exception:
                        log.exception("could not schedule %s", task)
            time.sleep(5)

    thread = threading.Thread(target=loop, name="mwanzo-periodic", daemon=True)
    thread.start()
    return thread
