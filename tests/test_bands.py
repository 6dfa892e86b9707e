"""Histogram-then-select bands equal numpy's linear percentiles."""

from __future__ import annotations

import numpy as np
import pytest

from simulator import simulate
from simulator.engine.bands import METRICS, PERCENTILES, STATS, quantiles_hist
from simulator.telemetry import TELEMETRY_METRICS


@pytest.mark.parametrize("n", [1, 2, 3, 10, 1001, 50_000])
@pytest.mark.parametrize("kind", ["normal", "ties", "heavy"])
def test_quantiles_equal_numpy(n, kind):
    rng = np.random.default_rng(n)
    x = {"normal": rng.normal(size=n),
         "ties": rng.integers(0, 5, size=n).astype(float),
         "heavy": rng.standard_cauchy(size=n)}[kind]
    qs = np.array([p / 100 for p in PERCENTILES])
    out = np.empty(qs.size)
    quantiles_hist(x, qs, out)
    np.testing.assert_array_equal(out, np.percentile(x, PERCENTILES))


def test_bands_match_trajectories(seed_case):
    res = simulate(seed_case, paths=3000, seed=4)
    b = res.bands.set_index(["month", "metric", "stat"])["value"]
    # the core's metrics, then the usage telemetry derived from them (simulator.telemetry)
    assert set(res.bands["metric"]) == set(METRICS) | set(TELEMETRY_METRICS)
    assert set(res.bands["stat"]) == set(STATS)
    traj = res.trajectories.astype(np.float64)
    ben, cost = traj[2], traj[3]
    net = ben - cost
    cum = np.cumsum(net, axis=0)
    checks = {"active_users": traj[0], "accuracy": traj[1], "benefit": ben, "cost": cost,
              "net": net, "cum_net": cum, "incidents": traj[4],
              "active_rate": traj[0] / res.registered[:, None]}
    for month in (0, 6, res.horizon):
        for metric, arr in checks.items():
            got = [b[(month, metric, f"p{p}")] for p in PERCENTILES]
            np.testing.assert_allclose(got, np.percentile(arr[month], PERCENTILES),
                                       rtol=1e-12, atol=1e-9, err_msg=f"{metric} m{month}")
            assert b[(month, metric, "mean")] == pytest.approx(arr[month].mean(), rel=1e-9,
                                                               abs=1e-9)
    # Bands are ordered: p5 <= p10 <= ... <= p95 everywhere.
    wide = res.bands.pivot_table(index=["month", "metric"], columns="stat", values="value")
    cols = [f"p{p}" for p in PERCENTILES]
    assert (np.diff(wide[cols].to_numpy(), axis=1) >= 0).all()


def test_bands_over_several_workspace_blocks_equal_numpy():
    """A run too large for one block of the net / cumulative-net workspace (here 3 blocks)
    gives the same bands as numpy on the whole arrays: the running total carries across."""
    from simulator.engine.bands import BAND_BLOCK_BYTES, band_block_months, bands_from_trajectories
    from simulator.engine.layout import TR_ACC, TR_ACTIVE, TR_BEN, TR_COST, TR_INC

    n = BAND_BLOCK_BYTES // (16 * 9) + 1  # 9 months do not fit in a block, 8 do
    months = 20
    assert band_block_months(months, n) == 8
    rng = np.random.default_rng(5)
    traj = np.empty((5, months, n), dtype=np.float32)
    traj[TR_ACTIVE] = rng.integers(0, 300, size=(months, n))
    traj[TR_ACC] = rng.uniform(0.5, 1.0, size=(months, n))
    traj[TR_BEN] = rng.lognormal(9.0, 1.0, size=(months, n))
    traj[TR_COST] = rng.lognormal(8.5, 0.5, size=(months, n))
    traj[TR_INC] = rng.poisson(2.0, size=(months, n))
    registered = np.full(months, 300.0)
    qs = np.array([p / 100 for p in PERCENTILES])
    out = bands_from_trajectories(traj, registered, qs)
    t64 = traj.astype(np.float64)
    net = t64[TR_BEN] - t64[TR_COST]
    series = {"active_users": t64[TR_ACTIVE], "accuracy": t64[TR_ACC], "benefit": t64[TR_BEN],
              "cost": t64[TR_COST], "net": net, "cum_net": np.cumsum(net, axis=0),
              "incidents": t64[TR_INC], "active_rate": t64[TR_ACTIVE] / 300.0}
    for metric, arr in series.items():
        r = METRICS.index(metric)
        for month in (0, 7, 8, 15, 16, months - 1):  # both sides of each block edge
            np.testing.assert_allclose(out[month, r, :-1],
                                       np.percentile(arr[month], PERCENTILES),
                                       rtol=1e-12, atol=1e-9, err_msg=f"{metric} m{month}")
            assert out[month, r, -1] == pytest.approx(arr[month].mean(), rel=1e-9)


def test_summary_percentiles_equal_numpy(seed_case):
    """The summary's percentiles (compiled select) equal np.percentile bit for bit, on
    strided output columns and filtered ones (ROI, IRR)."""
    res = simulate(seed_case, paths=4000, seed=3)
    s = res.summary
    for name in ("active_rate_m6", "active_rate_final"):
        want = np.percentile(res.metric(name), (10, 50, 90))
        assert [s[f"{name}_p{p}"] for p in (10, 50, 90)] == [float(v) for v in want]
    roi = res.metric("roi")
    assert [s[f"roi_p{p}"] for p in (10, 50, 90)] == [
        float(v) for v in np.percentile(roi[np.isfinite(roi)], (10, 50, 90))]
    for name in ("launch_accuracy", "accuracy_m6", "accuracy_final", "pilot_users_lapsed_m6"):
        assert s[f"{name}_p50"] == float(np.percentile(res.metric(name), 50)), name
    irr = res.metric("irr")
    assert s["irr_p50"] == float(np.percentile(irr[np.isfinite(irr)], 50))
