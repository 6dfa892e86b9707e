"""Every tab of the app, through the whole app: one parametrised AppTest; app.py is only
navigation."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from simulator.ui import links, session
from simulator.ui.tabs import TABS, by_label

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
PATHS = 200


def test_app_is_navigation_only():
    lines = APP.read_text().splitlines()
    assert len(lines) <= 80, len(lines)
    # no page logic: no scenario reading, running or charting in the app script itself
    text = APP.read_text()
    for word in ("load_scenario", "runner.run", "chart", "simulate("):
        assert word not in text, word


def test_tabs_are_registered_by_object_with_unique_labels():
    labels = [t.label for t in TABS]
    assert len(set(labels)) == len(labels)
    assert tuple(labels[:len(links.OWN_TABS)]) == links.OWN_TABS
    assert all(callable(t.render) or callable(t.edit) for t in TABS)
    assert all(by_label(t.label) is t for t in TABS)
    with pytest.raises(KeyError, match="not a tab"):
        by_label("No such tab")


@pytest.mark.parametrize("label", [t.label for t in TABS])
def test_every_tab_draws_in_the_app(label):
    at = AppTest.from_file(str(APP), default_timeout=300)
    at.session_state[session.PATHS] = PATHS
    at.session_state[session.MAIN_TAB] = label
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert len(at.metric) >= 8  # the headlines above the tabs (and the tab's own)
    tab = next(t for t in at.tabs if t.label == label)
    assert len(list(tab)) > 0, f"the {label!r} tab drew nothing"
