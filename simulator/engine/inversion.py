"""Binomial and Poisson draws by inversion of one uniform: exact, and monotone.

``binom_inv(n, p, u)`` is the smallest k with P(X <= k) >= u. For a fixed u it never
decreases when n or p grows (the binomial family is stochastically increasing in both),
so two variants that share the uniform of an event move that event's draw in the
direction and by the size the model implies: the monotone coupling behind exact common
random numbers. The same holds for ``poisson_inv`` in lambda.

Cost: a sequential search from 0 when the mean is small (expected mean + 1 steps); above
that, the search starts at the mode, whose probability comes from ``lgamma`` and whose
CDF is summed downwards until the terms stop counting (about 9 standard deviations), so
a draw costs O(sd) instead of O(mean) and nothing underflows for large n. Uniforms in
the outer 0.1 % on either side are inverted by summing the tail from its far end (the
lower CDF or the survival function), so even a uniform of 1e-16 gets its exact quantile.

Most of the model's draws have means below 1 and a random answer of 0, 1 or 2, so a
search that stops at a data-dependent step mispredicts a branch on nearly every draw.
The small-mean searches therefore compute the CDF at 0..5 unconditionally (the same
products and sums, in the same order, as the step-by-step search) and count how many
lie below u, without a branch; only a u above CDF(5) continues step by step. The answer
is the same k for every (n, p, u): tests/test_inversion.py holds both to a plain search
from 0 and to scipy.
"""

from __future__ import annotations

import math

from numba import njit

#: Below this mean, search up from 0; above it, start at the mode.
SMALL_MEAN = 10.0
#: Relative size under which a further probability term no longer changes a CDF sum.
_NEGLIGIBLE = 1e-17
#: Uniforms this close to 0 or 1 are inverted by summing the tail from its far end, so
#: tiny tail probabilities are not lost to cancellation against the CDF near 1.
TAIL = 1e-3
#: CDF terms the small-mean searches compute before they need a loop.
_FIRST = 6


@njit(cache=True, inline="always")
def pow_int6(q, n):
    """q ** n for 0 <= n < 64, bit for bit as numba computes it (repeated squaring), with
    no branch: a factor of 1.0 where a bit of n is clear is exact, and the loop has a fixed
    length, so a draw's varying n costs no mispredicted branch (twice as fast) and a loop
    over many draws can be vector code."""
    r = 1.0
    a = q
    e = n
    for _ in range(6):
        r *= a if (e & 1) else 1.0
        e >>= 1
        a *= a
    return r


@njit(cache=True, inline="always")
def pow_int(q, n):
    """q ** n, bit for bit as numba computes it: ``pow_int6`` below 64."""
    if n >= 64:
        return q ** n
    return pow_int6(q, n)


@njit(cache=True, inline="always")
def binom_cdf6(n, p, q, p0):
    """(CDF(0), ..., CDF(5), P(5), p / q) of Binomial(n, p) from P(0) = ``p0`` = q**n,
    summed as the search from 0 sums them. For k >= n the factor (n - k) makes every
    further term 0 (or -0.0), so the sums stop growing."""
    r = p / q
    pmf = p0
    c0 = pmf
    pmf = pmf * (n / 1.0 * r)
    c1 = c0 + pmf
    pmf = pmf * ((n - 1) / 2.0 * r)
    c2 = c1 + pmf
    pmf = pmf * ((n - 2) / 3.0 * r)
    c3 = c2 + pmf
    pmf = pmf * ((n - 3) / 4.0 * r)
    c4 = c3 + pmf
    pmf = pmf * ((n - 4) / 5.0 * r)
    c5 = c4 + pmf
    return c0, c1, c2, c3, c4, c5, pmf, r


@njit(cache=True, inline="always")
def poisson_cdf6(lam, p0):
    """(CDF(0), ..., CDF(5), P(5)) of Poisson(lam) from P(0) = ``p0`` = exp(-lam), summed
    as the search from 0 sums them."""
    pmf = p0
    c0 = pmf
    pmf *= lam / 1
    c1 = c0 + pmf
    pmf *= lam / 2
    c2 = c1 + pmf
    pmf *= lam / 3
    c3 = c2 + pmf
    pmf *= lam / 4
    c4 = c3 + pmf
    pmf *= lam / 5
    c5 = c4 + pmf
    return c0, c1, c2, c3, c4, c5, pmf


@njit(cache=True, inline="always")
def count_below(c0, c1, c2, c3, c4, c5, u):
    """How many of the six CDF values lie below u, without a branch."""
    return (int(c0 < u) + int(c1 < u) + int(c2 < u) + int(c3 < u) + int(c4 < u)
            + int(c5 < u))


@njit(cache=True)
def _binom_mode(n, p):
    """(mode, P(mode)) of Binomial(n, p), 0 < p < 1."""
    m = int((n + 1) * p)
    if m > n:
        m = n
    log_pm = (math.lgamma(n + 1.0) - math.lgamma(m + 1.0) - math.lgamma(n - m + 1.0)
              + m * math.log(p) + (n - m) * math.log1p(-p))
    return m, math.exp(log_pm)


@njit(cache=True)
def _binom_tail(n, p, u):
    """Binomial inversion for u < TAIL or u > 1 - TAIL, summing from the tail's far end."""
    q = 1.0 - p
    m, pm = _binom_mode(n, p)
    if u < 0.5:
        # Down from the mode to where the terms no longer matter against u, then up.
        j = m
        term = pm
        while j > 0 and term > u * _NEGLIGIBLE:
            term *= j / (n - j + 1.0) * (q / p)
            j -= 1
        cdf = term
        while cdf < u and j < m:
            term *= (n - j) / (j + 1.0) * (p / q)
            j += 1
            cdf += term
        return j
    v = 1.0 - u  # exact for u >= 1/2
    j = m
    term = pm
    while j < n and term > v * _NEGLIGIBLE:
        term *= (n - j) / (j + 1.0) * (p / q)
        j += 1
    # Down from the top: S(k) = P(X > k); the answer is the smallest k with S(k) <= v.
    surv = 0.0
    while j > m:
        if surv + term > v:
            return j
        surv += term
        term *= j / (n - j + 1.0) * (q / p)
        j -= 1
    return m


@njit(cache=True)
def _poisson_tail(lam, u):
    """Poisson inversion for u < TAIL or u > 1 - TAIL, summing from the tail's far end."""
    m = int(lam)
    pm = math.exp(m * math.log(lam) - lam - math.lgamma(m + 1.0))
    if u < 0.5:
        j = m
        term = pm
        while j > 0 and term > u * _NEGLIGIBLE:
            term *= j / lam
            j -= 1
        cdf = term
        while cdf < u and j < m:
            j += 1
            term *= lam / j
            cdf += term
        return j
    v = 1.0 - u
    j = m
    term = pm
    while term > v * _NEGLIGIBLE or j <= lam:
        j += 1
        term *= lam / j
    surv = 0.0
    while j > m:
        if surv + term > v:
            return j
        surv += term
        term *= j / lam
        j -= 1
    return m


@njit(cache=True, inline="always")
def _binom_small(n, p, u):
    """The search from 0 for 0 < n*p < SMALL_MEAN, 0 < p < 1, TAIL <= u <= 1 - TAIL."""
    q = 1.0 - p
    # P(0) = q**n by repeated squaring (integer power): no exp/log per draw, and far
    # from underflow here (n*p < 10 with p < 1 - 1e-16 keeps n*log(q) above -400).
    # CDF(0..5) without a branch; min(count, n) is the answer below 6.
    c0, c1, c2, c3, c4, c5, pmf, r = binom_cdf6(n, p, q, pow_int(q, n))
    below = count_below(c0, c1, c2, c3, c4, c5, u)
    if below < _FIRST:
        return min(below, n)
    k = _FIRST - 1
    if k >= n:
        return n
    cdf = c5
    while cdf < u and k < n:
        pmf *= (n - k) / (k + 1.0) * r
        k += 1
        cdf += pmf
        if pmf == 0.0:
            break
    return k


@njit(cache=True, inline="always")
def _poisson_small(lam, u):
    """The search from 0 for 0 < lam < SMALL_MEAN, TAIL <= u <= 1 - TAIL."""
    # CDF(0..5) without a branch, as for the binomial. The search's early stop (a
    # negligible term above the mean) cannot fire at k <= 5 below a u < 1 - TAIL: the
    # mass above k would then be under 6e-17, not the 1e-3 that u leaves.
    c0, c1, c2, c3, c4, c5, pmf = poisson_cdf6(lam, math.exp(-lam))
    below = count_below(c0, c1, c2, c3, c4, c5, u)
    if below < _FIRST:
        return below
    k = _FIRST - 1
    cdf = c5
    while cdf < u:
        k += 1
        pmf *= lam / k
        cdf += pmf
        if pmf < cdf * _NEGLIGIBLE and k > lam:
            break
    return k


@njit(cache=True)
def binom_inv(n, p, u):
    """Smallest k in [0, n] with Binomial(n, p) CDF(k) >= u, for u in (0, 1)."""
    if n <= 0 or not p > 0.0:  # (a NaN p draws nothing rather than looping)
        return 0
    if p >= 1.0:
        return n
    if u < TAIL or u > 1.0 - TAIL:
        return _binom_tail(n, p, u)
    if n * p < SMALL_MEAN:
        return _binom_small(n, p, u)
    q = 1.0 - p
    m, pm = _binom_mode(n, p)
    # CDF at the mode: below the mode the probabilities fall monotonically.
    down = q / p
    cdf = pm
    term = pm
    j = m
    while j > 0:
        term *= j / (n - j + 1.0) * down
        j -= 1
        cdf += term
        if term < cdf * _NEGLIGIBLE:
            break
    k = m
    pk = pm
    if u <= cdf:
        while k > 0:
            below = cdf - pk  # CDF(k - 1)
            if below < u:
                break
            cdf = below
            pk *= k / (n - k + 1.0) * down
            k -= 1
        return k
    up = p / q
    while k < n:
        pk *= (n - k) / (k + 1.0) * up
        k += 1
        cdf += pk
        if cdf >= u or pk < cdf * _NEGLIGIBLE:
            break
    return k


@njit(cache=True)
def poisson_inv(lam, u):
    """Smallest k >= 0 with Poisson(lam) CDF(k) >= u, for u in (0, 1)."""
    if not lam > 0.0:  # (a NaN lambda draws nothing rather than looping)
        return 0
    if u < TAIL or u > 1.0 - TAIL:
        return _poisson_tail(lam, u)
    if lam < SMALL_MEAN:
        return _poisson_small(lam, u)
    m = int(lam)
    pm = math.exp(m * math.log(lam) - lam - math.lgamma(m + 1.0))
    cdf = pm
    term = pm
    j = m
    while j > 0:
        term *= j / lam
        j -= 1
        cdf += term
        if term < cdf * _NEGLIGIBLE:
            break
    k = m
    pk = pm
    if u <= cdf:
        while k > 0:
            below = cdf - pk
            if below < u:
                break
            cdf = below
            pk *= k / lam
            k -= 1
        return k
    while True:
        k += 1
        pk *= lam / k
        cdf += pk
        if cdf >= u or pk < cdf * _NEGLIGIBLE:
            break
    return k


@njit(cache=True, inline="always")
def binom_inv_inline(n, p, u):
    """``binom_inv`` with its common case (small mean, u outside the tails) compiled into
    the caller: the kernel's hot draws skip a call. The same k for every (n, p, u)."""
    if n > 0 and p > 0.0 and p < 1.0 and u >= TAIL and u <= 1.0 - TAIL and n * p < SMALL_MEAN:
        return _binom_small(n, p, u)
    return binom_inv(n, p, u)


@njit(cache=True, inline="always")
def poisson_inv_inline(lam, u):
    """``poisson_inv`` with its common case compiled into the caller (the same k)."""
    if lam > 0.0 and u >= TAIL and u <= 1.0 - TAIL and lam < SMALL_MEAN:
        return _poisson_small(lam, u)
    return poisson_inv(lam, u)
