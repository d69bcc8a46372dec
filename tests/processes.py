"""Real RQ worker and scheduler processes, configured like production, against the test's services."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from flask import Flask

from mwanzo import jobs

ROOT = Path(__file__).parents[1]
COMMANDS = {
    "worker": [sys.executable, "worker.py"],
    "scheduler": [sys.executable, "-m", "flask", "--app", "wsgi", "scheduler"],
}
# Settings the processes share with the test app (the payhero and africastalking fixtures point these at the fakes).
SHARED_SETTINGS = ("SECRET_KEY", "MEDIA_ROOT", "PUBLIC_BASE_URL", "PAYMENT_PROVIDER", "PAYHERO_BASE_URL",
                   "PAYHERO_API_USERNAME", "PAYHERO_API_PASSWORD", "PAYHERO_CHANNEL_ID", "PAYMENT_CALLBACK_TOKEN",
                   "SMS_PROVIDER", "AT_USERNAME", "AT_API_KEY", "AT_SENDER_ID", "AT_BASE_URL", "AT_TIMEOUT_SECONDS",
                   "SMS_CALLBACK_TOKEN")


def wait_for(predicate, timeout=60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


class Pipeline:
    """Starts `python worker.py` and `flask scheduler` processes on a queue prefix of their own, and points
    the test app at the same Redis and prefix once they start (through ``settings``, the test's fixture that
    puts the app's settings back afterwards)."""

    def __init__(self, app: Flask, database_url: str, redis_url: str, logs: Path, settings):
        self.app, self.database_url, self.redis_url, self.logs = app, database_url, redis_url, logs
        self.settings = settings
        self.prefix = f"{os.environ.get('RQ_QUEUE_PREFIX', '')}pipeline-{uuid.uuid4().hex[:8]}-"
        self.processes: list[subprocess.Popen] = []

    def use_redis(self, url: str) -> None:
        """The test app's own jobs go to RQ through this Redis URL (a closed port plays an outage)."""
        self.settings(JOB_RUNNER="rq", REDIS_URL=url, RQ_QUEUE_PREFIX=self.prefix)

    def start(self, *kinds: str) -> list[subprocess.Popen]:
        self.use_redis(self.redis_url)
        env = {key: value for key, value in os.environ.items() if key != "JOB_RUNNER"}
        env.update({key: str(self.app.config[key]) for key in SHARED_SETTINGS if self.app.config[key] is not None})
        env.update(MWANZO_ENV="production", DATABASE_URL=self.database_url, REDIS_URL=self.redis_url,
                   RQ_QUEUE_PREFIX=self.prefix, MAIL_BACKEND="console")
        started = []
        for kind in kinds:
            log = (self.logs / f"{kind}-{len(self.processes)}.log").open("w")
            started.append(subprocess.Popen(COMMANDS[kind], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT))
            self.processes.append(started[-1])
        return started

    def wait_for(self, predicate, timeout: float = 60.0) -> None:
        """Wait until predicate() holds; fail with the processes' output if it never does or one dies."""
        held = wait_for(lambda: predicate() or any(p.poll() is not None for p in self.processes), timeout)
        if not held or any(p.poll() is not None for p in self.processes):
            raise AssertionError("the processes did not get there:\n" + self.output())

    def output(self) -> str:
        return "\n".join(f"--- {path.name}\n{path.read_text()}" for path in sorted(self.logs.glob("*.log")))

    def stop(self) -> None:
        for process in self.processes:
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.use_redis(self.redis_url)
        connection = jobs.redis_connection()
        for key in connection.scan_iter(f"{self.prefix}*"):
            connection.delete(key)
        for name in jobs.QUEUES:
            jobs.rq_queue(name, connection).empty()
