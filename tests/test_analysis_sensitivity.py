"""Sensitivity: Spearman table, tornado ranking and values, spider."""

from __future__ import annotations

import numpy as np
import pytest

from simulator import simulate
from simulator.analysis import (
    AnalysisError,
    rank_correlations,
    sensitivity,
    spider,
    tornado,
    used_inputs,
)

PATHS = 2_000
SEED = 3
DOMINANT = "economics.build_cost"


@pytest.fixture(scope="module")
def dominated(seed_case):
    """The source case with a build cost anywhere between 0 and 6M: it swamps the rest."""
    return seed_case.with_values({DOMINANT: {"dist": "uniform", "min": 0.0, "max": 6e6}})


def test_tornado_over_all_inputs_recovers_the_dominant_input(dominated):
    t = tornado(dominated, paths=PATHS, seed=SEED, top_k=None)
    assert t.iloc[0]["input"] == DOMINANT
    assert t.iloc[0]["swing"] > 3 * t.iloc[1]["swing"]
    # holding build cost at its P90 instead of its P10 lowers NPV by the cost difference
    row = t.iloc[0]
    assert row["npv_p50_low"] - row["npv_p50_high"] == pytest.approx(
        row["high_value"] - row["low_value"], rel=1e-9)
    assert list(t["rank"]) == list(range(1, len(t) + 1))
    assert (np.diff(t["swing"]) <= 0).all()


def test_spearman_recovers_the_dominant_input(dominated):
    res = simulate(dominated, paths=PATHS, seed=SEED, bands=False, pilot_lens=False)
    sp = rank_correlations(res)
    assert sp.iloc[0]["input"] == DOMINANT
    assert sp.iloc[0]["rho"] < -0.9
    assert sp["contribution_pct"].sum() == pytest.approx(100.0)
    assert sp.iloc[0]["contribution_pct"] > 80.0


def test_spearman_table_covers_sampled_inputs_in_use(seed_case):
    res = simulate(seed_case, paths=PATHS, seed=SEED, bands=False, pilot_lens=False)
    sp = rank_correlations(res)
    dists = seed_case.inputs()
    expected = {p for p in used_inputs(seed_case) if not dists[p].is_fixed}
    assert set(sp["input"]) == expected
    assert not any(p.startswith("levers.") for p in sp["input"])  # all levers are off
    assert (np.diff(sp["rho"].abs()) <= 0).all()
    full = rank_correlations(res, include_unused=True)
    assert set(full["input"]) == {p for p, d in dists.items() if not d.is_fixed}


@pytest.mark.parametrize("path", ["economics.minutes_saved_per_task", "data.drift_per_month"])
def test_tornado_values_match_simulate_with_the_input_fixed(seed_case, path):
    # minutes saved is money-only: its values come from a straight line through two runs,
    # equal to the direct run to rounding; drift is run directly: bit-identical
    t = tornado(seed_case, paths=PATHS, seed=SEED, inputs=[path])
    linear = path in t.attrs["linear"]
    assert linear == (path == "economics.minutes_saved_per_task")
    d = seed_case.inputs()[path]
    for q, col in ((0.1, "npv_p50_low"), (0.9, "npv_p50_high")):
        npv = simulate(seed_case.with_values({path: d.quantile(q)}), paths=PATHS, seed=SEED,
                       bands=False, pilot_lens=False).metric("npv")
        want = np.percentile(npv, 50)
        assert t.iloc[0][col] == (pytest.approx(want, rel=1e-12) if linear else want)


def test_spider_is_monotone_in_minutes_saved(seed_case):
    # minutes saved only scales the benefit (no random draw depends on it), so on common
    # random numbers the median NPV must rise strictly with it
    s = spider(seed_case, paths=PATHS, seed=SEED, inputs=["economics.minutes_saved_per_task"])
    assert list(s["quantile"]) == [0.05, 0.25, 0.5, 0.75, 0.95]
    assert (np.diff(s["value"]) > 0).all() and (np.diff(s["npv_p50"]) > 0).all()


def test_sensitivity_bundle(seed_case):
    sa = sensitivity(seed_case, paths=1_000, seed=SEED, top_k=4, spider_k=2,
                     quantiles=(0.1, 0.5, 0.9))
    assert len(sa.tornado) == 4
    assert set(sa.tornado["input"]) == set(sa.spearman["input"].iloc[:4])
    assert list(dict.fromkeys(sa.spider["input"])) == list(sa.tornado["input"].iloc[:2])
    assert len(sa.spider) == 6


def test_bad_sensitivity_arguments(seed_case):
    with pytest.raises(AnalysisError, match="not an uncertain input"):
        tornado(seed_case, paths=200, inputs=["economics.nope"])
    with pytest.raises(AnalysisError, match="fixed"):
        tornado(seed_case, paths=200, inputs=["economics.licence_per_seat_month"])
    with pytest.raises(AnalysisError, match="top_k"):
        tornado(seed_case, paths=200, top_k=0)
    with pytest.raises(AnalysisError, match="low_q"):
        tornado(seed_case, paths=200, low_q=1.5)
    with pytest.raises(AnalysisError, match="quantiles"):
        spider(seed_case, paths=200, quantiles=(0.0, 0.5))
    with pytest.raises(AnalysisError, match="paths: 2 is too few"):
        sensitivity(seed_case, paths=2)  # no rank correlation, not "nothing is uncertain"
