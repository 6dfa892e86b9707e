"""Shareable links: the app's view round-trips through the URL's query parameters."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from pptx import Presentation
from streamlit.testing.v1 import AppTest

from simulator import loads_scenario, simulate
from simulator.export import deck as deckmod
from simulator.export import scenario_edits
from simulator.ui import controls, exports, links, rollout, tables, tiers
from simulator.ui import session as ss
from simulator.ui.tabs import TABS

ROOT = Path(__file__).resolve().parents[1]
FILES = ss.scenario_files(ROOT / "scenarios")
TABS_ALL = [t.label for t in TABS]


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


# ----------------------------------------------------------------- the Rollout tab's inputs

OWNED_PARAMS = {"set.pilot.users": "20", "set.adoption.tiers.trained.ceiling:likely": "0.8"}


def test_a_link_to_an_input_the_rollout_tab_owns_is_one_line_and_not_applied(seed_case):
    tok = controls.scenario_token(seed_case)
    state = dict(controls.default_state(seed_case, tok))
    before = dict(state)
    problems = links.restore_edits({**OWNED_PARAMS, "set.economics.hourly_cost:likely": "61"},
                                   state, seed_case, tok)
    assert problems == [f"{k}={v}: {links.OWNED}" for k, v in OWNED_PARAMS.items()]
    assert all("\n" not in p and "Rollout tab" in p for p in problems)
    # only the widget edit is applied
    hourly = controls.widget_key(tok, "economics.hourly_cost", "likely")
    assert {k: v for k, v in state.items() if before.get(k) != v} == \
        {hourly: 61.0, "_link_edits_restored": tok}


def test_owned_inputs_are_never_widget_edits(seed_case):
    """A stray widget value for an input the Rollout tab owns (the run ignores it) is in
    neither the URL nor the widget edits."""
    tok = controls.scenario_token(seed_case)
    state = dict(controls.default_state(seed_case, tok))
    state[controls.widget_key(tok, "pilot.users")] = 20
    state[controls.widget_key(tok, "adoption.tiers.trained.ceiling", "likely")] = 0.8
    state[controls.widget_key(tok, "economics.hourly_cost", "likely")] = 61.0
    assert [k for k in links.current_params(state, seed_case, tok) if k.startswith(links.SET)] \
        == ["set.economics.hourly_cost:likely"]
    assert list(links.link_edits(state, seed_case, tok)) == ["economics.hourly_cost"]


def test_deck_edits_are_what_the_simulated_scenario_changes(seed_case):
    """Widget edits keep their low / likely / high form; the Rollout tab's changes (not
    widgets) come from the scenario itself; a widget edit the run does not contain is not
    listed."""
    tok = controls.scenario_token(seed_case)
    state = dict(controls.default_state(seed_case, tok))
    state[controls.widget_key(tok, "economics.hourly_cost", "likely")] = 61.0
    state[controls.widget_key(tok, "levers.change_plan.enabled")] = True
    state[controls.widget_key(tok, "pilot.users")] = 20  # ignored by the run
    widget = links.link_edits(state, seed_case, tok)
    values = {p: v for p, v in controls.values_from_state(seed_case, state, tok).items()
              if not rollout.owned(p)}
    cohorts = seed_case.to_dict()["adoption"]["cohorts"]
    design = {"pilot.users": 15, "scenario.name": "Mine",
              "adoption.cohorts": [*cohorts, {"name": "W9", "size": 40, "start_month": 4,
                                              "tier": "trained"}]}
    sc = seed_case.with_values({**controls.changes_from_values(seed_case, values), **design})
    edits = links.deck_edits(state, seed_case, sc, tok)
    assert edits["economics.hourly_cost"] == widget["economics.hourly_cost"]
    assert edits["levers.change_plan.enabled"] == (False, True)
    assert edits["pilot.users"] == (seed_case.pilot.users, 15)  # the run's, not the widget's
    assert edits["scenario.name"] == (seed_case.name, "Mine")
    assert edits["adoption.cohorts[W9]"] == (scenario_edits.NONE, scenario_edits.wave_text(
        design["adoption.cohorts"][-1]))
    assert len(edits) == 5
    assert links.deck_edits(state, seed_case, seed_case, tok) == {}  # nothing simulated


def _deck_edits_rows(edits: dict, toml: str) -> tuple[list[list[str]], str]:
    """The deck's edits slide (rows after the header, speaker notes), built as the Export
    tab builds it from the simulated scenario."""
    res = simulate(loads_scenario(toml), paths=200, seed=3)
    prs = Presentation(io.BytesIO(exports.deck_download(res, edits=edits)))
    slide = next(s for s in prs.slides if s.shapes.title is not None
                 and s.shapes.title.text == deckmod.TITLE_EDITS)
    table = next(sh.table for sh in slide.shapes if sh.has_table)
    rows = [[c.text for c in r.cells] for r in table.rows][1:]
    return rows, slide.notes_slide.notes_text_frame.text


@pytest.mark.slow
def test_the_app_ignores_a_linked_rollout_input_and_the_deck_does_not_claim_it(seed_case):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    at.query_params.update({"scenario": "seed_case.toml", "paths": "300", "seed": "5",
                            **OWNED_PARAMS})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    warnings = [w.value for w in at.warning]
    for k, v in OWNED_PARAMS.items():
        assert f"Link parameter ignored: {k}={v}: {links.OWNED}" in warnings
    assert at.session_state[rollout.CURRENT] == seed_case.to_toml()  # the file, simulated
    assert at.session_state[links.EDITS] == {}
    assert not any(k.startswith(links.SET) for k in at.query_params)


@pytest.mark.slow
def test_rollout_tab_edits_are_on_the_deck_with_the_widget_edits(seed_case):
    """A wave added with the Rollout tab's form and a tier field edited in its table are
    listed (and a widget edit as before); the deck's edits slide shows them, and the list
    is exactly what differs between the file and the simulated scenario."""
    tok = controls.scenario_token(seed_case)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    at.query_params.update({"scenario": "seed_case.toml", "paths": "300", "seed": "5",
                            "tab": "Rollout", "set.economics.hourly_cost:likely": "61"})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.text_input(key=rollout.entry_key(tok, "name")).set_value("Late wave")
    at.number_input(key=rollout.entry_key(tok, "size")).set_value(60)
    at.number_input(key=rollout.entry_key(tok, "start_month")).set_value(12)
    at.button(key=rollout.entry_key(tok, "submit")).click()
    at.run()
    row = tiers.frame(seed_case).index[tiers.frame(seed_case)["name"] == "trained"][0]
    gen = at.session_state[tables.gen_key(tok, "tiers")] \
        if tables.gen_key(tok, "tiers") in at.session_state else 0
    at.session_state[f"{tables.editor_key(tok, 'tiers')}|{gen}"] = {
        "edited_rows": {int(row): {"ceiling_likely": 0.7}}, "added_rows": [],
        "deleted_rows": []}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    toml = at.session_state[rollout.CURRENT]
    sim = loads_scenario(toml)
    edits = at.session_state[links.EDITS]
    wave = sim.to_dict()["adoption"]["cohorts"][-1]
    assert (wave["name"], wave["size"], wave["start_month"]) == ("Late wave", 60, 12)
    assert edits["adoption.cohorts[Late wave]"] == (
        scenario_edits.NONE, scenario_edits.wave_text(wave))
    ceiling = edits["adoption.tiers.trained.ceiling"]
    assert ceiling[0] == seed_case.to_dict()["adoption"]["tiers"]["trained"]["ceiling"]
    assert ceiling[1]["mode"] == pytest.approx(0.7)
    assert edits["economics.hourly_cost"][1][1] == 61.0  # the widget edit, as before
    # nothing else differs between the file and what was simulated
    raw = scenario_edits.scenario_edits(seed_case, sim)
    assert set(edits) == set(raw) and len(edits) == 3
    rows, notes = _deck_edits_rows(edits, toml)
    assert len(rows) == 3
    by_label = {r[0]: r[1:] for r in rows}
    assert by_label["Rollout wave: Late wave"] == [
        scenario_edits.NONE, scenario_edits.wave_text(wave)]
    assert "adoption.cohorts[Late wave]" in notes and "adoption.tiers.trained.ceiling" in notes
    # the link made now reproduces the same simulated scenario in a fresh session
    params = {k: v[-1] if isinstance(v, list) else v for k, v in at.query_params.items()}
    assert json.loads(params[links.ROLLOUT])["adoption.tiers.trained.ceiling"]["mode"] == \
        pytest.approx(0.7)
    fresh = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    fresh.query_params.update(params)
    fresh.run()
    assert not fresh.exception, [e.value for e in fresh.exception]
    assert not fresh.warning, [w.value for w in fresh.warning]
    assert fresh.session_state[rollout.CURRENT] == toml
    assert fresh.session_state[links.EDITS] == edits


def _changed(seed_case):
    d = seed_case.to_dict()
    return seed_case.with_values({
        "pilot.users": 20, "scenario.name": "Mine",
        "adoption.cohorts": [*d["adoption"]["cohorts"], {"name": "W9", "size": 40,
                                                         "start_month": 4, "tier": "trained"}],
        "adoption.tiers.trained.ceiling": {"dist": "pert", "min": 0.6, "mode": 0.7,
                                           "max": 0.88},
        "correlations": [{"a": "pilot.accuracy", "b": "adoption.base_churn", "rho": -0.3}]})


def test_a_link_carries_the_rollout_tabs_changes_exactly(seed_case):
    tok = controls.scenario_token(seed_case)
    sim = _changed(seed_case)
    params = links.current_params({}, seed_case, tok, sim)
    carried = json.loads(params[links.ROLLOUT])
    assert set(carried) == {"pilot.users", "scenario.name", "adoption.cohorts",
                            "adoption.tiers.trained.ceiling", "correlations"}  # field by field
    fresh: dict = {}
    assert links.restore_edits(params, fresh, seed_case, tok) == []
    design = rollout.design(fresh, seed_case, tok)
    assert design.problems == []
    got = rollout.adjusted(seed_case, design, controls.values_from_state(seed_case, fresh, tok))
    assert got.to_toml() == sim.to_toml()
    assert links.current_params(fresh, seed_case, tok, got) == params  # and round again


@pytest.mark.parametrize("value, expect", [
    ("{x", "rollout={x: not valid JSON"),
    ("[1]", "rollout=[1]: not a JSON object"),
    ('{"economics.hourly_cost": 5}', "rollout: 'economics.hourly_cost' is not a path the "
                                     "Rollout tab edits"),
    ('{"pilot.users": -1}', "rollout: pilot.users: -1 is below 1"),
    ('{"adoption.tiers.trained.ceiling": 7}', "rollout: adoption.tiers.trained.ceiling: 7 is "
                                              "above 1"),
    ('{"adoption.tiers.trained.ceiling": {"dist": "normal", "mean": 0.7, "sd": 0.05}}',
     "the Rollout tab's tables cannot hold these values"),
])
def test_a_bad_rollout_parameter_is_one_line_and_changes_nothing(seed_case, value, expect):
    tok = controls.scenario_token(seed_case)
    state: dict = {}
    problems = links.restore_edits({links.ROLLOUT: value}, state, seed_case, tok)
    assert len(problems) == 1 and expect in problems[0] and "\n" not in problems[0]
    assert state == {"_link_edits_restored": tok}
