"""The Assumptions tab draws the inputs of its open groups only, and only while it is open;
edits hold while they are not drawn: results, shared link, scenario download and reset see
them exactly as when they were."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from simulator import load_scenario, loads_scenario
from simulator.ui import controls, links, rollout, session
from simulator.ui.controls import widget_key
from simulator.ui.widgets import group_key

ROOT = Path(__file__).resolve().parents[1]
PATHS = 300
ASSUMPTIONS, FORECAST = "Assumptions", "Forecast"
COST = "economics.hourly_cost"
ECONOMICS = group_key("Economics")  # the group holding COST
RESET = "Reset all assumptions to the file"


@pytest.fixture(scope="module")
def tok():
    return controls.scenario_token(load_scenario(ROOT / "scenarios" / "seed_case.toml"))


def _app(**state) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state[session.PATHS] = PATHS
    for k, v in state.items():
        at.session_state[k] = v
    return at.run()


def _run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _tab(at: AppTest, label: str) -> AppTest:
    at.session_state[session.MAIN_TAB] = label
    return _run(at)


def _assumption_inputs(at: AppTest) -> list[str]:
    """Keys of the drawn Assumptions inputs (the Rollout tab's editors share the prefix)."""
    return [w.key for w in at.number_input
            if str(w.key).startswith("in|") and "|editor." not in str(w.key)]


def _cost(at: AppTest) -> float:
    """The hourly cost's mode in the scenario the app simulated (what the TOML download has)."""
    d = loads_scenario(at.session_state[rollout.CURRENT]).inputs()[COST]
    return d.describe()[1]


def test_closed_tab_and_closed_groups_draw_no_inputs(tok, seed_case):
    at = _run(_app())
    assert _assumption_inputs(at) == []
    at = _tab(at, ASSUMPTIONS)
    groups = rollout.assumption_groups(controls.control_groups(seed_case))
    assert _assumption_inputs(at) == []  # every group closed
    assert [e.label for e in at.expander] == [g.title for g in groups]
    at.session_state[ECONOMICS] = True
    at = _run(at)
    shown = _assumption_inputs(at)
    n = sum(3 for p in seed_case.inputs() if p.startswith("economics."))
    assert widget_key(tok, COST, "likely") in shown and len(shown) == n
    for g in groups:
        at.session_state[group_key(g.title)] = True
    at = _run(at)
    assert len(_assumption_inputs(at)) > 100


def _cost_edited(tok):
    """The app on the Assumptions tab with the cost input raised by 15 (not yet rerun):
    (app, the input's key, its file value, the file's headlines)."""
    key = widget_key(tok, COST, "likely")
    at = _run(_app(**{session.MAIN_TAB: ASSUMPTIONS, ECONOMICS: True}))
    file_value = at.number_input(key=key).value
    h_file = dict(at.session_state[session.HEADLINES])
    at.number_input(key=key).set_value(file_value + 15.0)
    return at, key, file_value, h_file


def test_an_edit_holds_while_another_tab_is_open(tok):
    at, key, file_value, h_file = _cost_edited(tok)
    at = _run(at)
    h_edit = dict(at.session_state[session.HEADLINES])
    assert h_edit["npv_p50"] != h_file["npv_p50"]

    # another tab: the input is not drawn, its edit still applied everywhere
    at = _tab(at, FORECAST)
    assert _assumption_inputs(at) == []
    assert at.session_state[session.HEADLINES] == h_edit
    assert _cost(at) == pytest.approx(file_value + 15.0)
    assert at.session_state[links.EDITS][COST][1][1] == pytest.approx(file_value + 15.0)

    # change something else (sidebar): both edits apply
    rate = widget_key(tok, "scenario.discount_rate_annual")
    at.slider(key=rate).set_value(at.slider(key=rate).value + 4.0)
    at = _run(at)
    assert set(at.session_state[links.EDITS]) == {COST, "scenario.discount_rate_annual"}
    assert _cost(at) == pytest.approx(file_value + 15.0)
    h_both = dict(at.session_state[session.HEADLINES])
    params = links.current_params(at.session_state, load_scenario(
        ROOT / "scenarios" / "seed_case.toml"), tok)
    assert float(params[f"set.{COST}:likely"]) == pytest.approx(file_value + 15.0)

    # back on the Assumptions tab: the edit is shown, the results unchanged
    at = _tab(at, ASSUMPTIONS)
    assert at.number_input(key=key).value == pytest.approx(file_value + 15.0)
    assert at.session_state[session.HEADLINES] == h_both
    # the same edits from a fresh session (a shared link's state) give the same results
    fresh = _run(_app(**{key: file_value + 15.0, rate: at.slider(key=rate).value}))
    assert fresh.session_state[session.HEADLINES] == h_both


def test_reset_from_another_tab_forgets_the_hidden_edit(tok):
    at, key, file_value, h_file = _cost_edited(tok)
    at = _tab(_run(at), FORECAST)
    next(b for b in at.button if b.label == RESET).click()
    at = _run(at)
    assert at.session_state[links.EDITS] == {}
    assert at.session_state[session.HEADLINES] == h_file
    at = _tab(at, ASSUMPTIONS)
    assert at.number_input(key=key).value == pytest.approx(file_value)


def test_a_linked_edit_applies_before_the_tab_is_ever_opened(tok):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.query_params.update({"paths": str(PATHS), f"set.{COST}:likely": "71"})
    at = _run(at)
    assert _assumption_inputs(at) == []
    assert _cost(at) == pytest.approx(71.0)
    at.session_state[ECONOMICS] = True
    at = _tab(at, ASSUMPTIONS)
    assert at.number_input(key=widget_key(tok, COST, "likely")).value == pytest.approx(71.0)
    assert _cost(at) == pytest.approx(71.0)


def test_an_edit_holds_while_its_group_is_closed(tok):
    key = widget_key(tok, COST, "likely")
    at = _run(_app(**{session.MAIN_TAB: ASSUMPTIONS, ECONOMICS: True}))
    value = at.number_input(key=key).value + 5.0
    at.number_input(key=key).set_value(value)
    at = _run(at)
    h_edit = dict(at.session_state[session.HEADLINES])
    at.session_state[ECONOMICS] = False
    at = _run(at)
    assert _assumption_inputs(at) == []
    at.session_state[session.SEED] = 8  # another change while the group is closed
    at = _run(_run(at))
    assert _cost(at) == pytest.approx(value)
    at.session_state[session.SEED] = 7
    at = _run(at)
    assert at.session_state[session.HEADLINES] == h_edit
    at.session_state[ECONOMICS] = True
    assert _run(at).number_input(key=key).value == pytest.approx(value)


def test_another_file_leaves_no_inputs_of_the_last_one(tok):
    """Hidden inputs keep their values, but not those of a file no longer loaded: session
    state (which every widget call walks) does not grow with each file visited."""
    key = widget_key(tok, COST, "likely")
    at = _run(_app(**{session.MAIN_TAB: ASSUMPTIONS, ECONOMICS: True}))
    at.number_input(key=key).set_value(at.number_input(key=key).value - 5.0)
    at = _run(at)
    at.selectbox(key=session.FILE).set_value("support_copilot.toml")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    other = controls.scenario_token(load_scenario(ROOT / "scenarios" / "support_copilot.toml"))
    inputs = [k for k in at.session_state if str(k).startswith("in|") and "|editor." not in k]
    assert inputs and all(k.startswith(f"in|{other}|") for k in inputs)
