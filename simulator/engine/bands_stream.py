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
    first_non_finite,
)
from .layout import TR_BEN, TR_COST
from .parallel import PRANGE_ONLY
from .stream_columns import (
    STREAM_BINS,
    _finish_column,
    _interleave,
    _scan_column,
    _set_windows,
)

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
