"""Comparing pages that must not tell two cases apart."""
from __future__ import annotations

import re


def page_shape(page: str, *typed: str) -> str:
    """The page without what legitimately differs between two requests: the CSRF token (signed with
    a timestamp) and what the visitor typed."""
    page = re.sub(r'("X-CSRFToken": "|name="csrf_token"[^>]*value=")[^"]+', r"\1", page)
    for text in typed:
        page = page.replace(text, "TYPED")
    return page
