"""Bytes a phone pays for a video lesson: a 60 s clip through the real transcode, the app served on loopback,
Chromium at 360 × 740 (hls.js, as on Android), bytes counted by Chromium's network layer (DevTools protocol,
headers included; cache hits cost nothing).

    .venv/bin/python bench/media_bytes.py [--seconds 60] [--rate 4]

Prints the first view (page + a full play), a revisit without playing (target: the page's own HTML + 1 KB)
and a second full sitting (target: at most 5 % of the first). --rate plays faster than real time (the same
segments are fetched; only the wall clock shrinks).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from transcode import make_clip, run_pipeline  # noqa: E402

PASSWORD = "Bench#media-2026"


def build(workdir: Path, seconds: int):
    """bench/transcode.py's pipeline (one free published course, its video lesson really transcoded) and a
    learner enrolled in it."""
    from sqlalchemy import select

    from mwanzo.auth.models import Role, User
    from mwanzo.courses.models import Course
    from mwanzo.extensions import db
    from mwanzo.learning import services as learning

    source = workdir / "source.mp4"
    make_clip(source, seconds, 4)
    pipeline = run_pipeline(workdir, source, RATELIMIT_ENABLED=False)
    with pipeline.app.app_context():
        learner = User(name="Zawadi", email="zawadi@bench.example", role=Role.STUDENT, is_email_verified=True)
        learner.set_password(PASSWORD)
        db.session.add(learner)
        db.session.flush()
        learning.enroll_free(learner, db.session.scalar(select(Course)))
        db.session.commit()
    return pipeline.app, "zawadi@bench.example", pipeline.lesson_url, pipeline.duration


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--rate", type=float, default=4.0, help="playback rate of the sittings")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from tests.browser.test_media_cache import NetworkLog
    from tests.browser.test_player import WITHOUT_NATIVE_HLS
    from tests.conftest import chromium_path

    with tempfile.TemporaryDirectory(prefix="mwanzo-media-bytes-") as tmp:
        app, email, url, duration = build(Path(tmp), args.seconds)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        app.config["PUBLIC_BASE_URL"] = base
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True,
                                                 args=["--no-sandbox", "--disable-gpu"])
            context = browser.new_context(base_url=base, viewport={"width": 360, "height": 740})
            context.set_default_timeout(30_000)
            context.add_init_script(WITHOUT_NATIVE_HLS)  # hls.js, as Chrome on Android plays it
            page = context.new_page()
            page.goto("/login")
            page.locator("#email").fill(email)
            page.locator("#password").fill(PASSWORD)
            page.locator("main form button").click()
            page.wait_for_url(f"{base}/")
            network = NetworkLog(page)

            def sitting() -> None:
                page.evaluate("(rate) => { const v = document.querySelector('video'); v.muted = true;"
                              " v.playbackRate = rate; return v.play(); }", args.rate)
                page.wait_for_function("() => document.querySelector('video').ended",
                                       timeout=int(duration / args.rate * 1000) + 60_000)
                page.wait_for_load_state("networkidle")

            page.goto(url)
            page.wait_for_load_state("networkidle")
            sitting()
            first = network.transferred()
            network.clear()

            page.goto(url)
            page.wait_for_load_state("networkidle")
            revisit = network.transferred()
            html = network.transferred_for(f"{base}{url}")
            network.clear()

            sitting()
            second = network.transferred()
            browser.close()
        server.shutdown()

    print(f"clip: {duration} s, real transcode; Chromium at 360x740 with hls.js, playback rate {args.rate}")
    print(f"first view (page + full play):      {first:>10,} B")
    print(f"revisit without playing:            {revisit:>10,} B  (page HTML {html:,} B; target <= {html + 1024:,} B)"
          f"  {'OK' if revisit <= html + 1024 else 'OVER'}")
    print(f"second full sitting:                {second:>10,} B  ({second / first:.1%} of the first; target <= 5 %)"
          f"  {'OK' if second <= first * 0.05 else 'OVER'}")


if __name__ == "__main__":
    main()
