"""Account recovery by SMS: how long the answers take for a number with an account and one without.

    .venv/bin/python bench/recovery_timing.py [--rounds 200]

A temporary SQLite database. With REDIS_URL set the jobs go to RQ as in production (queues prefixed
``bench-recovery-``, emptied at the end; no worker sends them), else the in-process "thread" runner, whose
sending competes with the requests and makes the known number's answers slower than they are deployed. Alternates known and unknown numbers, each from a fresh visitor: asking for a
recovery code, then entering a wrong one. Prints the median and 90th percentile of each and the ratio
unknown/known (1.00 means no difference an attacker could time).
"""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade  # noqa: E402

from mwanzo import create_app  # noqa: E402

PREFIX = "bench-recovery-"


def timed(call) -> float:
    start = time.perf_counter()
    response = call()
    elapsed = time.perf_counter() - start
    assert response.status_code in (303, 422), response.status_code
    return elapsed * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="mwanzo-bench-")
    redis_url = os.environ.get("REDIS_URL")
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db", "SECRET_KEY": "bench-secret-key-0123456789-0123456789",
        "MAIL_BACKEND": "console", "SMS_PROVIDER": "console", "BCRYPT_ROUNDS": 4,
        "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False, "MEDIA_ROOT": folder,
        "REDIS_URL": redis_url, "JOB_RUNNER": "rq" if redis_url else "thread", "RQ_QUEUE_PREFIX": PREFIX,
        "CACHE_REDIS_URL": None,
    })
    from tests import factories

    with app.app_context():
        upgrade()
        for n in range(args.rounds):
            factories.user(email=f"bench{n}@example.com", phone=f"2547110{n:05d}", is_phone_verified=True)
    times: dict[str, dict[str, list[float]]] = {kind: {"ask": [], "wrong code": []} for kind in ("known", "unknown")}
    with contextlib.redirect_stdout(io.StringIO()):  # the console provider prints each text
        for n in range(args.rounds):
            for kind, phone in (("known", f"07110{n:05d}"), ("unknown", f"07220{n:05d}")):
                client = app.test_client()
                times[kind]["ask"].append(timed(lambda: client.post("/forgot-password/phone", data={"phone": phone})))
                times[kind]["wrong code"].append(timed(lambda: client.post("/login/phone/code", data={"code": "000000"})))
    if redis_url:
        from redis import Redis

        connection = Redis.from_url(redis_url)
        for key in connection.scan_iter(f"*{PREFIX}*"):
            connection.delete(key)
    print(f"jobs runner: {app.config['JOB_RUNNER']}, {args.rounds} rounds")
    for step in ("ask", "wrong code"):
        known, unknown = (sorted(times[kind][step]) for kind in ("known", "unknown"))
        p90 = int(len(known) * 0.9)
        print(f"{step:>10}: known median {statistics.median(known):6.2f} ms p90 {known[p90]:6.2f} ms | "
              f"unknown median {statistics.median(unknown):6.2f} ms p90 {unknown[p90]:6.2f} ms | "
              f"ratio {statistics.median(unknown) / statistics.median(known):.2f}")


if __name__ == "__main__":
    main()
