"""The fast EVPPI regression is the old one, faster: the same mathematics on the same folds
and bootstrap weights, so every output agrees with the reference copy of the b9446fa
estimator (tests/voi_regression_old.py) to rounding (1e-10 relative), whatever the
number of threads (exactly)."""

from __future__ import annotations

import numpy as np
import pytest
import voi_regression_old as old  # tests/: the estimator as it was

import simulator.voi.analysis as voi_analysis
import simulator.voi.regression as reg
from simulator.voi import value_of_information

RTOL = 1e-10


def _case(n: int, k: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Net benefits of 4 decisions that depend non-linearly on k inputs, plus noise."""
    rng = np.random.default_rng(seed)
    theta = rng.uniform(0.0, 1.0, (n, k))
    signal = np.sin(3.0 * theta[:, 0]) + (theta[:, 1] if k > 1 else 0.0) * theta[:, 0]
    nb = np.column_stack([np.zeros(n), signal - 0.6, 0.8 * signal - 0.4 + 0.3 * theta[:, -1],
                          np.full(n, -0.1)])
    return nb + rng.normal(0.0, 0.2, nb.shape), theta


def _same(a: reg.Estimate, b: reg.Estimate, exact: bool = False) -> None:
    rtol = 0.0 if exact else RTOL
    for f in ("value", "se", "explained", "prob_switch"):
        assert getattr(a, f) == pytest.approx(getattr(b, f), rel=rtol, abs=0.0, nan_ok=True), f
    np.testing.assert_allclose(a.r2, b.r2, rtol=rtol, atol=0.0)


@pytest.mark.parametrize(("n", "k"), [(1500, 1), (1503, 3), (2000, 6)])
def test_evppi_matches_the_old_estimator(n, k):
    """Narrow (one input: 2 and 8 columns) and wide designs (splines and interactions,
    past WIDE), with folds of unequal sizes (1503 paths)."""
    nb, theta = _case(n, k)
    assert max(x.shape[1] for x in reg.candidate_designs(theta)) >= (reg.WIDE if k > 1 else 8)
    new = reg.evppi(nb, theta, rng=np.random.default_rng(5))
    ref = old.evppi(nb, theta, rng=np.random.default_rng(5))
    assert new.value > 3 * new.se  # a case with something to learn, not a trivial zero
    _same(new, ref)


def test_given_designs_no_bootstrap_and_default_rng():
    nb, theta = _case(1200, 4, seed=2)
    designs = reg.candidate_designs(theta) + reg.candidate_designs(theta[:, :2])
    _same(reg.evppi(nb, basis=designs), old.evppi(nb, basis=designs))
    _same(reg.evppi(nb, theta, n_boot=0, folds=5), old.evppi(nb, theta, n_boot=0, folds=5))
    assert np.isnan(reg.evppi(nb, theta, n_boot=0).se)


def test_shared_resampling_and_splines_change_nothing():
    """Folds and weights drawn once, and cached spline bases, give what a fresh draw
    from the same generator gives."""
    nb, theta = _case(1500, 3, seed=3)
    rs = reg.Resampling.draw(len(nb), np.random.default_rng(9))
    cache = reg.SplineCache()
    fresh = reg.evppi(nb, theta, rng=np.random.default_rng(9))
    for _ in range(2):  # the second call reads the cache
        _same(reg.evppi(nb, theta, resampling=rs, splines=cache), fresh, exact=True)
    assert len(cache._bases) == theta.shape[1]
    with pytest.raises(ValueError, match="1499"):
        reg.evppi(nb[:1499], theta[:1499], resampling=rs)


def test_spline_cache_returns_the_basis():
    x = np.random.default_rng(4).gamma(2.0, size=900)
    cache = reg.SplineCache()
    np.testing.assert_array_equal(cache.basis(x, 3), reg.spline_basis(x, 3))
    assert cache.basis(x, 3) is cache.basis(x.copy(), 3)  # by value, not by object
    assert cache.basis(x, 2).shape[1] == reg.spline_basis(x, 2).shape[1] != 6


@pytest.mark.parametrize("k", [1, 4])
def test_results_do_not_depend_on_the_number_of_threads(k, monkeypatch):
    nb, theta = _case(1500, k, seed=6)
    monkeypatch.setattr(reg, "_cores", lambda: 1)
    one = reg.evppi(nb, theta, rng=np.random.default_rng(1))
    monkeypatch.setattr(reg, "_cores", lambda: 3)
    _same(reg.evppi(nb, theta, rng=np.random.default_rng(1)), one, exact=True)


def test_voi_analysis_matches_the_old_estimator(seed_case, monkeypatch):
    """The whole analysis (EVPI, EVPPI by input and group, EVSI, R^2, verdict inputs) with
    the old estimator, each call drawing its folds and weights afresh as before."""
    seed = 4

    def old_evppi(nb, theta=None, *, basis=None, n_boot=old.N_BOOT, rng=None,
                  resampling=None, splines=None):
        if resampling is not None:  # what analysis.py passed as rng=_folds(seed)
            rng = np.random.default_rng(np.random.SeedSequence([seed, 0xE7B1]))
        return old.evppi(nb, theta, basis=basis, n_boot=n_boot, rng=rng)

    kw = dict(paths=1200, seed=seed, sobol=False, luck_reruns=1,
              studies=["spot_checks=100", "trial_cohort=50,months=2"])
    new = value_of_information(seed_case, **kw).to_dict()
    monkeypatch.setattr(voi_analysis, "evppi", old_evppi)
    monkeypatch.setattr(reg, "evppi", old_evppi)
    ref = value_of_information(seed_case, **kw).to_dict()
    assert new["evpi"] > 0 and len(new["evppi"]) > 10
    _close(new, ref, "")


def _close(a, b, where: str) -> None:
    if isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            _close(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _close(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, rel=RTOL, abs=1e-300, nan_ok=True), where
    else:
        assert a == b, where
