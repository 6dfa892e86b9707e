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
