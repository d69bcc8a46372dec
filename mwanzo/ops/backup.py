"""Backups: a pg_dump of the database, a tar of local media, and a manifest that says what is inside.

Restore goes only into an empty database and an empty media folder, so it can never mix two
deployments' rows. S3 media are not copied (the bucket keeps its own versions): the manifest names
the bucket and the command that copies it.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tarfile
from importlib.metadata import version
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from mwanzo.database import utcnow
from mwanzo.extensions import db

MANIFEST = "manifest.json"
DATABASE_FILE = "database.dump"
MEDIA_FILE = "media.tar.gz"


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def libpq_arguments(database_uri: str) -> tuple[list[str], dict[str, str]]:
    """pg_dump/pg_restore arguments for the app's database; the password goes in the environment,
    where other users' `ps` cannot read it."""
    url = sa.make_url(database_uri)
    if url.get_backend_name() != "postgresql":
        raise BackupError("Backups need PostgreSQL (DATABASE_URL); for SQLite, copy the database file.")
    env = {**os.environ, "PGPASSWORD": url.password} if url.password else dict(os.environ)
    plain = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return ["--dbname", plain], env


def run(command: list[str], env: dict[str, str]) -> None:
    try:
        subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    except FileNotFoundError:
        raise BackupError(f"{command[0]} is not installed (Debian: apt-get install postgresql-client)") from None
    except subprocess.CalledProcessError as exc:
        raise BackupError(f"{command[0]} failed: {exc.stderr.strip()}") from None


def is_empty_folder(path: Path) -> bool:
    return not path.exists() or (path.is_dir() and not any(path.iterdir()))


def create_backup(target: Path) -> dict:
    """Write database.dump, media.tar.gz (local storage) and manifest.json into an empty ``target``."""
    config = current_app.config
    if not is_empty_folder(target):
        raise BackupError(f"{target} is not empty: back up into a new folder.")
    dbname, env = libpq_arguments(config["SQLALCHEMY_DATABASE_URI"])
    target.mkdir(parents=True, exist_ok=True)
    database_file = target / DATABASE_FILE
    run(["pg_dump", "--format=custom", "--no-owner", "--no-acl", "--file", str(database_file), *dbname], env)
    manifest = {
        "created_at": utcnow().isoformat(), "app_version": version("mwanzo"), "schema_revision": schema_revision(),
        "database": {"file": DATABASE_FILE, "sha256": sha256_of(database_file),
                     "bytes": database_file.stat().st_size},
    }
    if config["STORAGE_BACKEND"] == "local":
        media_root, media_file = Path(config["MEDIA_ROOT"]), target / MEDIA_FILE
        files = [path for path in sorted(media_root.rglob("*")) if path.is_file()] if media_root.exists() else []
        with tarfile.open(media_file, "w:gz") as archive:
            for path in files:
                archive.add(path, arcname=path.relative_to(media_root).as_posix())
        manifest["media"] = {"storage": "local", "file": MEDIA_FILE, "sha256": sha256_of(media_file),
                             "files": len(files)}
    else:
        bucket = config["S3_BUCKET"]
        manifest["media"] = {"storage": "s3", "bucket": bucket,
                             "note": f"Media stay in s3://{bucket}; copy them with "
                                     f"`aws s3 sync s3://{bucket} <folder>` (bucket versioning keeps history)."}
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def read_manifest(source: Path) -> dict:
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{source} holds no readable {MANIFEST}: {exc}") from None
    parts = [manifest["database"]] + ([manifest["media"]] if manifest["media"].get("file") else [])
    for part in parts:
        path = source / part["file"]
        if not path.is_file() or sha256_of(path) != part["sha256"]:
            raise BackupError(f"{path} is missing or damaged (its checksum does not match the manifest).")
    return manifest


def schema_revision() -> str | None:
    return db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))


def restore_backup(source: Path) -> dict:
    """Load a backup into the (empty) configured database and, for local storage, the empty MEDIA_ROOT."""
    config = current_app.config
    manifest = read_manifest(source)
    existing_tables = sa.inspect(db.engine).get_table_names()
    if existing_tables:
        raise BackupError("The database is not empty (it has tables such as "
                          f"{', '.join(sorted(existing_tables)[:3])}): restore into a newly created database.")
    media = manifest["media"]
    media_root = Path(config["MEDIA_ROOT"])
    if media.get("file") and config["STORAGE_BACKEND"] == "local" and not is_empty_folder(media_root):
        raise BackupError(f"MEDIA_ROOT {media_root} is not empty: restore into an empty folder.")
    dbname, env = libpq_arguments(config["SQLALCHEMY_DATABASE_URI"])
    run(["pg_restore", "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction", *dbname,
         str(source / DATABASE_FILE)], env)
    if media.get("file") and config["STORAGE_BACKEND"] == "local":
        media_root.mkdir(parents=True, exist_ok=True)
        with tarfile.open(source / media["file"], "r:gz") as archive:
            archive.extractall(media_root, filter="data")  # refuses absolute paths, '..' and devices
    return manifest
