"""What is worth learning before the rollout: value of information and variance shares.

>>> from simulator import load_scenario
>>> from simulator.voi import value_of_information
>>> v = value_of_information(load_scenario("scenarios/seed_case.toml"), paths=5_000)
>>> v.evpi, v.evppi, v.evsi, v.sobol, v.luck_share, v.best_decision

Modules: :mod:`.decisions` (the options compared on common random numbers),
:mod:`.regression` (the regression EVPPI estimator and its bootstrap), :mod:`.groups`
(named input groups), :mod:`.studies` (pilot extensions for EVSI), :mod:`.sobol`
(SALib indices), :mod:`.luck` (the luck share), :mod:`.analysis` (all of it together),
:mod:`.slide` (the deck slide). See docs/analysis.md, section 5.
"""

from .analysis import DEFAULT_STUDIES, VoiAnalysis, value_of_information
from .decisions import AS_WRITTEN, NO_GO, Decisions, build_decisions
from .groups import GROUPS, group_of
from .luck import LuckShare, luck_share
from .regression import Estimate, evppi
from .sobol import sobol_indices
from .studies import Study, parse_study

__all__ = [
    "AS_WRITTEN", "DEFAULT_STUDIES", "GROUPS", "NO_GO", "Decisions", "Estimate", "LuckShare",
    "Study", "VoiAnalysis", "build_decisions", "evppi", "group_of", "luck_share",
    "parse_study", "sobol_indices", "value_of_information",
]
