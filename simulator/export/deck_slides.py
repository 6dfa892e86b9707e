"""The default CFO deck's slides: the answer, the forecast, the NPV distribution, costs and
benefits by line, where the expectation gap comes from, what to fix first, the top risks
and the methods. Each builder takes the presentation and what it shows, and says in its
speaker notes how the numbers were computed.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence

import numpy as np
import pandas as pd
from pptx.chart.data import CategoryChartData
from pptx.enum.chart import XL_CHART_TYPE, XL_TICK_LABEL_POSITION
from pptx.enum.text import PP_ALIGN
from pptx.util import Inches, Pt

from .. import formatting as F
from ..charts.theme import PALETTE, PRODUCTION
from ..labels import input_label
from ..results import SimulationResult
from ..scenario import MODES, combination_count
from ..verdicts import gap_verdict, levers_verdict, sensitivity_verdict
from . import pptx_charts as pc
from .cashflow import cash_flow, pv_by_line
from .deck_answer import Findings, answer_rows, answer_sentence, lever_steps
from .pptx_kit import (
    BODY_TOP,
    FOOT_TOP,
    MARGIN,
    NOTE_PT,
    SLIDE_WIDTH,
    SMALL_TABLE_PT,
    add_notes,
    add_table,
    add_text,
    axis_title,
    chart_box,
    footnote,
    new_slide,
    rgb,
    style_chart,
)
from .tables import (
    COUNT_FORMAT,
    band_series,
    chart_money_format,
    fmt_money,
    fmt_pct,
    npv_histogram,
)

TITLE_ANSWER = "The answer"
TITLE_CUM_NET = "Forecast: cumulative net cash"
TITLE_ACTIVE = "Forecast: active users"
TITLE_USAGE = "Usage: ever used, monthly, weekly and daily active"
TITLE_NPV = "NPV distribution"
TITLE_COSTS = "Costs and benefits by line"
TITLE_WATERFALL = "Where the expectation gap comes from"
TITLE_LEVER_ORDER = "Levers: what to fix first"
TITLE_TORNADO = "Top risks: which inputs move the NPV most"
TITLE_METHODS = "Methods"
FAN_STATS = ("p10", "p25", "p50", "p75", "p90")


def fitting_size(text: str, width, height, sizes: Sequence[int]) -> int:
    """The largest font size (points) at which bold ``text`` wraps into the box: about
    0.6 em a character and 1.25 em a line, word wrap allowed for."""
    for size in sizes:
        per_line = int(width / Pt(1) / (0.6 * size))
        lines, used = 1, 0
        for word in text.split():
            if used and used + 1 + len(word) > per_line:
                lines, used = lines + 1, len(word)
            else:
                used += (1 if used else 0) + len(word)
        if lines * 1.25 * size <= height / Pt(1):
            return size
    return sizes[-1]


def answer_slide(prs, res: SimulationResult, findings: Findings | None,
                 date: _dt.date | None = None) -> None:
    """The verdict in one or two sentences, its numbers, and what the run was."""
    s = res.summary
    slide = new_slide(prs, TITLE_ANSWER)
    sentence = answer_sentence(res, findings)
    width, height = SLIDE_WIDTH - 2 * MARGIN, Inches(1.6)
    add_text(slide, sentence, MARGIN, BODY_TOP, width, height,
             size=fitting_size(sentence, width, height, (16, 14, 12, 11)), bold=True)
    rows = answer_rows(res, findings)
    run = (f"{s['scenario']} · {s['paths']:,} paths · seed {s['seed']} · "
           f"{s['horizon_months']} months · money in {s['currency']} · prepared "
           f"{(date or _dt.date.today()).isoformat()}")
    footnote(slide, run)
    add_table(slide, ["", "Value", "How it was computed"], rows, MARGIN, Inches(3.0),
           [3.9, 3.0, 5.4], size=SMALL_TABLE_PT,
           align=[PP_ALIGN.LEFT, PP_ALIGN.RIGHT, PP_ALIGN.LEFT])
    how = [f"{a}: {b} ({c})." for a, b, c in rows]
    add_notes(slide, "The answer in one sentence, then its numbers.\n" + "\n".join(how) +
           "\nLever steps: start from no levers and add, one at a time, the lever that "
           "raises the NPV median most (the recovery path of the lever analysis); "
           "P(NPV > 0) added is the change from the previous step, on common random "
           "numbers.")


def fan_slide(prs, res: SimulationResult, metric: str, title: str, axis_title: str,
               number_format: str, note: str) -> None:
    slide = new_slide(prs, title)
    bands = band_series(res, metric, FAN_STATS)
    pc.add_fan_chart(slide, chart_box(), bands, number_format, axis_title)
    footnote(slide, note)
    add_notes(slide, f"{title}: for each month, the 10th, 25th, 50th, 75th and 90th "
                  f"percentiles of the metric across the {res.summary['paths']:,} simulated "
                  f"paths. Light band: P10 to P90 (8 paths in 10); dark band: P25 to P75 "
                  f"(half the paths); line: the median. The chart's data sheet holds the "
                  f"unrounded P10 and the band widths (stacked), and the median.")


def npv_slide(prs, res: SimulationResult, bins: int) -> None:
    s = res.summary
    cur = s["currency"]
    slide = new_slide(prs, TITLE_NPV)
    edges, counts = npv_histogram(res.metric("npv"), bins)
    centres = 0.5 * (edges[:-1] + edges[1:])
    data = CategoryChartData(number_format=COUNT_FORMAT)
    data.categories = [F.money(float(c), cur) for c in centres]
    data.add_series("Paths", [int(c) for c in counts], number_format=COUNT_FORMAT)
    chart = slide.shapes.add_chart(XL_CHART_TYPE.COLUMN_CLUSTERED, *chart_box(), data).chart
    style_chart(chart)
    chart.has_legend = False
    plot = chart.plots[0]
    plot.gap_width = 15
    plot.vary_by_categories = False
    series = plot.series[0]
    series.format.fill.solid()
    series.format.fill.fore_color.rgb = rgb(PRODUCTION)
    for i, c in enumerate(centres):
        if c < 0:
            point = series.points[i]
            point.format.fill.solid()
            point.format.fill.fore_color.rgb = rgb(PALETTE[1])
    va = chart.value_axis
    va.tick_labels.number_format = COUNT_FORMAT
    va.tick_labels.number_format_is_linked = False
    axis_title(va, "Paths")
    ca = chart.category_axis
    ca.tick_label_position = XL_TICK_LABEL_POSITION.LOW
    axis_title(ca, f"NPV ({cur}, bin centre)")
    add_text(slide, (f"Orange bins: NPV below zero. P(NPV > 0) = "
                     f"{fmt_pct(s['prob_npv_positive'])}; "
                  f"P10 {fmt_money(s['npv_p10'], cur)} · P50 {fmt_money(s['npv_p50'], cur)} · "
                  f"P90 {fmt_money(s['npv_p90'], cur)}; {len(counts)} equal-width bins "
                  f"of {fmt_money(float(edges[1] - edges[0]), cur)}."),
          MARGIN, FOOT_TOP, SLIDE_WIDTH - 2 * MARGIN, Inches(0.6), size=NOTE_PT)
    add_notes(slide, "Histogram of simulated NPV: each column counts the paths whose NPV falls "
                  "in that bin.")


def waterfall_slide(prs, res: SimulationResult, gap) -> None:
    from ..charts.waterfall import gap_waterfall_frame

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
    add_table(slide, ["Cause", "Share of gap", "%"], rows, Inches(8.85), BODY_TOP,
           [2.25, 1.2, 0.7], size=SMALL_TABLE_PT)
    add_text(slide, (f"{gap_verdict(gap)} Each bar is one failure mode's Shapley share "
                  f"(± {F.money(g['gap_se'], cur)} s.e. on the gap); the four sum to it."),
          Inches(9.0), Inches(4.2), Inches(3.8), Inches(2.2), size=NOTE_PT)
    add_notes(slide, "Expectation-gap waterfall. The four production effects (data quality, "
                  "integration, change management, no feedback) are switched on and off "
                  f"in all {combination_count(len(MODES))} combinations on common random "
                  "numbers; each mode's Shapley "
                  "value is its average loss over the 24 orders of switching them on, so "
                  "the four shares sum exactly to the gap (pilot-lens NPV minus production "
                  f"{g['stat']}). Standard error by bootstrap over paths.")


def lever_order_slide(prs, res: SimulationResult, levers) -> None:
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
    add_text(slide, levers_verdict(levers, cur),
          MARGIN, Inches(6.1), SLIDE_WIDTH - 2 * MARGIN, Inches(0.9), size=NOTE_PT)
    add_notes(slide, "Left: each lever's marginal value, the mean per-path NPV change from "
                  "switching it on, averaged over the 8 portfolios of the other levers. "
                  "Right: the recovery path, adding the lever that raises the NPV median "
                  "most at each step until none does; P(NPV > 0) is the share of paths "
                  "with positive NPV for that portfolio. "
                  f"All {combination_count()} portfolios run on the "
                  "same sampled inputs and seed (common random numbers).")


def risks_slide(prs, res: SimulationResult, sens) -> None:
    cur = res.summary["currency"]
    slide = new_slide(prs, TITLE_TORNADO)
    t = sens.tornado.sort_values("rank")
    labels = [input_label(p, cur) for p in t["input"]]
    d = np.concatenate([t["npv_p50_low"] - t["base_npv_p50"],
                        t["npv_p50_high"] - t["base_npv_p50"]]).astype(float)
    pc.add_tornado_chart(slide, (MARGIN, BODY_TOP, SLIDE_WIDTH - 2 * MARGIN, Inches(4.8)),
                         t, labels, chart_money_format(cur, float(np.nanmax(np.abs(d))) or 1.0),
                         f"Change in NPV median ({cur})")
    add_text(slide, (f"{sensitivity_verdict(sens)} Base NPV median "
                  f"{F.money(sens.base_npv_p50, cur)}; each row holds one input at its P10 "
                  f"(orange) and its P90 (blue), the others sampled."),
          MARGIN, Inches(6.2), SLIDE_WIDTH - 2 * MARGIN, Inches(0.95), size=NOTE_PT)
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


def methods_slide(prs, res: SimulationResult, findings: Findings | None) -> None:
    s = res.summary
    slide = new_slide(prs, TITLE_METHODS)
    lines = [f"{s['paths']:,} paths, seed {s['seed']}, {s['horizon_months']} months; money "
             f"in {s['currency']}."] + ["• " + m for m in METHODS]
    if findings is not None and findings.paths is not None:
        lines.append(f"• The analyses ran on {findings.paths:,} paths of the same seed.")
    add_text(slide, lines, MARGIN, BODY_TOP, SLIDE_WIDTH - 2 * MARGIN, Inches(5.5), size=15)
    add_notes(slide, "Definitions behind every number in the deck; docs/model.md and "
                  "docs/analysis.md give the formulas.")


def costs_slide(prs, res: SimulationResult) -> None:
    """Present value of the benefit and of each cost line: bars of the mean, a table of
    P10 / P50 / P90, so a CFO sees where the money goes."""
    cur = res.summary["currency"]
    slide = new_slide(prs, TITLE_COSTS)
    pv = pv_by_line(cash_flow(res), res.scenario.scenario.discount_rate_annual)
    vals = [float(r["pv_mean"]) * r["sign"] for _, r in pv.iterrows()]
    pc.add_bar_chart(slide, (MARGIN, BODY_TOP, Inches(6.0), Inches(5.0)), list(pv["line"]),
                     vals, chart_money_format(cur, max(abs(v) for v in vals) or 1.0),
                     f"Present value, mean over paths ({cur}); costs below zero")
    rows = [(r["line"], *F.money_row([r["pv_p10"], r["pv_p50"], r["pv_p90"]], cur))
            for _, r in pv.iterrows()]
    add_table(slide, ["Line (PV)", "P10", "P50", "P90"], rows, Inches(6.75), BODY_TOP,
              [2.6, 1.15, 1.15, 1.15], size=SMALL_TABLE_PT)
    net = res.summary["npv_mean"]
    footnote(slide, f"Benefit minus every cost line is the NPV (mean {F.money(net, cur)}). "
                    "Onboarding and levers: tier costs per user and the levers' running "
                    "costs; one-off: the build and the levers' set-up in month 0.")
    add_notes(slide, "Each line is rebuilt per path and month from the kernel's stored "
                     "trajectories and the path's inputs (licences from registered users, "
                     "inference and support from active users, incident fixes from "
                     "incidents, the platform fee while the rollout runs); onboarding and "
                     "levers is the rest of the month's cost, so the lines add up to the "
                     "total cost exactly. Discounted monthly as the NPV is.")
