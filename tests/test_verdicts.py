"""Every analysis ends in a sentence: the CLI's JSON has a ``verdict``; saturated and
do-nothing answers say why; plain tables speak in labels, not scenario keys."""

from __future__ import annotations

import json
import math
import re

import pytest

from simulator.cli import main
from simulator.scenario import LEVERS

SEED = "scenarios/seed_case.toml"
STAGED = "scenarios/seed_case_staged.toml"
#: Every lever made so costly that switching any on only loses, and a case so good that
#: holding or stopping a wave only loses: no gate can beat the plan.
GATING_LOSES = ["--set", "economics.minutes_saved_per_task=40",
                "--set", "levers.variability_testing.cost=1e8",
                "--set", "levers.load_testing.cost=1e8",
                "--set", "levers.change_plan.cost=1e8",
                "--set", "levers.feedback_loop.setup_cost=1e8",
                "--set", "levers.human_review.reviewer_hourly_cost=1e6"]


def _json(capsys, argv: list[str]) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_voi_when_one_decision_is_best_everywhere_says_nothing_is_worth_learning(capsys):
    # 40 minutes saved per task: going is far better than no-go on every path
    out = _json(capsys, ["voi", SEED, "--paths", "600", "--sobol-n", "0", "--no-portfolios",
                         "--set", "economics.minutes_saved_per_task=40", "--format", "json"])
    assert out["evpi"] >= 0
    assert all(e["value"] >= 0 for e in out["evppi"])
    shares = [e["share_of_evpi"] for e in out["evppi"]]
    assert shares and all(s is not None and math.isfinite(s) for s in shares)
    assert all(e["value"] >= 0 for e in out["evsi"])
    assert "Nothing is worth learning" in out["verdict"]
    assert "go as written" in out["verdict"]


def test_gate_design_names_the_best_design_on_the_staged_case(capsys):
    out = _json(capsys, ["gates", STAGED, "--design", "--paths", "1000", "--format", "json"])
    best = out["best"]
    assert {"month", "action", "threshold", "gain_held_out", "gain_held_out_se"} <= set(best)
    assert best["month"] == 3  # the month before Wave 2 starts
    assert out["verdict"].startswith("Gate at the end of month 3")
    assert out["gate_worth_it"] is True
    # the held-out gain is more than two paired standard errors above zero
    assert best["gain_held_out"] > 2 * best["gain_held_out_se"]
    actions = {d["action"] for d in out["designs"]}
    assert actions == {"hold", "stop", "switch_levers"}
    n_subsets = (1 << len(LEVERS)) - 1  # every lever is off in the staged case
    assert len(out["designs"]) == best["designs_compared"]
    assert len({(d["action"], d["levers"]) for d in out["designs"]}) == 2 + n_subsets


def test_gate_design_says_do_not_gate_when_gating_only_loses(capsys):
    out = _json(capsys, ["gates", STAGED, "--design", "--paths", "1000", "--format", "json",
                         *GATING_LOSES])
    assert out["gate_worth_it"] is False
    assert out["verdict"].startswith("Do not gate")
    assert max(d["gain_mean"] for d in out["designs"]) <= 0


_KEY = re.compile(r"\b(?:scenario|pilot|data|improvement|integration|adoption|economics|"
                  r"levers|gates)\.[a-z_]+")
_ABBREV = re.compile(r"\b(?:VT|LT|CP|FB)\b")


@pytest.mark.parametrize("argv", [
    ["gap", SEED, "--paths", "400", "--bootstrap", "5"],
    ["levers", SEED, "--paths", "400"],
    ["sensitivity", SEED, "--paths", "400", "--top-k", "3", "--spider-k", "2"],
    ["breakeven", SEED, "--paths", "400", "--input", "economics.minutes_saved_per_task"],
])
def test_cli_tables_speak_in_labels_and_json_keeps_the_keys(capsys, argv):
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert text.startswith("Verdict: ") or "\nVerdict: " in text
    assert not _KEY.search(text), _KEY.search(text)
    assert not _ABBREV.search(text), _ABBREV.search(text)
    assert argv[0] == "breakeven" or "USD" in text
    out = _json(capsys, [*argv, "--format", "json"])
    assert isinstance(out["verdict"], str) and out["verdict"].endswith(".")
    raw = json.dumps(out)
    if argv[0] in ("sensitivity", "breakeven"):
        assert "economics.minutes_saved_per_task" in raw  # the keys stay for scripts


def test_saturated_run_says_what_is_fixed(capsys):
    out = _json(capsys, ["run", "scenarios/seed_case_all_levers.toml", "--paths", "500",
                         "--set", "economics.minutes_saved_per_task=40", "--format", "json"])
    assert out["prob_npv_positive"] == 1.0
    assert "every simulated path" in out["verdict"]
    assert "fixed numbers" in out["verdict"]
    assert "100%" not in out["verdict"]
