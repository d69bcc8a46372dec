"""Tiny server-rendered SVG charts: no chart library reaches the browser.

Each bar or point carries data-label and data-value (the exact number), and a <title> so screen
readers and hover show it; the markup scales with the viewBox to any phone width.
"""
from __future__ import annotations

from decimal import Decimal

from markupsafe import Markup, escape

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 360, 170, 34, 20, 10


def _number(value) -> str:
    if isinstance(value, Decimal):
        value = value.quantize(Decimal("0.01")) if value != value.to_integral_value() else value.to_integral_value()
    elif isinstance(value, float):
        value = round(value, 1)
    return str(value)


def _axis(top: float, label: str) -> str:
    plot_h = HEIGHT - PAD_BOTTOM - PAD_TOP
    return (f'<line x1="{PAD_LEFT}" y1="{PAD_TOP}" x2="{PAD_LEFT}" y2="{PAD_TOP + plot_h}" stroke="#dcd6c8"/>'
            f'<line x1="{PAD_LEFT}" y1="{PAD_TOP + plot_h}" x2="{WIDTH}" y2="{PAD_TOP + plot_h}" stroke="#dcd6c8"/>'
            f'<text x="{PAD_LEFT - 4}" y="{PAD_TOP + 8}" text-anchor="end" font-size="10" fill="#5b6b63">'
            f'{escape(_number(top))}</text>'
            f'<text x="{PAD_LEFT - 4}" y="{PAD_TOP + plot_h}" text-anchor="end" font-size="10" fill="#5b6b63">0</text>'
            f'<desc>{escape(label)}</desc>')


def short(label: str) -> str:
    """Axis text stays short on a phone: 2026-03-07 → 03-07, long course titles are cut."""
    if len(label) == 10 and label[4] == "-" and label[7] == "-":
        return label[5:]
    return label if len(label) <= 12 else label[:11] + "…"


def _tick_labels(labels: list[str], step: float) -> str:
    if not labels:
        return ""
    every = max(1, -(-len(labels) // 4))
    out = []
    for i, label in enumerate(labels):
        if i % every == 0 or i == len(labels) - 1:
            x = PAD_LEFT + step * i + step / 2
            out.append(f'<text x="{x:.1f}" y="{HEIGHT - 6}" text-anchor="middle" font-size="10" fill="#5b6b63">'
                       f'{escape(short(label))}</text>')
    return "".join(out)


def bar_chart(points, title: str, chart_id: str = "") -> Markup:
    """points: [(label, value)] → an SVG bar chart."""
    points = [(str(label), value) for label, value in points]
    top = max([v for _, v in points] + [0]) or 1
    plot_h = HEIGHT - PAD_BOTTOM - PAD_TOP
    step = (WIDTH - PAD_LEFT) / max(len(points), 1)
    bars = []
    for i, (label, value) in enumerate(points):
        h = plot_h * float(value) / float(top)
        x = PAD_LEFT + step * i + step * 0.1
        bars.append(
            f'<rect x="{x:.1f}" y="{PAD_TOP + plot_h - h:.1f}" width="{step * 0.8:.1f}" height="{h:.1f}" '
            f'fill="#0b6e4f" data-label="{escape(label)}" data-value="{escape(_number(value))}">'
            f'<title>{escape(label)}: {escape(_number(value))}</title></rect>'
        )
    return _svg(title, chart_id, _axis(top, title) + "".join(bars) + _tick_labels([p[0] for p in points], step))


def line_chart(points, title: str, chart_id: str = "") -> Markup:
    """points: [(label, value)] → an SVG line with a dot per point."""
    points = [(str(label), value) for label, value in points]
    top = max([v for _, v in points] + [0]) or 1
    plot_h = HEIGHT - PAD_BOTTOM - PAD_TOP
    step = (WIDTH - PAD_LEFT) / max(len(points), 1)
    coords = [(PAD_LEFT + step * i + step / 2, PAD_TOP + plot_h - plot_h * float(v) / float(top))
              for i, (_, v) in enumerate(points)]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#0b6e4f" data-label="{escape(label)}" '
        f'data-value="{escape(_number(value))}"><title>{escape(label)}: {escape(_number(value))}</title></circle>'
        for (x, y), (label, value) in zip(coords, points)
    )
    body = _axis(top, title) + (f'<polyline points="{line}" fill="none" stroke="#0b6e4f" stroke-width="2"/>'
                                if coords else "") + dots
    return _svg(title, chart_id, body + _tick_labels([p[0] for p in points], step))


def _svg(title: str, chart_id: str, body: str) -> Markup:
    ident = f' id="{escape(chart_id)}"' if chart_id else ""
    return Markup(f'<svg{ident} class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
                  f'xmlns="http://www.w3.org/2000/svg">{body}</svg>')
