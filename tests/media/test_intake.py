"""Only real media containers reach ffmpeg: playlists, concat lists and other text that would make
ffmpeg open other files on the server are refused at upload, through the real upload path."""
from __future__ import annotations

import subprocess

import pytest

from mwanzo.courses.models import LessonKind, ProcessingStatus
from mwanzo.media import ffmpeg
from mwanzo.storage import get_storage
from tests.media.clips import make_clip
from tests.media.test_pipeline import reload, upload


@pytest.fixture
def victim_video(make, login, client, clip):
    """Another instructor's lesson whose video is READY; returns the absolute path of its source file."""
    owner = login(make.instructor())
    lesson = make.lesson(make.section(make.draft_course(owner)), kind=LessonKind.VIDEO, body_markdown=None)
    assert upload(client, lesson, clip.read_bytes()).status_code == 302
    ready = reload(lesson)
    assert ready.processing_status == ProcessingStatus.READY, ready.processing_error
    return get_storage().path(ready.source_key)


@pytest.fixture
def attacker_lesson(make, login, victim_video):
    owner = login(make.instructor())
    return make.lesson(make.section(make.draft_course(owner)), kind=LessonKind.VIDEO, body_markdown=None)


def assert_refused_and_nothing_kept(client, lesson, response):
    assert response.status_code == 422
    assert "This file is not a video we can use" in response.get_data(as_text=True)
    refused = reload(lesson)
    assert refused.processing_status == ProcessingStatus.FAILED
    assert "not a video we can use" in refused.processing_error
    assert refused.source_key is None and refused.media_prefix is None and refused.renditions == []
    assert not [p for p in get_storage().root.glob(f"lessons/{lesson.id}/**/*") if p.is_file()]
    page = client.get(f"/studio/lessons/{lesson.id}/edit").get_data(as_text=True)
    assert "not a video we can use" in page


def test_hls_playlist_named_mp4_cannot_pull_in_another_lessons_video(client, attacker_lesson, victim_video):
    playlist = (f"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n#EXT-X-PLAYLIST-TYPE:VOD\n"
                f"#EXTINF:3.0,\n{victim_video}\n#EXT-X-ENDLIST\n").encode()
    response = upload(client, attacker_lesson, playlist, filename="x.mp4")
    assert_refused_and_nothing_kept(client, attacker_lesson, response)
    assert "playlist" in reload(attacker_lesson).processing_error


def test_ffconcat_list_is_refused(client, attacker_lesson, victim_video):
    listing = f"ffconcat version 1.0\nfile '{victim_video}'\nfile 'source.mp4'\n".encode()
    response = upload(client, attacker_lesson, listing, filename="x.mp4")
    assert_refused_and_nothing_kept(client, attacker_lesson, response)
    assert "list of other files" in reload(attacker_lesson).processing_error


def test_sdp_file_named_mp4_is_refused_before_ffmpeg_listens(client, attacker_lesson):
    sdp = (b"v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=lesson\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
           b"m=video 5004 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n")
    response = upload(client, attacker_lesson, sdp, filename="x.mp4")
    assert_refused_and_nothing_kept(client, attacker_lesson, response)
    assert "network stream (SDP)" in reload(attacker_lesson).processing_error


@pytest.mark.parametrize("name, bundled", [("talk.mp4", False), ("talk.webm", False), ("talk.webm", True)])
def test_real_mp4_and_webm_clips_still_transcode(client, make, login, tmp_path, monkeypatch, name, bundled):
    if bundled:  # imageio-ffmpeg's binary, probing by its banner: the forced input options work there too
        monkeypatch.setenv("PATH", "/nonexistent")
        assert ffmpeg.ffprobe_binary() is None
    owner = login(make.instructor())
    lesson = make.lesson(make.section(make.draft_course(owner)), kind=LessonKind.VIDEO, body_markdown=None)
    clip = make_clip(tmp_path / name, seconds=2)
    assert upload(client, lesson, clip.read_bytes(), filename=name).status_code == 302
    ready = reload(lesson)
    assert ready.processing_status == ProcessingStatus.READY, ready.processing_error
    assert [r["name"] for r in ready.renditions] == ["144p", "240p", "audio"]
    assert get_storage().exists(ready.download_key)


@pytest.mark.parametrize("name, codecs", [
    ("clip.mov", ["-c:v", "libx264"]), ("clip.mkv", ["-c:v", "libx264"]), ("clip.avi", ["-c:v", "mpeg4"]),
    ("clip.ts", ["-c:v", "mpeg2video"]), ("clip.ogv", ["-c:v", "libtheora"]),
])
def test_other_video_containers_are_probed_with_their_own_demuxer(tmp_path, name, codecs):
    path = tmp_path / name
    subprocess.run([ffmpeg.ffmpeg_binary(), "-v", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:duration=1",
                    *codecs, str(path)], check=True, timeout=60)
    info = ffmpeg.probe(path)
    assert (info.width, info.height, round(info.duration)) == (160, 120, 1)


@pytest.mark.parametrize("name", ["voice.mp3", "voice.wav", "voice.m4a"])
def test_mp3_wav_and_m4a_are_audio_lessons(tmp_path, name):
    path = tmp_path / name
    subprocess.run([ffmpeg.ffmpeg_binary(), "-v", "error", "-f", "lavfi", "-i", "sine=duration=1", str(path)],
                   check=True, timeout=60)
    info = ffmpeg.probe(path)
    assert info.is_audio and info.has_audio and round(info.duration) == 1


def test_other_sound_files_are_told_what_we_take(tmp_path):
    path = tmp_path / "voice.ogg"
    subprocess.run([ffmpeg.ffmpeg_binary(), "-v", "error", "-f", "lavfi", "-i", "sine=duration=1", str(path)],
                   check=True, timeout=60)
    with pytest.raises(ffmpeg.ProbeError, match="neither a video picture nor MP3, M4A or WAV sound"):
        ffmpeg.probe(path)


def test_still_image_named_mp4_is_refused_before_ffmpeg_opens_it(client, make, login):
    owner = login(make.instructor())
    lesson = make.lesson(make.section(make.draft_course(owner)), kind=LessonKind.VIDEO, body_markdown=None)
    response = upload(client, lesson, b"\x89PNG\r\n\x1a\n" + b"\0" * 64, filename="x.mp4")
    assert_refused_and_nothing_kept(client, lesson, response)
    assert "still image" in reload(lesson).processing_error


def test_transcode_job_refuses_a_playlist_stored_before_uploads_were_checked(make, tmp_path, victim_video):
    """A source already in storage (accepted before this check, then requeued by the sweeper) is
    checked again by the transcode job itself: it fails with the reason and writes nothing."""
    from mwanzo.extensions import db
    from mwanzo.media.tasks import transcode_lesson
    from tests.media.test_crash_and_sweep import uploaded_lesson

    playlist = tmp_path / "x.mp4"
    playlist.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:3.0,\n{victim_video}\n#EXT-X-ENDLIST\n")
    lesson = uploaded_lesson(make, playlist)
    transcode_lesson(str(lesson.id))
    db.session.expire_all()
    failed = reload(lesson)
    assert failed.processing_status == ProcessingStatus.FAILED and "playlist" in failed.processing_error
    assert failed.media_prefix is None and failed.renditions == []
    assert [p.name for p in get_storage().root.glob(f"lessons/{lesson.id}/**/*") if p.is_file()] == ["source.mp4"]
