"""Money-only inputs: NPV is a straight line in each, path by path, and the analyses that
use it (tornado, spider, breakeven) agree with direct runs; runs are shared, not repeated."""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pytest

from simulator import load_scenario, simulate
from simulator.analysis import Variants, breakeven, expectation_gap, lever_analysis, sensitivity
from simulator.analysis import affine as affine_mod
from simulator.analysis import variants as variants_mod
from simulator.analysis.affine import TASKS, affine_inputs, line_through
from simulator.analysis.breakeven import BISECTION, LINEAR
from simulator.analysis.gates import gate_analysis

# the modules (the package exports functions of the same names)
sensitivity_mod = importlib.import_module("simulator.analysis.sensitivity")
breakeven_mod = importlib.import_module("simulator.analysis.breakeven")

PATHS = 400
SEED = 5
#: Line against direct run, per path, as a share of the path's present values: rounding
#: is ~1e-15 of them, a real curve (e.g. drift, below) is ~1e-3.
RTOL = 1e-9


def _npv_held(runner: Variants, path: str, v) -> tuple[np.ndarray, np.ndarray]:
    res = runner.run(values={path: v})
    scale = np.abs(res.metric("pv_benefit")) + np.abs(res.metric("pv_cost"))
    return res.metric("npv"), np.maximum(scale, 1.0)


def _assert_straight(runner: Variants, path: str) -> None:
    """NPV at a third value, and at each path's own sampled value, on the line through
    two values, path by path."""
    d = runner.scenario.inputs()[path]
    lo, mid, hi = d.quantile(0.05), d.quantile(0.5), d.quantile(0.95)
    if not hi > lo:  # a fixed input: around its value
        lo, mid, hi = lo, lo + 0.3 * (abs(lo) + 1.0), lo + abs(lo) + 1.0
    n_lo, _ = _npv_held(runner, path, lo)
    n_hi, _ = _npv_held(runner, path, hi)
    n_mid, scale = _npv_held(runner, path, mid)
    line = affine_mod.Line.through(lo, n_lo, hi, n_hi)
    assert np.all(np.abs(line.at(mid) - n_mid) <= RTOL * scale), path
    own = runner.base.metric("npv")
    assert np.all(np.abs(line.at(runner.column(path)) - own) <= RTOL * scale), path


@pytest.fixture(scope="module")
def staged():
    return load_scenario(Path(__file__).resolve().parents[1] / "scenarios"
                         / "seed_case_staged.toml")


@pytest.mark.parametrize("case", ["seed_case", "all_levers", "staged", "review_no_stop"])
def test_every_money_only_input_is_a_straight_line(case, request, seed_case):
    if case == "review_no_stop":
        sc = seed_case.with_values({"levers.human_review.enabled": True,
                                    "levers.human_review.stop_at_accuracy": None})
    else:
        sc = request.getfixturevalue(case)
    names = affine_inputs(sc)
    assert {"economics.hourly_cost", "economics.build_cost"} <= names
    runner = Variants.start(sc, PATHS, SEED)
    for path in sorted(names):
        _assert_straight(runner, path)


def test_tasks_per_user_is_money_only_only_without_corrections_or_review_stop(seed_case,
                                                                                 all_levers):
    assert TASKS in affine_inputs(seed_case)
    assert TASKS not in affine_inputs(all_levers)  # a feedback loop: corrections count
    stops = seed_case.with_values({"levers.human_review.enabled": True,
                                   "levers.human_review.stop_at_accuracy": 0.9})
    assert TASKS not in affine_inputs(stops)  # reviewed outputs decide when review stops
    for sc in (seed_case, all_levers):
        assert not affine_inputs(sc) & {"data.drift_per_month", "pilot.accuracy",
                                        "integration.load_exponent",
                                        "levers.human_review.share"}


def test_the_check_rejects_an_input_that_is_not_a_line(seed_case):
    runner = Variants.start(seed_case, PATHS, SEED)
    path = "data.drift_per_month"
    lo, hi = 0.0, 0.008
    n_lo, n_hi = runner.held_npv(path, lo), runner.held_npv(path, hi)
    assert line_through(runner, path, lo, n_lo, hi, n_hi, check=0.004) is None
    path = "economics.hourly_cost"
    n_lo, n_hi = runner.held_npv(path, 40.0), runner.held_npv(path, 90.0)
    assert line_through(runner, path, 40.0, n_lo, 90.0, n_hi, check=65.0) is not None


def _direct_sensitivity(monkeypatch, sc, **kw):
    monkeypatch.setattr(sensitivity_mod, "affine_inputs", lambda sc: frozenset())
    out = sensitivity(sc, **kw)
    monkeypatch.undo()
    return out


def test_sensitivity_with_lines_equals_direct_runs(seed_case, monkeypatch):
    kw = {"paths": 1_000, "seed": SEED, "top_k": 8, "spider_k": 5}
    fast = sensitivity(seed_case, **kw)
    slow = _direct_sensitivity(monkeypatch, seed_case, **kw)
    assert fast.tornado.attrs["linear"] and not slow.tornado.attrs["linear"]
    assert list(fast.tornado["input"]) == list(slow.tornado["input"])
    for col in ("npv_p50_low", "npv_p50_high", "swing"):
        np.testing.assert_allclose(fast.tornado[col], slow.tornado[col], rtol=RTOL, atol=1e-6)
    for col in ("prob_npv_positive_low", "prob_npv_positive_high", "low_value", "high_value"):
        assert list(fast.tornado[col]) == list(slow.tornado[col])
    np.testing.assert_allclose(fast.spider["npv_p50"], slow.spider["npv_p50"], rtol=RTOL,
                               atol=1e-6)
    assert fast.spider[["input", "quantile", "value"]].equals(
        slow.spider[["input", "quantile", "value"]])


def test_sensitivity_falls_back_to_runs_when_the_check_fails(seed_case, monkeypatch):
    """An input wrongly listed as money-only is caught by the check and run directly."""
    kw = {"paths": 600, "seed": SEED, "top_k": 4, "spider_k": 4}
    slow = _direct_sensitivity(monkeypatch, seed_case, **kw)
    claimed = frozenset(slow.tornado["input"])  # includes inputs that are not lines
    monkeypatch.setattr(sensitivity_mod, "affine_inputs", lambda sc: claimed)
    fast = sensitivity(seed_case, **kw)
    wrong = claimed - affine_inputs(seed_case)
    assert wrong and not wrong & set(fast.tornado.attrs["linear"])
    t_f, t_s = fast.tornado.set_index("input"), slow.tornado.set_index("input")
    for p in wrong:  # run directly: bit-identical
        assert t_f.loc[p, "npv_p50_low"] == t_s.loc[p, "npv_p50_low"]
        assert t_f.loc[p, "npv_p50_high"] == t_s.loc[p, "npv_p50_high"]


def _count_runs(monkeypatch) -> list[int]:
    """Record the paths of every kernel run the analyses make (through Variants)."""
    calls: list[int] = []
    real = variants_mod.simulate_inputs

    def counting(sc, x, *a, **k):
        calls.append(x.shape[0])
        return real(sc, x, *a, **k)

    monkeypatch.setattr(variants_mod, "simulate_inputs", counting)
    return calls


def test_sensitivity_costs_one_run_per_money_only_input(seed_case, monkeypatch):
    calls = _count_runs(monkeypatch)
    sa = sensitivity(seed_case, paths=PATHS, seed=SEED, top_k=None, spider_k=12)
    linear = set(sa.tornado.attrs["linear"])
    assert linear and linear <= affine_inputs(seed_case)
    full = [n for n in calls if n == PATHS]
    # base + one run per money-only input whose slope does not follow from the base run
    # (of minutes saved and rework minutes, only the first) + 2 tornado and 5 spider
    # values per other input (P10 and P90 are not among the spider's quantiles)
    pair = {affine_mod.MINUTES, affine_mod.REWORK}
    derived = {affine_mod.BUILD, affine_mod.HOURLY, affine_mod.PLATFORM, affine_mod.LICENCE,
               affine_mod.PILOT_COST}
    with_run = len(linear - derived - pair) + (1 if linear & pair else 0)
    assert linear & derived and linear >= pair  # the case exercises both
    others_t = set(sa.tornado["input"]) - linear
    others_s = set(sa.spider["input"]) - linear
    assert len(full) == 1 + with_run + 2 * len(others_t) + 5 * len(others_s)
    assert len(calls) - len(full) == len(linear)  # one small check per line


def test_breakeven_on_a_line_equals_bisection_on_runs(seed_case, monkeypatch):
    path = "economics.minutes_saved_per_task"
    for target in ("p50:0", "prob:0.6", "mean:100000"):
        calls = _count_runs(monkeypatch)
        fast = breakeven(seed_case, path, target, paths=1_000, seed=SEED).iloc[0]
        monkeypatch.undo()
        assert sorted(calls) == [affine_mod.CHECK_PATHS, 1_000, 1_000]  # the ends, a check
        monkeypatch.setattr(breakeven_mod, "affine_inputs", lambda sc: frozenset())
        slow = breakeven(seed_case, path, target, paths=1_000, seed=SEED).iloc[0]
        monkeypatch.undo()
        assert (fast["method"], slow["method"]) == (LINEAR, BISECTION)
        assert fast["runs"] == 2 and slow["runs"] > 10
        assert fast["value"] == slow["value"]
        assert fast["metric_at_value"] == pytest.approx(slow["metric_at_value"], rel=RTOL)
        assert (fast["metric_at_lo"], fast["metric_at_hi"]) == (slow["metric_at_lo"],
                                                                slow["metric_at_hi"])


def test_a_given_base_run_is_reused_and_changes_nothing(seed_case, monkeypatch):
    res = simulate(seed_case, paths=PATHS, seed=SEED)  # bands and pilot lens, as exported
    kw = {"paths": PATHS, "seed": SEED}
    ref_gap = expectation_gap(seed_case, **kw, bootstrap=5)
    ref_lev = lever_analysis(seed_case, **kw)
    calls = []
    real = variants_mod.simulate_inputs

    def counting(sc, x, *a, **k):
        calls.append(sc is seed_case and np.array_equal(x, res.inputs))
        return real(sc, x, *a, **k)

    monkeypatch.setattr(variants_mod, "simulate_inputs", counting)
    gap = expectation_gap(seed_case, **kw, bootstrap=5, base=res)
    lev = lever_analysis(seed_case, **kw, base=res)
    assert len(calls) > 40 and not any(calls)  # the scenario as given: not run again
    assert gap.summary.equals(ref_gap.summary) and gap.attribution.equals(ref_gap.attribution)
    assert lev.combinations.equals(ref_lev.combinations)
    # a run with another seed is not this analysis' base: ignored
    other = simulate(seed_case, paths=PATHS, seed=SEED + 1, bands=False, pilot_lens=False)
    assert Variants.start(seed_case, PATHS, SEED, base=other).base is not other
    assert Variants.start(seed_case, PATHS, SEED, base=res).base is res
    # the gap needs the pilot lens: a base run without it is not used
    assert Variants.start(seed_case, PATHS, SEED, pilot_lens=True, base=other).base \
        is not other


def test_gate_analysis_reuses_the_gated_run(staged):
    sc = staged
    res = simulate(sc, paths=PATHS, seed=SEED, bands=False, pilot_lens=False)
    a = gate_analysis(sc, paths=PATHS, seed=SEED)
    b = gate_analysis(sc, paths=PATHS, seed=SEED, base=res)
    assert a.summary.equals(b.summary)


@pytest.mark.parametrize("case", ["seed_case", "all_levers", "staged"])
def test_derived_slopes_equal_the_slopes_of_direct_runs(case, request):
    sc = request.getfixturevalue(case)
    runner = Variants.start(sc, PATHS, SEED)
    slopes = {}
    for path in (affine_mod.MINUTES, affine_mod.BUILD, affine_mod.PILOT_COST,
                 affine_mod.HOURLY, affine_mod.PLATFORM, affine_mod.LICENCE,
                 affine_mod.REWORK):
        d = sc.inputs()[path]
        lo, hi = d.quantile(0.1), d.quantile(0.9)
        if not hi > lo:
            lo, hi = lo, lo + abs(lo) + 1.0
        n_lo, _ = _npv_held(runner, path, lo)
        n_hi, scale = _npv_held(runner, path, hi)
        direct = (n_hi - n_lo) / (hi - lo)
        slopes[path] = direct
        got = affine_mod.derived_slope(runner, path, {affine_mod.MINUTES:
                                                      slopes[affine_mod.MINUTES]})
        if path == affine_mod.MINUTES:
            assert got is None  # needs a partner's slope (rework's, not given here)
            continue
        if sc.gates and path in (affine_mod.PLATFORM, affine_mod.LICENCE):
            assert got is None  # a gate may stop the rollout: fees stop, a run is needed
            continue
        assert got is not None, path
        assert np.all(np.abs((got - direct) * (hi - lo)) <= RTOL * scale), path
