"""Monte Carlo business-case simulator for enterprise AI rollouts.

>>> from simulator import load_scenario, simulate
>>> res = simulate(load_scenario("scenarios/seed_case.toml"), paths=20_000, seed=7)
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
