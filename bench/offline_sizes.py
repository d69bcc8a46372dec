"""What offline costs: the service worker's size, and what a saved 60 s lesson takes on the phone at each quality.

Makes a 720p clip and runs the real transcoding pipeline on it (bench/transcode.py's pieces), then adds up what
"Save this lesson" keeps for each quality: the rung's playlist and segments and the poster (or, for a lesson
without rungs, its MP4). The page's scripts
and stylesheet are kept once for all saved lessons (stored decoded), printed on their own.

    .venv/bin/python bench/offline_sizes.py [--seconds 60]
"""
from __future__ import annotations

import argparse
import gzip
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.transcode import make_clip, run_pipeline  # noqa: E402
from mwanzo.offline.services import OFFLINE_ASSETS  # noqa: E402
from mwanzo.learning.player import SAVE_QUALITIES  # noqa: E402

STATIC = ROOT / "mwanzo" / "static"


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.iterdir() if path.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help="length of the generated 720p clip")
    args = parser.parse_args()
    worker = (STATIC / "js" / "sw.js").read_bytes()
    print(f"service worker: {len(worker)} bytes, {len(gzip.compress(worker, 9))} bytes gzip (budget 10240)")
    assets = sum((STATIC / name).stat().st_size for name in OFFLINE_ASSETS)
    print(f"page assets kept once for all saved lessons: {assets / 1e3:.1f} KB")
    with tempfile.TemporaryDirectory(prefix="mwanzo-bench-") as tmp:
        workdir = Path(tmp)
        source = workdir / "source-720p.mp4"
        make_clip(source, args.seconds, noise=4)
        pipeline = run_pipeline(workdir, source)
        media = workdir / "media"
        poster = next(media.rglob("poster.jpg"), None)
        poster_bytes = poster.stat().st_size if poster else 0
        print(f"a saved {pipeline.duration:.0f} s lesson (rung files + poster {poster_bytes / 1e3:.1f} KB):")
        for rendition in pipeline.renditions:
            if rendition["name"] not in SAVE_QUALITIES:
                continue
            rung = folder_bytes((media / rendition["playlist"]).parent)
            total = rung + poster_bytes
            print(f"  {rendition['name']:>6}: media {rung / 1e6:6.2f} MB, on the phone {total / 1e6:6.2f} MB "
                  f"(the page says {rendition['bytes'] / 1e6:.2f} MB)")
        print(f"     MP4: {pipeline.download_bytes / 1e6:6.2f} MB, on the phone "
              f"{(pipeline.download_bytes + poster_bytes) / 1e6:6.2f} MB (a lesson without rungs is saved as its MP4)")


if __name__ == "__main__":
    main()
