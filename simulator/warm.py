"""Compile (or load from cache) every numba kernel the app uses, before anyone is waiting.

``python -m simulator.warm`` compiles the kernels into ``NUMBA_CACHE_DIR`` once after a fresh
install (tens of seconds on two cores), so a server process only loads them.
``python -m simulator.warm --serve streamlit run app.py [options]`` (what ``make run`` does)
then also
prepares the server process itself before it listens: the app's modules imported, the kernels
loaded, and the default view's result and chart specs computed into the shared result cache,
and then runs that Streamlit command in the same process. The first visitors after a
start therefore share a finished result instead of paying for the imports, the kernel load
and the first simulation (and waiting for each other on them).
"""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "seed_case.toml"
#: What ``app.py`` imports (the registered tabs are imported when first opened).
APP_MODULES = ("streamlit", "simulator.ui.access", "simulator.ui.controls", "simulator.ui.links",
               "simulator.ui.metrics", "simulator.ui.rollout", "simulator.ui.widgets",
               "simulator.ui.registry", "simulator.ui.timing")


def _compile_steps(scenario: Path) -> list[tuple[str, Callable[[], object]]]:
    """The compiled entry points, each with a tiny call that compiles (or loads) it."""
    import numpy as np

    from .engine.bands import bands_from_trajectories, default_qs
    from .engine.layout import prepare
    from .lens_estimate import ROWS_PER_COEFFICIENT, lens_median
    from .results import percentiles
    from .scenario import load_scenario
    from .simulation import run_kernel_gates, sample_inputs

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


def announce_compile(stream=None) -> bool:
    """If this process would compile the kernels, say so on ``stream`` (stderr), compile
    them with a line of progress each, and return True; else do nothing (False)."""
    from .kernel_cache import compile_notice, kernels_cached

    if not SCENARIO.is_file() or kernels_cached():  # (an install without the templates
        return False  # compiles on first use, silently, as before)
    stream = sys.stderr if stream is None else stream
    print(compile_notice(), file=stream, flush=True)

    def line(k: int, n: int, name: str, seconds: float) -> None:
        print(f"  [{k}/{n}] {name} ({seconds:.1f} s)", file=stream, flush=True)

    seconds = compile_kernels(line)
    print(f"  kernels compiled and cached ({seconds:.1f} s)", file=stream, flush=True)
    return True


def warm(scenario: Path = SCENARIO, paths: int = 64) -> float:
    """Run a tiny simulation through each compiled code path; return the seconds it took."""
    from .scenario import load_scenario
    from .simulation import sample_inputs, simulate, simulate_inputs

    t0 = time.perf_counter()
    compile_kernels(scenario=scenario)
    sc = load_scenario(scenario)
    simulate(sc, paths=paths, seed=1)  # kernel with trajectories, pilot lens, bands
    x, names = sample_inputs(sc, paths, 1)
    simulate_inputs(sc, x, names, 1, bands=False, pilot_lens=False)  # per-path results only
    return time.perf_counter() - t0


def prime() -> float:
    """Prepare this process as the app's server: import the app's modules, load the kernels
    and put the default view (the default scenario, paths and seed, as the app runs it) with
    its forecast chart specs into the shared cache. Returns the seconds it took."""
    t0 = time.perf_counter()
    # runner first: it picks numba's thread-safe threading layer before any kernel launches
    from .ui import runner, session

    warm()
    sc = session.base_scenario({}, ROOT / "scenarios")
    res = runner.run(sc, session.DEFAULT_PATHS, session.DEFAULT_SEED)
    for adoption in ("active_rate", "active_users"):  # the tab's two adoption views
        runner.forecast_specs(res, adoption, sc.scenario.currency)
    for name in APP_MODULES:
        importlib.import_module(name)

    return time.perf_counter() - t0


def serve(command: list[str]) -> int:
    """:func:`prime` this process, then run the Streamlit ``command`` in it (same result
    cache): ``streamlit run app.py [options]``; bare options mean ``streamlit run app.py``
    with those options."""
    if command[:2] != ["streamlit", "run"]:
        command = ["streamlit", "run", str(ROOT / "app.py"), *command]
    seconds = prime()
    print(f"app server ready to serve ({seconds:.1f} s)", file=sys.stderr)
    from streamlit.web import cli

    sys.argv = list(command)
    return cli.main(prog_name="streamlit")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--serve"]:
        return serve(args[1:])
    seconds = warm()
    print(f"simulation kernels ready ({seconds:.1f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
