"""`python -m simulator.warm --serve` prepares the server process before it listens: the first
visitor's default view is a cache hit with its chart specs built, and Streamlit then serves
app.py in that same process."""

from __future__ import annotations

import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

from simulator import warm
from simulator.ui import rollout, runner, session

ROOT = Path(__file__).resolve().parents[1]


def test_the_first_default_view_after_prime_simulates_nothing():
    runner.CACHE.clear()
    assert warm.prime() > 0
    assert len(runner.CACHE) == 1 and runner.spinner_message() == runner.RUN_MESSAGE
    misses = runner.CACHE.misses
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()  # app defaults
    assert not at.exception, [e.value for e in at.exception]
    assert runner.CACHE.misses == misses  # the default view was ready
    res = runner.run_toml(at.session_state[rollout.CURRENT], session.DEFAULT_PATHS,
                          session.DEFAULT_SEED)
    assert set(res.meta["chart_specs"]) >= {"active_share", "active_users", "accuracy",
                                            "cum_net", "npv"}
    assert len(at.get("vega_lite_chart")) == 4
    runner.CACHE.clear()


def test_serve_prepares_then_runs_streamlit_in_process(monkeypatch):
    calls = []
    monkeypatch.setattr(warm, "prime", lambda: calls.append("prime") or 0.5)
    from streamlit.web import cli

    def fake_main(prog_name):
        calls.append((prog_name, list(sys.argv)))
        return 0

    monkeypatch.setattr(cli, "main", fake_main)
    monkeypatch.setattr(sys, "argv", ["x"])
    assert warm.main(["--serve", "streamlit", "run", "app.py", "--server.port", "9999"]) == 0
    assert warm.main(["--serve", "--server.port", "9998"]) == 0  # options only: app.py
    assert calls == ["prime", ("streamlit", ["streamlit", "run", "app.py", "--server.port",
                                             "9999"]),
                     "prime", ("streamlit", ["streamlit", "run", str(ROOT / "app.py"),
                                             "--server.port", "9998"])]
