"""Binomial and Poisson draws by inversion: exact quantiles, monotone in every parameter."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit
from scipy import stats

from simulator.engine.inversion import TAIL, binom_inv, poisson_inv, pow_int


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


# The small-mean searches count the CDF at 0..5 without a branch, then walk on. They must
# give the k of a plain step-by-step search from 0 (same arithmetic) for every u, ties on
# a CDF value included, and scipy's quantile.


@njit(cache=True)
def _plain_binom(n, p, u):
    """Smallest k with CDF(k) >= u, summing the probabilities up from k = 0."""
    if n <= 0 or not p > 0.0:
        return 0
    if p >= 1.0:
        return n
    q = 1.0 - p
    pmf = q ** n
    cdf = pmf
    k = 0
    r = p / q
    while cdf < u and k < n:
        pmf *= (n - k) / (k + 1.0) * r
        k += 1
        cdf += pmf
        if pmf == 0.0:
            break
    return k


@njit(cache=True)
def _plain_poisson(lam, u):
    if not lam > 0.0:
        return 0
    pmf = math.exp(-lam)
    cdf = pmf
    k = 0
    while cdf < u:
        k += 1
        pmf *= lam / k
        cdf += pmf
        if pmf < cdf * 1e-17 and k > lam:
            break
    return k


@njit(cache=True)
def _binom_ties(n, p, out_u):
    """For each (n, p): its CDF(0..7) as the plain search sums them, and one ulp either
    side: the u where a search that stops one step early or late would be caught."""
    j = 0
    for i in range(n.size):
        q = 1.0 - p[i]
        pmf = q ** n[i]
        cdf = pmf
        r = p[i] / q
        for k in range(8):
            for v in (np.nextafter(cdf, 0.0), cdf, np.nextafter(cdf, 1.0)):
                out_u[j] = v
                j += 1
            pmf *= (n[i] - k) / (k + 1.0) * r
            cdf += pmf
    return out_u


def _small_mean_cases(rng, size):
    n = np.concatenate([rng.integers(1, 12, size // 2),
                        np.exp(rng.uniform(0, np.log(1e9), size - size // 2)).astype(np.int64)])
    mean = np.exp(rng.uniform(np.log(1e-6), np.log(9.99), size))
    p = np.minimum(mean / n, 1 - 1e-9)
    return n, p


def test_binomial_small_mean_equals_a_plain_search_from_zero():
    rng = np.random.default_rng(29)
    n, p = _small_mean_cases(rng, 20_000)
    u = rng.uniform(TAIL, 1 - TAIL, n.size)
    np.testing.assert_array_equal(_binom_many(n, p, u), _plain_binom_many(n, p, u))
    # Ties: u equal to a CDF value the search forms, and its neighbours.
    nn, pp = n[:2_000], p[:2_000]
    ties = _binom_ties(nn, pp, np.empty(nn.size * 24))
    nt, pt = np.repeat(nn, 24), np.repeat(pp, 24)
    inside = (ties >= TAIL) & (ties <= 1 - TAIL)
    assert inside.sum() > 5_000
    nt, pt, ties = nt[inside], pt[inside], ties[inside]
    np.testing.assert_array_equal(_binom_many(nt, pt, ties), _plain_binom_many(nt, pt, ties))


def test_poisson_small_mean_equals_a_plain_search_from_zero():
    rng = np.random.default_rng(30)
    lam = np.concatenate([np.exp(rng.uniform(np.log(1e-9), np.log(9.99), 20_000)),
                          [1e-300, 5e-324, 1e-3, 1.0005e-3, 1.4e-3, 9.999999]])
    u = rng.uniform(TAIL, 1 - TAIL, lam.size)
    np.testing.assert_array_equal(_poisson_many(lam, u), _plain_poisson_many(lam, u))
    # u on the CDF values of the search, and one ulp either side.
    us = []
    for lm in lam[:1_500]:
        for k in range(8):
            pmf, cdf = math.exp(-lm), math.exp(-lm)
            for j in range(1, k + 1):
                pmf *= lm / j
                cdf += pmf
            us.append((lm, cdf))
    lt = np.array([a for a, _ in us])
    ut = np.array([b for _, b in us])
    lt = np.concatenate([lt, lt, lt])
    ut = np.concatenate([ut, np.nextafter(ut, 0.0), np.nextafter(ut, 1.0)])
    inside = (ut >= TAIL) & (ut <= 1 - TAIL)
    assert inside.sum() > 5_000
    np.testing.assert_array_equal(_poisson_many(lt[inside], ut[inside]),
                                  _plain_poisson_many(lt[inside], ut[inside]))


@pytest.mark.parametrize(("n", "p"), [(0, 0.3), (7, 0.0), (7, 1.0), (1, 0.5), (2, 0.999),
                                      (5, 0.2), (6, 0.2), (7, 1e-300), (10**9, 1e-9),
                                      (10**12, 5e-12), (3, 0.5)])
def test_small_mean_edges_equal_scipy(n, p):
    u = np.concatenate([[2.0**-53, 1e-12, TAIL * (1 - 1e-15), TAIL, TAIL * (1 + 1e-15),
                         0.5, 1 - TAIL, 1 - 1e-12, 1 - 2.0**-53],
                        np.random.default_rng(n % 1000).uniform(0, 1, 300)])
    got = _binom_many(np.full(u.size, n), np.full(u.size, p), u)
    np.testing.assert_array_equal(got, stats.binom.ppf(u, n, p).astype(int))


@njit(cache=True)
def _plain_binom_many(n, p, u):
    out = np.empty(u.size, dtype=np.int64)
    for j in range(u.size):
        out[j] = _plain_binom(n[j], p[j], u[j])
    return out


@njit(cache=True)
def _plain_poisson_many(lam, u):
    out = np.empty(u.size, dtype=np.int64)
    for j in range(u.size):
        out[j] = _plain_poisson(lam[j], u[j])
    return out


@njit(cache=True)
def _powers(q, n):
    out = np.empty((q.size, 2))
    for i in range(q.size):
        out[i, 0] = pow_int(q[i], n[i])
        out[i, 1] = q[i] ** n[i]
    return out


def test_branch_free_power_equals_numbas_integer_power_bit_for_bit():
    rng = np.random.default_rng(31)
    q = np.concatenate([rng.uniform(0, 1, 30_000), 1 - rng.uniform(0, 1e-6, 10_000),
                        [0.0, 1.0, 0.5, 1e-300, 1 - 2.0**-53]])
    n = np.concatenate([rng.integers(0, 70, 40_000), [0, 1, 63, 64, 65]])
    out = _powers(q, n)
    assert np.array_equal(out[:, 0], out[:, 1])
