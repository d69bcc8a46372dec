"""RQ worker: builds the app once, then works the transcode, email and default queues.

Also runs the periodic scheduler (payment reconciliation, stale-job sweeper, weekly reports).
"""
from rq import Worker

from mwanzo import create_app, jobs


def run_worker() -> None:
    app = create_app()
    with app.app_context():
        connection = jobs.redis_connection()
        jobs.start_periodic_scheduler(app)
        queues = [jobs.rq_queue(name, connection) for name in jobs.QUEUES]
        Worker(queues, connection=connection).work(with_scheduler=True)


if __name__ == "__main__":
    run_worker()
