"""Forecast charts: the data they carry matches the result, and they read well on a slide."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import SCENARIOS

from simulator import simulate
from simulator.charts import forecast, theme
from simulator.formatting import money


@pytest.fixture(scope="module")
def res(seed_case):
    return simulate(seed_case, paths=400, seed=3)


@pytest.fixture(scope="module")
def res_levers(all_levers):
    return simulate(all_levers, paths=400, seed=3)


def _spec(chart) -> dict:
    return chart.to_dict()


def _datasets(spec: dict) -> list[pd.DataFrame]:
    return [pd.DataFrame(rows) for rows in spec.get("datasets", {}).values()]


def _layers(spec: dict) -> list[dict]:
    out, stack = [], [spec]
    while stack:
        s = stack.pop()
        for key in ("layer", "hconcat", "vconcat"):
            stack.extend(s.get(key, []))
        if "mark" in s:
            out.append(s)
    return out


def _axis_titles(spec: dict) -> set[str]:
    titles = set()
    for layer in _layers(spec):
        for ch in ("x", "y"):
            axis = layer.get("encoding", {}).get(ch, {}).get("axis") or {}
            if "title" in axis:
                titles.add(axis["title"])
    return titles


@pytest.mark.parametrize("metric", ["active_users", "active_rate", "accuracy", "cum_net"])
def test_fan_chart_carries_the_bands(res, metric):
    spec = _spec(forecast.fan_chart(res.bands, metric, "USD"))
    assert spec["title"]["text"] == forecast.METRIC_INFO[metric][0]
    assert "Month after go-live" in _axis_titles(spec)
    frames = [d for d in _datasets(spec) if {"p10", "p50", "p90"} <= set(d.columns)]
    assert frames, "no band data in the chart"
    df = frames[0].sort_values("month")
    wide = res.bands_wide()
    if metric == "active_rate":  # shown from go-live month 1 (month 0 is the pilot alone)
        assert df["month"].min() == 1
        wide = wide.loc[1:]
    np.testing.assert_allclose(df["p50"].to_numpy(), wide[f"{metric}_p50"].to_numpy())
    np.testing.assert_allclose(df["p10"].to_numpy(), wide[f"{metric}_p10"].to_numpy())
    assert (df["p25"] <= df["p75"] + 1e-9).all() and (df["p10"] <= df["p90"] + 1e-9).all()
    marks = [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]
             for layer in _layers(spec)]
    assert marks.count("area") == 2 and "line" in marks
    colors = {layer["mark"].get("color") for layer in _layers(spec)
              if isinstance(layer["mark"], dict)}
    assert theme.PRODUCTION in colors


def test_axes_name_their_units(res):
    money = _spec(forecast.fan_chart(res.bands, "cum_net", "EUR"))
    assert "Cumulative net cash (EUR)" in _axis_titles(money)
    label_exprs = [layer["encoding"]["y"]["axis"].get("labelExpr") for layer in _layers(money)
                   if "axis" in layer.get("encoding", {}).get("y", {})]
    assert any(e and '"EUR "' in e for e in label_exprs)
    share = _spec(forecast.fan_chart(res.bands, "accuracy"))
    fmts = [layer["encoding"]["y"]["axis"].get("format") for layer in _layers(share)
            if "axis" in layer.get("encoding", {}).get("y", {})]
    assert ".0%" in fmts


def test_money_label_expression_formats_like_money_label():
    expr = forecast.money_label_expr("USD")
    assert expr.startswith("(datum.value < 0 ? '-' : '')") and '"USD "' in expr
    assert f"'{theme.money_axis_format()}'" in expr


def test_unknown_metric_is_refused(res):
    with pytest.raises(ValueError, match="not a band metric"):
        forecast.fan_chart(res.bands, "profit")


def test_npv_histogram_marks_the_pilot_lens(res):
    npv = res.metric("npv")
    lens = res.summary["pilot_lens_npv"]
    spec = _spec(forecast.npv_distribution_chart(npv, lens, "USD"))
    hist = next(d for d in _datasets(spec) if "share" in d.columns)
    assert hist["share"].sum() == pytest.approx(1.0)
    assert hist["paths"].sum() == npv.size
    # the bins reach the pilot-lens NPV even when no path does
    assert hist["start"].min() <= npv.min() and hist["end"].max() >= max(npv.max(), lens)
    marks = next(d for d in _datasets(spec) if "label" in d.columns)
    lens_row = marks[marks["label"].str.startswith("pilot-lens case")]
    assert len(lens_row) == 1 and lens_row["x"].iloc[0] == pytest.approx(lens)
    assert money(lens, "USD") in lens_row["label"].iloc[0]
    assert lens_row["color"].iloc[0] == theme.PILOT_LENS
    med = marks[marks["label"].str.startswith("production median")]["x"].iloc[0]
    assert med == pytest.approx(np.median(npv))
    subtitle = " ".join(spec["title"]["subtitle"])
    gap = money(abs(lens - np.median(npv)), "USD")
    assert "Expectation gap" in subtitle and gap in subtitle
    assert f"{np.mean(npv >= lens):.1%}" in subtitle


def test_npv_histogram_without_pilot_lens():
    npv = np.random.default_rng(1).normal(1e5, 5e4, 500)
    spec = _spec(forecast.npv_distribution_chart(npv, None, "GBP"))
    marks = next(d for d in _datasets(spec) if "label" in d.columns)
    assert not marks["label"].str.contains("pilot-lens").any()
    assert spec["title"]["subtitle"] == []


def test_comparison_charts_show_both_runs(res, res_levers):
    spec = _spec(forecast.npv_comparison_chart(
        {"Levers off": res.metric("npv"), "Levers on": res_levers.metric("npv")}, "USD"))
    hist = next(d for d in _datasets(spec) if "share" in d.columns)
    assert set(hist["scenario"]) == {"Levers off", "Levers on"}
    for _, g in hist.groupby("scenario"):
        assert g["share"].sum() == pytest.approx(1.0)
    meds = next(d for d in _datasets(spec) if "median" in d.columns).set_index("scenario")
    assert meds.loc["Levers on", "median"] > meds.loc["Levers off", "median"]
    fan = _spec(forecast.fan_comparison_chart({"A": res.bands, "B": res_levers.bands},
                                              "active_rate"))
    band = next(d for d in _datasets(fan) if "p50" in d.columns)
    assert set(band["scenario"]) == {"A", "B"}
    scale = next(layer["encoding"]["color"]["scale"] for layer in _layers(fan)
                 if "color" in layer.get("encoding", {}))
    assert scale["range"] == [theme.PRODUCTION, theme.WITH_LEVERS]


def test_comparison_chart_puts_two_panels_side_by_side(res, res_levers):
    spec = _spec(forecast.comparison_chart(res, res_levers, "As rolled out", "With levers"))
    assert len(spec["hconcat"]) == 2
    assert "config" in spec  # slide-ready fonts applied once at the top
    assert all("config" not in panel for panel in spec["hconcat"])


def _wave_dips(months: np.ndarray, p50: np.ndarray, registered: np.ndarray
               ) -> tuple[list[float], float]:
    """The median's change at each wave start after the first plotted month, and its own
    month-to-month movement elsewhere (median absolute change)."""
    steps = np.diff(p50)
    start = np.diff(registered[months]) > 0  # registered users rise into this month
    return list(steps[start]), float(np.median(np.abs(steps[~start])))


def test_the_onboarded_share_has_no_saw_tooth_and_registrations_are_shown():
    from simulator.scenario import load_scenario
    from simulator.ui import runner

    res = simulate(load_scenario(SCENARIOS / "seed_case_staged.toml"), paths=300, seed=5)
    reg = np.asarray(res.registered, dtype=float)
    spec = runner.forecast_specs(res, "active_share", "USD")[0]
    assert forecast.ACTIVE_SHARE_DEFINITION in json.dumps(spec["vconcat"][0]["title"])
    frames = [pd.DataFrame(runner_rows(v)) for v in spec["datasets"].values()]
    share = next(f for f in frames if "p50" in f)
    regs = next(f for f in frames if "registered" in f)
    np.testing.assert_array_equal(regs["registered"], reg[regs["month"]])
    assert (np.diff(reg[1:]) > 0).any()  # a wave starts after the first plotted month
    months = share["month"].to_numpy()
    assert months.min() == 1
    dips, noise = _wave_dips(months, share["p50"].to_numpy(), reg)
    assert dips and min(dips) >= -noise, (dips, noise)
    # the old chart (active / all registered) fails the same check: it dips at a wave start
    old = forecast.fan_frame(res.bands, "active_rate")
    dips, noise = _wave_dips(old["month"].to_numpy(), old["p50"].to_numpy(), reg)
    assert min(dips) < -noise, (dips, noise)


def runner_rows(data) -> list[dict]:
    """A dataset's rows as the app keeps them (Arrow bytes) or as plain records."""
    if isinstance(data, bytes | bytearray):
        import pyarrow as pa

        return pa.ipc.open_stream(data).read_all().to_pylist()
    return data
