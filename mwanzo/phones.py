"""Kenyan mobile numbers in the one canonical form M-Pesa uses: 2547XXXXXXXX or 2541XXXXXXXX."""
from __future__ import annotations

import re
import unicodedata

_SEPARATORS = re.compile(r"[\s\-().]")
# ASCII digits only: `\d` would also match full-width and other scripts' digits.
_CANONICAL = re.compile(r"^254[17][0-9]{8}$", re.ASCII)


class InvalidPhone(ValueError):
    """Not a Kenyan mobile number M-Pesa can reach."""


def normalise_kenyan_phone(raw: str) -> str:
    """Accept 07.., 01.., 7.., 1.., 2547.., +254 7.. (spaces, dashes allowed); return 2547XXXXXXXX.
    NFKC first, so digits typed on a full-width keyboard (０７１２…) become ASCII."""
    digits = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw or ""))
    if digits.startswith("+"):
        digits = digits[1:]
    if digits.startswith("0") and len(digits) == 10:
        digits = "254" + digits[1:]
    elif len(digits) == 9 and digits[0] in "17":
        digits = "254" + digits
    if not _CANONICAL.match(digits):
        raise InvalidPhone(raw)
    return digits


def display_phone(stored: str | None) -> str:
    """A canonical number as a person writes it: 254712345670 -> 0712 345 670 (anything else unchanged)."""
    if not stored or not _CANONICAL.match(stored):
        return stored or ""
    local = "0" + stored[3:]
    return f"{local[:4]} {local[4:7]} {local[7:]}"
