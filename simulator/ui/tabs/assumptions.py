"""The Assumptions tab: every uncertain input and setting, by group."""

from __future__ import annotations

from ...inputs_table import source_summary
from .. import controls, rollout, widgets
from ..registry import Draft, Tab


def edit(draft: Draft, shown: bool) -> None:
    """Draw the inputs of the open groups while the tab is open (160 inputs in all)."""
    sc = draft.design.scenario
    groups = rollout.assumption_groups(controls.control_groups(sc))
    widgets.render_assumptions(groups, draft.token, shown=shown, sources=sc.sources(),
                               summary=source_summary(sc))


TAB = Tab("Assumptions", edit=edit, edit_order=1)
