"""A READY video lesson made with real ffmpeg: two HLS rungs, audio only, master playlist, MP4, poster.

The files follow the transcoding pipeline's layout (<media_prefix>/master.m3u8, one folder per
rendition) and are rendered once per test session, then copied into storage for each lesson.
"""
from __future__ import annotations

import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

from mwanzo.courses.models import LessonCaption, LessonKind, ProcessingStatus
from mwanzo.extensions import db
from mwanzo.storage import get_storage
from tests import factories

SECONDS = 6
RUNGS = [("144p", 256, 144, "120k"), ("240p", 426, 240, "250k")]
CAPTIONS = "WEBVTT\n\n00:00.000 --> 00:03.000\nKaribu! Welcome.\n"


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def hls(source: Path, folder: Path, *codec_args: str) -> None:
    folder.mkdir()
    ffmpeg("-i", str(source), *codec_args, "-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod",
           "-hls_segment_filename", str(folder / "seg_%03d.ts"), str(folder / "index.m3u8"))


@lru_cache(maxsize=1)
def rendered() -> Path:
    """Render the media once: returns a folder laid out as a lesson's media_prefix."""
    root = Path(tempfile.mkdtemp(prefix="mwanzo-media-"))
    source = root / "source.mp4"
    ffmpeg("-f", "lavfi", "-i", f"testsrc=size=640x360:rate=15:duration={SECONDS}",
           "-f", "lavfi", "-i", f"sine=frequency=440:duration={SECONDS}",
           "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(source))
    master = ["#EXTM3U", "#EXT-X-VERSION:3"]
    for name, width, height, rate in RUNGS:
        hls(source, root / name, "-c:v", "libx264", "-profile:v", "baseline", "-pix_fmt", "yuv420p",
            "-vf", f"scale={width}:{height}", "-b:v", rate, "-g", "30", "-c:a", "aac", "-b:a", "48k", "-ac", "1")
        master += [f'#EXT-X-STREAM-INF:BANDWIDTH={int(rate[:-1]) * 1000 + 48000},RESOLUTION={width}x{height},'
                   f'CODECS="avc1.42c01e,mp4a.40.2"', f"{name}/index.m3u8"]
    hls(source, root / "audio", "-vn", "-c:a", "aac", "-b:a", "32k", "-ac", "1")
    (root / "master.m3u8").write_text("\n".join(master) + "\n")
    ffmpeg("-i", str(source), "-c:v", "libx264", "-pix_fmt", "yuv420p", "-vf", "scale=640:360", "-b:v", "300k",
           "-c:a", "aac", "-b:a", "48k", "-movflags", "+faststart", str(root / "download.mp4"))
    ffmpeg("-ss", "1", "-i", str(source), "-frames:v", "1", str(root / "poster.jpg"))
    (root / "captions.vtt").write_text(CAPTIONS)
    source.unlink()
    return root


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.iterdir())


def make_ready(lesson, captions: bool = True):
    """Store the rendered media under the lesson's media_prefix and fill its fields, as the pipeline would."""
    root = rendered()
    prefix = f"lessons/{lesson.id}/v1"  # the pipeline's layout: <lesson folder>/<version>, captions beside it
    caption_key = f"lessons/{lesson.id}/fixture/captions-en.vtt"
    storage = get_storage()
    for path in sorted(root.rglob("*")):
        if path.name == "captions.vtt":
            if captions:
                storage.save(caption_key, path, "text/vtt")
        elif path.is_file():
            storage.save(f"{prefix}/{path.relative_to(root).as_posix()}", path,
                         "application/octet-stream")
    lesson.kind = LessonKind.VIDEO
    lesson.media_prefix = prefix
    lesson.renditions = [
        {"name": name, "height": height, "bandwidth": int(rate[:-1]) * 1000 + 48000,
         "playlist": f"{prefix}/{name}/index.m3u8", "bytes": folder_bytes(root / name)}
        for name, _, height, rate in RUNGS
    ] + [{"name": "audio", "height": 0, "bandwidth": 32000, "playlist": f"{prefix}/audio/index.m3u8",
          "bytes": folder_bytes(root / "audio")}]
    lesson.download_key = f"{prefix}/download.mp4"
    lesson.download_bytes = (root / "download.mp4").stat().st_size
    lesson.poster_key = f"{prefix}/poster.jpg"
    if captions:
        db.session.add(LessonCaption(lesson_id=lesson.id, course_id=lesson.course_id, language="en",
                                     key=caption_key, bytes=len(CAPTIONS),
                                     cues=[[0, 3000, "Karibu! Welcome."]], search_text="karibu! welcome."))
    lesson.duration_seconds = SECONDS
    lesson.processing_status = ProcessingStatus.READY
    lesson.processing_progress = 100
    db.session.commit()
    return lesson


def ready_video_lesson(section, **kwargs):
    return make_ready(factories.lesson(section, kind=LessonKind.VIDEO, body_markdown=None, **kwargs))
