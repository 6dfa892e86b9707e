"""The vector draws of a block of lanes give each lane exactly the one-path draw."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.engine.inversion import TAIL, binom_inv, poisson_inv
from simulator.engine.lane_draws import binom_lanes, poisson_lanes, uniforms_at, uniforms_month
from simulator.engine.philox import split_key, uniform_at


def _binom(n, p, u):
    out = np.empty(n.size, dtype=np.int64)
    binom_lanes(out, n, p, u, n.size, np.empty(n.size, dtype=np.bool_))
    return out


def _poisson(lam, u):
    out = np.empty(lam.size, dtype=np.int64)
    poisson_lanes(out, lam, u, lam.size, np.empty(lam.size), np.empty(lam.size, dtype=np.bool_))
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


def test_poisson_lanes_equal_the_one_path_inversion():
    rng = np.random.default_rng(4)
    _, _, u = _edge_cases(rng, 60_000)
    lam = rng.uniform(0.0, 15.0, u.size) ** rng.uniform(0.2, 1.5, u.size)
    lam[::9] = 0.0
    lam[::31] = np.nan
    lam[::41] = 10.0  # the small-mean search's limit
    lam[::43] = 1e5
    expected = np.array([poisson_inv(a, c) for a, c in zip(lam, u, strict=True)])
    np.testing.assert_array_equal(_poisson(lam, u), expected)


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
