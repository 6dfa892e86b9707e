"""One event's draws for a block of paths at once: loops over paths that compile to SIMD.

The kernel advances a block of paths (its lanes) month by month, so the same event of
many paths is drawn in one loop: the uniforms (Philox is integer multiplies and xors)
and the common case of the inversion (the CDF at 0..5 of a small-mean binomial or
Poisson, counted without a branch) run as vector code, several lanes per instruction.
Lanes outside the common case (a mean of 10 or more, a uniform in the outer 0.1 %, an
answer above 5) are flagged and inverted one by one by ``inversion.py``'s full search.

Every lane gets exactly the value the one-path functions give it: the same uniform for
the same address and the same k for the same (n, p, u); only the order in which paths
are visited changes. ``error_model="numpy"`` lets a division compile without Python's
zero check (a branch that would stop the loop from vectorising); no division here can be
by zero in a lane whose answer is kept.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .inversion import (
    _FIRST,
    SMALL_MEAN,
    TAIL,
    binom_cdf6,
    binom_inv,
    count_below,
    poisson_cdf6,
    poisson_inv,
    pow_int6,
)
from .philox import uniform_at


@njit(cache=True, error_model="numpy")
def uniforms_at(dst, k0, k1, paths, months, stream, index, m):
    """dst[j] = the uniform addressed by (paths[j], months[j], stream, index), j < m."""
    for j in range(m):
        dst[j] = uniform_at(k0, k1, paths[j], months[j], stream, index)


@njit(cache=True, error_model="numpy")
def uniforms_month(dst, k0, k1, paths, month, stream, index, m):
    """dst[j] = the uniform addressed by (paths[j], month, stream, index), j < m."""
    for j in range(m):
        dst[j] = uniform_at(k0, k1, paths[j], month, stream, index)


@njit(cache=True, error_model="numpy")
def binom_lanes(out, n, p, u, m, slow):
    """out[j] = ``binom_inv(n[j], p[j], u[j])`` for j < m (``slow``: scratch flags).

    The vector pass computes CDF(0..5) exactly as ``inversion._binom_small`` does (q**n
    by a fixed six-step squaring, valid for n < 64) and keeps the count where it is the
    answer; the lanes where it is not are finished by the full search.
    """
    any_slow = False
    for j in range(m):
        nj = n[j]
        pj = p[j]
        uj = u[j]
        q = 1.0 - pj
        c0, c1, c2, c3, c4, c5, _, _ = binom_cdf6(nj, pj, q, pow_int6(q, nj))
        below = count_below(c0, c1, c2, c3, c4, c5, uj)
        none = (nj <= 0) | (not pj > 0.0)
        fast = ((pj < 1.0) & (uj >= TAIL) & (uj <= 1.0 - TAIL) & (nj * pj < SMALL_MEAN)
                & (nj < 64) & (below < _FIRST))
        out[j] = 0 if none else min(below, nj)
        s = (not none) & (not fast)
        slow[j] = s
        any_slow |= s
    if any_slow:
        for j in range(m):
            if slow[j]:
                out[j] = binom_inv(n[j], p[j], u[j])


#: Incidents a month are drawn from a Poisson mean capped here: at this rate every
#: month is fully down already, and the cap bounds the cost of one draw.
LAMBDA_CAP = 1e5
#: Relative distance under which a CDF value of the fast path is too close to its uniform
#: to decide the draw: about 100 times the fast path's largest error (docs/model.md).
DECIDE_TOL = 1e-9
#: Largest |y| whose exp the fast path takes (2**k stays a normal double).
_EXP_ARG_MAX = 700.0
_SQRT2 = 1.4142135623730951
_LN2 = 0.6931471805599453
_INV_LN2 = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # fdlibm's split of ln 2: k * _LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10
_MANT = 0x000FFFFFFFFFFFFF
_ONE_BITS = 0x3FF0000000000000
#: Scratch rows of ``incidents_lanes``.
RATE_SCRATCH = 8
#: exp(r) = sum r^n / n!, n = 11 down to 0 (Horner's order).
_EXP_TAYLOR = (1 / 39916800, 1 / 3628800, 1 / 362880, 1 / 40320, 1 / 5040, 1 / 720,
               1 / 120, 1 / 24, 1 / 6, 1 / 2, 1.0, 1.0)
#: log(m) = 2 s sum s^(2n) / (2n + 1), s = (m - 1) / (m + 1), n = 8 down to 0.
_ATANH_SERIES = (1 / 17, 1 / 15, 1 / 13, 1 / 11, 1 / 9, 1 / 7, 1 / 5, 1 / 3, 1.0)


@njit(cache=True, inline="always")
def _horner(x, coeffs):
    """The polynomial with ``coeffs`` (highest power first) at x, by Horner's rule."""
    p = coeffs[0]
    for c in coeffs[1:]:
        p = p * x + c
    return p


@njit(cache=True, inline="always")
def _exp_poly(y):
    """(2**k, as the exponent bits of a double, and exp(y - k ln 2)), |y| < _EXP_ARG_MAX:
    the reduced argument lies in [-ln(2)/2, ln(2)/2], where the degree-11 Taylor
    polynomial errs by less than 1e-14."""
    kf = math.floor(y * _INV_LN2 + 0.5)
    r = (y - kf * _LN2_HI) - kf * _LN2_LO
    p = _horner(r, _EXP_TAYLOR)
    k = min(max(int(kf), -1000), 1000)
    return (k + 1023) << 52, p


@njit(cache=True, error_model="numpy")
def incidents_lanes(out, load, alpha, lam_pilot, pilot_users, u, m, scratch, slow):
    """out[j] = the month's incident count of lane j: ``poisson_inv(lam, u[j])`` with
    lam = min(LAMBDA_CAP, lam_pilot[j] * (load[j] / pilot_users) ** alpha[j]) where
    load[j] > 0 and lam_pilot[j] > 0, else 0 (``scratch``: (RATE_SCRATCH, m) floats).

    ``pow`` and ``exp`` are library calls that keep a loop from vectorising, yet a draw
    depends on them only through where u falls among the CDF values. So the vector
    passes compute lam and exp(-lam) by a log and an exp of their own (from the bits of
    the double: plain arithmetic), relative error below 1e-11 all told, and keep the
    count wherever no CDF value at 0..5 lies within DECIDE_TOL of u: there the exact
    computation gives the same count. The other lanes (about one in 10**8, plus every
    mean of 10 or more, tail uniform or count above 5) compute lam exactly, as the
    one-path kernel did, and invert by the full search.
    """
    ratio = scratch[0]
    mant = scratch[1]
    ex = scratch[2]
    scale = scratch[3]
    poly = scratch[4]
    scale2 = scratch[5]
    poly2 = scratch[6]
    rate = scratch[7]
    ratio_bits = ratio.view(np.int64)
    mant_bits = mant.view(np.int64)
    scale_bits = scale.view(np.int64)
    scale2_bits = scale2.view(np.int64)
    for j in range(m):
        ratio[j] = load[j] / pilot_users
    for j in range(m):  # ratio = 2**e * mant, mant in [1, 2) (for ratio > 0)
        b = ratio_bits[j]
        mant_bits[j] = (b & _MANT) | _ONE_BITS
        ex[j] = float((b >> 52) - 1023)
    for j in range(m):  # log by atanh's series, then exp(alpha * log)
        mm = mant[j]
        big = mm > _SQRT2
        mm = mm * 0.5 if big else mm
        e = ex[j] + 1.0 if big else ex[j]
        s = (mm - 1.0) / (mm + 1.0)  # |s| <= 0.172: the series errs below 1e-15
        s2 = s * s
        y = alpha[j] * (e * _LN2 + 2.0 * s * _horner(s2, _ATANH_SERIES))
        rate[j] = y
        kb, p = _exp_poly(min(max(y, -_EXP_ARG_MAX), _EXP_ARG_MAX))
        scale_bits[j] = kb
        poly[j] = p
    for j in range(m):  # exp(-lam) for lam in [0, 20]
        lam = lam_pilot[j] * (poly[j] * scale[j])
        kb, p = _exp_poly(-min(max(lam, 0.0), 20.0))
        scale2_bits[j] = kb
        poly2[j] = p
        ratio[j] = lam
    lam_max = SMALL_MEAN * (1.0 - DECIDE_TOL)
    any_slow = False
    for j in range(m):
        lam = ratio[j]
        uj = u[j]
        c0, c1, c2, c3, c4, c5, _ = poisson_cdf6(lam, poly2[j] * scale2[j])
        below = count_below(c0, c1, c2, c3, c4, c5, uj)
        gap = DECIDE_TOL * uj
        clear = ((abs(c0 - uj) > gap) & (abs(c1 - uj) > gap) & (abs(c2 - uj) > gap)
                 & (abs(c3 - uj) > gap) & (abs(c4 - uj) > gap) & (abs(c5 - uj) > gap))
        drawn = (load[j] > 0.0) & (lam_pilot[j] > 0.0)
        fast = ((abs(rate[j]) < _EXP_ARG_MAX) & (lam >= 0.0) & (lam < lam_max)
                & (uj >= TAIL) & (uj <= 1.0 - TAIL) & (below < _FIRST) & clear)
        out[j] = below if drawn & fast else 0
        s = drawn & (not fast)
        slow[j] = s
        any_slow |= s
    if any_slow:
        for j in range(m):
            if slow[j]:
                lam = min(LAMBDA_CAP, lam_pilot[j] * (load[j] / pilot_users) ** alpha[j])
                out[j] = poisson_inv(lam, u[j])
