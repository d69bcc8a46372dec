"""What the player offers for a ready video lesson: the qualities, what each costs in data, the default."""
from __future__ import annotations

import posixpath
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from mwanzo.courses.models import Lesson

MASTER_PLAYLIST = "master.m3u8"  # <media_prefix>/master.m3u8, written by the transcoding pipeline


@dataclass
class Quality:
    value: str  # "auto", a rung name, or "audio"
    label: str
    playlist: str  # path below the lesson's media_prefix
    bytes: int | None
    approximate_max: bool = False  # Auto: what the best rung would cost


def is_audio(rendition: dict) -> bool:
    return not rendition.get("height")


def is_playable(lesson: Lesson) -> bool:
    return lesson.video_ready


def qualities(lesson: Lesson) -> list[Quality]:
    """Auto (the master playlist), every video rung from low to high, then audio only."""
    if not is_playable(lesson) or not lesson.media_prefix or not lesson.renditions:
        return []
    video = sorted((r for r in lesson.renditions if not is_audio(r)), key=lambda r: r.get("height") or 0)
    audio = [r for r in lesson.renditions if is_audio(r)]
    def below_prefix(key: str) -> str:
        return posixpath.relpath(key, lesson.media_prefix)

    options = [Quality("auto", str(_l("Auto")), MASTER_PLAYLIST,
                       max((r.get("bytes") or 0 for r in video), default=None) or None, approximate_max=True)]
    options += [Quality(r["name"], r["name"], below_prefix(r["playlist"]), r.get("bytes")) for r in video]
    options += [Quality("audio", str(_l("Audio only (saves data)")), below_prefix(r["playlist"]),
                        r.get("bytes")) for r in audio[:1]]
    return options


def default_quality(options: list[Quality], data_saver: bool) -> Quality | None:
    """Auto, unless the learner saves data: then audio only, or the lowest rung."""
    if not options:
        return None
    if not data_saver:
        return options[0]
    return next((q for q in options if q.value == "audio"), options[1] if len(options) > 1 else options[0])


def data_cost(lesson: Lesson, data_saver: bool) -> int | None:
    """Bytes a lesson costs at the quality the learner would start with (curriculum labels)."""
    choice = default_quality(qualities(lesson), data_saver)
    if choice is not None:
        return choice.bytes
    return lesson.download_bytes if is_playable(lesson) else None


SAVE_QUALITIES = ("audio", "144p", "240p", "360p")  # what a phone may keep: small enough to store many


def save_options(lesson: Lesson) -> list[Quality]:
    """The qualities a video lesson can be saved on a phone at, with their sizes."""
    return [q for q in qualities(lesson) if q.value in SAVE_QUALITIES]


MP4 = "MP4"  # what a lesson without HLS rungs is saved as: its MP4 download, kept whole


def saves_mp4(lesson: Lesson) -> bool:
    """A ready lesson with an MP4 download but no rungs to save (an MP4-only upload) is saved as that MP4."""
    return is_playable(lesson) and bool(lesson.download_key) and not save_options(lesson)


NO_CHOICE = ""  # what a lesson page with no quality to choose (an MP4-only lesson) asks a whole course at
SAVED_WITHOUT_CHOICE = "144p"  # ... the smallest video, for the course's lessons that have rungs


def option_for(lesson: Lesson, quality: str) -> Quality | None:
    """The asked-for quality, or for a whole course the nearest this lesson has below it (else its lowest
    rung); audio only stays audio only."""
    if quality == NO_CHOICE:
        quality = SAVED_WITHOUT_CHOICE
    options = save_options(lesson)
    exact = next((q for q in options if q.value == quality), None)
    if exact or quality == "audio" or quality not in SAVE_QUALITIES:
        return exact
    video = [q for q in options if q.value != "audio"]
    below = [q for q in video if SAVE_QUALITIES.index(q.value) <= SAVE_QUALITIES.index(quality)]
    return below[-1] if below else (video[0] if video else None)


def course_save_sizes(lessons: list[Lesson]) -> dict[str, int]:
    """Bytes to save every lesson of a course at each quality ("save all lessons, N MB"), and with no choice."""
    sizes = dict.fromkeys((*SAVE_QUALITIES, NO_CHOICE), 0)
    for lesson in lessons:
        for quality in sizes:
            option = option_for(lesson, quality)
            if option:
                sizes[quality] += option.bytes or 0
            elif saves_mp4(lesson):
                sizes[quality] += lesson.download_bytes or 0
    return sizes
