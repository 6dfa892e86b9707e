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


def test_the_human_review_switch_and_inputs_are_in_the_app():
    """The fifth lever reaches the app through the catalogue: its sidebar switch, its
    inputs among the lever parameters, and a run that counts its reviewer cost."""
    from simulator import load_scenario
    from simulator.ui.controls import scenario_token, widget_key
    from simulator.ui.widgets import group_key

    tok = scenario_token(load_scenario(ROOT / "scenarios" / "seed_case.toml"))
    at = AppTest.from_file(str(APP), default_timeout=300)
    at.session_state[session.PATHS] = PATHS
    at.run()
    switch = at.toggle(key=widget_key(tok, "levers.human_review.enabled"))
    assert switch.label == "Human review" and switch.value is False
    before = dict(at.session_state[session.HEADLINES])
    switch.set_value(True).run()
    assert not at.exception and not at.error
    after = at.session_state[session.HEADLINES]
    assert after["npv_p50"] != before["npv_p50"]
    at.session_state[session.MAIN_TAB] = "Assumptions"
    at.session_state[group_key("Levers (parameters)")] = True
    at.run()
    assert not at.exception and not at.error
    keys = {str(w.key) for w in at.number_input}
    for name in ("share", "minutes_per_review", "reviewer_hourly_cost"):
        assert widget_key(tok, f"levers.human_review.{name}", "likely") in keys, name
