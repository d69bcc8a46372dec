"""Tiny real media files made by ffmpeg's test sources, for tests that run the real pipeline."""
from __future__ import annotations

import subprocess
from pathlib import Path

from mwanzo.media.ffmpeg import ffmpeg_binary


def make_clip(path: Path, seconds: float = 3, size: str = "320x240", audio: bool = True, rate: int = 15) -> Path:
    cmd = [ffmpeg_binary(), "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc=size={size}:rate={rate}:duration={seconds}"]
    if audio:
        cmd += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-c:a", "aac", "-b:a", "48k"]
    cmd += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-shortest", str(path)]
    subprocess.run(cmd, check=True, timeout=60)
    return path
