"""Finding and running ffmpeg: probing an upload and building the one-process HLS ladder command.

ffmpeg comes from the system PATH when installed, otherwise from the imageio-ffmpeg package (a
static build shipped as a Python dependency), so a laptop needs nothing from apt. That package
carries no ffprobe: without one, ``probe`` reads the stream summary ``ffmpeg -i`` prints instead.

ffmpeg only ever opens an upload as one of the containers ``sniff`` recognises from its first bytes,
forced to that demuxer and to the one protocol needed to read it. Left to guess, ffmpeg would read
a text file named ``x.mp4`` as an HLS playlist, a concat list or an SDP session and open other files
on the server (another lesson's video) or listen on the network.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

PROBE_TIMEOUT = 60
HEAD_BYTES = 4096  # enough for every signature below (MPEG-TS needs three 188-byte packets)


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
    height: int  # 0: an audio file (an audio lesson)
    has_audio: bool
    demuxer: str  # what sniff found, forced on every later ffmpeg run over the same file

    @property
    def is_audio(self) -> bool:
        return self.height <= 0


AUDIO_CONTAINERS = {"mp3", "wav", "mov"}  # MP3, WAV, and M4A (an MP4 container) become audio lessons
AUDIO_DOWNLOAD_KBPS = 64


class ProbeError(Exception):
    """The file is not a video we can use; the message is meant for the instructor."""


NOT_A_PLAYLIST = _l("it is a playlist or a list of other files, not a video file. Upload the video itself, "
                    "such as an MP4.")
NOT_SDP = _l("it describes a network stream (SDP), not a video file. Upload the video itself, such as an MP4.")
NOT_TEXT = _l("it is a text file. Upload a video file such as an MP4, MOV or WebM.")
NOT_IMAGE = _l("it is a still image. Upload a video such as an MP4.")
NOT_ALLOWED = _l("its format is not one we accept. Upload an MP4, MOV, WebM, MKV, AVI or MPEG-TS video.")
MOV_ATOMS = {b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip"}  # the first box of MP4, M4A, 3GP, MOV
IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM")


def unusable(reason) -> ProbeError:
    return ProbeError(_("This file is not a video we can use: %(reason)s", reason=str(reason)))


def sniff(head: bytes) -> str:
    """The ffmpeg demuxer for a file's first bytes, from the containers we accept for video and audio.

    None of these can make ffmpeg open another file (mov's external data references stay off, as
    ffmpeg ships them). Anything else, above all text (HLS, ffconcat, SDP), is refused here, before
    ffmpeg ever opens it."""
    if head[4:8] in MOV_ATOMS:
        return "mov"
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # EBML: Matroska and WebM
        return "matroska"
    if head.startswith(b"RIFF") and head[8:12] in (b"AVI ", b"WAVE"):
        return "avi" if head[8:12] == b"AVI " else "wav"
    if head.startswith(b"OggS"):
        return "ogg"
    if len(head) > 376 and head[0] == head[188] == head[376] == 0x47:  # MPEG-TS sync bytes
        return "mpegts"
    if head.startswith(b"ID3") or _mpeg_audio_frame(head):
        return "mp3"
    raise unusable(_refusal(head))


def _mpeg_audio_frame(head: bytes) -> bool:
    """An MPEG audio frame header: 11 sync bits, then a layer (III, II or I) that is not reserved.
    ADTS AAC has layer 00 and is left out."""
    return len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06 != 0


def _refusal(head: bytes):
    if head.startswith(IMAGE_MAGIC) or (head.startswith(b"RIFF") and head[8:12] == b"WEBP"):
        return NOT_IMAGE
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith((b"#EXTM3U", b"ffconcat")) or b"#EXT-X-" in head or b"#EXTINF" in head:
        return NOT_A_PLAYLIST
    if text.startswith(b"v=0") or b"\nm=video" in head or b"\nm=audio" in head:
        return NOT_SDP
    if b"\0" not in head:
        return NOT_TEXT
    return NOT_ALLOWED


def read_head(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(HEAD_BYTES)


def input_args(location: str | Path, demuxer: str) -> list[str]:
    """``-i`` for an upload: the sniffed demuxer forced, and only the protocol that reads it
    (a local file, or a presigned URL in s3 mode)."""
    protocols = {"http": "http,tcp", "https": "https,tls,tcp"}.get(urlsplit(str(location)).scheme, "file")
    return ["-protocol_whitelist", protocols, "-f", demuxer, "-i", str(location)]


def ffmpeg_binary() -> str:
    found = shutil.which("ffmpeg")
    if found:
        return found
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def ffprobe_binary() -> str | None:
    return shutil.which("ffprobe")


def probe(location: Path | str, head: bytes | None = None) -> ProbeResult:
    """Duration, picture size and audio presence of a media file; ProbeError if it has no picture.

    ``head`` is the file's first bytes, read from ``location`` when that is a local path."""
    demuxer = sniff(read_head(location) if head is None else head)
    binary = ffprobe_binary()
    result = _probe_with_ffprobe(binary, location, demuxer) if binary else _probe_with_ffmpeg(location, demuxer)
    if result.width <= 0 or result.height <= 0:
        if not (result.has_audio and demuxer in AUDIO_CONTAINERS):
            raise ProbeError(_("This file has neither a video picture nor MP3, M4A or WAV sound. Upload a video "
                               "such as an MP4, or an audio file."))
        result.width = result.height = 0  # an audio lesson: the same pipeline makes audio only

    if result.duration <= 0:
        raise ProbeError(_("This file is a still image, not a video. Upload a video such as an MP4."))
    return result


NOT_MEDIA = _l("This file is not a video we can read. Upload a video file such as an MP4, MOV or WebM.")


def _probe_with_ffprobe(binary: str, location: Path | str, demuxer: str) -> ProbeResult:
    run = subprocess.run(
        [binary, "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
         *input_args(location, demuxer)],
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
        demuxer=demuxer,
    )


_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_VIDEO = re.compile(r"Stream #\S+.*?: Video: .*?(\d{2,5})x(\d{2,5})")
_INPUT = re.compile(r"Input #0, [\w,]+, from")


def _probe_with_ffmpeg(location: Path | str, demuxer: str) -> ProbeResult:
    """Without ffprobe: ``ffmpeg -i file`` exits non-zero (no output named) but prints the streams."""
    run = subprocess.run([ffmpeg_binary(), "-hide_banner", *input_args(location, demuxer)], capture_output=True,
                         timeout=PROBE_TIMEOUT, check=False)
    return parse_ffmpeg_banner(run.stderr.decode(errors="replace"), demuxer)


def parse_ffmpeg_banner(text: str, demuxer: str) -> ProbeResult:
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
        demuxer=demuxer,
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
    if info.is_audio:
        return audio_command(source, out, info, progress)
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
    cmd = [ffmpeg_binary(), "-hide_banner", "-nostdin", "-y", "-v", "error", *input_args(source, info.demuxer),
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


def audio_command(source: Path, out: Path, info: ProbeResult, progress: bool = True) -> list[str]:
    """An audio lesson: the audio-only HLS rendition (as in every video's ladder) and a small M4A
    download, from one ffmpeg. Writes out/hls/audio/index.m3u8 (+ fMP4 segments) and out/download.m4a."""
    hls = out / "hls" / "audio"
    hls.mkdir(parents=True, exist_ok=True)
    cmd = [ffmpeg_binary(), "-hide_banner", "-nostdin", "-y", "-v", "error", *input_args(source, info.demuxer),
           "-map", "0:a:0", "-vn", "-c:a", "aac", "-ac", "1", "-ar", "44100", "-b:a", f"{AUDIO_ONLY_KBPS}k",
           "-f", "hls", "-hls_time", str(SEGMENT_SECONDS), "-hls_playlist_type", "vod",
           "-hls_segment_type", "fmp4", "-hls_flags", "independent_segments", "-hls_fmp4_init_filename", "init.mp4",
           "-hls_segment_filename", str(hls / "seg_%04d.m4s"), str(hls / "index.m3u8"),
           "-map", "0:a:0", "-vn", "-c:a", "aac", "-ac", "1", "-b:a", f"{AUDIO_DOWNLOAD_KBPS}k",
           "-movflags", "+faststart", str(out / "download.m4a")]
    if progress:
        cmd += ["-progress", "pipe:1", "-nostats"]
    return cmd


def parse_progress_seconds(line: str) -> float | None:
    """``out_time_us=1234567`` (ffmpeg -progress output) → seconds encoded so far."""
    key, _, value = line.strip().partition("=")
    if key in ("out_time_us", "out_time_ms") and value.lstrip("-").isdigit():
        return max(int(value), 0) / 1_000_000  # both are microseconds (out_time_ms is misnamed)
    return None
