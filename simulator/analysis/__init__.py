"""Decision analytics on top of :func:`simulator.simulate`, all on common random numbers.

>>> from simulator import load_scenario
>>> from simulator.analysis import MODES, breakeven, expectation_gap, lever_analysis, sensitivity
>>> from simulator.scenario import combination_count
>>> sc = load_scenario("scenarios/seed_case.toml")
>>> gap = expectation_gap(sc, paths=200, bootstrap=0)  # .summary, .attribution, .combinations
>>> shapley = gap.attribution.set_index("mode").loc[list(MODES), "shapley"]
>>> bool(gap.gap > 0 and abs(shapley.sum() - gap.gap) <= 1e-9 * gap.gap)  # Shapley adds up
True
>>> lev = lever_analysis(sc, paths=200, budget=250_000)    # .combinations, .marginal, .best
>>> len(lev.combinations) == combination_count(), len(lev.best)  # every portfolio, one best
(True, 1)
>>> sens = sensitivity(sc, paths=200)                      # .spearman, .tornado, .spider
>>> bool(sens.spearman["rho"].abs().le(1).all() and sens.tornado["swing"].ge(0).all())
True
>>> be = breakeven(sc, "economics.minutes_saved_per_task", "p50:0", paths=200)  # one row
>>> be.loc[0, "status"]
'solved'

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
