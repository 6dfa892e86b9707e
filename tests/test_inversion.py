"""Binomial and Poisson draws by inversion: exact quantiles, monotone in every parameter."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit
from scipy import stats

from simulator.engine.inversion import binom_inv, poisson_inv


@njit(cache=True)
def _binom_many(n, p, u):
    out = np.empty(u.size, dtype=np.int64)
    for j in range(u.size):
        out[j] = binom_inv(n[j], p[j], u[j])
    return out


@njit(cache=True)
def _poisson_many(lam, u):
    out = np.empty(u.size, dtype=np.int64)
    for j in range(u.size):
        out[j] = poisson_inv(lam[j], u[j])
    return out


def _grid(rng, size, n_max):
    n = np.exp(rng.uniform(0, np.log(n_max), size)).astype(np.int64)
    p = rng.uniform(0, 1, size) ** rng.choice([1.0, 3.0], size)
    u = rng.uniform(0, 1, size)
    return n, p, u


@pytest.mark.parametrize("n_max", [40, 2_000, 1_000_000])
def test_binomial_equals_scipy_quantile(n_max):
    n, p, u = _grid(np.random.default_rng(n_max), 20_000, n_max)
    np.testing.assert_array_equal(_binom_many(n, p, u), stats.binom.ppf(u, n, p).astype(int))


@pytest.mark.parametrize("lam_max", [10.0, 1e3, 1e5])
def test_poisson_equals_scipy_quantile(lam_max):
    rng = np.random.default_rng(int(lam_max))
    lam = np.exp(rng.uniform(np.log(1e-3), np.log(lam_max), 20_000))
    u = rng.uniform(0, 1, lam.size)
    np.testing.assert_array_equal(_poisson_many(lam, u),
                                  stats.poisson.ppf(u, lam).astype(int))


def test_tails_and_edges():
    tiny, huge = 2.0**-53, 1 - 2.0**-53  # the generator's extremes
    assert binom_inv(0, 0.3, 0.5) == 0
    assert binom_inv(10, 0.0, 0.5) == 0
    assert binom_inv(10, 1.0, 0.5) == 10
    assert binom_inv(10, 0.5, tiny) == 0
    assert binom_inv(10, 0.5, huge) == 10
    assert binom_inv(100_000, 0.5, tiny) == stats.binom.ppf(tiny, 100_000, 0.5)
    assert poisson_inv(0.0, 0.9) == 0


@settings(max_examples=200, derandomize=True, deadline=None)
@given(n=st.integers(0, 5_000), dn=st.integers(0, 500), p=st.floats(0.0, 1.0),
       dp=st.floats(0.0, 0.2), u=st.floats(1e-12, 1 - 1e-12))
def test_binomial_is_monotone_in_n_and_p(n, dn, p, dp, u):
    """The coupling behind common random numbers: more trials or a higher p, same u,
    never fewer successes."""
    k = binom_inv(n, p, u)
    assert binom_inv(n + dn, p, u) >= k
    assert binom_inv(n, min(1.0, p + dp), u) >= k
    assert 0 <= k <= n


@settings(max_examples=200, derandomize=True, deadline=None)
@given(lam=st.floats(0.0, 500.0), dl=st.floats(0.0, 50.0), u=st.floats(1e-12, 1 - 1e-12))
def test_poisson_is_monotone_in_lambda(lam, dl, u):
    assert poisson_inv(lam + dl, u) >= poisson_inv(lam, u)


def _is_quantile(dist, k: int, u: float) -> bool:
    """k is the u-quantile by definition, checked with scipy's accurate tail functions:
    CDF(k) >= u > CDF(k-1) in the lower half, S(k) <= 1-u < S(k-1) in the upper (scipy's
    own ppf loses the far upper tail to rounding). 1e-9 relative slack for scipy's error."""
    if u < 0.5:
        return dist.cdf(k) >= u * (1 - 1e-9) and (k == 0 or dist.cdf(k - 1) < u * (1 + 1e-9))
    v = 1.0 - u
    return dist.sf(k) <= v * (1 + 1e-9) and (k == 0 or dist.sf(k - 1) > v * (1 - 1e-9))


EXTREMES = [2.0**-53, 1e-12, 3e-4, 1 - 3e-4, 1 - 1e-12, 1 - 2.0**-53]


@pytest.mark.parametrize("u", EXTREMES)
@pytest.mark.parametrize(("n", "p"), [(12, 0.3), (200, 0.04), (5_000, 0.2), (100_000, 0.5)])
def test_far_tails_are_exact(u, n, p):
    assert _is_quantile(stats.binom(n, p), binom_inv(n, p, u), u)


@pytest.mark.parametrize("u", EXTREMES)
@pytest.mark.parametrize("lam", [0.2, 4.0, 60.0, 3e4])
def test_far_poisson_tails_are_exact(u, lam):
    assert _is_quantile(stats.poisson(lam), poisson_inv(lam, u), u)
