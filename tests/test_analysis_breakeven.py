"""Breakeven: agreement with a brute-force grid, unreachable targets, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator import simulate
from simulator.analysis import (
    MET_EVERYWHERE,
    NOT_REACHABLE,
    SOLVED,
    AnalysisError,
    Target,
    breakeven,
    search_range,
)

PATHS = 2_000
SEED = 9


def _grid_crossing(sc, path, grid, target: Target):
    """First grid value (in the helpful direction) whose run meets the target."""
    met = []
    for v in grid:
        npv = simulate(sc.with_values({path: float(v)}), paths=PATHS, seed=SEED, bands=False,
                       pilot_lens=False).metric("npv")
        met.append(target.met(target.metric(npv)))
    return np.asarray(met)


@pytest.mark.parametrize("target", ["p50:0", "prob:0.8"])
def test_increasing_input_agrees_with_grid(seed_case, target):
    path, step = "economics.minutes_saved_per_task", 1.0
    grid = np.arange(5.0, 31.0, step)
    met = _grid_crossing(seed_case, path, grid, Target.parse(target))
    assert not met[0] and met[-1]
    first = grid[np.argmax(met)]
    r = breakeven(seed_case, path, target, paths=PATHS, seed=SEED, lo=0.0, hi=40.0).iloc[0]
    assert r["status"] == SOLVED and r["direction"] == "increasing"
    assert first - step < r["value"] <= first + 1e-9
    assert r["metric_at_value"] >= Target.parse(target).value


def test_decreasing_input_agrees_with_grid(all_levers):
    path, step = "economics.build_cost", 100_000.0
    grid = np.arange(0.0, 2_000_001.0, step)
    met = _grid_crossing(all_levers, path, grid, Target.parse("p50:0"))
    assert met[0] and not met[-1]
    last = grid[np.flatnonzero(met).max()]
    r = breakeven(all_levers, path, "p50:0", paths=PATHS, seed=SEED, hi=2e6).iloc[0]
    assert r["status"] == SOLVED and r["direction"] == "decreasing"
    assert last - 1e-9 <= r["value"] < last + step
    # the chance that build cost is already below the breakeven is its CDF there
    d = all_levers.inputs()[path]
    assert r["prob_input_on_good_side"] == pytest.approx(float(d.frozen().cdf(r["value"])))


def test_capture_rate_within_physical_bounds(all_levers):
    # a user range wider than the physical [0, 1] of a share is cut back to it
    r = breakeven(all_levers, "levers.feedback_loop.capture_rate", "prob:0.75", paths=PATHS,
                  seed=SEED, lo=-3.0, hi=7.0).iloc[0]
    assert (r["lo"], r["hi"]) == (0.0, 1.0)
    assert r["status"] == SOLVED and r["direction"] == "increasing"
    assert 0.0 < r["value"] < 1.0 and r["metric_at_value"] >= 0.75
    assert search_range(all_levers, "adoption.tiers.trained.ceiling") == (0.0, 1.0)


def test_unreachable_and_met_everywhere_are_reported(seed_case):
    path = "economics.minutes_saved_per_task"
    r = breakeven(seed_case, path, "prob:0.8", paths=PATHS, seed=SEED, hi=5.0).iloc[0]
    assert r["status"] == NOT_REACHABLE and math.isnan(r["value"])
    assert r["metric_at_lo"] < 0.8 and r["metric_at_hi"] < 0.8
    r = breakeven(seed_case, path, "p50:0", paths=PATHS, seed=SEED, lo=40.0, hi=60.0).iloc[0]
    assert r["status"] == MET_EVERYWHERE and math.isnan(r["value"])
    assert r["runs"] == 2


@pytest.mark.parametrize("text, kind, value", [("prob:0.8", "prob", 0.8), ("p50:0", "p50", 0.0),
                                               ("p10:-1e5", "p10", -1e5),
                                               ("mean: 250000", "mean", 250000.0)])
def test_target_parsing(text, kind, value):
    t = Target.parse(text)
    assert (t.kind, t.value) == (kind, value)


@pytest.mark.parametrize("text", ["prob:1.5", "prob:0", "p0:1", "p100:1", "median:0", "p50:x",
                                  "p50:nan", ""])
def test_bad_targets(text):
    with pytest.raises(AnalysisError, match="target"):
        Target.parse(text)


def test_bad_breakeven_inputs(seed_case):
    with pytest.raises(AnalysisError, match="not an uncertain input"):
        breakeven(seed_case, "economics.minutes", paths=100)
    with pytest.raises(AnalysisError, match="no effect"):
        breakeven(seed_case, "levers.feedback_loop.capture_rate", paths=100)
    with pytest.raises(AnalysisError, match="allowed range"):
        breakeven(seed_case, "data.ood_share", paths=100, lo=1.5, hi=2.0)
