"""Draws the home-screen icons (static/img/icon-192.png, icon-512.png) from the shapes of static/img/icon.svg,
for browsers that want PNG icons in the manifest. Run after changing the SVG: python -m mwanzo.offline.icons"""
from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

SIZES = (192, 512)
BRAND, WHITE = "#0b6e4f", "#ffffff"


def draw(size: int) -> Image.Image:
    """The SVG's 32-unit square: a rounded square (rx 6) and the "M" stroke M7 24V9l9 9 9-9v15 (width 3)."""
    unit = size / 32
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    canvas = ImageDraw.Draw(image)
    canvas.rounded_rectangle((0, 0, size - 1, size - 1), radius=round(6 * unit), fill=BRAND)
    points = [(7, 24), (7, 9), (16, 18), (25, 9), (25, 24)]
    canvas.line([(x * unit, y * unit) for x, y in points], fill=WHITE, width=round(3 * unit), joint="curve")
    return image


def main() -> None:
    folder = Path(__file__).resolve().parent.parent / "static" / "img"
    for size in SIZES:
        draw(size).save(folder / f"icon-{size}.png", optimize=True)


if __name__ == "__main__":
    main()
