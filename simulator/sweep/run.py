"""Running a sweep: one executor, three interchangeable backends, resumable output.

The executor hands chunks of points to a backend and collects one row of metrics per
point. Backends:

* :class:`InProcess` (default): points one after another in this process; each point's
  simulation uses numba's threads.
* :class:`LocalDask`: a Dask ``LocalCluster`` of worker processes on 127.0.0.1, one
  thread and one numba thread each (``NUMBA_NUM_THREADS=1``), sharing numba's on-disk
  cache (``NUMBA_CACHE_DIR`` is passed through).
* :class:`DaskScheduler`: an existing Dask cluster by scheduler address.

Every backend evaluates a point with the same function on the same scenario, paths and
seed, and the engine's results do not depend on the thread count, so the three give
bit-identical tables.

With an output file, finished points are written as they arrive to part files in
``<out>.parts/`` (each written atomically, keyed by point index); an interruption
(Ctrl-C) keeps them, and ``resume=True`` runs only the missing points. The final table
is assembled from the parts, written atomically, and the parts removed.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..io import atomic_write_text, atomic_write_with
from ..scenario import Scenario, ScenarioError
from ..simulation import simulate
from .spec import POINT, Sweep, SweepPlan

#: Called after each batch of finished points with (points done, points in the sweep).
ProgressFn = Callable[[int, int], None]
#: One finished chunk: point indices and their metric values (rows x metrics).
ChunkResult = tuple[np.ndarray, np.ndarray]


class SweepError(ScenarioError):
    """A sweep cannot run as asked (output file, partial results, backend)."""

    def __init__(self, message: str):
        super().__init__([message], "sweep")


# --------------------------------------------------------------------------- one point


def evaluate(sc: Scenario, paths: int, seed: int, horizon: int | None,
             metrics: tuple[str, ...], pilot_lens: bool) -> np.ndarray:
    """Simulate one point and return its metrics as float64 (None -> NaN).

    Monthly bands are never needed for summary metrics, and the pilot-lens run only for
    the lens metrics, so both are skipped where possible (same numbers, less work).
    """
    res = simulate(sc, paths=paths, seed=seed, horizon=horizon, bands=False,
                   pilot_lens=pilot_lens)
    s = res.summary
    return np.array([math.nan if s[m] is None else float(s[m]) for m in metrics],
                    dtype=np.float64)


def run_chunk(base: Scenario, items: list[tuple[int, dict[str, Any]]], paths: int,
              seed: int, horizon: int | None, metrics: tuple[str, ...], pilot_lens: bool,
              numba_threads: int | None = None) -> ChunkResult:
    """Evaluate a chunk of points (index, changes to ``base``): the task a worker runs."""
    if numba_threads is not None:
        import numba

        numba.set_num_threads(min(numba_threads, numba.config.NUMBA_NUM_THREADS))
    idx = np.array([i for i, _ in items], dtype=np.int64)
    vals = np.empty((len(items), len(metrics)), dtype=np.float64)
    for r, (_, changes) in enumerate(items):
        vals[r] = evaluate(base.with_values(changes), paths, seed, horizon, metrics,
                           pilot_lens)
    return idx, vals


# --------------------------------------------------------------------------- backends


class Backend:
    """Where points run. ``run`` yields finished chunks in any order; ``workers`` sizes
    chunks. Use as a context manager (starts and stops clusters)."""

    name = "backend"
    workers = 1

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Release what the backend started (nothing by default)."""

    def run(self, plan: SweepPlan, chunks: list[list[int]]) -> Iterator[ChunkResult]:
        raise NotImplementedError

    def late_results(self) -> list[ChunkResult]:
        """Chunks that finished while an interrupted run was shutting down."""
        return []

    def default_chunk(self, n: int) -> int:
        """Points per chunk: ~10 chunks per worker, at most 100 points each."""
        return max(1, min(100, math.ceil(n / (10 * self.workers))))


class InProcess(Backend):
    """Run points in this process, one at a time (numba's threads work inside each)."""

    name = "in-process"

    def default_chunk(self, n: int) -> int:
        return 1  # per-point progress; the executor batches writes itself

    def run(self, plan: SweepPlan, chunks: list[list[int]]) -> Iterator[ChunkResult]:
        sw = plan.sweep
        for chunk in chunks:
            vals = np.empty((len(chunk), len(sw.metrics)), dtype=np.float64)
            for r, i in enumerate(chunk):
                vals[r] = evaluate(plan.scenarios[i], sw.paths, sw.seed, sw.horizon,
                                   sw.metrics, sw.needs_pilot_lens)
            yield np.asarray(chunk, dtype=np.int64), vals


class _DaskBackend(Backend):
    """Shared submit / collect / cancel logic for the Dask backends."""

    numba_threads: int | None = None

    def __init__(self):
        self.client = None
        self._late: list[ChunkResult] = []

    def _connect(self):
        raise NotImplementedError

    def __enter__(self) -> _DaskBackend:
        self._connect()
        return self

    def run(self, plan: SweepPlan, chunks: list[list[int]]) -> Iterator[ChunkResult]:
        from distributed import as_completed

        if self.client is None:
            self._connect()
        sw = plan.sweep
        # hash=False: a fresh key per run, so releasing an earlier run's copy of the same
        # scenario cannot drop this one ("lost dependencies").
        base = self.client.scatter(sw.scenario, broadcast=True, hash=False)
        futures = [self.client.submit(
            run_chunk, base, [(i, plan.changes[i]) for i in chunk], sw.paths, sw.seed,
            sw.horizon, sw.metrics, sw.needs_pilot_lens, self.numba_threads,
            pure=False, key=f"sweep-chunk-{uuid.uuid4().hex}") for chunk in chunks]
        pending = set(futures)
        try:
            for fut in as_completed(futures):
                pending.discard(fut)
                yield fut.result()
        finally:
            if pending:
                # Interrupted: hand over chunks that finished meanwhile, drop the rest.
                done = [f for f in pending if f.status == "finished"]
                self.client.cancel([f for f in pending if f.status != "finished"])
                for f in done:
                    try:
                        self._late.append(f.result(timeout=5))
                    except Exception:  # noqa: BLE001 - best effort on the way out
                        pass

    def late_results(self) -> list[ChunkResult]:
        """Chunks that finished while an interrupted run was shutting down."""
        out, self._late = self._late, []
        return out


class LocalDask(_DaskBackend):
    """A Dask LocalCluster of ``workers`` processes on 127.0.0.1 (no dashboard), one
    thread and one numba thread per worker, sharing this machine's numba cache."""

    name = "local-dask"

    def __init__(self, workers: int = 2):
        super().__init__()
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise SweepError(f"workers: {workers!r} must be a whole number >= 1")
        self.workers = workers
        self.numba_threads = 1
        self.cluster = None

    def _connect(self):
        import logging

        from distributed import Client, LocalCluster

        env = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
        if os.environ.get("NUMBA_CACHE_DIR"):
            env["NUMBA_CACHE_DIR"] = os.environ["NUMBA_CACHE_DIR"]
        self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                    processes=True, host="127.0.0.1",
                                    dashboard_address=None, env=env,
                                    silence_logs=logging.ERROR)
        self.client = Client(self.cluster)

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None


class DaskScheduler(_DaskBackend):
    """An existing Dask cluster, by scheduler address (``tcp://host:8786``). Its workers
    need this package installed; give them ``NUMBA_NUM_THREADS`` = their cores / threads
    to avoid oversubscription."""

    name = "dask-scheduler"

    def __init__(self, address: str, timeout: float = 30.0):
        super().__init__()
        self.address = address
        self.timeout = timeout

    def _connect(self):
        from distributed import Client

        try:
            self.client = Client(self.address, timeout=self.timeout)
        except (OSError, TimeoutError, ValueError) as exc:
            raise SweepError(f"scheduler {self.address}: cannot connect ({exc})") from None
        n = sum(w.get("nthreads", 1) for w in
                self.client.scheduler_info().get("workers", {}).values())
        self.workers = max(1, n)

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None


def make_backend(workers: int | None = None, scheduler: str | None = None) -> Backend:
    """The backend the CLI options ask for: --scheduler, --workers, or in-process."""
    if workers is not None and scheduler is not None:
        raise SweepError("give --workers (a local cluster) or --scheduler (an existing "
                         "one), not both")
    if scheduler is not None:
        return DaskScheduler(scheduler)
    if workers is not None:
        return LocalDask(workers)
    return InProcess()


# --------------------------------------------------------------------------- output files


def parts_dir(out: str | Path) -> Path:
    """Where finished points of a run writing ``out`` are kept until it completes."""
    p = Path(out)
    return p.with_name(p.name + ".parts")


def _out_format(out: Path) -> str:
    suffix = out.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    raise SweepError(f"--out {out}: unknown format {suffix or '(no suffix)'!r} (allowed: .csv, "
                     f".parquet)")


def write_table(df: pd.DataFrame, out: str | Path) -> None:
    """Write a sweep table to CSV or Parquet (by suffix), atomically."""
    out = Path(out)
    if _out_format(out) == "csv":
        atomic_write_with(out, lambda tmp: df.to_csv(tmp, index=False))
    else:
        atomic_write_with(out, lambda tmp: df.to_parquet(tmp, index=False))


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a sweep table written by :func:`write_table` (floats round-trip exactly)."""
    path = Path(path)
    if _out_format(path) == "csv":
        # pandas >= 3 parses floats round-trip by default (and deprecates the option).
        kw = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision":
                                                                "round_trip"}
        return pd.read_csv(path, **kw)
    return pd.read_parquet(path)


def check_output(out: str | Path, plan: SweepPlan, resume: bool) -> None:
    """Check an output file before a run: a known suffix, and partial results of an
    earlier run only with ``resume`` and only if they belong to this sweep."""
    out = Path(out)
    _out_format(out)
    d = parts_dir(out)
    if not d.exists():
        return
    if not resume:
        raise SweepError(f"{d}: partial results of an interrupted sweep exist; pass "
                         f"--resume (resume=True) to finish them, or delete the folder to "
                         f"start over")
    try:
        old = json.loads((d / "manifest.json").read_text(encoding="utf-8")).get("fingerprint")
    except (OSError, ValueError):
        old = None
    if old != plan.fingerprint():
        raise SweepError(f"{d}: the partial results belong to a different sweep (scenario, "
                         f"inputs, paths, seed or metrics changed); delete the folder or "
                         f"restore the original definition")


class _Parts:
    """Append-only store of finished points: one atomically written Parquet file per
    flush in ``<out>.parts/``, plus a manifest naming the sweep they belong to."""

    def __init__(self, out: Path, plan: SweepPlan, resume: bool):
        self.dir = parts_dir(out)
        self.metrics = list(plan.sweep.metrics)
        check_output(out, plan, resume)
        if not self.dir.exists():
            self.dir.mkdir(parents=True)
            atomic_write_text(self.dir / "manifest.json", json.dumps(
                {"fingerprint": plan.fingerprint(), "points": plan.n_points}))

    def load(self) -> pd.DataFrame:
        """Finished points so far (point, metrics), one row per point."""
        frames = [pd.read_parquet(f) for f in sorted(self.dir.glob("part-*.parquet"))]
        if not frames:
            return pd.DataFrame({POINT: pd.Series(dtype=np.int64),
                                 **{m: pd.Series(dtype=np.float64) for m in self.metrics}})
        df = pd.concat(frames, ignore_index=True)
        return df.drop_duplicates(POINT).sort_values(POINT, ignore_index=True)

    def write(self, idx: np.ndarray, vals: np.ndarray) -> None:
        if idx.size == 0:
            return
        df = pd.DataFrame(vals, columns=self.metrics)
        df.insert(0, POINT, idx)
        name = f"part-{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.parquet"
        atomic_write_with(self.dir / name, lambda tmp: df.to_parquet(tmp, index=False))

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


# --------------------------------------------------------------------------- executor


def _chunks(points: Iterable[int], size: int) -> list[list[int]]:
    pts = list(points)
    return [pts[i:i + size] for i in range(0, len(pts), size)]


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
    sw = plan.sweep
    n = plan.n_points
    parts = None
    if out is not None:
        out = Path(out)
        parts = _Parts(out, plan, resume)
    done_df = parts.load() if parts is not None else None
    finished = set(done_df[POINT].tolist()) if done_df is not None else set()
    todo = [i for i in range(n) if i not in finished]
    own = backend is None
    be = InProcess() if backend is None else backend
    size = chunk_size or be.default_chunk(len(todo))
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise SweepError(f"chunk size: {size!r} must be a whole number >= 1")

    idx_parts: list[np.ndarray] = []
    val_parts: list[np.ndarray] = []
    buf_i: list[np.ndarray] = []
    buf_v: list[np.ndarray] = []
    buffered = 0
    last_flush = time.monotonic()

    def flush() -> None:
        nonlocal buffered, last_flush
        if parts is not None and buf_i:
            parts.write(np.concatenate(buf_i), np.concatenate(buf_v))
        buf_i.clear()
        buf_v.clear()
        buffered = 0
        last_flush = time.monotonic()

    def accept(idx: np.ndarray, vals: np.ndarray) -> None:
        nonlocal buffered
        idx_parts.append(idx)
        val_parts.append(vals)
        buf_i.append(idx)
        buf_v.append(vals)
        buffered += idx.size

    count = len(finished)
    gen = None
    try:
        if progress is not None:
            progress(count, n)
        if todo:
            if own:
                be.__enter__()
            gen = be.run(plan, _chunks(todo, size))
            for idx, vals in gen:
                accept(idx, vals)
                count += idx.size
                if buffered >= flush_points or time.monotonic() - last_flush >= flush_seconds:
                    flush()
                if progress is not None:
                    progress(count, n)
    finally:
        try:
            if gen is not None:
                gen.close()  # an interrupted Dask run cancels its pending chunks here
            for idx, vals in be.late_results():
                accept(idx, vals)
            flush()
        finally:
            if own:
                be.close()

    new = pd.DataFrame(np.concatenate(val_parts) if val_parts else
                       np.empty((0, len(sw.metrics))), columns=list(sw.metrics))
    new.insert(0, POINT, np.concatenate(idx_parts) if idx_parts else
               np.empty(0, dtype=np.int64))
    frames = [f for f in (done_df, new) if f is not None and len(f)]
    got = (pd.concat(frames, ignore_index=True) if frames else new).drop_duplicates(POINT)
    missing = n - int(got[POINT].isin(range(n)).sum())
    if missing:
        raise SweepError(f"{missing} points have no result (the backend lost them); rerun "
                         f"with resume")
    got = got.set_index(POINT).reindex(range(n))
    table = plan.table.copy()
    for m in sw.metrics:
        table[m] = got[m].to_numpy(dtype=np.float64)
    if out is not None:
        write_table(table, out)
        parts.remove()
    return table


__all__ = ["Backend", "DaskScheduler", "InProcess", "LocalDask", "ProgressFn", "SweepError",
           "check_output", "evaluate", "make_backend", "parts_dir", "read_table", "run_chunk",
           "run_sweep", "write_table"]
