"""Value of information: bounds, null inputs, a dominant decision, brute force, EVSI, Sobol.

All checks are statistical, with tolerances from the estimators' own standard errors
(Z of them), on fixed seeds.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.analysis import Variants
from simulator.cli import main
from simulator.scenario import combination_count
from simulator.voi import (
    AS_WRITTEN,
    NO_GO,
    build_decisions,
    parse_study,
    sobol_indices,
    value_of_information,
)
from simulator.voi.analysis import VoiAnalysis
from simulator.voi.groups import group_of
from simulator.voi.regression import evppi

Z = 3.0
#: Launch accuracy decides go / no-go here: a wide share of unseen inputs, rework that
#: costs twice the time a right output saves, the change plan on (so adoption is not the
#: bottleneck) and the economics fixed. Incidents are switched off, so the integration
#: inputs have no effect at all.
ACCURACY_CASE = {
    "data.ood_share": {"dist": "uniform", "min": 0.0, "max": 0.9},
    "levers.change_plan.enabled": True,
    "economics.minutes_saved_per_task": 10.0,
    "economics.tasks_per_user_month": 100.0,
    "economics.rework_minutes_per_error": 20.0,
    "pilot.incidents_per_month": 0.0,
}
NULL_INPUT = "integration.fix_cost_per_incident"
STUDY = "data.ood_share"


@pytest.fixture(scope="module")
def accuracy_case(seed_case):
    return seed_case.with_values(ACCURACY_CASE)


@pytest.fixture(scope="module")
def acc_voi(accuracy_case) -> VoiAnalysis:
    return value_of_information(accuracy_case, paths=3000, seed=11, portfolios=False,
                                sobol=False, studies=["spot_checks=3", "spot_checks=30",
                                                      "spot_checks=3000"])


@pytest.fixture(scope="module")
def seed_voi(seed_case) -> VoiAnalysis:
    return value_of_information(seed_case, paths=2000, seed=5, sobol=False,
                                studies=["trial_cohort=50,months=3"])


def _tol(*se: float) -> float:
    return Z * math.sqrt(sum(s * s for s in se)) + 1e-6


@pytest.mark.parametrize("which", ["acc_voi", "seed_voi"])
def test_evppi_bounds(which, request):
    """0 <= EVPPI(input) <= EVPPI(its group) <= EVPI, within standard errors."""
    v: VoiAnalysis = request.getfixturevalue(which)
    ev = v.evppi
    groups = ev[ev["kind"] == "group"].set_index("input")
    inputs = ev[ev["kind"] == "input"]
    assert len(inputs) > 5 and len(groups) >= 3
    assert v.evpi >= -_tol(v.evpi_se)
    for r in inputs.itertuples():
        g = groups.loc[r.group]
        assert r.value >= -_tol(r.se), r.input
        assert r.value <= g["value"] + _tol(r.se, g["se"]), (r.input, r.value, g["value"])
    for name, g in groups.iterrows():
        assert g["value"] >= -_tol(g["se"]), name
        assert g["value"] <= v.evpi + _tol(g["se"], v.evpi_se), name
    assert v.evpi > 0 and v.evpi > 2 * v.evpi_se  # both cases have something to learn


def test_null_input_has_no_value(acc_voi):
    row = acc_voi.evppi.set_index("input").loc[NULL_INPUT]
    assert abs(row["value"]) <= _tol(row["se"])


def test_dominant_decision_has_zero_evpi(all_levers):
    sc = all_levers.with_values({"economics.minutes_saved_per_task": 40.0})
    v = value_of_information(sc, paths=1500, seed=3, portfolios=False, sobol=False,
                             studies=["spot_checks=100"])
    go = v.decisions.set_index("decision").loc[AS_WRITTEN]
    assert go["prob_npv_positive"] == 1.0  # the premise: go beats no-go on every path
    assert v.best_decision == AS_WRITTEN
    assert v.evpi == pytest.approx(0.0, abs=1e-6)
    assert (v.evppi["value"].abs() < 1e-6).all()
    assert v.evsi["value"].abs().max() < 1e-6


def test_regression_evppi_matches_nested_monte_carlo(accuracy_case, acc_voi):
    """Brute force: E_s[max_d E(NB_d | s)] - max_d E(NB_d) with the input held at K
    quantiles (midpoints) and the inner mean over paths with everything else sampled."""
    k, inner = 20, 1000
    runner = Variants.start(accuracy_case, inner, seed=99)
    dist = accuracy_case.inputs()[STUDY]
    means, ses = [], []
    for q in (np.arange(k) + 0.5) / k:
        npv = runner.run(values={STUDY: dist.quantile(q)}).metric("npv")
        means.append(npv.mean())
        ses.append(npv.std(ddof=1) / math.sqrt(inner))
    means, ses = np.array(means), np.array(ses)
    brute = np.maximum(means, 0.0).mean() - max(means.mean(), 0.0)
    brute_se = math.sqrt(np.sum(np.where(means > 0, ses, 0.0) ** 2)) / k
    row = acc_voi.evppi.set_index("input").loc[STUDY]
    assert brute > 10 * brute_se  # a case where the input matters
    assert abs(row["value"] - brute) <= _tol(row["se"], brute_se), (row["value"], brute)


def test_evsi_rises_towards_evppi(acc_voi):
    s = acc_voi.evsi.set_index("study")
    small, mid, large = (s.loc[f"spot_checks={n}"] for n in (3, 30, 3000))
    limit, limit_se = large["limit"], large["limit_se"]
    assert limit > 5 * limit_se
    assert small["value"] <= mid["value"] + _tol(small["se"], mid["se"])
    assert mid["value"] < large["value"] - _tol(mid["se"], large["se"]) / Z  # clearly rises
    assert abs(large["value"] - limit) <= _tol(large["se"], limit_se)
    for r in (small, mid):
        assert r["value"] <= limit + _tol(r["se"], limit_se)
    group = acc_voi.evppi.set_index("input").loc["accuracy and data"]
    assert limit <= group["value"] + _tol(limit_se, group["se"])


def test_sobol_null_input_and_bounds(accuracy_case):
    inputs = [STUDY, NULL_INPUT, "data.ood_accuracy", "adoption.base_churn"]
    df = sobol_indices(accuracy_case, inputs, n_base=256, seed=2)
    assert set(df["metric"]) == {"npv", "npv_positive"}
    npv = df[df["metric"] == "npv"].set_index("input")
    null = npv.loc[NULL_INPUT]
    assert abs(null["ST"]) <= null["ST_conf"] + 1e-12
    assert abs(null["S1"]) <= null["S1_conf"] + 1e-12
    top = npv.loc[STUDY]
    assert top["S1"] > 0.3 and top["ST"] >= top["S1"] - top["ST_conf"] - top["S1_conf"]


def test_luck_share_and_fit(seed_voi):
    assert 0.0 < seed_voi.luck_share < 0.5
    assert seed_voi.luck_share_se < 0.05
    # the inputs cannot explain the part of the variance that is luck
    assert seed_voi.fit_r2 <= 1 - seed_voi.luck_share + 3 * seed_voi.luck_share_se + 0.02


def test_decisions_paired_and_hook(seed_case, all_levers):
    dec = build_decisions(seed_case, 300, 4, extra=[("all levers (file)", all_levers)])
    assert dec.names[:2] == [NO_GO, AS_WRITTEN]
    assert len(dec.names) == 2 + (combination_count() - 1) + 1
    assert np.all(dec.nb[:, 0] == 0)
    full = dec.names.index("go with VT + LT + CP + FB")
    np.testing.assert_array_equal(dec.nb[:, full], dec.nb[:, -1])  # common random numbers
    with pytest.raises(ValueError, match="already taken"):
        build_decisions(seed_case, 50, 4, extra=[(NO_GO, all_levers)])


@pytest.mark.parametrize("spec, msg", [
    ("bogus=3", "not a study"), ("spot_checks=0", "whole number"),
    ("spot_checks=5,months=2", "no other key"), ("trial_cohort=5,weeks=2", "unknown key"),
    ("trial_cohort", "KEY=VALUE"),
])
def test_bad_study_is_one_line(spec, msg):
    with pytest.raises(ValueError, match=msg) as exc:
        parse_study(spec)
    assert "\n" not in str(exc.value)


def test_groups_by_prefix():
    assert group_of("pilot.accuracy") == "accuracy and data"
    assert group_of("pilot.incidents_per_month") == "integration"
    assert group_of("adoption.tiers.trained.ceiling") == "adoption"
    assert group_of("levers.feedback_loop.capture_rate") == "levers"
    assert group_of("economics.build_cost") == "economics"


def test_cli_json_keys_and_errors(capsys):
    rc = main(["voi", "scenarios/seed_case.toml", "--paths", "400", "--sobol-n", "16",
               "--study", "spot_checks=50", "--format", "json"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("evpi", "evpi_se", "evppi", "evsi", "sobol", "luck_share", "best_decision"):
        assert key in out
    assert {"input", "value", "se"} <= set(out["evppi"][0])
    assert out["evsi"][0]["study"] == "spot_checks=50"
    assert {"input", "S1", "S1_conf", "ST", "ST_conf"} <= set(out["sobol"][0])
    rc = main(["voi", "scenarios/seed_case.toml", "--study", "spot_checks=abc"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "spot_checks" in err


# --------------------------------------------------------------------------- properties

PROPS = settings(max_examples=25, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(seed=st.integers(0, 2**31 - 1), n_dec=st.integers(2, 5),
       scale=st.floats(0.01, 1e6), shift=st.floats(-1e6, 1e6))
def test_evppi_is_equivariant_and_dominance_gives_zero(seed, n_dec, scale, shift):
    """Scaling every NB scales EVPPI; adding the same per-path amount to every decision
    changes nothing; a decision best on every path by a margin gives exactly 0."""
    rng = np.random.default_rng(seed)
    n = 400
    theta = rng.random((n, 2))
    nb = rng.normal(size=(n, n_dec)) + np.outer(theta[:, 0] - 0.5, np.arange(n_dec))
    base = evppi(nb, theta, n_boot=0)
    scaled = evppi(scale * nb, theta, n_boot=0)
    assert scaled.value == pytest.approx(scale * base.value, rel=1e-6, abs=1e-9 * scale)
    common = shift + rng.normal(size=(n, 1)) * abs(shift)
    shifted = evppi(nb + common, theta, n_boot=0)
    assert shifted.value == pytest.approx(base.value, rel=1e-6, abs=1e-6 * (1 + abs(shift)))
    dominant = nb.copy()
    dominant[:, 0] = nb.max(axis=1) + 1.0
    assert evppi(dominant, theta, n_boot=0).value == 0.0


def test_a_staged_scenario_compares_the_gated_plan_with_big_bang():
    from simulator import load_scenario, simulate
    from simulator.voi.decisions import BIG_BANG, build_decisions

    sc = load_scenario("scenarios/seed_case_staged.toml")
    dec = build_decisions(sc, paths=600, seed=4, portfolios=False)
    assert dec.names[-1] == BIG_BANG
    big_bang = simulate(sc.with_values({"gates": []}), paths=600, seed=4, bands=False,
                        pilot_lens=False).metric("npv")
    np.testing.assert_array_equal(dec.nb[:, -1], big_bang)
