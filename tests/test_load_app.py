"""The app load benchmark's bookkeeping: percentiles and the recorded RESULTS.md section.
The browser run itself takes minutes and is run by hand; no timing is asserted anywhere."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _module():
    spec = importlib.util.spec_from_file_location("load_app", ROOT / "benchmarks" /
                                                  "load_app.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_percentiles_and_recorded_section():
    la = _module()
    p = la.pct([1.0, 2.0, 3.0, 4.0, 10.0])
    assert p["n"] == 5 and p["p50"] == 3.0 and p["max"] == 10.0 and 4.0 < p["p95"] < 10.0
    assert la.pct([]) == {}
    res = {"machine": {"date": "2026-01-01T00:00:00+00:00", "cpu": "cpu", "cores": 2,
                       "load_1min_at_start": 1.0, "command": "python load_app.py"},
           "sessions": 8, "paths": 10_000, "distinct_seeds": True, "label": "x",
           "warm_s": 2.0, "first_render_s": p, "update_s": p, "server_rss_peak_mb": 500,
           "server_cpu_s": 9.5, "page_exceptions": 1, "server_tracebacks": 2,
           "session_errors": ["TimeoutError"]}
    md = la.markdown(res)
    assert "### 8 session(s), 10,000 paths, distinct seeds, x" in md
    row = md.strip().splitlines()[-1]
    assert row.startswith("| 3.0 / ") and row.endswith("| 500 MB | 9.5 | 4 |")


def test_server_runs_split_first_renders_from_updates(tmp_path):
    la = _module()
    log = tmp_path / "runs.jsonl"
    rows = [("a", 1.0, 2.0, 1.5), ("b", 2.0, 3.0, 2.5), ("a", 3.0, 0.5, 0.25),
            ("a", 4.0, 0.25, 0.0), ("b", 5.0, 0.75, 0.5)]
    log.write_text("".join(
        f'{{"session": "{s}", "end": {e}, "script_s": {t}, "simulate_s": {m}, '
        f'"outcome": "done"}}\n' for s, e, t, m in rows))
    runs = la.server_runs(log)
    assert runs["server_runs"] == 5 and runs["server_script_total_s"] == 6.5
    assert runs["server_first_run_s"]["n"] == 2 and runs["server_first_run_s"]["max"] == 3.0
    assert runs["server_update_run_s"]["n"] == 3 and runs["server_update_run_s"]["p50"] == 0.5
    assert la.server_runs(tmp_path / "absent.jsonl")["server_runs"] == 0
    md = la._server_line({**runs})
    assert "5 runs, 6.5 s in all" in md and "update p50 / p95 / max 0.5 /" in md
    assert la._server_line({"server_runs": 0}) == ""
    line = la._machine_line({"wall_s": 60.0, "machine_busy_cpu_s": 110.0, "machine_cpu_s": 120.0,
                             "server_cpu_s": 15.0, "browser_cpu_s_lower_bound": 12.0})
    assert "110.0 of 120.0 CPU seconds busy (server 15.0" in line
    assert la._machine_line({}) == ""


def test_protocol_clients_drive_the_real_server():
    """One protocol page against the app served as ``make run`` serves it: a first render with
    its four charts, then its own seed and one slider step, reruns the server logged and
    simulated (inputs no run had before); no error, no exception. No timing is asserted."""
    la = _module()
    res = la.run(la.parse_args(["--client", "protocol", "--sessions", "1", "--changes", "1"]))
    assert res["session_errors"] == [] and res["page_exceptions"] == 0
    assert res["server_tracebacks"] == 0
    assert res["first_render_s"]["n"] == 1 and res["update_s"]["n"] == 2
    assert res["server_runs"] == 3 and res["server_update_run_s"]["n"] == 2
    assert res["server_compute_s"]["n"] == 3 and res["server_compute_s"]["p50"] > 0
    assert res["client"] == "protocol" and "protocol clients" in la.markdown(res)
