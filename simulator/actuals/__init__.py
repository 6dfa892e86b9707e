"""Actuals: update the forecast with what a live rollout has shown, and diagnose it.

>>> from simulator import load_scenario
>>> from simulator.actuals import condition, diagnose, lever_gains, read_actuals
>>> from simulator.scenario import LEVERS
>>> sc = load_scenario("scenarios/seed_case.toml")
>>> actuals = read_actuals("examples/actuals_seed_case.csv", sc.horizon)
>>> post = condition(sc, actuals, paths=200)        # the posterior: SMC particles
>>> bool(post.ess > 0 and abs(post.weights.sum() - 1) < 1e-9)
True
>>> d = diagnose(post)                              # .modes, .inputs, .sentence
>>> len(d.modes), d.sentence.endswith(".")
(4, True)
>>> len(lever_gains(post)) == len(LEVERS)           # what each lever is worth now
True

Modules: :mod:`.reader` (reads the CSV and validates it), :mod:`.likelihood`
(observation models), :mod:`.conflict` (prior-data conflict check), :mod:`.smc` (the
tempered sequential Monte Carlo engine), :mod:`.keyed` (paths re-run on their own luck),
:mod:`.condition` (the :class:`Posterior`), :mod:`.verdict` (diagnosis and levers read
together), :mod:`.diagnose` (failure modes and levers on the posterior),
:mod:`.synthetic` (actuals from a simulated path),
:mod:`.weighted` (weighted quantiles, means and their errors), :mod:`.calibration_study`
(false-alarm and detection rates of the diagnosis; ``python -m`` prints the docs table).
"""

from .condition import (
    MIN_ESS,
    ObservationModel,
    Posterior,
    condition,
    log_likelihood,
    remaining_npv,
)
from .diagnose import MODES, Diagnosis, adoption_index, diagnose
from .gains import lever_gains, lever_sentence
from .reader import (
    OBSERVED,
    Actuals,
    ActualsError,
    empty_actuals,
    parse_actuals,
    read_actuals,
    reads_actuals,
)
from .synthetic import synthetic_actuals, truth_at_medians

__all__ = [
    "MIN_ESS", "MODES", "OBSERVED", "Actuals", "ActualsError", "Diagnosis", "ObservationModel",
    "Posterior", "adoption_index", "condition", "diagnose", "empty_actuals", "lever_gains",
    "lever_sentence", "log_likelihood", "parse_actuals", "read_actuals", "reads_actuals",
    "remaining_npv", "synthetic_actuals", "truth_at_medians",
]
