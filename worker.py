"""RQ worker: builds the app once, then works the transcode, email and default queues.

The periodic tasks are enqueued by the scheduler process (`flask --app wsgi scheduler`).
"""
from rq import Worker

from mwanzo import create_app, jobs


def run_worker() -> None:
    app = create_app()
    with app.app_context():
        jobs.load_tasks()
        connection = jobs.redis_connection()
        queues = [jobs.rq_queue(name, connection) for name in jobs.QUEUES]
        Worker(queues, connection=connection).work(with_scheduler=True)


if __name__ == "__main__":
    run_worker()
