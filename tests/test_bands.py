"""Histogram-then-select bands equal numpy's linear percentiles."""

from __future__ import annotations

import numpy as np
import pytest

from simulator import simulate
from simulator.engine.bands import METRICS, PERCENTILES, STATS, quantiles_hist


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
    assert set(res.bands["metric"]) == set(METRICS)
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
