"""Static files served under content-hashed names with a one-year cache, pre-compressed.

At start-up every file in static/ gets a name such as ``css/app.3f9a1c2e.css``; templates ask for
``asset_url('css/app.css')``. A changed file gets a new name, so browsers may cache forever.
Text assets are compressed once (brotli or gzip, as the browser accepts) and kept in memory.
"""
from __future__ import annotations

import gzip
import hashlib
import mimetypes
from functools import lru_cache
from pathlib import Path

import brotli
from flask import Blueprint, Flask, Response, abort, current_app, request, send_from_directory

ONE_YEAR = 365 * 24 * 3600
COMPRESSIBLE = {".css", ".js", ".svg", ".json", ".txt"}

bp = Blueprint("assets", __name__)


def build_manifest(static_dir: Path) -> dict[str, str]:
    manifest = {}
    for path in sorted(static_dir.rglob("*")):
        if path.is_file():
            logical = path.relative_to(static_dir).as_posix()
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
            stem, dot, suffix = logical.rpartition(".")
            manifest[logical] = f"{stem}.{digest}.{suffix}" if dot else f"{logical}.{digest}"
    return manifest


def asset_url(logical: str) -> str:
    return f"/static/{current_app.extensions['asset_manifest'][logical]}"


@lru_cache(maxsize=64)
def compressed(path: str, encoding: str) -> bytes:
    data = Path(path).read_bytes()
    return brotli.compress(data, quality=9) if encoding == "br" else gzip.compress(data, 9)


@bp.get("/static/<path:filename>")
def static_file(filename: str):
    logical = current_app.extensions["asset_reverse"].get(filename)
    if logical is None:
        abort(404)
    static_dir = current_app.extensions["asset_dir"]
    cache_control = f"public, max-age={ONE_YEAR}, immutable"
    if Path(logical).suffix in COMPRESSIBLE:
        accepted = request.accept_encodings
        encoding = "br" if accepted["br"] else "gzip" if accepted["gzip"] else None
        if encoding:
            mimetype = mimetypes.guess_type(logical)[0] or "application/octet-stream"
            response = Response(compressed(str(Path(static_dir) / logical), encoding), mimetype=mimetype)
            response.headers["Content-Encoding"] = encoding
            response.headers["Cache-Control"] = cache_control
            response.vary.add("Accept-Encoding")
            return response
    response = send_from_directory(static_dir, logical, max_age=ONE_YEAR)
    response.headers["Cache-Control"] = cache_control
    return response


def init_app(app: Flask) -> None:
    static_dir = Path(app.root_path) / "static"
    manifest = build_manifest(static_dir)
    app.extensions["asset_dir"] = str(static_dir)
    app.extensions["asset_manifest"] = manifest
    app.extensions["asset_reverse"] = {hashed: logical for logical, hashed in manifest.items()}
    app.add_template_global(asset_url)
    app.register_blueprint(bp)
