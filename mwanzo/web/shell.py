"""Whole pages that are the same for every visitor but a few holes: rendered once (then kept in the shared
cache by the caller, mwanzo/cache.py), filled per request with what is this visitor's own.

base.html names its visitor parts with ``visitor_part(name)``: the CSRF token, the header's account link and
unread badge, the menu's signed-in links, the verification banner and flashed messages (macros in
templates/macros/visitor.html). Rendered normally, each part is rendered in place. Rendered as a shell, each
becomes a marker, and ``fill`` renders the parts for the request at hand. A page that is only ever rendered
as a shell may add holes of its own; ``fill(shell, mine)`` takes them from ``mine``, rendered by the view."""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask import g, get_template_attribute, render_template
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

MARKER = "\x00visitor:{}\x00"
MARKERS = re.compile("\x00visitor:(\\w+)\x00")
LAYOUT_PARTS = ("csrf", "account", "menu", "banner", "flashes")


@dataclass(frozen=True)
class Shell:
    """The page split at its holes: text, hole name, text, ..., text (plain data, kept in the cache)."""

    pieces: tuple[str, ...]


def render_shell(template: str, **context) -> Shell:
    """The page as every visitor gets it, with a marker in place of each visitor part."""
    g.rendering_shell = True
    try:
        html = render_template(template, **context)
    finally:
        g.rendering_shell = False
    return Shell(tuple(MARKERS.split(html)))


def fill(shell: Shell, mine: dict[str, Markup] | None = None) -> str:
    """The page for this request: each hole gets this visitor's part."""
    pieces = list(shell.pieces)
    for index in range(1, len(pieces), 2):
        pieces[index] = _part(pieces[index], mine)
    return "".join(pieces)


def visitor_part(name: str) -> Markup:
    """Template global: this visitor's part, or its marker while a shell is rendered."""
    if g.get("rendering_shell"):
        return Markup(MARKER.format(name))
    return _part(name, None)


def _part(name: str, mine: dict[str, Markup] | None) -> Markup:
    if name == "csrf":
        return escape(generate_csrf())
    if name in LAYOUT_PARTS:
        return Markup(get_template_attribute("macros/visitor.html", name)(current_user))
    return (mine or {})[name]
