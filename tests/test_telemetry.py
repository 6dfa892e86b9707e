"""Usage telemetry: ever used >= monthly >= weekly >= daily active, on every path and month."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator import simulate
from simulator.engine.bands import PERCENTILES
from simulator.engine.layout import TR_ACC, TR_ACTIVE
from simulator.telemetry import (
    TELEMETRY_METRICS,
    active_share_of_adopters,
    ever_used_counts,
    rate_bands,
    telemetry_bands_months,
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


def test_a_paths_telemetry_depends_on_that_path_only():
    """Any subset of paths (a streamed run's chunk) gets the values the whole run gives
    them, even where another path's active count (float32) rounds above the registered
    users: path 0's cumulative adopters reach the registered users in month 6, and the
    wave of month 8 shows whether they were capped there or at path 1's count."""
    big = 16_777_217  # not a float32: 16,777,219 rounds to 16,777,220
    reg = np.array([10.0, 100, 100, 100, 100, 100, big, big, 20_000_000])
    rng = np.random.default_rng(4)
    n = 12
    traj = np.zeros((5, reg.size, n), dtype=np.float32)
    traj[TR_ACTIVE] = np.floor(rng.random((reg.size, n)) * np.minimum(reg, 90)[:, None])
    traj[TR_ACTIVE, :, 0] = [0, 10, 10, 10, 10, 10, big - 1, big - 1, 2**23]  # none new in 8
    traj[TR_ACTIVE, 6:, 1] = 16_777_219
    assert traj[TR_ACTIVE, 7, 1] > reg[7]
    usage = rng.random((n, 2))
    x = {"adoption.base_churn": np.full(n, 0.5), "adoption.return_rate": np.zeros(n)}
    whole = telemetry_rates(traj, reg, x, usage)
    assert whole["ever_used"][8, 0] == big / reg[8]  # capped at the registered users
    for idx in (np.array([0]), np.arange(0, 5), np.arange(5, n), np.array([0, 1, 7])):
        part = telemetry_rates(traj[:, :, idx], reg, {k: v[idx] for k, v in x.items()},
                               usage[idx])
        for k in whole:
            np.testing.assert_array_equal(part[k], whole[k][:, idx], err_msg=k)


def test_month_by_month_bands_equal_the_rate_bands(seed_case):
    """The streamed run's fallback (a month at a time) gives rate_bands' bits and the
    paths' month-6 values."""
    res = simulate(seed_case, paths=500, seed=8, horizon=14)
    x = {n: res.inputs[:, j] for j, n in enumerate(res.input_names)}
    bands, at = telemetry_bands_months(res.trajectories, res.registered, x, res.usage, 6,
                                       PERCENTILES)
    tel = res.telemetry
    for k, m in enumerate(TELEMETRY_METRICS):
        np.testing.assert_array_equal(bands[:, k], rate_bands(tel[m], PERCENTILES))
        np.testing.assert_array_equal(at[:, k], res.paths[f"{m}_m6"].to_numpy())
