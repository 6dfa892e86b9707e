"""Regression estimates of the expected value of (partial or sample) information.

Strong, Oakley & Brennan (2014): the conditional expectation g_d(theta) = E[NB_d | theta]
of each decision's net benefit given the quantities of interest theta is estimated by
regressing NB_d on theta over the simulated paths, and

    EVPPI = E[max_d g_d(theta)] - max_d E[NB_d].

The regression is least squares on one of three designs, whichever predicts the
differences between decisions best out of fold: linear; an additive cubic regression
spline per quantity (scipy's B-splines, knots at quantiles: a GAM without penalty); the
splines plus pairwise products of the standardised quantities (the interactions a GAM
tensor term would hold). All decisions are fitted at once.

The plug-in mean of max_d g^_d over fitted values is biased upward: the fit's own noise
makes some decision look best somewhere by chance (with many decisions and a wide
design, by more than its standard error). So the value is estimated **out of sample**,
by K-fold cross-fitting: on each path the decision d*(theta_i) is the argmax of a fit
that did not see path i, and the reference d0 (the best decision on average) comes from
the other folds too; the path contributes its own simulated NB_{d*}(i) - NB_{d0}(i).
The mean is an unbiased estimate of what acting on the fitted rule gains, which is at
most what the optimal rule gains: the small downward bias left vanishes as the fit
converges, and an input with no effect gets 0 in expectation.

Standard error: a Poisson bootstrap of the whole procedure (paths reweighted by
Poisson(1) counts, each path keeping its fold so that no copy is both fitted and
scored), N_BOOT replicates.

Computation (issue 29: about 1,400 cross-fits per analysis at 20,000 paths): the paths
are laid out fold by fold once (:class:`Resampling`, shared by the estimates of one
analysis with the bootstrap weights); each fold's normal equations are one symmetric
rank-k update over its rows of nonzero weight (a third of the rows weigh 0 in a
replicate), every fold's training equations are the total minus the fold's, and the
folds are solved in one batched call. Candidate designs and replicates are cross-fitted
on the cores in threads, with single-threaded BLAS. The mathematics is the one above:
results agree with the former implementation to rounding (tests/test_voi_regression.py).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

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


class SplineCache:
    """Spline bases already built in one analysis, by the quantity's values and knots
    (the same input enters the input's, its group's and the EVPI's designs)."""

    def __init__(self) -> None:
        self._bases: dict[tuple[bytes, int, int], np.ndarray] = {}

    def basis(self, x: np.ndarray, knots: int) -> np.ndarray:
        """:func:`spline_basis` of ``x``, built once per distinct ``x`` and ``knots``."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        key = (hashlib.blake2b(x.data, digest_size=16).digest(), x.size, knots)
        if key not in self._bases:
            self._bases[key] = spline_basis(x, knots)
        return self._bases[key]


def design(theta: np.ndarray, max_cols: int | None = None, *, knots: int = KNOTS,
           interactions: bool = True, splines: SplineCache | None = None) -> np.ndarray:
    """Regression design for the columns of ``theta`` (n, k), most important first.

    Intercept, a spline per column, then pairwise products of standardised columns in
    order of importance while the width stays within ``max_cols`` (default: 5 % of the
    paths, at most :data:`MAX_COLS`). If the splines alone are too wide, fewer knots.
    ``splines``: where already built spline bases are kept.
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
        basis = splines.basis if splines is not None else spline_basis
        parts = [np.ones((n, 1))] + [basis(theta[:, j], knots) for j in range(k)]
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


def candidate_designs(theta: np.ndarray, *,
                      splines: SplineCache | None = None) -> list[np.ndarray]:
    """Linear, additive spline and (for several quantities) spline-plus-interaction
    designs: :func:`evppi` keeps the one that predicts best out of sample."""
    theta = np.asarray(theta, dtype=np.float64).reshape(theta.shape[0], -1)
    out = [design(theta, knots=0, interactions=False),
           design(theta, interactions=False, splines=splines)]
    if theta.shape[1] > 1:
        out.append(design(theta, splines=splines))
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
          rng: np.random.Generator | None = None,
          resampling: Resampling | None = None,
          splines: SplineCache | None = None) -> Estimate:
    """EVPPI of ``theta`` (n, k) for net benefits ``nb`` (n, D), in NB's units.

    The regression design is the best (by out-of-fold error) of
    :func:`candidate_designs` (theta), or of ``basis`` (one design or a list) if given.
    ``rng`` draws the folds and the bootstrap weights (default: a fixed seed), unless
    ``resampling`` gives them already drawn (then ``folds``, ``n_boot`` and ``rng`` are
    its). ``splines``: a cache of spline bases shared by the calls of one analysis.
    """
    nb = np.asarray(nb, dtype=np.float64)
    n, n_dec = nb.shape
    if resampling is not None:
        folds, n_boot = resampling.folds, resampling.n_boot
    if n_dec < 2 or n < 2 * folds:
        return Estimate(0.0, 0.0, np.zeros(n_dec), 0.0)
    cands = ([basis] if isinstance(basis, np.ndarray) else list(basis)) if basis is not None \
        else candidate_designs(np.asarray(theta), splines=splines)
    if resampling is None:
        resampling = Resampling.draw(n, rng or np.random.default_rng(0), folds, n_boot)
    elif resampling.n_paths != n:
        raise ValueError(f"resampling: drawn for {resampling.n_paths} paths, not {n}")
    lay = resampling.layout
    yt = lay.rows(nb).transpose(0, 2, 1).copy()  # (folds, D, m)
    with _parallel() as run:
        scored = run(lambda x: _scored(lay.rows(x), yt, n), cands)
        best = 0
        for k in range(1, len(cands)):  # the first of the smallest errors
            if scored[k][0] < scored[best][0]:
                best = k
        fit = scored[best][1]
        x3 = lay.rows(cands[best])
        reps = run(lambda w: _crossfit(x3, yt, w, n).value, resampling.weights)
    se = float(np.std(reps, ddof=1)) if len(reps) > 1 else float("nan")
    pred = lay.unrows(fit.pred.transpose(0, 2, 1), n)
    var = nb.var(axis=0)
    explained = np.maximum(var - (nb - pred).var(axis=0), 0.0)
    r2 = np.where(var > 0, explained / np.where(var > 0, var, 1.0), 0.0)
    switch = float(np.sum((fit.choice != fit.d0[:, None])[lay.valid])) / n
    return Estimate(fit.value, se, r2, float(explained.sum()), switch)


def _scored(x3: np.ndarray, yt: np.ndarray, n: int) -> tuple[float, _Fit]:
    """(out-of-sample mean squared error of the predicted differences from the reference
    decision, the cross-fit) of one candidate design ``x3``."""
    fit = _crossfit(x3, yt, None, n)
    res = yt - fit.pred  # padding rows are 0 in yt and in the predictions
    res -= res[np.arange(yt.shape[0]), fit.d0][:, None, :]
    return float(np.sum(res * res)) / (n * yt.shape[1]), fit


@contextmanager
def _parallel() -> Iterator[Callable[[Callable[[Any], Any], Sequence[Any]], list[Any]]]:
    """A ``map`` over the cores with single-threaded BLAS: the cross-fits of the candidate
    designs and of the bootstrap replicates are independent, and numpy releases the GIL
    in their products and solves (BLAS's own threads stall on a busy machine, and gain
    nothing on narrow designs). Results do not depend on the number of threads."""
    from threadpoolctl import threadpool_limits  # only the regression needs it

    workers = _cores()
    with threadpool_limits(1, user_api="blas"):
        if workers < 2:
            yield lambda fn, items: [fn(i) for i in items]
            return
        with ThreadPoolExecutor(workers) as pool:
            yield lambda fn, items: list(pool.map(fn, items))


def _cores() -> int:
    """Threads for the cross-fits: the cores this process may use, at most numba's
    thread count (``NUMBA_NUM_THREADS`` caps both the simulation and this)."""
    import numba

    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, numba.get_num_threads()))


@dataclass(frozen=True)
class _Layout:
    """The paths grouped by fold: ``idx`` (folds, m) are the path numbers of each fold in
    increasing order, padded to a common length m; ``valid`` marks the real ones (the
    padding rows are 0 and weigh 0, so they add nothing to any sum)."""

    idx: np.ndarray
    valid: np.ndarray

    @classmethod
    def of(cls, fold: np.ndarray, folds: int) -> _Layout:
        order = np.argsort(fold, kind="stable")
        counts = np.bincount(fold, minlength=folds)
        m = int(counts.max())
        idx = np.zeros((folds, m), dtype=np.int64)
        valid = np.arange(m)[None, :] < counts[:, None]
        idx[valid] = order
        return cls(idx, valid)

    def rows(self, a: np.ndarray) -> np.ndarray:
        """``a``'s rows in this layout, (folds, m, ...), padding rows 0."""
        out = a[self.idx]
        out[~self.valid] = 0.0
        return out

    def unrows(self, a3: np.ndarray, n: int) -> np.ndarray:
        """The inverse of :meth:`rows` (padding dropped)."""
        out = np.empty((n, *a3.shape[2:]), dtype=a3.dtype)
        out[self.idx[self.valid]] = a3[self.valid]
        return out


@dataclass(frozen=True)
class Resampling:
    """The cross-fitting folds and the bootstrap's Poisson(1) weights of :func:`evppi`,
    drawn once for estimates that share them (paired, and drawn once rather than per
    estimate)."""

    layout: _Layout
    weights: np.ndarray  #: (n_boot, folds, m) path weights in the fold layout

    @classmethod
    def draw(cls, n: int, rng: np.random.Generator, folds: int = FOLDS,
             n_boot: int = N_BOOT) -> Resampling:
        """Folds, then the replicates' weights, from ``rng`` (the draws :func:`evppi`
        makes from its ``rng``)."""
        lay = _Layout.of(rng.permutation(n) % folds, folds)
        w = rng.poisson(1.0, (n_boot, n)).astype(np.float64)  # replicate by replicate
        w3 = w[:, lay.idx]
        w3[:, ~lay.valid] = 0.0
        return cls(lay, w3)

    @property
    def folds(self) -> int:
        return self.layout.idx.shape[0]

    @property
    def n_boot(self) -> int:
        return self.weights.shape[0]

    @property
    def n_paths(self) -> int:
        return int(self.layout.valid.sum())


@dataclass(frozen=True)
class _Fit:
    value: float  #: weighted mean gain of the fitted rule over the reference decision
    pred: np.ndarray  #: (folds, D, m) out-of-fold predictions
    choice: np.ndarray  #: (folds, m) decision the fitted rule chooses
    d0: np.ndarray  #: (folds,) reference decision of each fold (best on the other folds)


#: Widths from which a fold's normal equations are formed fold by fold with numpy's
#: symmetric rank-k update over the rows of nonzero weight (half the products, a third
#: of the rows skipped) rather than by one product batched over the folds (fewer calls:
#: better for narrow designs).
WIDE = 24


def _crossfit(x3: np.ndarray, yt: np.ndarray, w3: np.ndarray | None,
              n_paths: int) -> _Fit:
    """Cross-fitted value of the rule "choose the decision the fit predicts best" for the
    design ``x3`` (folds, m, p) and net benefits ``yt`` (folds, D, m) of ``n_paths``
    paths in a fold layout (:class:`_Layout`), with path weights ``w3`` (folds, m)
    (None: each path once; Poisson(1) counts for a bootstrap replicate; a path and its
    copies always share a fold, so no copy is both fitted and scored). Each fold is
    predicted by least squares on the other folds: the full normal equations minus this
    fold's, with a vanishing ridge that keeps a rank-deficient basis solvable."""
    folds, _, p = x3.shape
    if w3 is None:  # each path once (padding rows are 0 already)
        grams = np.empty((folds, p, p))
        for f in range(folds):
            grams[f] = x3[f].T @ x3[f]  # numpy's symmetric rank-k update
        crosses = np.matmul(yt, x3)  # (folds, D, p)
        sums = yt.sum(axis=2)
    elif p < WIDE:
        xw = x3 * w3[:, :, None]
        grams = np.matmul(xw.transpose(0, 2, 1), x3)
        crosses = np.matmul(yt, xw)
        sums = np.matmul(yt, w3[:, :, None])[:, :, 0]
    else:
        grams = np.empty((folds, p, p))
        crosses = np.empty((folds, yt.shape[1], p))
        for f in range(folds):
            keep = w3[f] > 0
            s = np.sqrt(w3[f][keep])
            a = x3[f][keep]
            a *= s[:, None]
            grams[f] = a.T @ a  # numpy's symmetric rank-k update
            crosses[f] = (yt[f][:, keep] * s) @ a
        sums = np.matmul(yt, w3[:, :, None])[:, :, 0]
    gram, cross, total = grams.sum(axis=0), crosses.sum(axis=0), sums.sum(axis=0)
    ridge = 1e-9 * max(float(np.trace(gram)) / p, 1e-300)
    coef = np.linalg.solve(gram - grams + ridge * np.eye(p),
                           (cross - crosses).transpose(0, 2, 1))  # (folds, p, D)
    pred = np.matmul(coef.transpose(0, 2, 1), x3.transpose(0, 2, 1))  # (folds, D, m)
    d0 = np.argmax(total - sums, axis=1)
    choice, chosen = _best(pred, yt)
    gain = chosen - yt[np.arange(folds), d0]
    if w3 is None:
        value = float(np.sum(gain)) / max(float(n_paths), 1.0)
    else:
        value = float(np.sum(gain * w3)) / max(float(w3.sum()), 1.0)
    return _Fit(value, pred, choice, d0)


def _best(pred: np.ndarray, yt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the decision with the highest prediction (the first if tied) on each path of
    ``pred`` (folds, D, m), and ``yt``'s net benefit of it)."""
    arg = pred.argmax(axis=1)
    return arg, np.take_along_axis(yt, arg[:, None, :], axis=1)[:, 0]
