"""Native PowerPoint charts the deck needs beyond python-pptx's plain types: a shaded fan
(P10-P90 and P25-P75 bands with the median line), a waterfall and a tornado.

Each is a real chart shape whose embedded workbook holds the plotted numbers, so a finance
user can restyle it or edit its data. The fan is a stacked area chart (an invisible base at
P10, then the band widths) with the median moved into a line chart on the same axes.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
import pandas as pd
from pptx.chart.data import CategoryChartData
from pptx.enum.chart import (
    XL_CHART_TYPE,
    XL_LEGEND_POSITION,
    XL_TICK_LABEL_POSITION,
)
from pptx.oxml.ns import qn
from pptx.oxml.xmlchemy import OxmlElement
from pptx.util import Pt

from ..charts.theme import PALETTE, PILOT_LENS, PRODUCTION, WITH_LEVERS
from .pptx_kit import CHART_PT, axis_title, rgb, top_down

#: fill of the outer (P10-P90) and inner (P25-P75) bands: the production blue, lightened
OUTER_FILL = "BFD9EC"
INNER_FILL = "6FA8D6"
LOSS = PALETTE[1]
GAIN = PALETTE[2]


def _sub(parent, tag: str, val: str) -> None:
    el = OxmlElement(tag)
    el.set("val", val)
    parent.append(el)


def _number_axis(axis, number_format: str, title: str | None) -> None:
    axis.tick_labels.number_format = number_format
    axis.tick_labels.number_format_is_linked = False
    axis.has_major_gridlines = True
    if title:
        axis_title(axis, title)


def _hide_legend_entries(chart, indices: Sequence[int]) -> None:
    """Drop the legend entries of the given series indices (the invisible base, repeats)."""
    legend = chart._chartSpace.chart.find(qn("c:legend"))
    anchor = legend.find(qn("c:legendPos"))
    for i in indices:
        entry = OxmlElement("c:legendEntry")
        idx = OxmlElement("c:idx")
        idx.set("val", str(i))
        delete = OxmlElement("c:delete")
        delete.set("val", "1")
        entry.append(idx)
        entry.append(delete)
        anchor.addnext(entry)
        anchor = entry


def _move_last_series_to_line(chart, colour: str, width_pt: float) -> None:
    """Move the area chart's last series into a line chart on the same axes."""
    plot_area = chart._chartSpace.chart.plotArea
    area = plot_area.find(qn("c:areaChart"))
    ser = area.findall(qn("c:ser"))[-1]
    area.remove(ser)
    line = OxmlElement("c:lineChart")
    _sub(line, "c:grouping", "standard")
    _sub(line, "c:varyColors", "0")
    line.append(ser)
    _sub(line, "c:marker", "1")
    for ax in area.findall(qn("c:axId")):
        line.append(copy.deepcopy(ax))
    area.addnext(line)
    # a line series carries a marker (after spPr) and smooth (after val)
    marker = OxmlElement("c:marker")
    _sub(marker, "c:symbol", "none")
    anchor = ser.find(qn("c:spPr"))
    if anchor is None:
        anchor = ser.find(qn("c:tx"))
    anchor.addnext(marker)
    smooth = OxmlElement("c:smooth")
    smooth.set("val", "0")
    ser.find(qn("c:val")).addnext(smooth)
    s = chart.plots[1].series[0]
    s.format.line.color.rgb = rgb(colour)
    s.format.line.width = Pt(width_pt)


def add_fan_chart(slide, box: tuple, bands: pd.DataFrame, number_format: str,
                  value_title: str, *, median_colour: str = PRODUCTION):
    """A shaded fan: P10-P90 (light) and P25-P75 (darker) bands and the P50 line.

    ``bands``: one row per month (the index), columns p10, p25, p50, p75, p90.
    """
    b = bands[["p10", "p25", "p50", "p75", "p90"]].astype(float)
    data = CategoryChartData(number_format=number_format)
    data.categories = [int(m) for m in b.index]
    widths = [("P10", b["p10"]), ("P10 to P90", b["p25"] - b["p10"]),
              ("P25 to P75", b["p50"] - b["p25"]), ("P25 to P75 ", b["p75"] - b["p50"]),
              ("P75 to P90", b["p90"] - b["p75"]), ("Median (P50)", b["p50"])]
    for name, v in widths:
        data.add_series(name, [float(x) for x in np.asarray(v)], number_format=number_format)
    chart = slide.shapes.add_chart(XL_CHART_TYPE.AREA_STACKED, *box, data).chart
    chart.font.size = Pt(CHART_PT)
    chart.has_title = False
    fills = [None, OUTER_FILL, INNER_FILL, INNER_FILL, OUTER_FILL]
    for series, fill in zip(chart.plots[0].series, fills, strict=False):
        if fill is None:
            series.format.fill.background()
        else:
            series.format.fill.solid()
            series.format.fill.fore_color.rgb = rgb(fill)
        series.format.line.fill.background()
    _move_last_series_to_line(chart, median_colour, 2.5)
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    chart.legend.include_in_layout = False
    _hide_legend_entries(chart, [0, 3, 4])
    _number_axis(chart.value_axis, number_format, value_title)
    ca = chart.category_axis
    ca.tick_label_position = XL_TICK_LABEL_POSITION.LOW
    axis_title(ca, "Month after go-live")
    return chart


def add_line_chart(slide, box: tuple, lines: pd.DataFrame, number_format: str,
                   value_title: str):
    """One line per column of ``lines`` (index: month), each in the palette's order."""
    data = CategoryChartData(number_format=number_format)
    data.categories = [int(m) for m in lines.index]
    for name in lines.columns:
        data.add_series(str(name), [float(x) for x in lines[name].to_numpy(float)],
                        number_format=number_format)
    chart = slide.shapes.add_chart(XL_CHART_TYPE.LINE, *box, data).chart
    chart.font.size = Pt(CHART_PT)
    chart.has_title = False
    for series, colour in zip(chart.plots[0].series, PALETTE, strict=False):
        series.smooth = False
        series.format.line.color.rgb = rgb(colour)
        series.format.line.width = Pt(2.25)
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    chart.legend.include_in_layout = False
    _number_axis(chart.value_axis, number_format, value_title)
    ca = chart.category_axis
    ca.tick_label_position = XL_TICK_LABEL_POSITION.LOW
    axis_title(ca, "Month after go-live")
    return chart


def waterfall_parts(start: Sequence[float], end: Sequence[float]
                    ) -> tuple[list[float], list[float], list[float]]:
    """(invisible base, first visible part, second visible part) of stacked bars that draw
    each step from ``start`` to ``end``. Positive and negative values stack separately, so
    a step crossing zero is drawn as a part above and a part below it."""
    base, a, b = [], [], []
    for s, e in zip(start, end, strict=True):
        lo, hi = min(s, e), max(s, e)
        if lo >= 0:
            base.append(lo), a.append(hi - lo), b.append(0.0)
        elif hi <= 0:
            base.append(hi), a.append(lo - hi), b.append(0.0)
        else:
            base.append(0.0), a.append(hi), b.append(lo)
    return base, a, b


def add_waterfall_chart(slide, box: tuple, steps: pd.DataFrame, number_format: str,
                        value_title: str):
    """Horizontal waterfall: one bar per row of ``steps`` (columns step, start, end, kind,
    label), first row on top; the category text carries each step's amount."""
    steps = steps.iloc[::-1].reset_index(drop=True)  # first step on top
    base, a, b = waterfall_parts(steps["start"], steps["end"])
    data = CategoryChartData(number_format=number_format)
    data.categories = [f"{s}: {lab}" for s, lab in zip(steps["step"], steps["label"],
                                                       strict=True)]
    for name, v in (("base", base), ("step", a), ("step (below zero)", b)):
        data.add_series(name, v, number_format=number_format)
    chart = slide.shapes.add_chart(XL_CHART_TYPE.BAR_STACKED, *box, data).chart
    chart.font.size = Pt(CHART_PT)
    chart.has_title = False
    chart.has_legend = False
    plot = chart.plots[0]
    plot.gap_width = 40
    plot.overlap = 100
    colours = {"lens": PILOT_LENS, "loss": LOSS, "gain": GAIN, "production": PRODUCTION}
    plot.series[0].format.fill.background()
    for series in list(plot.series)[1:]:
        for i, kind in enumerate(steps["kind"]):
            point = series.points[i]
            point.format.fill.solid()
            point.format.fill.fore_color.rgb = rgb(colours.get(kind, PRODUCTION))
    top_down(chart)
    _number_axis(chart.value_axis, number_format, value_title)
    return chart


def add_tornado_chart(slide, box: tuple, tornado: pd.DataFrame, labels: Sequence[str],
                      number_format: str, value_title: str):
    """Tornado as change of the NPV median from its base: one bar for the input held at
    its P10, one at its P90, on the same row; widest swing on top."""
    t = tornado.sort_values("rank", ascending=False)  # widest swing on top
    base = t["base_npv_p50"].astype(float)
    data = CategoryChartData(number_format=number_format)
    data.categories = list(labels)[::-1]
    data.add_series("Input at its P10", list(t["npv_p50_low"].astype(float) - base),
                    number_format=number_format)
    data.add_series("Input at its P90", list(t["npv_p50_high"].astype(float) - base),
                    number_format=number_format)
    chart = slide.shapes.add_chart(XL_CHART_TYPE.BAR_CLUSTERED, *box, data).chart
    chart.font.size = Pt(CHART_PT)
    chart.has_title = False
    plot = chart.plots[0]
    plot.overlap = 100
    plot.gap_width = 40
    for series, colour in zip(plot.series, (PALETTE[1], PALETTE[0]), strict=True):
        series.format.fill.solid()
        series.format.fill.fore_color.rgb = rgb(colour)
        series.invert_if_negative = False
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    chart.legend.include_in_layout = False
    top_down(chart)
    _number_axis(chart.value_axis, number_format, value_title)
    return chart


def add_bar_chart(slide, box: tuple, categories: Sequence[str], values: Sequence[float],
                  number_format: str, value_title: str, colour: str = WITH_LEVERS):
    """Horizontal bars, first category on top (e.g. what each lever is worth)."""
    data = CategoryChartData(number_format=number_format)
    data.categories = list(categories)[::-1]  # first category on top
    data.add_series("value", [float(v) for v in values][::-1], number_format=number_format)
    chart = slide.shapes.add_chart(XL_CHART_TYPE.BAR_CLUSTERED, *box, data).chart
    chart.font.size = Pt(CHART_PT)
    chart.has_title = False
    chart.has_legend = False
    plot = chart.plots[0]
    plot.gap_width = 50
    s = plot.series[0]
    s.format.fill.solid()
    s.format.fill.fore_color.rgb = rgb(colour)
    s.invert_if_negative = False
    top_down(chart)
    _number_axis(chart.value_axis, number_format, value_title)
    return chart
