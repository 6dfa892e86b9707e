"""Analysis charts (altair specs) and the app's analysis tabs (Streamlit AppTest)."""

from __future__ import annotations

import json

import pytest
from conftest import SCENARIOS
from tab_harness import tab_app

from simulator.analysis import expectation_gap, lever_analysis, sensitivity
from simulator.charts.analysis import (
    gap_chart,
    gap_waterfall_frame,
    lever_chart,
    lever_marginal_chart,
    spider_chart,
    tornado_chart,
    tornado_frame,
)

SEED_CASE = str(SCENARIOS / "seed_case.toml")


@pytest.fixture(scope="module")
def results(seed_case):
    return (expectation_gap(seed_case, paths=600, seed=2, bootstrap=0),
            lever_analysis(seed_case, paths=600, seed=2, budget=150_000),
            sensitivity(seed_case, paths=600, seed=2, top_k=4, spider_k=2))


def test_waterfall_steps_end_at_the_production_statistic(results):
    gap = results[0]
    for method, n_steps in (("shapley", 6), ("alone", 7)):
        df = gap_waterfall_frame(gap, method)
        assert len(df) == n_steps
        s = gap.summary.iloc[0]
        assert df["end"].iloc[0] == s["pilot_lens_npv"]
        # the last mode step lands exactly on the production statistic
        assert df["end"].iloc[-2] == pytest.approx(s["production_stat"], abs=1e-6 * s["gap"])
    with pytest.raises(ValueError, match="method"):
        gap_waterfall_frame(gap, "last")


def test_tornado_frame_has_two_bars_per_input(results):
    t = results[2].tornado
    df = tornado_frame(t)
    assert len(df) == 2 * len(t)
    assert set(df["side"]) == {"input at its P10", "input at its P90"}
    assert (df["start"] == t["base_npv_p50"].iloc[0]).all()


def test_charts_build_with_titles_and_currency(results):
    gap, levers, sens = results
    charts = [gap_chart(gap), lever_chart(levers, "EUR"), lever_marginal_chart(levers, "EUR"),
              tornado_chart(sens.tornado, "EUR"), spider_chart(sens.spider, "EUR")]
    for ch in charts:
        spec = ch.to_dict()
        title = spec["title"]["text"] if isinstance(spec["title"], dict) else spec["title"]
        assert title
        text = json.dumps(spec)
        assert "(EUR)" in text or ch is charts[0]
    assert "(USD)" in json.dumps(charts[0].to_dict())


# --------------------------------------------------------------------------- app tabs


def test_gap_and_levers_tab_renders_and_rebudgets():
    at = tab_app("Expectation gap & levers", SEED_CASE, 600, 2, 50, timeout=120)
    at.run()
    assert not at.exception and not at.error
    # NPV histogram, gap waterfall, lever chart, marginal chart, tornado
    assert len(at.get("vega_lite_chart")) == 5
    assert "Best portfolio" in at.markdown[0].value
    at.checkbox(key="analysis_use_budget").check().run()
    at.number_input(key="analysis_budget").set_value(0.0).run()
    assert not at.exception
    assert "**Best portfolio:** No levers" in at.markdown[0].value


def test_sensitivity_tab_solves_and_reports_errors():
    at = tab_app("Sensitivity", SEED_CASE, 600, 2, 50, timeout=120)
    at.run()
    assert not at.exception and not at.error
    assert len(at.get("vega_lite_chart")) == 2
    at.selectbox(key="be_kind").set_value("NPV median at least")
    at.button(key="be_solve").click().run()
    assert not at.exception
    assert "Minutes saved per task (minutes) at least" in at.success[0].value
    at.selectbox(key="be_kind").set_value("P(NPV > 0) at least").run()
    at.number_input(key="be_prob").set_value(1.0)
    at.selectbox(key="be_input").set_value("economics.build_cost")
    at.button(key="be_solve").click().run()
    assert not at.exception
    assert "not reachable" in at.warning[0].value
