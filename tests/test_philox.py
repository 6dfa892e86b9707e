"""The counter-based generator: known answers, two independent implementations agree."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit
from randomgen import Philox

from simulator.engine.philox import philox4x32, split_key, uniform_at
from simulator.engine.reference import philox_uniforms

# Random123's published known-answer vectors for Philox4x32-10 (kat_vectors):
# counter words, key words, expected output words.
KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]


@pytest.mark.parametrize(("ctr", "key", "expected"), KAT)
def test_known_answers(ctr, key, expected):
    got = philox4x32(*(np.uint64(w) for w in ctr + key))
    assert tuple(int(w) for w in got) == expected


def test_matches_randomgen_philox_on_random_counters():
    """randomgen's Philox(4, 32) outputs the block of counter + 1 first."""
    rng = np.random.default_rng(0)
    for _ in range(50):
        c = [int(v) for v in rng.integers(0, 2**32, 4)]
        k = [int(v) for v in rng.integers(0, 2**32, 2)]
        if c[0] == 0:
            continue  # keep counter - 1 free of a borrow, for a plain comparison
        ctr = (c[0] - 1) | c[1] << 32 | c[2] << 64 | c[3] << 96
        ref = Philox(counter=ctr, key=k[0] | k[1] << 32, number=4, width=32).random_raw(4)
        got = philox4x32(*(np.uint64(w) for w in c + k))
        assert [int(w) for w in got] == [int(w) for w in ref]


@njit(cache=True)
def _uniforms(k0, k1, paths, months, streams, indices):
    out = np.empty(paths.size)
    for j in range(paths.size):
        out[j] = uniform_at(k0, k1, paths[j], months[j], streams[j], indices[j])
    return out


def test_numba_and_numpy_uniforms_agree_bit_for_bit():
    rng = np.random.default_rng(1)
    n = 5000
    paths = rng.integers(0, 2**40, n)
    months = rng.integers(0, 121, n)
    streams = rng.integers(0, 3, n)
    indices = rng.integers(0, 400, n)
    seed = 0xDEADBEEF_CAFEF00D
    k0, k1 = split_key(seed)
    got = _uniforms(k0, k1, paths, months, streams, indices)
    for s in range(3):
        sel = streams == s
        ref = philox_uniforms(seed, paths[sel], months[sel], s, indices[sel])
        np.testing.assert_array_equal(got[sel], ref)


def test_uniforms_are_open_interval_and_uniform():
    """52-bit uniforms in (0, 1); mean and variance within 5 standard errors of 1/2, 1/12."""
    n = 200_000
    u = philox_uniforms(7, np.arange(n), 3, 1, 5)
    assert u.min() > 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 5 * np.sqrt(1 / 12 / n)
    # Var of (u - 1/2)^2 is 1/180: the standard error of the variance estimate.
    assert abs(u.var() - 1 / 12) < 5 * np.sqrt(1 / 180 / n)
    # Neighbouring addresses are not correlated.
    r = np.corrcoef(u[:-1], u[1:])[0, 1]
    assert abs(r) < 5 / np.sqrt(n)


def test_extreme_bits_stay_inside_the_open_interval():
    """All-zero and all-one bits map to 2**-53 and 1 - 2**-53, never 0 or 1."""
    lo = (0 + 0.5) * 2.0**-52
    hi = (2**52 - 1 + 0.5) * 2.0**-52
    assert lo == 2.0**-53 and hi == 1 - 2.0**-53 and hi < 1.0
