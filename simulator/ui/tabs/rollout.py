"""The Rollout tab: the pilot team, the tiers and the cohorts as editable tables."""

from __future__ import annotations

from .. import rollout as editors
from ..registry import Draft, Tab


def edit(draft: Draft, shown: bool) -> None:
    """Draw the editors while open; closed, read the same design from session state."""
    draft.design = (editors.render(draft.loaded, draft.base, draft.token, draft.files)
                    if shown else editors.hidden(draft.state, draft.base, draft.token))


TAB = Tab("Rollout", edit=edit, edit_order=0)
