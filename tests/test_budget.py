"""The memory estimate tracks a run's measured peak; runs above the budget are refused with
one line, before anything is computed or written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from simulator import ScenarioError
from simulator.budget import (
    BUDGET_ENV,
    DEFAULT_BUDGET_MB,
    MemoryBudgetError,
    check_run_budget,
    estimate_run_bytes,
    memory_budget_bytes,
)
from simulator.cli import main

ROOT = Path(__file__).resolve().parents[1]

# Peak resident memory of the run alone: compile and warm up first, reset the kernel's
# high-water mark (/proc/self/clear_refs, Linux), then peak minus resident before the run.
_MEASURE = """
import gc, sys
from simulator import load_scenario, simulate
from simulator.budget import estimate_run_bytes

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024

sc = load_scenario(sys.argv[1])
n, h = int(sys.argv[2]), int(sys.argv[3])
if sys.argv[4:] == ["stream"]:  # stream the trajectories even of a medium run
    import simulator.budget
    simulator.budget.STREAM_TRAJECTORY_BYTES = 0
simulate(sc, paths=2048, seed=1, horizon=h).summary
gc.collect()
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
before = status("VmRSS")
res = simulate(sc, paths=n, seed=1, horizon=h)
res.summary
print(status("VmHWM") - before, estimate_run_bytes(sc, n, h))
print(res.trajectories is None, file=sys.stderr)
"""


@pytest.mark.parametrize(("scenario", "paths", "horizon", "mode"), [
    ("seed_case.toml", 200_000, 36, "keep"),  # a medium run: ~290 MiB (support_copilot
    ("seed_case.toml", 300_000, 36, "stream"),  # 150k x 60 measured 289 MiB against 304)
])
def test_estimate_is_within_a_quarter_of_the_measured_peak(scenario, paths, horizon, mode):
    r = subprocess.run([sys.executable, "-c", _MEASURE, str(ROOT / "scenarios" / scenario),
                        str(paths), str(horizon), mode], capture_output=True, text=True,
                       cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stderr
    peak, estimate = (int(v) for v in r.stdout.split())
    assert 0.75 * peak <= estimate <= 1.25 * peak, (peak, estimate)


def test_estimate_grows_with_paths_and_horizon_and_shrinks_without_bands(seed_case):
    base = estimate_run_bytes(seed_case, 10_000, 36)
    assert estimate_run_bytes(seed_case, 20_000, 36) > base
    assert estimate_run_bytes(seed_case, 10_000, 120) > base
    assert estimate_run_bytes(seed_case, 10_000, 36, bands=False) < base


def test_budget_comes_from_argument_then_environment_then_default(monkeypatch):
    monkeypatch.delenv(BUDGET_ENV, raising=False)
    assert memory_budget_bytes() == DEFAULT_BUDGET_MB * 2**20
    monkeypatch.setenv(BUDGET_ENV, "512")
    assert memory_budget_bytes() == 512 * 2**20
    assert memory_budget_bytes(64) == 64 * 2**20
    for bad in ("lots", "-5", "nan", "0"):
        monkeypatch.setenv(BUDGET_ENV, bad)
        with pytest.raises(ScenarioError) as exc:
            memory_budget_bytes()
        assert len(exc.value.problems) == 1 and BUDGET_ENV in exc.value.problems[0]


def test_a_run_above_the_budget_is_one_line(seed_case, monkeypatch):
    monkeypatch.delenv(BUDGET_ENV, raising=False)
    assert check_run_budget(seed_case, 20_000, 36) > 0
    with pytest.raises(MemoryBudgetError) as exc:
        check_run_budget(seed_case, 10_000_000, 120, budget_mb=1024)
    (line,) = exc.value.problems
    assert "10,000,000 paths x 120 months" in line and "budget of 1.0 GiB" in line
    assert BUDGET_ENV in line and "\n" not in str(exc.value)
    # Invalid sizes are left to simulate()'s own one-line checks.
    assert check_run_budget(seed_case, 0, 36, budget_mb=1) == 0


def test_cli_refuses_a_big_run_before_computing_or_writing(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(BUDGET_ENV, "256")
    out = tmp_path / "out"
    code = main(["run", str(ROOT / "scenarios" / "seed_case.toml"), "--paths", "5000000",
                 "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "5,000,000 paths x 36 months" in err
    assert "Traceback" not in err
    assert not out.exists()
