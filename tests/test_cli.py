"""The ``rollout-sim`` run command: table, json, csv, files and bad input."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import SCENARIOS

from simulator.cli import main

SEED = str(SCENARIOS / "seed_case.toml")


def test_run_table(capsys):
    assert main(["run", SEED, "--paths", "2000"]) == 0
    out = capsys.readouterr().out
    for label in ("P(NPV > 0)", "NPV P10 / P50 / P90", "ROI P10 / P50 / P90", "Payback",
                  "Active rate month 6", "Expectation gap"):
        assert label in out


def test_run_json_and_files(capsys, tmp_path):
    assert main(["run", SEED, "--paths", "1500", "--seed", "3", "--format", "json",
                 "--set", "adoption.cohorts[0].size=120", "--out", str(tmp_path)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["paths"] == 1500 and summary["seed"] == 3
    assert summary["npv_p10"] <= summary["npv_p50"] <= summary["npv_p90"]
    paths = pd.read_csv(tmp_path / "paths.csv")
    assert len(paths) == 1500 and "npv" in paths
    bands = pd.read_csv(tmp_path / "bands.csv")
    assert list(bands.columns) == ["month", "metric", "stat", "value"]
    assert json.loads((tmp_path / "summary.json").read_text())["npv_p50"] == pytest.approx(
        summary["npv_p50"])


def test_run_csv(capsys):
    assert main(["run", SEED, "--paths", "500", "--format", "csv", "--horizon", "12"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "metric,value"
    assert any(line.startswith("horizon_months,12") for line in lines)


@pytest.mark.parametrize("args, message", [
    (["--set", "data.ood_share=1.5"], "data.ood_share: 1.5 is above 1"),
    (["--set", "nonsense"], "expected PATH=VALUE"),
    (["--paths", "0"], "paths: 0 is below 1"),
    (["--horizon", "200"], "horizon: 200 is above 120"),
])
def test_bad_input_exits_2_with_one_line(capsys, args, message):
    assert main(["run", SEED, *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_missing_file(capsys, tmp_path):
    assert main(["validate", str(tmp_path / "nope.toml")]) == 2
    assert "cannot read file" in capsys.readouterr().err
