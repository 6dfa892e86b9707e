"""The deck slide "What is worth learning before the rollout": a native bar chart of what
knowing each uncertainty is worth, and the headline numbers beside it.

``add_voi_slide(prs, result)`` appends the slide to a python-pptx ``Presentation``
(16:9, geometry from :mod:`simulator.export.pptx_kit`); it reaches the deck through the
deck's ``extra_slides`` hook. Its first line is the verdict (:func:`voi_verdict`).
"""

from __future__ import annotations

import math

from pptx.chart.data import CategoryChartData
from pptx.enum.chart import XL_CHART_TYPE
from pptx.util import Inches, Pt

from ..formatting import chart_money_format
from ..formatting import money as money_label
from ..labels import input_label
from ..verdicts import voi_material, voi_verdict
from ..voi.analysis import VoiAnalysis
from .pptx_kit import BODY_PT as _BODY_PT
from .pptx_kit import BODY_TOP as _TOP
from .pptx_kit import CHART_PT as _SMALL_PT
from .pptx_kit import MARGIN as _MARGIN
from .pptx_kit import add_text, new_slide

TITLE = "What is worth learning before the rollout"


def _money(x: float, cur: str) -> str:
    return "n/a" if x is None or math.isnan(x) else money_label(x, cur)


def voi_lines(v: VoiAnalysis) -> list[str]:
    """The slide's text: best decision, EVPI, best study, luck share, top group."""
    cur = v.currency
    lines = [voi_verdict(v),
             f"Knowing every uncertain input (EVPI): {_money(v.evpi, cur)} "
             f"(± {_money(v.evpi_se, cur)}).  The most any study could be worth."]
    groups = v.evppi[v.evppi["kind"] == "group"]
    if len(groups):
        g = groups.iloc[0]
        lines.append(f"Worth learning most: {g['input']} ({_money(g['value'], cur)}).")
    for r in v.evsi.itertuples():
        lines.append(f"{r.study}: worth {_money(r.value, cur)} (± {_money(r.se, cur)}).")
    lines.append(f"Month-to-month luck: {v.luck_share:.0%} of the NPV variance; no study "
                 "removes it.")
    if not v.sobol.empty:
        s1 = v.sobol[v.sobol["metric"] == "npv"]["S1"].sum()
        lines.append(f"Inputs acting alone (sum of first-order Sobol indices): {s1:.2f} of "
                     "the variance; the rest is interactions and luck.")
    return lines


def _category(name: str, kind: str, currency: str) -> str:
    """A group's name, capitalised, or an input's readable label without its unit."""
    if kind == "group":
        return f"{name[:1].upper()}{name[1:]} (all inputs)"
    return input_label(name, currency, unit=False)


def add_voi_slide(prs, result: VoiAnalysis, top: int = 6):
    """Append the value-of-information slide to ``prs``; returns the slide."""
    width = prs.slide_width
    slide = new_slide(prs, TITLE)
    _notes(slide, result)
    if not voi_material(result):
        # nothing is worth learning: the verdict, not an empty chart of zeros
        add_text(slide, voi_lines(result), _MARGIN, _TOP, width - 2 * _MARGIN, Inches(5.0),
                 size=_BODY_PT)
        return slide
    ev = result.evppi
    rows = list(ev[ev["kind"] == "group"].itertuples()) + \
        list(ev[ev["kind"] == "input"].head(top).itertuples())
    data = CategoryChartData()
    data.categories = [_category(r.input, r.kind, result.currency) for r in reversed(rows)]
    data.add_series(f"EVPPI ({result.currency})", [max(0.0, float(r.value))
                                                   for r in reversed(rows)])
    chart_w = int(width * 0.55)
    frame = slide.shapes.add_chart(XL_CHART_TYPE.BAR_CLUSTERED, _MARGIN, _TOP, chart_w,
                                   Inches(5.6), data)
    chart = frame.chart
    chart.has_legend = False
    chart.font.size = Pt(_SMALL_PT)
    axis = chart.value_axis
    top_value = max([max(0.0, float(r.value)) for r in rows] + [1.0])
    axis.tick_labels.number_format = chart_money_format(result.currency, top_value)
    axis.tick_labels.number_format_is_linked = False
    axis.has_title = True
    axis.axis_title.text_frame.text = f"Expected value of perfect information ({result.currency})"
    box = slide.shapes.add_textbox(_MARGIN + chart_w + Inches(0.3), _TOP,
                                   width - chart_w - 2 * _MARGIN - Inches(0.3), Inches(5.6))
    tf = box.text_frame
    tf.word_wrap = True
    for i, line in enumerate(voi_lines(result)):
        p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        run = p.add_run()
        run.text = line
        # the verdict first, a size up and bold; the figures behind it below
        run.font.size = Pt(_SMALL_PT + 2 if i == 0 else _SMALL_PT)
        run.font.bold = i == 0
        p.space_after = Pt(6)
    return slide


def _notes(slide, result: VoiAnalysis) -> None:
    slide.notes_slide.notes_text_frame.text = (
        "EVPPI: the mean gain from choosing among no-go, go as written and the lever "
        "portfolios after learning the group or input exactly (regression estimate, "
        "cross-fitted; ± bootstrap s.e.). EVSI: the same for a pilot extension's result. "
        f"{result.paths:,} paths, seed {result.seed}; values floored at 0 (one may always "
        "ignore what one learns); see docs/analysis.md section 5.")
