"""``rollout-sim gates``: table, JSON and CSV agree with the API; bad input exits 2."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from conftest import SCENARIOS

from simulator import load_scenario
from simulator.analysis.gates import gate_analysis, gate_search
from simulator.cli import main

STAGED = str(SCENARIOS / "seed_case_staged.toml")
RUN = ["--paths", "300", "--seed", "5"]
SEARCH = "gates[0].min_active_rate=0.2,0.3"


def test_table_shows_plans_gates_option_value_and_search(capsys):
    assert main(["gates", STAGED, *RUN, "--search", SEARCH, "--criterion", "p10"]) == 0
    out = capsys.readouterr().out
    for text in ("big bang", "gated", "no-go", "Month-3 adoption review",
                 "Option value (mean NPV gated - big bang)", "P(stop)", "Months held",
                 "Search", "Best by npv_p10: gates[0].min_active_rate = "):
        assert text in out
    api = gate_analysis(load_scenario(STAGED), paths=300, seed=5)
    assert f"USD {api.summary.iloc[0]['option_value']:,.0f}" in out


def test_json_has_every_table_and_matches_the_api(capsys):
    assert main(["gates", STAGED, *RUN, "--search", SEARCH, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"verdict", "plans", "gates", "summary", "search", "best"}
    sc = load_scenario(STAGED)
    api = gate_analysis(sc, paths=300, seed=5)
    assert [r["plan"] for r in data["plans"]] == ["big bang", "gated", "no-go"]
    assert data["summary"][0]["option_value"] == pytest.approx(
        api.summary.iloc[0]["option_value"], rel=1e-12)
    s = gate_search(sc, [("gates[0].min_active_rate", [0.2, 0.3])], paths=300, seed=5)
    assert [r["npv_mean"] for r in data["search"]] == pytest.approx(
        list(s.points["npv_mean"]), rel=1e-12)


def test_csv_tables(capsys):
    assert main(["gates", STAGED, *RUN, "--format", "csv"]) == 0
    df = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert list(df["plan"]) == ["big bang", "gated", "no-go"]
    assert main(["gates", STAGED, *RUN, "--format", "csv", "--search", SEARCH]) == 0
    df = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert list(df["gates[0].min_active_rate"]) == [0.2, 0.3]
    assert main(["gates", STAGED, *RUN, "--format", "csv", "--table", "gates"]) == 0
    df = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert df["gate"].iloc[0] == "Month-3 adoption review"


@pytest.mark.parametrize(("args", "match"), [
    (["--search", "gates[0].min_active_rate=0.1,oops"], "'oops' is not a number"),
    (["--search", "gates[0].min_active_rate"], "expected PATH=VALUES"),
    (["--search", "gates[4].min_accuracy=0.9"], "gate 4 does not exist"),
    (["--search", "gates[0].min_active_rate=2"], "gates[0].min_active_rate"),
    (["--table", "search"], "only with --search"),
    (["--set", "gates[0].month=99"], "gates[0].month: 99 is after the horizon"),
])
def test_bad_input_exits_2_with_one_line(capsys, args, match):
    assert main(["gates", STAGED, "--paths", "50", *args]) == 2
    cap = capsys.readouterr()
    assert match in cap.err
    assert cap.err.count("\n") == 1 and "Traceback" not in cap.err
    assert cap.out == ""


def test_a_scenario_without_gates_is_a_one_line_error(capsys):
    assert main(["gates", str(SCENARIOS / "seed_case.toml"), "--paths", "50"]) == 2
    assert "no [[gates]]" in capsys.readouterr().err
