"""Lesson videos: accepting an upload, transcoding it into the HLS ladder, and the processing states.

Every upload gets its own version prefix ``lessons/<lesson id>/<version>/`` holding the source and,
once transcoded, ``hls/``, ``download.mp4`` and ``poster.jpg``. A new upload never overwrites the
files a learner may be streaming; the previous version is deleted only when the new one is READY.
"""
from __future__ import annotations

import posixpath
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Callable

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select

from mwanzo import jobs
from mwanzo.courses.models import Lesson, LessonKind, ProcessingStatus
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.jobs.tasks import delete_stored_files
from mwanzo.media import ffmpeg
from mwanzo.media.delivery import content_type_for
from mwanzo.storage import LocalStorage, get_storage

S = ProcessingStatus
ALLOWED_MOVES: dict[ProcessingStatus | None, set[ProcessingStatus]] = {
    None: {S.UPLOADED, S.FAILED},
    S.UPLOADED: {S.UPLOADED, S.PROCESSING, S.FAILED},
    S.PROCESSING: {S.PROCESSING, S.UPLOADED, S.READY, S.FAILED},
    S.READY: {S.UPLOADED},
    S.FAILED: {S.UPLOADED, S.FAILED},
}


class InvalidProcessingMove(Exception):
    """The lesson's processing status does not allow this step."""


class VideoRejected(Exception):
    """The upload was refused; str(exc) tells the instructor why."""


class VideoTooLarge(VideoRejected):
    """Over MAX_VIDEO_BYTES (answered with 413)."""


class TranscodeFailed(Exception):
    """ffmpeg refused the source: retrying will not help."""


def set_processing_status(lesson: Lesson, status: ProcessingStatus, error: str | None = None) -> None:
    """The one way a lesson's video changes state; refuses a move the pipeline never makes."""
    if status not in ALLOWED_MOVES[lesson.processing_status]:
        raise InvalidProcessingMove(f"{lesson.processing_status} → {status}")
    lesson.processing_status = status
    lesson.processing_error = error
    if status == S.UPLOADED:
        lesson.processing_progress = 0
    elif status == S.PROCESSING:
        lesson.processing_progress = 0
        lesson.processing_started_at = utcnow()
        lesson.processing_attempts += 1
    elif status == S.READY:
        lesson.processing_progress = 100


def new_version_prefix(lesson: Lesson) -> str:
    return f"lessons/{lesson.id}/{uuid.uuid4().hex[:12]}"


def source_key_for(lesson: Lesson, filename: str) -> str:
    suffix = posixpath.splitext(filename or "")[1].lower()
    suffix = suffix if suffix.isascii() and suffix[1:].isalnum() and len(suffix) <= 6 else ".bin"
    return f"{new_version_prefix(lesson)}/source{suffix}"


def too_large_message() -> str:
    return _("This file is larger than the %(megabytes)s MB limit.",
             megabytes=current_app.config["MAX_VIDEO_BYTES"] // 1024**2)


def check_source(location: str | Path, size: int, head: bytes | None = None) -> ffmpeg.ProbeResult:
    """Probe before accepting: size, an allowed container, a picture, a sane length. ``head`` is
    the file's first bytes when ``location`` is a URL."""
    config = current_app.config
    if size > config["MAX_VIDEO_BYTES"]:
        raise VideoTooLarge(too_large_message())
    if size == 0:
        raise VideoRejected(_("The file is empty."))
    try:
        info = ffmpeg.probe(location, head)
    except ffmpeg.ProbeError as exc:
        raise VideoRejected(str(exc)) from None
    if info.duration > config["MAX_VIDEO_SECONDS"]:
        raise VideoRejected(_("This video is longer than %(minutes)s minutes. Split it into shorter lessons.",
                              minutes=config["MAX_VIDEO_SECONDS"] // 60))
    return info


def reject_upload(lesson: Lesson, message: str) -> None:
    """A refused upload shows its reason on the lesson; a video that already plays keeps playing."""
    if lesson.processing_status != S.READY:
        set_processing_status(lesson, S.FAILED, message)


def accept_local_upload(lesson: Lesson, stream, filename: str) -> None:
    """Stream the upload to disk in chunks, probe it, then store it as the lesson's new source and
    queue transcoding. Raises VideoRejected (after recording why on the lesson) if it is unusable."""
    with tempfile.TemporaryDirectory(prefix="mwanzo-upload-") as tmp:
        path = Path(tmp) / "upload"
        size = 0
        limit = current_app.config["MAX_VIDEO_BYTES"]
        with path.open("wb") as out:
            while chunk := stream.read(1024 * 1024):
                size += len(chunk)
                if size > limit:
                    break
                out.write(chunk)
        try:
            check_source(path, size)
        except VideoRejected as exc:
            reject_upload(lesson, str(exc))
            raise
        key = source_key_for(lesson, filename)
        get_storage().save(key, path, "application/octet-stream")
    _queue_source(lesson, key)


def accept_stored_upload(lesson: Lesson, key: str, size: int) -> None:
    """s3 mode: the browser already put the file in the bucket; probe it over a presigned URL."""
    storage = get_storage()
    url = storage.client.generate_presigned_url("get_object", Params={"Bucket": storage.bucket, "Key": key},
                                                ExpiresIn=600)
    head = b"".join(storage.iter_range(key, 0, ffmpeg.HEAD_BYTES - 1)) if size else b""  # no range in nothing
    try:
        check_source(url, size, head)
    except VideoRejected as exc:
        storage.delete_prefix(key)
        reject_upload(lesson, str(exc))
        raise


def queue_stored_upload(lesson: Lesson, key: str, size: int) -> None:
    accept_stored_upload(lesson, key, size)
    _queue_source(lesson, key)


def _queue_source(lesson: Lesson, key: str) -> None:
    previous = lesson.source_key
    if previous and posixpath.dirname(previous) != lesson.media_prefix:
        jobs.enqueue(delete_stored_files, posixpath.dirname(previous))  # an earlier upload never transcoded
    lesson.kind = LessonKind.VIDEO
    lesson.source_key = key
    set_processing_status(lesson, S.UPLOADED)
    db.session.flush()
    from mwanzo.media.tasks import transcode_lesson

    jobs.enqueue(transcode_lesson, str(lesson.id))


@dataclass
class TranscodeResult:
    prefix: str
    duration_seconds: int
    renditions: list[dict] = field(default_factory=list)
    download_key: str = ""
    download_bytes: int = 0
    poster_key: str = ""
    master_key: str = ""


def transcode_source(source_key: str, workdir: Path, on_progress: Callable[[int], None]) -> TranscodeResult:
    """Run the ladder on one stored source and store every output beside it."""
    storage = get_storage()
    if isinstance(storage, LocalStorage):
        source = storage.path(source_key)
    else:
        source = workdir / ("source" + posixpath.splitext(source_key)[1])
        storage.download_to(source_key, source)
    try:
        info = ffmpeg.probe(source)
    except ffmpeg.ProbeError as exc:
        raise TranscodeFailed(str(exc)) from None
    out = workdir / "out"
    out.mkdir()
    run_ffmpeg(ffmpeg.ladder_command(source, out, info), info.duration, on_progress)
    renditions = write_master_playlist(out / "hls", info)
    prefix = posixpath.dirname(source_key)
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        key = f"{prefix}/{path.relative_to(out).as_posix()}"
        storage.save(key, path, content_type_for(key))
    for rendition in renditions:
        rendition["playlist"] = f"{prefix}/hls/{rendition['playlist']}"
    return TranscodeResult(
        prefix=prefix, duration_seconds=max(1, round(info.duration)), renditions=renditions,
        download_key=f"{prefix}/download.mp4", download_bytes=(out / "download.mp4").stat().st_size,
        poster_key=f"{prefix}/poster.jpg", master_key=f"{prefix}/master.m3u8",
    )


def run_ffmpeg(cmd: list[str], duration: float, on_progress: Callable[[int], None]) -> None:
    """Run one ffmpeg, reporting whole percents from its ``-progress`` lines.

    Exit code > 0: ffmpeg refused the input (TranscodeFailed). Killed by a signal: the worker was
    stopped, so raise a plain error and let the job be retried."""
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errors, stdin=subprocess.DEVNULL)
        last = -1
        try:
            for raw in process.stdout:
                seconds = ffmpeg.parse_progress_seconds(raw.decode(errors="replace"))
                if seconds is not None and duration > 0:
                    percent = min(99, int(seconds * 100 / duration))
                    if percent != last:
                        last = percent
                        on_progress(percent)
            process.wait()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        if process.returncode < 0:
            raise RuntimeError(f"ffmpeg was stopped by signal {-process.returncode}")
        if process.returncode > 0:
            errors.seek(0)
            tail = errors.read().decode(errors="replace").strip().splitlines()[-3:]
            raise TranscodeFailed(_("The video could not be converted: %(detail)s", detail=" ".join(tail) or "ffmpeg"))


def _segments(playlist: Path) -> list[tuple[float, Path]]:
    parts, duration = [], 0.0
    for line in playlist.read_text().splitlines():
        if line.startswith("#EXTINF:"):
            duration = float(line[8:].split(",")[0])
        elif line and not line.startswith("#"):
            parts.append((duration, playlist.parent / line))
    return parts


def write_master_playlist(hls: Path, info: ffmpeg.ProbeResult) -> list[dict]:
    """Write master.m3u8 beside hls/ (where the learner's player looks for it) with BANDWIDTH measured from the real segments (peak and average),
    RESOLUTION and CODECS; return the renditions to record on the lesson."""
    renditions, lines = [], ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
    entries = [(rung.name, rung.height, rung.codecs) for rung in ffmpeg.rungs_for(info.height)]
    if (hls / "audio" / "index.m3u8").exists():
        entries.append(("audio", 0, "mp4a.40.2"))
    for name, height, codecs in entries:
        playlist = hls / name / "index.m3u8"
        segments = _segments(playlist)
        init_bytes = (playlist.parent / "init.mp4").stat().st_size if (playlist.parent / "init.mp4").exists() else 0
        total = sum(path.stat().st_size for _, path in segments) + init_bytes
        seconds = sum(d for d, _ in segments) or 1
        peak = max((path.stat().st_size * 8 / d for d, path in segments if d > 0.5), default=total * 8 / seconds)
        average = int(total * 8 / seconds)
        attributes = f"BANDWIDTH={int(max(peak, average))},AVERAGE-BANDWIDTH={average}"
        if height:
            width = ffmpeg.even(info.width * height / info.height)
            attributes += f",RESOLUTION={width}x{height}"
        attributes += f',CODECS="{codecs}"'
        lines += [f"#EXT-X-STREAM-INF:{attributes}", f"hls/{name}/index.m3u8"]
        renditions.append({"name": name, "height": height, "bandwidth": int(max(peak, average)),
                           "average_bandwidth": average, "playlist": f"{name}/index.m3u8", "bytes": total})
    (hls.parent / "master.m3u8").write_text("\n".join(lines) + "\n")
    return renditions


def finish_transcode(lesson: Lesson, result: TranscodeResult) -> str | None:
    """Record a finished transcode; returns the previous version's prefix, to delete after commit."""
    previous = lesson.media_prefix
    lesson.media_prefix = result.prefix
    lesson.duration_seconds = result.duration_seconds
    lesson.renditions = result.renditions
    lesson.download_key = result.download_key
    lesson.download_bytes = result.download_bytes
    lesson.poster_key = result.poster_key
    set_processing_status(lesson, S.READY)
    return previous if previous and previous != result.prefix else None


def stale_lessons() -> list[Lesson]:
    """Lessons whose job made no progress for MEDIA_STALL_SECONDS (PROCESSING heartbeats with every
    percent) or that were UPLOADED and never picked up."""
    cutoff = utcnow() - timedelta(seconds=current_app.config["MEDIA_STALL_SECONDS"])
    return list(db.session.scalars(
        select(Lesson).where(
            or_(Lesson.processing_status == S.PROCESSING, Lesson.processing_status == S.UPLOADED),
            Lesson.updated_at <= cutoff,
        ).with_for_update(skip_locked=True)
    ))


def sweep_stale_lessons() -> dict[str, int]:
    """Send stuck lessons back to the queue, or fail them once they have used their attempts."""
    from mwanzo.media.tasks import transcode_lesson

    counts = {"requeued": 0, "failed": 0}
    limit = current_app.config["MEDIA_MAX_ATTEMPTS"]
    for lesson in stale_lessons():
        if lesson.processing_attempts >= limit:
            set_processing_status(lesson, S.FAILED,
                                  _("Processing stopped several times without finishing. Try uploading the video again."))
            counts["failed"] += 1
        else:
            set_processing_status(lesson, S.UPLOADED)
            jobs.enqueue(transcode_lesson, str(lesson.id))
            counts["requeued"] += 1
    return counts
