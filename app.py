"""Streamlit business-case explorer: navigation only.

The page around the tabs (sign-in, sidebar, the scenario, the run, the headlines) is
``simulator.ui.page``; every tab is registered by object in ``simulator.ui.tabs.TABS``.
Run with ``make run`` (or ``streamlit run app.py``); see docs/app.md.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from simulator.ui import page, timing
from simulator.ui.session import MAIN_TAB
from simulator.ui.tabs import TABS, draw

SCENARIOS = Path(__file__).resolve().parent / "scenarios"

st.set_page_config(page_title="AI rollout business case", layout="wide")
timing.begin()  # server-side time of this run, logged only when ROLLOUT_SIM_RERUN_LOG is set
labels = [t.label for t in TABS]
draft = page.start(SCENARIOS, labels)
boxes = dict(zip(TABS, st.tabs(labels, key=MAIN_TAB, on_change="rerun"), strict=True))

for tab in sorted((t for t in TABS if t.edit), key=lambda t: t.edit_order):
    with boxes[tab]:  # inputs that shape the scenario, before it runs
        tab.edit(draft, boxes[tab].open is not False)

ctx = page.run(draft)
for tab, box in boxes.items():
    with box:
        if not tab.lazy or box.open is not False:
            draw(tab, ctx)
timing.end()
