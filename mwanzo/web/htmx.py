"""The HX-* header contract: one URL serves the full page or, to HTMX, just its fragment."""
from __future__ import annotations

from flask import make_response, render_template, request


def is_htmx() -> bool:
    # A boosted request wants the whole page; a targeted one wants the fragment. So does htmx restoring
    # history after a cache miss (back/forward to a pushed URL): it swaps the whole page.
    headers = request.headers
    return (headers.get("HX-Request") == "true" and headers.get("HX-Boosted") != "true"
            and headers.get("HX-History-Restore-Request") != "true")


def render(page: str, fragment: str | None = None, status: int = 200, **context):
    template = fragment if fragment and is_htmx() else page
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response
