"""Kernel throughput against another checkout, side by side: A B A B in one run.

    python benchmarks/kernel_ab.py --old /work/wt/base [--paths 100000] [--months 60]
        [--threads 2 1] [--rounds 3] [--repeats 5] [--own-inputs]

Each side runs in a fresh process with its own source tree on ``PYTHONPATH`` and its own
``NUMBA_CACHE_DIR`` (``ROOT/.numba_cache``), warm (compile excluded), on the seed case's
inputs as the first process samples them (seed 7; so a change of sampling on one side
does not change the work). A round times old then new; a process reports the median of
``--repeats`` calls of the kernel with trajectories stored (as ``simulate()`` runs it), at
each thread count, and a digest of its outputs, so the table also shows that both sides
produced the same bits. The 1-minute load average is recorded with every round.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

WORKER = r"""
import hashlib, json, os, statistics, sys, time
import numba, numpy as np
from simulator import load_scenario
from simulator.engine.layout import prepare
from simulator.simulation import run_kernel, sample_inputs, seeds
n, h, repeats = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
threads = [int(t) for t in sys.argv[4].split(",")]
sc = load_scenario(os.path.join(sys.argv[5], "scenarios", "seed_case.toml"))
shared = sys.argv[6]
if os.path.exists(shared + ".npy"):  # the same sampled inputs on both sides
    x = np.load(shared + ".npy")
    names = json.load(open(shared + ".json"))
else:
    x, names = sample_inputs(sc, n, 7)
    np.save(shared + ".npy", x)
    json.dump(list(names), open(shared + ".json", "w"))
_, k = seeds(7)
m = prepare(sc, x, names, h)
out, traj = run_kernel(m, k, store=True)
digest = hashlib.sha256(out.tobytes() + traj.tobytes()).hexdigest()[:16]
res = {"digest": digest}
for th in threads:
    numba.set_num_threads(th)
    run_kernel(m, k, store=True)
    wall, cpu = [], []
    for _ in range(repeats):
        c, t = time.process_time(), time.perf_counter()
        run_kernel(m, k, store=True)
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    res[th] = {"wall": statistics.median(wall), "cpu": statistics.median(cpu)}
print(json.dumps(res))
"""


def run_side(root: Path, n: int, h: int, repeats: int, threads: list[int],
             shared: str) -> dict:
    """One fresh process on ``root``'s sources and cache: medians per thread count (on
    the inputs saved at ``shared`` by the first process, so both sides run the same)."""
    env = dict(os.environ, PYTHONPATH=str(root), NUMBA_CACHE_DIR=str(root / ".numba_cache"))
    proc = subprocess.run(
        [sys.executable, "-c", WORKER, str(n), str(h), str(repeats),
         ",".join(map(str, threads)), str(root), shared],
        env=env, capture_output=True, text=True, check=True, cwd=str(root))
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old", type=Path, required=True, help="checkout to compare against")
    ap.add_argument("--new", type=Path, default=ROOT)
    ap.add_argument("--paths", type=int, default=100_000)
    ap.add_argument("--months", type=int, default=60)
    ap.add_argument("--threads", type=int, nargs="+", default=[2, 1])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--own-inputs", action="store_true",
                    help="each side samples its own inputs of the seed case (for an old "
                         "commit whose model reads other inputs; digests then differ)")
    a = ap.parse_args(argv)
    rows: dict[str, list] = {"old": [], "new": []}
    loads = []
    tmp = tempfile.TemporaryDirectory()
    shared = os.path.join(tmp.name, "inputs")
    for r in range(a.rounds):
        for side, root in (("old", a.old), ("new", a.new)):
            loads.append(os.getloadavg()[0])
            res = run_side(root.resolve(), a.paths, a.months, a.repeats, a.threads,
                           shared + side if a.own_inputs else shared)
            rows[side].append(res)
            cells = "  ".join(f"{th} thr {res[str(th)]['wall']:.3f} s wall "
                              f"{res[str(th)]['cpu']:.3f} s cpu" for th in a.threads)
            print(f"round {r + 1} {side}: {cells}  digest {res['digest']}  "
                  f"load {loads[-1]:.1f}", flush=True)
    print(f"\n{a.paths:,} paths x {a.months} months, medians over {a.rounds} rounds "
          f"(each a median of {a.repeats}); load {min(loads):.1f}-{max(loads):.1f}")
    pm = a.paths * a.months
    for th in a.threads:
        o = statistics.median(r[str(th)]["wall"] for r in rows["old"])
        nw = statistics.median(r[str(th)]["wall"] for r in rows["new"])
        oc = statistics.median(r[str(th)]["cpu"] for r in rows["old"])
        nc = statistics.median(r[str(th)]["cpu"] for r in rows["new"])
        print(f"{th} thread(s): old {o:.3f} s ({pm / o / 1e6:.1f} M pm/s), new {nw:.3f} s "
              f"({pm / nw / 1e6:.1f} M pm/s), old/new wall {o / nw:.2f}x; "
              f"CPU old {oc:.3f} s new {nc:.3f} s, old/new {oc / nc:.2f}x")
    same = {r["digest"] for r in rows["old"] + rows["new"]}
    if a.own_inputs:
        print("outputs identical within each side:",
              all(len({r["digest"] for r in rows[s]}) == 1 for s in rows))
    else:
        print("outputs identical across sides:", len(same) == 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
