"""Decision analytics on top of :func:`simulator.simulate`, all on common random numbers.

>>> from simulator import load_scenario
>>> from simulator.analysis import expectation_gap, lever_analysis, sensitivity, breakeven
>>> sc = load_scenario("scenarios/seed_case.toml")
>>> gap = expectation_gap(sc, paths=5_000)          # .summary, .attribution, .combinations
>>> lev = lever_analysis(sc, budget=250_000, criterion="p50")  # .combinations, .marginal, .best
>>> sens = sensitivity(sc)                           # .spearman, .tornado, .spider
>>> be = breakeven(sc, "economics.minutes_saved_per_task", "p50:0")  # one-row DataFrame

See docs/analysis.md for the definitions and formulas.
"""

from .breakeven import MET_EVERYWHERE, NOT_REACHABLE, SOLVED, Target, breakeven, search_range
from .gap import MODE_LABELS, MODES, GapAnalysis, expectation_gap, mode_switches
from .levers import (
    CRITERIA,
    LeverAnalysis,
    best_portfolio,
    lever_analysis,
    lever_costs,
    rebudget,
    recovery_path,
)
from .sensitivity import (
    SPIDER_QUANTILES,
    SensitivityAnalysis,
    rank_correlations,
    sensitivity,
    spider,
    tornado,
)
from .variants import LEVER_LABELS, AnalysisError, Variants, used_inputs

__all__ = [
    "CRITERIA",
    "LEVER_LABELS",
    "MET_EVERYWHERE",
    "MODES",
    "MODE_LABELS",
    "NOT_REACHABLE",
    "SOLVED",
    "SPIDER_QUANTILES",
    "AnalysisError",
    "GapAnalysis",
    "LeverAnalysis",
    "SensitivityAnalysis",
    "Target",
    "Variants",
    "best_portfolio",
    "breakeven",
    "expectation_gap",
    "lever_analysis",
    "lever_costs",
    "mode_switches",
    "rank_correlations",
    "rebudget",
    "recovery_path",
    "search_range",
    "sensitivity",
    "spider",
    "tornado",
    "used_inputs",
]
