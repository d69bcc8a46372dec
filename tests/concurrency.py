"""Running the same work in several threads at once, each like a separate worker or request."""
from __future__ import annotations

import threading
from collections.abc import Callable

from flask import Flask

from mwanzo.extensions import db


def run_together(app: Flask, work: Callable[[threading.Barrier], None], count: int, timeout: float = 60) -> list:
    """Run work(barrier) in `count` threads, each in its own app context (so its own DB session), and
    return what they raised. The shared barrier lets the work line the threads up before the race."""
    barrier = threading.Barrier(count)
    errors: list[Exception] = []

    def worker() -> None:
        with app.app_context():
            try:
                work(barrier)
            except Exception as exc:  # noqa: BLE001  (returned to the test)
                errors.append(exc)
                barrier.abort()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return errors
