"""The one way a name becomes the readable part of a URL (course and category slugs)."""
from __future__ import annotations

import re


def slugify(text: str, max_length: int = 200, fallback: str = "item") -> str:
    """Lower-case ASCII letters and digits joined by single hyphens: "Excel for Small Business" →
    "excel-for-small-business". A name with none of them (e.g. only Kiswahili punctuation) gets ``fallback``."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:max_length] or fallback
