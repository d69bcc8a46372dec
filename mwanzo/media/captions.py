"""Lesson captions: reading an instructor's WebVTT or SRT file, storing it as WebVTT, and the transcript.

A file is checked whole before anything is stored: at most MAX_CAPTION_BYTES, UTF-8 text, every cue's
timing well formed and ending after it starts. What is stored is rewritten from the parsed cues (plain
text, no markup), so players and the transcript show exactly the same words.
"""
from __future__ import annotations

import html
import io
import re
import uuid
from dataclasses import dataclass
from typing import BinaryIO

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileSize
from sqlalchemy import select

from mwanzo import jobs
from mwanzo.courses.models import Lesson, LessonCaption
from mwanzo.extensions import db
from mwanzo.jobs.tasks import delete_stored_files, delete_with_file
from mwanzo.storage import get_storage

LANGUAGES = {"en": _l("English"), "sw": _l("Kiswahili")}
EXTENSIONS = ("vtt", "srt")  # what the form accepts by name; the text itself decides in parse
MAX_CAPTION_BYTES = 1024 * 1024
MAX_CAPTION_MEGABYTES = MAX_CAPTION_BYTES // 1024**2
TRANSCRIPT_PAGE_CHARS = 6000  # one transcript page: a few KB however long the lesson is

_TIME = r"(?:(\d{1,2}):)?([0-5]\d):([0-5]\d)[.,](\d{3})"
_TIMING = re.compile(rf"^{_TIME}\s+-->\s+{_TIME}(?:\s+.*)?$")
_TAG = re.compile(r"<[^>]*>")


def upload_validators() -> list:
    """The form's checks of a captions field: the same limit as parse, told before the file is read."""
    return [FileAllowed(EXTENSIONS, _l("Choose a WebVTT (.vtt) or SubRip (.srt) captions file.")),
            FileSize(MAX_CAPTION_BYTES, message=_l("The captions file is larger than %(megabytes)s MB.",
                                                   megabytes=MAX_CAPTION_MEGABYTES))]


class InvalidCaptions(ValueError):
    """The file is not captions we accept; str(exc) tells the instructor why (and on which line)."""


@dataclass
class Cue:
    start_ms: int
    end_ms: int
    text: str


def _milliseconds(hours: str | None, minutes: str, seconds: str, millis: str) -> int:
    return ((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + int(millis)


def _plain(line: str) -> str:
    return html.unescape(_TAG.sub("", line)).strip()


def parse(data: bytes) -> list[Cue]:
    """The cues of a WebVTT or SRT file, in time order. Raises InvalidCaptions."""
    if len(data) > MAX_CAPTION_BYTES:
        raise InvalidCaptions(_("The captions file is larger than %(megabytes)s MB.",
                                megabytes=MAX_CAPTION_MEGABYTES))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidCaptions(_("The captions file is not UTF-8 text. Save it as UTF-8 and upload it again.")) \
            from None
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    is_vtt = lines[0].startswith("WEBVTT")
    cues: list[Cue] = []
    number, block_start = (1, 1) if is_vtt else (0, 0)
    while number < len(lines):
        while number < len(lines) and not lines[number].strip():
            number += 1
        block: list[str] = []
        block_start = number
        while number < len(lines) and lines[number].strip():
            block.append(lines[number].strip())
            number += 1
        if not block or (is_vtt and block[0].split(" ")[0] in ("NOTE", "STYLE", "REGION")):
            continue
        timing_at = next((i for i, line in enumerate(block[:2]) if "-->" in line), None)
        if timing_at is None:
            raise InvalidCaptions(_("Line %(line)s: a caption needs a timing line such as "
                                    "“00:00:01.000 --> 00:00:04.000”.", line=block_start + 1))
        match = _TIMING.match(block[timing_at])
        if match is None:
            raise InvalidCaptions(_("Line %(line)s: “%(timing)s” is not a timing such as "
                                    "“00:00:01.000 --> 00:00:04.000”.",
                                    line=block_start + timing_at + 1, timing=block[timing_at][:80]))
        start, end = _milliseconds(*match.groups()[:4]), _milliseconds(*match.groups()[4:])
        if end <= start:
            raise InvalidCaptions(_("Line %(line)s: this caption ends before it starts.",
                                    line=block_start + timing_at + 1))
        words = " ".join(filter(None, (_plain(line) for line in block[timing_at + 1:])))
        if words:
            cues.append(Cue(start, end, words))
    if not cues:
        raise InvalidCaptions(_("This file holds no captions. Upload a WebVTT or SRT file with timed captions."))
    return sorted(cues, key=lambda cue: (cue.start_ms, cue.end_ms))


def timestamp(ms: int, separator: str = ".") -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{millis:03d}"


def to_webvtt(cues: list[Cue]) -> str:
    body = "".join(f"\n{timestamp(c.start_ms)} --> {timestamp(c.end_ms)}\n{html.escape(c.text, quote=False)}\n"
                   for c in cues)
    return "WEBVTT\n" + body


@dataclass
class StoredCaptions:
    """A checked captions file, stored as WebVTT, and its cues."""

    key: str
    bytes: int
    cues: list[Cue]


def store_captions(lesson: Lesson, language: str, upload: BinaryIO) -> StoredCaptions:
    """Check one language's captions file for a lesson and store it (as WebVTT); no row changes yet."""
    if language not in LANGUAGES:
        raise InvalidCaptions(_("Choose the captions' language."))
    cues = parse(upload.read(MAX_CAPTION_BYTES + 1))
    vtt = to_webvtt(cues).encode()
    key = f"{captions_prefix(lesson)}/{language}-{uuid.uuid4().hex[:12]}.vtt"
    get_storage().save(key, io.BytesIO(vtt), "text/vtt")
    return StoredCaptions(key, len(vtt), cues)


def stored_captions(key: str, size: int) -> StoredCaptions:
    """A file store_captions wrote earlier (held for review), read back."""
    with get_storage().open(key) as handle:
        return StoredCaptions(key, size, parse(handle.read()))


def apply_captions(lesson: Lesson, language: str, stored: StoredCaptions) -> LessonCaption:
    """Make a stored file the lesson's captions in that language; the file it replaces is deleted once this
    change has committed."""
    caption = db.session.scalar(select(LessonCaption).where(LessonCaption.lesson_id == lesson.id,
                                                            LessonCaption.language == language))
    if caption is None:
        caption = LessonCaption(lesson_id=lesson.id, course_id=lesson.course_id, language=language)
        db.session.add(caption)
    elif caption.key != stored.key:
        jobs.enqueue(delete_stored_files, caption.key)
    caption.key, caption.bytes = stored.key, stored.bytes
    caption.cues = [[c.start_ms, c.end_ms, c.text] for c in stored.cues]
    caption.search_text = "\n".join(c.text for c in stored.cues).lower()
    db.session.flush()
    return caption


def save_captions(lesson: Lesson, language: str, upload: BinaryIO) -> LessonCaption:
    """Check, store and apply at once (a lesson not yet approved; studio.services decides which)."""
    return apply_captions(lesson, language, store_captions(lesson, language, upload))


def remove_captions(lesson: Lesson, language: str) -> bool:
    caption = db.session.scalar(select(LessonCaption).where(LessonCaption.lesson_id == lesson.id,
                                                            LessonCaption.language == language))
    if caption is None:
        return False
    delete_with_file(caption, caption.key)
    return True


def captions_prefix(lesson: Lesson) -> str:
    return f"lessons/{lesson.id}/captions"


@dataclass
class TranscriptLine:
    index: int  # the cue's position: the anchor #cue-<index>
    start_ms: int
    text: str


def transcript_pages(caption: LessonCaption) -> list[list[TranscriptLine]]:
    """The transcript cut into pages of about TRANSCRIPT_PAGE_CHARS characters."""
    pages: list[list[TranscriptLine]] = [[]]
    size = 0
    for index, (start_ms, _end_ms, text) in enumerate(caption.cues):
        if pages[-1] and size + len(text) > TRANSCRIPT_PAGE_CHARS:
            pages.append([])
            size = 0
        pages[-1].append(TranscriptLine(index, start_ms, text))
        size += len(text) + 1
    return pages


def page_of_cue(caption: LessonCaption, index: int) -> int:
    """The 1-based transcript page that holds cue ``index``."""
    for number, page in enumerate(transcript_pages(caption), start=1):
        if page and page[-1].index >= index:
            return number
    return 1


def choose(captions: list[LessonCaption], *preferred: str | None) -> LessonCaption | None:
    """The first of ``preferred`` languages the lesson has captions in, else its first captions."""
    by_language = {c.language: c for c in captions}
    return next((by_language[p] for p in preferred if p in by_language), captions[0] if captions else None)
