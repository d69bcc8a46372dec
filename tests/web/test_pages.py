import gzip

from mwanzo.courses.models import CourseStatus


def test_home_page_lists_published_courses_within_the_14kb_gzip_budget(client, make):
    for i in range(8):
        make.course(title=f"Published {i}", is_featured=i < 4)
    make.course(title="Secret draft", status=CourseStatus.DRAFT, published_at=None)
    response = client.get("/")
    html = response.get_data()
    assert response.status_code == 200
    assert b"Published 0" in html and b"Secret draft" not in html
    assert len(gzip.compress(html, 9)) <= 14 * 1024


def test_responses_are_compressed_for_clients_that_accept_it(client, make):
    for i in range(8):
        make.course(title=f"Published {i}")
    response = client.get("/", headers={"Accept-Encoding": "br, gzip"})
    assert response.headers["Content-Encoding"] in ("br", "gzip")
    assert "Accept-Encoding" in response.headers["Vary"]


def test_security_headers_are_set(client):
    headers = client.get("/").headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_pages_carry_no_inline_script(client):
    html = client.get("/login").get_data(as_text=True)
    for chunk in html.split("<script")[1:]:
        assert chunk.split(">", 1)[0].strip().startswith("src="), chunk[:80]


def test_static_files_have_content_hashed_names_and_a_one_year_cache(client):
    html = client.get("/").get_data(as_text=True)
    import re
    css = re.search(r'href="(/static/css/app\.[0-9a-f]{10}\.css)"', html).group(1)
    js = re.search(r'src="(/static/vendor/htmx\.min\.[0-9a-f]{10}\.js)"', html).group(1)
    for url in (css, js):
        response = client.get(url)
        assert response.status_code == 200
        assert "max-age=31536000" in response.headers["Cache-Control"]
        assert "immutable" in response.headers["Cache-Control"]
    assert client.get("/static/css/app.css").status_code == 404
    assert client.get("/static/css/app.0000000000.css").status_code == 404


def test_first_visit_transfers_under_50kb_before_images(client, make):
    import re
    for i in range(12):
        make.course(title=f"Published {i}")
    encoding = {"Accept-Encoding": "gzip"}
    page = client.get("/", headers=encoding)
    total = len(page.get_data())
    html = gzip.decompress(page.get_data()).decode()
    for url in re.findall(r'(?:src|href)="(/static/[^"]+\.(?:css|js))"', html):
        total += len(client.get(url, headers=encoding).get_data())
    assert total <= 50 * 1024, total


def test_error_pages_use_the_layout(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Page not found" in page and "Mwanzo" in page


def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {"database": "ok"}, "jobs": {
        "runner": "sync", "scheduler_last_tick": None, "queues": {"transcode": 0, "email": 0, "default": 0},
        "outbox_undelivered": 0}}


def test_request_bodies_over_the_limit_get_413(client, app):
    response = client.post("/login", data={"email": "x" * (app.config["MAX_CONTENT_LENGTH"] + 10)})
    assert response.status_code == 413
