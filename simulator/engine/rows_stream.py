"""Streamed exact bands of further per-path rows (the usage telemetry of a run too large to
keep its trajectories), read the way the core bands are (``bands_stream.py``).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .bands_stream import WINDOW_Z, StreamBandsFailed, _rooms
from .parallel import PRANGE_ONLY
from .stream_columns import (
    STREAM_BINS,
    _finish_column,
    _interleave,
    _scan_column,
    _set_windows,
)


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
