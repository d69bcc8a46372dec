"""Transcoding speed and data cost.

Generates a 720p clip (moving test pattern with film-like noise, and a tone), then
  1. runs the real pipeline on it: mwanzo.media.tasks.transcode_lesson (probe, the one-process
     ffmpeg ladder with progress reporting, master playlist from measured sizes, storing every file);
  2. runs one plain ffmpeg command producing the same ladder (each rung its own output with its own
     scale; no progress parsing, no storing, no database).
Prints wall-clock and CPU times (ffmpeg's children CPU, which does not depend on what else the machine
is running), their ratios, the realtime factor, and bytes per minute of video per rung.

    .venv/bin/python bench/transcode.py [--seconds 60]
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask import Flask  # noqa: E402

from mwanzo.media import ffmpeg  # noqa: E402


def cpu_seconds() -> float:
    """CPU used so far by this process and its finished children (ffmpeg)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def make_clip(path: Path, seconds: int, noise: int) -> None:
    subprocess.run([
        ffmpeg.ffmpeg_binary(), "-v", "error", "-y",
        "-f", "lavfi", "-i", f"testsrc2=size=1280x720:rate=30:duration={seconds}" + (f",noise=alls={noise}:allf=t" if noise else ""),
        "-f", "lavfi", "-i", f"sine=frequency=300:duration={seconds}",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k",
        "-shortest", str(path)], check=True)


def plain_command(source: Path, out: Path) -> list[str]:
    cmd = [ffmpeg.ffmpeg_binary(), "-v", "error", "-y", "-i", str(source)]
    keyframes = f"expr:gte(t,n_forced*{ffmpeg.SEGMENT_SECONDS})"
    for rung in ffmpeg.LADDER:
        folder = out / rung.name
        folder.mkdir(parents=True)
        cmd += ["-map", "0:v", "-map", "0:a", "-vf", f"scale=-2:{rung.height}", "-c:v", "libx264", "-preset", "veryfast",
                "-profile:v", rung.profile, "-b:v", f"{rung.video_kbps}k", "-maxrate", f"{int(rung.video_kbps * 1.2)}k",
                "-bufsize", f"{rung.video_kbps * 2}k", "-force_key_frames", keyframes, "-sc_threshold", "0",
                "-c:a", "aac", "-ac", "1", "-b:a", f"{rung.audio_kbps}k", "-f", "hls", "-hls_time", str(ffmpeg.SEGMENT_SECONDS),
                "-hls_playlist_type", "vod", "-hls_segment_type", "fmp4",
                "-hls_segment_filename", str(folder / "seg_%04d.m4s"), str(folder / "index.m3u8")]
    (out / "audio").mkdir()
    cmd += ["-map", "0:a", "-c:a", "aac", "-ac", "1", "-b:a", f"{ffmpeg.AUDIO_ONLY_KBPS}k", "-f", "hls",
            "-hls_time", str(ffmpeg.SEGMENT_SECONDS), "-hls_playlist_type", "vod", "-hls_segment_type", "fmp4",
            "-hls_segment_filename", str(out / "audio" / "seg_%04d.m4s"), str(out / "audio" / "index.m3u8")]
    cmd += ["-map", "0:v", "-map", "0:a", "-vf", "scale=-2:360", "-c:v", "libx264", "-preset", "veryfast",
            "-b:v", f"{ffmpeg.DOWNLOAD_VIDEO_KBPS}k", "-c:a", "aac", "-ac", "1", "-b:a", f"{ffmpeg.DOWNLOAD_AUDIO_KBPS}k",
            "-movflags", "+faststart", str(out / "download.mp4")]
    cmd += ["-map", "0:v", "-ss", "2", "-frames:v", "1", "-vf", "scale=-2:360", str(out / "poster.jpg")]
    return cmd


@dataclass
class Pipeline:
    """What run_pipeline made and measured."""

    app: Flask
    lesson_url: str  # the lesson's player page
    seconds: float  # wall time of the transcode task
    cpu: float
    renditions: list[dict]
    download_bytes: int
    duration: float  # of the clip


def run_pipeline(workdir: Path, source: Path, **config) -> Pipeline:
    """The app on a fresh SQLite database (``config``: more settings), one free published course, and its one
    video lesson put through mwanzo.media.tasks.transcode_lesson, timed."""
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-bench-secret-key-0123456789")
    from flask_migrate import upgrade

    from mwanzo import create_app
    from mwanzo.auth.models import Role, User
    from mwanzo.courses.models import (Category, Course, CourseStatus, Lesson, LessonKind, ProcessingStatus,
                                       Section)
    from mwanzo.database import utcnow
    from mwanzo.extensions import db
    from mwanzo.media import tasks
    from mwanzo.storage import get_storage

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.db'}", "JOB_RUNNER": "sync",
                      "MEDIA_ROOT": str(workdir / "media"), "REDIS_URL": None, **config})
    with app.app_context():
        upgrade()
        teacher = User(name="Mwalimu", email="mwalimu@bench.example", role=Role.INSTRUCTOR, password_hash="x")
        category = Category(name="Bench", slug="bench")
        db.session.add_all([teacher, category])
        db.session.flush()
        course = Course(title="Kutuma pesa", slug="kutuma-pesa", category_id=category.id, instructor_id=teacher.id,
                        status=CourseStatus.PUBLISHED, published_at=utcnow())
        db.session.add(course)
        db.session.flush()
        section = Section(course_id=course.id, title="Sehemu")
        db.session.add(section)
        db.session.flush()
        lesson = Lesson(course_id=course.id, section_id=section.id, title="Somo", kind=LessonKind.VIDEO)
        db.session.add(lesson)
        db.session.flush()
        lesson.source_key = f"lessons/{lesson.id}/bench/source.mp4"
        lesson.processing_status = ProcessingStatus.UPLOADED
        get_storage().save(lesson.source_key, source, "video/mp4")
        db.session.commit()
        started, cpu_started = time.perf_counter(), cpu_seconds()
        tasks.transcode_lesson(str(lesson.id))
        elapsed, cpu = time.perf_counter() - started, cpu_seconds() - cpu_started
        db.session.expire_all()
        lesson = db.session.get(Lesson, lesson.id)
        assert lesson.processing_status == ProcessingStatus.READY, lesson.processing_error
        return Pipeline(app, f"/learn/{course.slug}/lessons/{lesson.id}", elapsed, cpu, lesson.renditions,
                        lesson.download_bytes, lesson.duration_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=30, help="length of the generated 720p clip")
    parser.add_argument("--noise", type=int, default=4, help="film-grain strength (0 = clean synthetic picture)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mwanzo-bench-") as tmp:
        workdir = Path(tmp)
        source = workdir / "source-720p.mp4"
        make_clip(source, args.seconds, args.noise)
        print(f"clip: {args.seconds} s, 1280x720 30 fps, noise {args.noise}, {source.stat().st_size / 1e6:.1f} MB; "
              f"ffmpeg: {ffmpeg.ffmpeg_binary()}; CPUs: {os.cpu_count()}")

        load = os.getloadavg()[0]
        pipeline = run_pipeline(workdir, source)
        pipeline_s, pipeline_cpu, duration = pipeline.seconds, pipeline.cpu, pipeline.duration
        plain_out = workdir / "plain"
        started, cpu_started = time.perf_counter(), cpu_seconds()
        subprocess.run(plain_command(source, plain_out), check=True)
        plain_s, plain_cpu = time.perf_counter() - started, cpu_seconds() - cpu_started
        cores = os.cpu_count() or 1

        print(f"load average at start: {load:.1f} (wall-clock figures are only fair on an idle machine)")
        print(f"pipeline (probe + one ffmpeg with split filter + master + store): wall {pipeline_s:6.1f} s, "
              f"CPU {pipeline_cpu:6.1f} s")
        print(f"plain ffmpeg command (one output per rung, scale each):          wall {plain_s:6.1f} s, "
              f"CPU {plain_cpu:6.1f} s")
        print(f"ratio pipeline / plain: wall {pipeline_s / plain_s:.2f}, CPU {pipeline_cpu / plain_cpu:.2f}")
        print(f"realtime factor (video seconds per second): pipeline wall {duration / pipeline_s:.2f}x, "
              f"plain wall {duration / plain_s:.2f}x; on {cores} idle cores (CPU / {cores}) "
              f"pipeline {duration * cores / pipeline_cpu:.2f}x, plain {duration * cores / plain_cpu:.2f}x")
        print("bytes per minute of video:")
        for rendition in pipeline.renditions:
            per_minute = rendition["bytes"] / duration * 60
            print(f"  {rendition['name']:>6}: {per_minute / 1e6:6.2f} MB/min  (peak {rendition['bandwidth'] / 1000:.0f} kbps)")
        print(f"  {'mp4':>6}: {pipeline.download_bytes / duration * 60 / 1e6:6.2f} MB/min  (360p download)")


if __name__ == "__main__":
    main()
