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

from numba import njit

from .inversion import _FIRST, SMALL_MEAN, TAIL, binom_inv, poisson_inv
from .philox import uniform_at

#: Incidents a month are drawn from a Poisson mean capped here: at this rate every
#: month is fully down already, and the cap bounds the cost of one draw.
LAMBDA_CAP = 1e5


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
        pmf = 1.0
        a = q
        e = nj
        for _ in range(6):
            pmf *= a if (e & 1) else 1.0
            e >>= 1
            a *= a
        r = pj / q
        c0 = pmf
        pmf = pmf * (nj / 1.0 * r)
        c1 = c0 + pmf
        pmf = pmf * ((nj - 1) / 2.0 * r)
        c2 = c1 + pmf
        pmf = pmf * ((nj - 2) / 3.0 * r)
        c3 = c2 + pmf
        pmf = pmf * ((nj - 3) / 4.0 * r)
        c4 = c3 + pmf
        pmf = pmf * ((nj - 4) / 5.0 * r)
        c5 = c4 + pmf
        below = ((c0 < uj) + (c1 < uj) + (c2 < uj) + (c3 < uj) + (c4 < uj) + (c5 < uj))
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


@njit(cache=True, error_model="numpy")
def poisson_lanes(out, lam, u, m, e0, slow):
    """out[j] = ``poisson_inv(lam[j], u[j])`` for j < m (``e0``, ``slow``: scratch).

    exp(-lam) is a library call, so it has a loop of its own; the count of CDF(0..5)
    below u is the vector pass, as for ``binom_lanes``.
    """
    for j in range(m):
        e0[j] = math.exp(-lam[j])
    any_slow = False
    for j in range(m):
        lj = lam[j]
        uj = u[j]
        pmf = e0[j]
        c0 = pmf
        pmf *= lj / 1
        c1 = c0 + pmf
        pmf *= lj / 2
        c2 = c1 + pmf
        pmf *= lj / 3
        c3 = c2 + pmf
        pmf *= lj / 4
        c4 = c3 + pmf
        pmf *= lj / 5
        c5 = c4 + pmf
        below = ((c0 < uj) + (c1 < uj) + (c2 < uj) + (c3 < uj) + (c4 < uj) + (c5 < uj))
        none = not lj > 0.0
        fast = (uj >= TAIL) & (uj <= 1.0 - TAIL) & (lj < SMALL_MEAN) & (below < _FIRST)
        out[j] = 0 if none else below
        s = (not none) & (not fast)
        slow[j] = s
        any_slow |= s
    if any_slow:
        for j in range(m):
            if slow[j]:
                out[j] = poisson_inv(lam[j], u[j])
