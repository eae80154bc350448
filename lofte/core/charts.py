"""Charts drawn on the server as SVG: no script, no chart library, nothing from a CDN, and nothing a content
security policy forbids (presentation attributes and classes, no inline styles). Every chart is drawn from the
rows of the table shown with it, so the table is what a screen reader reads (the SVG is aria-hidden) and the CSV
export is exactly those rows.

Three shapes: `columns` (one value per period, e.g. complaints per month), `bars` (one value per group, e.g.
complaints per category) and `stacked` (per period, one part per group, with a legend: complaints per month by
category). Labels are escaped; numbers are formatted by the caller's locale in the table, not here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe

WIDTH = 640
BAR_HEIGHT = 22
GAP = 6
LABEL_WIDTH = 180
COLUMN_AREA = 160


@dataclass(frozen=True)
class Point:
    label: str
    value: float
    mark: float | None = None  # a second value drawn as a line on the bar (e.g. within the deadline)


def _number(value: float) -> str:
    return f"{value:,.0f}".replace(",", "\u202f") if value == int(value) else f"{value:.1f}"


def bars(points: Sequence[Point], *, unit: str = "") -> SafeString:
    """Horizontal bars, one per point, the largest full width; empty when there is nothing to draw."""
    if not points:
        return mark_safe("")
    top = max((p.value for p in points), default=0) or 1
    height = len(points) * (BAR_HEIGHT + GAP) + GAP
    area = WIDTH - LABEL_WIDTH - 70
    rows = []
    for i, p in enumerate(points):
        y = GAP + i * (BAR_HEIGHT + GAP)
        w = max(1.0, area * p.value / top) if p.value else 0
        label = escape(p.label if len(p.label) <= 28 else p.label[:27] + "…")
        rows.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT * 0.7:.1f}" text-anchor="end" class="chart-label">'
            f"{label}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{w:.1f}" height="{BAR_HEIGHT}" rx="3" class="chart-bar"/>'
            f'<text x="{LABEL_WIDTH + w + 6:.1f}" y="{y + BAR_HEIGHT * 0.7:.1f}" class="chart-value">'
            f"{escape(_number(p.value))}{escape(unit)}</text>"
        )
        if p.mark is not None and p.value:
            mx = LABEL_WIDTH + area * p.mark / top
            rows.append(
                f'<rect x="{LABEL_WIDTH}" y="{y}" width="{mx - LABEL_WIDTH:.1f}" height="{BAR_HEIGHT}" rx="3" '
                f'class="chart-mark"/>'
            )
    svg = (
        f'<svg class="chart chart-bars" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" aria-hidden="true" '
        f'focusable="false" xmlns="http://www.w3.org/2000/svg">{"".join(rows)}</svg>'
    )
    return mark_safe(svg)  # noqa: S308 - every text in it is escaped above


def columns(points: Sequence[Point]) -> SafeString:
    """Vertical columns over time (one per period, oldest first), labels under them."""
    if not points:
        return mark_safe("")
    top = max((p.value for p in points), default=0) or 1
    n = len(points)
    step = (WIDTH - 20) / n
    width = max(2.0, step * 0.7)
    parts = []
    every = max(1, n // 12)  # at most about twelve labels under the axis
    for i, p in enumerate(points):
        h = COLUMN_AREA * p.value / top
        x = 10 + i * step + (step - width) / 2
        parts.append(
            f'<rect x="{x:.1f}" y="{10 + COLUMN_AREA - h:.1f}" width="{width:.1f}" height="{h:.1f}" rx="2" '
            f'class="chart-bar"/>'
        )
        if p.mark is not None and p.value:
            mh = COLUMN_AREA * p.mark / top
            parts.append(
                f'<rect x="{x:.1f}" y="{10 + COLUMN_AREA - mh:.1f}" width="{width:.1f}" height="{mh:.1f}" rx="2" '
                f'class="chart-mark"/>'
            )
        if i % every == 0:
            parts.append(
                f'<text x="{x + width / 2:.1f}" y="{COLUMN_AREA + 28}" text-anchor="middle" class="chart-label">'
                f"{escape(p.label)}</text>"
            )
    parts.append(
        f'<text x="10" y="10" class="chart-value">{escape(_number(top))}</text>'
        f'<line x1="10" y1="{10 + COLUMN_AREA}" x2="{WIDTH - 10}" y2="{10 + COLUMN_AREA}" class="chart-axis"/>'
    )
    svg = (
        f'<svg class="chart chart-columns" viewBox="0 0 {WIDTH} {COLUMN_AREA + 40}" width="100%" role="img" '
        f'aria-hidden="true" focusable="false" xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>'
    )
    return mark_safe(svg)  # noqa: S308 - every text in it is escaped above


SERIES_CLASSES = 11  # .chart-s0 ... .chart-s10 in lofte.css; a series beyond them takes the last (grey) colour
LEGEND_ROW = 18


def stacked(periods: Sequence[str], series: Sequence[tuple[str, Sequence[float]]]) -> SafeString:
    """Columns over time (one per period, oldest first), each stacked from the series' values for that period in
    the series' order (the first at the bottom), with a legend under the axis naming each series by its colour.
    Every series has one value per period."""
    if not periods or not series:
        return mark_safe("")
    n = len(periods)
    totals = [sum(values[i] for _name, values in series) for i in range(n)]
    top = max(totals) or 1
    step = (WIDTH - 20) / n
    width = max(2.0, step * 0.7)
    every = max(1, n // 12)
    parts = []
    for i, label in enumerate(periods):
        x = 10 + i * step + (step - width) / 2
        base = float(10 + COLUMN_AREA)
        for k, (_name, values) in enumerate(series):
            if not values[i]:
                continue
            h = COLUMN_AREA * values[i] / top
            base -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{base:.1f}" width="{width:.1f}" height="{h:.1f}" '
                f'class="chart-s{min(k, SERIES_CLASSES - 1)}"/>'
            )
        if i % every == 0:
            parts.append(
                f'<text x="{x + width / 2:.1f}" y="{COLUMN_AREA + 28}" text-anchor="middle" class="chart-label">'
                f"{escape(label)}</text>"
            )
    parts.append(
        f'<text x="10" y="10" class="chart-value">{escape(_number(top))}</text>'
        f'<line x1="10" y1="{10 + COLUMN_AREA}" x2="{WIDTH - 10}" y2="{10 + COLUMN_AREA}" class="chart-axis"/>'
    )
    legend_top = COLUMN_AREA + 44
    half = (WIDTH - 20) / 2
    for k, (name, _values) in enumerate(series):
        x = 10 + (k % 2) * half
        y = legend_top + (k // 2) * LEGEND_ROW
        text = name if len(name) <= 38 else name[:37] + "…"
        parts.append(
            f'<rect x="{x:.1f}" y="{y}" width="12" height="12" rx="2" class="chart-s{min(k, SERIES_CLASSES - 1)}"/>'
            f'<text x="{x + 18:.1f}" y="{y + 10}" class="chart-label">{escape(text)}</text>'
        )
    height = legend_top + ((len(series) + 1) // 2) * LEGEND_ROW + 4
    svg = (
        f'<svg class="chart chart-stacked" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-hidden="true" focusable="false" xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>'
    )
    return mark_safe(svg)  # noqa: S308 - every text in it is escaped above
