"""Finding and running ffmpeg: probing an upload and building the one-process HLS ladder command.

ffmpeg comes from the system PATH when installed, otherwise from the imageio-ffmpeg package (a
static build shipped as a Python dependency), so a laptop needs nothing from apt. That package
carries no ffprobe: without one, ``probe`` reads the stream summary ``ffmpeg -i`` prints instead.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

PROBE_TIMEOUT = 60


@dataclass(frozen=True)
class Rung:
    name: str
    height: int
    video_kbps: int
    audio_kbps: int
    profile: str  # H.264 profile for x264
    codecs: str   # what a player needs to know before fetching (RFC 8216 CODECS)


# Cheap phones on 3G: baseline for the two lowest rungs, main above. Level 3.0/3.1.
LADDER = [
    Rung("144p", 144, 100, 32, "baseline", "avc1.42c01e,mp4a.40.2"),
    Rung("240p", 240, 250, 48, "baseline", "avc1.42c01e,mp4a.40.2"),
    Rung("360p", 360, 500, 64, "main", "avc1.4d401e,mp4a.40.2"),
    Rung("720p", 720, 1500, 64, "main", "avc1.4d401f,mp4a.40.2"),
]
AUDIO_ONLY_KBPS = 48
DOWNLOAD_HEIGHT, DOWNLOAD_VIDEO_KBPS, DOWNLOAD_AUDIO_KBPS = 360, 400, 64
SEGMENT_SECONDS = 4


@dataclass
class ProbeResult:
    duration: float
    width: int
    height: int
    has_audio: bool
    format_name: str


class ProbeError(Exception):
    """The file is not a video we can use; the message is meant for the instructor."""


def ffmpeg_binary() -> str:
    found = shutil.which("ffmpeg")
    if found:
        return found
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def ffprobe_binary() -> str | None:
    return shutil.which("ffprobe")


def probe(path: Path) -> ProbeResult:
    """Duration, picture size and audio presence of a media file; ProbeError if it has no picture."""
    binary = ffprobe_binary()
    result = _probe_with_ffprobe(binary, path) if binary else _probe_with_ffmpeg(path)
    if result.width <= 0 or result.height <= 0:
        raise ProbeError(_("This file has no video picture (is it an audio file?). Upload a video such as an MP4."))
    if result.format_name.split(",")[0] in IMAGE_FORMATS or result.duration <= 0:
        raise ProbeError(_("This file is a still image, not a video. Upload a video such as an MP4."))
    return result


IMAGE_FORMATS = {"image2", "png_pipe", "jpeg_pipe", "webp_pipe", "gif", "bmp_pipe", "tiff_pipe", "svg_pipe"}
NOT_MEDIA = _l("This file is not a video we can read. Upload a video file such as an MP4, MOV or WebM.")


def _probe_with_ffprobe(binary: str, path: Path) -> ProbeResult:
    run = subprocess.run(
        [binary, "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)],
        capture_output=True, timeout=PROBE_TIMEOUT, check=False,
    )
    if run.returncode != 0:
        raise ProbeError(str(NOT_MEDIA))
    info = json.loads(run.stdout or b"{}")
    streams = info.get("streams", [])
    video = next((s for s in streams if s.get("codec_type") == "video"
                  and not s.get("disposition", {}).get("attached_pic")), None)
    fmt = info.get("format", {})
    duration = float(fmt.get("duration") or (video or {}).get("duration") or 0)
    return ProbeResult(
        duration=duration,
        width=int((video or {}).get("width") or 0),
        height=int((video or {}).get("height") or 0),
        has_audio=any(s.get("codec_type") == "audio" for s in streams),
        format_name=fmt.get("format_name", ""),
    )


_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_VIDEO = re.compile(r"Stream #\S+.*?: Video: .*?(\d{2,5})x(\d{2,5})")
_INPUT = re.compile(r"Input #0, ([\w,]+), from")


def _probe_with_ffmpeg(path: Path) -> ProbeResult:
    """Without ffprobe: ``ffmpeg -i file`` exits non-zero (no output named) but prints the streams."""
    run = subprocess.run([ffmpeg_binary(), "-hide_banner", "-i", str(path)], capture_output=True,
                         timeout=PROBE_TIMEOUT, check=False)
    return parse_ffmpeg_banner(run.stderr.decode(errors="replace"))


def parse_ffmpeg_banner(text: str) -> ProbeResult:
    source = _INPUT.search(text)
    if not source:
        raise ProbeError(str(NOT_MEDIA))
    duration = _DURATION.search(text)
    video = next((m for m in _VIDEO.finditer(text) if "attached pic" not in m.group(0)), None)
    seconds = 0.0
    if duration:
        hours, minutes, secs = duration.groups()
        seconds = int(hours) * 3600 + int(minutes) * 60 + float(secs)
    return ProbeResult(
        duration=seconds,
        width=int(video.group(1)) if video else 0,
        height=int(video.group(2)) if video else 0,
        has_audio=": Audio: " in text,
        format_name=source.group(1),
    )


def rungs_for(source_height: int) -> list[Rung]:
    """Only rungs at or below the source's height (never upscale); a tiny source still gets 144p."""
    return [r for r in LADDER if r.height <= source_height] or LADDER[:1]


def even(n: float) -> int:
    return max(2, int(round(n / 2)) * 2)


def ladder_command(source: Path, out: Path, info: ProbeResult, progress: bool = True) -> list[str]:
    """One ffmpeg process: decode once, split the picture, encode every rung, the download MP4 and
    the poster. Writes out/hls/<rung>/index.m3u8 (+ init and fMP4 segments), out/download.mp4,
    out/poster.jpg. The master playlist is written afterwards from measured sizes."""
    rungs = rungs_for(info.height)
    video_outputs = len(rungs) + 2  # + download + poster
    poster_at = min(2.0, info.duration / 2)
    graph = [f"[0:v]format=yuv420p,split={video_outputs}" + "".join(f"[s{i}]" for i in range(video_outputs))]
    for i, rung in enumerate(rungs):
        graph.append(f"[s{i}]scale=-2:{rung.height}[v{i}]")
    download_height = min(DOWNLOAD_HEIGHT, even(info.height))
    graph.append(f"[s{len(rungs)}]scale=-2:{download_height}[vdl]")
    graph.append(f"[s{len(rungs) + 1}]trim=start={poster_at:.2f}:duration=0.5,scale=-2:{download_height}[vposter]")
    audio_outputs = len(rungs) + 2 if info.has_audio else 0
    if audio_outputs:
        graph.append(f"[0:a]aresample=async=1,asplit={audio_outputs}" + "".join(f"[a{i}]" for i in range(audio_outputs)))

    keyframes = f"expr:gte(t,n_forced*{SEGMENT_SECONDS})"
    cmd = [ffmpeg_binary(), "-hide_banner", "-nostdin", "-y", "-v", "error", "-i", str(source),
           "-filter_complex", ";".join(graph)]
    stream_map = []
    for i, rung in enumerate(rungs):
        cmd += ["-map", f"[v{i}]"]
    if audio_outputs:
        for i in range(len(rungs) + 1):
            cmd += ["-map", f"[a{i}]"]
    cmd += ["-c:v", "libx264", "-preset", "veryfast", "-force_key_frames", keyframes, "-sc_threshold", "0"]
    for i, rung in enumerate(rungs):
        kbps = rung.video_kbps
        cmd += [f"-profile:v:{i}", rung.profile, f"-b:v:{i}", f"{kbps}k", f"-maxrate:v:{i}", f"{int(kbps * 1.2)}k",
                f"-bufsize:v:{i}", f"{kbps * 2}k"]
        stream_map.append(f"v:{i}" + (f",a:{i}" if audio_outputs else "") + f",name:{rung.name}")
    if audio_outputs:
        cmd += ["-c:a", "aac", "-ac", "1", "-ar", "44100"]
        for i, rung in enumerate(rungs):
            cmd += [f"-b:a:{i}", f"{rung.audio_kbps}k"]
        cmd += [f"-b:a:{len(rungs)}", f"{AUDIO_ONLY_KBPS}k"]
        stream_map.append(f"a:{len(rungs)},name:audio")
    hls = out / "hls"
    for name in [r.name for r in rungs] + (["audio"] if audio_outputs else []):
        (hls / name).mkdir(parents=True, exist_ok=True)
    cmd += ["-f", "hls", "-hls_time", str(SEGMENT_SECONDS), "-hls_playlist_type", "vod",
            "-hls_segment_type", "fmp4", "-hls_flags", "independent_segments",
            "-hls_fmp4_init_filename", "init.mp4",
            "-var_stream_map", " ".join(stream_map),
            "-hls_segment_filename", str(hls / "%v" / "seg_%04d.m4s"), str(hls / "%v" / "index.m3u8")]
    # Progressive 360p MP4 for download and for browsers without HLS.
    cmd += ["-map", "[vdl]"]
    if audio_outputs:
        cmd += ["-map", f"[a{len(rungs) + 1}]", "-c:a", "aac", "-ac", "1", "-b:a", f"{DOWNLOAD_AUDIO_KBPS}k"]
    cmd += ["-c:v", "libx264", "-preset", "veryfast", "-profile:v", "main", "-b:v", f"{DOWNLOAD_VIDEO_KBPS}k",
            "-maxrate", f"{int(DOWNLOAD_VIDEO_KBPS * 1.3)}k", "-bufsize", f"{DOWNLOAD_VIDEO_KBPS * 2}k",
            "-movflags", "+faststart", str(out / "download.mp4")]
    cmd += ["-map", "[vposter]", "-frames:v", "1", "-q:v", "5", str(out / "poster.jpg")]
    if progress:
        cmd += ["-progress", "pipe:1", "-nostats"]
    return cmd


def parse_progress_seconds(line: str) -> float | None:
    """``out_time_us=1234567`` (ffmpeg -progress output) → seconds encoded so far."""
    key, _, value = line.strip().partition("=")
    if key in ("out_time_us", "out_time_ms") and value.lstrip("-").isdigit():
        return max(int(value), 0) / 1_000_000  # both are microseconds (out_time_ms is misnamed)
    return None
