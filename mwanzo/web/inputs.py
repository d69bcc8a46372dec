"""Input hygiene for every request: text without control characters, JSON of bounded size and depth.

PostgreSQL refuses NUL in a text parameter (a 500 if it gets that far) and nothing a person types
contains the other control characters, so they are refused at the door with a 400 that says why.
"""
from __future__ import annotations

import json
import math
import re
from itertools import chain

from flask import Flask, abort, request
from flask_babel import gettext as _

# C0 controls and DEL, except tab, line feed and carriage return (text areas send those).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
JSON_MAX_BYTES = 64 * 1024
JSON_MAX_DEPTH = 20
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_JSON_BRACKETS = re.compile(rb"[\[\]{}]")


def has_control_characters(text: str) -> bool:
    return CONTROL_CHARACTERS.search(text) is not None


def _refuse_control_characters() -> None:
    abort(400, _("The request contains control characters (such as NUL) that are not allowed in text."))


def check_request() -> None:
    """Path, query and form text without control characters; a JSON body (which forms read too) as json_object
    accepts it."""
    fields = chain(request.args.lists(), request.form.lists() if request.form else ())
    texts = chain([request.path], *((key, *values) for key, values in fields))
    if any(has_control_characters(text) for text in texts):
        _refuse_control_characters()
    if request.is_json:
        json_object(request.get_data())


def _json_depth(raw: bytes) -> int:
    depth = deepest = 0
    for bracket in _JSON_BRACKETS.findall(_JSON_STRING.sub(b"", raw)):
        depth += 1 if bracket in b"[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _refuse_constant(name: str):
    raise ValueError(name)  # NaN, Infinity: not JSON


def _clean(value) -> bool:
    if isinstance(value, str):
        return not has_control_characters(value)
    if isinstance(value, dict):
        return all(_clean(k) and _clean(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_clean(v) for v in value)
    return True


def json_object(raw: bytes, max_bytes: int = JSON_MAX_BYTES) -> dict:
    """A JSON object from a request body, or a 400 (413 when too large) with a message saying why:
    bounded size and nesting (deep nesting would exhaust the parser's stack), no control characters,
    only finite numbers."""
    if len(raw) > max_bytes:
        abort(413)
    if _json_depth(raw) > JSON_MAX_DEPTH:
        abort(400, _("The JSON sent is nested too deeply."))
    try:
        payload = json.loads(raw, parse_float=_finite_float, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        abort(400, _("The body is not valid JSON."))
    if not isinstance(payload, dict):
        abort(400, _("A JSON object was expected."))
    if not _clean(payload):
        _refuse_control_characters()
    return payload


def init_app(app: Flask) -> None:
    # Registered after CSRF and the studio's upload-size hook, so the form is parsed under the right limit.
    app.before_request(check_request)
