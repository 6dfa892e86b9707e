"""The value-of-information tab (AppTest), its charts and its deck slide."""

from __future__ import annotations

import io

import pytest
from conftest import SCENARIOS
from pptx import Presentation
from pptx.util import Inches
from tab_harness import tab_app

from simulator.export.voi_slide import TITLE, add_voi_slide
from simulator.verdicts import spell_levers
from simulator.voi import value_of_information
from simulator.voi.chart import evppi_chart, sobol_chart

SEED_CASE = str(SCENARIOS / "seed_case.toml")


@pytest.fixture(scope="module")
def small_voi(seed_case):
    return value_of_information(seed_case, paths=600, seed=3, sobol_n=16,
                                studies=["spot_checks=200"])


def test_charts_build(small_voi):
    for chart in (evppi_chart(small_voi), sobol_chart(small_voi)):
        spec = chart.to_dict()
        assert spec["title"]


def test_slide_has_native_chart_and_numbers(small_voi):
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    slide = add_voi_slide(prs, small_voi)
    assert slide.shapes.title.text == TITLE
    charts = [s for s in slide.shapes if s.has_chart]
    assert len(charts) == 1
    cats = list(charts[0].chart.plots[0].categories)
    assert "Economics (all inputs)" in cats  # groups and inputs by their readable labels
    assert "Minutes saved per task" in cats
    text = " ".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)
    assert "EVPI" in text and "spot_checks=200" in text
    assert spell_levers(small_voi.best_decision) in text
    buf = io.BytesIO()
    prs.save(buf)
    assert Presentation(io.BytesIO(buf.getvalue())).slides[0].shapes.title.text == TITLE


def test_tab_runs_on_request(monkeypatch):
    monkeypatch.setattr("simulator.ui.voi.SOBOL_N", 16)
    at = tab_app("What is worth learning before the rollout", SEED_CASE, 400, 3, timeout=240)
    at.run()
    assert not at.exception
    assert len(at.get("vega_lite_chart")) == 0  # nothing is computed until asked
    at.number_input(key="voi_spot_checks").set_value(300).run()
    at.button(key="voi_run").click().run()
    assert not at.exception and not at.error
    assert len(at.get("vega_lite_chart")) >= 2
    labels = [m.label for m in at.metric]
    assert "EVPI: knowing everything" in labels
    assert any("spot_checks=300" in lab for lab in labels) or \
        any("spot_checks=300" in str(df.value) for df in at.dataframe)
