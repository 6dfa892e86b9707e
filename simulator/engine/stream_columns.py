"""Exact order statistics of one column inside windows: the per-column steps of the
streaming bands (``bands_stream.py``) and the streamed telemetry rows (``rows_stream.py``).

A column's windows are set from the first chunk; each chunk then counts its values into
bins, below and at each window's ends, and keeps only the values strictly inside; the
order statistics are finally selected from the kept values. All pure functions over
arrays, compiled once and shared by both streams.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .bands import _lerp, quantiles_hist

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
