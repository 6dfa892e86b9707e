"""Lever analysis: common random numbers, lever cost, marginal values, best portfolio."""

from __future__ import annotations

import numpy as np
import pytest

from simulator import simulate
from simulator.analysis import (
    CRITERIA,
    AnalysisError,
    Variants,
    best_portfolio,
    lever_analysis,
    lever_costs,
    rebudget,
)
from simulator.scenario import LEVER, LEVERS, combination_count

PATHS = 2_000
SEED = 5


@pytest.fixture(scope="module")
def seed_levers(seed_case):
    return lever_analysis(seed_case, paths=PATHS, seed=SEED)


def test_zero_effect_zero_cost_lever_gives_identical_npvs(seed_case):
    sc = seed_case.with_values({"levers.variability_testing.gap_closed": 0.0,
                                "levers.variability_testing.cost": 0.0})
    off = simulate(sc, paths=PATHS, seed=SEED, bands=False).metric("npv")
    on = simulate(sc.with_levers(variability_testing=True), paths=PATHS, seed=SEED,
                  bands=False).metric("npv")
    assert np.array_equal(on, off)
    # ... and the same in the lever analysis: marginal value exactly zero, zero s.e.
    la = lever_analysis(sc, paths=PATHS, seed=SEED)
    m = la.marginal.set_index("lever").loc["variability_testing"]
    assert m["marginal_npv_mean"] == 0.0 and m["marginal_npv_se"] == 0.0
    c = la.combinations.set_index("portfolio")
    assert c.loc["VT", "npv_p50"] == c.loc["none", "npv_p50"]


def test_variants_match_simulate_exactly(seed_case):
    runner = Variants.start(seed_case, PATHS, SEED)
    variant = runner.run({"levers.change_plan.enabled": True},
                         {"economics.hourly_cost": 70.0})
    direct = simulate(seed_case.with_values({"levers.change_plan.enabled": True,
                                             "economics.hourly_cost": 70.0}),
                      paths=PATHS, seed=SEED, bands=False)
    assert np.array_equal(variant.metric("npv"), direct.metric("npv"))
    assert np.array_equal(variant.metric("active_rate_m6"), direct.metric("active_rate_m6"))


def test_lever_cost_equals_pv_cost_change_without_knock_on_costs(seed_case):
    # With no per-task, per-active-user or per-incident costs, everything the levers add to
    # PV cost is their own cost, so the two must agree path by path.
    sc = seed_case.with_values({"economics.inference_per_task": 0.0,
                                "economics.support_per_active_user_month": 0.0,
                                "integration.fix_cost_per_incident": 0.0})
    runner = Variants.start(sc, 1_000, SEED)
    costs = lever_costs(sc, runner.base.inputs, runner.names, runner.base.horizon)
    none = runner.run({f"levers.{lv}.enabled": False for lv in LEVERS}).metric("pv_cost")
    full = combination_count() - 1
    for mask in [1 << i for i in range(len(LEVERS))] + [full]:
        on = [lv for i, lv in enumerate(LEVERS) if mask >> i & 1]
        res = runner.run({f"levers.{lv}.enabled": lv in on for lv in LEVERS})
        pv = res.metric("pv_cost")
        # Costs that depend on the run (reviewer time) come from the run itself.
        expected = sum((res.metric(LEVER[lv].simulated_cost) for lv in on
                        if LEVER[lv].simulated_cost), sum(costs[lv] for lv in on))
        np.testing.assert_allclose(pv - none, expected, rtol=1e-9, atol=1e-6)


def test_table_shape_and_marginal_consistency(seed_levers):
    c = seed_levers.combinations
    assert len(c) == combination_count() and c["portfolio"].is_unique
    assert c.loc[c["portfolio"] == "none", "lever_cost_mean"].iloc[0] == 0.0
    assert c["is_current"].sum() == 1 and c.loc[c["is_current"], "portfolio"].iloc[0] == "none"
    by = {frozenset(lv for lv in LEVERS if r[lv]): r for r in c.to_dict("records")}
    for _, m in seed_levers.marginal.iterrows():
        lv = m["lever"]
        pairs = [(by[s | {lv}]["npv_mean"] - by[s]["npv_mean"]) for s in by if lv not in s]
        assert len(pairs) == combination_count() // 2
        assert m["marginal_npv_mean"] == pytest.approx(np.mean(pairs), rel=1e-9, abs=1e-6)
        assert m["marginal_npv_se"] > 0
    # The source case's remedy: the change plan is worth most, and clearly so.
    top = seed_levers.marginal.iloc[0]
    second = seed_levers.marginal.iloc[1]
    assert top["lever"] == "change_plan"
    assert top["marginal_npv_mean"] - second["marginal_npv_mean"] > 3 * np.hypot(
        top["marginal_npv_se"], second["marginal_npv_se"])


@pytest.mark.parametrize("criterion", list(CRITERIA))
@pytest.mark.parametrize("budget", [None, 0.0, 150_000.0])
def test_best_portfolio_respects_budget_and_criterion(seed_levers, criterion, budget):
    la = rebudget(seed_levers.combinations, seed_levers.marginal, criterion, budget)
    c, key = la.combinations, CRITERIA[criterion]
    best = la.best.iloc[0]
    ok = c if budget is None else c[c["lever_cost_mean"] <= budget]
    assert best[key] == ok[key].max()
    assert budget is None or best["lever_cost_mean"] <= budget
    assert c["is_best"].sum() == 1
    if budget == 0.0:
        assert best["portfolio"] == "none"
    # the recovery path only ever improves the criterion and stays within budget
    assert (np.diff(la.path[key]) > 0).all()
    assert budget is None or (la.path["lever_cost_mean"] <= budget).all()


def test_bad_criterion_and_budget(seed_levers):
    with pytest.raises(AnalysisError, match="criterion"):
        best_portfolio(seed_levers.combinations, "p99")
    with pytest.raises(AnalysisError, match="budget"):
        best_portfolio(seed_levers.combinations, "p50", -1.0)
