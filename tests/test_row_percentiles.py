"""Month-by-month percentiles by the compiled select equal np.percentile bit for bit: the
telemetry bands (their mean: the sum in path order) and the workbook's cash-flow
statistics."""

from __future__ import annotations

import numpy as np

from simulator.export.cashflow import _stats
from simulator.telemetry import rate_bands


def _months(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = rng.random((13, 2_001))
    a[2] = np.round(a[2], 1)  # ties
    a[0] = 0.0  # a constant month
    a[5, ::2] = 1.0
    return a


def test_rate_bands_equal_numpy():
    a = _months(1)
    got = rate_bands(a, (10, 25, 50, 75, 90))
    assert np.array_equal(got[:, :-1], np.percentile(a, (10, 25, 50, 75, 90), axis=1).T)
    # the mean: the float64 sum in path order over N (as the core bands take it, so a
    # streamed run gives the same bits), within rounding of numpy's pairwise mean
    assert np.array_equal(got[:, -1], np.cumsum(a, axis=1)[:, -1] / a.shape[1])
    np.testing.assert_allclose(got[:, -1], a.mean(axis=1), rtol=1e-13, atol=0)
    a[3, 7] = np.nan  # non-finite: numpy's own answer (NaN for that month)
    got = rate_bands(a, (10, 50, 90))
    assert np.isnan(got[3, :3]).all() and np.array_equal(
        got[4], np.append(np.percentile(a[4], (10, 50, 90)), a[4].mean()))


def test_cash_flow_statistics_equal_numpy():
    a = _months(2) * 1e5 - 3e4
    s = _stats(a)
    q = np.percentile(a, [10, 50, 90], axis=1)
    for i, k in enumerate(("p10", "p50", "p90")):
        assert np.array_equal(s[k], q[i]), k
    assert np.array_equal(s["mean"], a.mean(axis=1))
