"""Compile (or load from cache) every numba kernel the app uses, before anyone is waiting.

``make run`` and ``make serve`` call ``python -m simulator.warm`` first: after a fresh
install this compiles the kernels into ``NUMBA_CACHE_DIR`` once (tens of seconds on two
cores), so the server process only loads them and the first page renders in seconds.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "seed_case.toml"


def warm(scenario: Path = SCENARIO, paths: int = 64) -> float:
    """Run a tiny simulation through each compiled code path; return the seconds it took."""
    from .scenario import load_scenario
    from .simulation import sample_inputs, simulate, simulate_inputs

    t0 = time.perf_counter()
    sc = load_scenario(scenario)
    simulate(sc, paths=paths, seed=1)  # kernel with trajectories, pilot lens, bands
    x, names = sample_inputs(sc, paths, 1)
    simulate_inputs(sc, x, names, 1, bands=False, pilot_lens=False)  # per-path results only
    return time.perf_counter() - t0


def main() -> int:
    seconds = warm()
    print(f"simulation kernels ready ({seconds:.1f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
