"""The one way a test races work: several threads lined up at a barrier, each like a separate worker,
request or phone."""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from flask import Flask

from mwanzo.extensions import db


def run_together(app: Flask | None, work: Callable[..., None], count: int | None = None, timeout: float = 60,
                 each: Iterable | None = None) -> list[Exception]:
    """Run work(barrier) in `count` threads, or work(barrier, item) in one thread per item of `each`, and
    return what they raised. With an app, each thread has its own app context (so its own DB session);
    without one (HTTP clients of a live server), plain threads. The shared barrier lets the work line the
    threads up before the race: call barrier.wait() right before the contested step."""
    items = [None] * count if each is None else list(each)
    barrier = threading.Barrier(len(items))
    errors: list[Exception] = []

    def attempt(item) -> None:
        try:
            work(barrier) if each is None else work(barrier, item)
        except Exception as exc:  # noqa: BLE001  (returned to the test)
            errors.append(exc)
            barrier.abort()

    def worker(item) -> None:
        if app is None:
            return attempt(item)
        with app.app_context():
            try:
                attempt(item)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return errors
