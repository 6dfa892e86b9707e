"""Every compiled entry point with a tiny call that compiles it (or loads it from the cache):
used by ``python -m simulator.warm``, the CLI's first-run notice and the app's first-run
progress bar, so all of them compile the same kernels in the same order.

On an empty cache with two or more cores, the kernels are compiled in two processes at
once (numba compiles on one thread): this one compiles the simulation kernel (the longest)
while a second Python process compiles the others into the same on-disk cache; this
process then only loads those. Each process compiles its own functions, so each writes
its own cache index files. If the second process cannot start or fails, this one compiles
what is missing itself, as before.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .engine.bands import bands_from_trajectories, default_qs
from .engine.layout import TRAJ, prepare
from .lens_estimate import ROWS_PER_COEFFICIENT, lens_median
from .results import percentiles
from .scenario import load_scenario
from .simulation import run_kernel_gates, sample_inputs

#: The scenario the tiny calls run (the shipped source case).
SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "seed_case.toml"
#: The step this process compiles while the second process compiles the others.
OWN_STEP = "simulation kernel"
#: Seconds to wait for the second process before compiling its kernels here instead.
WORKER_TIMEOUT_S = 600.0


def _compile_steps(scenario: Path) -> list[tuple[str, Callable[[], object]]]:
    """The compiled entry points, each with a tiny call that compiles (or loads) it with
    the argument types a real run passes. No step needs another's output, so any subset
    can run in another process."""
    sc = load_scenario(scenario)
    x, names = sample_inputs(sc, 16, 1)
    rng = np.random.default_rng(0)

    def kernel() -> None:
        run_kernel_gates(prepare(sc, x, names, sc.horizon), 1, store=True)

    def bands() -> None:  # the kernel's stored trajectories: float32 (len(TRAJ), H+1, N)
        traj = rng.random((len(TRAJ), sc.horizon + 1, 16)).astype(np.float32)
        bands_from_trajectories(traj, np.full(sc.horizon + 1, 100.0), default_qs())

    def lens() -> None:
        # enough lens paths for the regression estimate (the compiled part)
        n = ROWS_PER_COEFFICIENT * (len(names) + 2)
        xl, _ = sample_inputs(sc, n + 16, 1)
        npv = rng.standard_normal(n + 16)
        lens_median(npv[:n] + rng.standard_normal(n), xl, npv)

    return [(OWN_STEP, kernel),
            ("percentile bands", bands),
            ("percentiles", lambda: percentiles(rng.standard_normal(16), (10, 50, 90))),
            ("pilot-lens estimate", lens)]


def _start_worker(scenario: Path, names: list[str]) -> subprocess.Popen | None:
    """A second Python process compiling the steps ``names`` into this process's kernel
    cache (the environment, NUMBA_CACHE_DIR included, is passed on); None if it cannot
    start. It prints ``name<TAB>seconds`` as each step finishes."""
    # this very package by the same path (not resolved: numba files a kernel's cache
    # under its source file's path, so both processes must see the same one)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = (f"import sys; sys.path.insert(0, {root!r}); "
            "from simulator.kernel_compile import _worker_main; _worker_main()")
    if not sys.executable:  # an embedded interpreter: no Python to start
        return None
    try:
        return subprocess.Popen([sys.executable, "-c", code, str(scenario), *names],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                stdin=subprocess.DEVNULL, text=True, env=dict(os.environ),
                                creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))
    except (OSError, ValueError):
        return None


def _worker_seconds(proc: subprocess.Popen) -> dict[str, float]:
    """The compile seconds of each step the second process finished (none if it failed)."""
    try:
        out, _ = proc.communicate(timeout=WORKER_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return {}
    if proc.returncode != 0:
        return {}
    done: dict[str, float] = {}
    for line in out.splitlines():
        name, _, seconds = line.partition("\t")
        try:
            done[name] = float(seconds)
        except ValueError:
            continue
    return done


def _worker_main() -> None:
    """The second process: compile the named steps, printing each one's seconds."""
    scenario, names = Path(sys.argv[1]), set(sys.argv[2:])
    for name, step in _compile_steps(scenario):
        if name in names:
            t = time.perf_counter()
            step()
            print(f"{name}\t{time.perf_counter() - t:.3f}", flush=True)


def compile_kernels(progress: Callable[[int, int, str, float], None] | None = None,
                    scenario: Path = SCENARIO, parallel: bool | None = None) -> float:
    """Compile (or load from the cache) every kernel, calling
    ``progress(done, total, name, seconds)`` after each; return the seconds it took.

    ``parallel`` (default: when the cache lacks a kernel and there are two cores or more)
    compiles all but the simulation kernel in a second process meanwhile; ``seconds`` is
    then that process's compile time for those steps.
    """
    from .kernel_cache import cores, kernels_cached

    t0 = time.perf_counter()
    if parallel is None:
        parallel = cores() >= 2 and not kernels_cached()
    steps = _compile_steps(scenario)
    others = [name for name, _ in steps if name != OWN_STEP]
    worker = _start_worker(scenario, others) if parallel else None
    elsewhere: dict[str, float] = {}
    for k, (name, step) in enumerate(steps, 1):
        if worker is not None and name != OWN_STEP:
            elsewhere, worker = _worker_seconds(worker), None
        t = time.perf_counter()
        step()  # loaded from the cache if the second process compiled it
        seconds = time.perf_counter() - t
        if progress is not None:
            progress(k, len(steps), name, elsewhere.get(name, seconds))
    return time.perf_counter() - t0


__all__ = ["SCENARIO", "compile_kernels"]
