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

from .results import SimulationResult, Summary
from .scenario import Scenario, ScenarioError, load_scenario, loads_scenario, parse_scenario
from .simulation import simulate

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
