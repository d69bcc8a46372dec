"""Every user-facing string is translatable, and Swahili has every entry."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

TEMPLATES = Path(__file__).resolve().parents[2] / "mwanzo" / "templates"
PACKAGE = TEMPLATES.parent
SWAHILI_PO = PACKAGE / "translations" / "sw" / "LC_MESSAGES" / "messages.po"
# Names and symbols that read the same in every language.
UNTRANSLATED_OK = {"Mwanzo", "Mwanzo Skills Campus", "Mwanzo Skills Campus ·", "© Mwanzo Skills Campus ·", "KES",
                   "M-Pesa", "· Mwanzo", "English", "Kiswahili", "·", "×", "★", "–", "→", "←", "▲", "▼", "✓", "%", "MB", "KB",
                   "1×", "1.25×", "1.5×", "2×", "PDF", "CSV", "HLS", "QR"}
VISIBLE_ATTRIBUTES = re.compile(r'\b(?:placeholder|title|alt|aria-label|data-confirm)="([^"]*)"')
JINJA = re.compile(r"{{.*?}}|{%.*?%}|{#.*?#}", re.S)
TAG = re.compile(r"<[^>]*>", re.S)


def untranslatable_strings(path: Path) -> list[str]:
    """Text a reader would see that is written straight into the template instead of through _()."""
    source = JINJA.sub("\x00", path.read_text())
    source = re.sub(r"<(script|style)\b.*?</\1>", "", source, flags=re.S)
    found = [m.group(1) for m in VISIBLE_ATTRIBUTES.finditer(source)]
    found += TAG.sub("\x00", source).split("\x00")
    cleaned = (re.sub(r"&[a-z]+;|&#\d+;|\s+", " ", text).strip() for text in found)
    return [text for text in cleaned if re.search(r"[A-Za-z]{2,}", text) and text not in UNTRANSLATED_OK]


@pytest.mark.parametrize("template", sorted(p.relative_to(TEMPLATES).as_posix()
                                            for p in TEMPLATES.rglob("*.html")), ids=str)
def test_template_text_goes_through_gettext(template):
    assert untranslatable_strings(TEMPLATES / template) == []


def extracted_messages() -> set[str]:
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2"), ("templates/**.txt", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None,
                "pgettext": ((1, "c"), 2), "lazy_pgettext": ((1, "c"), 2)}
    messages = set()
    for _, _, message, _, context in extract_from_dir(str(PACKAGE), method_map, keywords=keywords):
        messages.add((context, message if isinstance(message, str) else message[0]))
    return messages


def test_swahili_catalogue_has_every_message():
    with SWAHILI_PO.open("rb") as handle:
        catalogue = read_po(handle, locale="sw")
    translated = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in catalogue
                  if m.id and m.string and all(m.string if isinstance(m.string, tuple) else [m.string])
                  and not m.fuzzy}
    missing = sorted(extracted_messages() - translated)
    assert missing == [], f"{len(missing)} messages have no Swahili translation, e.g. {missing[:5]}"


def test_compiled_catalogue_matches_the_po_file():
    from babel.messages.mofile import read_mo

    with SWAHILI_PO.open("rb") as po, SWAHILI_PO.with_suffix(".mo").open("rb") as mo:
        source, compiled = read_po(po, locale="sw"), read_mo(mo)
    def entries(catalogue):
        plain = lambda value: tuple(value) if isinstance(value, (list, tuple)) else value  # noqa: E731
        return {plain(m.id): plain(m.string) for m in catalogue if m.id and m.string and not m.fuzzy}

    assert entries(compiled) == entries(source), "run `make translations`"
