"""``rollout-sim sweep``: files, output, progress lines, resume and bad input (exit 2)."""

from __future__ import annotations

import json
from unittest import mock

import pandas as pd
import pytest
from conftest import SCENARIOS

from simulator.cli import main
from simulator.sweep import POINT, Sweep, parts_dir, read_table, run_sweep
from simulator.sweep import backends as sweep_run

SEED = str(SCENARIOS / "seed_case.toml")


def test_sweep_prints_a_table_and_plain_progress(capsys):
    assert main(["sweep", SEED, "--vary", "economics.hourly_cost=40,60,80",
                 "--paths", "200", "--metrics", "npv_p50,prob_npv_positive"]) == 0
    cap = capsys.readouterr()
    assert "economics.hourly_cost" in cap.out and "npv_p50" in cap.out
    assert len([ln for ln in cap.out.splitlines() if ln.strip().startswith(("40", "60",
                                                                            "80"))]) == 3
    err = cap.err.splitlines()  # stderr is not a terminal here: plain lines, no bar
    assert err[0] == "sweep: 3 points x 200 paths, seed 7, in-process"
    assert err[-1].startswith("sweep: 3/3 points (100%)")


def test_sweep_json_matches_the_python_api(capsys, seed_case):
    assert main(["sweep", SEED, "--vary", "adoption.cohorts[0].size=log:25:100:3",
                 "--vary", "levers.change_plan.enabled=false,true", "--paths", "150",
                 "--seed", "3", "--format", "json", "--no-progress"]) == 0
    cap = capsys.readouterr()
    assert cap.err == ""
    data = json.loads(cap.out)
    assert list(data) == ["verdict", "points"]
    assert isinstance(data["verdict"], str) and data["verdict"].endswith(".")
    got = pd.DataFrame(data["points"])
    want = run_sweep(Sweep(seed_case, {"adoption.cohorts[0].size": [25, 50, 100],
                                       "levers.change_plan.enabled": [False, True]},
                           paths=150, seed=3))
    assert len(got) == 6
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


def test_sweep_file_with_lhs_design_writes_parquet_and_chart(tmp_path, capsys):
    f = tmp_path / "sweep.toml"
    f.write_text(f"""
[sweep]
scenario = "{SCENARIOS.as_posix()}/seed_case.toml"
design = "lhs"
points = 6
paths = 100
metrics = ["npv_p10", "npv_p50", "npv_p90"]

[sweep.inputs]
"economics.hourly_cost" = {{ range = [40, 80] }}
""")
    out, chart = tmp_path / "res" / "s.parquet", tmp_path / "s.html"
    assert main(["sweep", str(f), "--paths", "120", "--out", str(out), "--chart", str(chart),
                 "--no-progress"]) == 0
    assert f"wrote 6 points to {out}" in capsys.readouterr().out
    t = read_table(out)
    assert list(t.columns) == [POINT, "economics.hourly_cost", "npv_p10", "npv_p50",
                               "npv_p90"]
    assert t["economics.hourly_cost"].between(40, 80).all()
    assert (t["npv_p10"] <= t["npv_p90"]).all()
    assert "vega" in chart.read_text() and not parts_dir(out).exists()


def test_ctrl_c_keeps_points_and_resume_finishes(tmp_path, capsys):
    out = tmp_path / "s.csv"
    args = ["sweep", SEED, "--vary", "economics.hourly_cost=lin:40:80:6", "--paths", "100",
            "--out", str(out)]
    real = sweep_run.evaluate
    calls = {"n": 0}

    def flaky(*a, **k):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return real(*a, **k)

    with mock.patch.object(sweep_run, "evaluate", flaky):
        assert main(args) == 130
    err = capsys.readouterr().err
    assert "rerun with --resume" in err and not out.exists()
    assert main(args) == 2  # parts exist: refuses to start over silently
    assert "--resume" in capsys.readouterr().err
    assert main([*args, "--resume"]) == 0
    err = capsys.readouterr().err
    assert "sweep: 3/6 points (50%)" in err  # picked up where it stopped
    full = tmp_path / "full.csv"
    assert main([*args[:-1], str(full), "--no-progress"]) == 0
    pd.testing.assert_frame_equal(read_table(out), read_table(full), check_exact=True)


@pytest.mark.parametrize("args, message", [
    (["--vary", "economics.hourly_cost=-5,10"],
     "economics.hourly_cost = -5: -5 is below 0 (allowed range [0, 1e+07])"),
    (["--vary", "economics.hourly=1,2"], "economics.hourly: no such input"),
    (["--vary", "pilot.accuracy=lin:0.8:0.9:0"], "pilot.accuracy: empty range"),
    (["--vary", "pilot.accuracy"], "expected PATH=VALUES"),
    (["--vary", "pilot.accuracy=range:0.8:0.9"], "needs design = \"lhs\""),
    (["--vary", "pilot.accuracy=0.9", "--metrics", "npv_p51"], "'npv_p51' is not a summary"),
    (["--vary", "pilot.accuracy=0.9", "--out", "x.xlsx"], "unknown format '.xlsx'"),
    (["--vary", "pilot.accuracy=0.9", "--chart", "x.pdf"], "unknown format '.pdf'"),
    (["--vary", "pilot.accuracy=0.9", "--resume"], "--resume needs --out"),
    (["--vary", "pilot.accuracy=0.9", "--workers", "0"], "workers: 0"),
    (["--vary", "pilot.accuracy=0.9", "--set", "pilot.accuracy=3"], "pilot.accuracy"),
])
def test_bad_sweeps_exit_2_with_one_line_before_running(args, message, capsys, tmp_path,
                                                        monkeypatch):
    monkeypatch.chdir(tmp_path)
    with mock.patch.object(sweep_run, "simulate") as sim:
        assert main(["sweep", SEED, *args]) == 2
    sim.assert_not_called()
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1, err
    assert list(tmp_path.iterdir()) == []
