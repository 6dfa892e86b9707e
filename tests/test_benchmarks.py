"""The benchmark script's quick mode runs and writes valid JSON (no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_quick_benchmark_writes_json(tmp_path):
    out = tmp_path / "bench.json"
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick",
                        "--json", str(out)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    data = json.loads(out.read_text())
    for key in ("machine", "throughput", "cold_start", "reference", "pure_python", "floor",
                "latency", "memory", "bands"):
        assert key in data, key
    assert all(row["path_months_per_s"] > 0 for row in data["throughput"])
    assert data["floor"][0]["draws"] > 0
    assert 0 < data["floor"][0]["model_share_of_floor"]
    assert data["bands"]["speedup"] > 0
    assert "Throughput" in r.stdout
