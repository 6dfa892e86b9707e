"""Usage telemetry: ever used >= monthly >= weekly >= daily active, on every path and month."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator import simulate
from simulator.engine.layout import TR_ACC, TR_ACTIVE
from simulator.telemetry import (
    TELEMETRY_METRICS,
    active_share_of_adopters,
    ever_used_counts,
    telemetry_rates,
)


def _ordered(rates: dict[str, np.ndarray]) -> None:
    e, m = rates["ever_used"], rates["active_rate"]
    w, d = rates["weekly_active_rate"], rates["daily_active_rate"]
    assert (e >= m).all() and (m >= w).all() and (w >= d).all() and (d >= 0).all()
    assert (e <= 1 + 1e-12).all()


def test_bands_have_telemetry_and_order_holds_on_every_path(seed_case):
    res = simulate(seed_case, paths=400, seed=3)
    metrics = set(res.bands["metric"])
    assert set(TELEMETRY_METRICS) <= metrics and "active_rate" in metrics
    _ordered(res.telemetry)
    # the bands agree with the per-path monthly rate the core reports
    b = res.bands
    p50 = b[(b.metric == "ever_used") & (b.stat == "p50")].set_index("month")["value"]
    np.testing.assert_allclose(p50.to_numpy(), np.median(res.telemetry["ever_used"], axis=1))
    act = b[(b.metric == "active_rate") & (b.stat == "p50")]["value"].to_numpy()
    wk = b[(b.metric == "weekly_active_rate") & (b.stat == "p50")]["value"].to_numpy()
    assert (wk <= act + 1e-12).all()
    for col in ("ever_used_m6", "weekly_active_rate_m6", "daily_active_rate_m6"):
        assert col in res.paths.columns
    m6 = min(6, res.horizon)
    np.testing.assert_allclose(res.paths["weekly_active_rate_m6"],
                               res.telemetry["active_rate"][m6] * res.usage[:, 0])


def test_ever_used_counts_cumulative_adopters_at_least():
    # 10 adopt in month 1, 5 of them lapse in month 2 (churn 0.5), nobody new: still 10
    a = np.array([[0.0], [10.0], [5.0], [5.0]])
    e = ever_used_counts(a, np.array([20, 20, 20, 20]), np.array([0.5]))
    assert e[:, 0].tolist() == [0.0, 10.0, 10.0, 12.5]
    # with returns: the 2.5 back in month 3 are half of the 5 lapsed, not new adopters
    e = ever_used_counts(a, np.array([20, 20, 20, 20]), np.array([0.5]), np.array([0.5]))
    assert e[:, 0].tolist() == [0.0, 10.0, 10.0, 10.0]


def test_ever_used_tracks_the_cores_cumulative_adopters(seed_case):
    """With no lapses (no churn of any kind) cumulative adopters are the actives."""
    sc = seed_case.with_values({"adoption.base_churn": 0.0,
                                "adoption.quality_churn_sensitivity": 0.0,
                                "integration.trust_shock_per_incident": 0.0})
    res = simulate(sc, paths=100, seed=1)
    np.testing.assert_allclose(res.telemetry["ever_used"], res.telemetry["active_rate"])


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 24), st.integers(1, 30), st.integers(0, 2**31 - 1))
def test_order_property_on_random_trajectories(months, n, seed):
    rng = np.random.default_rng(seed)
    reg = np.sort(rng.integers(0, 500, size=months + 1))
    act = np.floor(rng.random((months + 1, n)) * reg[:, None])
    traj = np.zeros((5, months + 1, n), dtype=np.float32)
    traj[TR_ACTIVE] = act
    traj[TR_ACC] = rng.random((months + 1, n))
    usage = rng.random((n, 2))
    x = {k: rng.random(n) for k in ("adoption.base_churn", "adoption.return_rate",
                                    "adoption.trust_accuracy",
                                    "adoption.quality_churn_sensitivity")}
    rates = telemetry_rates(traj, reg, x, usage)
    _ordered(rates)
    # the active share of onboarded users: active / ever used, a share, 0 before anyone used it
    share = active_share_of_adopters(rates)
    assert ((share >= 0) & (share <= 1)).all()
    used = rates["ever_used"] > 0
    np.testing.assert_allclose(share[used], rates["active_rate"][used] / rates["ever_used"][used])
    assert (share[~used] == 0).all()
