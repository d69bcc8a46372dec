"""The catalog beside a bare stack: the same query results served by plain Flask + Jinja + psycopg, both under
gunicorn, both driven by wrk; prints each page's ratio, anonymous and signed in, and search latency.

    .venv/bin/python bench/catalog_speed.py                    # seed (once) and measure
    .venv/bin/python bench/catalog_speed.py --seconds 20 --cache simple

BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/mwanzo_bench_speed, seeded by the same code
as bench/catalog.py: 10,000 published courses) names a database this script may drop and recreate. The app
runs as in production (MWANZO_ENV=production, Redis for the cache at BENCH_REDIS_URL, default
redis://127.0.0.1:6379/0, under its own key prefix); with --cache simple, as the embedded default (each
process's memory). The baseline (``baseline_app`` below) runs the same SQL the catalog needs for each page,
renders it with one Jinja template and gzips it when asked: no sessions, CSRF, translations, cache or
security headers. wrk runs on the same 2-core machine as both servers, so the figures are the ratio that
matters, not absolute capacity.
"""
from __future__ import annotations

import argparse
import gzip
import http.client
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

SECRET = "bench-secret-key-0123456789-0123456789-0123456789"
COURSE = "bench-course-0"  # the seeded course with 10 sections x 8 lessons and 40 reviews
CATEGORY = "python-skills"
PAGES = [("/courses", "/courses"), ("/courses?q=", "/courses?q=poultry+farming"),
         ("/categories/<slug>", f"/categories/{CATEGORY}"), ("course page", f"/courses/{COURSE}")]
QUERIES = ("python", "pythn", "poultry", "poltry farming", "excel", "exel", "mobile money", "mobil mony", "solar",
           "soalr", "baking", "bakng", "tailoring", "tailring", "data analysis", "dta analysis", "first aid",
           "frist aid", "kiswahili", "kiswahli", "welding", "weldng", "bookkeeping", "bokkeeping", "leadership",
           "leadrship", "html css", "javascript", "javscript", "goats dairy", "irrigation", "irigation",
           "negotiation", "negotation", "photography", "fotography", "tourism", "turism", "savings investing",
           "customer service")


# ---------------------------------------------------------------- the bare baseline

def baseline_app():
    """Plain Flask + Jinja + psycopg: one connection per process, one template, the catalog's own SQL."""
    import psycopg
    from flask import Flask, abort, request
    from psycopg.rows import dict_row

    app = Flask("baseline")
    conn = psycopg.connect(os.environ["BASELINE_DATABASE_URL"], autocommit=True, row_factory=dict_row)
    card = ("SELECT c.slug, c.title, c.price, c.original_price, c.rating_count, c.average_rating, c.enrollment_count,"
            " cat.name AS category, u.name AS instructor FROM courses c JOIN categories cat ON cat.id = c.category_id"
            " JOIN users u ON u.id = c.instructor_id WHERE c.status = 'PUBLISHED'")
    popular = "c.enrollment_count DESC, c.published_at DESC, c.id DESC"
    page = app.jinja_env.from_string("""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{{ title }} · Mwanzo</title>
<link rel="stylesheet" href="/static/app.css"></head><body><header><a href="/">Mwanzo</a>
<nav><a href="/courses">Courses</a> <a href="/jobs">Jobs</a> <a href="/login">Log in</a></nav></header><main>
<h1>{{ title }}</h1>
{% if course %}<p class="lead">{{ course.short_description }}</p><p>{{ course.enrollment_count }} learners · {{ course.level }}</p>
<p class="price">KES {{ "{:,.0f}".format(course.price) }}</p><section>{{ course.description }}</section>
{% for section in sections %}<details><summary>{{ section.title }}</summary><ol>{% for lesson in section.lessons %}<li>{{ lesson.title }} <span>{{ lesson.duration_seconds // 60 }} min</span></li>{% endfor %}</ol></details>{% endfor %}
<p><strong>{{ course.instructor }}</strong></p><p>{{ course.bio }}</p>
<ol class="reviews">{% for review in reviews %}<li><p>{{ "★" * review.rating }} <strong>{{ review.name }}</strong></p><p>{{ review.text }}</p></li>{% endfor %}</ol>
{% else %}<p>{{ total }} courses</p>
<ul class="cards">{% for c in courses %}<li class="card"><a href="/courses/{{ c.slug }}"><strong>{{ c.title }}</strong></a>
<span class="meta">{{ c.instructor }} · {{ c.category }}</span>
<span class="meta">★ {{ "%.1f"|format(c.average_rating) }} ({{ c.rating_count }}) · {{ c.enrollment_count }} learners</span>
<span class="price">KES {{ "{:,.0f}".format(c.price) }}{% if c.original_price %} <s>KES {{ "{:,.0f}".format(c.original_price) }}</s>{% endif %}</span></li>
{% endfor %}</ul>{% endif %}</main><footer>© Mwanzo Skills Campus</footer></body></html>""")

    def respond(html: str):
        body = html.encode()
        headers = {"Content-Type": "text/html; charset=utf-8"}
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            body, headers["Content-Encoding"] = gzip.compress(body, 6), "gzip"
        return body, 200, headers

    def listing(title: str, where: str = "", params: tuple = (), order: str = popular, order_params: tuple = ()):
        courses = conn.execute(f"{card}{where} ORDER BY {order} LIMIT 12", params + order_params).fetchall()
        total = conn.execute("SELECT count(*) AS n FROM courses c JOIN categories cat ON cat.id = c.category_id"
                             f" WHERE c.status = 'PUBLISHED'{where}", params).fetchone()["n"]
        return respond(page.render(title=title, courses=courses, total=total))

    @app.get("/courses")
    def courses():
        q = request.args.get("q", "")
        if not q:
            return listing("Courses")
        match = " AND c.search_vector @@ websearch_to_tsquery('english', %s)"
        return listing(q, match, (q,), "ts_rank(c.search_vector, websearch_to_tsquery('english', %s)) DESC, " + popular,
                       (q,))

    @app.get("/categories/<slug>")
    def category(slug):
        found = conn.execute("SELECT name FROM categories WHERE slug = %s", (slug,)).fetchone()
        if found is None:
            abort(404)
        return listing(found["name"], " AND cat.slug = %s", (slug,))

    @app.get("/courses/<slug>")
    def course(slug):
        course = conn.execute(
            "SELECT c.*, cat.name AS category, u.name AS instructor, u.bio FROM courses c JOIN categories cat"
            " ON cat.id = c.category_id JOIN users u ON u.id = c.instructor_id WHERE c.slug = %s", (slug,)).fetchone()
        if course is None:
            abort(404)
        sections = conn.execute("SELECT id, title FROM sections WHERE course_id = %s ORDER BY display_order",
                                (course["id"],)).fetchall()
        lessons = conn.execute("SELECT section_id, title, duration_seconds FROM lessons WHERE course_id = %s"
                               " AND is_published ORDER BY display_order", (course["id"],)).fetchall()
        for section in sections:
            section["lessons"] = [lesson for lesson in lessons if lesson["section_id"] == section["id"]]
        reviews = conn.execute("SELECT r.rating, r.text, u.name FROM reviews r JOIN users u ON u.id = r.student_id"
                               " WHERE r.course_id = %s ORDER BY r.created_at DESC, r.id DESC LIMIT 10",
                               (course["id"],)).fetchall()
        return respond(page.render(title=course["title"], course=course, sections=sections, reviews=reviews))

    return app


# ---------------------------------------------------------------- servers and load

def gunicorn(target: str, port: int, env: dict, cwd: Path, log: Path) -> subprocess.Popen:
    """Two sync workers; the app's request log goes to a file, as it would go to the journal."""
    binary = Path(sys.executable).parent / "gunicorn"
    with log.open("ab") as sink:
        process = subprocess.Popen([str(binary), target, "--workers", "2", "--bind", f"127.0.0.1:{port}",
                                    "--log-level", "warning"], cwd=cwd, env={**os.environ, **env},
                                   stdout=sink, stderr=sink)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/courses")
            if conn.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise SystemExit(f"{target} did not start")


WRK_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) non2xx = 0 end
function response(status, headers, body) if status < 200 or status > 299 then non2xx = non2xx + 1 end end
function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("non2xx") end
  io.write(string.format("RESULT %d %d %.3f %d %d\\n", summary.requests, summary.duration,
                         latency:percentile(95) / 1000, bad, summary.errors.connect + summary.errors.read
                         + summary.errors.write + summary.errors.timeout))
end
"""


def wrk(url: str, seconds: float, connections: int, cookie: str | None, script: str) -> dict:
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{int(seconds)}s", "-s", script,
               "-H", "Accept-Encoding: gzip"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    requests, micros, p95, non2xx, socket_errors = re.search(r"RESULT (\S+) (\S+) (\S+) (\S+) (\S+)", output).groups()
    return {"rps": int(requests) / (int(micros) / 1e6), "p95": float(p95), "non2xx": int(non2xx),
            "socket_errors": int(socket_errors)}


def combined(runs: list[dict]) -> dict:
    """Slices of one measurement: total requests over total time, the slowest slice's p95, every non-2xx."""
    return {"rps": sum(run["rps"] for run in runs) / len(runs), "p95": max(run["p95"] for run in runs),
            "non2xx": sum(run["non2xx"] for run in runs), "socket_errors": sum(run["socket_errors"] for run in runs)}


def get(port: int, path: str, cookie: str | None = None) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = conn.getresponse()
    return response.status, response.read().decode()


def listed(html: str) -> list[str]:
    return re.findall(r'<a href="/courses/([^"?]+)"><strong>', html)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


# ---------------------------------------------------------------- a signed-in learner

def learner_cookie(url: str) -> str:
    """A learner enrolled in the measured course, and the session cookie the app would give them (the bench
    database migrated to the code's schema on the way)."""
    import sqlalchemy as sa
    from flask_login.utils import _create_identifier

    from mwanzo import create_app
    from mwanzo.auth.models import User
    from mwanzo.courses.models import Course
    from mwanzo.extensions import db
    from mwanzo.learning.models import Enrollment, EnrollmentStatus

    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET, "REDIS_URL": None,
                      "CACHE_REDIS_URL": None})
    with app.app_context():
        upgrade()  # a database seeded by an earlier version of the code gets the newer migrations
        user = db.session.scalar(sa.select(User).where(User.email == "learner0@bench.example"))
        course = db.session.scalar(sa.select(Course).where(Course.slug == COURSE))
        if not db.session.scalar(sa.select(Enrollment.id).where(Enrollment.student_id == user.id,
                                                               Enrollment.course_id == course.id)):
            db.session.add(Enrollment(student_id=user.id, course_id=course.id, status=EnrollmentStatus.ACTIVE))
            db.session.commit()
        with app.test_request_context("/", environ_base={"REMOTE_ADDR": "127.0.0.1"}, headers={"User-Agent": ""}):
            data = {"_user_id": user.get_id(), "_fresh": True, "_id": _create_identifier()}
            value = app.session_interface.get_signing_serializer(app).dumps(data)
        return f"{app.config['SESSION_COOKIE_NAME']}={value}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reseed", action="store_true", help="drop and seed the bench database again")
    parser.add_argument("--seconds", type=int, default=12)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--slices", type=int, default=3, help="alternate app and baseline this many times")
    parser.add_argument("--cache", choices=("redis", "simple"), default="redis")
    args = parser.parse_args()

    import sqlalchemy as sa

    import catalog as seeding  # bench/catalog.py: the same 10,000 courses

    os.environ.setdefault("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/mwanzo_bench_speed")
    url = seeding.database_url()
    engine = sa.create_engine(sa.make_url(url).set(drivername="postgresql+psycopg", database="postgres"))
    with engine.connect() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                              {"n": sa.make_url(url).database}).scalar()
    engine.dispose()
    if args.reseed or not exists:
        from tests.conftest import fresh_postgres_database

        fresh_postgres_database(url, sa.make_url(url).database)
        seeding.seed(url)
        print(f"seeded {seeding.COURSES:,} published courses")
    cookie = learner_cookie(url.replace("postgresql://", "postgresql+psycopg://", 1))

    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    app_env = {"DATABASE_URL": url, "MWANZO_ENV": "production", "SECRET_KEY": SECRET, "RATELIMIT_ENABLED": "0",
               "PAYMENT_PROVIDER": "payhero", "PAYMENT_CALLBACK_TOKEN": "bench", "SESSION_COOKIE_SECURE": "0",
               "LOG_LEVEL": "WARNING", "REDIS_URL": redis_url if args.cache == "redis" else "",
               "RQ_QUEUE_PREFIX": f"bench-{uuid.uuid4().hex[:8]}-", "JINJA_BYTECODE_DIR": tempfile.mkdtemp()}
    app_port, base_port = seeding.free_port(), seeding.free_port()
    logs = Path(tempfile.mkdtemp())
    app = gunicorn("wsgi:app", app_port, app_env, ROOT, logs / "app.log")
    base = gunicorn("catalog_speed:baseline_app()", base_port, {"BASELINE_DATABASE_URL": url}, BENCH,
                    logs / "baseline.log")
    print(f"server logs in {logs}")
    load = subprocess.run(["sh", "-c", "cat /proc/loadavg"], capture_output=True, text=True).stdout.split()[:3]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    try:
        for label, path in PAGES:
            same = listed(get(app_port, path)[1]) == listed(get(base_port, path)[1])
            if path.startswith("/courses?") or path == "/courses" or path.startswith("/categories"):
                print(f"{label:20} app and baseline list the same 12 courses in the same order: {same}")
        print(f"\ncache: {args.cache}; gunicorn -w 2 each; wrk -t 2 -c {args.connections}, gzip, {args.seconds:g} s each"
              f" in {args.slices} alternating slices;"
              f" load average before: {' '.join(load)}")
        print(f"{'page':20} {'visitor':10} {'app req/s':>10} {'base req/s':>11} {'ratio':>6} {'target':>7}"
              f" {'app p95':>8} {'base p95':>9} {'non-2xx':>8}")
        for label, path in PAGES:
            for who, visitor_cookie, target in (("anonymous", None, 0.6), ("signed in", cookie, 0.4)):
                for port in (app_port, base_port):  # warm both up
                    wrk(f"http://127.0.0.1:{port}{path}", 1, args.connections, visitor_cookie, script.name)
                # Interleaved slices, so a change in what else the machine runs weighs on both alike.
                mine, bare = [], []
                for _slice in range(args.slices):
                    mine.append(wrk(f"http://127.0.0.1:{app_port}{path}", args.seconds // args.slices,
                                    args.connections, visitor_cookie, script.name))
                    bare.append(wrk(f"http://127.0.0.1:{base_port}{path}", args.seconds // args.slices,
                                    args.connections, None, script.name))
                mine, bare = combined(mine), combined(bare)
                ratio = mine["rps"] / bare["rps"]
                print(f"{label:20} {who:10} {mine['rps']:10.0f} {bare['rps']:11.0f} {ratio:6.2f} "
                      f"{'ok' if ratio >= target else 'BELOW':>7} {mine['p95']:6.1f}ms {bare['p95']:7.1f}ms"
                      f" {mine['non2xx'] + mine['socket_errors']:8d}")
                if bare["non2xx"] + bare["socket_errors"]:
                    raise SystemExit(f"the baseline answered {bare['non2xx']} non-2xx for {path}")
        status, html = get(app_port, f"/courses/{COURSE}", cookie)
        print(f"\nsigned-in course page shows the learner's own state: {status} "
              f"{'Continue learning' in html and 'Log out' in html}")

        print(f"\nsearch one request at a time, {len(QUERIES)} queries (half with typos)")
        for attempt in ("first time (built)", "again (from the cache)"):
            times = []
            for q in QUERIES:
                started = time.perf_counter()
                status, _html = get(app_port, f"/courses?q={q.replace(' ', '+')}")
                times.append((time.perf_counter() - started) * 1000)
                assert status == 200, (q, status)
            print(f"  {attempt:24} p50 {percentile(times, 50):5.1f} ms   p95 {percentile(times, 95):5.1f} ms"
                  f"   max {max(times):5.1f} ms   (target p95 <= 30 ms)")
    finally:
        for server in (app, base):
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        os.unlink(script.name)


if __name__ == "__main__":
    main()
