"""The vector draws of a block of lanes give each lane exactly the one-path draw."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from simulator.engine.inversion import TAIL, binom_inv, poisson_inv
from simulator.engine.lane_draws import (
    LAMBDA_CAP,
    RATE_SCRATCH,
    binom_lanes,
    incidents_lanes,
    uniforms_at,
    uniforms_month,
)
from simulator.engine.philox import split_key, uniform_at


def _binom(n, p, u):
    out = np.empty(n.size, dtype=np.int64)
    binom_lanes(out, n, p, u, n.size, np.empty(n.size, dtype=np.bool_))
    return out


def _edge_cases(rng, size):
    """Means around the vector pass's limits, uniforms in and next to the tails, odd p."""
    n = rng.integers(-2, 200, size)
    n[::7] = rng.integers(0, 6, n[::7].size)
    n[::29] = rng.integers(60, 70, n[::29].size)  # the six-step power's limit, n < 64
    p = rng.uniform(0.0, 1.0, size) ** 3
    p[::11] = 0.0
    p[::13] = 1.0
    p[::17] = np.nan
    p[::19] = 1.2
    p[::23] = -0.1
    u = rng.uniform(0.0, 1.0, size)
    u[::5] = rng.uniform(0.0, 2 * TAIL, u[::5].size)
    u[::3] = 1.0 - rng.uniform(0.0, 2 * TAIL, u[::3].size)
    u[::31] = TAIL
    u[::37] = 1.0 - TAIL
    return n, p, u


def test_binom_lanes_equal_the_one_path_inversion():
    n, p, u = _edge_cases(np.random.default_rng(3), 60_000)
    expected = np.array([binom_inv(a, b, c) for a, b, c in zip(n, p, u, strict=True)])
    np.testing.assert_array_equal(_binom(n, p, u), expected)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 300), st.floats(0.0, 1.0), st.floats(1e-16, 1 - 1e-16)),
                min_size=1, max_size=40))
def test_binom_lanes_any_block(cases):
    """Whatever mixes of fast and slow lanes share a block, each lane gets its own draw."""
    n = np.array([c[0] for c in cases], dtype=np.int64)
    p = np.array([c[1] for c in cases])
    u = np.array([c[2] for c in cases])
    expected = [binom_inv(a, b, c) for a, b, c in cases]
    assert _binom(n, p, u).tolist() == expected


@pytest.mark.parametrize("seed", [0, 7, 2**63 + 5])
def test_lane_uniforms_are_the_addressed_uniforms(seed):
    k0, k1 = split_key(seed)
    paths = np.array([0, 1, 5, 2**32 + 3, 10**12], dtype=np.int64)
    months = np.array([0, 3, 60, 1, 65_535], dtype=np.int64)
    dst = np.empty(paths.size)
    uniforms_at(dst, k0, k1, paths, months, 1, 6, paths.size)
    expected = [uniform_at(k0, k1, a, b, 1, 6) for a, b in zip(paths, months, strict=True)]
    assert dst.tolist() == expected
    uniforms_month(dst, k0, k1, paths, 12, 0, 0, paths.size)
    assert dst.tolist() == [uniform_at(k0, k1, a, 12, 0, 0) for a in paths]


@njit
def _one_path_incidents(load, alpha, lam_pilot, pilot_users, u):
    """The incident draw as the one-path kernel made it: exact pow, then inversion."""
    out = np.zeros(load.size, dtype=np.int64)
    for j in range(load.size):
        if load[j] > 0.0 and lam_pilot[j] > 0.0:
            lam = min(LAMBDA_CAP, lam_pilot[j] * (load[j] / pilot_users) ** alpha[j])
            out[j] = poisson_inv(lam, u[j])
    return out


@njit
def _cdf_values(load, alpha, lam_pilot, pilot_users):
    """CDF(0..5) of each lane's exact rate, summed as the small-mean search sums them."""
    c = np.zeros((load.size, 6))
    for j in range(load.size):
        lam = lam_pilot[j] * (load[j] / pilot_users) ** alpha[j]
        pmf = math.exp(-lam)
        c[j, 0] = pmf
        for k in range(1, 6):
            pmf *= lam / k
            c[j, k] = c[j, k - 1] + pmf
    return c


def _incidents(load, alpha, lam_pilot, pilot_users, u):
    out = np.empty(load.size, dtype=np.int64)
    incidents_lanes(out, load, alpha, lam_pilot, pilot_users, u, load.size,
                    np.empty((RATE_SCRATCH, load.size)), np.empty(load.size, dtype=np.bool_))
    return out


def _rates(rng, size):
    load = rng.integers(0, 600, size).astype(float)
    load[::13] = 0.0
    alpha = rng.uniform(0.0, 2.0, size)
    alpha[::17] = 0.0
    alpha[::19] = -0.5
    lam_pilot = rng.uniform(0.0, 1.5, size) ** 2
    lam_pilot[::23] = 0.0
    return load, alpha, lam_pilot


@pytest.mark.parametrize("pilot_users", [1.0, 12.0, 200.0])
def test_incident_lanes_equal_the_one_path_draw(pilot_users):
    rng = np.random.default_rng(int(pilot_users))
    load, alpha, lam_pilot = _rates(rng, 100_000)
    _, _, u = _edge_cases(rng, load.size)
    np.testing.assert_array_equal(_incidents(load, alpha, lam_pilot, pilot_users, u),
                                  _one_path_incidents(load, alpha, lam_pilot, pilot_users, u))


def test_incident_lanes_decide_uniforms_on_a_cdf_value_exactly():
    """The fast rate errs by ~1e-12, so a uniform equal to a CDF value (or one ulp
    either side) is the case it must leave to the exact computation."""
    rng = np.random.default_rng(11)
    load, alpha, lam_pilot = _rates(rng, 20_000)
    c = _cdf_values(load, alpha, lam_pilot, 12.0)
    k = rng.integers(0, 6, load.size)
    on = c[np.arange(load.size), k]
    for u in (on, np.nextafter(on, 0.0), np.nextafter(on, 1.0)):
        u = np.clip(u, 2.0**-53, 1.0 - 2.0**-53)
        np.testing.assert_array_equal(_incidents(load, alpha, lam_pilot, 12.0, u),
                                      _one_path_incidents(load, alpha, lam_pilot, 12.0, u))
