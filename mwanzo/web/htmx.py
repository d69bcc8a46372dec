"""The HX-* header contract: one URL serves the full page or, to HTMX, just its fragment."""
from __future__ import annotations

from flask import make_response, render_template, request


def is_htmx() -> bool:
    # A boosted request wants the whole page; a targeted one wants the fragment.
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"


def render(page: str, fragment: str | None = None, status: int = 200, **context):
    template = fragment if fragment and is_htmx() else page
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response
