"""Every compiled entry point with a tiny call that compiles it (or loads it from the cache):
used by ``python -m simulator.warm`` and by the app's first-run progress bar, so both
compile the same kernels in the same order."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .engine.bands import bands_from_trajectories, default_qs
from .engine.layout import prepare
from .lens_estimate import ROWS_PER_COEFFICIENT, lens_median
from .results import percentiles
from .scenario import load_scenario
from .simulation import run_kernel_gates, sample_inputs

#: The scenario the tiny calls run (the shipped source case).
SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "seed_case.toml"


def _compile_steps(scenario: Path) -> list[tuple[str, Callable[[], object]]]:
    """The compiled entry points, each with a tiny call that compiles (or loads) it."""
    sc = load_scenario(scenario)
    x, names = sample_inputs(sc, 16, 1)
    m = prepare(sc, x, names, sc.horizon)
    held: dict[str, np.ndarray] = {}

    def kernel() -> None:
        out, held["traj"], _ = run_kernel_gates(m, 1, store=True)
        held["npv"] = out[:, 0]

    def lens() -> None:
        # enough lens paths for the regression estimate (the compiled part)
        n = ROWS_PER_COEFFICIENT * (len(names) + 2)
        xl, _ = sample_inputs(sc, n + 16, 1)
        rng = np.random.default_rng(0)
        npv = rng.standard_normal(n + 16)
        lens_median(npv[:n] + rng.standard_normal(n), xl, npv)

    return [("simulation kernel", kernel),
            ("percentile bands", lambda: bands_from_trajectories(
                held["traj"], m.registered.astype(np.float64), default_qs())),
            ("percentiles", lambda: percentiles(held["npv"], (10, 50, 90))),
            ("pilot-lens estimate", lens)]


def compile_kernels(progress: Callable[[int, int, str, float], None] | None = None,
                    scenario: Path = SCENARIO) -> float:
    """Compile (or load from the cache) every kernel, one at a time, calling
    ``progress(done, total, name, seconds)`` after each; return the seconds it took."""
    t0 = time.perf_counter()
    steps = _compile_steps(scenario)
    for k, (name, step) in enumerate(steps, 1):
        t = time.perf_counter()
        step()
        if progress is not None:
            progress(k, len(steps), name, time.perf_counter() - t)
    return time.perf_counter() - t0


__all__ = ["SCENARIO", "compile_kernels"]
