"""The deck's staged-plan slide: big bang vs gated vs no-go, the gates and the option value.

``add_staged_slide(prs, analysis)`` appends one slide built from a
:class:`~simulator.analysis.gates.GateAnalysis`: a native bar chart of NPV P10/P50/P90 per
plan, the plan and gate tables, and the option value with its paired standard error.
"""

from __future__ import annotations

from pptx.chart.data import CategoryChartData
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION, XL_TICK_LABEL_POSITION
from pptx.util import Inches, Pt

from ..analysis.gates import GateAnalysis
from ..charts.theme import PALETTE
from ..verdicts import gates_verdict
from .pptx_kit import (
    BODY_TOP,
    CHART_PT,
    FOOT_TOP,
    MARGIN,
    NOTE_PT,
    SLIDE_WIDTH,
    SMALL_TABLE_PT,
    axis_title,
    rgb,
    style_chart,
)
from .pptx_kit import add_notes as _notes
from .pptx_kit import add_table as _table
from .pptx_kit import add_text as _text
from .pptx_kit import new_slide as _new_slide
from .tables import chart_money_format, fmt_money, fmt_pct

TITLE_STAGED = "Staged rollout: gated plan vs big bang vs no-go"
_STATS = (("P10", "npv_p10"), ("P50", "npv_p50"), ("P90", "npv_p90"))


def plan_rows(analysis: GateAnalysis, currency: str) -> list[list[str]]:
    """One row per plan: mean, its s.e., P10, P50, P90, P(NPV > 0)."""
    return [[r["plan"], fmt_money(r["npv_mean"], currency),
             fmt_money(r["npv_mean_se"], currency),
             fmt_money(r["npv_p10"], currency), fmt_money(r["npv_p50"], currency),
             fmt_money(r["npv_p90"], currency), fmt_pct(r["prob_npv_positive"])]
            for r in analysis.plans.to_dict("records")]


def gate_rows(analysis: GateAnalysis) -> list[list[str]]:
    """One row per gate: name, month, on fail, P(pass | reached), P(pass)."""
    return [[r["gate"], str(int(r["month"])), r["on_fail"].replace("_", " "),
             fmt_pct(r["prob_pass_if_reached"]), fmt_pct(r["prob_pass"])]
            for r in analysis.gates.to_dict("records")]


def add_staged_slide(prs, analysis: GateAnalysis):
    """Append the staged-plan slide to ``prs`` (a python-pptx Presentation); returns it."""
    s = analysis.summary.iloc[0]
    cur = s["currency"]
    slide = _new_slide(prs, TITLE_STAGED)
    plans = analysis.plans.to_dict("records")
    values = [float(r[k]) for r in plans for _, k in _STATS]
    fmt = chart_money_format(cur, max(abs(v) for v in values) or 1.0)
    data = CategoryChartData(number_format=fmt)
    data.categories = [r["plan"] for r in plans]
    for label, key in _STATS:
        data.add_series(f"NPV {label}", [float(r[key]) for r in plans], number_format=fmt)
    chart = slide.shapes.add_chart(XL_CHART_TYPE.COLUMN_CLUSTERED, MARGIN, BODY_TOP,
                                   Inches(5.6), Inches(4.6), data).chart
    style_chart(chart)
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    chart.legend.include_in_layout = False
    chart.legend.font.size = Pt(CHART_PT)
    for series, colour in zip(chart.plots[0].series, (PALETTE[1], PALETTE[0], PALETTE[2]),
                              strict=True):
        series.format.fill.solid()
        series.format.fill.fore_color.rgb = rgb(colour)
    chart.category_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW
    va = chart.value_axis
    va.tick_labels.number_format = fmt
    va.tick_labels.number_format_is_linked = False
    axis_title(va, f"NPV ({cur})")
    left = Inches(6.3)
    size = SMALL_TABLE_PT - 1
    row_in = 0.12 + size / 72 * 1.2  # the table helper's row height, inches
    plans_rows = plan_rows(analysis, cur)
    _table(slide, ["Plan", "NPV mean", "s.e.", "P10", "P50", "P90", "P(NPV > 0)"],
           plans_rows, left, BODY_TOP, [0.8, 1.05, 0.75, 1.0, 1.0, 1.0, 0.95], size=size)
    gates_top = BODY_TOP + Inches(row_in * (len(plans_rows) + 1) + 0.35)
    gates_rows = gate_rows(analysis)
    _table(slide, ["Gate", "Month", "On fail", "P(pass | reached)", "P(pass)"],
           gates_rows, left, gates_top, [2.2, 0.8, 1.35, 1.35, 0.85], size=size)
    text_top = gates_top + Inches(row_in * (len(gates_rows) + 2) + 0.3)
    _text(slide, [
        gates_verdict(analysis),
        f"Option value of the gates: {fmt_money(s['option_value'], cur)} "
        f"(s.e. {fmt_money(s['option_value_se'], cur)}, paired), the mean NPV of the gated "
        f"plan minus big bang.",
        f"P(stop) {fmt_pct(s['prob_stop'])}; months held on average "
        f"{s['months_held_mean']:.2f}.",
    ], left, text_top, SLIDE_WIDTH - left - MARGIN, FOOT_TOP - text_top, size=NOTE_PT)
    _text(slide, (f"{int(s['paths']):,} paths, seed {int(s['seed'])}; all three plans on "
                  f"common random numbers. Big bang: the plan as written without gates; "
                  f"no-go: NPV 0."),
          MARGIN, FOOT_TOP, SLIDE_WIDTH - 2 * MARGIN, Inches(0.6), size=NOTE_PT)
    _notes(slide, "Each gate is reviewed at the end of its month on what the organisation "
                  "observes (active rate, spot-checked accuracy, incidents since the last "
                  "review); a failure holds later waves, stops the rollout or switches "
                  "levers on from the next month.")
    return slide
