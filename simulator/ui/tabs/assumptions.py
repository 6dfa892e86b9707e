"""The Assumptions tab: every uncertain input and setting, by group."""

from __future__ import annotations

from .. import controls, rollout, widgets
from ..registry import Draft, Tab


def edit(draft: Draft, shown: bool) -> None:
    """Draw the inputs of the open groups while the tab is open (160 inputs in all)."""
    groups = rollout.assumption_groups(controls.control_groups(draft.design.scenario))
    widgets.render_assumptions(groups, draft.token, shown=shown)


TAB = Tab("Assumptions", edit=edit, edit_order=1)
