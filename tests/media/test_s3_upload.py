"""s3 mode against moto's S3 server on loopback: the browser's direct upload (single PUT and
multipart), then the same pipeline, with segments served by presigned GETs from the bucket."""
from __future__ import annotations

import json
import urllib.request

import pytest

from mwanzo.courses.models import Lesson, LessonKind, ProcessingStatus
from mwanzo.extensions import db
from mwanzo.media.delivery import media_url


def put(url: str, data: bytes) -> str:
    request = urllib.request.Request(url, data=data, method="PUT", headers={"Content-Type": "video/mp4"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
        return response.headers.get("ETag")


def post_json(client, url: str, payload: dict):
    return client.post(url, data=json.dumps(payload), content_type="application/json",
                       headers={"Accept": "application/json"})


@pytest.fixture
def lesson(make, login):
    owner = login(make.instructor())
    section = make.section(make.draft_course(owner))
    return make.lesson(section, kind=LessonKind.VIDEO, body_markdown=None)


def assert_ready_and_streamable(app, client, lesson_id):
    db.session.expire_all()
    lesson = db.session.get(Lesson, lesson_id)
    assert lesson.processing_status == ProcessingStatus.READY, lesson.processing_error
    with app.test_request_context():
        master_url = media_url(f"{lesson.media_prefix}/master.m3u8")
    master = client.get(master_url).get_data(as_text=True)
    variant_url = next(line for line in master.splitlines() if "index.m3u8" in line)
    variant = client.get(variant_url).get_data(as_text=True)
    segment_url = next(line for line in variant.splitlines() if line and not line.startswith("#"))
    assert segment_url.startswith(app.config["S3_ENDPOINT_URL"]) and "Signature" in segment_url
    with urllib.request.urlopen(segment_url, timeout=30) as response:
        assert response.status == 200 and len(response.read()) > 100


def test_direct_upload_single_put(app, client, s3, lesson, clip):
    data = clip.read_bytes()
    plan = post_json(client, f"/studio/lessons/{lesson.id}/video/start", {"filename": "talk.mp4", "size": len(data)}).json
    assert "parts" not in plan and plan["key"].startswith(f"lessons/{lesson.id}/")
    put(plan["url"], data)
    done = post_json(client, f"/studio/lessons/{lesson.id}/video/complete", {"key": plan["key"]})
    assert done.status_code == 200 and done.json["status_url"].endswith("/status")
    assert_ready_and_streamable(app, client, lesson.id)


def test_direct_upload_multipart(app, client, s3, lesson, clip, settings):
    settings(S3_MULTIPART_THRESHOLD=1)
    data = clip.read_bytes()
    plan = post_json(client, f"/studio/lessons/{lesson.id}/video/start", {"filename": "talk.mp4", "size": len(data)}).json
    assert plan["upload_id"] and len(plan["parts"]) == 1
    etag = put(plan["parts"][0]["url"], data)
    report = {"key": plan["key"], "upload_id": plan["upload_id"], "parts": [{"number": 1, "etag": etag}]}
    assert post_json(client, f"/studio/lessons/{lesson.id}/video/complete", report).status_code == 200
    assert_ready_and_streamable(app, client, lesson.id)


def test_direct_upload_refusals(app, client, s3, lesson, make):
    too_big = post_json(client, f"/studio/lessons/{lesson.id}/video/start",
                        {"filename": "big.mp4", "size": app.config["MAX_VIDEO_BYTES"] + 1})
    assert too_big.status_code == 413
    plan = post_json(client, f"/studio/lessons/{lesson.id}/video/start", {"filename": "notes.mp4", "size": 100}).json
    put(plan["url"], b"just some text notes\n" * 5)
    refused = post_json(client, f"/studio/lessons/{lesson.id}/video/complete", {"key": plan["key"]})
    assert refused.status_code == 422 and "not a video" in refused.json["error"]
    assert not s3.exists(plan["key"])  # nothing half-made is left in the bucket
    other = make.lesson(make.section(make.draft_course(make.instructor())), kind=LessonKind.VIDEO)
    # A key handed out for another lesson cannot be claimed.
    assert post_json(client, f"/studio/lessons/{lesson.id}/video/complete",
                     {"key": f"lessons/{other.id}/abc/source.mp4"}).status_code == 400
