"""Tabs the app shows after its own forecast tabs.

Each feature (analysis, exports, sweeps, actuals) contributes one entry: a label and
the dotted path of a function ``render(ctx: TabContext) -> None`` that draws into the
current Streamlit container. The app imports and calls them in this order.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..results import SimulationResult
from ..scenario import Scenario


@dataclass(frozen=True)
class TabContext:
    """What a tab gets: the scenario as adjusted in the sidebar and its current result."""

    scenario: Scenario
    paths: int
    seed: int
    result: SimulationResult


#: (tab label, "module.path:function") in display order.
TABS: list[tuple[str, str]] = [
    ("Export", "simulator.ui.exports:render"),
    ("Sweep", "simulator.ui.sweep:render"),
    ("Expectation gap & levers", "simulator.ui.analysis:render"),
    ("Sensitivity", "simulator.ui.analysis:render_sensitivity"),
    ("Actuals", "simulator.ui.actuals:render"),
    ("What is worth learning before the rollout", "simulator.ui.voi:render"),
    ("Gates", "simulator.ui.gates:render"),
]
