"""Tiny real media files made by ffmpeg's test sources, for tests that run the real pipeline.

The container follows the file name: ``.webm`` gets VP8 and Opus (all WebM allows), anything else
H.264 and AAC."""
from __future__ import annotations

import subprocess
from pathlib import Path

from mwanzo.media.ffmpeg import ffmpeg_binary


def make_clip(path: Path, seconds: float = 3, size: str = "320x240", audio: bool = True, rate: int = 15) -> Path:
    cmd = [ffmpeg_binary(), "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc=size={size}:rate={rate}:duration={seconds}"]
    webm = path.suffix == ".webm"
    if audio:
        cmd += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
                "-c:a", "libopus" if webm else "aac", "-b:a", "48k"]
    video = ["libvpx", "-deadline", "realtime", "-cpu-used", "8"] if webm else ["libx264", "-preset", "ultrafast"]
    cmd += ["-c:v", *video, "-pix_fmt", "yuv420p", "-shortest", str(path)]
    subprocess.run(cmd, check=True, timeout=60)
    return path
