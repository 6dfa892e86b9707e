"""The Rollout tab is drawn only while it is open: closed, none of its widgets is drawn, and
the design comes from session state exactly as when it is (same scenario, same results on
the same seed); its pending table edits are folded into the kept tables once (Streamlit
forgets an undrawn data editor's state), its text inputs and form entry keep their values."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from simulator import load_scenario, loads_scenario
from simulator.ui import controls, links, rollout, session, tables, tiers

ROOT = Path(__file__).resolve().parents[1]
PATHS, SEED = 300, 7
ROLLOUT, FORECAST = "Rollout", "Forecast"
RESET = "Reset all assumptions to the file"
PROBLEMS = "These inputs do not make a valid scenario; the results update once they are fixed:"
EMPTY = ("Tiers, row 4 (trained), ceiling: likely is empty (give low, likely and high; all "
         "three equal for a fixed number)")


@pytest.fixture(scope="module")
def tok():
    return controls.scenario_token(load_scenario(ROOT / "scenarios" / "seed_case.toml"))


def _run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _app(**state) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state[session.PATHS] = PATHS
    at.session_state[session.SEED] = SEED
    for k, v in state.items():
        at.session_state[k] = v
    return _run(at)


def _tab(at: AppTest, label: str) -> AppTest:
    at.session_state[session.MAIN_TAB] = label
    return _run(at)


def _edits(edited=None, added=None) -> dict:
    return {"edited_rows": edited or {}, "added_rows": added or [], "deleted_rows": []}


def _pending(at: AppTest, tok: str, name: str, edits: dict) -> None:
    """Give table ``name``'s data editor ``edits`` as its edit state (as the browser does)."""
    try:
        gen = at.session_state[tables.gen_key(tok, name)]
    except KeyError:
        gen = 0
    at.session_state[f"{tables.editor_key(tok, name)}|{gen}"] = edits


def _drawn(at: AppTest, tok: str) -> list[str]:
    """Keys of the Rollout tab's drawn widgets: data editors, text inputs, text area, template
    choice, buttons, the form."""
    prefix = tables.editor_key(tok, "")
    widgets = [*at.data_editor, *at.text_input, *at.text_area, *at.selectbox, *at.button,
               *at.get("form")]
    return [str(w.key) for w in widgets if w.key and (
        str(w.key).startswith(prefix) or str(w.key).startswith("rollout.template|"))]


def _view(at: AppTest) -> tuple:
    """What the results are made of: headlines, the simulated scenario's TOML, the link."""
    params = {k: v for k, v in at.query_params.items() if k != "tab"}
    return (dict(at.session_state[session.HEADLINES]), at.session_state[rollout.CURRENT],
            params, at.session_state[links.EDITS])


def _editor(at: AppTest, tok: str, name: str):
    [df] = [e for e in at.data_editor
            if str(e.key).startswith(f"{tables.editor_key(tok, name)}|")]
    return df


NEW_WAVE = {"order": 3, "name": "Wave 3", "size": 150, "start_month": 8, "tier": "trained"}


def test_closed_tab_draws_none_of_its_widgets(tok):
    at = _app()  # the Forecast tab
    assert _drawn(at, tok) == []
    assert len(at.metric) == 8
    at = _tab(at, ROLLOUT)
    drawn = _drawn(at, tok)
    assert len(at.data_editor) == 4
    for part in ("name", "currency", "description", "reset", "add_wave.form"):
        assert tables.editor_key(tok, part) in drawn
    assert any(k.startswith("rollout.template|") for k in drawn)
    at = _tab(at, FORECAST)
    assert _drawn(at, tok) == [] and len(at.data_editor) == 0


def test_pending_edits_give_the_same_results_with_the_tab_closed_and_fold_once(tok):
    at = _app(**{session.MAIN_TAB: ROLLOUT})
    _pending(at, tok, "waves", _edits({0: {"size": 90}}, added=[NEW_WAVE]))
    _pending(at, tok, "tiers", _edits({3: {"ceiling_likely": 0.75}}))
    at.text_input(key=tables.editor_key(tok, "name")).set_value("My rollout")
    at = _run(at)
    assert not at.error, [e.value for e in at.error]
    opened = _view(at)
    assert at.subheader[0].value == "My rollout (adjusted)"

    at = _tab(at, FORECAST)  # the editors vanish: their edits are folded, results the same
    assert _drawn(at, tok) == []
    assert _view(at) == opened
    assert at.subheader[0].value == "My rollout (adjusted)"
    at = _run(at)  # another run while closed: nothing applied twice
    assert _view(at) == opened

    at = _tab(at, ROLLOUT)  # back: the tables show the folded edits, no pending edit state
    assert _view(at) == opened
    w = _editor(at, tok, "waves").value
    assert list(w["name"]) == ["Wave 1", "Wave 2", "Wave 3"] and int(w["size"].iloc[0]) == 90
    t = _editor(at, tok, "tiers").value
    assert float(t["ceiling_likely"].iloc[3]) == pytest.approx(0.75)
    assert at.text_input(key=tables.editor_key(tok, "name")).value == "My rollout"
    for name in ("waves", "tiers"):  # shown by a new editor, without edit state
        key = _editor(at, tok, name).key
        assert key.endswith("|1") and not tables.has_edits(at.session_state[key])
    # an edit after the fold lands on the folded table, once
    _pending(at, tok, "waves", _edits({2: {"size": 40}}))
    at = _run(at)
    assert [c.size for c in _current(at).adoption.cohorts] == [90, 100, 40]
    assert _current(at).name == "My rollout"


def _current(at: AppTest):
    return loads_scenario(at.session_state[rollout.CURRENT])


def _problems(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def test_an_invalid_edit_keeps_its_line_and_the_last_valid_results_open_or_closed(tok):
    at = _app(**{session.MAIN_TAB: ROLLOUT})
    _pending(at, tok, "tiers", _edits({3: {"ceiling_likely": None}}))  # an emptied cell
    at = _run(at)
    assert _problems(at).count(EMPTY) == 2  # under its table and above the tabs
    # the last valid results stay on screen under the message, marked as such
    assert len(at.metric) == 8
    assert any("last valid results" in h.value for h in at.subheader)
    for _ in range(2):  # closed (the edit folded, then held): the line stays, no results
        at = _tab(at, FORECAST) if _ == 0 else _run(at)
        assert _problems(at) == [EMPTY] and len(at.metric) == 8
        assert any(PROBLEMS in m.value for m in at.markdown)
    at = _tab(at, ROLLOUT)  # the table shows the empty cell, with its line
    assert _problems(at).count(EMPTY) == 2 and len(at.metric) == 8
    t = _editor(at, tok, "tiers").value
    assert t["ceiling_likely"].isna().iloc[3]
    _pending(at, tok, "tiers", _edits({3: {"ceiling_likely": 0.7}}))  # fixed
    at = _run(at)
    assert _problems(at) == [] and len(at.metric) == 8
    assert not any("last valid results" in h.value for h in at.subheader)
    assert tiers.frame(_current(at)).loc[3, "ceiling_likely"] == pytest.approx(0.7)


def test_the_form_keeps_its_entry_and_lines_while_the_tab_is_closed(tok):
    at = _app(**{session.MAIN_TAB: ROLLOUT})
    file_toml = at.session_state[rollout.CURRENT]
    at.number_input(key=rollout.entry_key(tok, "size")).set_value(0)
    at.number_input(key=rollout.entry_key(tok, "start_month")).set_value(99)
    at.button(key=rollout.entry_key(tok, "submit")).click()
    at = _run(at)
    lines = _problems(at)
    assert len(lines) == 2 and all(ln.startswith("Add a wave, ") for ln in lines)
    at = _tab(at, FORECAST)
    assert _problems(at) == [] and len(at.metric) == 8  # the form's lines are the form's
    at = _tab(at, ROLLOUT)
    assert _problems(at) == lines
    assert at.number_input(key=rollout.entry_key(tok, "size")).value == 0
    assert at.number_input(key=rollout.entry_key(tok, "start_month")).value == 99
    assert at.session_state[rollout.CURRENT] == file_toml  # nothing was added
    at.number_input(key=rollout.entry_key(tok, "size")).set_value(60)
    at.number_input(key=rollout.entry_key(tok, "start_month")).set_value(12)
    at.button(key=rollout.entry_key(tok, "submit")).click()
    at = _run(at)
    assert _problems(at) == []
    assert [(c.size, c.start_month) for c in _current(at).adoption.cohorts][-1] == (60, 12)


def test_reset_from_another_tab_forgets_the_folded_edits(tok):
    at = _app(**{session.MAIN_TAB: ROLLOUT})
    file_view = _view(at)
    _pending(at, tok, "waves", _edits(added=[NEW_WAVE]))
    at.text_input(key=tables.editor_key(tok, "name")).set_value("My rollout")
    at = _tab(_run(at), FORECAST)
    assert len(_current(at).adoption.cohorts) == 3
    next(b for b in at.button if b.label == RESET).click()
    at = _run(at)
    assert _view(at) == file_view
    at = _tab(at, ROLLOUT)
    assert _view(at) == file_view
    assert list(_editor(at, tok, "waves").value["name"]) == ["Wave 1", "Wave 2"]
    assert at.text_input(key=tables.editor_key(tok, "name")).value == \
        load_scenario(ROOT / "scenarios" / "seed_case.toml").name


def test_the_template_holds_while_the_tab_is_closed(seed_case):
    at = _app(**{session.MAIN_TAB: ROLLOUT})
    at.selectbox(key=rollout.template_key(seed_case)).set_value("support_copilot.toml")
    at = _run(at)
    support = load_scenario(ROOT / "scenarios" / "support_copilot.toml")
    assert _current(at) == support
    opened = _view(at)
    at = _run(_tab(at, FORECAST))
    assert _view(at) == opened and at.subheader[0].value == support.name
    at = _tab(at, ROLLOUT)
    assert at.selectbox(key=rollout.template_key(seed_case)).value == "support_copilot.toml"


def test_a_link_to_the_rollout_tab_opens_it(tok):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.query_params.update({"paths": str(PATHS), "tab": ROLLOUT})
    at = _run(at)
    assert len(at.data_editor) == 4 and tables.editor_key(tok, "name") in _drawn(at, tok)


def test_fold_edits_applies_pending_edits_once(seed_case):
    state: dict = {}
    rollout.design(state, seed_case, "tok")  # the tables kept, as the tab first shows them
    assert not tables.fold_edits(state, "tok", "waves")  # nothing pending: the same editor
    old = tables.current_key(state, "tok", "waves")
    state[old] = _edits({0: {"size": 90}}, added=[NEW_WAVE])
    before = tables.current_frame(state, "tok", "waves")
    d1 = rollout.design(state, seed_case, "tok")
    assert tables.fold_edits(state, "tok", "waves")
    assert old not in state and tables.current_key(state, "tok", "waves") != old
    after = tables.current_frame(state, "tok", "waves")
    assert after.equals(before) and list(after["name"]) == ["Wave 1", "Wave 2", "Wave 3"]
    assert not tables.fold_edits(state, "tok", "waves")  # folded once
    d2 = rollout.design(state, seed_case, "tok")
    assert d1.changes == d2.changes and d2.scenario == d1.scenario and not d2.problems


def test_the_closed_tab_reads_its_design_again_only_when_its_inputs_change(seed_case):
    from simulator.ui.controls import widget_key

    state: dict = {}
    d0 = rollout.hidden(state, seed_case, "tok")
    assert rollout.hidden(state, seed_case, "tok") is d0  # nothing changed: the same design
    state[tables.current_key(state, "tok", "waves")] = _edits(added=[NEW_WAVE])
    d1 = rollout.hidden(state, seed_case, "tok")  # a pending edit: read, then folded
    assert d1 is not d0 and len(d1.scenario.adoption.cohorts) == 3 and not d1.problems
    assert rollout.hidden(state, seed_case, "tok") is d1  # the folded table, unchanged
    state[widget_key("tok", "scenario.horizon_months")] = 6  # wave 3 starts at month 8
    d2 = rollout.hidden(state, seed_case, "tok")
    assert any("start" in p for p in d2.problems) and d2 == rollout.design(state, seed_case,
                                                                           "tok")
    state[tables.editor_key("tok", "name")] = "Renamed"
    del state[widget_key("tok", "scenario.horizon_months")]
    d3 = rollout.hidden(state, seed_case, "tok")
    assert d3.changes["scenario.name"] == "Renamed" and not d3.problems
