"""Catalog speed on PostgreSQL: seed 10,000 published courses, serve them with gunicorn, drive load, print figures.

    .venv/bin/python bench/catalog.py                      # seed (once) and measure
    .venv/bin/python bench/catalog.py --reseed --seconds 20 --concurrency 8

BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/mwanzo_bench_catalog) names a database this
script may drop and recreate. The load generator is plain Python (threads, keep-alive connections) on
loopback, on the same machine as the server, so figures are a lower bound of what the server can do.
The "one at a time" column sends one request after another: on loopback, that latency is the server's time.
"""
from __future__ import annotations

import argparse
import http.client
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

COURSES = 10_000
WORDS = ("python excel farming poultry dairy goats irrigation bookkeeping marketing sales customer service "
         "design websites html css javascript data analysis sql networking security tailoring baking catering "
         "photography video editing plumbing electrical solar welding carpentry driving tourism hospitality "
         "nursing first aid nutrition accounting tax savings investing mobile money leadership negotiation "
         "english kiswahili writing speaking interviews cv entrepreneurship logistics").split()
LEVELS = ("BEGINNER", "INTERMEDIATE", "ADVANCED")


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/mwanzo_bench_catalog")


def seed(url: str) -> None:
    """Migrate an empty database and bulk-insert 10,000 published courses (the triggers build search vectors)."""
    os.environ["DATABASE_URL"] = url
    from flask_migrate import upgrade

    from mwanzo import create_app
    from mwanzo.auth.models import User
    from mwanzo.courses.models import Category, Course, Lesson, Review, Section
    from mwanzo.database import utcnow
    from mwanzo.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url.replace("postgresql://", "postgresql+psycopg://", 1)})
    rng = random.Random(2026)
    with app.app_context():
        upgrade()
        now = utcnow()
        categories = [{"id": uuid.uuid4(), "name": f"{w.title()} skills", "slug": f"{w}-skills", "display_order": i,
                       "created_at": now, "updated_at": now} for i, w in enumerate(WORDS[:20])]
        people = [{"id": uuid.uuid4(), "name": f"{rng.choice(['Wanjiru', 'Otieno', 'Achieng', 'Kiptoo', 'Mutua', 'Njeri'])} "
                   f"{rng.choice(['Kamau', 'Ochieng', 'Wekesa', 'Maina', 'Odhiambo', 'Chebet'])} {i}",
                   "email": f"teacher{i}@bench.example", "password_hash": "x", "role": "INSTRUCTOR",
                   "security_stamp": uuid.uuid4().hex, "bio": "Teaches practical skills.",
                   "created_at": now, "updated_at": now} for i in range(200)]
        db.session.execute(sa.insert(Category), categories)
        db.session.execute(sa.insert(User), people)
        courses = []
        for i in range(COURSES):
            words = rng.sample(WORDS, 3)
            title = f"{words[0].title()} and {words[1]} for {rng.choice(['beginners', 'work', 'small business', 'farmers'])} {i}"
            price = Decimal(rng.choice([0, 0, 500, 1000, 1500, 2000, 3500]))
            courses.append({
                "id": uuid.uuid4(), "title": title, "slug": f"bench-course-{i}",
                "short_description": f"Practical {words[0]} and {words[2]} skills you can use this week.",
                "description": f"## About\n\nLearn {' '.join(rng.sample(WORDS, 12))}.\n\n- Short lessons\n- Real examples",
                "learning_objectives": ["Understand the basics", "Apply them at work"], "requirements": ["A phone"],
                "category_id": rng.choice(categories)["id"], "instructor_id": rng.choice(people)["id"],
                "price": price, "original_price": price * 2 if price and i % 3 == 0 else None,
                "thumbnail_renditions": {}, "level": rng.choice(LEVELS), "language": rng.choice(["English", "Kiswahili"]),
                "status": "PUBLISHED", "duration_minutes": rng.randint(20, 600), "lecture_count": rng.randint(4, 60),
                "enrollment_count": rng.randint(0, 5000), "average_rating": Decimal(rng.randint(100, 500)) / 100,
                "rating_count": rng.randint(0, 300), "is_featured": i % 50 == 0,
                "published_at": now, "created_at": now, "updated_at": now,
            })
        for start in range(0, COURSES, 1000):
            db.session.execute(sa.insert(Course), courses[start:start + 1000])
        # The measured course page: 10 sections × 8 lessons and 40 reviews.
        page_course = courses[0]
        for s in range(10):
            section_id = uuid.uuid4()
            db.session.execute(sa.insert(Section), [{"id": section_id, "course_id": page_course["id"], "title": f"Part {s + 1}",
                                                     "display_order": s, "created_at": now, "updated_at": now}])
            db.session.execute(sa.insert(Lesson), [{
                "id": uuid.uuid4(), "course_id": page_course["id"], "section_id": section_id, "title": f"Lesson {s + 1}.{n + 1}",
                "kind": "TEXT", "display_order": n, "duration_seconds": 300, "renditions": [], "is_preview": n == 0,
                "is_published": True, "processing_progress": 0, "processing_attempts": 0,
                "created_at": now, "updated_at": now} for n in range(8)])
        learners = [{"id": uuid.uuid4(), "name": f"Learner {i}", "email": f"learner{i}@bench.example", "password_hash": "x",
                     "role": "STUDENT", "security_stamp": uuid.uuid4().hex, "created_at": now, "updated_at": now}
                    for i in range(40)]
        db.session.execute(sa.insert(User), learners)
        db.session.execute(sa.insert(Review), [{"id": uuid.uuid4(), "course_id": page_course["id"], "student_id": p["id"],
                                               "rating": rng.randint(1, 5), "text": "Useful and clear.",
                                               "created_at": now, "updated_at": now} for p in learners])
        db.session.commit()
    # What autovacuum would have done by the time a real catalog reached this size.
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(url: str, port: int, workers: int) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=url, MWANZO_ENV="development", RATELIMIT_ENABLED="0",
               SECRET_KEY="bench-secret-key-0123456789-0123456789-0123456789")
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "wsgi:app", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning"], cwd=ROOT, env=env)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("gunicorn did not start")


def drive(port: int, path: str, seconds: float, concurrency: int) -> tuple[int, list[float], int]:
    """Keep-alive clients hitting one path for `seconds`; returns (requests, latencies in ms, errors)."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.perf_counter() + seconds
    headers = {"Accept-Encoding": "gzip", "Connection": "keep-alive"}

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine = []
        while time.perf_counter() < stop:
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                ok = False
            if ok:
                mine.append((time.perf_counter() - started) * 1000)
            else:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies), latencies, errors[0]


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))] if ordered else float("nan")


def sql_timings(url: str) -> None:
    """The search query alone, as the database runs it (EXPLAIN ANALYZE execution time), p50/p95 of 50 runs."""
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    query = sa.text("""
        EXPLAIN (ANALYZE, FORMAT JSON)
        SELECT courses.id FROM courses JOIN categories ON categories.id = courses.category_id
        JOIN users ON users.id = courses.instructor_id
        WHERE courses.status = 'PUBLISHED' AND courses.search_vector @@ websearch_to_tsquery('english', :q)
        ORDER BY ts_rank(courses.search_vector, websearch_to_tsquery('english', :q)) DESC,
                 courses.enrollment_count DESC, courses.published_at DESC, courses.id LIMIT 12""")
    with engine.connect() as conn:
        for q in ("python", "poultry farming", "mobile money savings"):
            times = [conn.execute(query, {"q": q}).scalar()[0]["Execution Time"] for _ in range(50)]
            print(f"  SQL search q={q!r:24} p50 {percentile(times, 50):6.2f} ms   p95 {percentile(times, 95):6.2f} ms")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reseed", action="store_true", help="drop and seed the bench database again")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=max(2, (os.cpu_count() or 2)))
    args = parser.parse_args()

    url = database_url()
    engine = sa.create_engine(sa.make_url(url).set(drivername="postgresql+psycopg", database="postgres"))
    with engine.connect() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                              {"n": sa.make_url(url).database}).scalar()
    engine.dispose()
    if args.reseed or not exists:
        from tests.conftest import fresh_postgres_database

        fresh_postgres_database(url, sa.make_url(url).database)
        started = time.perf_counter()
        seed(url)
        print(f"seeded {COURSES:,} published courses in {time.perf_counter() - started:.1f} s")

    print(f"machine: {os.cpu_count()} CPUs; gunicorn {args.workers} sync workers; load generator on the same machine")
    sql_timings(url)
    port = free_port()
    server = start_gunicorn(url, port, args.workers)
    paths = [("catalog page 1", "/courses"), ("search 'python'", "/courses?q=python"),
             ("search + filters", "/courses?q=poultry+farming&level=BEGINNER&price=paid&sort=rating"),
             ("typo fallback", "/courses?q=pythn"), ("deep page", "/courses?page=500&sort=price_asc"),
             ("course page", "/courses/bench-course-0")]
    try:
        for _label, path in paths:  # warm up every worker
            drive(port, path, 1, args.workers)
        print(f"\n{'':18} {'one at a time (server time)':>30} | {f'{args.concurrency} concurrent clients':>40}")
        print(f"{'page':18} {'p50 ms':>9} {'p95 ms':>9} {'req/s':>9} | {'req/s':>9} {'p50 ms':>9} {'p95 ms':>9} {'errors':>9}")
        for label, path in paths:
            n1, lat1, _ = drive(port, path, args.seconds / 2, 1)
            n, lat, errors = drive(port, path, args.seconds, args.concurrency)
            print(f"{label:18} {percentile(lat1, 50):9.1f} {percentile(lat1, 95):9.1f} {n1 / (args.seconds / 2):9.0f} | "
                  f"{n / args.seconds:9.0f} {percentile(lat, 50):9.1f} {percentile(lat, 95):9.1f} {errors:9d}")
        conn = http.client.HTTPConnection("127.0.0.1", port)
        conn.request("GET", "/courses", headers={"Accept-Encoding": "gzip"})
        response = conn.getresponse()
        print(f"\n/courses HTML: {len(response.read()):,} bytes as sent ({response.getheader('Content-Encoding')})")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    print("Compare the one-at-a-time p95 of the search rows with the 50 ms budget.")


if __name__ == "__main__":
    main()
