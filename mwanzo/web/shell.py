"""Whole pages that are the same for every visitor but a few holes: rendered once (then kept in the shared
cache by the caller, mwanzo/cache.py), filled per request with what is this visitor's own.

base.html names its visitor parts with ``visitor_part(name)``: the CSRF token, the header's account link and
unread badge, the menu's signed-in links, the verification banner and flashed messages (macros in
templates/macros/visitor.html). Rendered normally, each part is rendered in place. Rendered as a shell, each
becomes a marker, and ``fill`` renders the parts for the request at hand. A page that is only ever rendered
as a shell may add holes of its own; ``fill(shell, mine)`` takes them from ``mine``, rendered by the view.

A visitor part is rendered from plain values only: the layout's from a ``Header`` (signed in, verified, unread
count, role), a page's own from what its view passes to ``kept``. Markup that is a function of those
values and the language alone is rendered once per process and kept (``kept``), with a marker where the
CSRF token goes, and each request fills in its own token. So nothing of one visitor can reach another: a kept
part is only ever served for the very values it was rendered from, and the token is never in it. Flashed
messages (often what the visitor typed) are rendered per request."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from flask import Flask, current_app, g, get_template_attribute, render_template
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from mwanzo.cache import Recent

MARKER = "\x00visitor:{}\x00"
MARKERS = re.compile("\x00visitor:(\\w+)\x00")
LAYOUT_PARTS = ("csrf", "account", "menu", "banner", "flashes")
KEPT_PARTS = 2000  # per process; a few hundred bytes each
KEPT_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Shell:
    """The page split at its holes: text, hole name, text, ..., text (plain data, kept in the cache)."""

    pieces: tuple[str, ...]


@dataclass(frozen=True)
class Header:
    """What the layout shows of the visitor, as plain values: the layout's part macros see nothing else."""

    signed_in: bool = False
    verified: bool = False  # is_contact_verified: no banner asking to verify
    unread: int = 0
    role: str | None = None  # whose header links the menu shows


ANONYMOUS = Header()


def register_header(app: Flask, header: Callable[[], Header]) -> None:
    """How this request's visitor is described (wired by create_app: the role's links, the inbox's count)."""
    app.extensions["visitor_header"] = header
    app.extensions["kept_visitor_parts"] = Recent()


def render_shell(template: str, **context) -> Shell:
    """The page as every visitor gets it, with a marker in place of each visitor part."""
    return _split(lambda: render_template(template, **context))


def fill(shell: Shell, mine: dict[str, Markup] | None = None) -> str:
    """The page for this request: each hole gets this visitor's part."""
    pieces = list(shell.pieces)
    for index in range(1, len(pieces), 2):
        pieces[index] = _part(pieces[index], mine)
    return "".join(pieces)


def kept(key: tuple, render: Callable[[], str]) -> Markup:
    """A visitor part that ``render`` builds from the plain, hashable values in ``key`` alone (and the
    language): rendered once per process and kept, its CSRF token (``visitor_part("csrf")``) filled per request."""
    app = current_app
    if app.jinja_env.auto_reload:  # development: an edited template shows at once
        return Markup(fill(_split(render)))
    store, key = app.extensions["kept_visitor_parts"], (key, str(get_locale()))
    part = store.get(key)
    if part is None:
        part = _split(render)
        store.put(key, part, KEPT_SECONDS, KEPT_PARTS)
    return Markup(fill(part))


def visitor_part(name: str) -> Markup:
    """Template global: this visitor's part, or its marker while a shell is rendered."""
    if g.get("rendering_shell"):
        return Markup(MARKER.format(name))
    return _part(name, None)


def _split(render: Callable[[], str]) -> Shell:
    previous = g.get("rendering_shell", False)
    g.rendering_shell = True
    try:
        html = render()
    finally:
        g.rendering_shell = previous
    return Shell(tuple(MARKERS.split(html)))


def _part(name: str, mine: dict[str, Markup] | None) -> Markup:
    if name == "csrf":
        return escape(generate_csrf())
    if name == "flashes":
        return Markup(get_template_attribute("macros/visitor.html", "flashes")())
    if name in LAYOUT_PARTS:
        if "visitor_header" not in g:
            g.visitor_header = current_app.extensions["visitor_header"]()
        header = g.visitor_header
        return kept((name, header), lambda: get_template_attribute("macros/visitor.html", name)(header))
    return (mine or {})[name]
