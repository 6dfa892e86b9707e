"""Shareable links: the app's view round-trips through the URL's query parameters."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from simulator import simulate
from simulator.ui import controls, links
from simulator.ui import session as ss
from simulator.ui.registry import TABS

ROOT = Path(__file__).resolve().parents[1]
FILES = ss.scenario_files(ROOT / "scenarios")
TABS_ALL = links.tab_labels(TABS)


def test_settings_come_from_the_link_once(seed_case):
    state: dict = {}
    ss.init_state(state, FILES)
    params = {"scenario": FILES[-1], "paths": "500", "seed": "3", "tab": "Compare"}
    assert links.restore_settings(params, state, FILES, TABS_ALL) == []
    assert (state[ss.FILE], state[ss.PATHS], state[ss.SEED], state[ss.MAIN_TAB]) == \
        (FILES[-1], 500, 3, "Compare")
    state[ss.PATHS] = 900  # the user moves on: a rerun must not undo it
    assert links.restore_settings(params, state, FILES, TABS_ALL) == []
    assert state[ss.PATHS] == 900


def test_bad_settings_are_one_line_problems_and_change_nothing():
    state: dict = {}
    ss.init_state(state, FILES)
    before = dict(state)
    params = {"scenario": "../etc/passwd", "paths": "5", "seed": "x", "tab": "Nope"}
    problems = links.restore_settings(params, state, FILES, TABS_ALL)
    assert len(problems) == 4 and all("\n" not in p for p in problems)
    assert problems[1] == "paths=5: allowed range is 100 to 200,000"
    assert {k: state[k] for k in before} == before


def test_edits_round_trip_through_the_url(seed_case):
    tok = controls.scenario_token(seed_case)
    state = dict(controls.default_state(seed_case, tok))
    state[ss.FILE], state[ss.PATHS], state[ss.SEED] = FILES[0], 2000, 7
    state[controls.widget_key(tok, "levers.change_plan.enabled")] = True
    state[controls.widget_key(tok, "economics.hourly_cost", "likely")] = 61.5
    state[controls.widget_key(tok, "scenario.horizon_months")] = 24
    params = links.current_params(state, seed_case, tok)
    assert params["set.levers.change_plan.enabled"] == "true"
    assert params["set.economics.hourly_cost:likely"] == "61.5"
    assert sum(k.startswith(links.SET) for k in params) == 3  # only what differs
    # a fresh session opening the link sees the same scenario and the same numbers
    fresh = dict(controls.default_state(seed_case, tok))
    fresh[ss.FILE] = FILES[0]  # restore_settings has put the link's file in place
    assert links.restore_edits(params, fresh, seed_case, tok) == []
    a = controls.scenario_from_values(seed_case, controls.values_from_state(seed_case, state,
                                                                            tok))
    b = controls.scenario_from_values(seed_case, controls.values_from_state(seed_case, fresh,
                                                                            tok))
    assert a.to_toml() == b.to_toml()
    ra, rb = simulate(a, paths=300, seed=7), simulate(b, paths=300, seed=7)
    assert ra.summary["npv_p50"] == rb.summary["npv_p50"]
    edits = links.link_edits(fresh, seed_case, tok)
    assert edits["levers.change_plan.enabled"] == (False, True)
    assert edits["economics.hourly_cost"][1][1] == 61.5


def test_bad_edits_name_the_parameter_and_are_ignored(seed_case):
    tok = controls.scenario_token(seed_case)
    state = dict(controls.default_state(seed_case, tok))
    before = dict(state)
    params = {"set.economics.hourly_cost:likely": "-5", "set.no.such": "1",
              "set.levers.change_plan.enabled": "maybe", "set.pilot.accuracy:low": "abc"}
    problems = links.restore_edits(params, state, seed_case, tok)
    assert len(problems) == 4
    assert "set.economics.hourly_cost:likely=-5: allowed range is [0, 1e+07]" in problems
    assert "set.no.such=1: not an input of this scenario" in problems
    assert state == {**before, "_link_edits_restored": tok}


def test_sync_writes_only_when_the_view_changed(seed_case):
    tok = controls.scenario_token(seed_case)
    state = dict(controls.default_state(seed_case, tok))
    state[ss.FILE], state[ss.PATHS], state[ss.SEED] = FILES[0], 2000, 7

    class Params(dict):
        writes = 0

        def from_dict(self, d):
            Params.writes += 1
            self.clear()
            self.update(d)

    p = Params()
    links.sync(p, state, seed_case, tok)
    links.sync(p, state, seed_case, tok)
    assert Params.writes == 1 and p["paths"] == "2000"


@pytest.mark.slow
def test_the_app_opens_a_shared_link(seed_case):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    at.query_params.update({"scenario": "seed_case.toml", "paths": "400", "seed": "5",
                            "tab": "Compare", "set.levers.change_plan.enabled": "true",
                            "set.paths": "1", "set.economics.hourly_cost:likely": "70"})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    tok = controls.scenario_token(seed_case)
    assert at.session_state[ss.PATHS] == 400 and at.session_state[ss.MAIN_TAB] == "Compare"
    assert at.toggle(key=controls.widget_key(tok, "levers.change_plan.enabled")).value
    # the bad parameter is reported, the rest applied
    assert any("set.paths=1: not an input" in w.value for w in at.warning)
    # the deck's edits and the URL describe the same view
    assert at.session_state[links.EDITS]["levers.change_plan.enabled"] == (False, True)
    assert at.query_params["set.economics.hourly_cost:likely"] in (["70"], "70", ["70.0"])


def test_edits_of_the_previous_file_are_not_applied_to_the_next(seed_case):
    """Picking another file: the URL still names the old file and its edits until the run
    ends; they must not land on the new file's widgets."""
    tok = controls.scenario_token(seed_case)
    state = dict(controls.default_state(seed_case, tok))
    state[ss.FILE] = FILES[1]
    before = dict(state)
    params = {"scenario": FILES[0], "set.economics.hourly_cost:likely": "65"}
    assert links.restore_edits(params, state, seed_case, tok) == []
    assert state == {**before, "_link_edits_restored": tok}
    # the same link with the file it names is applied
    state[ss.FILE] = FILES[0]
    state.pop("_link_edits_restored")
    assert links.restore_edits(params, state, seed_case, tok) == []
    assert state[controls.widget_key(tok, "economics.hourly_cost", "likely")] == 65.0


@pytest.mark.slow
def test_picking_another_file_after_an_edit_shows_that_file_as_it_is(seed_case):
    """In the app: an edited seed case, then another file picked: no warning, no error,
    and the new file's own values (the old edit is not carried over by the URL)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    at.query_params.update({"scenario": "seed_case.toml", "paths": "400", "seed": "5",
                            "set.economics.hourly_cost:likely": "65"})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.selectbox(key=ss.FILE).set_value("support_copilot.toml").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.warning and not at.error, [w.value for w in [*at.warning, *at.error]]
    assert links.EDITS in at.session_state and at.session_state[links.EDITS] == {}
    assert not any(k.startswith(links.SET) for k in at.query_params)
