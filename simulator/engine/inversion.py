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


@njit(cache=True)
def binom_inv(n, p, u):
    """Smallest k in [0, n] with Binomial(n, p) CDF(k) >= u, for u in (0, 1)."""
    if n <= 0 or not p > 0.0:  # (a NaN p draws nothing rather than looping)
        return 0
    if p >= 1.0:
        return n
    if u < TAIL or u > 1.0 - TAIL:
        return _binom_tail(n, p, u)
    q = 1.0 - p
    if n * p < SMALL_MEAN:
        # P(0) = q**n by repeated squaring (integer power): no exp/log per draw, and far
        # from underflow here (n*p < 10 with p < 1 - 1e-16 keeps n*log(q) above -400).
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
        pmf = math.exp(-lam)
        cdf = pmf
        k = 0
        while cdf < u:
            k += 1
            pmf *= lam / k
            cdf += pmf
            if pmf < cdf * _NEGLIGIBLE and k > lam:
                break
        return k
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
