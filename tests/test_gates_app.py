"""The app's Gates tab (Streamlit AppTest): add a gate through the table, see the comparison;
an invalid row shows one message and the tab keeps running."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import SCENARIOS
from tab_harness import tab_app

from simulator import load_scenario
from simulator.ui.gates import COLUMNS, editor_key, gates_frame, read_gates

SEED_CASE = str(SCENARIOS / "seed_case.toml")
STAGED = str(SCENARIOS / "seed_case_staged.toml")
NEW_GATE = {"name": "M2 review", "month": 2, "min_active_rate": 0.2, "on_fail": "switch_levers",
            "levers": "change_plan, feedback_loop", "reonboard": True}


def _edits(added=(), edited=None):
    return {"edited_rows": edited or {}, "added_rows": list(added), "deleted_rows": []}


def _app(scenario: str):
    at = tab_app("Gates", scenario, 400, 3, 20, timeout=120)
    at.run()
    assert not at.exception and not at.error
    return at


def test_adding_a_gate_shows_the_comparison(seed_case):
    at = _app(SEED_CASE)
    assert "No gates" in at.info[0].value
    assert not at.get("vega_lite_chart")
    at.session_state[editor_key(seed_case)] = _edits(added=[NEW_GATE])
    at.run()
    assert not at.exception and not at.error
    assert len(at.get("vega_lite_chart")) == 1
    labels = [m.label for m in at.metric]
    assert "Option value of the gates" in labels and "P(stop)" in labels
    tables = {tuple(d.value.columns)[0]: d.value for d in at.dataframe}
    assert list(tables["Plan"]["Plan"]) == ["big bang", "gated", "no-go"]
    assert tables["Gate"]["Gate"].iloc[0] == "M2 review"


@pytest.mark.parametrize(("row", "expect"), [
    ({"min_active_rate": 1.5}, "Gates, row 1 (Month-3 adoption review), min_active_rate"),
    ({"on_fail": "hold"}, "levers: only used with on_fail = 'switch_levers'"),
    ({"levers": "change_plan, magic"}, "'magic' is not a lever"),
    ({"month": 99}, "month: 99 is after the horizon"),
])
def test_an_invalid_row_shows_one_message_and_the_tab_keeps_running(row, expect):
    staged = load_scenario(STAGED)
    at = _app(STAGED)
    assert len(at.get("vega_lite_chart")) == 1  # the shipped gate is valued at once
    at.session_state[editor_key(staged)] = _edits(edited={0: row})
    at.run()
    assert not at.exception
    assert len(at.error) == 1 and expect in at.error[0].value
    assert not at.get("vega_lite_chart")
    at.session_state[editor_key(staged)] = _edits()  # fixed again: the comparison is back
    at.run()
    assert not at.exception and not at.error
    assert len(at.get("vega_lite_chart")) == 1


def test_table_round_trips_and_empty_cells_are_named(seed_case):
    staged = load_scenario(STAGED)
    df = gates_frame(staged)
    assert list(df.columns) == list(COLUMNS)
    gates, problems = read_gates(df, staged)
    assert not problems
    assert staged.with_values({"gates": gates}).gates == staged.gates
    blank = pd.DataFrame([{"name": "x", "min_active_rate": 0.1}], columns=list(COLUMNS))
    _, problems = read_gates(blank, seed_case)
    assert problems == ["Gates, row 1 (x), month: is empty", "Gates, row 1 (x), on fail: is empty"]
    order = pd.concat([df, df.assign(name="earlier", month=2)], ignore_index=True)
    _, problems = read_gates(order, staged)
    assert len(problems) == 1 and "list gates in month order" in problems[0]
