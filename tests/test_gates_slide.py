"""The staged-plan slide: one native chart, the plan and gate tables, formatted numbers."""

from __future__ import annotations

import io

import pytest
from conftest import SCENARIOS
from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE

from simulator import load_scenario
from simulator.analysis.gates import gate_analysis
from simulator.export.deck import SLIDE_HEIGHT, SLIDE_WIDTH
from simulator.export.staged_slide import TITLE_STAGED, add_staged_slide
from simulator.export.tables import fmt_money, fmt_pct


@pytest.fixture(scope="module")
def analysis():
    return gate_analysis(load_scenario(SCENARIOS / "seed_case_staged.toml"), paths=300, seed=2)


def _texts(slide) -> str:
    parts = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            parts.append(shape.text_frame.text)
        if shape.has_table:
            parts.extend(c.text for row in shape.table.rows for c in row.cells)
    return "\n".join(parts)


def test_slide_has_chart_tables_and_formatted_numbers(analysis):
    prs = Presentation()
    prs.slide_width, prs.slide_height = SLIDE_WIDTH, SLIDE_HEIGHT
    add_staged_slide(prs, analysis)
    buf = io.BytesIO()
    prs.save(buf)  # a valid file, read back
    slide = Presentation(io.BytesIO(buf.getvalue())).slides[0]
    assert slide.shapes.title.text == TITLE_STAGED
    charts = [s.chart for s in slide.shapes if s.has_chart]
    assert len(charts) == 1 and charts[0].chart_type == XL_CHART_TYPE.COLUMN_CLUSTERED
    plot = charts[0].plots[0]
    assert list(plot.categories) == ["big bang", "gated", "no-go"]
    p50 = [s for s in plot.series if s.name == "NPV P50"][0]
    assert list(p50.values) == pytest.approx(list(analysis.plans["npv_p50"]))
    text = _texts(slide)
    s = analysis.summary.iloc[0]
    gated = analysis.plans.set_index("plan").loc["gated"]
    g = analysis.gates.iloc[0]
    for piece in (f"Option value of the gates: {fmt_money(s['option_value'], 'USD')}",
                  f"s.e. {fmt_money(s['option_value_se'], 'USD')}, paired",
                  fmt_money(gated["npv_p50"], "USD"), fmt_pct(gated["prob_npv_positive"]),
                  "Month-3 adoption review", "switch levers", fmt_pct(g["prob_pass"]),
                  "300 paths, seed 2"):
        assert piece in text
    assert "USD" in fmt_money(gated["npv_p50"], "USD")
    assert "nan" not in text.lower()
    assert slide.has_notes_slide and "observes" in slide.notes_slide.notes_text_frame.text
