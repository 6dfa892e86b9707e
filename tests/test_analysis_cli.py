"""``rollout-sim gap | levers | sensitivity | breakeven``: formats, results, bad input."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from conftest import SCENARIOS

from simulator import load_scenario
from simulator.analysis import expectation_gap
from simulator.cli import main
from simulator.scenario import MODES, combination_count

SEED = str(SCENARIOS / "seed_case.toml")
ALL = str(SCENARIOS / "seed_case_all_levers.toml")


def test_gap_table_and_json_agree_with_the_api(capsys):
    assert main(["gap", SEED, "--paths", "1000", "--seed", "4", "--bootstrap", "0"]) == 0
    out = capsys.readouterr().out
    for text in ("Pilot-lens NPV", "Expectation gap", "P(NPV >= pilot-lens NPV)",
                 "Change management", "Interaction", "Total gap"):
        assert text in out
    assert main(["gap", SEED, "--paths", "1000", "--seed", "4", "--bootstrap", "0",
                 "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"verdict", "summary", "attribution", "combinations"}
    api = expectation_gap(load_scenario(SEED), paths=1000, seed=4, bootstrap=0)
    assert data["summary"][0]["gap"] == pytest.approx(api.gap, rel=1e-9)
    assert len(data["combinations"]) == combination_count(len(MODES))


def test_levers_budget_criterion_and_csv(capsys):
    assert main(["levers", SEED, "--paths", "800", "--budget", "150000", "--criterion",
                 "prob"]) == 0
    out = capsys.readouterr().out
    assert "Best by P(NPV > 0) (budget USD 150,000)" in out
    assert main(["levers", SEED, "--paths", "800", "--budget", "150000", "--criterion",
                 "prob", "--format", "csv", "--table", "best"]) == 0
    best = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert len(best) == 1 and best["lever_cost_mean"].iloc[0] <= 150_000
    assert main(["levers", ALL, "--paths", "800", "--format", "csv"]) == 0
    combos = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert len(combos) == combination_count()
    assert combos.loc[combos["is_current"], "portfolio"].tolist() == ["VT + LT + CP + FB"]


def test_sensitivity_outputs(capsys):
    assert main(["sensitivity", SEED, "--paths", "800", "--top-k", "3", "--spider-k",
                 "2"]) == 0
    out = capsys.readouterr().out
    for text in ("How each input moves the NPV", "Tornado", "Spider",
                 "Share of NPV variance", "Minutes saved per task (minutes)"):
        assert text in out
    assert main(["sensitivity", SEED, "--paths", "800", "--top-k", "3", "--spider-k", "2",
                 "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["tornado"]) == 3 and len(data["spider"]) == 10


def test_breakeven_solved_and_unreachable(capsys):
    args = ["breakeven", SEED, "--paths", "800", "--input",
            "economics.minutes_saved_per_task"]
    assert main([*args, "--target", "p50:0"]) == 0
    out = capsys.readouterr().out
    assert "needs minutes saved per task at least" in out
    assert main([*args, "--hi", "5"]) == 0
    out = capsys.readouterr().out
    assert "not reachable within the allowed range" in out
    assert main([*args, "--hi", "5", "--format", "json"]) == 0
    row = json.loads(capsys.readouterr().out)["breakeven"][0]
    assert row["status"] == "not reachable within the allowed range" and row["value"] is None


@pytest.mark.parametrize("argv, message", [
    (["breakeven", SEED, "--input", "economics.nope"], "not an uncertain input"),
    (["breakeven", SEED, "--input", "data.ood_share", "--target", "prob:7"], "target"),
    (["breakeven", SEED, "--input", "data.ood_share", "--lo", "2", "--hi", "3"],
     "allowed range"),
    (["levers", SEED, "--budget", "-1"], "budget"),
    (["sensitivity", SEED, "--top-k", "0"], "top_k"),
    (["gap", SEED, "--paths", "0"], "paths"),
    (["gap", str(SCENARIOS / "missing.toml")], "cannot read file"),
])
def test_bad_input_exits_2_with_one_line(capsys, argv, message):
    assert main([*argv, "--paths", "200"] if "--paths" not in argv else argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and message in err and "\n" not in err
