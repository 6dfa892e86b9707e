"""Exact percentile bands over paths that arrive in chunks, without keeping them.

A 1,000,000-path run streams its trajectories chunk by chunk (simulation.py); the bands
it reports are the same bits :func:`simulator.engine.bands.bands_from_trajectories` gives
on all paths at once (tests/test_bands_stream.py).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .bands import (
    _NET_DEST,
    _ROW_NAMES,
    _STORED,
    _STORED_DEST,
    METRICS,
    NonFiniteTrajectoryError,
    _lerp,
    first_non_finite,
    quantiles_hist,
)
from .layout import TR_BEN, TR_COST
from .parallel import PRANGE_ONLY

# ---------------------------------------------------------------------------------------
# Streaming bands: the same exact bands over paths that arrive in chunks, without keeping
# the trajectories. The first chunk (a random subsample: sampled rows are exchangeable)
# sets, per column and percentile, a window of values that holds the wanted order
# statistics with overwhelming probability; every chunk then adds to exact counts below
# and at each window's ends and keeps only the values strictly inside. The order
# statistics are then read from the windows; should one fall outside its window (or a
# window outgrow its reserved room) the caller is told and recomputes without streaming.
# Means are running float64 sums in path order, as quantiles_hist takes them.
# ---------------------------------------------------------------------------------------

#: Columns per month the stream tracks: the five stored rows, then net and cumulative net.
STREAM_COLS = len(_STORED) + len(_NET_DEST)
#: Their rows in METRICS.
_STREAM_DEST = _STORED_DEST + _NET_DEST
#: Half-width of a window, in standard errors of the first chunk's order statistic (the
#: chance that the run's order statistic falls outside is ~1e-9 per window).
WINDOW_Z = 6.0


def window_fraction(qs: np.ndarray, n_first: int) -> float:
    """Share of all values a stream keeps per column (its windows' total width) when its
    first chunk has ``n_first`` paths: the memory the streaming bands need."""
    n0 = max(int(n_first), 1)
    return float(min(1.0, sum(2.0 * (WINDOW_Z * math.sqrt(q * (1 - q) / n0) + 2.0 / n0)
                              for q in np.asarray(qs, dtype=np.float64))))


@njit(cache=True, parallel=PRANGE_ONLY)
def _fill_cum(traj, cum):
    """Cumulative net (cum[m, i]) of every path of a chunk: the same sums, in the same
    order, as :func:`_fill_net_block` (month by month, contiguous over paths)."""
    n = traj.shape[2]
    n_months = traj.shape[1]
    chunk = 16384
    for c in prange((n + chunk - 1) // chunk):
        i1 = min(n, (c + 1) * chunk)
        for i in range(c * chunk, i1):
            cum[0, i] = 0.0 + (np.float64(traj[TR_BEN, 0, i]) - np.float64(traj[TR_COST, 0, i]))
        for m in range(1, n_months):
            for i in range(c * chunk, i1):
                cum[m, i] = cum[m - 1, i] + (np.float64(traj[TR_BEN, m, i])
                                             - np.float64(traj[TR_COST, m, i]))


@njit(cache=True)
def _column(traj, cum, r, m):
    """Column r (of STREAM_COLS) of month m as float64 (a copy)."""
    n = traj.shape[2]
    col = np.empty(n)
    if r < len(_STORED):
        row = _STORED[r]
        for i in range(n):
            col[i] = np.float64(traj[row, m, i])
    elif r == len(_STORED):
        for i in range(n):
            col[i] = np.float64(traj[TR_BEN, m, i]) - np.float64(traj[TR_COST, m, i])
    else:
        for i in range(n):
            col[i] = cum[m, i]
    return col


#: Bins per column of a stream's fast pass: values in a bin that holds no window end and
#: lies in no window are only counted.
STREAM_BINS = 2048


@njit(cache=True)
def _set_windows(col, c, qs, qlo, qhi, lo, hi, n_win, bin_lo, bin_scale, first_win, atom):
    """:func:`_first_windows` for column ``c``, its first chunk's values ``col`` (float64);
    ``qs`` holds qlo and qhi interleaved, clamped to [0, 1]."""
    nq = qlo.shape[0]
    v = np.empty(2 * nq)
    quantiles_hist(col, qs, v)
    w = 0
    for j in range(nq):
        a = -np.inf if qlo[j] <= 0.0 else v[2 * j]
        b = np.inf if qhi[j] >= 1.0 else v[2 * j + 1]
        if w > 0 and a <= hi[c, w - 1]:
            hi[c, w - 1] = max(hi[c, w - 1], b)
        else:
            lo[c, w] = a
            hi[c, w] = b
            w += 1
    n_win[c] = w
    # Bins span the windows' finite ends (where the values that need exact tests
    # are), so a window's bins hold little more than the window.
    mn = np.inf
    mx = -np.inf
    for k in range(w):
        for e in (lo[c, k], hi[c, k]):
            if math.isfinite(e):
                mn = min(mn, e)
                mx = max(mx, e)
    if not mx > mn:
        mn = mn if math.isfinite(mn) else 0.0
        mx = mn + STREAM_BINS - 3  # one value, or none finite: unit bins
    bin_lo[c] = mn
    bin_scale[c] = (STREAM_BINS - 3) / (mx - mn)
    for k in range(w - 1, -1, -1):  # last to first: the first window wins a bin
        b0 = _bin_n(lo[c, k], mn, bin_scale[c], STREAM_BINS)
        b1 = _bin_n(hi[c, k], mn, bin_scale[c], STREAM_BINS)
        for b in range(b0, b1 + 1):
            first_win[c, b] = k
        for b, e in ((b0, lo[c, k]), (b1, hi[c, k])):
            if math.isfinite(e) and not atom[c, b] == atom[c, b]:
                atom[c, b] = e


@njit(cache=True)
def _interleave(qlo, qhi):
    """qlo and qhi interleaved (lo, hi per quantile), clamped to [0, 1]."""
    nq = qlo.shape[0]
    qs = np.empty(2 * nq)
    for j in range(nq):
        qs[2 * j] = min(1.0, max(0.0, qlo[j]))
        qs[2 * j + 1] = min(1.0, max(0.0, qhi[j]))
    return qs


@njit(cache=True, parallel=PRANGE_ONLY)
def _first_windows(traj, cum, qlo, qhi, lo, hi, n_win, bin_lo, bin_scale, first_win, atom):
    """Windows [lo, hi] per column from the first chunk: its quantiles at ``qlo`` / ``qhi``
    (fractions; at or below 0, at or above 1: an open end), overlapping windows merged.
    Also the column's bins (spanning the windows' finite ends), per bin the first window
    whose bins hold it (-1: none; its values are only counted) and a window end lying in
    it (``atom``, NaN: none): ties with it (counts, constants) are counted in the fast
    pass, not tested."""
    n_months = traj.shape[1]
    qs = _interleave(qlo, qhi)
    for c in prange(n_months * STREAM_COLS):
        m = c // STREAM_COLS
        r = c % STREAM_COLS
        _set_windows(_column(traj, cum, r, m), c, qs, qlo, qhi, lo, hi, n_win, bin_lo,
                     bin_scale, first_win, atom)


@njit(cache=True)
def _bin_n(v, mn, scale, nbins):
    """Bin of ``v`` among ``nbins``, in the values' order: 0 below ``mn`` (and NaN), then
    bins of width 1 / ``scale``, the last one holding everything from mn + (nbins - 2) /
    scale up (and inf)."""
    if not v >= mn:
        return 0
    f = (v - mn) * scale
    if f >= nbins - 2:
        return nbins - 1
    return 1 + int(f)


@njit(cache=True)
def _scan_column(col, c, keep32, lo, hi, n_win, bin_lo, bin_scale, first_win, atom,
                 bin_count, below, eq_lo, eq_hi, inside, offset, cap, buf32,
                 buf64, sums, flags):
    """:func:`_scan_chunk` for column ``c``, its values ``col`` (float32 or float64): a
    fast pass (sum, bin counts, and the values of window bins gathered without a branch),
    then the exact tests on the gathered values only."""
    n = col.shape[0]
    s = sums[c]
    mn = bin_lo[c]
    scale = bin_scale[c]
    nw = n_win[c]
    counts = bin_count[c]
    fw = first_win[c]
    at = atom[c]
    gathered = np.empty(n)
    win = np.empty(n, dtype=np.int8)
    g = 0
    for x in col:
        v = np.float64(x)
        s += v  # finite values of float32 size cannot overflow it: NaN or inf shows here
        b = _bin_n(v, mn, scale, STREAM_BINS)
        w = fw[b]
        hit = v == at[b]  # a window end's ties: counted here, not tested
        counts[2 * b + hit] += 1
        gathered[g] = v
        win[g] = w
        g += (w >= 0) & (not hit)
    sums[c] = s
    if not math.isfinite(s):
        flags[0] = 1
        return
    first_bin = np.empty(nw, dtype=np.int64)
    for w in range(nw):
        first_bin[w] = _bin_n(lo[c, w], mn, scale, STREAM_BINS)
    for t in range(g):
        v = gathered[t]
        w = np.int64(win[t])
        b = _bin_n(v, mn, scale, STREAM_BINS)
        # the windows whose bins hold b (one, or two sharing a bin): exact tests
        while w < nw and first_bin[w] <= b:
            a = lo[c, w]
            z = hi[c, w]
            if v < a:
                below[c, w] += 1  # in the window's first bin, under its low end
            elif v == a:
                eq_lo[c, w] += 1
            elif v < z:
                k = inside[c, w]
                if k < cap[c, w]:
                    if keep32:
                        buf32[offset[c, w] + k] = np.float32(v)
                    else:
                        buf64[offset[c, w] + k] = v
                inside[c, w] = k + 1
            elif v == z:
                eq_hi[c, w] += 1
            w += 1


@njit(cache=True, parallel=PRANGE_ONLY)
def _scan_chunk(traj, cum, lo, hi, n_win, bin_lo, bin_scale, first_win, atom,
                bin_count, below, eq_lo, eq_hi, inside, offset, cap, buf32, buf64, sums,
                flags):
    """Add one chunk to every column: its running sum; per bin, how many values fall in
    it; for values in a bin of a window (first_win >= 0: the first such window), exact
    counts below its low end (in its first bin), at its ends and strictly inside
    (``inside``), those kept in the window's room while it lasts (``buf32`` for the float32
    rows, ``buf64`` for net and cumulative net). flags[0] is set on a non-finite value."""
    n_months = traj.shape[1]
    for c in prange(n_months * STREAM_COLS):
        m = c // STREAM_COLS
        r = c % STREAM_COLS
        if r < len(_STORED):
            _scan_column(traj[_STORED[r], m], c, True, lo, hi, n_win, bin_lo, bin_scale,
                         first_win, atom, bin_count, below, eq_lo, eq_hi, inside, offset, cap,
                         buf32, buf64, sums, flags)
        elif r == len(_STORED):
            _scan_column(_column(traj, cum, r, m), c, False, lo, hi, n_win, bin_lo,
                         bin_scale, first_win, atom, bin_count, below, eq_lo, eq_hi, inside,
                         offset, cap, buf32, buf64, sums, flags)
        else:
            _scan_column(cum[m], c, False, lo, hi, n_win, bin_lo, bin_scale, first_win,
                         atom, bin_count, below, eq_lo, eq_hi, inside, offset, cap, buf32,
                         buf64, sums, flags)


@njit(cache=True)
def _select(a, k):
    """The k-th smallest of ``a`` (0-based), reordering ``a`` in place (Hoare's
    quickselect with a median-of-three pivot): O(len(a)), no sort."""
    lo = 0
    hi = a.shape[0] - 1
    while hi > lo:
        mid = (lo + hi) // 2
        x, y, z = a[lo], a[mid], a[hi]
        pivot = max(min(x, y), min(max(x, y), z))
        i = lo
        j = hi
        while i <= j:
            while a[i] < pivot:
                i += 1
            while a[j] > pivot:
                j -= 1
            if i <= j:
                a[i], a[j] = a[j], a[i]
                i += 1
                j -= 1
        if k <= j:
            hi = j
        elif k >= i:
            lo = i
        else:
            return a[k]
    return a[k]


@njit(cache=True)
def _finish_column(c, f32, lo, hi, n_win, bin_lo, bin_scale, atom, bin_count, below, eq_lo,
                   eq_hi, fill, offset, buf32, buf64, sums, n, qs, out):
    """:func:`_finish_stream` for column ``c`` (its kept values in ``buf32`` when ``f32``,
    else in ``buf64``): its quantiles and mean into ``out`` (len(qs) + 1); False where an
    order statistic fell outside every window."""
    nq = qs.shape[0]
    nw = n_win[c]
    ok = True
    tot_below = np.empty(nw, dtype=np.int64)
    for w in range(nw):
        # values below the window: every value of the bins under its first bin (bins
        # follow the values' order), plus those of its first bin under its low end
        b0 = _bin_n(lo[c, w], bin_lo[c], bin_scale[c], STREAM_BINS)
        t = below[c, w]
        for b in range(2 * b0):  # every value of the bins below (ties or not)
            t += bin_count[c, b]
        # the ties of a window end counted in the fast pass, below this window's low
        # end in its first bin
        if atom[c, b0] < lo[c, w]:
            t += bin_count[c, 2 * b0 + 1]
        tot_below[w] = t
    vals = np.empty(2)
    for j in range(nq):
        q = min(1.0, max(0.0, qs[j])) if qs[j] == qs[j] else 0.0
        h = q * (n - 1)
        rlo = min(max(math.floor(h), 0), n - 1)
        gamma = h - rlo
        for s in range(2):
            rank = rlo if s == 0 else min(rlo + 1, n - 1)
            found = False
            for w in range(nw):
                k = rank - tot_below[w]
                if k < 0:
                    continue
                ties = eq_lo[c, w]
                b0 = _bin_n(lo[c, w], bin_lo[c], bin_scale[c], STREAM_BINS)
                if atom[c, b0] == lo[c, w]:
                    ties += bin_count[c, 2 * b0 + 1]
                if k < ties:
                    vals[s] = lo[c, w]
                    found = True
                    break
                k -= ties
                if k < fill[c, w]:
                    a = offset[c, w]
                    if f32:
                        vals[s] = np.float64(_select(buf32[a:a + fill[c, w]], k))
                    else:
                        vals[s] = _select(buf64[a:a + fill[c, w]], k)
                    found = True
                    break
                k -= fill[c, w]
                ties = eq_hi[c, w]
                b1 = _bin_n(hi[c, w], bin_lo[c], bin_scale[c], STREAM_BINS)
                if hi[c, w] != lo[c, w] and atom[c, b1] == hi[c, w]:
                    ties += bin_count[c, 2 * b1 + 1]
                if k < ties:
                    vals[s] = hi[c, w]
                    found = True
                    break
            if not found:
                ok = False
                vals[s] = np.nan
        out[j] = _lerp(vals[0], vals[1], gamma)
    out[nq] = sums[c] / n
    return ok


@njit(cache=True, parallel=PRANGE_ONLY)
def _finish_stream(lo, hi, n_win, bin_lo, bin_scale, atom, bin_count, below,
                   eq_lo, eq_hi, fill, offset, buf32, buf64, sums, n, qs, registered, out,
                   ok):
    """Bands (H+1, len(METRICS), len(qs)+1) from the counts and windows; ok[c] = 0 where
    an order statistic of column c fell outside every window."""
    nq = qs.shape[0]
    n_months = out.shape[0]
    for c in prange(n_months * STREAM_COLS):
        m = c // STREAM_COLS
        r = c % STREAM_COLS
        if not _finish_column(c, r < len(_STORED), lo, hi, n_win, bin_lo, bin_scale, atom,
                              bin_count, below, eq_lo, eq_hi, fill, offset, buf32, buf64,
                              sums, n, qs, out[m, _STREAM_DEST[r]]):
            ok[c] = 0
    for m in range(n_months):
        reg = registered[m]
        for j in range(nq + 1):
            out[m, 1, j] = out[m, 0, j] / reg if reg > 0 else 0.0


def _rooms(pilot: np.ndarray, scale: float | np.ndarray, n_win: np.ndarray) -> np.ndarray:
    """Room per window (columns x windows, int64): the first chunk's count ``pilot``
    scaled to the run by ``scale`` (one factor, or one per column), with a margin of eight
    of its relative standard errors, and a floor for windows it left empty; 0 past each
    column's ``n_win``."""
    cap = np.ceil(pilot * scale * (1.0 + 8.0 / np.sqrt(pilot + 1.0))) + 256
    cap[np.arange(pilot.shape[1])[None, :] >= n_win[:, None]] = 0
    return cap.astype(np.int64)


class StreamBandsFailed(Exception):
    """The streamed bands cannot be read exactly (an order statistic outside its window, a
    window's room outgrown): the caller recomputes them from the whole run."""


class StreamingBands:
    """Exact bands of a run whose paths arrive in chunks (in path order), keeping only
    narrow windows of values: equal bit for bit to :func:`bands_from_trajectories` on the
    whole run, or :class:`StreamBandsFailed` (about once in 10^5 runs) from :meth:`result`.
    """

    def __init__(self, n_paths: int, registered: np.ndarray, qs: np.ndarray):
        self.n = int(n_paths)
        self.registered = np.ascontiguousarray(registered, dtype=np.float64)
        self.qs = np.ascontiguousarray(qs, dtype=np.float64)
        self.n_months = self.registered.shape[0]
        n_cols = self.n_months * STREAM_COLS
        nq = self.qs.shape[0]
        self.lo = np.zeros((n_cols, nq))
        self.hi = np.zeros((n_cols, nq))
        self.n_win = np.zeros(n_cols, dtype=np.int64)
        self.bin_lo = np.zeros(n_cols)
        self.bin_scale = np.zeros(n_cols)
        self.first_win = np.full((n_cols, STREAM_BINS), -1, dtype=np.int8)
        self.atom = np.full((n_cols, STREAM_BINS), np.nan)

        #: per bin: values that are not (2b) and are (2b + 1) the bin's window end
        self.bin_count = np.zeros((n_cols, 2 * STREAM_BINS), dtype=np.int64)
        self.below = np.zeros((n_cols, nq), dtype=np.int64)
        self.eq_lo = np.zeros((n_cols, nq), dtype=np.int64)
        self.eq_hi = np.zeros((n_cols, nq), dtype=np.int64)
        self.inside = np.zeros((n_cols, nq), dtype=np.int64)
        self.sums = np.zeros(n_cols)
        self.flags = np.zeros(1, dtype=np.int64)
        self.seen = 0
        self.bad: tuple[int, int, int, float] | None = None  # first non-finite value

    def _start(self, traj: np.ndarray, cum: np.ndarray) -> None:
        n0 = traj.shape[2]
        se = WINDOW_Z * np.sqrt(self.qs * (1 - self.qs) / n0) + 2.0 / n0
        _first_windows(traj, cum, self.qs - se, self.qs + se, self.lo, self.hi, self.n_win,
                       self.bin_lo, self.bin_scale, self.first_win, self.atom)
        # A counting pass over the first chunk (no room yet), then room per window: the
        # chunk's count scaled to the run, with a margin of eight of its relative standard
        # errors, and a floor for windows it left empty.
        none = np.zeros_like(self.inside)
        self._scan(traj, cum, none, np.zeros(0, np.float32), np.zeros(0))
        pilot = self.inside.copy()
        for a in (self.bin_count, self.below, self.eq_lo, self.eq_hi,
                  self.inside, self.sums, self.flags):
            a[...] = 0
        self.cap = _rooms(pilot, self.n / n0, self.n_win)
        self.offset = np.zeros_like(self.cap)
        f32 = (np.arange(self.cap.shape[0]) % STREAM_COLS) < len(_STORED)
        for rows in (f32, ~f32):  # one buffer each for the float32 and float64 columns
            flat = self.cap[rows].reshape(-1)
            off = np.zeros_like(flat)
            off[1:] = np.cumsum(flat)[:-1]
            self.offset[rows] = off.reshape(-1, self.cap.shape[1])
        self.buf32 = np.empty(int(self.cap[f32].sum()), dtype=np.float32)
        self.buf64 = np.empty(int(self.cap[~f32].sum()))

    def _scan(self, traj, cum, cap, buf32, buf64) -> None:
        """One chunk through :func:`_scan_chunk`, into rooms ``cap`` (all 0: count only)."""
        offset = getattr(self, "offset", cap)
        _scan_chunk(traj, cum, self.lo, self.hi, self.n_win, self.bin_lo, self.bin_scale,
                    self.first_win, self.atom, self.bin_count, self.below, self.eq_lo,
                    self.eq_hi, self.inside, offset, cap, buf32, buf64, self.sums, self.flags)

    def add(self, traj: np.ndarray, first_path: int) -> None:
        """Add the trajectories (len(TRAJ), H+1, n) of paths first_path .. first_path+n-1."""
        if first_path != self.seen:
            raise ValueError(f"chunk starts at path {first_path}, expected {self.seen}")
        # a chunk's cumulative net, freed after the chunk (not held while the caller goes
        # on: the peak memory of a streamed run is one chunk's arrays over the windows)
        cum = np.empty(traj.shape[1:])
        _fill_cum(traj, cum)
        if self.seen == 0:
            self._start(traj, cum)
        self._scan(traj, cum, self.cap, self.buf32, self.buf64)
        if self.flags[0] and self.bad is None:
            r, m, i = first_non_finite(traj)
            if r >= 0:
                self.bad = (int(r), int(m), int(i) + first_path, float(traj[r, m, i]))
        self.seen += traj.shape[2]

    def result(self) -> np.ndarray:
        """Bands (H+1, len(METRICS), len(qs)+1) of every path added (all ``n_paths`` of
        them): :class:`NonFiniteTrajectoryError` as :func:`bands_from_trajectories`,
        :class:`StreamBandsFailed` where the windows cannot give them exactly."""
        if self.seen != self.n:
            raise ValueError(f"{self.seen} of {self.n} paths were added")
        if self.bad is not None:
            r, m, i, v = self.bad
            raise NonFiniteTrajectoryError([
                f"trajectories: {_ROW_NAMES.get(r, f'row {r}')} in month {m} of path {i} is "
                f"{v!r}, not a finite number (allowed range: finite float32, |x| < 3.4e38): "
                f"the inputs are too large to simulate"])
        if (self.inside > self.cap).any():
            raise StreamBandsFailed("a window outgrew its room")
        out = np.empty((self.n_months, len(METRICS), self.qs.shape[0] + 1))
        ok = np.ones(self.lo.shape[0], dtype=np.int64)
        _finish_stream(self.lo, self.hi, self.n_win, self.bin_lo, self.bin_scale, self.atom,
                       self.bin_count, self.below, self.eq_lo, self.eq_hi, self.inside,
                       self.offset, self.buf32, self.buf64, self.sums, self.n, self.qs,
                       self.registered, out, ok)
        if not ok.all():
            raise StreamBandsFailed("an order statistic fell outside its window")
        return out


# ---------------------------------------------------------------------------------------
# Streaming rows: the same windows for any float64 rows (a run's usage telemetry, one row
# per month and metric), each row's values arriving a chunk of paths at a time.
# ---------------------------------------------------------------------------------------


@njit(cache=True, parallel=PRANGE_ONLY)
def _first_windows_rows(rows, c0, qlo, qhi, lo, hi, n_win, bin_lo, bin_scale, first_win,
                        atom):
    """:func:`_first_windows` for the columns c0 .. c0 + len(rows) - 1 of a
    :class:`StreamingRows`, from their first chunk's values ``rows`` (k, n) float64."""
    qs = _interleave(qlo, qhi)
    for k in prange(rows.shape[0]):
        _set_windows(rows[k], c0 + k, qs, qlo, qhi, lo, hi, n_win, bin_lo, bin_scale,
                     first_win, atom)


@njit(cache=True, parallel=PRANGE_ONLY)
def _scan_rows(rows, c0, lo, hi, n_win, bin_lo, bin_scale, first_win, atom, bin_count, below,
               eq_lo, eq_hi, inside, offset, cap, buf64, sums, flags):
    """:func:`_scan_chunk` for the columns c0 .. c0 + len(rows) - 1 of a
    :class:`StreamingRows`, one chunk's values ``rows`` (k, n) float64."""
    buf32 = np.empty(0, dtype=np.float32)
    for k in prange(rows.shape[0]):
        _scan_column(rows[k], c0 + k, False, lo, hi, n_win, bin_lo, bin_scale, first_win,
                     atom, bin_count, below, eq_lo, eq_hi, inside, offset, cap, buf32, buf64,
                     sums, flags)


@njit(cache=True, parallel=PRANGE_ONLY)
def _finish_rows(lo, hi, n_win, bin_lo, bin_scale, atom, bin_count, below, eq_lo, eq_hi,
                 fill, offset, buf64, sums, n, qs, out, ok):
    """Quantiles and mean (columns, len(qs)+1) of every column of a :class:`StreamingRows`;
    ok[c] = 0 where an order statistic of column c fell outside every window."""
    buf32 = np.empty(0, dtype=np.float32)
    for c in prange(out.shape[0]):
        if not _finish_column(c, False, lo, hi, n_win, bin_lo, bin_scale, atom, bin_count,
                              below, eq_lo, eq_hi, fill, offset, buf32, buf64, sums, n, qs,
                              out[c]):
            ok[c] = 0


class StreamingRows:
    """Exact quantiles and means of ``n_rows`` float64 rows of ``n_paths`` values each,
    the values arriving a chunk of paths at a time, keeping only narrow windows: the bits
    :func:`quantiles_hist` gives on each whole row (the mean: its running sum in path
    order over n), or :class:`StreamBandsFailed` from :meth:`result`.

    Rows may be fed in groups (``c0``: the group's first row). Every row's first chunk
    goes through :meth:`start` (it sets the row's windows), then every chunk, the first
    included, through :meth:`add`, in path order.
    """

    def __init__(self, n_paths: int, n_rows: int, qs: np.ndarray):
        self.n = int(n_paths)
        self.qs = np.ascontiguousarray(qs, dtype=np.float64)
        nq = self.qs.shape[0]
        self.lo = np.zeros((n_rows, nq))
        self.hi = np.zeros((n_rows, nq))
        self.n_win = np.zeros(n_rows, dtype=np.int64)
        self.bin_lo = np.zeros(n_rows)
        self.bin_scale = np.zeros(n_rows)
        self.first_win = np.full((n_rows, STREAM_BINS), -1, dtype=np.int8)
        self.atom = np.full((n_rows, STREAM_BINS), np.nan)
        self.bin_count = np.zeros((n_rows, 2 * STREAM_BINS), dtype=np.int64)
        self.below = np.zeros((n_rows, nq), dtype=np.int64)
        self.eq_lo = np.zeros((n_rows, nq), dtype=np.int64)
        self.eq_hi = np.zeros((n_rows, nq), dtype=np.int64)
        self.inside = np.zeros((n_rows, nq), dtype=np.int64)
        self.sums = np.zeros(n_rows)
        self.flags = np.zeros(1, dtype=np.int64)
        self.first = np.zeros(n_rows, dtype=np.int64)  # each row's first chunk (0: none)
        self.pilot = np.zeros((n_rows, nq), dtype=np.int64)
        self.seen = np.zeros(n_rows, dtype=np.int64)
        self.cap: np.ndarray | None = None

    def _scan(self, rows: np.ndarray, c0: int, cap: np.ndarray, offset: np.ndarray,
              buf64: np.ndarray) -> None:
        _scan_rows(rows, c0, self.lo, self.hi, self.n_win, self.bin_lo, self.bin_scale,
                   self.first_win, self.atom, self.bin_count, self.below, self.eq_lo,
                   self.eq_hi, self.inside, offset, cap, buf64, self.sums, self.flags)

    def start(self, rows: np.ndarray, c0: int = 0) -> None:
        """Set the windows of rows c0 .. c0 + len(rows) - 1 from their first chunk's values
        ``rows`` (k, n0), and count how many of its values each window holds."""
        rows = np.ascontiguousarray(rows, dtype=np.float64)
        k, n0 = rows.shape
        sl = slice(c0, c0 + k)
        if self.cap is not None or self.first[sl].any() or n0 < 1:
            raise ValueError(f"rows {c0}..{c0 + k - 1}: started twice, late or empty")
        se = WINDOW_Z * np.sqrt(self.qs * (1 - self.qs) / n0) + 2.0 / n0
        _first_windows_rows(rows, c0, self.qs - se, self.qs + se, self.lo, self.hi,
                            self.n_win, self.bin_lo, self.bin_scale, self.first_win, self.atom)
        none = np.zeros_like(self.inside)  # a counting pass: no room yet
        self._scan(rows, c0, none, none, np.zeros(0))
        self.pilot[sl] = self.inside[sl]
        for a in (self.bin_count, self.below, self.eq_lo, self.eq_hi, self.inside, self.sums):
            a[sl] = 0
        self.flags[0] = 0
        self.first[sl] = n0

    def _allocate(self) -> None:
        """Room for every window, once every row has its windows."""
        if not self.first.all():
            raise ValueError(f"{int((self.first == 0).sum())} rows were never started")
        # each row's first-chunk count scaled to the run
        self.cap = _rooms(self.pilot, (self.n / self.first)[:, None], self.n_win)
        flat = self.cap.reshape(-1)
        off = np.zeros_like(flat)
        off[1:] = np.cumsum(flat)[:-1]
        self.offset = off.reshape(self.cap.shape)
        self.buf64 = np.empty(int(flat.sum()))

    def add(self, rows: np.ndarray, first_path: int, c0: int = 0) -> None:
        """Add the values ``rows`` (k, n) of paths first_path .. first_path + n - 1 to rows
        c0 .. c0 + k - 1."""
        rows = np.ascontiguousarray(rows, dtype=np.float64)
        sl = slice(c0, c0 + rows.shape[0])
        if (self.seen[sl] != first_path).any():
            raise ValueError(f"rows {c0}..: chunk starts at path {first_path}, expected "
                             f"{int(self.seen[c0])}")
        if self.cap is None:
            self._allocate()
        self._scan(rows, c0, self.cap, self.offset, self.buf64)
        self.seen[sl] += rows.shape[1]

    def result(self) -> np.ndarray:
        """(rows, len(qs)+1): each row's quantiles and mean over all ``n_paths`` paths;
        :class:`StreamBandsFailed` where the windows cannot give them exactly, ValueError
        on a non-finite value."""
        if (self.seen != self.n).any():
            raise ValueError(f"{int(self.seen.min())} of {self.n} paths were added")
        if self.flags[0]:
            raise ValueError("rows: a value is not a finite number")
        if (self.inside > self.cap).any():
            raise StreamBandsFailed("a window outgrew its room")
        out = np.empty((self.lo.shape[0], self.qs.shape[0] + 1))
        ok = np.ones(self.lo.shape[0], dtype=np.int64)
        _finish_rows(self.lo, self.hi, self.n_win, self.bin_lo, self.bin_scale, self.atom,
                     self.bin_count, self.below, self.eq_lo, self.eq_hi, self.inside,
                     self.offset, self.buf64, self.sums, self.n, self.qs, out, ok)
        if not ok.all():
            raise StreamBandsFailed("an order statistic fell outside its window")
        return out
