"""The deck's appendix (``--appendix``): title page, headline ranges, active users, the
signed-off case against the range, every combination of levers, the app's edits and the
assumption tables. The same builders serve ``--slides`` when a reader picks one of them.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from pptx.chart.data import CategoryChartData
from pptx.enum.chart import XL_CHART_TYPE
from pptx.enum.text import PP_ALIGN
from pptx.util import Inches, Pt

from .. import formatting as F
from ..charts.theme import PILOT_LENS, PRODUCTION
from ..labels import input_label
from ..results import SimulationResult
from ..scenario import lever_count_words
from .pptx_kit import (
    _TITLE_SLIDE,
    BODY_TOP,
    EDIT_ROWS_PER_SLIDE,
    FOOT_TOP,
    LEVER_ROWS_PER_SLIDE,
    MARGIN,
    NOTE_PT,
    ROWS_PER_SLIDE,
    SLIDE_WIDTH,
    SMALL_TABLE_PT,
    TABLE_PT,
    add_notes,
    add_table,
    add_text,
    axis_title,
    chunks,
    new_slide,
    paged_title,
    rgb,
    set_cell,
    style_chart,
    top_down,
)
from .tables import (
    assumptions_frame,
    chart_money_format,
    column_kind,
    fmt_inputs,
    fmt_money,
    fmt_number,
    fmt_pct,
    gap_rows,
    headline_rows,
)

TITLE_HEADLINE = "Headline ranges"
TITLE_GAP = "Expectation gap: signed-off case vs realistic range"
TITLE_LEVERS = "Levers: every combination"
TITLE_EDITS = "Edits to the scenario file"
TITLE_ASSUMPTIONS = "Assumptions"


def title_slide(prs, res: SimulationResult, date: _dt.date) -> None:
    """A title page: the scenario, the run and the date."""
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


def headline_slide(prs, res: SimulationResult) -> None:
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
    set_cell(table.cell(last, 1), rows[-1][2], 16, align=PP_ALIGN.CENTER)
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


GAP_CATEGORIES = ("Pilot lens (signed off)", "Production P90", "Production P50",
                  "Production P10")


def gap_range_slide(prs, res: SimulationResult) -> None:
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
    style_chart(chart)
    chart.has_legend = False
    plot = chart.plots[0]
    plot.gap_width = 40
    plot.vary_by_categories = False
    series = plot.series[0]
    series.invert_if_negative = False
    series.format.fill.solid()
    series.format.fill.fore_color.rgb = rgb(PRODUCTION)
    lens = series.points[len(values) - 1]
    lens.format.fill.solid()
    lens.format.fill.fore_color.rgb = rgb(PILOT_LENS)
    top_down(chart)
    va = chart.value_axis
    va.tick_labels.number_format = fmt
    va.tick_labels.number_format_is_linked = False
    axis_title(va, f"NPV ({cur})")
    add_table(slide, ["", "NPV"], gap_rows(s), Inches(7.9), BODY_TOP, [3.4, 1.5], size=TABLE_PT)
    add_text(slide, ("The pilot lens is the same scenario seen as the pilot saw it: pilot "
                  "accuracy at launch, no drift, incidents at the pilot rate, every cohort "
                  "adopting like the pilot team, every error captured."),
          Inches(7.9), Inches(4.6), Inches(4.9), Inches(1.8), size=NOTE_PT)
    add_notes(slide, "Expectation gap = pilot-lens NPV minus production NPV P50; computed on "
                  "common random numbers.")


ASSUMPTIONS_NOTE = ("Low / likely / high: min / mode / max for PERT and triangular inputs, "
                    "min / midpoint / max for uniform, P10 / P50 / P90 for the others; "
                    "fixed inputs repeat their value.")


def assumption_slides(prs, res: SimulationResult) -> None:
    sc = res.scenario
    cur = sc.scenario.currency
    df = assumptions_frame(sc)
    pages = chunks(len(df), ROWS_PER_SLIDE)
    header = ["Input", "Low", "Likely", "High", "Unit", "Source"]
    align = [PP_ALIGN.LEFT] + [PP_ALIGN.RIGHT] * 3 + [PP_ALIGN.LEFT] * 2
    for k, page in enumerate(pages, start=1):
        slide = new_slide(prs, paged_title(TITLE_ASSUMPTIONS, k, len(pages)))
        rows = []
        for i in page:
            r = df.iloc[i]
            rows.append([r["label"], *fmt_inputs([r[c] for c in ("low", "likely", "high")],
                                                 r["schema_unit"], cur),
                         r["unit"], source_cell(r["source"])])
        add_table(slide, header, rows, MARGIN, BODY_TOP, [3.8, 1.15, 1.15, 1.15, 2.5, 2.5],
                  size=SMALL_TABLE_PT, align=align)
        add_text(slide, ASSUMPTIONS_NOTE, MARGIN, FOOT_TOP, SLIDE_WIDTH - 2 * MARGIN,
              Inches(0.5), size=NOTE_PT)
        keys = "; ".join(f"{df.iloc[i]['label']} = {df.iloc[i]['input']} "
                         f"({df.iloc[i]['distribution']}, source {df.iloc[i]['source']})"
                         for i in page)
        add_notes(slide, f"{ASSUMPTIONS_NOTE}\n\nScenario-file keys: {keys}.")


def source_cell(source: str) -> str:
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


def lever_slides(prs, res: SimulationResult, levers: pd.DataFrame,
                  formatters: dict[str, Callable[[Any], str]] | None) -> None:
    cur = res.summary["currency"]
    formatters = formatters or {}
    df = levers.reset_index() if levers.index.name is not None else levers
    cols = [str(c) for c in df.columns]
    cells = [[formatters[c](v) if c in formatters else _default_cell(c, v, cur)
              for c, v in zip(cols, row, strict=True)] for row in df.itertuples(index=False)]
    # column widths in proportion to their longest text (headers may wrap onto two lines)
    # (a long text column, e.g. the levers spelled out, wraps at about 30 characters;
    # numbers never wrap)
    need = [max([max(map(len, h.split())) * 1.1, len(h) * 0.6]
                + [len(r[j]) if len(r[j]) < 12 else min(30, len(r[j])) for r in cells]) + 2
            for j, h in enumerate(cols)]
    total = (SLIDE_WIDTH - 2 * MARGIN) / Inches(1)
    widths = [total * n / sum(need) for n in need]
    align = [PP_ALIGN.RIGHT if pd.api.types.is_numeric_dtype(df[c])
             and not pd.api.types.is_bool_dtype(df[c]) else PP_ALIGN.LEFT for c in df.columns]
    pages = chunks(len(df), LEVER_ROWS_PER_SLIDE)
    for k, page in enumerate(pages, start=1):
        slide = new_slide(prs, paged_title(TITLE_LEVERS, k, len(pages)))
        rows = [cells[i] for i in page]
        add_table(slide, cols, rows, MARGIN, BODY_TOP, widths, size=SMALL_TABLE_PT, align=align)
        add_notes(slide, f"Every on/off combination of the {lever_count_words()}, simulated "
                      "on common random numbers with the same seed.")


def edits_slide(prs, res: SimulationResult, edits: Mapping[str, tuple[Any, Any]]) -> None:
    cur = res.summary["currency"]
    slide = new_slide(prs, TITLE_EDITS)
    rows = []
    for path, (before, after) in list(edits.items())[:EDIT_ROWS_PER_SLIDE]:
        rows.append((_cut(_edit_label(path, cur)), _edit_cell(before), _edit_cell(after)))
    add_table(slide, ["Input", "In the file", "In this deck"], rows, MARGIN, BODY_TOP,
           [5.3, 3.5, 3.5], size=SMALL_TABLE_PT,
           align=[PP_ALIGN.LEFT, PP_ALIGN.LEFT, PP_ALIGN.LEFT])
    more = len(edits) - len(rows)
    if more > 0:
        add_text(slide, f"... and {more} more edits (see the speaker notes).", MARGIN,
              FOOT_TOP, SLIDE_WIDTH - 2 * MARGIN, Inches(0.5), size=NOTE_PT)
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
