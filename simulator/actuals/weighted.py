"""Weighted statistics of importance-weighted Monte Carlo paths.

Weights ``w`` are normalised (sum 1). Standard errors are the self-normalised
importance-sampling (delta-method) ones, ``se(mean) = sqrt(sum w_i^2 (x_i - mean)^2)``,
which reduce to ``sd / sqrt(N)`` for equal weights; quantile errors use the effective
sample size (see docs/actuals.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def normalise_log_weights(log_w: np.ndarray) -> np.ndarray:
    """exp(log_w - max) / sum: normalised weights without overflow."""
    m = np.max(log_w)
    w = np.exp(log_w - m)
    return w / w.sum()


def ess(w: np.ndarray) -> float:
    """Kish effective sample size (sum w)^2 / sum w^2."""
    s = float(w.sum())
    return s * s / float(np.dot(w, w))


def weighted_mean(x: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Self-normalised weighted mean and its standard error."""
    # Element-wise sums, not np.dot: BLAS threads stall 1-D dots on a busy machine.
    mean = float(np.multiply(w, x).sum() / w.sum())
    wn = w / w.sum()
    se = math.sqrt(float(np.multiply(wn * wn, (x - mean) ** 2).sum()))
    return mean, se


def weighted_quantiles(x: np.ndarray, w: np.ndarray, qs: Sequence[float] | np.ndarray,
                       ) -> np.ndarray:
    """Quantiles ``qs`` (fractions) of the rows of ``x`` (..., N) under weights ``w`` (N,).

    Each sorted value sits at the midpoint of its weight interval,
    ``pos_i = (W_i - w_i / 2) / W_N`` with ``W_i`` the cumulative weight, and quantiles
    interpolate linearly between positions (clamped at the ends). With equal weights this
    is the Hazen plotting position, ``np.percentile(..., method="hazen")``.
    """
    x = np.asarray(x, dtype=np.float64)
    qs = np.atleast_1d(np.asarray(qs, dtype=np.float64))
    w = np.asarray(w, dtype=np.float64)
    keep = w > 0
    if not keep.all():
        x = x[..., keep]
        w = w[keep]
    lead = x.shape[:-1]
    rows = x.reshape(-1, x.shape[-1])
    out = np.empty((rows.shape[0], qs.size))
    order = np.argsort(rows, axis=1, kind="stable")
    for r in range(rows.shape[0]):
        o = order[r]
        xs = rows[r, o]
        ws = w[o]
        cw = np.cumsum(ws)
        pos = (cw - 0.5 * ws) / cw[-1]
        j = np.searchsorted(pos, qs, side="right")
        lo = np.clip(j - 1, 0, xs.size - 1)
        hi = np.clip(j, 0, xs.size - 1)
        gap = pos[hi] - pos[lo]
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.where(gap > 0, (qs - pos[lo]) / gap, 0.0)
        t = np.clip(t, 0.0, 1.0)
        out[r] = xs[lo] + (xs[hi] - xs[lo]) * t
    return out.reshape(lead + (qs.size,))


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    """One weighted quantile (see :func:`weighted_quantiles`)."""
    return float(weighted_quantiles(x, w, [q])[0])


def weighted_quantile_se(x: np.ndarray, w: np.ndarray, q: float, n_eff: float) -> float:
    """Standard error of a weighted quantile from the effective sample size.

    Half the distance between the quantiles at ``q -/+ sqrt(q (1-q) / ESS)``: the same
    order-statistic interval ``quantile_se`` uses for equal weights, with N -> ESS.
    """
    if n_eff < 2:
        return math.nan
    d = math.sqrt(q * (1 - q) / n_eff)
    lo, hi = weighted_quantiles(x, w, [max(0.0, q - d), min(1.0, q + d)])
    return float(0.5 * (hi - lo))


def systematic_resample(w: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``n`` paths drawn by systematic resampling with probabilities ``w``.

    One uniform offset u ~ U[0, 1/n); index i is taken for each point u + k/n that falls
    in its cumulative-weight interval: the lowest-variance unbiased resampling scheme.
    """
    cw = np.cumsum(w / w.sum())
    cw[-1] = 1.0
    pts = (rng.random() + np.arange(n)) / n
    return np.searchsorted(cw, pts, side="right")
