"""Workbook export against the simulation it exports, side by side in one process.

    python benchmarks/workbook_bench.py --paths 20000 --repeats 3

Times (medians): ``simulate()`` at the given size (warm), the whole workbook, the workbook
without the Paths sheet, and so the Paths sheet alone (the difference); then the ratio
Paths sheet / simulate, whose target is at most 10. Writes JSON (default
benchmarks/out/workbook.json) with the machine facts.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from machine import machine  # noqa: E402

from simulator import load_scenario, simulate  # noqa: E402
from simulator.atomic import atomic_write_text  # noqa: E402
from simulator.export.workbook import workbook_bytes  # noqa: E402

SCENARIO = ROOT / "scenarios" / "seed_case.toml"


def _median(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paths", type=int, default=20_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "workbook.json")
    args = ap.parse_args(argv)
    sc = load_scenario(SCENARIO)
    simulate(sc, paths=200, seed=1)  # JIT / cache warm-up
    t_sim, res = _median(lambda: simulate(sc, paths=args.paths, seed=7), args.repeats)
    t_all, data = _median(lambda: workbook_bytes(res), args.repeats)
    t_rest, _ = _median(lambda: workbook_bytes(res, paths_sheet=False), args.repeats)
    t_paths = t_all - t_rest
    result = {"machine": machine(), "paths": args.paths, "repeats": args.repeats,
              "simulate_s": t_sim, "workbook_s": t_all, "workbook_without_paths_s": t_rest,
              "paths_sheet_s": t_paths, "paths_sheet_over_simulate": t_paths / t_sim,
              "workbook_over_simulate": t_all / t_sim, "workbook_mb": len(data) / 1e6}
    print(f"paths {args.paths:,}: simulate {t_sim:.2f} s, workbook {t_all:.2f} s "
          f"({len(data) / 1e6:.1f} MB), without Paths {t_rest:.2f} s; Paths sheet "
          f"{t_paths:.2f} s = {t_paths / t_sim:.1f}x simulate (target <= 10x)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out, json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
