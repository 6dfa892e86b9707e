"""Every tab of the app, registered by object, in display order.

The app's own tabs (Forecast, Assumptions, Rollout, Compare) are modules here; each
feature tab (analysis, exports, sweeps, actuals, value of information, gates) contributes
one :class:`~simulator.ui.registry.Tab` holding its ``render(ctx)``.
"""

from __future__ import annotations

import streamlit as st

from .. import actuals, analysis, exports, gates, plain, sweep, voi
from ..registry import Tab, TabContext
from . import assumptions, compare, forecast, rollout

TABS: tuple[Tab, ...] = (
    forecast.TAB,
    assumptions.TAB,
    rollout.TAB,
    compare.TAB,
    Tab("Export", render=exports.render),
    Tab("Sweep", render=sweep.render),
    Tab("Expectation gap & levers", render=analysis.render),
    Tab("Sensitivity", render=analysis.render_sensitivity),
    Tab("Actuals", render=actuals.render),
    Tab("What is worth learning before the rollout", render=voi.render),
    Tab("Gates", render=gates.render),
)


def by_label(label: str) -> Tab:
    """The registered tab with this label (``KeyError`` naming it if none)."""
    for tab in TABS:
        if tab.label == label:
            return tab
    raise KeyError(f"{label!r} is not a tab of the app")


def draw(tab: Tab, ctx: TabContext) -> bool:
    """Call a tab's ``render(ctx)``; on any error show it in the tab, not a crash.

    Returns True when the tab rendered without an error (or has nothing to render).
    """
    if tab.render is None:
        return True
    try:
        tab.render(ctx)
    except Exception as exc:  # noqa: BLE001 - one broken tab must not take the app down
        st.error(f"The {tab.label!r} tab failed: {type(exc).__name__}: {plain.md_unlink(exc)}")
        return False
    return True


__all__ = ["TABS", "Tab", "TabContext", "by_label", "draw"]
