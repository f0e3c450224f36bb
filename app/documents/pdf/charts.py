"""Vector bar charts (horizontal and vertical) with legends and value labels."""
from __future__ import annotations

import math
from typing import Any

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    Spacer,
)

from app.documents.model import Chart
from app.documents.pdf.style import FONT, FRAME_WIDTH, MUTED, SERIES_COLOURS, STYLES, fit_text, markup, plain

# --------------------------------------------------------------------------
# Charts
# --------------------------------------------------------------------------

CHART_FONT_SIZE = 7.5
CHART_LABEL_MAX = 210.0
CHART_PLOT_MAX_HEIGHT = 390.0


def _nice_step(span: float, ticks: int = 6) -> float:
    if span <= 0:
        return 1.0
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * power:
            return m * power
    return 10 * power


def _axis_formatter(value_kind: str) -> Any:
    def fmt(v: float) -> str:
        if value_kind == "percent":
            return f"{v * 100:,.0f}%"
        if value_kind == "money":
            return f"£{v:,.0f}"
        return f"{v:,.0f}"

    return fmt


def _value_label(value_kind: str) -> Any:
    def fmt(v: float) -> str:
        if value_kind == "percent":
            return f"{v * 100:,.1f}%"
        if value_kind == "money":
            return f"£{v:,.0f}"
        return f"{v:,.0f}"

    return fmt


def _number(v: Any) -> float | None:
    return None if v is None else float(v)


def _legend(chart: Chart, x: float, y: float) -> Legend:
    legend = Legend()
    legend.x, legend.y = x, y
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.deltax = 0
    legend.dx = legend.dy = 8
    legend.dxTextSpace = 4
    legend.fontName = FONT
    legend.fontSize = 8
    legend.boxAnchor = "nw"
    legend.strokeWidth = 0
    pairs = []
    for i, (name, _) in enumerate(chart.series):
        pairs.append((SERIES_COLOURS[i % len(SERIES_COLOURS)], plain(name)))
    legend.colorNamePairs = pairs
    # Lay the entries out side by side.
    widths = [stringWidth(n, FONT, 8) for _, n in pairs]
    legend.deltax = max(widths, default=40) + 30
    return legend


def _value_axis_range(values: list[float | None]) -> tuple[float, float, float]:
    nums = [v for v in values if v is not None]
    lo = min([0.0] + nums)
    hi = max([0.0] + nums)
    if hi == lo:
        hi = lo + 1
    step = _nice_step((hi - lo) * 1.12)
    return math.floor(lo / step) * step, math.ceil(hi * 1.12 / step) * step, step


def _hbar_band(n_series: int) -> tuple[float, float]:
    """(bar thickness, height of one category's group) for horizontal bars."""
    bar = 6.5 if n_series <= 2 else 4.5
    return bar, bar * n_series + 6


def _style_axes_and_bars(
    bc: Any, chart: Chart, n_series: int, axis: tuple[float, float, float], *, reverse: bool
) -> None:
    bc.strokeColor = None
    bc.categoryAxis.labels.fontName = FONT
    bc.categoryAxis.labels.fontSize = CHART_FONT_SIZE
    bc.categoryAxis.strokeColor = MUTED
    va = bc.valueAxis
    va.valueMin, va.valueMax, va.valueStep = axis
    va.labels.fontName = FONT
    va.labels.fontSize = CHART_FONT_SIZE
    va.labelTextFormat = _axis_formatter(chart.value_kind)
    va.visibleGrid = 1
    va.gridStrokeColor = colors.HexColor("#E5E6E7")
    va.gridStrokeWidth = 0.5
    va.strokeColor = MUTED
    bc.barLabelFormat = _value_label(chart.value_kind)
    bc.barLabels.fontName = FONT
    bc.barLabels.fontSize = 6.5
    bc.barLabels.fillColor = MUTED
    for i in range(n_series):
        # Reversed series are drawn in reverse, so colour them to match the legend.
        k = n_series - 1 - i if reverse else i
        bc.bars[i].fillColor = SERIES_COLOURS[k % len(SERIES_COLOURS)]
        bc.bars[i].strokeColor = None


def _hbar(
    chart: Chart, categories: list[str], series: list[list[float | None]], axis: tuple[float, float, float]
) -> Drawing:
    n_series = max(1, len(series))
    bar, band = _hbar_band(n_series)
    plot_h = band * max(1, len(categories))
    labels = [plain(c) for c in categories]
    all_labels = [plain(c) for c in chart.categories]
    # One label width for every part of a split chart, so the parts line up.
    label_w = min(max((stringWidth(t, FONT, CHART_FONT_SIZE) for t in all_labels), default=20) + 8,
                  CHART_LABEL_MAX)
    labels = [fit_text(t, FONT, CHART_FONT_SIZE, label_w - 8) for t in labels]
    legend_h, axis_h = 22, 20
    height = plot_h + legend_h + axis_h
    d = Drawing(FRAME_WIDTH, height)
    bc = HorizontalBarChart()
    bc.x, bc.y = label_w, axis_h
    bc.width, bc.height = FRAME_WIDTH - label_w - 40, plot_h
    # Categories run top to bottom; that also flips the bars within each
    # group, so the series go in reversed to keep the legend's order.
    bc.data = series[::-1]
    bc.barWidth, bc.groupSpacing, bc.barSpacing = bar, 6, 0
    bc.categoryAxis.categoryNames = labels
    bc.categoryAxis.reverseDirection = 1
    bc.categoryAxis.labels.boxAnchor = "e"
    bc.categoryAxis.labels.dx = -4
    bc.categoryAxis.tickLeft = 0
    _style_axes_and_bars(bc, chart, len(series), axis, reverse=True)
    bc.barLabels.boxAnchor = "w"
    bc.barLabels.dx = 3
    d.add(bc)
    d.add(_legend(chart, label_w, height))
    return d


def _vbar(
    chart: Chart, categories: list[str], series: list[list[float | None]], axis: tuple[float, float, float]
) -> Drawing:
    n_series = max(1, len(series))
    plot_h, legend_h, axis_h, left = 180.0, 22, 22, 50
    group = 24.0 * n_series + 36
    plot_w = min(FRAME_WIDTH - left - 10, max(group * len(categories), 220.0))
    height = plot_h + legend_h + axis_h
    d = Drawing(FRAME_WIDTH, height)
    bc = VerticalBarChart()
    bc.x, bc.y = left, axis_h
    bc.width, bc.height = plot_w, plot_h
    bc.data = series
    bc.groupSpacing, bc.barSpacing = 14, 2
    band = plot_w / max(1, len(categories))
    bc.categoryAxis.categoryNames = [fit_text(plain(c), FONT, CHART_FONT_SIZE, band - 6) for c in categories]
    bc.categoryAxis.labels.boxAnchor = "n"
    bc.categoryAxis.labels.dy = -4
    _style_axes_and_bars(bc, chart, len(series), axis, reverse=False)
    bc.barLabels.boxAnchor = "s"
    bc.barLabels.dy = 2
    d.add(bc)
    d.add(_legend(chart, left, height))
    return d


def chart_flowables(chart: Chart) -> list[Flowable]:
    categories = list(chart.categories)
    series = [[_number(v) for v in values] for _, values in chart.series]
    title = Paragraph(markup(chart.title), STYLES["h2"])
    if not categories or not series:
        return [title, Paragraph("<i>No data to chart.</i>", STYLES["note"])]
    axis = _value_axis_range([v for s in series for v in s])
    vertical = chart.kind == "vbar"
    if chart.kind == "bar" and len(categories) <= 8:
        group = 24.0 * len(series) + 36
        vertical = all(stringWidth(plain(c), FONT, CHART_FONT_SIZE) <= group - 8 for c in categories)
    if vertical:
        return [KeepTogether([title, _vbar(chart, categories, series, axis)]), Spacer(1, 4 * mm)]
    # Many categories: split into parts that each fit a page, on one scale.
    _, band = _hbar_band(len(series))
    per_part = max(4, int(CHART_PLOT_MAX_HEIGHT // band))
    parts = math.ceil(len(categories) / per_part)
    per_part = math.ceil(len(categories) / parts)  # even parts, not a full chart and a stub
    out: list[Flowable] = []
    for k in range(parts):
        lo, hi = k * per_part, min(len(categories), (k + 1) * per_part)
        suffix = f" ({k + 1} of {parts})" if parts > 1 else ""
        part_title = Paragraph(markup(chart.title + suffix), STYLES["h2"])
        drawing = _hbar(chart, categories[lo:hi], [s[lo:hi] for s in series], axis)
        out.append(KeepTogether([part_title, drawing]))
        out.append(Spacer(1, 4 * mm))
    return out


