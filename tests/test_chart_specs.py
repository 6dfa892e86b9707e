"""Fast forecast chart specs: the same Vega-Lite dict altair builds, for any result."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import pytest
from altair.utils.data import to_values

from simulator import simulate
from simulator.charts import forecast, specs

# The fan charts drawn from res.bands; active_share is computed from the telemetry by
# forecast.onboarded_share_chart (tests/test_charts_forecast.py), never from the bands.
METRICS = [m for m in forecast.METRIC_INFO if m != "active_share"]


@pytest.fixture(scope="module")
def results(seed_case, all_levers):
    """Runs that differ in paths, seed, levers and horizon."""
    short = seed_case.with_values({"scenario.horizon_months": 24})
    return [simulate(seed_case, paths=300, seed=3), simulate(seed_case, paths=500, seed=4),
            simulate(all_levers, paths=300, seed=3), simulate(short, paths=300, seed=5)]


@pytest.fixture(autouse=True)
def _no_templates(monkeypatch):
    monkeypatch.setattr(specs, "_TEMPLATES", {})


def _valid(spec: dict) -> None:
    alt.LayerChart.from_dict(spec, validate=True)  # raises on a schema violation


@pytest.mark.parametrize("currency", ["USD", "EUR"])
def test_fan_specs_equal_altairs_for_every_metric_and_result(results, currency):
    for metric in METRICS:
        for res in [*results, results[0]]:  # the first builds the template, the rest fill it
            fast = specs.fan_spec(res.bands, metric, currency)
            assert fast == forecast.fan_chart(res.bands, metric, currency).to_dict(
                validate=False), (metric, res.horizon)
        _valid(fast)
    assert {k[1] for k in specs._TEMPLATES if k[0] == "fan"} == set(METRICS)


def test_fan_spec_carries_the_new_results_data(results):
    specs.fan_spec(results[0].bands, "cum_net")
    short = results[3]
    spec = specs.fan_spec(short.bands, "cum_net")
    rows = pd.DataFrame(spec["datasets"][spec["layer"][0]["data"]["name"]])
    assert rows["month"].max() == short.horizon
    assert spec["layer"][0]["encoding"]["x"]["scale"]["domain"] == [0, short.horizon]
    want = forecast.band_frame(short.bands, "cum_net")
    np.testing.assert_array_equal(rows["p50"], want["p50"])


def test_band_frame_is_pandas_pivot_of_the_tidy_bands(results):
    b = results[0].bands
    for metric in METRICS:
        sub = b[b["metric"] == metric]
        want = sub.pivot(index="month", columns="stat", values="value")
        want.columns.name = None
        pd.testing.assert_frame_equal(forecast.band_frame(b, metric), want.reset_index())
    cum = b[b["metric"] == "cum_net"]
    shuffled = b.drop(index=cum.index[5]).sample(frac=1.0, random_state=3)  # a cell missing
    want = shuffled[shuffled["metric"] == "cum_net"].pivot(index="month", columns="stat",
                                                           values="value")
    want.columns.name = None
    got = forecast.band_frame(shuffled, "cum_net")
    pd.testing.assert_frame_equal(got, want.reset_index())
    assert int(got.drop(columns="month").isna().to_numpy().sum()) == 1
    with pytest.raises(ValueError, match="duplicate"):
        forecast.band_frame(pd.concat([b, b[b["metric"] == "cum_net"].iloc[:1]]), "cum_net")


def _npv_cases(results):
    rng = np.random.default_rng(11)
    cases = [(r.metric("npv"), r.summary["pilot_lens_npv"]) for r in results]
    cases += [(r.metric("npv"), None) for r in results[:2]]  # no pilot lens
    for mean, lens in ((-2e5, 1e6), (3e5, -4e5), (1e5, 1.2e5), (0.0, None), (5e5, 5e5)):
        cases.append((rng.normal(mean, 2e5, 700), lens))
    nan = rng.normal(0.0, 1e5, 400)
    nan[::7] = np.nan  # paths whose NPV is undefined are left out of the histogram
    cases.append((nan, 3e5))
    return cases


@pytest.mark.parametrize("currency", ["USD", "GBP"])
def test_npv_specs_equal_altairs_with_and_without_the_pilot_lens(results, currency):
    cases = _npv_cases(results)
    for npv, lens in [*cases, *cases]:  # second round: every shape has its template
        fast = specs.npv_spec(npv, lens, currency)
        slow = forecast.npv_distribution_chart(npv, lens, currency).to_dict(validate=False)
        assert fast == slow, lens
    _valid(fast)
    shapes = {k[2] for k in specs._TEMPLATES if k[0] == "npv"}
    assert {len(s) for s in shapes} == {2, 3} and len(shapes) >= 3  # lens or not, both sides


def test_filled_specs_are_independent_copies(results):
    a = specs.fan_spec(results[0].bands, "accuracy")
    b = specs.fan_spec(results[1].bands, "accuracy")
    a["title"]["text"] = "changed"
    a["layer"][0]["encoding"]["x"]["scale"]["domain"][1] = -1
    c = specs.fan_spec(results[1].bands, "accuracy")
    assert c == b and c["title"]["text"] == forecast.METRIC_INFO["accuracy"][0]


def test_records_serialise_like_altair():
    df = pd.DataFrame({"i": np.arange(4), "f": [0.5, np.nan, np.inf, -1.0],
                       "s": ["a", None, "c", "d"], "b": [True, False, True, True]})
    assert specs.records(df) == to_values(df)["values"]
    assert specs.dataset_name(specs.records(df)) == alt.Chart(df).mark_point().to_dict()[
        "data"]["name"]
