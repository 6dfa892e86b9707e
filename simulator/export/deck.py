"""PowerPoint deck of a simulation, with native (editable) charts and tables.

Every chart is a PowerPoint chart shape built from the simulated numbers (``add_chart``
with ``CategoryChartData``), never a picture: a finance user can restyle it, change its
number format or copy its data into Excel. Values are stored unrounded; the axes carry
currency number formats that scale to k / M.

Slides, in order: title; headline ranges; cumulative net cash fan; active users fan; NPV
distribution; expectation gap; lever table (when a lever DataFrame is given);
assumptions (as many slides as the inputs need).
"""

from __future__ import annotations

import datetime as _dt
import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import (
    XL_CHART_TYPE,
    XL_LEGEND_POSITION,
    XL_MARKER_STYLE,
    XL_TICK_LABEL_POSITION,
)
from pptx.enum.dml import MSO_LINE_DASH_STYLE
from pptx.enum.text import PP_ALIGN
from pptx.util import Emu, Inches, Pt

from ..charts.theme import PALETTE, PILOT_LENS, PRODUCTION, money_label
from ..results import SimulationResult
from .files import write_atomic
from .tables import (
    COUNT_FORMAT,
    assumptions_frame,
    band_series,
    chart_money_format,
    column_kind,
    fmt_input,
    fmt_money,
    fmt_number,
    fmt_pct,
    gap_rows,
    headline_rows,
    npv_histogram,
)

SLIDE_WIDTH = Inches(13.333)
SLIDE_HEIGHT = Inches(7.5)
MARGIN = Inches(0.5)
BODY_TOP = Inches(1.35)
TITLE_PT = 28
BODY_PT = 16
TABLE_PT = 14
SMALL_TABLE_PT = 12
CHART_PT = 12
NOTE_PT = 12
#: rows of data (below the header) per assumptions / lever slide at 12 pt
ROWS_PER_SLIDE = 15
#: the 16 lever portfolios fit on one slide
LEVER_ROWS_PER_SLIDE = 16
FAN_STATS = ("p10", "p50", "p90")

# Titles of the fixed slides; tests and readers find slides by them.
TITLE_HEADLINE = "Headline ranges"
TITLE_CUM_NET = "Forecast: cumulative net cash"
TITLE_ACTIVE = "Forecast: active users"
TITLE_NPV = "NPV distribution"
TITLE_GAP = "Expectation gap: signed-off case vs realistic range"
TITLE_LEVERS = "Levers: every combination"
TITLE_ASSUMPTIONS = "Assumptions"

_TITLE_ONLY = 5
_TITLE_SLIDE = 0


def _rgb(hex_colour: str) -> RGBColor:
    return RGBColor.from_string(hex_colour.lstrip("#"))


# --------------------------------------------------------------------------- helpers


def _new_slide(prs, title: str):
    """A 'Title Only' slide with its title placed for 16:9."""
    slide = prs.slides.add_slide(prs.slide_layouts[_TITLE_ONLY])
    t = slide.shapes.title
    t.left, t.top = MARGIN, Inches(0.3)
    t.width, t.height = SLIDE_WIDTH - 2 * MARGIN, Inches(0.9)
    t.text = title
    tf = t.text_frame
    for p in tf.paragraphs:
        p.alignment = PP_ALIGN.LEFT
        for r in p.runs:
            r.font.size = Pt(TITLE_PT)
            r.font.bold = True
    return slide


def _text(slide, text: str | Sequence[str], left, top, width, height, size: int = BODY_PT,
          bold: bool = False):
    """A text box; a sequence gives one paragraph per item."""
    box = slide.shapes.add_textbox(left, top, width, height)
    tf = box.text_frame
    tf.word_wrap = True
    lines = [text] if isinstance(text, str) else list(text)
    for i, line in enumerate(lines):
        p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        run = p.add_run()
        run.text = line
        run.font.size = Pt(size)
        run.font.bold = bold
    return box


def _notes(slide, text: str) -> None:
    slide.notes_slide.notes_text_frame.text = text


def _set_cell(cell, text: str, size: int, bold: bool = False, align=PP_ALIGN.LEFT) -> None:
    cell.text = text
    for p in cell.text_frame.paragraphs:
        p.alignment = align
        for r in p.runs:
            r.font.size = Pt(size)
            r.font.bold = bold
    cell.margin_top = cell.margin_bottom = Inches(0.03)


def _table(slide, header: Sequence[str], rows: Sequence[Sequence[str]], left, top,
           widths: Sequence[float], size: int = TABLE_PT,
           align: Sequence[Any] | None = None):
    """A native table: bold header, one row per item, column widths in inches."""
    row_h = Inches(0.12 + size / 72 * 1.2)
    shape = slide.shapes.add_table(len(rows) + 1, len(header), left, top,
                                   Inches(sum(widths)), Emu(row_h * (len(rows) + 1)))
    table = shape.table
    for j, w in enumerate(widths):
        table.columns[j].width = Inches(w)
    align = align or [PP_ALIGN.LEFT] + [PP_ALIGN.RIGHT] * (len(header) - 1)
    for j, h in enumerate(header):
        _set_cell(table.cell(0, j), str(h), size, bold=True, align=align[j])
    for i, row in enumerate(rows, start=1):
        for j, v in enumerate(row):
            _set_cell(table.cell(i, j), str(v), size, align=align[j])
    for r in table.rows:
        r.height = Emu(row_h)
    return shape


def _style_axis_fonts(chart) -> None:
    chart.font.size = Pt(CHART_PT)


def _axis_title(axis, text: str) -> None:
    axis.has_title = True
    axis.axis_title.text_frame.text = text
    for p in axis.axis_title.text_frame.paragraphs:
        for r in p.runs:
            r.font.size = Pt(CHART_PT)
            r.font.bold = False


def _chart_box():
    return MARGIN, BODY_TOP, SLIDE_WIDTH - 2 * MARGIN, Inches(5.2)


# --------------------------------------------------------------------------- slides


def _title_slide(prs, res: SimulationResult, date: _dt.date) -> None:
    s = res.summary
    slide = prs.slides.add_slide(prs.slide_layouts[_TITLE_SLIDE])
    title, sub = slide.shapes.title, slide.placeholders[1]
    title.left, title.top = MARGIN, Inches(1.8)
    title.width, title.height = SLIDE_WIDTH - 2 * MARGIN, Inches(1.6)
    title.text = s["scenario"]
    for p in title.text_frame.paragraphs:
        for r in p.runs:
            r.font.size = Pt(36)
            r.font.bold = True
    sub.left, sub.top = MARGIN, Inches(3.6)
    sub.width, sub.height = SLIDE_WIDTH - 2 * MARGIN, Inches(2.6)
    lines = [
        "Monte Carlo business case for the AI rollout",
        f"{s['paths']:,} paths · seed {s['seed']} · horizon {s['horizon_months']} months · "
        f"money in {s['currency']}",
        f"Prepared {date.isoformat()}",
    ]
    desc = res.scenario.scenario.description
    if desc:
        lines.append(desc)
    tf = sub.text_frame
    tf.text = lines[0]
    for line in lines[1:]:
        tf.add_paragraph().text = line
    for i, p in enumerate(tf.paragraphs):
        for r in p.runs:
            r.font.size = Pt(20 if i < 3 else 16)


def _headline_slide(prs, res: SimulationResult) -> None:
    s = res.summary
    cur = s["currency"]
    slide = _new_slide(prs, TITLE_HEADLINE)
    rows = headline_rows(s)
    shape = _table(slide, ["Metric", "P10", "P50", "P90"], rows, MARGIN, BODY_TOP,
                   [4.2, 2.7, 2.7, 2.7], size=16)
    # P(NPV > 0) is one number: merge its row's three value cells.
    table = shape.table
    last = len(rows)
    table.cell(last, 1).merge(table.cell(last, 3))
    _set_cell(table.cell(last, 1), rows[-1][2], 16, align=PP_ALIGN.CENTER)
    _text(slide, [
        f"P10 / P50 / P90: 10th, 50th and 90th percentile over {s['paths']:,} simulated "
        f"paths (seed {s['seed']}); payback P10 is the earliest tenth of paths.",
        f"Monte Carlo standard errors: NPV P50 ± {fmt_money(s['npv_p50_se'], cur)}, "
        f"P(NPV > 0) ± {fmt_pct(s['prob_npv_positive_se'])}.",
        f"NPV mean {fmt_money(s['npv_mean'], cur)}; P(payback within "
        f"{s['horizon_months']} months) {fmt_pct(s['prob_payback_within_horizon'])}.",
    ], MARGIN, Inches(5.0), SLIDE_WIDTH - 2 * MARGIN, Inches(1.6), size=NOTE_PT)
    _notes(slide, "Headline ranges of the realistic (production) case. NPV uses monthly "
                  "discounting; ROI = (PV benefit - PV cost) / PV cost.")


def _fan_slide(prs, res: SimulationResult, metric: str, title: str, axis_title: str,
               number_format: str, note: str) -> None:
    slide = _new_slide(prs, title)
    bands = band_series(res, metric, FAN_STATS)
    data = CategoryChartData(number_format=number_format)
    data.categories = [int(m) for m in bands.index]
    for stat in FAN_STATS:
        data.add_series(stat.upper(), [float(v) for v in bands[stat]],
                        number_format=number_format)
    chart = slide.shapes.add_chart(XL_CHART_TYPE.LINE, *_chart_box(), data).chart
    _style_axis_fonts(chart)
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    chart.legend.include_in_layout = False
    for series, stat in zip(chart.plots[0].series, FAN_STATS, strict=True):
        series.smooth = False
        series.marker.style = XL_MARKER_STYLE.NONE
        line = series.format.line
        line.color.rgb = _rgb(PRODUCTION)
        line.width = Pt(3.0 if stat == "p50" else 1.75)
        if stat != "p50":
            line.dash_style = MSO_LINE_DASH_STYLE.DASH
    va = chart.value_axis
    va.tick_labels.number_format = number_format
    va.tick_labels.number_format_is_linked = False
    va.has_major_gridlines = True
    _axis_title(va, axis_title)
    ca = chart.category_axis
    ca.tick_label_position = XL_TICK_LABEL_POSITION.LOW
    _axis_title(ca, "Month after go-live")
    _text(slide, note, MARGIN, Inches(6.65), SLIDE_WIDTH - 2 * MARGIN, Inches(0.6),
          size=NOTE_PT)
    _notes(slide, f"{title}: P10, P50 and P90 across paths for each month (values in the "
                  f"chart's data sheet are unrounded).")


def _npv_slide(prs, res: SimulationResult, bins: int) -> None:
    s = res.summary
    cur = s["currency"]
    slide = _new_slide(prs, TITLE_NPV)
    edges, counts = npv_histogram(res.metric("npv"), bins)
    centres = 0.5 * (edges[:-1] + edges[1:])
    data = CategoryChartData(number_format=COUNT_FORMAT)
    data.categories = [money_label(float(c), cur) for c in centres]
    data.add_series("Paths", [int(c) for c in counts], number_format=COUNT_FORMAT)
    chart = slide.shapes.add_chart(XL_CHART_TYPE.COLUMN_CLUSTERED, *_chart_box(), data).chart
    _style_axis_fonts(chart)
    chart.has_legend = False
    plot = chart.plots[0]
    plot.gap_width = 15
    plot.vary_by_categories = False
    series = plot.series[0]
    series.format.fill.solid()
    series.format.fill.fore_color.rgb = _rgb(PRODUCTION)
    for i, c in enumerate(centres):
        if c < 0:
            point = series.points[i]
            point.format.fill.solid()
            point.format.fill.fore_color.rgb = _rgb(PALETTE[1])
    va = chart.value_axis
    va.tick_labels.number_format = COUNT_FORMAT
    va.tick_labels.number_format_is_linked = False
    _axis_title(va, "Paths")
    ca = chart.category_axis
    ca.tick_label_position = XL_TICK_LABEL_POSITION.LOW
    _axis_title(ca, f"NPV ({cur}, bin centre)")
    _text(slide, (f"Orange bins: NPV below zero. P(NPV > 0) = {fmt_pct(s['prob_npv_positive'])}; "
                  f"P10 {fmt_money(s['npv_p10'], cur)} · P50 {fmt_money(s['npv_p50'], cur)} · "
                  f"P90 {fmt_money(s['npv_p90'], cur)}; {len(counts)} equal-width bins "
                  f"of {fmt_money(float(edges[1] - edges[0]), cur)}."),
          MARGIN, Inches(6.65), SLIDE_WIDTH - 2 * MARGIN, Inches(0.6), size=NOTE_PT)
    _notes(slide, "Histogram of simulated NPV: each column counts the paths whose NPV falls "
                  "in that bin.")


GAP_CATEGORIES = ("Pilot lens (signed off)", "Production P90", "Production P50",
                  "Production P10")


def _gap_slide(prs, res: SimulationResult) -> None:
    s = res.summary
    cur = s["currency"]
    slide = _new_slide(prs, TITLE_GAP)
    values = [s["pilot_lens_npv"], s["npv_p90"], s["npv_p50"], s["npv_p10"]]
    fmt = chart_money_format(cur, max(abs(float(v)) for v in values))
    data = CategoryChartData(number_format=fmt)
    data.categories = list(GAP_CATEGORIES)
    data.add_series("NPV", [float(v) for v in values], number_format=fmt)
    chart = slide.shapes.add_chart(XL_CHART_TYPE.BAR_CLUSTERED, MARGIN, BODY_TOP,
                                   Inches(7.0), Inches(5.0), data).chart
    _style_axis_fonts(chart)
    chart.has_legend = False
    plot = chart.plots[0]
    plot.gap_width = 40
    plot.vary_by_categories = False
    plot.has_data_labels = True
    plot.data_labels.number_format = chart_money_format(
        cur, max(abs(float(v)) for v in values), precise=True)
    plot.data_labels.number_format_is_linked = False
    plot.data_labels.font.size = Pt(CHART_PT)
    series = plot.series[0]
    series.format.fill.solid()
    series.format.fill.fore_color.rgb = _rgb(PRODUCTION)
    lens = series.points[0]
    lens.format.fill.solid()
    lens.format.fill.fore_color.rgb = _rgb(PILOT_LENS)
    chart.category_axis.reverse_order = True
    chart.category_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW
    va = chart.value_axis
    va.tick_labels.number_format = fmt
    va.tick_labels.number_format_is_linked = False
    _axis_title(va, f"NPV ({cur})")
    _table(slide, ["", "NPV"], gap_rows(s), Inches(7.9), BODY_TOP, [3.4, 1.5], size=TABLE_PT)
    _text(slide, ("The pilot lens is the same scenario seen as the pilot saw it: pilot "
                  "accuracy at launch, no drift, incidents at the pilot rate, every cohort "
                  "adopting like the pilot team, every error captured."),
          Inches(7.9), Inches(4.6), Inches(4.9), Inches(1.8), size=NOTE_PT)
    _notes(slide, "Expectation gap = pilot-lens NPV minus production NPV P50; computed on "
                  "common random numbers.")


def _chunks(n: int, size: int) -> list[range]:
    return [range(i, min(n, i + size)) for i in range(0, max(n, 1), size)]


def _paged_title(base: str, k: int, n: int) -> str:
    return base if n == 1 else f"{base} ({k} of {n})"


ASSUMPTIONS_NOTE = ("Low / likely / high: min / mode / max for PERT and triangular inputs, "
                    "min / midpoint / max for uniform, P10 / P50 / P90 for the others; "
                    "fixed inputs repeat their value.")


def _assumption_slides(prs, res: SimulationResult) -> None:
    sc = res.scenario
    cur = sc.scenario.currency
    df = assumptions_frame(sc)
    pages = _chunks(len(df), ROWS_PER_SLIDE)
    header = ["Input", "Low", "Likely", "High", "Unit", "Distribution"]
    align = [PP_ALIGN.LEFT] + [PP_ALIGN.RIGHT] * 3 + [PP_ALIGN.LEFT] * 2
    for k, page in enumerate(pages, start=1):
        slide = _new_slide(prs, _paged_title(TITLE_ASSUMPTIONS, k, len(pages)))
        rows = []
        for i in page:
            r = df.iloc[i]
            rows.append([r["label"], *(fmt_input(r[c], r["schema_unit"], cur)
                                       for c in ("low", "likely", "high")),
                         r["unit"], r["distribution"]])
        _table(slide, header, rows, MARGIN, BODY_TOP, [4.4, 1.3, 1.3, 1.3, 2.8, 1.2],
               size=SMALL_TABLE_PT, align=align)
        _text(slide, ASSUMPTIONS_NOTE, MARGIN, Inches(6.8), SLIDE_WIDTH - 2 * MARGIN,
              Inches(0.5), size=NOTE_PT)
        keys = "; ".join(f"{df.iloc[i]['label']} = {df.iloc[i]['input']}" for i in page)
        _notes(slide, f"{ASSUMPTIONS_NOTE}\n\nScenario-file keys: {keys}.")


def _default_cell(col: str, v: Any, currency: str) -> str:
    """Format a lever-table cell by its column name and type."""
    if isinstance(v, bool | np.bool_):
        return "on" if v else "off"
    if v is None or (isinstance(v, float) and not np.isfinite(v)) or v is pd.NA:
        return "n/a"
    if isinstance(v, int | float | np.integer | np.floating):
        kind = column_kind(col)
        if kind == "share":
            return fmt_pct(float(v))
        if kind == "money":
            return fmt_money(float(v), currency)
        return fmt_number(float(v))
    return str(v)


def _lever_slides(prs, res: SimulationResult, levers: pd.DataFrame,
                  formatters: dict[str, Callable[[Any], str]] | None) -> None:
    cur = res.summary["currency"]
    formatters = formatters or {}
    df = levers.reset_index() if levers.index.name is not None else levers
    cols = [str(c) for c in df.columns]
    cells = [[formatters[c](v) if c in formatters else _default_cell(c, v, cur)
              for c, v in zip(cols, row, strict=True)] for row in df.itertuples(index=False)]
    # column widths in proportion to their longest text (headers may wrap onto two lines)
    need = [max([len(h) * 0.6] + [len(r[j]) for r in cells]) + 2 for j, h in enumerate(cols)]
    total = (SLIDE_WIDTH - 2 * MARGIN) / Inches(1)
    widths = [total * n / sum(need) for n in need]
    align = [PP_ALIGN.RIGHT if pd.api.types.is_numeric_dtype(df[c])
             and not pd.api.types.is_bool_dtype(df[c]) else PP_ALIGN.LEFT for c in df.columns]
    pages = _chunks(len(df), LEVER_ROWS_PER_SLIDE)
    for k, page in enumerate(pages, start=1):
        slide = _new_slide(prs, _paged_title(TITLE_LEVERS, k, len(pages)))
        rows = [cells[i] for i in page]
        _table(slide, cols, rows, MARGIN, BODY_TOP, widths, size=SMALL_TABLE_PT, align=align)
        _notes(slide, "Every on/off combination of the four levers, simulated on common "
                      "random numbers with the same seed.")


# --------------------------------------------------------------------------- public API


def build_deck(res: SimulationResult, *, levers: pd.DataFrame | None = None,
               lever_formatters: dict[str, Callable[[Any], str]] | None = None,
               date: _dt.date | None = None, bins: int = 30):
    """Build the finance deck of ``res`` as a ``pptx.Presentation`` (16:9).

    ``levers``: an optional table (one row per lever combination) rendered as a native
    table on its own slide(s); cells are formatted by column name (money for npv/cost
    columns, % for prob/share/rate columns) unless ``lever_formatters`` maps a column to
    its own formatting function. ``date`` defaults to today; ``bins`` is the number of
    NPV histogram bins.
    """
    if res.band_array is None:
        raise ValueError("the deck needs monthly bands: simulate(..., bands=True)")
    s = res.summary
    cur = s["currency"]
    prs = Presentation()
    prs.slide_width, prs.slide_height = SLIDE_WIDTH, SLIDE_HEIGHT
    _title_slide(prs, res, date or _dt.date.today())
    _headline_slide(prs, res)
    cum = band_series(res, "cum_net", FAN_STATS)
    _fan_slide(prs, res, "cum_net", TITLE_CUM_NET, f"Cumulative net cash ({cur})",
               chart_money_format(cur, float(np.nanmax(np.abs(cum.to_numpy())))),
               "Undiscounted cumulative benefit minus cost; month 0 carries the one-off "
               "build and lever costs. Dashed: P10 and P90; solid: P50.")
    _fan_slide(prs, res, "active_users", TITLE_ACTIVE, "Active users", COUNT_FORMAT,
               f"Active users per month (pilot team included). Active rate at month 6, "
               f"P50: {fmt_pct(s['active_rate_m6_p50'], 0)}. Dashed: P10 and P90; solid: P50.")
    _npv_slide(prs, res, bins)
    _gap_slide(prs, res)
    if levers is not None and len(levers):
        _lever_slides(prs, res, levers, lever_formatters)
    _assumption_slides(prs, res)
    return prs


def deck_bytes(res: SimulationResult, **kwargs: Any) -> bytes:
    """The deck as .pptx bytes, built in memory (for download buttons)."""
    buf = io.BytesIO()
    build_deck(res, **kwargs).save(buf)
    return buf.getvalue()


def write_deck(res: SimulationResult, path: str | Path, **kwargs: Any) -> Path:
    """Write the deck to ``path`` atomically: the file appears (or is replaced) only whole."""
    path = Path(path)
    return write_atomic(path, lambda tmp: build_deck(res, **kwargs).save(str(tmp)))
