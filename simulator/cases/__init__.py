"""Public rollouts the model is checked against: scenarios/cases/ and their back-tests.

:mod:`.registry` lists the cases (scenario file, early and later published figures, the
observation settings); :mod:`.backtest` conditions each case on its early figures and
checks whether the later ones fall in the forecast's P10-P90 (docs/cases.md). Run
``python -m simulator.cases.backtest``.
"""

from .registry import CASES, CASES_DIR, DEFINITIONS, REFERENCE_CLASSES, Case, Figure

__all__ = ["CASES", "CASES_DIR", "DEFINITIONS", "REFERENCE_CLASSES", "Case", "Figure"]
