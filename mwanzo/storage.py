"""Where media bytes live: the local disk (embedded default) or an S3 bucket, behind one interface.

Keys are slash-separated paths such as ``courses/<id>/thumb/320.webp``. Nothing here loads a whole
file into memory: saves and reads stream in chunks.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Iterator, Protocol

from flask import current_app

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class ObjectStat:
    size: int
    modified: datetime  # UTC
    etag: str  # quoted, as an HTTP ETag


class Storage(Protocol):
    def save(self, key: str, source: BinaryIO | Path, content_type: str) -> int: ...
    def open(self, key: str) -> BinaryIO: ...
    def iter_range(self, key: str, start: int, end: int) -> Iterator[bytes]: ...
    def size(self, key: str) -> int: ...
    def stat(self, key: str) -> ObjectStat: ...
    def exists(self, key: str) -> bool: ...
    def delete_prefix(self, prefix: str) -> None: ...
    def keys(self, prefix: str) -> Iterator[str]: ...
    def download_to(self, key: str, target: Path) -> None: ...


def _safe_key(key: str) -> str:
    parts = [p for p in key.split("/") if p]
    if not parts or any(p in (".", "..") for p in parts) or key.startswith("/"):
        raise ValueError(f"unsafe storage key {key!r}")
    return "/".join(parts)


class LocalStorage:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / _safe_key(key)

    def save(self, key: str, source: BinaryIO | Path, content_type: str) -> int:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        # Written beside the target, then renamed: a reader never sees half a file.
        if isinstance(source, Path):
            shutil.copyfile(source, partial)
        else:
            with partial.open("wb") as out:
                shutil.copyfileobj(source, out, CHUNK)
        partial.replace(target)
        return target.stat().st_size

    def open(self, key: str) -> BinaryIO:
        return self.path(key).open("rb")

    def iter_range(self, key: str, start: int, end: int) -> Iterator[bytes]:
        with self.open(key) as handle:
            handle.seek(start)
            remaining = end - start + 1
            while remaining > 0:
                chunk = handle.read(min(CHUNK, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
                yield chunk

    def size(self, key: str) -> int:
        return self.path(key).stat().st_size

    def stat(self, key: str) -> ObjectStat:
        info = self.path(key).stat()
        return ObjectStat(info.st_size, datetime.fromtimestamp(int(info.st_mtime), UTC),
                          f'"{info.st_size:x}-{info.st_mtime_ns:x}"')

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete_prefix(self, prefix: str) -> None:
        target = self.path(prefix)
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()

    def download_to(self, key: str, target: Path) -> None:
        shutil.copyfile(self.path(key), target)

    def keys(self, prefix: str) -> Iterator[str]:
        """Every stored key below ``prefix`` (a folder), or the key itself, in sorted order."""
        target = self.path(prefix)
        if target.is_file():
            yield _safe_key(prefix)
        elif target.is_dir():
            for path in sorted(target.rglob("*")):
                if path.is_file():
                    yield path.relative_to(self.root).as_posix()


class S3Storage:
    def __init__(self, bucket: str, endpoint_url: str | None, region: str):
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        # SigV4 everywhere: newer regions (af-south-1) accept nothing else, presigned URLs included.
        self.client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region,
                                   config=Config(signature_version="s3v4"))

    def save(self, key: str, source: BinaryIO | Path, content_type: str) -> int:
        key = _safe_key(key)
        extra = {"ContentType": content_type}
        if isinstance(source, Path):
            self.client.upload_file(str(source), self.bucket, key, ExtraArgs=extra)
        else:
            self.client.upload_fileobj(source, self.bucket, key, ExtraArgs=extra)
        return self.size(key)

    def open(self, key: str) -> BinaryIO:
        return self.client.get_object(Bucket=self.bucket, Key=_safe_key(key))["Body"]

    def iter_range(self, key: str, start: int, end: int) -> Iterator[bytes]:
        body = self.client.get_object(Bucket=self.bucket, Key=_safe_key(key), Range=f"bytes={start}-{end}")["Body"]
        yield from body.iter_chunks(CHUNK)

    def size(self, key: str) -> int:
        return self.client.head_object(Bucket=self.bucket, Key=_safe_key(key))["ContentLength"]

    def stat(self, key: str) -> ObjectStat:
        head = self.client.head_object(Bucket=self.bucket, Key=_safe_key(key))
        return ObjectStat(head["ContentLength"], head["LastModified"].astimezone(UTC), head["ETag"])

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.size(key)
        except ClientError:
            return False
        return True

    def delete_prefix(self, prefix: str) -> None:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=_safe_key(prefix)):
            objects = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if objects:
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": objects})

    def download_to(self, key: str, target: Path) -> None:
        self.client.download_file(self.bucket, _safe_key(key), str(target))

    def keys(self, prefix: str) -> Iterator[str]:
        key = _safe_key(prefix)
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=key):
            for item in page.get("Contents", []):
                if item["Key"] == key or item["Key"].startswith(key.rstrip("/") + "/"):
                    yield item["Key"]


def get_storage() -> Storage:
    """The configured backend, built once per app."""
    storage = current_app.extensions.get("mwanzo_storage")
    if storage is None:
        config = current_app.config
        if config["STORAGE_BACKEND"] == "s3":
            storage = S3Storage(config["S3_BUCKET"], config["S3_ENDPOINT_URL"], config["AWS_REGION"])
        elif config["STORAGE_BACKEND"] == "local":
            storage = LocalStorage(config["MEDIA_ROOT"])
        else:
            raise ValueError("STORAGE_BACKEND must be local or s3")
        current_app.extensions["mwanzo_storage"] = storage
    return storage
