"""What the app's tabs are and what they get.

A :class:`Tab` is registered by object (its functions, not an import path) in
:data:`simulator.ui.tabs.TABS`. Before the run a tab may ``edit`` the draft scenario (the
Rollout and Assumptions inputs, the Compare choice); after it, ``render`` draws from the
scenario as adjusted and its result (:class:`TabContext`).
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..results import SimulationResult
from ..scenario import Scenario


@dataclass(frozen=True)
class TabContext:
    """What a tab gets: the scenario as adjusted in the sidebar and its current result."""

    scenario: Scenario
    paths: int
    seed: int
    result: SimulationResult
    #: Where the shipped scenarios live and their file names (the Compare tab reads them).
    scenarios_dir: Path | None = None
    files: tuple[str, ...] = ()


@dataclass
class Draft:
    """The page before its run: the scenario as loaded and as the editing tabs shape it."""

    state: MutableMapping[str, Any]
    files: list[str]
    scenarios_dir: Path
    loaded: Scenario | None  # the file as read (None for an upload not made yet)
    base: Scenario  # the Rollout tab's template
    token: str  # widgets' key prefix for this scenario
    design: Any = None  # the Rollout tab's design (``rollout.Design``), set by its edit
    #: Containers above the tabs, filled after the run: problems, then the headlines.
    boxes: tuple[Any, Any] = (None, None)


@dataclass(frozen=True)
class Tab:
    """One tab of the app: its label and what it draws before and after the run."""

    label: str
    render: Callable[[TabContext], None] | None = None
    #: ``edit(draft, shown)`` draws inputs before the run (``shown``: the tab is open).
    edit: Callable[[Draft, bool], None] | None = None
    #: Order of the edit phase (the Rollout design comes before the Assumptions inputs).
    edit_order: int = 0
    #: Drawn only while open (the Forecast tab, shown first, is always drawn).
    lazy: bool = True


__all__ = ["Draft", "Tab", "TabContext"]
