"""Server-side SVG charts: bars, a line and a funnel, accessible and script-free.

Each chart is an inline ``<svg role="img">`` named by its ``<title>`` and described by its
``<desc>`` (both referenced by aria-labelledby); pages print a data table beside it. Colours
come from CSS classes (``chart-bar``, ``chart-line``…) so the site's palette and
forced-colours mode apply.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

WIDTH = 640
HEIGHT = 240
MARGIN_LEFT = 48
MARGIN_BOTTOM = 28
MARGIN_TOP = 12
_ids = itertools.count(1)


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _number(value: float) -> str:
    return f"{round(value):,}".replace(",", "\u202f")


def _frame(title: str, desc: str, body: list[str], *, height: int = HEIGHT) -> SafeString:
    uid = next(_ids)
    head = format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" '
        'aria-labelledby="chart-t{} chart-d{}" preserveAspectRatio="xMidYMid meet" '
        'xmlns="http://www.w3.org/2000/svg">'
        '<title id="chart-t{}">{}</title><desc id="chart-d{}">{}</desc>',
        WIDTH,
        height,
        uid,
        uid,
        uid,
        title,
        uid,
        desc,
    )
    return mark_safe(head + "".join(body) + "</svg>")


def _scale_max(values: Sequence[float]) -> float:
    top = max(values, default=0)
    return float(top) if top > 0 else 1.0


def _axis(top: float, plot_height: float) -> list[str]:
    parts = []
    for fraction in (0, 0.5, 1):
        y = MARGIN_TOP + plot_height * (1 - fraction)
        parts.append(
            f'<line class="chart-grid" x1="{MARGIN_LEFT}" x2="{WIDTH}" '
            f'y1="{_fmt(y)}" y2="{_fmt(y)}"/>'
            f'<text class="chart-axis" x="{MARGIN_LEFT - 6}" y="{_fmt(y + 4)}" '
            f'text-anchor="end">{escape(_number(top * fraction))}</text>'
        )
    return parts


def bar_chart(
    *, title: str, desc: str, labels: Sequence[str], values: Sequence[float]
) -> SafeString:
    """Return vertical bars, one per label (months, generations)."""
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    top = _scale_max(values)
    parts = _axis(top, plot_height)
    count = max(1, len(values))
    step = (WIDTH - MARGIN_LEFT) / count
    bar = max(1.0, step * 0.7)
    label_every = max(1, count // 12)
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = plot_height * (value / top)
        x = MARGIN_LEFT + index * step + (step - bar) / 2
        parts.append(
            f'<rect class="chart-bar" x="{_fmt(x)}" y="{_fmt(MARGIN_TOP + plot_height - h)}" '
            f'width="{_fmt(bar)}" height="{_fmt(h)}">'
            f"<title>{escape(label)} : {escape(_number(value))}</title></rect>"
        )
        if index % label_every == 0:
            parts.append(
                f'<text class="chart-axis" x="{_fmt(x + bar / 2)}" y="{HEIGHT - 8}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    return _frame(title, desc, parts)


def line_chart(
    *, title: str, desc: str, labels: Sequence[str], values: Sequence[float]
) -> SafeString:
    """Return one line through the values (cumulative growth)."""
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    top = _scale_max(values)
    parts = _axis(top, plot_height)
    count = len(values)
    step = (WIDTH - MARGIN_LEFT - 8) / max(1, count - 1)
    points = [
        (MARGIN_LEFT + i * step, MARGIN_TOP + plot_height * (1 - v / top))
        for i, v in enumerate(values)
    ]
    if points:
        parts.append(
            '<polyline class="chart-line" fill="none" points="'
            + " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in points)
            + '"/>'
        )
    label_every = max(1, count // 8)
    for index, ((x, y), label, value) in enumerate(zip(points, labels, values, strict=True)):
        parts.append(
            f'<circle class="chart-dot" cx="{_fmt(x)}" cy="{_fmt(y)}" r="3">'
            f"<title>{escape(label)} : {escape(_number(value))}</title></circle>"
        )
        if index % label_every == 0:
            parts.append(
                f'<text class="chart-axis" x="{_fmt(x)}" y="{HEIGHT - 8}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    return _frame(title, desc, parts)


def funnel_chart(*, title: str, desc: str, steps: Sequence[tuple[str, float]]) -> SafeString:
    """Return horizontal bars narrowing from the first step, with each step's share."""
    row = 44
    height = MARGIN_TOP + row * max(1, len(steps))
    first = steps[0][1] if steps and steps[0][1] else 1
    parts = []
    for index, (label, value) in enumerate(steps):
        width = (WIDTH - 16) * (value / first if first else 0)
        x = (WIDTH - width) / 2
        y = MARGIN_TOP + index * row
        share = f"{100 * value / first:.1f}".replace(".", ",") if first else "0"
        parts.append(
            f'<rect class="chart-bar chart-step-{index}" x="{_fmt(x)}" y="{y}" '
            f'width="{_fmt(max(width, 1))}" height="{row - 8}"/>'
            f'<text class="chart-label" x="{WIDTH / 2:.0f}" y="{y + row / 2}" '
            f'text-anchor="middle">{escape(label)} : {escape(_number(value))} '
            f"({escape(share)}\u00a0%)</text>"
        )
    return _frame(title, desc, parts, height=height)
