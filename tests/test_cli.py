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


#: Minimal short files: the rest of every input from a template, or from a reference class.
_SHORT_FILES = {
    "template": 'template = "seed_case"\n[scenario]\nname = "Mini"\n'
                '[economics]\nhourly_cost = 60.0\n',
    "class": 'reference_class = "support_assistant"\n[scenario]\nname = "Mini"\n'
             '[pilot]\nusers = 10\n[[adoption.cohorts]]\nname = "Agents"\nsize = 100\n',
}


def _validate_counts(capsys, path: str) -> dict[str, int]:
    """The input counts ``validate`` prints: header, provenance line, table and JSON."""
    import re

    assert main(["validate", path, "--inputs"]) == 0
    lines = capsys.readouterr().out.splitlines()
    head = re.search(r": (\d+) inputs \((\d+) uncertain, (\d+) from your file\)", lines[0])
    prov = re.fullmatch(r"(\d+) of (\d+) inputs are from your file(?: \((.*)\))?", lines[1])
    assert head and prov, lines[:2]
    rest = sum(int(part.rsplit(": ", 1)[1]) for part in (prov[3] or "").split("; ") if part)
    assert main(["validate", path, "--format", "json"]) == 0
    js = json.loads(capsys.readouterr().out)
    assert main(["validate", path, "--inputs", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["inputs"]
    return {"header": int(head[1]), "header_own": int(head[3]), "provenance": int(prov[2]),
            "provenance_own": int(prov[1]), "provenance_parts": int(prov[1]) + rest,
            "table": len(lines) - 3, "json": js["inputs"], "json_own": js["from_file"],
            "json_rows": len(rows), "json_rows_own": sum(r["source"] == "file" for r in rows),
            "uncertain": int(head[2]), "json_uncertain": js["uncertain"]}


@pytest.mark.parametrize("path", sorted(str(p.relative_to(SCENARIOS))
                                        for p in SCENARIOS.rglob("*.toml")))
def test_validate_counts_one_set_of_inputs_for_every_shipped_scenario(capsys, path):
    """The header's total, the provenance line's, the table's rows and the JSON's are one
    count (every input the model reads: simulated and usage intensity), and so are the
    inputs from the user's file."""
    c = _validate_counts(capsys, str(SCENARIOS / path))
    assert c["header"] == c["provenance"] == c["provenance_parts"] == c["table"] == c[
        "json"] == c["json_rows"] > 0, c
    assert c["header_own"] == c["provenance_own"] == c["json_own"] == c["json_rows_own"], c
    assert c["uncertain"] == c["json_uncertain"] <= c["header"], c


@pytest.mark.parametrize("kind", sorted(_SHORT_FILES))
def test_validate_counts_one_set_of_inputs_for_a_minimal_short_file(capsys, tmp_path, kind):
    f = tmp_path / "short.toml"
    f.write_text(_SHORT_FILES[kind])
    c = _validate_counts(capsys, str(f))
    assert c["header"] == c["provenance"] == c["provenance_parts"] == c["table"] == c[
        "json"] == c["json_rows"] > 0, c
    assert c["header_own"] == c["provenance_own"] == c["json_own"] == c["json_rows_own"], c
    assert c["header_own"] == (1 if kind == "template" else 0), c  # hourly_cost; pilot.users
    # is a setting, not a counted input
