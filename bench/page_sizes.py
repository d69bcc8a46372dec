"""Page weight at scale on PostgreSQL: 10,000 published courses, 1,000 jobs and 100,000 users, then the gzip size
of every page a visitor, learner, instructor, employer and admin can open, walking app.url_map for GET routes
with real ids. Pages over 14 KB gzipped are flagged, and the first visit (home page HTML + its CSS + JS)
is set against the 50 KB budget.

    .venv/bin/python bench/page_sizes.py            # seed (once) and measure
    .venv/bin/python bench/page_sizes.py --reseed

BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/mwanzo_bench_pages) names a database this
script may drop and recreate. Requests go through the app in-process (Flask's test client), gzip level 6 as
nginx sends them.
"""
from __future__ import annotations

import argparse
import gzip
import os
import re
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
import catalog  # noqa: E402

JOBS, USERS = 1_000, 100_000
PAGE_BUDGET, FIRST_VISIT_BUDGET = 14 * 1024, 50 * 1024


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/mwanzo_bench_pages")


def engine_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def seed_more(app) -> None:
    """On top of the catalog's 10,000 courses: 100,000 learners and 1,000 open jobs (bulk, executemany)."""
    from mwanzo.auth.models import User
    from mwanzo.careers.models import Job
    from mwanzo.database import utcnow
    from mwanzo.extensions import db

    now = utcnow()
    with app.app_context():
        for start in range(0, USERS, 10_000):
            db.session.execute(sa.insert(User), [{
                "id": uuid.uuid4(), "name": f"Learner {n}", "email": f"pages{n}@bench.example", "password_hash": "x",
                "role": "STUDENT", "security_stamp": uuid.uuid4().hex, "show_to_employers": n % 3 == 0,
                "created_at": now, "updated_at": now} for n in range(start, start + 10_000)])
        employers = [{"id": uuid.uuid4(), "name": f"Employer {n}", "email": f"employer{n}@bench.example",
                      "password_hash": "x", "role": "EMPLOYER", "security_stamp": uuid.uuid4().hex,
                      "created_at": now, "updated_at": now} for n in range(50)]
        db.session.execute(sa.insert(User), employers)
        db.session.execute(sa.insert(Job), [{
            "id": uuid.uuid4(), "employer_id": employers[n % 50]["id"], "title": f"Field officer {n}",
            "description": "Visit **farmers** and record their harvest.", "location": "Nakuru", "kind": "FULL_TIME",
            "skills": ["Excel"], "created_at": now, "updated_at": now} for n in range(JOBS)])
        db.session.commit()


def world() -> tuple[dict, dict]:
    """One of everything (tests/world.py, as the hostile-input test uses), so every route gets real ids."""
    import factory

    from mwanzo.auth.models import Role
    from tests import factories as make
    from tests.world import one_of_everything

    offset = int(time.time())  # the factories' names and slugs do not meet those of an earlier run
    for made in vars(make).values():
        if isinstance(made, type) and issubclass(made, factory.Factory) and made._meta.model is not None:
            made.reset_sequence(offset)
    values, users = one_of_everything()
    # Plain emails: requests run outside this app context (Flask-Login keeps the user on g, which an
    # enclosing app context would share between clients).
    names = {None: "visitor", Role.STUDENT: "learner", Role.INSTRUCTOR: "instructor", Role.EMPLOYER: "employer",
             Role.ADMIN: "admin"}
    return values, {names[role]: user.email if user else None for role, user in users.items()}


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


def measure(app, values: dict, users: dict) -> int:
    """Print every HTML page each role can open; returns how many are over the budget."""
    adapter = app.url_map.bind("localhost")
    over = 0
    seen: dict[str, int] = {}
    print(f"{'who':10} {'status':>6} {'bytes':>8} {'gzip':>7}  page")
    for who, email in users.items():
        client = app.test_client()
        if email is not None:  # through the login form, as a person would
            from tests.factories import PASSWORD

            signed_in = client.post("/login", data={"email": email, "password": PASSWORD})
            assert signed_in.status_code in (302, 303), (who, signed_in.status_code)
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if "GET" not in (rule.methods or ()) or any(name not in values for name in rule.arguments):
                continue
            url = adapter.build(rule.endpoint, {name: values[name] for name in rule.arguments})
            response = client.get(url)
            if os.environ.get("BENCH_DEBUG"):  # every request, with its answer
                print("#", who, url, response.status_code, response.headers.get("Location"))
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            size = gz(response.data)
            if seen.get(url) == size:
                continue  # the same page as another role saw it
            seen[url] = size
            flag = "  OVER 14 KB" if size > PAGE_BUDGET else ""
            over += bool(flag)
            print(f"{who:10} {response.status_code:>6} {len(response.data):>8} {size:>7}  {url}{flag}")
    return over


def first_visit(app) -> int:
    client = app.test_client()
    html = client.get("/").data
    total = gz(html)
    print(f"\nfirst visit: / {gz(html)} B gzip")
    for asset in re.findall(rb'(?:href|src)="(/static/[^"]+\.(?:css|js)[^"]*)"', html):
        body = client.get(asset.decode()).data
        total += gz(body)
        print(f"  + {asset.decode()} {gz(body)} B gzip")
    print(f"first visit total: {total} B gzip (budget {FIRST_VISIT_BUDGET} B){'  OVER' if total > FIRST_VISIT_BUDGET else ''}")
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reseed", action="store_true", help="drop and seed the bench database again")
    args = parser.parse_args()
    url = database_url()
    exists = catalog.database_exists(url)
    os.environ["DATABASE_URL"] = url
    from mwanzo import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": engine_url(url), "RATELIMIT_ENABLED": False,
                      "JOB_RUNNER": "thread", "WTF_CSRF_ENABLED": False, "SECRET_KEY": "bench-secret-key-0123456789-0123456789"})
    if args.reseed or not exists:
        from tests.conftest import fresh_postgres_database

        fresh_postgres_database(url, sa.make_url(url).database)
        started = time.perf_counter()
        catalog.seed(url)
        seed_more(app)
        print(f"seeded {catalog.COURSES:,} courses, {JOBS:,} jobs, {USERS:,} users in "
              f"{time.perf_counter() - started:.1f} s")
    with app.app_context():
        values, users = world()
    over = measure(app, values, users)
    first_visit(app)
    print(f"\n{over} page(s) over {PAGE_BUDGET // 1024} KB gzip")
    sys.exit(1 if over else 0)


if __name__ == "__main__":
    main()
