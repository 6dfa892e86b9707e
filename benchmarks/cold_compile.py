"""First ``run`` from an empty kernel cache, two checkouts side by side (A B A B ...).

    python benchmarks/cold_compile.py OLD_CHECKOUT NEW_CHECKOUT [--runs 2] [--paths 20000]

Each run is a whole CLI process (``simulator.cli.main``) with the checkout on PYTHONPATH
and a fresh temporary NUMBA_CACHE_DIR. Reports per run the wall seconds, the CPU seconds
(user + sys) of the CLI process itself and of the processes it waited for (a second
compile process), the compile progress lines, and the 1-minute load average. Compiling is
single-threaded, so on a quiet machine the wall time is about the longest chain of CPU
work: the CLI process's own CPU, or the second process's CPU after it started, whichever
ends last (``chain``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Runs the CLI, then prints this process's and its children's CPU seconds as JSON; notes
# this process's CPU when a second compile process starts (if the checkout has one).
WRAPPER = """
import json, resource, sys, time
started = []
try:
    import simulator.kernel_compile as kc
    if hasattr(kc, "_start_worker"):
        real = kc._start_worker
        def spy(*a, **k):
            started.append(time.process_time())
            return real(*a, **k)
        kc._start_worker = spy
except ImportError:
    pass
from simulator.cli import main
rc = main(sys.argv[1:])
me = resource.getrusage(resource.RUSAGE_SELF)
ch = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": rc, "self": me.ru_utime + me.ru_stime,
                  "children": ch.ru_utime + ch.ru_stime,
                  "started": started[0] if started else None}), file=sys.stderr)
"""


def one(checkout: Path, paths: int) -> dict:
    cache = tempfile.mkdtemp(prefix="cold_compile_")
    env = {**os.environ, "PYTHONPATH": str(checkout), "NUMBA_CACHE_DIR": cache,
           "MPLBACKEND": "Agg"}
    load0 = os.getloadavg()[0]
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", WRAPPER, "run", "scenarios/seed_case.toml",
                           "--paths", str(paths)], cwd=checkout, env=env,
                          capture_output=True, text=True)
    wall = time.perf_counter() - t
    shutil.rmtree(cache, ignore_errors=True)
    lines = proc.stderr.strip().splitlines()
    stats = json.loads(lines[-1])
    if proc.returncode != 0 or stats["rc"] != 0:
        raise SystemExit(f"{checkout}: failed\n{proc.stderr}")
    chain = stats["self"]
    if stats["started"] is not None:
        chain = max(chain, stats["started"] + stats["children"])
    return {"wall": wall, "cpu": stats["self"] + stats["children"], "self": stats["self"],
            "children": stats["children"], "chain": chain,
            "load": (load0, os.getloadavg()[0]),
            "progress": [x.strip() for x in lines[:-1] if x.lstrip().startswith("[")]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old", type=Path)
    ap.add_argument("new", type=Path)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--paths", type=int, default=20_000)
    args = ap.parse_args()
    got: dict[str, list[dict]] = {"old": [], "new": []}
    for _ in range(args.runs):
        for label in ("old", "new"):
            r = one(getattr(args, label).resolve(), args.paths)
            got[label].append(r)
            print(f"{label}: wall {r['wall']:.1f} s, CPU {r['cpu']:.1f} s (CLI process "
                  f"{r['self']:.1f}, second process {r['children']:.1f}), chain "
                  f"{r['chain']:.1f} s, load {r['load'][0]:.1f}-{r['load'][1]:.1f}; "
                  f"{'; '.join(r['progress'])}", flush=True)
    med = {k: {m: statistics.median(r[m] for r in v) for m in ("wall", "cpu", "chain")}
           for k, v in got.items()}
    for m in ("wall", "cpu", "chain"):
        print(f"median {m}: old {med['old'][m]:.1f} s, new {med['new'][m]:.1f} s, "
              f"new/old {med['new'][m] / med['old'][m]:.2f}")


if __name__ == "__main__":
    main()
