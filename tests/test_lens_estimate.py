"""The pilot lens's median from its first paths: two-phase regression estimate."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator.engine.layout import prepare
from simulator.lens_estimate import ROWS_PER_COEFFICIENT, lens_median
from simulator.results import quantile_se
from simulator.simulation import run_kernel, sample_inputs, seeds


def _features(n_all: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return np.asfortranarray(rng.normal(size=(n_all, k))), rng.normal(1e6, 3e5, n_all)


def test_lens_on_every_path_is_the_plain_sample_median():
    x, npv = _features(3000, 4, 1)
    lens = npv * 1.3 + np.random.default_rng(2).normal(0, 1e5, 3000)
    est = lens_median(lens, x, npv)
    assert est.method == "sample median" and est.paths == 3000
    assert est.value == float(np.percentile(lens, 50))
    assert est.se == quantile_se(np.sort(lens), 0.5)


def test_a_lens_the_features_predict_exactly_gives_the_median_of_all_paths():
    """With no residual, the correction term vanishes: the estimate is the median of the
    lens over all N paths, though only n were run, and its error is the N-path one."""
    n_all, n = 6000, 1024
    x, npv = _features(n_all, 6, 3)
    lens_all = 2e5 + 0.8 * npv - 4e4 * x[:, 2] + 1e4 * x[:, 5]
    est = lens_median(lens_all[:n], x, npv)
    assert est.method == "two-phase regression" and est.paths == n
    ordered = np.sort(lens_all)
    assert abs(est.value - ordered[n_all // 2 - 1]) <= 1e-9 * abs(ordered).max()
    # ...and its standard error is that of the median of all N paths.
    assert est.se == pytest.approx(quantile_se(ordered, 0.5), rel=0.05)
    assert est.se < 0.6 * quantile_se(np.sort(lens_all[:n]), 0.5)


def test_constant_and_duplicate_inputs_are_harmless_and_too_few_paths_fall_back():
    n_all, n = 5000, 1024
    x, npv = _features(n_all, 5, 4)
    x[:, 1] = 7.0  # a fixed input
    x[:, 3] = x[:, 0]  # two inputs moving together
    lens_all = 0.9 * npv + 2e4 * x[:, 0] + np.random.default_rng(5).normal(0, 5e4, n_all)
    est = lens_median(lens_all[:n], x, npv)
    assert est.method == "two-phase regression"
    assert math.isfinite(est.value) and est.se > 0
    assert abs(est.value - np.median(lens_all)) < 4 * est.se
    # More coefficients than the lens paths can fit: the plain median of the lens paths.
    wide = np.asfortranarray(np.random.default_rng(6).normal(size=(n_all, n // 10)))
    assert n < ROWS_PER_COEFFICIENT * (wide.shape[1] + 2)
    est = lens_median(lens_all[:n], wide, npv)
    assert est.method == "sample median"
    assert est.value == float(np.percentile(lens_all[:n], 50))
    # A non-finite lens value: no regression on it either.
    bad = lens_all[:n].copy()
    bad[3] = np.nan
    assert lens_median(bad, x, npv).method == "sample median"


def test_on_the_source_case_the_estimate_is_unbiased_calibrated_and_sharper(seed_case):
    """24 seeds at 4 000 paths, the lens run on every path for reference: the estimate
    from the first 1 024 lens paths sits around the all-path median with z-scores of
    mean 0 (within 3 s.e. of a mean of 24) and mean square at most 1 (within 3 s.e.),
    and its standard error is well under the plain median's on the same paths."""
    n_all, n, seeds_ = 4000, 1024, range(1, 25)
    z, ratio = [], []
    for seed in seeds_:
        x, names = sample_inputs(seed_case, n_all, seed)
        _, kseed = seeds(seed)
        npv = run_kernel(prepare(seed_case, x, names, seed_case.horizon), kseed,
                         store=False)[0][:, 0]
        lens_all = run_kernel(prepare(seed_case, x, names, seed_case.horizon, lens=True),
                              kseed, store=False)[0][:, 0]
        est = lens_median(lens_all[:n], x, npv)
        assert est.method == "two-phase regression"
        z.append((est.value - np.percentile(lens_all, 50)) / est.se)
        ratio.append(est.se / quantile_se(np.sort(lens_all[:n]), 0.5))
    z = np.array(z)
    k = len(z)
    assert abs(z.mean()) <= 3 / math.sqrt(k)
    assert (z ** 2).mean() <= 1 + 3 * math.sqrt(2 / k)
    assert np.mean(ratio) < 0.7


def test_inputs_near_1e308_give_a_finite_estimate():
    """An input too large to square or sum (near 1e308) carries nothing: the estimate
    stays finite and near the all-path median, whether its sum overflows or not."""
    n_all, n = 5000, 1024
    x, npv = _features(n_all, 4, 7)
    lens_all = 0.9 * npv + 1e4 * x[:, 0]
    x[:, 2] = 1.5e308
    x[::2, 2] = -1.5e308  # sums to 0, squares overflow
    for _ in range(2):
        est = lens_median(lens_all[:n], x, npv)
        assert est.method == "two-phase regression"
        assert math.isfinite(est.value) and math.isfinite(est.se)
        assert abs(est.value - np.median(lens_all)) < 4 * est.se
        x[:, 2] = np.abs(x[:, 2]) * np.linspace(0.9, 1.0, n_all)  # the sum overflows too
