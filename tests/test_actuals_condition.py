"""Conditioning on actuals: the prior is left alone without actuals, bands tighten around
observed months, the source case's own figures give a coherent posterior, and the SMC
engine (tempering, moves, keyed luck, ESS) does what docs/actuals.md says."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator import simulate
from simulator.actuals import (
    ActualsError,
    ObservationModel,
    condition,
    diagnose,
    empty_actuals,
    lever_gains,
    read_actuals,
    reads_actuals,
    synthetic_actuals,
)
from simulator.actuals.likelihood import log_likelihood
from simulator.actuals.weighted import (
    ess,
    normalise_log_weights,
    weighted_mean,
    weighted_quantiles,
)

ROOT = Path(__file__).resolve().parents[1]
N = 10_000


@pytest.fixture(scope="module")
def prior(seed_case):
    return simulate(seed_case, paths=N, seed=7)


def test_no_actuals_posterior_is_the_prior_exactly(prior):
    for actuals in (None, empty_actuals(), reads_actuals("month,active_users\n3,\n")):
        post = condition(prior, actuals)
        assert post.is_prior and post.ess == N
        assert np.all(post.weights == 1.0 / N)
        pd.testing.assert_frame_equal(post.bands, prior.bands)
        for k, v in prior.summary.items():
            assert post.summary[k] == v, k
        assert post.notes == []


def test_weighted_statistics_reduce_to_the_unweighted_ones():
    x = np.random.default_rng(3).lognormal(size=(4, 2001))
    w = np.full(2001, 1 / 2001)
    got = weighted_quantiles(x, w, [0.05, 0.5, 0.95])
    want = np.percentile(x, [5, 50, 95], axis=1, method="hazen").T
    np.testing.assert_allclose(got, want, rtol=1e-12)
    m, se = weighted_mean(x[0], w)
    assert m == pytest.approx(x[0].mean(), rel=1e-12)
    assert se == pytest.approx(x[0].std() / math.sqrt(2001), rel=1e-9)
    assert ess(w) == pytest.approx(2001)
    assert ess(np.array([1.0, 0, 0, 0])) == 1.0


def test_bands_tighten_around_observed_months(seed_case, prior):
    truth = simulate(seed_case, paths=5, seed=321)
    months = range(1, 7)
    for j in range(3):
        actuals = synthetic_actuals(truth, j, months, columns=("registered", "active_users",
                                                               "accuracy"))
        post = condition(prior, actuals)
        assert post.ess > 50
        for metric, col in (("active_users", "active_users"), ("accuracy", "accuracy")):
            pb = prior.bands_wide()
            qb = post.bands.pivot_table(index="month", columns=["metric", "stat"],
                                        values="value")[metric]
            actual = actuals.column(col)
            width_prior = (pb[f"{metric}_p90"] - pb[f"{metric}_p10"]).to_numpy()[1:7]
            width_post = (qb["p90"] - qb["p10"]).to_numpy()[1:7]
            later = slice(2, 6)  # month 1 of active users is nearly fixed by the pilot team
            assert np.all(width_post[later] < width_prior[later]), (j, metric)
            assert width_post[later].sum() < 0.75 * width_prior[later].sum(), (j, metric)
            inside = (qb["p5"].to_numpy()[1:7] <= actual + 1e-6) & (
                actual - 1e-6 <= qb["p95"].to_numpy()[1:7])
            assert inside.sum() >= 5, (j, metric, actual, qb["p5"].to_numpy()[1:7])


def test_source_case_month_6(seed_case):
    actuals = read_actuals(ROOT / "examples" / "actuals_seed_case.csv", seed_case.horizon)
    post = condition(seed_case, actuals, paths=N, seed=7)
    s = post.summary
    assert s["ess"] == post.ess and 0.3 * N < post.ess <= N
    assert s["posterior"] is True and s["last_actual_month"] == 6
    # The active rate at month 6 is pulled to the observed 46 / 200 = 23 %.
    rate = post.metric("active_rate_m6")
    m, se = post.mean(rate)
    assert abs(m - 0.23) < 0.015 + 3 * se
    prior = post.prior.summary
    assert (s["active_rate_m6_p90"] - s["active_rate_m6_p10"]
            < prior["active_rate_m6_p90"] - prior["active_rate_m6_p10"])
    assert np.isfinite([s["npv_p10"], s["npv_p50"], s["npv_p90"], s["npv_mean_se"]]).all()
    assert s["npv_p10"] < s["npv_p50"] < s["npv_p90"]
    assert 0 <= s["prob_npv_positive"] <= 1
    d = diagnose(post)
    assert set(d.modes["mode"]) == {"data_quality", "integration", "change_management",
                                    "feedback"}
    # 46 of 200 active is what the source case was calibrated to: nothing is called worse.
    assert d.sentence.startswith("Your actuals show no failure mode clearly worse")
    assert d.status == "clear" and not d.alarm
    assert (d.modes["score"].abs() <= 1).all()


def test_registered_mismatch_is_reported_and_the_rate_is_used(seed_case, prior):
    post = condition(prior, reads_actuals("month,registered,active_users\n6,150,46\n"))
    assert any("registered users differ" in n and "adoption.cohorts" in n for n in post.notes)
    assert post.likelihood.registered_mismatch == [(6, 150, 200)]
    m, _ = post.mean(post.metric("active_rate_m6"))
    m0 = float(prior.metric("active_rate_m6").mean())
    assert abs(m - 46 / 150) < abs(m0 - 46 / 150)
    with pytest.raises(ActualsError, match="above the scenario's 200 registered"):
        condition(prior, reads_actuals("month,active_users\n6,230\n"))


def test_below_the_minimum_ess_no_percentiles_are_claimed(seed_case):
    truth = simulate(seed_case, paths=3, seed=11)
    actuals = synthetic_actuals(truth, 0, range(1, 7), rng=np.random.default_rng(0))
    post = condition(seed_case, actuals, paths=1_000, seed=3, min_ess=1e9)
    assert post.collapsed and any(n.startswith("warning: effective sample size")
                                  and "no percentiles" in n for n in post.notes)
    assert [h for _, _, h in post.history][-1] == "posterior (distinct particles)"
    idx = post.resample(1000, seed=1)
    assert idx.shape == (1000,) and idx.min() >= 0 and idx.max() < post.n_paths


def test_smc_agrees_with_importance_weighting_where_that_is_reliable(seed_case, prior):
    """On actuals the prior covers well (plain likelihood weighting of N prior paths keeps
    a large ESS), the SMC posterior means agree with the weighted prior within 4 combined
    standard errors (the SMC's on its ESS)."""
    truth = simulate(seed_case, paths=3, seed=11)
    actuals = synthetic_actuals(truth, 1, range(1, 4), columns=("registered",
                                                                "active_users"),
                                rng=np.random.default_rng(0))
    w = normalise_log_weights(log_likelihood(prior, actuals).total)
    assert ess(w) > 500
    post = condition(seed_case, actuals, paths=4_000, seed=5)
    assert post.ess > 1_000
    for name in ("active_rate_m6", "launch_accuracy", "npv"):
        a, sa = weighted_mean(prior.metric(name), w)
        b, sb = post.mean(post.metric(name))
        assert abs(a - b) < 4 * math.hypot(sa, sb), (name, a, b, sa, sb)


def test_observation_model_is_validated():
    with pytest.raises(ActualsError, match="accuracy_spot_checks"):
        ObservationModel(accuracy_spot_checks=0)
    sd = ObservationModel(accuracy_spot_checks=100, accuracy_sd_floor=0.01).accuracy_sd(
        np.array([0.9]))
    assert sd[0] == pytest.approx(math.sqrt(0.09 / 100 + 1e-4))


def test_lever_gains_use_common_random_numbers(seed_case, all_levers):
    res = simulate(seed_case, paths=2_000, seed=9)
    post = condition(res, reads_actuals("month,registered,active_users\n6,200,30\n"))
    gains = lever_gains(post)
    assert list(gains["lever"])[:4] and set(gains["status"]) == {"off"}
    assert gains["posterior_gain_mean"].is_monotonic_decreasing
    # The prior's lever run on the same inputs and kernel seed is the ordinary simulation.
    direct = simulate(seed_case.with_levers(change_plan=True), paths=2_000, seed=9)
    d = direct.metric("npv") - res.metric("npv")
    row = gains.set_index("lever").loc["change_plan"]
    assert row["prior_gain_mean"] == pytest.approx(d.mean(), rel=1e-12)
    # Each particle re-run on its own luck key reproduces its own path exactly...
    out, traj = post.run(seed_case, store=True)
    np.testing.assert_array_equal(out[:, 0], post.metric("npv"))
    np.testing.assert_array_equal(traj, post.sample.trajectories)
    # ...so the posterior gain is the weighted difference on common random numbers.
    d_post = post.run(seed_case.with_levers(change_plan=True))[0][:, 0] - post.metric("npv")
    assert row["posterior_gain_mean"] == pytest.approx(float(post.weights @ d_post), rel=1e-9)
    on = lever_gains(condition(simulate(all_levers, paths=500, seed=1),
                               reads_actuals("month,active_users\n6,100\n")))
    assert set(on["status"]) == {"already on"}
