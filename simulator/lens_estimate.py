"""The pilot lens's median from its first paths, sharpened by the production run.

The lens (the business case as the pilot saw it) is read only through its median, and it
runs on the first ``n`` of the ``N`` production paths. Every path's production NPV and
sampled inputs are known, and they predict a path's lens NPV closely (R² about 0.97 on
the source case). Two-phase sampling with a regression estimator (Särndal, Swensson &
Wretman 1992, ch. 9; for distribution functions Rao, Kovar & Mantel 1990) uses that:

    F(y) = 1/N * sum over all N of 1{ŷ_i <= y}
           + 1/n * sum over the n lens paths of (1{L_j <= y} - 1{ŷ_j <= y})

with ŷ a linear prediction of the lens NPV from the inputs and the production NPV. F need
not rise everywhere (the correction adds and removes steps of 1/n), so the median is read
from its monotone rearrangement: the smallest y with F(y) >= 1/2 wherever F rises. On a
lens path ŷ_j is cross-fitted (fitted on the other folds), in both sums, so a path never
predicts itself and the correction term stays unbiased; with n = N the plain sample
median is used. Its standard error comes from the
variance of F at the median,

    Var F = q(1-q)/N + (1 - n/N) * S_d^2 / n,    d_j = 1{L_j <= m} - 1{ŷ_j <= m},

turned into a standard error of the median as the order-statistic rule does for the plain
median (Woodruff 1952): half the distance between F's inverses at q -/+ sqrt(Var F).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .results import LensMedian, percentiles, quantile_se

#: Folds of the cross-fit: each lens path is predicted by a fit on the other four fifths.
FOLDS = 5
#: The regression is used only with at least this many lens paths per coefficient.
ROWS_PER_COEFFICIENT = 10
#: Ridge on the standardised features: resolves collinear or constant inputs, negligible
#: for the others (a unit-variance feature's diagonal is about n).
RIDGE = 1e-8


@njit(cache=True, nogil=True)
def _column(x, cols, npv, k):
    """Feature k as a column: a sampled input (``x[:, cols[k]]``), then the production NPV."""
    return npv if k == cols.shape[0] else x[:, cols[k]]


@njit(cache=True, nogil=True)
def _solve_spd(a, c, out):
    """Solve ``a @ out = c`` for a symmetric positive definite ``a`` (q, q) by Cholesky,
    in place of ``np.linalg.solve``: the same answer to rounding for these ridged normal
    equations, and about 3 s less CPU to compile (numba's LAPACK wrapper, its checks and
    error messages). ``a`` is overwritten with its Cholesky factor (lower triangle)."""
    q = a.shape[0]
    for k in range(q):
        d = a[k, k]
        for m in range(k):
            d -= a[k, m] * a[k, m]
        d = math.sqrt(d) if d > 0.0 else np.nan  # not positive definite: NaN, caught later
        a[k, k] = d
        for i in range(k + 1, q):
            s = a[i, k]
            for m in range(k):
                s -= a[i, m] * a[k, m]
            a[i, k] = s / d
    for k in range(q):  # forward: L y = c
        s = c[k]
        for m in range(k):
            s -= a[k, m] * out[m]
        out[k] = s / a[k, k]
    for k in range(q - 1, -1, -1):  # back: L' out = y
        s = out[k]
        for m in range(k + 1, q):
            s -= a[m, k] * out[m]
        out[k] = s / a[k, k]


@njit(cache=True, nogil=True)
def _predict(x, cols, npv, lens, folds, ridge):
    """Predictions of the lens NPV (N,) by least squares on standardised features plus an
    intercept: cross-fitted on the lens paths 0..n-1, the full fit on the others.

    x: float64 (N, K) sampled inputs, column-major; cols: int64 (p - 1,) columns of x
    used; npv: float64 (N,) production NPV; lens: float64 (n,) lens NPV of paths
    0..n-1. Fold f holds lens paths [f n / F, (f + 1) n / F). Every sum runs in a fixed
    order, so the result does not depend on the thread count. Serial: a few million
    multiply-adds (milliseconds), where five parallel loops cost 16 s of CPU to compile.
    """
    n_all = x.shape[0]
    n = lens.shape[0]
    p = cols.shape[0] + 1
    q = p + 1  # with the intercept, stored last
    mean = np.zeros(p)
    scale = np.zeros(p)
    z = np.ones((q, n))  # standardised features of the lens paths, a row per feature
    for k in range(p):  # standardised on the lens paths (an affine map: same fit)
        col = _column(x, cols, npv, k)
        mu = 0.0
        for j in range(n):
            mu += col[j]
        mu /= n
        v = 0.0
        for j in range(n):
            v += (col[j] - mu) * (col[j] - mu)
        sd = math.sqrt(v / n)
        if sd > 0.0 and math.isfinite(sd):
            mean[k] = mu
            scale[k] = 1.0 / sd
        # else constant on the lens paths, or too large to square (near 1e308): the
        # feature carries nothing (mean and scale stay 0, so it adds exactly 0)
        for j in range(n):
            z[k, j] = (col[j] - mean[k]) * scale[k]
    bounds = np.empty(folds + 1, np.int64)
    for f in range(folds + 1):
        bounds[f] = (f * n) // folds
    gram = np.zeros((folds, q, q))
    mom = np.zeros((folds, q))
    for k in range(q):
        for f in range(folds):
            lo, hi = bounds[f], bounds[f + 1]
            s = 0.0
            for j in range(lo, hi):
                s += z[k, j] * lens[j]
            mom[f, k] = s
            for m in range(k + 1):
                s = 0.0
                for j in range(lo, hi):
                    s += z[k, j] * z[m, j]
                gram[f, k, m] = s
                gram[f, m, k] = s
    beta = np.zeros((folds + 1, q))  # one fit per fold (on the others), then the full fit
    for f in range(folds + 1):
        a = np.zeros((q, q))
        c = np.zeros(q)
        for g in range(folds):
            if g != f:
                a += gram[g]
                c += mom[g]
        for k in range(p):
            a[k, k] += ridge * n
        _solve_spd(a, c, beta[f])
    pred = np.empty(n_all)
    for f in range(folds):  # lens paths: the fit without their fold
        for j in range(bounds[f], bounds[f + 1]):
            y = beta[f, p]
            for k in range(p):
                y += beta[f, k] * z[k, j]
            pred[j] = y
    block = 4096
    full = beta[folds]
    for c0 in range((n_all - n + block - 1) // block):  # the other paths: the full fit
        lo, hi = n + c0 * block, min(n_all, n + (c0 + 1) * block)
        for i in range(lo, hi):
            pred[i] = full[p]
        for k in range(p):
            col = _column(x, cols, npv, k)
            if scale[k] == 0.0:
                continue
            w = full[k] * scale[k]
            for i in range(lo, hi):
                pred[i] += w * (col[i] - mean[k])
    return pred


def _cdf_steps(values: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values in order and the weighted count up to each (a tie counts all
    its weights at once). Weights may be negative, so the count need not rise."""
    order = np.argsort(values)  # ties are merged below, so their order does not matter
    v, cum = values[order], np.cumsum(weights[order])
    last = np.append(v[1:] != v[:-1], True)
    return v[last], cum[last]


def _inverse(values: np.ndarray, cum: np.ndarray, total: float, level: float) -> float:
    """Where the count reaches ``level`` of ``total``, after monotone rearrangement.

    The estimated distribution function is a smooth part (the predictions) plus the
    correction's +-1/n steps, so it can cross a level, fall back and cross again. Taking
    its first crossing would bias the quantile low; the rearranged function (Chernozhukov,
    Fernandez-Val & Galichon 2010) has as its quantile the first value plus the total
    length over which the estimate is below the level, which is the first crossing
    whenever the estimate is monotone.
    """
    below = cum[:-1] < level * total
    return float(values[0] + np.diff(values)[below].sum())


def _sample_quantile(lens: np.ndarray, q: float) -> LensMedian:
    """The plain sample quantile with its distribution-free order-statistic error."""
    return LensMedian(percentiles(lens, (100 * q,))[0], quantile_se(np.sort(lens), q),
                      lens.size, "sample median")


def lens_median(lens: np.ndarray, x: np.ndarray, npv: np.ndarray, q: float = 0.5
                ) -> LensMedian:
    """The lens's q-quantile and its standard error from its first ``len(lens)`` paths.

    ``x`` (N, K) holds every path's sampled inputs and ``npv`` (N,) its production NPV.
    The plain sample quantile when the lens ran on every path, when there are too few
    lens paths for the regression (fewer than ROWS_PER_COEFFICIENT per coefficient), or
    when a lens value or a prediction is not finite; else the two-phase regression
    estimate of the module docstring.
    """
    n, n_all = lens.size, npv.size
    cols = np.arange(x.shape[1], dtype=np.int64)  # constant inputs get a zero coefficient
    usable = (n < n_all and n >= ROWS_PER_COEFFICIENT * (cols.size + 2)
              and np.isfinite(lens).all())
    if not usable:
        return _sample_quantile(lens, q)
    pred = _predict(np.asarray(x, dtype=np.float64), cols,
                    np.ascontiguousarray(npv, dtype=np.float64),
                    np.ascontiguousarray(lens, dtype=np.float64), FOLDS, RIDGE)
    if not np.isfinite(pred).all():  # inputs too large to standardise (e.g. near 1e308)
        return _sample_quantile(lens, q)
    fitted = pred[:n]
    # Weights in units of 1/(N n), so the running sums are exact integers: a path off the
    # lens counts n (its prediction), a lens path N for its value and n - N for its
    # cross-fitted prediction (it counts once among all N predictions, minus the
    # correction's prediction term).
    values = np.concatenate([pred, lens])
    weights = np.concatenate([np.full(n_all, n, np.int64), np.full(n, n_all, np.int64)])
    weights[:n] -= n_all
    values, cum = _cdf_steps(values, weights)
    total = float(n_all) * n
    m = _inverse(values, cum, total, q)
    d = (lens <= m).astype(np.float64) - (fitted <= m)
    var_f = q * (1 - q) / n_all + (1 - n / n_all) * float(np.var(d, ddof=1)) / n
    sf = math.sqrt(var_f)
    se = 0.5 * (_inverse(values, cum, total, min(1.0, q + sf))
                - _inverse(values, cum, total, max(0.0, q - sf)))
    return LensMedian(m, se, n, "two-phase regression")


__all__ = ["FOLDS", "lens_median"]
