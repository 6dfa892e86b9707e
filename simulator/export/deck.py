"""PowerPoint deck of a simulation, with native (editable) charts and tables.

Every chart is a PowerPoint chart shape built from the simulated numbers, never a picture:
a finance user can restyle it, change its number format or copy its data into Excel.
Values are stored unrounded; the axes carry currency number formats that scale to k / M.

Slides, in order: title; the answer (one sentence and a small table); headline ranges;
cumulative net cash and active users as shaded fans (P10-P90, P25-P75, median); NPV
distribution; expectation gap and its waterfall; levers (what to fix first, every
combination); tornado; any ``extra_slides`` (the hook for a staged plan or a
value-of-information slide); methods; the edits to the scenario file; assumptions. Every
slide's speaker notes say how its numbers were computed.
"""

from __future__ import annotations

import datetime as _dt
import io
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import (
    XL_CHART_TYPE,
    XL_TICK_LABEL_POSITION,
)
from pptx.enum.text import PP_ALIGN
from pptx.util import Emu, Inches, Pt

from .. import formatting as F
from ..charts.theme import PALETTE, PILOT_LENS, PRODUCTION
from ..labels import input_label
from ..results import SimulationResult
from . import pptx_charts as pc
from .files import write_atomic
from .findings import Findings, answer_rows, answer_sentence, lever_steps, run_findings
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
FAN_STATS = ("p10", "p25", "p50", "p75", "p90")

# Titles of the fixed slides; tests and readers find slides by them.
TITLE_ANSWER = "The answer"
TITLE_HEADLINE = "Headline ranges"
TITLE_CUM_NET = "Forecast: cumulative net cash"
TITLE_ACTIVE = "Forecast: active users"
TITLE_NPV = "NPV distribution"
TITLE_GAP = "Expectation gap: signed-off case vs realistic range"
TITLE_WATERFALL = "Where the expectation gap comes from"
TITLE_LEVER_ORDER = "Levers: what to fix first"
TITLE_LEVERS = "Levers: every combination"
TITLE_TORNADO = "Which inputs move the NPV most"
TITLE_METHODS = "Methods"
TITLE_EDITS = "Edits to the scenario file"
TITLE_ASSUMPTIONS = "Assumptions"

#: An extra slide: called with the presentation, the result and the findings (may be None).
SlideBuilder = Callable[[Any, SimulationResult, "Findings | None"], None]

_TITLE_ONLY = 5
_TITLE_SLIDE = 0


def _rgb(hex_colour: str) -> RGBColor:
    return RGBColor.from_string(hex_colour.lstrip("#"))


# --------------------------------------------------------------------------- helpers


def new_slide(prs, title: str):
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


def add_text(slide, text: str | Sequence[str], left, top, width, height, size: int = BODY_PT,
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


def add_notes(slide, text: str) -> None:
    slide.notes_slide.notes_text_frame.text = text


def _set_cell(cell, text: str, size: int, bold: bool = False, align=PP_ALIGN.LEFT) -> None:
    cell.text = text
    for p in cell.text_frame.paragraphs:
        p.alignment = align
        for r in p.runs:
            r.font.size = Pt(size)
            r.font.bold = bold
    cell.margin_top = cell.margin_bottom = Inches(0.03)


def add_table(slide, header: Sequence[str], rows: Sequence[Sequence[str]], left, top,
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
    chart.has_title = False


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
    slide = new_slide(prs, TITLE_HEADLINE)
    rows = headline_rows(s)
    shape = add_table(slide, ["Metric", "P10", "P50", "P90"], rows, MARGIN, BODY_TOP,
                   [4.2, 2.7, 2.7, 2.7], size=16)
    # P(NPV > 0) is one number: merge its row's three value cells.
    table = shape.table
    last = len(rows)
    table.cell(last, 1).merge(table.cell(last, 3))
    _set_cell(table.cell(last, 1), rows[-1][2], 16, align=PP_ALIGN.CENTER)
    add_text(slide, [
        f"P10 / P50 / P90: 10th, 50th and 90th percentile over {s['paths']:,} simulated "
        f"paths (seed {s['seed']}); payback P10 is the earliest tenth of paths.",
        f"Monte Carlo standard errors: NPV P50 ± {fmt_money(s['npv_p50_se'], cur)}, "
        f"P(NPV > 0) ± {fmt_pct(s['prob_npv_positive_se'])}.",
        f"NPV mean {fmt_money(s['npv_mean'], cur)}; P(payback within "
        f"{s['horizon_months']} months) {fmt_pct(s['prob_payback_within_horizon'])}.",
    ], MARGIN, Inches(5.0), SLIDE_WIDTH - 2 * MARGIN, Inches(1.6), size=NOTE_PT)
    add_notes(slide, "Headline ranges of the realistic (production) case. NPV uses monthly "
                  "discounting; ROI = (PV benefit - PV cost) / PV cost.")


def _fan_slide(prs, res: SimulationResult, metric: str, title: str, axis_title: str,
               number_format: str, note: str) -> None:
    slide = new_slide(prs, title)
    bands = band_series(res, metric, FAN_STATS)
    pc.add_fan_chart(slide, _chart_box(), bands, number_format, axis_title)
    add_text(slide, note, MARGIN, Inches(6.65), SLIDE_WIDTH - 2 * MARGIN, Inches(0.6),
          size=NOTE_PT)
    add_notes(slide, f"{title}: for each month, the 10th, 25th, 50th, 75th and 90th "
                  f"percentiles of the metric across the {res.summary['paths']:,} simulated "
                  f"paths. Light band: P10 to P90 (8 paths in 10); dark band: P25 to P75 "
                  f"(half the paths); line: the median. The chart's data sheet holds the "
                  f"unrounded P10 and the band widths (stacked), and the median.")


def _npv_slide(prs, res: SimulationResult, bins: int) -> None:
    s = res.summary
    cur = s["currency"]
    slide = new_slide(prs, TITLE_NPV)
    edges, counts = npv_histogram(res.metric("npv"), bins)
    centres = 0.5 * (edges[:-1] + edges[1:])
    data = CategoryChartData(number_format=COUNT_FORMAT)
    data.categories = [F.money(float(c), cur) for c in centres]
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
    add_text(slide, (f"Orange bins: NPV below zero. P(NPV > 0) = "
                     f"{fmt_pct(s['prob_npv_positive'])}; "
                  f"P10 {fmt_money(s['npv_p10'], cur)} · P50 {fmt_money(s['npv_p50'], cur)} · "
                  f"P90 {fmt_money(s['npv_p90'], cur)}; {len(counts)} equal-width bins "
                  f"of {fmt_money(float(edges[1] - edges[0]), cur)}."),
          MARGIN, Inches(6.65), SLIDE_WIDTH - 2 * MARGIN, Inches(0.6), size=NOTE_PT)
    add_notes(slide, "Histogram of simulated NPV: each column counts the paths whose NPV falls "
                  "in that bin.")


GAP_CATEGORIES = ("Pilot lens (signed off)", "Production P90", "Production P50",
                  "Production P10")


def _gap_slide(prs, res: SimulationResult) -> None:
    s = res.summary
    cur = s["currency"]
    slide = new_slide(prs, TITLE_GAP)
    values = [s["pilot_lens_npv"], s["npv_p90"], s["npv_p50"], s["npv_p10"]]
    fmt = chart_money_format(cur, max(abs(float(v)) for v in values))
    data = CategoryChartData(number_format=fmt)
    # last-first, so the pilot lens reads on top (see pptx_charts.top_down)
    data.categories = [f"{c}: {F.money(v, cur)}" for c, v in zip(GAP_CATEGORIES, values,
                                                                  strict=True)][::-1]
    data.add_series("NPV", [float(v) for v in values][::-1], number_format=fmt)
    chart = slide.shapes.add_chart(XL_CHART_TYPE.BAR_CLUSTERED, MARGIN, BODY_TOP,
                                   Inches(7.0), Inches(5.0), data).chart
    _style_axis_fonts(chart)
    chart.has_legend = False
    plot = chart.plots[0]
    plot.gap_width = 40
    plot.vary_by_categories = False
    series = plot.series[0]
    series.invert_if_negative = False
    series.format.fill.solid()
    series.format.fill.fore_color.rgb = _rgb(PRODUCTION)
    lens = series.points[len(values) - 1]
    lens.format.fill.solid()
    lens.format.fill.fore_color.rgb = _rgb(PILOT_LENS)
    pc.top_down(chart)
    va = chart.value_axis
    va.tick_labels.number_format = fmt
    va.tick_labels.number_format_is_linked = False
    _axis_title(va, f"NPV ({cur})")
    add_table(slide, ["", "NPV"], gap_rows(s), Inches(7.9), BODY_TOP, [3.4, 1.5], size=TABLE_PT)
    add_text(slide, ("The pilot lens is the same scenario seen as the pilot saw it: pilot "
                  "accuracy at launch, no drift, incidents at the pilot rate, every cohort "
                  "adopting like the pilot team, every error captured."),
          Inches(7.9), Inches(4.6), Inches(4.9), Inches(1.8), size=NOTE_PT)
    add_notes(slide, "Expectation gap = pilot-lens NPV minus production NPV P50; computed on "
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
    header = ["Input", "Low", "Likely", "High", "Unit", "Source"]
    align = [PP_ALIGN.LEFT] + [PP_ALIGN.RIGHT] * 3 + [PP_ALIGN.LEFT] * 2
    for k, page in enumerate(pages, start=1):
        slide = new_slide(prs, _paged_title(TITLE_ASSUMPTIONS, k, len(pages)))
        rows = []
        for i in page:
            r = df.iloc[i]
            rows.append([r["label"], *(fmt_input(r[c], r["schema_unit"], cur)
                                       for c in ("low", "likely", "high")),
                         r["unit"], _source_cell(r["source"])])
        add_table(slide, header, rows, MARGIN, BODY_TOP, [4.1, 1.25, 1.25, 1.25, 2.75, 1.7],
               size=SMALL_TABLE_PT, align=align)
        add_text(slide, ASSUMPTIONS_NOTE, MARGIN, Inches(6.8), SLIDE_WIDTH - 2 * MARGIN,
              Inches(0.5), size=NOTE_PT)
        keys = "; ".join(f"{df.iloc[i]['label']} = {df.iloc[i]['input']} "
                         f"({df.iloc[i]['distribution']}, source {df.iloc[i]['source']})"
                         for i in page)
        add_notes(slide, f"{ASSUMPTIONS_NOTE}\n\nScenario-file keys: {keys}.")


def _source_cell(source: str) -> str:
    """Short source for the slide: your file, or where an inherited value came from."""
    if source == "file":
        return "your file"
    kind, _, name = source.partition(":")
    return f"{kind}: {name.removesuffix('.toml')}"[:24] if name else kind


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
        slide = new_slide(prs, _paged_title(TITLE_LEVERS, k, len(pages)))
        rows = [cells[i] for i in page]
        add_table(slide, cols, rows, MARGIN, BODY_TOP, widths, size=SMALL_TABLE_PT, align=align)
        add_notes(slide, "Every on/off combination of the four levers, simulated on common "
                      "random numbers with the same seed.")


# --------------------------------------------------------------------------- the answer


def _answer_slide(prs, res: SimulationResult, findings: Findings | None) -> None:
    slide = new_slide(prs, TITLE_ANSWER)
    sentence = answer_sentence(res, findings)
    add_text(slide, sentence, MARGIN, BODY_TOP, SLIDE_WIDTH - 2 * MARGIN, Inches(1.5),
          size=20, bold=True)
    rows = answer_rows(res, findings)
    add_table(slide, ["", "Value", "How it was computed"], rows, MARGIN, Inches(3.0),
           [3.4, 3.3, 5.6], size=SMALL_TABLE_PT,
           align=[PP_ALIGN.LEFT, PP_ALIGN.RIGHT, PP_ALIGN.LEFT])
    how = [f"{a}: {b} ({c})." for a, b, c in rows]
    add_notes(slide, "The answer in one sentence, then its numbers.\n" + "\n".join(how) +
           "\nLever steps: start from no levers and add, one at a time, the lever that "
           "raises the NPV median most (the recovery path of the lever analysis); "
           "P(NPV > 0) added is the change from the previous step, on common random "
           "numbers.")


def _waterfall_slide(prs, res: SimulationResult, gap) -> None:
    from ..charts.analysis import gap_waterfall_frame

    cur = res.summary["currency"]
    slide = new_slide(prs, TITLE_WATERFALL)
    steps = gap_waterfall_frame(gap)
    steps["label"] = [F.money(v, cur) for v in steps["amount"]]
    big = float(np.nanmax(np.abs(steps[["start", "end"]].to_numpy())))
    g = gap.summary.iloc[0]
    pc.add_waterfall_chart(slide, (MARGIN, BODY_TOP, Inches(8.2), Inches(5.2)), steps,
                           chart_money_format(cur, big), f"NPV {g['stat']} ({cur})")
    att = gap.attribution
    modes = att[~att["mode"].isin(["interaction", "total"])]
    rows = [(str(r["label"]), F.money(r["shapley"], cur), F.pct(r["shapley_share"]))
            for _, r in modes.iterrows()]
    add_table(slide, ["Cause", "Share of gap", "%"], rows, Inches(9.0), BODY_TOP,
           [2.2, 1.4, 0.7], size=SMALL_TABLE_PT)
    add_text(slide, (f"Gap {F.money(g['gap'], cur)} (± {F.money(g['gap_se'], cur)} s.e.) "
                  f"from the pilot-lens NPV down to the production {g['stat']}. Each bar "
                  f"is one failure mode's Shapley share; the four sum to the gap."),
          Inches(9.0), Inches(4.2), Inches(3.8), Inches(2.2), size=NOTE_PT)
    add_notes(slide, "Expectation-gap waterfall. The four production effects (data quality, "
                  "integration, change management, no feedback) are switched on and off "
                  "in all 16 combinations on common random numbers; each mode's Shapley "
                  "value is its average loss over the 24 orders of switching them on, so "
                  "the four shares sum exactly to the gap (pilot-lens NPV minus production "
                  f"{g['stat']}). Standard error by bootstrap over paths.")


def _lever_order_slide(prs, res: SimulationResult, levers) -> None:
    cur = res.summary["currency"]
    slide = new_slide(prs, TITLE_LEVER_ORDER)
    m = levers.marginal
    vals = [float(v) for v in m["marginal_npv_mean"]]
    pc.add_bar_chart(slide, (MARGIN, BODY_TOP, Inches(6.0), Inches(4.6)), list(m["label"]),
                     vals, chart_money_format(cur, max(abs(v) for v in vals) or 1.0),
                     f"Mean NPV gained by switching it on ({cur})")
    steps = lever_steps(levers)
    rows = [(str(r["step"]), r["label"], F.pct(r["prob_npv_positive"]),
             "" if r["prob_added"] is None or pd.isna(r["prob_added"])
             else ("+" if r["prob_added"] >= 0 else "-") + F.pp(abs(r["prob_added"]), 0),
             F.money(r["npv_p50"], cur)) for _, r in steps.iterrows()]
    add_table(slide, ["Step", "Add", "P(NPV > 0)", "Adds", "NPV P50"], rows, Inches(6.7),
           BODY_TOP, [0.75, 2.0, 1.3, 0.85, 1.3], size=SMALL_TABLE_PT,
           align=[PP_ALIGN.RIGHT, PP_ALIGN.LEFT] + [PP_ALIGN.RIGHT] * 3)
    best = levers.best.iloc[0]
    add_text(slide, (f"Best portfolio by NPV median: {best['portfolio']} (lever cost "
                  f"{F.money(best['lever_cost_mean'], cur)} PV, P(NPV > 0) "
                  f"{F.pct(best['prob_npv_positive'])})."),
          MARGIN, Inches(6.1), SLIDE_WIDTH - 2 * MARGIN, Inches(0.9), size=NOTE_PT)
    add_notes(slide, "Left: each lever's marginal value, the mean per-path NPV change from "
                  "switching it on, averaged over the 8 portfolios of the other levers. "
                  "Right: the recovery path, adding the lever that raises the NPV median "
                  "most at each step until none does; P(NPV > 0) is the share of paths "
                  "with positive NPV for that portfolio. All 16 portfolios run on the "
                  "same sampled inputs and seed (common random numbers).")


def _tornado_slide(prs, res: SimulationResult, sens) -> None:
    cur = res.summary["currency"]
    slide = new_slide(prs, TITLE_TORNADO)
    t = sens.tornado.sort_values("rank")
    labels = [input_label(p, cur) for p in t["input"]]
    d = np.concatenate([t["npv_p50_low"] - t["base_npv_p50"],
                        t["npv_p50_high"] - t["base_npv_p50"]]).astype(float)
    pc.add_tornado_chart(slide, (MARGIN, BODY_TOP, SLIDE_WIDTH - 2 * MARGIN, Inches(5.0)),
                         t, labels, chart_money_format(cur, float(np.nanmax(np.abs(d))) or 1.0),
                         f"Change in NPV median ({cur})")
    add_text(slide, (f"Base NPV median {F.money(sens.base_npv_p50, cur)}. Each row holds one "
                  f"input at its P10 (orange) and its P90 (blue), the others sampled; "
                  f"widest swing on top."),
          MARGIN, Inches(6.45), SLIDE_WIDTH - 2 * MARGIN, Inches(0.8), size=NOTE_PT)
    keys = "; ".join(f"{lab} = {p}" for lab, p in zip(labels, t["input"], strict=True))
    add_notes(slide, "Tornado: for each leading input, the model is re-run with that input "
                  "fixed at its own P10 and then its P90 while every other input keeps its "
                  "sampled values (common random numbers); the bars are the change of the "
                  "NPV median from the base run. Inputs are ranked by the swing between "
                  f"the two.\n\nScenario-file keys: {keys}.")


METHODS = (
    "Monte Carlo: each path samples every uncertain input once from its distribution "
    "(PERT, triangular, uniform, normal, lognormal or beta; rank correlations by Iman-"
    "Conover) and runs the monthly model over the horizon.",
    "NPV: monthly cash flows discounted at (1 + annual rate)^(1/12) - 1; month 0 holds "
    "the one-off build and lever costs. ROI = (PV benefit - PV cost) / PV cost.",
    "Pilot lens: the same path as the pilot saw it (pilot accuracy, no drift, pilot "
    "incident rate and adoption for every cohort). Expectation gap = pilot-lens NPV minus "
    "production NPV P50.",
    "Percentiles (P10, P50, P90) are over paths; Monte Carlo standard errors come from the "
    "binomial (probabilities) and order-statistic (percentiles) formulas.",
    "Levers, gap causes and tornado re-run the model on common random numbers: the same "
    "sampled inputs and seed, so differences are the change, not sampling noise.",
)


def _methods_slide(prs, res: SimulationResult, findings: Findings | None) -> None:
    s = res.summary
    slide = new_slide(prs, TITLE_METHODS)
    lines = [f"{s['paths']:,} paths, seed {s['seed']}, {s['horizon_months']} months; money "
             f"in {s['currency']}."] + ["• " + m for m in METHODS]
    if findings is not None and findings.paths is not None:
        lines.append(f"• The analyses ran on {findings.paths:,} paths of the same seed.")
    add_text(slide, lines, MARGIN, BODY_TOP, SLIDE_WIDTH - 2 * MARGIN, Inches(5.6), size=15)
    add_notes(slide, "Definitions behind every number in the deck; docs/model.md and "
                  "docs/analysis.md give the formulas.")


def _edits_slide(prs, res: SimulationResult, edits: Mapping[str, tuple[Any, Any]]) -> None:
    cur = res.summary["currency"]
    slide = new_slide(prs, TITLE_EDITS)
    rows = []
    for path, (before, after) in list(edits.items())[:ROWS_PER_SLIDE]:
        rows.append((_cut(_edit_label(path, cur)), _edit_cell(before), _edit_cell(after)))
    add_table(slide, ["Input", "In the file", "In this deck"], rows, MARGIN, BODY_TOP,
           [5.3, 3.5, 3.5], size=SMALL_TABLE_PT,
           align=[PP_ALIGN.LEFT, PP_ALIGN.LEFT, PP_ALIGN.LEFT])
    more = len(edits) - len(rows)
    if more > 0:
        add_text(slide, f"... and {more} more edits (see the speaker notes).", MARGIN,
              Inches(6.8), SLIDE_WIDTH - 2 * MARGIN, Inches(0.5), size=NOTE_PT)
    add_notes(slide, "The deck was built from the scenario file with these edits (made in the "
                  "app):\n" + "\n".join(f"{p}: {_edit_text(a)} -> {_edit_text(b)}"
                                          for p, (a, b) in edits.items()))


#: slide labels of the edited paths the input labels do not name: the Rollout tab's rows
_EDIT_LABELS = (("adoption.cohorts[", "Rollout wave: {}"),
                ("correlations[", "Rank correlation {}"))
#: a text (a wave, a name, a description) longer than this is cut on the slide, to keep
#: each row within two lines; the notes keep it whole
EDIT_CELL_CHARS = 70


def _edit_label(path: str, cur: str) -> str:
    """The slide's name of an edited path: its input label, ``Rollout wave: <name>``,
    ``Rank correlation a ~ b`` for a pair, the path itself when nothing better is known
    (the speaker notes give every path as it is written in the file)."""
    for prefix, label in _EDIT_LABELS:
        if path.startswith(prefix) and "]" in path:
            return label.format(path[len(prefix):path.rindex("]")]) + path[path.rindex("]") + 1:]
    if path in ("scenario.name", "scenario.description", "scenario.currency"):
        return f"Scenario {path.split('.')[1]}"
    try:
        return input_label(path, cur)
    except (KeyError, ValueError):
        return path


def _cut(t: str, n: int = EDIT_CELL_CHARS) -> str:
    return t if len(t) <= n else t[:n - 1].rstrip() + "…"


def _edit_cell(v: Any) -> str:
    """:func:`_edit_text` as the slide's table shows it: a long text cut (numbers never)."""
    return _cut(_edit_text(v)) if isinstance(v, str) else _edit_text(v)


def _edit_text(v: Any) -> str:
    if isinstance(v, Mapping) and "dist" in v:  # a distribution: 'PERT min 1, mode 2, max 4'
        return f"{str(v['dist']).upper()} " + ", ".join(
            f"{k} {F.number(x) if isinstance(x, int | float) else x}"
            for k, x in v.items() if k != "dist" and not (k == "lambda" and x == 4.0))
    if isinstance(v, tuple) and len(v) == 3:
        return " / ".join(f"{w} {F.number(x)}" for w, x in zip(("low", "likely", "high"), v,
                                                                 strict=True))
    if isinstance(v, Mapping):
        return ", ".join(f"{k} {F.number(x) if isinstance(x, int | float) else x}"
                         for k, x in v.items())
    if isinstance(v, bool):
        return "on" if v else "off"
    if isinstance(v, int | float):
        return F.number(v)
    return str(v)


# --------------------------------------------------------------------------- public API


def build_deck(res: SimulationResult, *, findings: Findings | None | bool = True,
               levers: pd.DataFrame | None = None,
               lever_formatters: dict[str, Callable[[Any], str]] | None = None,
               edits: Mapping[str, tuple[Any, Any]] | None = None,
               extra_slides: Sequence[SlideBuilder] = (),
               date: _dt.date | None = None, bins: int = 30):
    """Build the finance deck of ``res`` as a ``pptx.Presentation`` (16:9).

    ``findings``: the analyses behind the answer, lever, waterfall and tornado slides;
    True (default) runs them on the result's seed (:func:`run_findings`), False or None
    leaves those slides out, a :class:`Findings` uses what it holds (``extra_rows`` are
    added to the answer table). ``levers``: a lever table to show instead of the lever
    analysis' combinations (cells formatted by column name unless ``lever_formatters``
    maps a column to a function). ``edits``: {input path: (file value, deck value)} made
    in the app. ``extra_slides``: functions ``f(prs, res, findings)`` that add slides
    before the methods slide (the hook for a staged plan or value-of-information slide).
    ``date`` defaults to today; ``bins`` is the number of NPV histogram bins.
    """
    if res.band_array is None:
        raise ValueError("the deck needs monthly bands: simulate(..., bands=True)")
    if findings is True:
        findings = run_findings(res)
    elif findings is False:
        findings = None
    s = res.summary
    cur = s["currency"]
    prs = Presentation()
    prs.slide_width, prs.slide_height = SLIDE_WIDTH, SLIDE_HEIGHT
    _title_slide(prs, res, date or _dt.date.today())
    _answer_slide(prs, res, findings)
    _headline_slide(prs, res)
    cum = band_series(res, "cum_net", FAN_STATS)
    _fan_slide(prs, res, "cum_net", TITLE_CUM_NET, f"Cumulative net cash ({cur})",
               chart_money_format(cur, float(np.nanmax(np.abs(cum.to_numpy())))),
               "Undiscounted cumulative benefit minus cost; month 0 carries the one-off "
               "build and lever costs. Light band: P10 to P90; dark band: P25 to P75; "
               "line: median.")
    _fan_slide(prs, res, "active_users", TITLE_ACTIVE, "Active users", COUNT_FORMAT,
               f"Active users per month (pilot team included); active rate at month 6, "
               f"P50: {fmt_pct(s['active_rate_m6_p50'], 0)}. Light band: P10 to P90; dark "
               f"band: P25 to P75; line: median.")
    _npv_slide(prs, res, bins)
    _gap_slide(prs, res)
    if findings is not None and findings.gap is not None:
        _waterfall_slide(prs, res, findings.gap)
    if findings is not None and findings.levers is not None:
        _lever_order_slide(prs, res, findings.levers)
        if levers is None:
            from .tables import levers_frame

            levers = levers_frame(findings.levers.combinations)
    if levers is not None and len(levers):
        _lever_slides(prs, res, levers, lever_formatters)
    if findings is not None and findings.sensitivity is not None:
        _tornado_slide(prs, res, findings.sensitivity)
    if findings is not None and getattr(findings, "gates", None) is not None:
        from .staged_slide import add_staged_slide

        add_staged_slide(prs, findings.gates)
    for add in extra_slides:
        add(prs, res, findings)
    _methods_slide(prs, res, findings)
    if edits:
        _edits_slide(prs, res, edits)
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


__all__ = ["SlideBuilder", "add_notes", "add_table", "add_text", "build_deck", "deck_bytes",
           "new_slide", "write_deck"]
