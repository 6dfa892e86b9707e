"""The app's server-side timing log (for benchmarks/load_app.py): one line per script run when
ROLLOUT_SIM_RERUN_LOG names a file, nothing at all otherwise."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from simulator.ui import controls, session, timing
from simulator.ui.controls import widget_key

ROOT = Path(__file__).resolve().parents[1]


def _app() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state[session.PATHS] = 300
    return at


def test_each_run_logs_its_script_and_simulation_time(tmp_path, monkeypatch, seed_case):
    log = tmp_path / "runs.jsonl"
    monkeypatch.setenv(timing.ENV, str(log))
    at = _app().run()
    assert not at.exception
    at.session_state[session.SEED] = 12345  # a new result: the runner simulates
    at.run()
    at.run()  # unchanged inputs: a cached result
    runs = timing.read_log(log)
    assert len(runs) == 3
    assert all(r["outcome"] == "done" for r in runs)
    assert all(0 <= r["simulate_s"] <= r["script_s"] for r in runs)
    assert runs[0]["end"] <= runs[1]["end"] <= runs[2]["end"]
    assert runs[2]["simulate_s"] < runs[1]["simulate_s"]  # a cache hit against a simulation
    # Invalid inputs: the message is shown over the last valid results (issue 28), so the run
    # ends normally, logged, without simulating anything new.
    tok = controls.scenario_token(seed_case)
    at.session_state[widget_key(tok, "economics.hourly_cost", "low")] = 1e9
    at.run()
    runs = timing.read_log(log)
    assert len(runs) == 4 and runs[-1]["outcome"] == "done"
    assert runs[-1]["simulate_s"] < runs[1]["simulate_s"]
    assert at.error  # the problem is shown, as without the log


def test_nothing_is_written_without_the_variable(tmp_path, monkeypatch):
    monkeypatch.delenv(timing.ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    at = _app().run()
    assert not at.exception
    assert timing.end() is None and list(tmp_path.iterdir()) == []
    assert timing.read_log(tmp_path / "absent.jsonl") == []
