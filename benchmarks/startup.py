"""Where a CLI process's fixed start-up goes: CPU seconds of each import stage and of the
first kernel call, in a fresh interpreter per repeat, for one or two checkouts.

    python benchmarks/startup.py [CHECKOUT ...] [--runs 3] [--command gap]

Each stage is measured with ``time.process_time`` (user + system of this process, far less
sensitive than wall time to a shared machine's load); the stages run in the order a
command meets them, so each figure is what that stage adds to the ones before. The
checkout is put first on ``sys.path`` and uses its own ``<checkout>/.numba_cache`` (warm
it first: ``python -m simulator.warm``). Prints one table row per checkout: medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

#: Run in the child: (stage, code) in order; the last stages are the CLI's own work.
STAGES = [
    ("numpy", "import numpy"),
    ("scipy.special", "import scipy.special"),
    ("scipy.stats", "import scipy.stats, scipy.stats.sampling"),
    ("pandas", "import pandas"),
    ("numba", "import numba"),
    ("simulator", "import simulator"),
    ("CLI parser", "import simulator.cli as cli\ntry:\n    cli.build_parser(COMMAND)\n"
                   "except TypeError:  # before the parser of one command\n"
                   "    cli.build_parser()"),
    ("scenario", "sc = simulator.load_scenario('scenarios/seed_case.toml')"),
    ("first run, 200 paths (kernel load)", "simulator.simulate(sc, paths=200, seed=1)"),
    ("second run, 200 paths", "simulator.simulate(sc, paths=200, seed=2)"),
]

CHILD = """
import json, sys, time
COMMAND = {command!r}
out = {{}}
for name, code in {stages!r}:
    c = time.process_time()
    exec(code)
    out[name] = time.process_time() - c
out["modules loaded"] = len(sys.modules)
print(json.dumps(out))
"""


def run_once(checkout: Path, command: str) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(checkout), MPLBACKEND="Agg",
               NUMBA_CACHE_DIR=str(checkout / ".numba_cache"))
    code = CHILD.format(command=command, stages=STAGES)
    r = subprocess.run([sys.executable, "-c", code], cwd=checkout, env=env, check=True,
                       capture_output=True, text=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("checkouts", nargs="*", type=Path, default=[Path(".")])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--command", default="gap", help="whose CLI parser is built (gap)")
    a = ap.parse_args()
    res: dict[Path, list[dict[str, float]]] = {c: [] for c in a.checkouts}
    loads = []
    for _ in range(a.runs):
        for c in a.checkouts:  # in turn, so drift in the machine's load hits all alike
            res[c].append(run_once(c.resolve(), a.command))
            loads.append(os.getloadavg()[0])
    names = [n for n, _ in STAGES]
    print("| checkout | " + " | ".join(names) + " | total CPU s | modules |")
    print("|---" * (len(names) + 3) + "|")
    for c, runs in res.items():
        med = [statistics.median(r[n] for r in runs) for n in names]
        mods = statistics.median(r["modules loaded"] for r in runs)
        print(f"| {c} | " + " | ".join(f"{m:.3f}" for m in med)
              + f" | {sum(med):.2f} | {mods:.0f} |")
    print(f"\n{a.runs} runs each, medians of process CPU seconds; load (1 min) "
          f"{min(loads):.1f}-{max(loads):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
