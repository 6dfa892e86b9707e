"""The human_review lever: kernel against the numpy reference, and what it does."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.engine.layout import OUT, TRAJ, prepare
from simulator.engine.reference import reference_simulate
from simulator.simulation import run_kernel, run_kernel_gates, sample_inputs

N = 240
REVIEW = {"levers.human_review.enabled": True,
          "levers.human_review.share": {"dist": "uniform", "min": 0.2, "max": 0.8},
          "levers.human_review.minutes_per_review": 3.0,
          "levers.human_review.reviewer_hourly_cost": 70.0}
SWITCH_TO_REVIEW = {"name": "m3 quality", "month": 3, "min_accuracy": 0.85, "spot_checks": 120,
                    "on_fail": "switch_levers", "levers": ["human_review"]}
VARIANTS = {
    "review": ([], REVIEW),
    "review_with_feedback": ([], {**REVIEW, "levers.feedback_loop.enabled": True,
                                  "levers.feedback_loop.retrain_every_months": 2}),
    "review_stops": ([], {**REVIEW, "levers.human_review.stop_at_accuracy": 0.9,
                          "levers.feedback_loop.enabled": True}),
    "review_from_month_4": ([], {**REVIEW, "levers.human_review.enabled_from_month": 4,
                                 "levers.human_review.stop_at_accuracy": 0.9}),
    "gate_switches_review_on": ([SWITCH_TO_REVIEW], {
        **{k: v for k, v in REVIEW.items() if not k.endswith("enabled")},
        "levers.human_review.stop_at_accuracy": 0.8}),
}


def _small(sc, gates=(), **changes):
    base = {"adoption.cohorts[0].size": 30, "adoption.cohorts[1].size": 25,
            "scenario.horizon_months": 14, "gates": list(gates)}
    base.update(changes)
    return sc.with_values(base)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("lens", [False, True])
def test_kernel_equals_reference_with_human_review(seed_case, variant, lens):
    gates, changes = VARIANTS[variant]
    sc = _small(seed_case, gates, **changes)
    x, names = sample_inputs(sc, N, seed=5)
    m = prepare(sc, x, names, sc.horizon, lens=lens)
    kseed = 0xC0FFEE
    out_k, traj_k, g_k = run_kernel_gates(m, kseed, store=True)
    g_r = np.zeros(g_k.shape if g_k.size else (N, 0))
    out_r, traj_r = reference_simulate(m, kseed, gate_out=g_r if g_k.size else None)
    if g_k.size:
        np.testing.assert_array_equal(g_k, g_r)
    ints = [OUT.index(k) for k in ("payback_month", "active_m6", "active_final", "incidents",
                                   "pilot_users_lapsed_m6")]
    np.testing.assert_array_equal(out_k[:, ints], out_r[:, ints])
    for k in ("active_users", "incidents"):
        np.testing.assert_array_equal(traj_k[TRAJ.index(k)], traj_r[TRAJ.index(k)])
    money = [OUT.index(k) for k in ("npv", "pv_benefit", "pv_cost", "pv_review_cost",
                                    "accuracy_m6", "accuracy_final")]
    np.testing.assert_allclose(out_k[:, money], out_r[:, money], rtol=1e-12, atol=1e-6)
    for k in ("accuracy", "benefit", "cost"):
        i = TRAJ.index(k)
        np.testing.assert_array_equal(traj_k[i], traj_r[i].astype(np.float32))


def test_parity_variants_exercise_the_review(seed_case):
    """Guard against vacuous parity: review costs money, the stop rule fires on some paths
    and not others, and the gate switches review on where it fails."""
    pv = {}
    for variant in ("review_stops", "review", "gate_switches_review_on"):
        gates, changes = VARIANTS[variant]
        sc = _small(seed_case, gates, **changes)
        x, names = sample_inputs(sc, N, seed=5)
        out, _, g = run_kernel_gates(prepare(sc, x, names, sc.horizon), 0xC0FFEE, store=False)
        pv[variant] = out[:, OUT.index("pv_review_cost")]
        if g.size:
            failed = g[:, 0] == 0
            assert failed.any() and (~failed).any()
            assert (pv[variant][failed] > 0).all() and (pv[variant][~failed] == 0).all()
    assert (pv["review"] > 0).all()
    stopped = pv["review_stops"] < pv["review"] * (1 - 1e-9)
    assert stopped.any() and (~stopped).any()


def test_review_removes_rework_and_costs_reviewer_time(seed_case):
    """Paired paths, no churn feedback: with every output reviewed and free reviewers the
    benefit gains exactly the rework of the errors; paid reviewers cost tasks x r x minutes
    x rate on top."""
    fixed = {"adoption.quality_churn_sensitivity": 0.0, "adoption.return_rate": 0.0}
    sc0 = _small(seed_case, **fixed)
    on = {**fixed, "levers.human_review.enabled": True, "levers.human_review.share": 1.0,
          "levers.human_review.minutes_per_review": 0.0}
    sc1 = _small(seed_case, **on)
    x, names = sample_inputs(sc1, 60, seed=8)
    out0, traj0 = run_kernel(prepare(sc0, x, names, sc0.horizon), 3, store=True)
    out1, traj1 = run_kernel(prepare(sc1, x, names, sc1.horizon), 3, store=True)
    act, acc = traj0[TRAJ.index("active_users")], traj0[TRAJ.index("accuracy")]
    np.testing.assert_array_equal(act, traj1[TRAJ.index("active_users")])
    col = {p: i for i, p in enumerate(names)}
    tasks = act.astype(float) * x[:, col["economics.tasks_per_user_month"]]
    rework = (tasks * (1 - acc.astype(float)) * x[:, col["economics.rework_minutes_per_error"]]
              * x[:, col["economics.hourly_cost"]] / 60.0)
    inc = traj0[TRAJ.index("incidents")].astype(float)
    down = np.minimum(1.0, inc * x[:, col["integration.downtime_per_incident"]])
    gain = traj1[TRAJ.index("benefit")].astype(float) - traj0[TRAJ.index("benefit")]
    np.testing.assert_allclose(gain[1:], (rework * (1 - down))[1:], rtol=1e-4, atol=1.0)
    assert np.all(out1[:, OUT.index("pv_review_cost")] == 0.0)


def test_the_gap_transforms_still_reproduce_the_lens_with_review_on(seed_case):
    """The pilot lens keeps the scenario's levers: with human review on, switching every
    failure mode off by scenario transforms still gives the kernel's lens path by path."""
    from simulator.analysis import expectation_gap

    sc = seed_case.with_values({**REVIEW, "levers.human_review.stop_at_accuracy": 0.9})
    gap = expectation_gap(sc, paths=200, seed=3, bootstrap=0)
    assert bool(gap.summary["lens_reproduced"].iloc[0])


def test_review_stops_on_the_reviewers_count_not_on_the_true_accuracy(seed_case):
    """True accuracy fixed at the threshold (0.9): a rule reading the true accuracy would
    stop every path after month 1; reading K ~ Binomial(n, 0.9) correct among the n
    reviewed outputs, a path stops with probability P(K / n >= 0.9), path by path."""
    from scipy import stats

    sc = seed_case.with_values({
        "pilot.accuracy": 0.9, "data.ood_share": 0.0, "data.drift_per_month": 0.0,
        "scenario.horizon_months": 2, "adoption.cohorts[1].start_month": 2,
        "levers.human_review.enabled": True,
        "levers.human_review.share": 1.0, "levers.human_review.minutes_per_review": 1.0,
        "levers.human_review.reviewer_hourly_cost": 60.0,
        "levers.human_review.stop_at_accuracy": 0.9})
    n_paths = 2_000
    x, names = sample_inputs(sc, n_paths, seed=12)
    m = prepare(sc, x, names, sc.horizon)
    out, traj = run_kernel(m, 77, store=True)
    act = traj[TRAJ.index("active_users")].astype(float)
    tasks_per = x[:, names.index("economics.tasks_per_user_month")]
    f = 1.0 / (1.0 + m.monthly_rate)
    review_1 = act[1] * tasks_per * f  # one reviewer minute per task at 60 an hour
    pv = out[:, OUT.index("pv_review_cost")]
    ok = act[2] > 0
    stopped = np.isclose(pv, review_1, rtol=1e-9)[ok]
    n = np.floor(act[1] * tasks_per).astype(np.int64)[ok]
    k_min = np.ceil(0.9 * n).astype(np.int64)
    k_min -= (k_min - 1) / n >= 0.9  # the kernel compares K / n >= 0.9 in floating point
    p = stats.binom.sf(k_min - 1, n, 0.9)
    se = np.sqrt(np.sum(p * (1 - p))) / p.size
    assert 0.2 < p.mean() < 0.8  # the count, not the accuracy, decides
    assert abs(stopped.mean() - p.mean()) < 4 * se + 1e-12, (stopped.mean(), p.mean(), se)
