"""``rollout-sim update``: table, json, csv and files; malformed actuals exit 2 with one line."""

from __future__ import annotations

import json
import re

import pandas as pd
from conftest import ROOT, SCENARIOS

from simulator.cli import COMMAND_MODULES, main
from simulator.scenario import LEVERS, MODES

SEED = str(SCENARIOS / "seed_case.toml")
EXAMPLE = str(ROOT / "examples" / "actuals_seed_case.csv")


def test_registered():
    assert "update" in COMMAND_MODULES


def test_update_table(capsys):
    assert main(["update", SEED, "--actuals", EXAMPLE, "--paths", "3000", "--no-levers"]) == 0
    out = capsys.readouterr().out
    for label in ("Paths / ESS", "P(NPV > 0) prior -> posterior", "Diagnosis",
                  "Your actuals ", "Change management", "P(worse than assumed)",
                  "Strongest input", "70th percentile"):
        assert label in out, label
    for key in ("prob_worse", "prior_prob_worse", "confounded_with", "strongest_input"):
        assert key not in out, key  # the reader sees labels, the JSON keeps the keys
    assert not re.search(r"\b(?:data|adoption|integration|improvement|economics)\.[a-z_]+",
                         out.split("Diagnosis", 1)[1])


def test_update_json_levers_and_files(capsys, tmp_path):
    assert main(["update", SEED, "--actuals", EXAMPLE, "--paths", "2000", "--seed", "3",
                 "--format", "json", "--out", str(tmp_path)]) == 0
    doc = json.loads(capsys.readouterr().out)
    s = doc["summary"]
    assert s["posterior"] is True and s["paths"] == 2000 and 0 < s["ess"] <= 2000
    assert s["npv_p10"] <= s["npv_p50"] <= s["npv_p90"]
    diag = doc["diagnosis"]
    assert len(diag["modes"]) == len(MODES) and diag["status"] in {"worse", "inconclusive", "clear"}
    assert 0 < diag["threshold"] < 1 and isinstance(diag["confounded"], list)
    assert all(0 <= m["prob_worse"] <= 1 for m in diag["modes"])
    assert {r["lever"] for r in doc["levers"]} == set(LEVERS)
    bands = pd.read_csv(tmp_path / "posterior_bands.csv")
    assert list(bands.columns) == ["month", "metric", "stat", "value"]
    for name in ("posterior_summary.json", "diagnosis.csv", "diagnosis_inputs.csv",
                 "diagnosis_confounded.csv", "levers.csv"):
        assert (tmp_path / name).stat().st_size > 0
    assert not list(tmp_path.glob("*.tmp"))


def test_update_csv_is_posterior_bands(capsys):
    assert main(["update", SEED, "--actuals", EXAMPLE, "--paths", "1000", "--horizon", "12",
                 "--format", "csv", "--no-levers"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "month,metric,stat,value"
    assert len(lines) == 1 + 13 * 8 * 8


def test_malformed_actuals_exit_2_with_one_line(capsys, tmp_path):
    bad = tmp_path / "bad.csv"
    for text, needle in (("month,registered,active_users\n6,200,250\n",
                          "row 2, column active_users: 250 is above registered 200"),
                         ("month,accuracy\n2,0.9\n1,0.8\n", "row 3, column month"),
                         ("month,accuracy\n2,1.3\n", "row 2, column accuracy: 1.3 is outside"),
                         ("month,active\n2,3\n", "column 'active': unknown column")):
        bad.write_text(text)
        rc = main(["update", SEED, "--actuals", str(bad), "--paths", "500"])
        err = capsys.readouterr().err
        assert rc == 2
        assert needle in err, err
        assert len(err.strip().splitlines()) == 1
        assert "Traceback" not in err
    rc = main(["update", SEED, "--actuals", str(tmp_path / "none.csv"), "--paths", "500"])
    assert rc == 2 and "file not found" in capsys.readouterr().err
    rc = main(["update", SEED, "--actuals", EXAMPLE, "--paths", "500", "--spot-checks", "0"])
    assert rc == 2 and "accuracy_spot_checks" in capsys.readouterr().err
