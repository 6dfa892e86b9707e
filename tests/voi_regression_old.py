"""The EVPPI regression as it was at b9446fa (a verbatim copy of simulator/voi/regression.py's
estimator): the reference the faster one in simulator/voi/regression.py is tested against."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.interpolate import BSpline

#: Interior knots of each quantity's cubic spline (at equally spaced quantiles).
KNOTS = 4
#: Largest basis as a share of the paths (keeps the fit's own noise small).
MAX_COLS_SHARE = 0.05
#: Hard cap on the basis width (memory and time at 20 000+ paths).
MAX_COLS = 300


def spline_basis(x: np.ndarray, knots: int = KNOTS) -> np.ndarray:
    """Cubic B-spline basis of one quantity without its first function (the intercept
    is added once for the whole design). Empty for a constant quantity."""
    x = np.asarray(x, dtype=np.float64)
    lo, hi = float(x.min()), float(x.max())
    if not hi > lo:
        return np.zeros((x.size, 0))
    inner = np.unique(np.quantile(x, np.linspace(0.0, 1.0, knots + 2)[1:-1]))
    inner = inner[(inner > lo) & (inner < hi)]
    t = np.concatenate([[lo] * 4, inner, [hi] * 4])
    return BSpline.design_matrix(x, t, 3).toarray()[:, 1:]


def design(theta: np.ndarray, max_cols: int | None = None, *, knots: int = KNOTS,
           interactions: bool = True) -> np.ndarray:
    """Regression design for the columns of ``theta`` (n, k), most important first.

    Intercept, a spline per column, then pairwise products of standardised columns in
    order of importance while the width stays within ``max_cols`` (default: 5 % of the
    paths, at most :data:`MAX_COLS`). If the splines alone are too wide, fewer knots.
    """
    theta = np.asarray(theta, dtype=np.float64).reshape(theta.shape[0], -1)
    n, k = theta.shape
    cap = max_cols if max_cols is not None else max(8, min(MAX_COLS, int(MAX_COLS_SHARE * n)))
    while knots > 0 and 1 + k * (knots + 3) > cap:
        knots -= 1
    # Standardised, so that the vanishing ridge of the solve treats every column alike.
    sd = theta.std(axis=0)
    z = (theta - theta.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    if knots > 0:
        parts = [np.ones((n, 1))] + [spline_basis(theta[:, j], knots) for j in range(k)]
    else:  # too many quantities for splines: linear terms only
        parts = [np.ones((n, 1)), z[:, sd > 0]]
    width = sum(p.shape[1] for p in parts)
    pairs = []
    for b in range(1, k if interactions else 1):
        for a in range(b):
            if width + len(pairs) + 1 > cap:
                break
            if sd[a] > 0 and sd[b] > 0:
                pairs.append(z[:, a] * z[:, b])
    if pairs:
        parts.append(np.column_stack(pairs))
    return np.hstack(parts)


def candidate_designs(theta: np.ndarray) -> list[np.ndarray]:
    """Linear, additive spline and (for several quantities) spline-plus-interaction
    designs: :func:`evppi` keeps the one that predicts best out of sample."""
    theta = np.asarray(theta, dtype=np.float64).reshape(theta.shape[0], -1)
    out = [design(theta, knots=0, interactions=False), design(theta, interactions=False)]
    if theta.shape[1] > 1:
        out.append(design(theta))
    return out


@dataclass(frozen=True)
class Estimate:
    """A value of information with its standard error, and the fit's R^2."""

    value: float
    se: float
    r2: np.ndarray  #: per decision: out-of-sample share of NB variance the fit explains
    explained: float  #: NB variance explained, summed over decisions (for ranking)
    prob_switch: float = 0.0  #: share of paths where the information changes the decision


#: Folds of the cross-fitting.
FOLDS = 10
#: Bootstrap replicates behind each standard error.
N_BOOT = 25


def evppi(nb: np.ndarray, theta: np.ndarray | None = None, *,
          basis: np.ndarray | list[np.ndarray] | None = None,
          folds: int = FOLDS, n_boot: int = N_BOOT,
          rng: np.random.Generator | None = None) -> Estimate:
    """EVPPI of ``theta`` (n, k) for net benefits ``nb`` (n, D), in NB's units.

    The regression design is the best (by out-of-fold error) of
    :func:`candidate_designs` (theta), or of ``basis`` (one design or a list) if given.
    ``rng`` draws the folds and the bootstrap weights (default: a fixed seed).
    """
    nb = np.asarray(nb, dtype=np.float64)
    n, n_dec = nb.shape
    if n_dec < 2 or n < 2 * folds:
        return Estimate(0.0, 0.0, np.zeros(n_dec), 0.0)
    cands = ([basis] if isinstance(basis, np.ndarray) else list(basis)) if basis is not None \
        else candidate_designs(np.asarray(theta))
    rng = rng or np.random.default_rng(0)
    fold = rng.permutation(n) % folds
    members = [np.flatnonzero(fold == f) for f in range(folds)]
    best = None
    rows = np.arange(n)
    for x in cands:
        value, pred, choice, d0 = _crossfit(_fold_blocks(x, members), nb, members, np.ones(n))
        # Out-of-sample error of the predicted differences from the reference decision.
        err = float(np.mean(((nb - nb[rows, d0, None]) - (pred - pred[rows, d0, None])) ** 2))
        if best is None or err < best[0]:
            best = (err, x, value, pred, choice, d0)
    _, x, value, pred, choice, d0 = best
    blocks = _fold_blocks(x, members)  # the design's rows per fold, once for every replicate
    reps = [_crossfit(blocks, nb, members, rng.poisson(1.0, n).astype(np.float64))[0]
            for _ in range(n_boot)]
    se = float(np.std(reps, ddof=1)) if len(reps) > 1 else float("nan")
    var = nb.var(axis=0)
    explained = np.maximum(var - (nb - pred).var(axis=0), 0.0)
    r2 = np.where(var > 0, explained / np.where(var > 0, var, 1.0), 0.0)
    return Estimate(value, se, r2, float(explained.sum()), float(np.mean(choice != d0)))


def _fold_blocks(x: np.ndarray, members: list[np.ndarray]) -> list[np.ndarray]:
    """The design's rows of each fold, column-major (what the fold's products read)."""
    return [np.asfortranarray(x[i]) for i in members]


def _crossfit(blocks: list[np.ndarray], nb: np.ndarray, members: list[np.ndarray],
              w: np.ndarray):
    """(value, out-of-fold predictions, chosen decision, reference decision) for the
    design rows ``blocks`` of each fold (:func:`_fold_blocks`) with path weights ``w`` (1
    for the estimate, Poisson(1) counts for a bootstrap replicate; a path and its copies
    always share a fold, so no copy is both fitted and scored)."""
    grams = [b.T @ (b * w[i, None]) for b, i in zip(blocks, members, strict=True)]
    crosses = [b.T @ (nb[i] * w[i, None]) for b, i in zip(blocks, members, strict=True)]
    sums = [nb[i].T @ w[i] for i in members]
    gram, cross, total = sum(grams), sum(crosses), sum(sums)
    ridge = 1e-9 * max(float(np.trace(gram)) / gram.shape[0], 1e-300)
    eye = np.eye(gram.shape[0])
    pred = np.empty_like(nb)
    d0 = np.empty(nb.shape[0], dtype=np.int64)
    for b, i, g, c, s in zip(blocks, members, grams, crosses, sums, strict=True):
        # Least squares on the other folds: the full normal equations minus this fold's
        # (a vanishing ridge keeps a rank-deficient basis solvable).
        pred[i] = b @ np.linalg.solve(gram - g + ridge * eye, cross - c)
        d0[i] = int(np.argmax(total - s))
    choice = np.argmax(pred, axis=1)
    rows = np.arange(nb.shape[0])
    gain = nb[rows, choice] - nb[rows, d0]
    return float(gain @ w / max(w.sum(), 1.0)), pred, choice, d0
