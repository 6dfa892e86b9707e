"""Sweep charts (line with band, heatmap, scatter) and the app's Sweep tab."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import SCENARIOS
from tab_harness import tab_app

from simulator.charts.sweep import metric_title, sweep_chart
from simulator.sweep import POINT

SEED_CASE = str(SCENARIOS / "seed_case.toml")


def _table(n1: int, n2: int | None = None) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x = np.linspace(40, 80, n1)
    if n2 is None:
        df = pd.DataFrame({POINT: range(n1), "economics.hourly_cost": x})
    else:
        xx, yy = np.meshgrid(x, [50, 100, 200][:n2], indexing="ij")
        df = pd.DataFrame({POINT: range(n1 * n2), "economics.hourly_cost": xx.ravel(),
                           "adoption.cohorts[0].size": yy.ravel()})
    mid = np.linspace(-2e5, 3e5, len(df))
    return df.assign(npv_p10=mid - 1e5, npv_p50=mid, npv_p90=mid + 2e5,
                     prob_npv_positive=rng.uniform(0, 1, len(df)))


def _fields(spec) -> set[str]:
    out = set()
    if isinstance(spec, dict):
        for k, v in spec.items():
            if k == "field" and isinstance(v, str):
                out.add(v)
            out |= _fields(v)
    elif isinstance(spec, list):
        for v in spec:
            out |= _fields(v)
    return out


def test_line_chart_has_the_p10_p90_band_and_money_axis():
    spec = sweep_chart(_table(7), ["economics.hourly_cost"], "npv_p50",
                       currency="EUR").to_dict()
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["area", "line"]
    area, line = spec["layer"]
    assert area["encoding"]["y"]["field"] == "lo" and area["encoding"]["y2"]["field"] == "hi"
    assert line["encoding"]["y"]["title"] == "NPV P50 (EUR)"
    assert line["encoding"]["y"]["axis"]["format"] == "~s"
    assert line["encoding"]["x"]["title"] == "economics.hourly_cost"
    assert "band: P10-P90" in spec["title"]["subtitle"]
    # dotted paths never reach Vega-Lite as field names (they would mean nesting)
    assert not any("." in f for f in _fields(spec))
    data = next(iter(spec["datasets"].values()))
    assert [r["lo"] for r in data] == sorted(r["lo"] for r in data)


def test_line_chart_of_a_share_has_no_band_and_percent_axis():
    spec = sweep_chart(_table(5), ["economics.hourly_cost"], "prob_npv_positive").to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["line"]
    assert spec["layer"][0]["encoding"]["y"]["axis"]["format"] == ".0%"


def test_heatmap_for_a_two_input_grid():
    df = _table(4, 3)
    spec = sweep_chart(df, ["economics.hourly_cost", "adoption.cohorts[0].size"],
                       "npv_p50", currency="USD").to_dict()
    rect, text = spec["layer"]
    assert rect["mark"]["type"] == "rect" and text["mark"]["type"] == "text"
    scale = rect["encoding"]["color"]["scale"]
    assert scale["domainMid"] == 0  # money crossing zero: diverging around 0
    data = next(iter(spec["datasets"].values()))
    assert len(data) == 12
    assert {r["label"] for r in data} >= {"-USD 200k", "USD 300k"}
    assert rect["encoding"]["x"]["sort"] == ["40", "53.33", "66.67", "80"]
    assert not any("." in f for f in _fields(spec))


def test_scatter_for_a_two_input_lhs_and_errors():
    df = _table(4, 2)
    spec = sweep_chart(df, ["economics.hourly_cost", "adoption.cohorts[0].size"],
                       "prob_npv_positive", design="lhs").to_dict()
    assert spec["mark"]["type"] == "circle"
    assert spec["encoding"]["color"]["title"] == "P(NPV > 0) (%)"
    with pytest.raises(ValueError, match="1 or 2 inputs"):
        sweep_chart(df, ["a", "b", "c"], "npv_p50")
    with pytest.raises(ValueError, match="not in the sweep table"):
        sweep_chart(df, ["economics.hourly_cost"], "roi_p50")
    json.dumps(spec)  # serialisable as saved by --chart


def test_metric_titles():
    assert metric_title("npv_p90_se", "GBP") == "NPV P90 (standard error) (GBP)"
    assert metric_title("active_rate_m6_p50") == "Active rate, month 6 P50 (%)"
    assert metric_title("payback_month_p50") == "Payback month P50 (months)"


# --------------------------------------------------------------------------- app tab


def test_app_tab_runs_a_sweep_and_draws_it():
    at = tab_app("Sweep", SEED_CASE, 1_000, 4, 50, timeout=120)
    at.run()
    assert not at.exception
    assert at.multiselect(key="sweep_inputs").value == ["economics.hourly_cost"]
    at.selectbox(key="sweep_paths").set_value(500)
    at.number_input(key="sweep_n_economics.hourly_cost").set_value(4)
    at.button(key="sweep_run").click().run()
    assert not at.exception and not at.error
    assert len(at.get("vega_lite_chart")) == 1
    table = at.dataframe[0].value
    assert len(table) == 4 and "npv_p50" in table
    # two inputs: a heatmap
    at.multiselect(key="sweep_inputs").set_value(["economics.hourly_cost",
                                                  "adoption.cohorts[0].size"]).run()
    at.number_input(key="sweep_n_economics.hourly_cost").set_value(2)
    at.number_input(key="sweep_n_adoption.cohorts[0].size").set_value(3)
    at.button(key="sweep_run").click().run()
    assert not at.exception and not at.error
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert spec["layer"][0]["mark"]["type"] == "rect"


def test_app_tab_shows_an_error_for_a_value_out_of_range():
    at = tab_app("Sweep", SEED_CASE, 500, 4, 50, timeout=120)
    at.run()
    at.number_input(key="sweep_lo_economics.hourly_cost").set_value(-10.0)
    at.button(key="sweep_run").click().run()
    assert not at.exception
    assert "economics.hourly_cost = -10: -10 is below 0" in at.error[0].value
    assert len(at.get("vega_lite_chart")) == 0
