"""The server-drawn charts: what is drawn matches the numbers, every text is escaped, nothing is drawn from nothing."""

from __future__ import annotations

import re

from lofte.core import charts


def heights(svg: str, css_class: str) -> list[float]:
    return [float(h) for h in re.findall(rf'height="([\d.]+)" class="{css_class}"', svg)]


def test_stacked_columns_divide_each_period_by_series_and_name_them_in_a_legend():
    svg = str(charts.stacked(["2026-10", "2026-11"], [("Billing", [3, 1]), ("Delivery", [1, 0])]))

    # the tallest column (October, 4) fills the area; Billing's part of it is three quarters
    assert heights(svg, "chart-s0")[:2] == [charts.COLUMN_AREA * 3 / 4, charts.COLUMN_AREA * 1 / 4]
    assert heights(svg, "chart-s1")[:1] == [charts.COLUMN_AREA * 1 / 4]  # no rectangle for November's zero
    assert svg.count('class="chart-s1"') == 2  # October's part and the legend's swatch
    assert ">Billing</text>" in svg and ">Delivery</text>" in svg and ">2026-11</text>" in svg
    assert 'aria-hidden="true"' in svg  # the table behind it is what a screen reader reads


def test_a_series_name_is_escaped_and_series_beyond_the_palette_share_the_last_colour():
    series = [(f"<b>{i}</b>", [1.0]) for i in range(charts.SERIES_CLASSES + 2)]

    svg = str(charts.stacked(["2026-11"], series))

    assert "<b>" not in svg and "&lt;b&gt;0&lt;/b&gt;" in svg
    assert svg.count(f'class="chart-s{charts.SERIES_CLASSES - 1}"') == 3 * 2


def test_nothing_to_draw_draws_nothing():
    assert str(charts.stacked([], [("A", [])])) == ""
    assert str(charts.stacked(["2026-11"], [])) == ""
    assert str(charts.bars([])) == "" and str(charts.columns([])) == ""
