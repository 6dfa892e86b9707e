"""Monte Carlo business-case simulator for enterprise AI rollouts.

>>> from simulator import load_scenario, simulate
>>> sc = load_scenario("scenarios/seed_case.toml")
>>> res = simulate(sc, paths=200, seed=7)          # 20_000 paths for real use
>>> res.n_paths, len(res.paths)                    # one row per simulated path
(200, 200)
>>> s = res.summary                                # headline numbers with standard errors
>>> s["npv_p10"] <= s["npv_p50"] <= s["npv_p90"] and 0 <= s["prob_npv_positive"] <= 1
True
>>> s["expectation_gap"] > 0                       # the signed-off pilot case sits above production
True
>>> sorted(set(res.bands["metric"]))[:3]           # monthly percentile bands, tidy
['accuracy', 'active_rate', 'active_users']
"""

import os

# numba's parallel kernels run on OpenMP here, whose threads by default spin at each
# barrier: that holds a kernel up whenever other processes (or other app sessions) keep
# a core busy. On the shared 2-core machine a 10,000-path run took a median 350-530 ms
# with spinning threads and 135-230 ms with sleeping ones, and 81-85 ms either way when
# the machine was quiet (benchmarks/RESULTS.md). OpenMP reads this when it is first
# loaded (at the first parallel launch); a value set by the user is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# One kernel cache for every entry point (CLI, API, app, make run, make test): a per-user
# directory unless NUMBA_CACHE_DIR is set; before any module that defines a kernel loads.
from .kernel_cache import configure as _configure_kernel_cache  # noqa: E402

_configure_kernel_cache()

from .results import SimulationResult, Summary  # noqa: E402
from .scenario import (  # noqa: E402
    Scenario,
    ScenarioError,
    load_scenario,
    loads_scenario,
    parse_scenario,
)
from .simulation import simulate  # noqa: E402

__all__ = [
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "Summary",
    "load_scenario",
    "loads_scenario",
    "parse_scenario",
    "simulate",
]
__version__ = "0.1.0"
