"""Template filters: money, durations, data sizes and safe Markdown."""
from __future__ import annotations

from decimal import Decimal

import nh3
from flask import Flask
from flask_babel import format_date, format_decimal, gettext as _
from markdown_it import MarkdownIt
from markupsafe import Markup

from mwanzo.labels import label
from mwanzo.phones import display_phone

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "h2", "h3", "h4", "hr", "table", "thead", "tbody", "tr", "th", "td",
}


def markdown_to_safe_html(text: str | None) -> Markup:
    """Render learner- or instructor-written Markdown; nh3 strips anything that could run."""
    html = _markdown.render(text or "")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener",
    )
    return Markup(clean)


def format_kes(amount: Decimal | int | float | None, free: bool = True) -> str:
    """A price ("Free" for nothing) or, with free=False, a sum of money (KES 0)."""
    if amount is None:
        return ""
    if Decimal(amount) == 0 and free:
        return _("Free")
    value = Decimal(amount)
    pattern = "#,##0" if value == value.to_integral_value() else "#,##0.00"
    return f"KES {format_decimal(value, format=pattern)}"


def format_score(score: Decimal | int | float | None) -> str:
    """A percentage as a person says it: 100, 87.5 (the locale's decimal sign, no trailing zeros)."""
    if score is None:
        return ""
    return format_decimal(Decimal(score), format="#,##0.##")


def format_number(value: Decimal | str | None) -> str:
    """A stored number as typed: 9.81, 0.005, 1,200 (the locale's signs, no trailing zeros)."""
    if value is None or value == "":
        return ""
    return format_decimal(Decimal(str(value)), format="#,##0.######")


def format_duration(seconds: int | None) -> str:
    seconds = int(seconds or 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min" if not secs else f"{minutes}:{secs:02d}"
    return f"0:{secs:02d}"


def format_clock(milliseconds: int | None) -> str:
    """A position in a lesson as a player shows it: 4:05, or 1:02:09 past the hour."""
    seconds = int(milliseconds or 0) // 1000
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_bytes(size: int | None) -> str:
    size = int(size or 0)
    if size >= 1024**3:
        return f"{size / 1024**3:.1f} GB"
    if size >= 1024**2:
        return f"{round(size / 1024**2)} MB"
    return f"{max(1, round(size / 1024))} KB"


def init_app(app: Flask) -> None:
    from flask_babel import get_locale

    app.add_template_global(lambda: str(get_locale() or "en"), "current_locale")
    app.add_template_filter(markdown_to_safe_html, "markdown")
    app.add_template_filter(format_kes, "kes")
    app.add_template_filter(label, "label")
    app.add_template_filter(format_duration, "duration")
    app.add_template_filter(format_bytes, "filesize")
    app.add_template_filter(format_clock, "clock")
    app.add_template_filter(format_score, "score")
    app.add_template_filter(format_number, "number")
    app.add_template_filter(display_phone, "phone")
    app.add_template_filter(lambda value: format_date(value, "medium") if value else "", "dateformat")
