"""Sweep throughput: points per second in-process vs a local Dask cluster.

    python benchmarks/sweep_bench.py                 # 1 000 points x 2 000 paths, 3 runs
    python benchmarks/sweep_bench.py --points 100 --repeats 1     # a quick check

The sweep is a grid over build cost x platform cost of the source case (metrics: NPV
P10/P50/P90, mean, P(NPV > 0)). Each backend runs it ``--repeats`` times after a warm-up
(numba's cache loaded everywhere); the cluster is started once and its start-up time is
reported separately. Prints a Markdown table and writes JSON
(default benchmarks/out/sweep.json). Also checks the tables are identical.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from machine import machine  # noqa: E402  (imports numba lazily)


def make_sweep(points: int, paths: int, seed: int):
    from simulator import load_scenario
    from simulator.sweep import Sweep

    # exactly ``points`` points: a x b with a the largest divisor <= sqrt(points)
    a = max(d for d in range(1, math.isqrt(max(points, 1)) + 1) if points % d == 0)
    b = points // a
    sw = Sweep(load_scenario(ROOT / "scenarios" / "seed_case.toml"),
               {"economics.build_cost": f"lin:100000:400000:{a}",
                "economics.platform_monthly": f"lin:2000:11000:{b}"},
               paths=paths, seed=seed)
    return sw.plan()


def timed(plan, backend, repeats: int) -> tuple[list[float], object]:
    from simulator.sweep import run_sweep

    times, table = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        table = run_sweep(plan, backend=backend)
        times.append(time.perf_counter() - t)
    return times, table


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=1_000, help="points in the sweep (1000)")
    ap.add_argument("--paths", type=int, default=2_000, help="paths per point (2000)")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per backend (3)")
    ap.add_argument("--workers", type=int, default=2, help="local Dask workers (2)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", default=str(ROOT / "benchmarks" / "out" / "sweep.json"))
    args = ap.parse_args(argv)

    from simulator.atomic import atomic_write_text
    from simulator.sweep import InProcess, LocalDask, run_sweep

    info = machine()
    plan = make_sweep(args.points, args.paths, args.seed)
    warm = make_sweep(4, 200, args.seed)
    n = plan.n_points
    t0 = time.perf_counter()
    plan_again = make_sweep(args.points, args.paths, args.seed)
    plan_s = time.perf_counter() - t0
    assert plan_again.n_points == n

    run_sweep(warm, backend=InProcess())
    in_times, in_table = timed(plan, InProcess(), args.repeats)

    t0 = time.perf_counter()
    with LocalDask(args.workers) as cluster:
        start_s = time.perf_counter() - t0
        run_sweep(warm, backend=cluster)  # workers load numba's cache
        dk_times, dk_table = timed(plan, cluster, args.repeats)
    identical = bool(in_table.equals(dk_table))

    rows = []
    for name, times in (("in-process", in_times),
                        (f"local Dask, {args.workers} workers", dk_times)):
        med = statistics.median(times)
        rows.append({"backend": name, "points": n, "paths_per_point": args.paths,
                     "median_s": med, "points_per_s": n / med,
                     "runs_s": [round(t, 3) for t in times]})
    result = {"machine": info, "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
              "plan_and_validate_s": plan_s, "cluster_start_s": start_s, "results": rows,
              "identical_tables": identical}
    print(f"Sweep throughput ({n} points x {args.paths:,} paths, median of "
          f"{args.repeats}; {info['cpu']}, {info['cores']} cores, {info['date']})\n")
    print("| backend | points | paths/point | median s | points/s | runs (s) |")
    print("|---|---:|---:|---:|---:|---|")
    for r in rows:
        print(f"| {r['backend']} | {r['points']} | {r['paths_per_point']:,} | "
              f"{r['median_s']:.2f} | {r['points_per_s']:.1f} | "
              f"{', '.join(f'{t:.2f}' for t in r['runs_s'])} |")
    print(f"\nvalidate + build points: {plan_s:.2f} s; cluster start-up: {start_s:.2f} s; "
          f"tables identical: {identical}")
    out = Path(args.json)
    atomic_write_text(out, json.dumps(result, indent=2))
    print(f"wrote {out}")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
