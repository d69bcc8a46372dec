"""RQ worker: builds the app once (which imports every task module, mwanzo/tasks.py), then works the transcode, email and default queues.

The periodic tasks are enqueued by the scheduler process (`flask --app wsgi scheduler`).
"""
from rq import Worker

from mwanzo import create_app, jobs

# A worker that dies (killed, out of memory) leaves its job running in RQ's registry until the job's
# heartbeat lapses (this interval + 60 s); an idle worker then finds it at its next maintenance and retries
# it. RQ's defaults (heartbeat 30 s, maintenance every 10 minutes, an idle worker waking every 405 s)
# would leave a killed transcode waiting for over 10 minutes.
HEARTBEAT_SECONDS = 10


def run_worker() -> None:
    app = create_app()
    with app.app_context():
        connection = jobs.redis_connection()
        queues = [jobs.rq_queue(name, connection) for name in jobs.QUEUES]
        Worker(queues, connection=connection, job_monitoring_interval=HEARTBEAT_SECONDS,
               maintenance_interval=HEARTBEAT_SECONDS, worker_ttl=HEARTBEAT_SECONDS + 15).work(with_scheduler=True)


if __name__ == "__main__":
    run_worker()
