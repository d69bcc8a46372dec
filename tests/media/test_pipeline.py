"""Upload → probe → one-process ffmpeg ladder → READY, with real ffmpeg on a tiny generated clip."""
from __future__ import annotations

import io
import re

import pytest

from mwanzo.auth.models import Role
from mwanzo.courses.models import Lesson, LessonKind, ProcessingStatus
from mwanzo.extensions import db
from mwanzo.media import ffmpeg
from mwanzo.media.delivery import media_url
from mwanzo.storage import get_storage


@pytest.fixture
def video_lesson(make, login):
    owner = make.instructor()
    course = make.draft_course(owner)
    section = make.section(course)
    lesson = make.lesson(section, kind=LessonKind.VIDEO, body_markdown=None, duration_seconds=0)
    login(owner)
    return lesson


def upload(client, lesson, data: bytes, filename: str = "lesson.mp4", **kwargs):
    return client.post(f"/studio/lessons/{lesson.id}/video",
                       data={"video": (io.BytesIO(data), filename)}, content_type="multipart/form-data", **kwargs)


def reload(lesson) -> Lesson:
    db.session.expire_all()
    return db.session.get(Lesson, lesson.id)


def attributes(line: str) -> dict[str, str]:
    return {k: v.strip('"') for k, v in re.findall(r'([A-Z-]+)=("[^"]*"|[^,]*)', line)}


def test_valid_clip_becomes_ready_with_playable_signed_playlists(app, client, video_lesson, clip):
    response = upload(client, video_lesson, clip.read_bytes())
    assert response.status_code == 302

    lesson = reload(video_lesson)
    assert lesson.processing_status == ProcessingStatus.READY, lesson.processing_error
    assert lesson.processing_progress == 100 and lesson.duration_seconds == 3
    names = [r["name"] for r in lesson.renditions]
    assert names == ["144p", "240p", "audio"]  # never above the 240-line source; audio-only for data saving
    assert all(r["bytes"] > 0 and r["bandwidth"] > 0 for r in lesson.renditions)
    assert lesson.download_bytes > 0 and lesson.poster_key.endswith("poster.jpg")
    from PIL import Image
    with get_storage().open(lesson.poster_key) as handle:
        assert Image.open(handle).size == (320, 240)
    download = ffmpeg.probe(get_storage().path(lesson.download_key))
    assert (download.height, download.has_audio, round(download.duration)) == (240, True, 3)

    with app.test_request_context():
        master_url = media_url(f"{lesson.media_prefix}/master.m3u8")
    master = client.get(master_url)
    assert master.status_code == 200 and master.mimetype == "application/vnd.apple.mpegurl"
    lines = master.get_data(as_text=True).splitlines()
    variants = [(attributes(line), lines[i + 1]) for i, line in enumerate(lines) if line.startswith("#EXT-X-STREAM-INF")]
    by_height = {a.get("RESOLUTION", "audio"): a for a, _ in variants}
    assert set(by_height) == {"192x144", "320x240", "audio"}
    assert by_height["192x144"]["CODECS"].startswith("avc1.") and "mp4a.40.2" in by_height["192x144"]["CODECS"]
    assert by_height["audio"]["CODECS"] == "mp4a.40.2"
    assert int(by_height["192x144"]["BANDWIDTH"]) < int(by_height["320x240"]["BANDWIDTH"])
    # Every URI in the playlist is signed; follow one variant down to a real segment.
    variant_url = variants[0][1]
    assert "sig=" in variant_url
    variant = client.get(variant_url).get_data(as_text=True)
    assert "#EXT-X-ENDLIST" in variant and '#EXT-X-MAP:URI="' in variant
    durations = [float(x) for x in re.findall(r"#EXTINF:([\d.]+)", variant)]
    assert durations and max(durations) <= 6
    segment_url = next(line for line in variant.splitlines() if line and not line.startswith("#"))
    segment = client.get(segment_url)
    assert segment.status_code == 200 and segment.mimetype == "video/iso.segment" and len(segment.data) > 100
    # The segment URL stops working when tampered with.
    assert client.get(segment_url.replace("seg_", "seg_9")).status_code == 403


def test_builder_shows_live_status_fragment_that_stops_when_ready(client, video_lesson, clip):
    upload(client, video_lesson, clip.read_bytes())
    fragment = client.get(f"/studio/lessons/{video_lesson.id}/status", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in html
    assert 'data-status="READY"' in html and "hx-trigger" not in html  # a final state stops polling
    assert "Preview" in html


def test_processing_fragment_keeps_polling(client, video_lesson):
    lesson = reload(video_lesson)
    lesson.processing_status, lesson.processing_progress, lesson.source_key = ProcessingStatus.PROCESSING, 42, "x/y"
    db.session.commit()
    html = client.get(f"/studio/lessons/{lesson.id}/status", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'hx-trigger="every 2s"' in html and "42%" in html and 'value="42"' in html


def test_text_file_renamed_mp4_fails_with_message_and_leaves_nothing(client, video_lesson, app):
    response = upload(client, video_lesson, b"These are my lecture notes, not a video.\n" * 50)
    assert response.status_code == 422
    assert "not a video we can use: it is a text file" in response.get_data(as_text=True)
    lesson = reload(video_lesson)
    assert lesson.processing_status == ProcessingStatus.FAILED
    assert "not a video" in lesson.processing_error
    assert lesson.source_key is None and lesson.renditions == []
    assert not list(get_storage().root.glob(f"lessons/{lesson.id}/*"))  # the refused upload is not kept
    page = client.get(f"/studio/lessons/{lesson.id}/edit").get_data(as_text=True)
    assert "could not be used" in page and "not a video we can use" in page


def test_audio_only_file_is_refused(client, video_lesson, tmp_path):
    import subprocess
    path = tmp_path / "voice.mp4"
    subprocess.run([ffmpeg.ffmpeg_binary(), "-v", "error", "-f", "lavfi", "-i", "sine=duration=1", "-c:a", "aac",
                    str(path)], check=True)
    response = upload(client, video_lesson, path.read_bytes())
    assert response.status_code == 422
    assert "no video picture" in reload(video_lesson).processing_error


def test_too_large_upload_is_413_and_lesson_says_why(app, client, video_lesson, clip, settings):
    settings(MAX_VIDEO_BYTES=10_000)
    response = upload(client, video_lesson, clip.read_bytes())
    huge = upload(client, video_lesson, b"x" * (10_000 + 2 * 1024 * 1024))  # refused from Content-Length
    assert response.status_code == 413 and huge.status_code == 413
    lesson = reload(video_lesson)
    assert lesson.processing_status == ProcessingStatus.FAILED and "larger than" in lesson.processing_error
    assert lesson.source_key is None


def test_too_long_video_is_refused(app, client, video_lesson, clip, settings):
    settings(MAX_VIDEO_SECONDS=2)
    response = upload(client, video_lesson, clip.read_bytes())
    assert response.status_code == 422 and "longer than" in reload(video_lesson).processing_error


def test_reupload_replaces_renditions_and_removes_old_files(client, video_lesson, clip):
    upload(client, video_lesson, clip.read_bytes())
    first = reload(video_lesson)
    old_prefix, old_master = first.media_prefix, first.renditions[0]["playlist"]
    storage = get_storage()
    assert storage.exists(old_master)
    upload(client, video_lesson, clip.read_bytes())
    second = reload(video_lesson)
    assert second.processing_status == ProcessingStatus.READY and second.media_prefix != old_prefix
    assert storage.exists(second.renditions[0]["playlist"])
    assert not storage.exists(old_master) and not storage.exists(f"{old_prefix}/source.mp4")


def test_ffprobe_fallback_parses_ffmpeg_banner():
    banner = """Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'x.mp4':
  Duration: 00:01:02.50, start: 0.000000, bitrate: 120 kb/s
  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(progressive), 640x360, 90 kb/s, 25 fps
  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, mono, fltp, 48 kb/s"""
    info = ffmpeg.parse_ffmpeg_banner(banner, "mov")
    assert (info.duration, info.width, info.height, info.has_audio) == (62.5, 640, 360, True)
    with pytest.raises(ffmpeg.ProbeError):
        ffmpeg.parse_ffmpeg_banner("x.mp4: Invalid data found when processing input", "mov")


def test_ladder_only_uses_rungs_at_or_below_source():
    assert [r.name for r in ffmpeg.rungs_for(720)] == ["144p", "240p", "360p", "720p"]
    assert [r.name for r in ffmpeg.rungs_for(480)] == ["144p", "240p", "360p"]
    assert [r.name for r in ffmpeg.rungs_for(100)] == ["144p"]


def test_progress_bar_upload_sends_raw_body_with_csrf_header(client, video_lesson, clip, csrf_enabled):
    page = client.get(f"/studio/lessons/{video_lesson.id}/edit").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or \
        re.search(r'name="csrf_token" value="([^"]+)"', page)
    headers = {"Accept": "application/json", "X-Filename": "talk.mp4", "Content-Type": "application/octet-stream"}
    refused = client.post(f"/studio/lessons/{video_lesson.id}/video", data=clip.read_bytes(), headers=headers)
    assert refused.status_code == 400
    accepted = client.post(f"/studio/lessons/{video_lesson.id}/video", data=clip.read_bytes(),
                           headers={**headers, "X-CSRFToken": token.group(1)})
    assert accepted.status_code == 200 and accepted.json["status"] == "READY"  # sync runner in tests
    assert reload(video_lesson).source_key.endswith("/source.mp4")


def test_instructor_preview_and_admin_review_page_play_the_video(client, video_lesson, clip, make, login):
    upload(client, video_lesson, clip.read_bytes())
    preview = client.get(f"/studio/lessons/{video_lesson.id}/preview").get_data(as_text=True)
    assert re.search(r'data-src="/media/lessons/[^"]+/master.m3u8\?exp=\d+&amp;sig=', preview)
    assert 'type="video/mp4"' in preview and "poster=" in preview
    login(make.user(role=Role.ADMIN))
    review = client.get(f"/admin/reviews/{video_lesson.course_id}").get_data(as_text=True)
    assert "data-src=" in review


def test_without_ffmpeg_on_path_the_bundled_binary_probes_by_its_banner(monkeypatch, clip):
    monkeypatch.setenv("PATH", "/nonexistent")
    assert ffmpeg.ffprobe_binary() is None and "imageio_ffmpeg" in ffmpeg.ffmpeg_binary()
    info = ffmpeg.probe(clip)
    assert (info.width, info.height, info.has_audio, round(info.duration)) == (320, 240, True, 3)
