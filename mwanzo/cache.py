"""Shared page parts kept between requests: Redis when REDIS_URL is set, each process's memory otherwise.

Invalidation by versioned keys. Every entry's key carries a version number: the catalog's (any published
course or category changed) or one course's. The service functions that write a course or a category call
``bump_catalog()`` / ``bump_course(id)``; the bump is sent once the transaction commits (dropped if it rolls
back), so the very next request reads the new version, misses, and builds the entry from the committed rows.
Old entries are never read again and expire on their own (CATALOG_CACHE_SECONDS, COURSE_CACHE_SECONDS). An
entry is immutable once written, which is what makes it safe to share between processes.

Entries' keys also carry a fingerprint of the code and templates that built them, so after a deploy a
process never reads an entry in the shape (or with the markup) of the code before it.

Only what every visitor sees goes in here: no session, CSRF token or signed-in state. Keys name the
language the part was rendered in.

Redis unreachable: pages are built for each request (slower, still right), one warning is logged per
outage, Redis is left alone for CACHE_RETRY_SECONDS, and bumps that could not be sent are sent by this
process once Redis answers again (the TTLs bound staleness if the process ends first).
"""
from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from pathlib import Path
import time
from typing import Callable, TypeVar

from flask import Flask, current_app, g, has_app_context
from flask_babel import get_locale
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session

from mwanzo.extensions import cache

log = logging.getLogger(__name__)
T = TypeVar("T")
PENDING_KEY = "mwanzo_cache_bumps"
CATALOG = "catalog"  # lists, facet counts, cards, which course a slug names
LABELS = "labels"  # names shown on many pages: categories, instructors' and reviewers' names and bios


class _Health:
    """Per process: is the cache's server answering, and which bumps still have to be sent to it."""

    def __init__(self):
        self.lock = threading.Lock()
        self.down_until = 0.0
        self.warned = False
        self.unsent: set[str] = set()

    def usable(self) -> bool:
        return time.monotonic() >= self.down_until

    def failed(self, exc: Exception, retry_seconds: float) -> None:
        with self.lock:
            self.down_until = time.monotonic() + retry_seconds
            if not self.warned:
                self.warned = True
                log.warning("cache unreachable, pages are built for every request until it answers: %s", exc)

    def answered(self) -> None:
        if self.warned:
            with self.lock:
                self.warned = False
            log.info("cache answering again")

    def queue(self, names: set[str]) -> None:
        with self.lock:
            self.unsent |= names

    def take_unsent(self) -> set[str]:
        with self.lock:
            names, self.unsent = self.unsent, set()
        return names


_health = _Health()
_ERRORS: tuple[type[BaseException], ...] = (OSError, RedisError)


def init_app(app: Flask) -> None:
    url = app.config.get("CACHE_REDIS_URL")
    if url:
        timeout = app.config.get("CACHE_SOCKET_TIMEOUT", 0.25)
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        # A cache that does not answer at once is skipped, not waited for: no retries, short timeouts.
        app.config.update(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=url, CACHE_OPTIONS={
            "socket_timeout": timeout, "socket_connect_timeout": timeout, "retry": Retry(NoBackoff(), 0)})
    else:
        app.config.update(CACHE_TYPE="SimpleCache", CACHE_THRESHOLD=app.config.get("CACHE_THRESHOLD", 2000))
    app.config.setdefault("CACHE_DEFAULT_TIMEOUT", app.config.get("CATALOG_CACHE_SECONDS", 900))
    app.config["CACHE_CODE_VERSION"] = code_fingerprint(Path(app.root_path))
    cache.init_app(app)


def code_fingerprint(package: Path) -> str:
    """A digest of the package's code, templates and translations: what shapes a cached entry."""
    digest = hashlib.blake2b(digest_size=6)
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".html", ".mo") and path.is_file():
            digest.update(str(path.relative_to(package)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _call(operation: Callable[[], T], default: T) -> T:
    """Run a cache operation, or return ``default`` while the cache does not answer. Bumps still waiting to
    be sent go first, so nothing is read at a version that a committed write has already left behind."""
    if not _health.usable():
        return default
    unsent = _health.take_unsent()
    try:
        if unsent:
            _increment(unsent)
        result = operation()
    except _ERRORS as exc:
        if unsent:
            _health.queue(unsent)
        _health.failed(exc, current_app.config.get("CACHE_RETRY_SECONDS", 2))
        return default
    _health.answered()
    return result


def _read_versions(names: tuple[str, ...]) -> dict[str, int] | None:
    """The current versions (read once per request); None while the cache does not answer."""
    known = g.setdefault("cache_versions", {})
    wanted = [name for name in names if name not in known]
    if wanted:
        def read():
            keys = [f"v:{name}" for name in wanted]
            values = cache.get_many(*keys)
            for key, value in zip(keys, values):
                if value is None:
                    # First use, or the key was evicted: start from a number no earlier entry can carry.
                    cache.add(key, time.time_ns() // 1000, timeout=0)
            if None in values:
                values = cache.get_many(*keys)
            return dict(zip(wanted, values))

        read_now = _call(read, None)
        if read_now is None or None in read_now.values():
            return None
        known.update(read_now)
    return {name: known[name] for name in names}


def versions(*names: str) -> str | None:
    """One version string for entries that depend on several things (a course and the labels it shows)."""
    found = _read_versions(names)
    return None if found is None else ".".join(str(found[name]) for name in names)


def catalog_version() -> str | None:
    return versions(CATALOG)


class Recent:
    """The entries this process used last, unpickled, bounded in number and each by a lifetime. For values that
    never change under their key: here a versioned entry (a write makes a new version, and so a new key, and
    each lives as long as the shared entry); in mwanzo/web/shell.py, visitor parts rendered from plain values."""

    def __init__(self):
        self.lock = threading.Lock()
        self.entries: OrderedDict[str, tuple[float, object]] = OrderedDict()

    def get(self, key: str):
        with self.lock:
            found = self.entries.get(key)
            if found is None:
                return None
            if found[0] < time.monotonic():
                del self.entries[key]
                return None
            self.entries.move_to_end(key)
            return found[1]

    def put(self, key: str, value, seconds: float, limit: int) -> None:
        with self.lock:
            self.entries[key] = (time.monotonic() + seconds, value)
            self.entries.move_to_end(key)
            while len(self.entries) > limit:
                self.entries.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


_recent = Recent()


def shared(name: str, version: str | None, build: Callable[[], T], timeout: int | None = None,
           per_language: bool = True) -> T:
    """The entry ``name`` at ``version``, built (and stored) when missing; built every time when the cache
    does not answer. ``name`` must say everything the value depends on besides the version and language.
    A build that returns None is not stored."""
    if version is None:
        return build()
    config = current_app.config
    key = f"{name}:v{version}:{config['CACHE_CODE_VERSION']}" + (f":{get_locale()}" if per_language else "")
    local_key = config["CACHE_KEY_PREFIX"] + key
    value = _recent.get(local_key)
    if value is not None:
        return value
    value = _call(lambda: cache.get(key), None)
    if value is None:
        value = build()
        if value is None:
            return None
        _call(lambda: cache.set(key, value, timeout=timeout), None)
    _recent.put(local_key, value, timeout or config["CACHE_DEFAULT_TIMEOUT"], config.get("CACHE_LOCAL_ENTRIES", 500))
    return value


def clear() -> None:
    """Forget every entry, shared and this process's (tests start each from empty tables)."""
    _recent.clear()
    cache.clear()


# ---------------------------------------------------------------- bumps, sent after commit

def bump_catalog() -> None:
    """Every list, facet count and card changes with this transaction (a course or category written)."""
    _pending().add(CATALOG)


def bump_course(course_id) -> None:
    """This course's page and the catalog's lists (which show its card) change with this transaction."""
    _pending().update((CATALOG, f"course:{course_id}"))


def bump_labels() -> None:
    """A category, or a person's name or bio, changed: every page that names them changes."""
    _pending().update((CATALOG, LABELS))


def _pending() -> set[str]:
    from mwanzo.extensions import db

    return db.session.info.setdefault(PENDING_KEY, set())


def _increment(names: set[str]) -> None:
    for name in names:
        if cache.cache.inc(f"v:{name}") == 1:  # it was missing (evicted): start from a number never used
            cache.set(f"v:{name}", time.time_ns() // 1000, timeout=0)
    if has_app_context():
        versions = g.get("cache_versions")
        for name in names:
            if versions:
                versions.pop(name, None)


def _send_bumps(names: set[str]) -> None:
    """Sent now if the cache answers; otherwise kept and sent before this process's next cache operation."""
    _health.queue(names)
    _call(lambda: None, None)


@event.listens_for(Session, "after_commit")
def _send_committed_bumps(session: Session) -> None:
    if session.in_nested_transaction():  # a released savepoint commits nothing yet
        return
    names = session.info.pop(PENDING_KEY, None)
    if names:
        _send_bumps(names)


@event.listens_for(Session, "after_rollback")
def _drop_rolled_back_bumps(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(PENDING_KEY, None)

