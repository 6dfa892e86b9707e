"""Staged-rollout analysis: big bang, gated and no-go on common random numbers; the search."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import SCENARIOS

from simulator import load_scenario, simulate
from simulator.analysis import AnalysisError
from simulator.analysis.gates import (
    PLANS,
    gate_analysis,
    gate_search,
    npv_table,
    paired_diff,
    parse_search,
)
from simulator.results import quantile_se

N = 600
SEED = 3
PATH = "gates[0].min_active_rate"
HOLD = {"name": "release", "month": 8, "min_active_rate": 0.05, "on_fail": "hold"}


@pytest.fixture(scope="module")
def staged():
    return load_scenario(SCENARIOS / "seed_case_staged.toml")


@pytest.fixture(scope="module")
def analysis(staged):
    return gate_analysis(staged, paths=N, seed=SEED)


def _npv(sc, paths=N, seed=SEED):
    return simulate(sc, paths=paths, seed=seed, bands=False, pilot_lens=False).metric("npv")


def test_big_bang_and_gated_equal_separate_simulations_bit_for_bit(staged, analysis):
    np.testing.assert_array_equal(analysis.npv["big bang"],
                                  _npv(staged.with_values({"gates": []})))
    np.testing.assert_array_equal(analysis.npv["gated"], _npv(staged))
    assert (analysis.npv["no-go"] == 0).all()
    plans = analysis.plans.set_index("plan")
    assert list(plans.index) == list(PLANS)
    nogo = plans.loc["no-go"]
    assert nogo["npv_mean"] == 0 and nogo["npv_p10"] == 0 and nogo["npv_p90"] == 0
    assert nogo["prob_npv_positive"] == 0 and nogo["npv_mean_se"] == 0


def test_statistics_and_standard_errors(analysis):
    plans = analysis.plans.set_index("plan")
    for plan in PLANS:
        npv = analysis.npv[plan]
        row = plans.loc[plan]
        assert row["npv_mean"] == pytest.approx(npv.mean(), rel=1e-12, abs=1e-9)
        for q in (10, 50, 90):
            assert row[f"npv_p{q}"] == np.percentile(npv, q)
            assert row[f"npv_p{q}_se"] == quantile_se(np.sort(npv), q / 100)
    # the option value's s.e. is the paired one: from the per-path differences
    d = analysis.npv["gated"] - analysis.npv["big bang"]
    s = analysis.summary.iloc[0]
    assert s["option_value"] == pytest.approx(d.mean(), rel=1e-12)
    assert s["option_value_se"] == pytest.approx(d.std(ddof=1) / math.sqrt(N), rel=1e-12)
    unpaired = math.hypot(plans.loc["gated", "npv_mean_se"], plans.loc["big bang", "npv_mean_se"])
    assert s["option_value_se"] != pytest.approx(unpaired, rel=1e-3)
    assert plans.loc["gated", "vs_big_bang_mean"] == s["option_value"]
    assert plans.loc["big bang", "vs_big_bang_mean"] == 0


def test_gate_probabilities_count_the_kernels_outcomes(staged, analysis):
    res = analysis.gate_out[:, 0]
    g = analysis.gates.iloc[0]
    assert g["prob_reached"] == 1.0  # month 3, nothing stops before it
    assert g["prob_pass"] == pytest.approx(np.mean(res == 1))
    assert 0 < g["prob_pass"] < 1
    assert g["prob_pass_se"] == pytest.approx(math.sqrt(g["prob_pass"] * (1 - g["prob_pass"])
                                                        / N))
    assert analysis.summary.iloc[0]["prob_stop"] == 0.0


def test_stop_gate_and_holds_are_reported(staged):
    stop = {"name": "stop early", "month": 2, "min_active_rate": 0.2, "on_fail": "stop",
            "notice_months": 1}
    sc = staged.with_values({"gates": [stop, HOLD]})
    a = gate_analysis(sc, paths=N, seed=SEED)
    first = a.gate_out[:, 0]
    stopped = a.gate_out[:, 2] >= 0
    s = a.summary.iloc[0]
    assert s["prob_stop"] == pytest.approx(np.mean(first == 0)) and 0 < s["prob_stop"] < 1
    second = a.gates.iloc[1]
    assert second["prob_reached"] == pytest.approx(1 - s["prob_stop"])
    reached = ~stopped
    assert second["prob_pass_if_reached"] == pytest.approx(
        np.mean(a.gate_out[reached, 1] == 1))
    assert s["months_held_mean"] == pytest.approx(a.gate_out[:, 3].mean())


def test_search_agrees_with_a_brute_force_grid(staged):
    values = [0.15, 0.25, 0.35]
    months = [2, 3]
    gs = gate_search(staged, [(PATH, values), ("gates[0].month", months)], paths=400,
                     seed=SEED, criterion="p50")
    assert len(gs.points) == len(values) * len(months)
    big = _npv(staged.with_values({"gates": []}), paths=400)
    for _, row in gs.points.iterrows():
        sc = staged.with_values({PATH: row[PATH], "gates[0].month": int(row["gates[0].month"])})
        npv = _npv(sc, paths=400)
        expect = npv_table(npv)
        for k, v in expect.items():
            assert row[k] == v, k
        assert (row["option_value"], row["option_value_se"]) == paired_diff(npv, big)
    best = gs.points["npv_p50"].max()
    assert gs.best.iloc[0]["npv_p50"] == best
    for crit, col in (("mean", "npv_mean"), ("p10", "npv_p10"), ("prob", "prob_npv_positive")):
        one = gate_search(staged, [(PATH, values)], paths=400, seed=SEED, criterion=crit)
        assert one.best.iloc[0][col] == one.points[col].max()


@pytest.mark.parametrize(("text", "match"), [
    ("gates[0].min_active_rate", "PATH=VALUES"),
    ("gates[0].min_active_rate=0.1,abc", "'abc' is not a number"),
    ("gates[0].min_active_rate=0.1,nan", "not a finite number"),
])
def test_parse_search_rejects_bad_text(text, match):
    with pytest.raises(AnalysisError, match=match):
        parse_search(text)


@pytest.mark.parametrize(("axes", "match"), [
    ([("gates[1].min_active_rate", [0.1])], "gate 1 does not exist"),
    ([("economics.build_cost", [1.0])], "not a gate threshold"),
    ([("gates[0].name", [1.0])], "not a gate threshold"),
    ([(PATH, [1.5])], "above"),
    ([(PATH, [0.1, 0.1])], "values repeat"),
    ([("gates[0].max_incidents", [1.5])], "not a whole number"),
    ([(PATH, [0.1]), (PATH, [0.2])], "given twice"),
])
def test_search_rejects_bad_axes_with_one_line(staged, axes, match):
    with pytest.raises(AnalysisError, match=match) as exc:
        gate_search(staged, axes, paths=50, seed=1)
    assert "\n" not in str(exc.value)


def test_no_gates_and_bad_settings_are_one_line_errors(seed_case, staged):
    with pytest.raises(AnalysisError, match="no \\[\\[gates\\]\\]"):
        gate_analysis(seed_case, paths=50)
    with pytest.raises(AnalysisError, match="paths"):
        gate_analysis(staged, paths=0)
    with pytest.raises(AnalysisError, match="criterion"):
        gate_search(staged, [(PATH, [0.1])], paths=50, criterion="max")


def test_a_gate_that_always_passes_has_zero_option_value(staged):
    gs = gate_search(staged, [(PATH, [0.0, 0.3])], paths=N, seed=SEED)
    first = gs.points.iloc[0]
    assert first["option_value"] == 0.0 and first["option_value_se"] == 0.0
    assert first["prob_stop"] == 0.0 and first["months_held_mean"] == 0.0
    big = npv_table(_npv(staged.with_values({"gates": []})))
    assert all(first[k] == v for k, v in big.items())
    assert gs.points.iloc[1]["option_value"] != 0.0
