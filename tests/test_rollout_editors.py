"""The Rollout tab's editors (waves, tiers, correlations, from a template): table <-> scenario
logic, the offending-pairs diagnosis, and the whole app driven through its widgets with
``AppTest`` (table edits are the data editors' edit state, as the browser sends them)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from simulator import ScenarioError, load_scenario, loads_scenario, simulate
from simulator.ui import controls, correlations, rollout, runner, session, tables, tiers, waves
from simulator.ui.controls import UncertainControl, widget_key
from simulator.ui.widgets import group_key

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
SCENARIOS = ROOT / "scenarios"
SHIPPED = sorted(p.name for p in SCENARIOS.glob("*.toml"))
PATHS, SEED = 300, 7
TIMEOUT = 180


# --------------------------------------------------------------------------- tables <-> scenario


@pytest.mark.parametrize("name", SHIPPED)
def test_untouched_tables_change_nothing(name):
    sc = load_scenario(SCENARIOS / name)
    edits = {"w": waves.read(waves.pilot_frame(sc), waves.waves_frame(sc), sc),
             "t": tiers.read(tiers.frame(sc), sc),
             "c": correlations.read(correlations.frame(sc), sc)}
    for e in edits.values():
        assert e.changes == {} and e.problems == []
    design, lines = rollout.compose(sc, "tok", {**edits, "scenario": tables.Edit()}, {})
    assert design.scenario is sc and design.problems == [] and not any(lines.values())


def test_tier_edits_become_pert_or_fixed_and_keep_other_families(seed_case):
    sc = seed_case.with_values({"adoption.tiers.trained.ceiling":
                                {"dist": "lognormal", "p10": 0.5, "p90": 0.7}})
    df = tiers.frame(sc)
    qs = df.index[df["name"] == "quick_start"][0]
    df.loc[qs, ["ceiling_low", "ceiling_likely", "ceiling_high"]] = [0.3, 0.4, 0.5]
    df.loc[qs, ["innovation_p_low", "innovation_p_likely", "innovation_p_high"]] = [0.1] * 3
    e = tiers.read(df, sc)
    assert e.problems == []
    new = e.changes["adoption.tiers"]
    assert new["quick_start"]["ceiling"] == {"dist": "pert", "min": 0.3, "mode": 0.4,
                                             "max": 0.5}
    assert new["quick_start"]["innovation_p"] == 0.1
    assert new["trained"]["ceiling"]["dist"] == "lognormal"  # untouched: the file's family
    assert new["pilot"] == sc.to_dict()["adoption"]["tiers"]["pilot"]


def test_tier_rows_with_bad_names_or_empty_cells_give_one_line_each(seed_case):
    df = tiers.frame(seed_case)
    df.loc[1, "name"] = "pilot"  # duplicate
    df.loc[2, "name"] = "quick start"  # a space breaks input paths
    df.loc[3, "ceiling_likely"] = np.nan
    e = tiers.read(df, seed_case)
    assert e.problems == [
        "Tiers, row 2 (pilot), name: 'pilot' is already the name of row 1",
        "Tiers, row 3 (quick start), name: 'quick start' may use only letters, digits, _ and "
        "- (it becomes part of input paths)",
        "Tiers, row 4 (trained), ceiling: likely is empty (give low, likely and high; all "
        "three equal for a fixed number)"]


def test_waves_reorder_add_and_remove(seed_case):
    df = waves.waves_frame(seed_case)
    df.loc[0, "order"] = 5  # wave 1 goes last
    df = pd.concat([df, pd.DataFrame([{"order": 2, "name": "W3", "size": 40.0,
                                       "start_month": 9.0, "tier": "trained"}])],
                   ignore_index=True)
    e = waves.read(waves.pilot_frame(seed_case), df, seed_case)
    assert [c["name"] for c in e.changes["adoption.cohorts"]] == ["Wave 2", "W3", "Wave 1"]
    assert e.changes["adoption.cohorts"][1] == {"name": "W3", "size": 40, "start_month": 9,
                                                "tier": "trained"}
    assert e.rows["adoption.cohorts[2]"] == "Waves, row 1 (Wave 1)"
    e = waves.read(waves.pilot_frame(seed_case), df.iloc[1:2], seed_case)
    assert [c["name"] for c in e.changes["adoption.cohorts"]] == ["Wave 2"]
    sc = seed_case.with_values(e.changes)
    assert waves.registered_by_month(sc) == [(0, 12), (3, 112)]


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.integers(0, 5000), st.integers(0, 36),
                          st.sampled_from(["login_only", "quick_start", "trained"]),
                          st.one_of(st.none(), st.integers(-3, 9))), max_size=6))
def test_any_valid_wave_table_round_trips(seed_case, waves_in):
    df = pd.DataFrame([{"order": o, "name": f"W{i}", "size": n, "start_month": m, "tier": t}
                       for i, (n, m, t, o) in enumerate(waves_in)],
                      columns=list(waves.WAVE_COLUMNS))
    e = waves.read(waves.pilot_frame(seed_case), df, seed_case)
    assert e.problems == []
    sc = seed_case.with_values(e.changes)
    # sorted by Order (empty last), ties in table order; read back, the table changes nothing
    key = [(math.inf if o is None else o, i) for i, (_, _, _, o) in enumerate(waves_in)]
    want = [f"W{i}" for _, i in sorted(key)]
    assert [c.name for c in sc.adoption.cohorts] == want
    again = waves.read(waves.pilot_frame(sc), waves.waves_frame(sc), sc)
    assert again.changes == {} and again.problems == []
    assert waves.registered_by_month(sc)[-1][1] == 12 + sum(n for n, *_ in waves_in)


def test_schema_lines_are_placed_on_their_rows(seed_case):
    df = waves.waves_frame(seed_case)
    df.loc[1, "start_month"] = 99
    df.loc[0, "tier"] = "nope"
    edits = {"scenario": tables.Edit(),
             "waves": waves.read(waves.pilot_frame(seed_case), df, seed_case),
             "tiers": tiers.read(tiers.frame(seed_case), seed_case),
             "correlations": correlations.read(correlations.frame(seed_case), seed_case)}
    design, lines = rollout.compose(seed_case, "tok", edits, {})
    assert design.scenario is seed_case  # the last valid design
    assert sorted(lines["waves"]) == sorted([
        "Waves, row 1 (Wave 1), tier: 'nope' is not a tier (tiers: pilot, login_only, "
        "quick_start, trained) (adoption.cohorts[0].tier)",
        "Waves, row 2 (Wave 2), start month: 99 is after the horizon (36 months) "
        "(adoption.cohorts[1].start_month)"])
    assert design.problems == lines["waves"]


def test_apply_edits_matches_what_the_editor_returns(seed_case):
    df = waves.waves_frame(seed_case)
    out = tables.apply_edits(df, {"edited_rows": {0: {"size": 7}}, "deleted_rows": [1],
                                  "added_rows": [{"name": "W3", "tier": "trained"}]})
    assert list(out["name"]) == ["Wave 1", "W3"] and out["size"].iloc[0] == 7
    assert math.isnan(out["size"].iloc[1]) and out["size"].dtype == "float64"
    assert list(out.columns) == list(df.columns)
    same = tables.apply_edits(df, {"edited_rows": {}, "added_rows": [], "deleted_rows": []})
    pd.testing.assert_frame_equal(same, df)
    assert not tables.has_edits({"edited_rows": {}, "added_rows": [], "deleted_rows": []})


def test_waves_are_judged_against_the_sidebar_horizon(seed_case):
    edits = {"scenario": tables.Edit(),
             "waves": waves.read(waves.pilot_frame(seed_case), waves.waves_frame(seed_case),
                                 seed_case)}
    state = {widget_key("tok", "scenario.horizon_months"): 2}
    design, lines = rollout.compose(seed_case, "tok", edits, state)
    assert lines["waves"] == ["Waves, row 2 (Wave 2), start month: 3 is after the horizon "
                              "(2 months) (adoption.cohorts[1].start_month)"]
    state[widget_key("tok", "scenario.horizon_months")] = 24
    design, lines = rollout.compose(seed_case, "tok", edits, state)
    assert design.problems == [] and design.scenario.horizon == 24 and design.changes == {}


def test_locate_keeps_unplaced_lines_out():
    rows = {"adoption.cohorts[1]": "Waves, row 2", "adoption.cohorts[10]": "Waves, row 11"}
    assert tables.locate("adoption.cohorts[10].size: -1 is below 0", rows) == \
        "Waves, row 11, size: -1 is below 0 (adoption.cohorts[10].size)"
    assert tables.locate("data.ood_share: 2 is above 1", rows) is None
    assert tables.locate("no colon here", rows) is None


# --------------------------------------------------------------------------- correlations


TRIANGLE = [("x.a", "x.b", 0.9), ("x.b", "x.c", 0.9), ("x.a", "x.c", -0.9)]


def test_conflicting_pairs_are_named():
    lam, bad, single = correlations.conflicts(TRIANGLE)
    assert lam < 0 and bad == [0, 1, 2] and not single  # no one removal is enough
    weaker = [(a, b, 0.7 * np.sign(r)) for a, b, r in TRIANGLE]
    lam, bad, single = correlations.conflicts(weaker)
    assert lam < 0 and bad == [0, 1, 2] and single  # any one removal is enough
    # an extra valid pair on other inputs is not blamed
    lam, bad, _ = correlations.conflicts(TRIANGLE + [("y.d", "y.e", 0.5)])
    assert bad == [0, 1, 2]
    # a follows both b and c closely while b and c barely move together: dropping either of
    # a's pairs fixes the matrix, dropping b ~ c does not, so only a's pairs are named
    pairs = [("x.a", "x.b", 0.9), ("x.a", "x.c", 0.9), ("x.b", "x.c", 0.2)]
    lam, bad, single = correlations.conflicts(pairs)
    assert lam < 0 and single and bad == [0, 1]
    for k in bad:
        assert correlations.min_eigen(pairs[:k] + pairs[k + 1:])[0] > 0


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4),
                          st.floats(-0.99, 0.99, allow_nan=False)), min_size=1, max_size=8))
def test_conflicts_blame_only_declared_pairs_that_matter(raw):
    pairs, seen = [], set()
    for i, j, r in raw:
        if i != j and frozenset((i, j)) not in seen:
            seen.add(frozenset((i, j)))
            pairs.append((f"p.{i}", f"p.{j}", r))
    if not pairs:
        return
    lam, bad, single = correlations.conflicts(pairs)
    if lam > correlations.MIN_EIGENVALUE:
        return
    assert bad and set(bad) <= set(range(len(pairs)))
    if single:  # the promise of the message: dropping any one named pair fixes it
        for k in bad:
            assert correlations.min_eigen(pairs[:k] + pairs[k + 1:])[0] > \
                correlations.MIN_EIGENVALUE


def test_non_positive_definite_rows_get_a_message_naming_them(seed_case):
    df = pd.DataFrame([{"a": "economics.hourly_cost", "b": "data.ood_share", "rho": 0.9},
                       {"a": "data.ood_share", "b": "pilot.accuracy", "rho": 0.9},
                       {"a": "economics.hourly_cost", "b": "pilot.accuracy", "rho": -0.9}])
    edits = {"scenario": tables.Edit(), "correlations": correlations.read(df, seed_case)}
    design, lines = rollout.compose(seed_case, "tok", edits, {})
    [line] = lines["correlations"]
    assert "not a valid (positive definite) correlation matrix" in line
    for r in (1, 2, 3):
        assert f"Correlations, row {r} (" in line
    assert design.problems == [line]


# --------------------------------------------------------------------------- the app


ROLLOUT = "Rollout"


def _app(**state) -> AppTest:
    """The app on the Rollout tab (its editors are drawn only while it is open), unless
    ``state`` names another tab."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state[session.PATHS] = PATHS
    at.session_state[session.SEED] = SEED
    at.session_state[session.MAIN_TAB] = ROLLOUT
    for k, v in state.items():
        at.session_state[k] = v
    return at.run()


def _assumptions_open(sc) -> dict:
    """The Assumptions tab and all its groups open (closed ones are not drawn)."""
    groups = rollout.assumption_groups(controls.control_groups(sc))
    return {session.MAIN_TAB: "Assumptions", **{group_key(g.title): True
                                                 for g in groups}}


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _edits(edited=None, added=None, deleted=None) -> dict:
    return {"edited_rows": edited or {}, "added_rows": added or [],
            "deleted_rows": deleted or []}


def _tk(at: AppTest, token: str, name: str) -> str:
    """Key of the data editor now showing table ``name`` (a new one after each edit)."""
    try:
        gen = at.session_state[tables.gen_key(token, name)]
    except KeyError:
        gen = 0
    return f"{tables.editor_key(token, name)}|{gen}"


def _current(at: AppTest):
    return loads_scenario(at.session_state[rollout.CURRENT])


def _rows(df: pd.DataFrame) -> list[dict]:
    return [{k: tables.cell(v) for k, v in r.items()} for r in df.to_dict("records")]


@pytest.mark.slow
def test_support_copilot_edited_into_the_seed_case_gives_identical_results(seed_case):
    at = _app(**{**_assumptions_open(seed_case), session.MAIN_TAB: ROLLOUT})
    _ok(at)
    at.selectbox(key=rollout.template_key(seed_case)).set_value("support_copilot.toml").run()
    _ok(at)
    support = load_scenario(SCENARIOS / "support_copilot.toml")
    tok = controls.scenario_token(support)
    assert at.subheader[0].value == support.name
    key = lambda name: tables.editor_key(tok, name)  # noqa: E731

    # Rollout tab: name and description, wave 0, waves, tiers, correlations.
    at.text_input(key=key("name")).set_value(seed_case.scenario.name)
    at.text_area(key=key("description")).set_value(seed_case.scenario.description)
    at.session_state[_tk(at, tok, "pilot")] = _edits({0: {"size": seed_case.pilot.users}})
    seed_waves, seed_tiers = _rows(waves.waves_frame(seed_case)), _rows(tiers.frame(seed_case))
    n_w, n_t = len(support.adoption.cohorts), len(support.adoption.tiers)
    at.session_state[_tk(at, tok, "waves")] = _edits(
        {i: seed_waves[i] for i in range(min(n_w, len(seed_waves)))},
        added=seed_waves[n_w:], deleted=list(range(len(seed_waves), n_w)))
    at.session_state[_tk(at, tok, "tiers")] = _edits(
        {i: seed_tiers[i] for i in range(min(n_t, len(seed_tiers)))},
        added=seed_tiers[n_t:], deleted=list(range(len(seed_tiers), n_t)))
    at.session_state[_tk(at, tok, "correlations")] = _edits(deleted=list(range(len(
        support.correlations))))
    # Sidebar and Assumptions tab (the Rollout tab's pending edits hold while it is closed):
    # every other input the two files disagree on.
    at.session_state[session.MAIN_TAB] = "Assumptions"
    at.run()
    _ok(at)
    want = controls.values_from_state(seed_case, {})
    have = controls.values_from_state(support, {})
    for c in controls.all_controls(support):
        if rollout.owned(c.path) or want[c.path] == have[c.path]:
            continue
        if isinstance(c, UncertainControl):
            for part, v in zip(controls.PARTS, want[c.path], strict=True):
                at.number_input(key=widget_key(tok, c.path, part)).set_value(v)
        elif c.path == "scenario.discount_rate_annual":
            at.slider(key=widget_key(tok, c.path)).set_value(want[c.path] * 100)
        else:
            at.number_input(key=widget_key(tok, c.path)).set_value(want[c.path])
    at.run()
    _ok(at)
    assert not at.error, [e.value for e in at.error]

    edited = _current(at)
    assert edited == seed_case  # the downloaded TOML is the seed case, field for field
    a, b = simulate(edited, paths=PATHS, seed=SEED), simulate(seed_case, paths=PATHS, seed=SEED)
    np.testing.assert_array_equal(a.metric("npv"), b.metric("npv"))
    direct = _app()  # the seed case loaded from its file, same paths and seed
    _ok(direct)
    assert at.session_state[session.HEADLINES] == direct.session_state[session.HEADLINES]

    # Reset (the Rollout tab's button) returns to the template.
    at.session_state[session.MAIN_TAB] = ROLLOUT
    at.run()
    _ok(at)
    assert _current(at) == seed_case
    at.button(key=key("reset")).click().run()
    _ok(at)
    assert _current(at) == support and at.subheader[0].value == support.name


def _fresh_run(seed_case):
    """(token, the app on the source case, its result) before any edit."""
    at = _app()
    _ok(at)
    return (controls.scenario_token(seed_case), at,
            runner.run_toml(at.session_state[rollout.CURRENT], PATHS, SEED))


def test_adding_a_wave_raises_registered_users_from_its_start_month(seed_case):
    tok, at, before = _fresh_run(seed_case)
    size, start = 150, 8
    at.session_state[_tk(at, tok, "waves")] = _edits(added=[
        {"order": 3, "name": "Wave 3", "size": size, "start_month": start,
         "tier": "trained"}])
    at.run()
    _ok(at)
    assert not at.error, [e.value for e in at.error]
    sc = _current(at)
    assert [c.name for c in sc.adoption.cohorts] == ["Wave 1", "Wave 2", "Wave 3"]
    after = runner.run_toml(at.session_state[rollout.CURRENT], PATHS, SEED)
    months = np.arange(seed_case.horizon + 1)
    np.testing.assert_array_equal(after.registered - before.registered,
                                  np.where(months >= start, size, 0))
    assert any("350 from month 8" in c.value for c in at.caption)
    # active users before the wave starts are untouched on the same random numbers
    b0 = before.bands.query("metric == 'active_users' and stat == 'mean'")["value"].to_numpy()
    b1 = after.bands.query("metric == 'active_users' and stat == 'mean'")["value"].to_numpy()
    assert b1[start:].sum() > b0[start:].sum()
    assert "(adjusted)" in at.subheader[0].value
    # a new tier changes the waves' tier choices; the waves keep their edits
    at.session_state[_tk(at, tok, "tiers")] = _edits(added=[
        {**_rows(tiers.frame(seed_case))[3], "name": "coached"}])
    at.run()
    _ok(at)
    at.session_state[_tk(at, tok, "waves")] = _edits({2: {"tier": "coached"}})
    at.run()
    _ok(at)
    assert not at.error, [e.value for e in at.error]
    sc = _current(at)
    assert list(sc.adoption.tiers)[-1] == "coached"
    assert [(c.name, c.size, c.tier) for c in sc.adoption.cohorts][2] == ("Wave 3", size,
                                                                          "coached")


@pytest.mark.parametrize("table, edits, expect", [
    ("waves", _edits({0: {"size": -5}}),
     "Waves, row 1 (Wave 1), size: -5 is below 0 (adoption.cohorts[0].size)"),
    ("waves", _edits(added=[{"order": 3, "name": "W3", "tier": "trained"}]),
     "Waves, row 3 (W3), size: is required (adoption.cohorts[2].size)"),
    ("pilot", _edits({0: {"size": 0}}), "Pilot team (wave 0), size: 0 is below 1"),
    ("tiers", _edits({2: {"ceiling_low": 0.5}}),
     "Tiers, row 3 (quick_start), ceiling: needs min <= mode <= max"),
    ("correlations", _edits(added=[
        {"a": "economics.hourly_cost", "b": "data.ood_share", "rho": 0.9},
        {"a": "data.ood_share", "b": "pilot.accuracy", "rho": 0.9},
        {"a": "economics.hourly_cost", "b": "pilot.accuracy", "rho": -0.9}]),
     "the pairs in conflict are Correlations, row 1 (economics.hourly_cost ~ data.ood_share)"),
])
def test_invalid_rows_show_a_message_and_the_app_recovers(seed_case, table, edits, expect):
    tok = controls.scenario_token(seed_case)
    at = _app()
    _ok(at)
    at.session_state[_tk(at, tok, table)] = edits
    at.run()
    _ok(at)
    assert any(expect in e.value for e in at.error), [e.value for e in at.error]
    # the last valid results stay on screen under the message, marked as such
    assert len(at.metric) == 8 and any("last valid results" in h.value for h in at.subheader)
    at.run()  # the problem stays while the row does
    _ok(at)
    assert any(expect in e.value for e in at.error) and len(at.metric) == 8
    at.button(key=tables.editor_key(tok, "reset")).click().run()
    _ok(at)
    assert not at.error and len(at.metric) == 8
    assert _current(at) == seed_case


def test_name_currency_and_template_choice(seed_case):
    tok = controls.scenario_token(seed_case)
    at = _app(**{**_assumptions_open(seed_case), session.MAIN_TAB: ROLLOUT})
    at.text_input(key=tables.editor_key(tok, "currency")).set_value("eur").run()
    _ok(at)
    assert any("scenario.currency" in e.value for e in at.error)
    at.text_input(key=tables.editor_key(tok, "currency")).set_value("EUR")
    at.text_input(key=tables.editor_key(tok, "name")).set_value("My rollout").run()
    _ok(at)
    assert not at.error and at.subheader[0].value == "My rollout (adjusted)"
    sc = _current(at)
    assert sc.scenario.currency == "EUR" and sc.name == "My rollout"
    # the Assumptions tab leaves the fields the Rollout tab owns to it (and the name and
    # currency hold while the Rollout tab is closed)
    at.session_state[session.MAIN_TAB] = "Assumptions"
    at.run()
    _ok(at)
    assert _current(at) == sc and at.subheader[0].value == "My rollout (adjusted)"
    shown = [w.key.split("|")[2] for w in at.number_input if str(w.key).startswith("in|")]
    assert shown and not any(rollout.owned(p) for p in shown)
    name, text = session.scenario_download(sc, PATHS, SEED)
    assert loads_scenario(text) == sc and name == "my_rollout.toml"


def test_owned_paths_and_groups(seed_case):
    groups = rollout.assumption_groups(controls.control_groups(seed_case))
    paths = {c.path for g in groups for c in g.controls()}
    assert not any(rollout.owned(p) for p in paths)
    assert "levers.change_plan.tier" in paths and "pilot.accuracy" in paths
    assert {g.title for g in groups}.isdisjoint({"Adoption: onboarding tiers",
                                                 "Adoption: cohorts"})
    owned = {c.path for c in controls.all_controls(seed_case) if rollout.owned(c.path)}
    assert "pilot.users" in owned and "adoption.tiers.pilot.ceiling" in owned


def test_adjusted_rejects_a_design_with_problems(seed_case):
    design = rollout.Design(seed_case, {}, ["Waves, row 1: broken"])
    with pytest.raises(ScenarioError) as err:
        rollout.adjusted(seed_case, design, controls.values_from_state(seed_case, {}))
    assert err.value.problems == ["Waves, row 1: broken"]
    state: dict = {}
    ok = rollout.adjusted(seed_case, rollout.Design(seed_case),
                          controls.values_from_state(seed_case, {}), state)
    assert ok is seed_case and loads_scenario(state[rollout.CURRENT]) == seed_case


# --------------------------------------------------------------------------- the Add a wave form


def _tables_state(sc, tok: str) -> dict:
    """A session state holding the four tables as the Rollout tab first shows them."""
    state: dict = {}
    for name, df in (("pilot", waves.pilot_frame(sc)), ("waves", waves.waves_frame(sc)),
                     ("tiers", tiers.frame(sc)), ("correlations", correlations.frame(sc))):
        tables.table_state(state, tok, name, df)
    return state


def _entry(state: dict, tok: str, **entry) -> None:
    for f, v in entry.items():
        state[rollout.entry_key(tok, f)] = v


def test_the_form_appends_a_wave_after_the_tables_pending_edits(seed_case):
    tok = "tok"
    state = _tables_state(seed_case, tok)
    state[tables.current_key(state, tok, "waves")] = _edits({0: {"size": 90, "order": 7}})
    old_key = tables.current_key(state, tok, "waves")
    _entry(state, tok, name="  ", size=250, start_month=5, tier="trained")
    assert rollout.append_wave(state, seed_case, tok) == []
    assert tables.current_key(state, tok, "waves") != old_key  # a new grid shows the table
    df = tables.current_frame(state, tok, "waves")
    assert _rows(df)[-1] == {"order": 8, "name": "Wave 3", "size": 250, "start_month": 5,
                             "tier": "trained"}
    assert df["size"].dtype == "int64" and _rows(df)[0]["size"] == 90  # the edit is kept
    e = waves.read(waves.pilot_frame(seed_case), df, seed_case)
    sc = seed_case.with_values(e.changes)
    assert [(c.name, c.size) for c in sc.adoption.cohorts] == [
        ("Wave 2", 100), ("Wave 1", 90), ("Wave 3", 250)]  # Wave 1 moved to Order 7


def test_the_form_judges_its_entry_as_the_table_judges_a_row(seed_case):
    tok = "tok"
    state = _tables_state(seed_case, tok)
    _entry(state, tok, name="W9", size=-5, start_month=3, tier="nope")
    before = tables.current_key(state, tok, "waves")
    lines = rollout.append_wave(state, seed_case, tok)
    assert lines == [
        "Add a wave, size: -5 is below 1 (a wave added here needs at least one user)",
        "Add a wave, tier: 'nope' is not a tier (tiers: pilot, login_only, quick_start, "
        "trained) (adoption.cohorts[2].tier)"]
    # the same tier line as the table gives for that row, under the form's name
    df = waves.append(waves.waves_frame(seed_case), waves.new_wave(
        waves.waves_frame(seed_case), "W9", 5, 3, "nope"))
    edits = {"scenario": tables.Edit(), "waves": waves.read(waves.pilot_frame(seed_case), df,
                                                            seed_case)}
    _, table_lines = rollout.compose(seed_case, tok, edits, {})
    assert table_lines["waves"] == [lines[1].replace("Add a wave", "Waves, row 3 (W9)")]
    # nothing added, and the trial did not become the last valid design
    assert tables.current_key(state, tok, "waves") == before
    assert len(tables.current_frame(state, tok, "waves")) == 2
    assert f"rollout.last|{tok}" not in state
    _entry(state, tok, size=0, tier=None)
    assert rollout.append_wave(state, seed_case, tok) == [
        "Add a wave, size: 0 is below 1 (a wave added here needs at least one user)",
        "Add a wave, tier: is empty (add a tier to the tier table first)"]


def _form_add(at: AppTest, tok: str, **entry) -> AppTest:
    for f, v in entry.items():
        w = at.text_input if f == "name" else at.selectbox if f == "tier" else at.number_input
        w(key=rollout.entry_key(tok, f)).set_value(v)
    return at.button(key=rollout.entry_key(tok, "submit")).click().run()


def test_adding_a_wave_with_the_form_raises_registered_users_from_its_start_month(seed_case):
    tok, at, before = _fresh_run(seed_case)
    size, start = 150, 8
    _form_add(at, tok, name="Wave 3", size=size, start_month=start, tier="trained")
    _ok(at)
    assert not at.error, [e.value for e in at.error]
    sc = _current(at)
    assert [(c.name, c.size, c.start_month, c.tier) for c in sc.adoption.cohorts][2] == (
        "Wave 3", size, start, "trained")
    after = runner.run_toml(at.session_state[rollout.CURRENT], PATHS, SEED)
    months = np.arange(seed_case.horizon + 1)
    np.testing.assert_array_equal(after.registered - before.registered,
                                  np.where(months >= start, size, 0))
    assert any("350 from month 8" in c.value for c in at.caption)
    assert "(adjusted)" in at.subheader[0].value and len(at.metric) == 8
    # the new wave is a row of the grid like any other: edit it there
    at.session_state[_tk(at, tok, "waves")] = _edits({2: {"size": 40}})
    at.run()
    _ok(at)
    assert _current(at).adoption.cohorts[2].size == 40
    assert any("240 from month 8" in c.value for c in at.caption)


def test_an_invalid_form_entry_shows_its_lines_and_adds_nothing(seed_case):
    tok = controls.scenario_token(seed_case)
    at = _app()
    _ok(at)
    _form_add(at, tok, size=0, start_month=99)
    _ok(at)
    assert [e.value for e in at.error] == [
        "Add a wave, size: 0 is below 1 (a wave added here needs at least one user)",
        "Add a wave, start month: 99 is after the horizon (36 months) "
        "(adoption.cohorts[2].start_month)"]
    assert _current(at) == seed_case and len(at.metric) == 8  # the results stay
    _form_add(at, tok, size=60, start_month=36)
    _ok(at)
    assert not at.error, [e.value for e in at.error]
    assert [(c.name, c.size, c.start_month) for c in _current(at).adoption.cohorts][2] == (
        "Wave 3", 60, 36)
