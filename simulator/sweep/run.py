"""Running a sweep: plan, skip finished points, run the rest on a backend, assemble.

:func:`run_sweep` hands chunks of points to a backend (:mod:`.backends`) and collects
one row of metrics per point. With an output file, finished points go to part files as
they arrive (:mod:`.storage`); ``resume=True`` runs only the missing points, and the
final table is written atomically before the parts are removed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from .backends import Backend, InProcess
from .errors import SweepError
from .spec import POINT, Sweep, SweepPlan
from .storage import PartFiles, write_table

#: Called after each batch of finished points with (points done, points in the sweep).
ProgressFn = Callable[[int, int], None]


def run_sweep(sweep: Sweep | SweepPlan, *, backend: Backend | None = None,
              out: str | Path | None = None, resume: bool = False,
              progress: ProgressFn | None = None, chunk_size: int | None = None,
              flush_points: int = 100, flush_seconds: float = 5.0) -> pd.DataFrame:
    """Run a sweep and return its tidy table: ``point``, one column per input, then one
    per metric, one row per point in point order.

    Checks the whole definition first (:meth:`Sweep.plan`). With ``out`` (``.csv`` or
    ``.parquet``) finished points are kept in ``<out>.parts/`` as they arrive (at least
    every ``flush_points`` points or ``flush_seconds``, and on any interruption), the
    final file is written atomically, and ``resume=True`` continues an interrupted run:
    the result is the same table an uninterrupted run gives. ``backend`` defaults to
    :class:`InProcess`; a backend passed in is not closed here.
    """
    plan = sweep.plan() if isinstance(sweep, Sweep) else sweep
    parts = PartFiles(Path(out), plan, resume) if out is not None else None
    done = parts.load() if parts is not None else None
    finished = _finished_points(done)
    todo = [i for i in range(plan.n_points) if i not in finished]
    be = InProcess() if backend is None else backend
    size = _chunk_size(chunk_size, be, len(todo))
    collected = _Collector(parts, flush_points, flush_seconds)
    _execute(plan, be, backend is None, todo, size, collected, progress,
             already_done=len(finished))
    table = _assemble(plan, done, collected.frame(plan.sweep.metrics))
    if out is not None:
        write_table(table, out)
        parts.remove()
    return table


# --------------------------------------------------------------------------- steps


def _finished_points(done: pd.DataFrame | None) -> set[int]:
    """Point indices an earlier, interrupted run already finished."""
    return set(done[POINT].tolist()) if done is not None else set()


def _chunk_size(chunk_size: int | None, backend: Backend, n_todo: int) -> int:
    """The points per chunk asked for, or the backend's default for ``n_todo`` points."""
    size = chunk_size or backend.default_chunk(n_todo)
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise SweepError(f"chunk size: {size!r} must be a whole number >= 1")
    return size


def _chunks(points: Iterable[int], size: int) -> list[list[int]]:
    pts = list(points)
    return [pts[i:i + size] for i in range(0, len(pts), size)]


class _Collector:
    """Finished chunks: all kept for the table, and buffered for the part files until
    ``flush_points`` points or ``flush_seconds`` have gathered."""

    def __init__(self, parts: PartFiles | None, flush_points: int, flush_seconds: float):
        self.parts = parts
        self.flush_points = flush_points
        self.flush_seconds = flush_seconds
        self.idx: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self._buf_i: list[np.ndarray] = []
        self._buf_v: list[np.ndarray] = []
        self._buffered = 0
        self._last_flush = time.monotonic()

    def accept(self, idx: np.ndarray, vals: np.ndarray) -> None:
        self.idx.append(idx)
        self.vals.append(vals)
        self._buf_i.append(idx)
        self._buf_v.append(vals)
        self._buffered += idx.size

    def flush_due(self) -> bool:
        return (self._buffered >= self.flush_points
                or time.monotonic() - self._last_flush >= self.flush_seconds)

    def flush(self) -> None:
        """Write the buffered points to a part file (if there is an output file)."""
        if self.parts is not None and self._buf_i:
            self.parts.write(np.concatenate(self._buf_i), np.concatenate(self._buf_v))
        self._buf_i.clear()
        self._buf_v.clear()
        self._buffered = 0
        self._last_flush = time.monotonic()

    def frame(self, metrics: tuple[str, ...]) -> pd.DataFrame:
        """The points collected in this run: ``point`` then one column per metric."""
        new = pd.DataFrame(np.concatenate(self.vals) if self.vals else
                           np.empty((0, len(metrics))), columns=list(metrics))
        new.insert(0, POINT, np.concatenate(self.idx) if self.idx else
                   np.empty(0, dtype=np.int64))
        return new


def _execute(plan: SweepPlan, be: Backend, own: bool, todo: list[int], size: int,
             collected: _Collector, progress: ProgressFn | None, already_done: int) -> None:
    """Run the ``todo`` points on ``be`` in chunks of ``size``, reporting progress.

    However the run ends (finished, Ctrl-C, a failing point), chunks that finished are
    flushed to the part files, and a backend started here (``own``) is closed.
    """
    n = plan.n_points
    count = already_done
    gen = None
    try:
        if progress is not None:
            progress(count, n)
        if todo:
            if own:
                be.__enter__()
            gen = be.run(plan, _chunks(todo, size))
            for idx, vals in gen:
                collected.accept(idx, vals)
                count += idx.size
                if collected.flush_due():
                    collected.flush()
                if progress is not None:
                    progress(count, n)
    finally:
        try:
            if gen is not None:
                gen.close()  # an interrupted Dask run cancels its pending chunks here
            for idx, vals in be.late_results():
                collected.accept(idx, vals)
            collected.flush()
        finally:
            if own:
                be.close()


def _assemble(plan: SweepPlan, done: pd.DataFrame | None, new: pd.DataFrame) -> pd.DataFrame:
    """The sweep table: the plan's inputs with every point's metrics, in point order."""
    n = plan.n_points
    frames = [f for f in (done, new) if f is not None and len(f)]
    got = (pd.concat(frames, ignore_index=True) if frames else new).drop_duplicates(POINT)
    missing = n - int(got[POINT].isin(range(n)).sum())
    if missing:
        raise SweepError(f"{missing} points have no result (the backend lost them); rerun "
                         f"with resume")
    got = got.set_index(POINT).reindex(range(n))
    table = plan.table.copy()
    for m in plan.sweep.metrics:
        table[m] = got[m].to_numpy(dtype=np.float64)
    return table


__all__ = ["ProgressFn", "run_sweep"]
