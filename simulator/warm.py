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
from pathlib import Path

from .kernel_compile import SCENARIO, compile_kernels

ROOT = Path(__file__).resolve().parents[1]
#: What ``app.py`` imports (the page around the tabs and every registered tab).
APP_MODULES = ("streamlit", "simulator.ui.page", "simulator.ui.tabs", "simulator.ui.timing")


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


def announce_stream_compile(stream=None) -> bool:
    """Before the first run too large to keep its trajectories: if its streaming-band
    kernels are not compiled yet, say so on ``stream`` (stderr) and return True (numba
    then compiles them as the run starts)."""
    from .kernel_cache import STREAM_COMPILE_SECONDS, stream_kernels_cached

    if stream_kernels_cached():
        return False
    stream = sys.stderr if stream is None else stream
    print(f"Compiling the streaming-band kernels for runs this large, first time only, "
          f"about {STREAM_COMPILE_SECONDS} s", file=stream, flush=True)
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
    for adoption in ("active_share", "active_users"):  # the tab's two adoption views
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
