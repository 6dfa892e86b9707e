"""Where sweep points run: three interchangeable backends over one point evaluator.

* :class:`InProcess` (default): points one after another in this process; each point's
  simulation uses numba's threads.
* :class:`LocalDask`: a Dask ``LocalCluster`` of worker processes on 127.0.0.1, one
  thread and one numba thread each (``NUMBA_NUM_THREADS=1``), sharing numba's on-disk
  cache (``NUMBA_CACHE_DIR`` is passed through).
* :class:`DaskScheduler`: an existing Dask cluster by scheduler address.

Every backend evaluates a point with :func:`evaluate` on the same scenario, paths and
seed, and the engine's results do not depend on the thread count, so the three give
bit-identical tables.
"""

from __future__ import annotations

import math
import os
import uuid
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..scenario import Scenario
from ..simulation import simulate
from .errors import SweepError
from .spec import SweepPlan

#: One finished chunk: point indices and their metric values (rows x metrics).
ChunkResult = tuple[np.ndarray, np.ndarray]


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


__all__ = ["Backend", "ChunkResult", "DaskScheduler", "InProcess", "LocalDask", "evaluate",
           "make_backend", "run_chunk"]
