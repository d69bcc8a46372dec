"""The words users see for a status or kind: one mapping per enum, declared right below the enum.

``labels(PaymentStatus, {...})`` in the enum's models module; templates write ``payment.status|label``
and forms take ``choices(PaymentStatus)``, so a status reads the same on every page and in every language.
"""
from __future__ import annotations

import enum
from collections.abc import Mapping

from flask_babel import LazyString
from wtforms.fields.choices import SelectChoice

_LABELS: dict[type[enum.Enum], Mapping[enum.Enum, LazyString]] = {}


def labels(enum_cls: type[enum.Enum], mapping: Mapping[enum.Enum, LazyString]) -> None:
    """Declare the words of every member of ``enum_cls`` (a member without one is a mistake caught at import)."""
    missing = set(enum_cls) - set(mapping)
    if missing:
        raise ValueError(f"{enum_cls.__name__} has no label for {sorted(m.name for m in missing)}")
    _LABELS[enum_cls] = mapping


def label(value, of: str | None = None):
    """The translated word for an enum member, or for a stored value when ``of`` names its enum
    (``"SINGLE"|label("QuestionKind")``); anything else (None, free text) is returned unchanged."""
    if of is not None and not isinstance(value, enum.Enum):
        enum_cls = next((cls for cls in _LABELS if cls.__name__ == of), None)
        if enum_cls is None:
            raise LookupError(f"no labels for {of}")
        value = enum_cls(value) if value in enum_cls._value2member_map_ else value
    if isinstance(value, enum.Enum) and type(value) in _LABELS:
        return _LABELS[type(value)][value]
    return value


def choices(enum_cls: type[enum.Enum]) -> list[SelectChoice]:
    """Options of a SelectField, in the enum's order."""
    return [SelectChoice(member.value, _LABELS[enum_cls][member]) for member in enum_cls]
