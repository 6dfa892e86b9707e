"""Exact percentile bands by histogram-then-select, compiled.

For each column: one pass for min/max, one pass to histogram into 4096 equal bins
(tracking each bin's min and max), then only the few bins that hold the wanted order
statistics and more than one distinct value are gathered and sorted.
The result equals ``np.percentile(..., method="linear")`` bit for bit (same
interpolation formula), at a fraction of its cost on large arrays.

No input can make these kernels index out of bounds: every bin index is clamped, a column
holding NaN or inf gets NaN quantiles without being binned, and
:func:`bands_from_trajectories` checks shapes and finiteness first and raises
:class:`NonFiniteTrajectoryError` (one line naming metric, month, path and value).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from ..scenario import ScenarioError
from .layout import TR_ACC, TR_ACTIVE, TR_BEN, TR_COST, TR_INC
from .parallel import PRANGE_ONLY

NBINS = 4096
#: Percentiles reported in bands, and the mean after them.
PERCENTILES = (5, 10, 25, 50, 75, 90, 95)
STATS = tuple(f"p{p}" for p in PERCENTILES) + ("mean",)
#: Metrics in the bands table, in order.
METRICS = ("active_users", "active_rate", "accuracy", "benefit", "cost", "net", "cum_net",
           "incidents")


@njit(cache=True)
def _lerp(a, b, t):
    # numpy's _lerp: a + (b-a)*t, or b - (b-a)*(1-t) for t >= 0.5 (monotone, exact ends).
    d = b - a
    if t >= 0.5:
        return b - d * (1.0 - t)
    return a + d * t


class NonFiniteTrajectoryError(ScenarioError):
    """A stored trajectory holds NaN or inf, so it has no percentile bands."""


@njit(cache=True)
def _bin(v, mn, scale):
    """Histogram bin of ``v``, always in [0, NBINS - 1] (NaN goes to bin 0)."""
    f = (v - mn) * scale
    if not f >= 0.0:
        return 0
    if f >= NBINS:
        return NBINS - 1
    return int(f)


@njit(cache=True, nogil=True)
def quantiles_hist(x, qs, out):
    """Write linear-interpolated quantiles ``qs`` (fractions) of 1-D ``x`` into ``out``.

    Returns the sum of ``x`` (taken in the same first pass, for the mean). An empty ``x``
    or one holding NaN or inf gives NaN quantiles (and a NaN sum); ``qs`` outside [0, 1]
    are clamped to it.
    """
    n = x.shape[0]
    if n == 0:
        for j in range(qs.shape[0]):
            out[j] = np.nan
        return np.nan
    mn = x[0]
    mx = x[0]
    sum_x = 0.0
    finite = True
    for v in x:
        if not math.isfinite(v):
            finite = False
            break
        sum_x += v
        mn = min(mn, v)
        mx = max(mx, v)
    if not finite:
        for j in range(qs.shape[0]):
            out[j] = np.nan
        return np.nan
    if mx == mn or n == 1:
        for j in range(qs.shape[0]):
            out[j] = mn
        return sum_x
    scale = NBINS / (mx - mn)
    counts = np.zeros(NBINS + 1, dtype=np.int64)
    bmin = np.full(NBINS, np.inf)
    bmax = np.full(NBINS, -np.inf)
    for v in x:
        b = _bin(v, mn, scale)
        counts[b + 1] += 1
        # min/max rather than if-tests: branch-free, twice as fast on continuous data
        # (few values per bin make the tests unpredictable).
        bmin[b] = min(bmin[b], v)
        bmax[b] = max(bmax[b], v)
    for b in range(NBINS):
        counts[b + 1] += counts[b]  # counts[b] = number of values in bins < b
    # Order statistics needed: floor(h) and floor(h)+1 for each quantile.
    nq = qs.shape[0]
    ranks = np.empty(2 * nq, dtype=np.int64)
    gammas = np.empty(nq)
    for j in range(nq):
        q = min(1.0, max(0.0, qs[j])) if qs[j] == qs[j] else 0.0
        h = q * (n - 1)
        lo = min(max(math.floor(h), 0), n - 1)
        gammas[j] = h - lo
        ranks[2 * j] = lo
        ranks[2 * j + 1] = min(lo + 1, n - 1)
    # The bins holding a wanted order statistic and more than one distinct value (a bin
    # of one repeated value, as with counts and integer metrics, needs no sort) get a
    # slot each: a segment of one gather buffer. Only those few bins are tracked, so
    # the set-up clears no per-bin offsets.
    rank_bin = np.empty(2 * nq, dtype=np.int64)
    slot = np.full(NBINS, -1, dtype=np.int32)
    seg_bin = np.empty(2 * nq, dtype=np.int64)
    n_seg = 0
    for k in range(2 * nq):
        r = ranks[k]
        # bin b with counts[b] <= r < counts[b+1]
        b = min(max(np.searchsorted(counts, r, side="right") - 1, 0), NBINS - 1)
        rank_bin[k] = b
        if bmin[b] != bmax[b] and slot[b] < 0:
            slot[b] = n_seg
            seg_bin[n_seg] = b
            n_seg += 1
    seg_start = np.empty(n_seg + 1, dtype=np.int64)
    seg_start[0] = 0
    for sg in range(n_seg):
        b = seg_bin[sg]
        seg_start[sg + 1] = seg_start[sg] + counts[b + 1] - counts[b]
    buf = np.empty(seg_start[n_seg], dtype=np.float64)
    if n_seg > 0:  # else every wanted bin holds one distinct value (counts, ties)
        fill = seg_start[:n_seg].copy()
        for v in x:
            sg = slot[_bin(v, mn, scale)]
            if sg >= 0:
                buf[fill[sg]] = v
                fill[sg] += 1
        for sg in range(n_seg):
            buf[seg_start[sg]:seg_start[sg + 1]].sort()
    for j in range(nq):
        vals = np.empty(2)
        for s in range(2):
            r = ranks[2 * j + s]
            b = rank_bin[2 * j + s]
            sg = slot[b]
            if sg >= 0:
                vals[s] = buf[seg_start[sg] + r - counts[b]]
            else:
                vals[s] = bmin[b]
        out[j] = _lerp(vals[0], vals[1], gammas[j])
    return sum_x


#: Stored trajectories with a band of their own, and their rows in METRICS.
_STORED = (TR_ACTIVE, TR_ACC, TR_BEN, TR_COST, TR_INC)
_STORED_DEST = (0, 2, 3, 4, 7)


#: Rows of METRICS that come from the float64 workspace (net, cumulative net).
_NET_DEST = (5, 6)
#: Metrics per month with a band computed from data (all but the active rate).
_TASKS_PER_MONTH = len(_STORED) + len(_NET_DEST)
#: Bytes of float64 workspace (month net and cumulative net, per path and month) the bands
#: may hold at once: months are processed in blocks that fit.
BAND_BLOCK_BYTES = 32 * 2**20


def band_block_months(n_months: int, n_paths: int) -> int:
    """Months per block of the bands' workspace: all of them when they fit in
    :data:`BAND_BLOCK_BYTES`, else as many as fit (at least one)."""
    return max(1, min(n_months, BAND_BLOCK_BYTES // (16 * max(n_paths, 1))))


@njit(cache=True, parallel=PRANGE_ONLY)
def _fill_net_block(traj, m0, n_block, carry, work):
    """Net cash (work[0, k]) and cumulative net (work[1, k]) of months m0 + k, k < n_block,
    per path; ``carry`` holds each path's cumulative net before m0 and is advanced past
    the block."""
    n = traj.shape[2]
    chunk = 4096
    for c in prange((n + chunk - 1) // chunk):
        for i in range(c * chunk, min(n, (c + 1) * chunk)):
            cum = carry[i]
            for k in range(n_block):
                net = np.float64(traj[TR_BEN, m0 + k, i]) - np.float64(traj[TR_COST, m0 + k, i])
                cum += net
                work[0, k, i] = net
                work[1, k, i] = cum
            carry[i] = cum


@njit(cache=True, parallel=PRANGE_ONLY)
def _block_bands(traj, work, m0, n_block, qs, out):
    """Quantiles and mean of every metric column of months m0 .. m0 + n_block - 1: one
    task per (month, metric), read in place (stored ones from the float32 trajectories),
    all in one parallel region so both threads stay busy."""
    n = traj.shape[2]
    nq = qs.shape[0]
    for task in prange(n_block * _TASKS_PER_MONTH):
        k = task // _TASKS_PER_MONTH
        r = task % _TASKS_PER_MONTH
        m = m0 + k
        if r < len(_STORED):
            dest = _STORED_DEST[r]
            # as float64 (exact): one compiled quantiles_hist serves every caller
            sx = quantiles_hist(traj[_STORED[r], m].astype(np.float64), qs,
                                out[m, dest, :nq])
        else:
            dest = _NET_DEST[r - len(_STORED)]
            sx = quantiles_hist(work[r - len(_STORED), k], qs, out[m, dest, :nq])
        out[m, dest, nq] = sx / n


@njit(cache=True, parallel=PRANGE_ONLY, nogil=True)
def first_non_finite(traj):
    """(metric row, month, path) of the first NaN or inf in ``traj``, or (-1, -1, -1)."""
    n_rows, n_months, n = traj.shape
    bad = np.full(n_rows * n_months, n, dtype=np.int64)
    for task in prange(n_rows * n_months):
        r = task // n_months
        m = task % n_months
        for i in range(n):
            if not math.isfinite(traj[r, m, i]):
                bad[task] = i
                break
    for task in range(n_rows * n_months):
        if bad[task] < n:
            return task // n_months, task % n_months, bad[task]
    return -1, -1, -1


#: Names of the stored trajectory rows, for messages.
_ROW_NAMES = {TR_ACTIVE: "active_users", TR_ACC: "accuracy", TR_BEN: "benefit",
              TR_COST: "cost", TR_INC: "incidents"}


def bands_from_trajectories(traj: np.ndarray, registered: np.ndarray,
                            qs: np.ndarray) -> np.ndarray:
    """Bands (H+1, len(METRICS), len(qs)+1) from stored trajectories (N_TRAJ, H+1, N).

    Checks what the compiled code would otherwise trust: shapes, ``qs`` in [0, 1], and
    that every trajectory value is finite (else :class:`NonFiniteTrajectoryError`, one
    line naming metric, month, path and value).
    """
    traj = np.asarray(traj)
    registered = np.ascontiguousarray(registered, dtype=np.float64)
    qs = np.ascontiguousarray(qs, dtype=np.float64)
    need = max(_STORED) + 1
    if traj.ndim != 3 or traj.shape[0] < need or traj.shape[1] < 1 or traj.shape[2] < 1:
        raise ValueError(f"trajectories: shape {traj.shape} is not ({need}+, months >= 1, "
                         f"paths >= 1)")
    if traj.dtype not in (np.float32, np.float64):
        traj = traj.astype(np.float64)
    if registered.shape != (traj.shape[1],):
        raise ValueError(f"registered: shape {registered.shape} does not match "
                         f"{traj.shape[1]} months")
    if qs.ndim != 1 or qs.size == 0 or not (np.isfinite(qs).all() and (qs >= 0).all()
                                             and (qs <= 1).all()):
        raise ValueError(f"qs: {qs!r} must be quantiles in [0, 1]")
    if not np.isfinite(registered).all():
        raise NonFiniteTrajectoryError(["registered: holds a non-finite count"])
    # The compiled pass is safe on any values and turns a non-finite column into NaN
    # bands, so finite input (the rule) pays nothing for the check; only then is the
    # first offending value looked up for the message.
    block = band_block_months(traj.shape[1], traj.shape[2])
    out = _bands_compiled(traj, registered, qs, block)
    if not np.isfinite(out).all():
        r, m, i = first_non_finite(traj)
        where = (f"{_ROW_NAMES.get(int(r), f'row {r}')} in month {m} of path {i} is "
                 f"{traj[r, m, i]!r}" if r >= 0 else "a band is not finite")
        raise NonFiniteTrajectoryError([
            f"trajectories: {where}, not a finite number (allowed range: finite float32, "
            f"|x| < 3.4e38): the inputs are too large to simulate"])
    return out


@njit(cache=True, nogil=True)
def _bands_compiled(traj, registered, qs, block):
    """Bands (H+1, len(METRICS), len(qs)+1) from stored trajectories.

    Net and cumulative net are formed from benefit and cost ``block`` months at a time
    (:func:`band_block_months`: one block at interactive sizes), so the workspace stays
    bounded whatever the run; active rate is the active-user band over the
    (deterministic) registered count.
    """
    n_months = traj.shape[1]
    n = traj.shape[2]
    nq = qs.shape[0]
    out = np.empty((n_months, 8, nq + 1))
    work = np.empty((2, block, n))
    carry = np.zeros(n)
    for m0 in range(0, n_months, block):
        n_block = min(block, n_months - m0)
        _fill_net_block(traj, m0, n_block, carry, work)
        _block_bands(traj, work, m0, n_block, qs, out)
    for m in range(n_months):
        reg = registered[m]
        for j in range(nq + 1):
            out[m, 1, j] = out[m, 0, j] / reg if reg > 0 else 0.0
    return out


def default_qs() -> np.ndarray:
    return np.array([p / 100 for p in PERCENTILES], dtype=np.float64)
