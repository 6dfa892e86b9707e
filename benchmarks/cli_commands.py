"""Every CLI command at 20,000 paths, two checkouts side by side (A B A B ...).

    python benchmarks/cli_commands.py OLD_CHECKOUT NEW_CHECKOUT [--runs 2] [--paths 20000]

Each command runs as a whole process (``python -m simulator.cli``) with the checkout on
PYTHONPATH and its own warmed kernel cache (``<checkout>/.numba_cache``), old and new in
turn, so drift in the shared machine's load hits both alike. Reports per command the
median wall and CPU seconds of each, the new/old ratio of the medians, the peak resident
memory (from the operating system's accounting of each finished child) and the
1-minute load average seen during the runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCENARIO = "scenarios/seed_case.toml"


def commands(paths: int, out: str) -> dict[str, list[str]]:
    p = ["--paths", str(paths)]
    return {
        "run": ["run", SCENARIO, *p],
        "gap": ["gap", SCENARIO, *p],
        "sensitivity": ["sensitivity", SCENARIO, *p],
        "breakeven": ["breakeven", SCENARIO, *p, "--input",
                      "economics.minutes_saved_per_task"],
        "levers": ["levers", SCENARIO, *p],
        "voi": ["voi", SCENARIO, *p],
        "export deck+workbook": ["export", SCENARIO, *p, "--pptx", f"{out}/d.pptx",
                                 "--xlsx", f"{out}/w.xlsx"],
    }


def run_once(checkout: Path, args: list[str]) -> tuple[float, float, float, int]:
    """(wall s, cpu s, peak RSS MB, exit status) of one CLI process."""
    env = dict(os.environ, PYTHONPATH=str(checkout), MPLBACKEND="Agg",
               NUMBA_CACHE_DIR=str(checkout / ".numba_cache"))
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "simulator.cli", *args], cwd=checkout,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024, proc.returncode


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("old", type=Path)
    ap.add_argument("new", type=Path)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--paths", type=int, default=20_000)
    ap.add_argument("--only", nargs="*")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as out:
        for checkout in (a.old, a.new):  # load (or compile) the kernels first
            run_once(checkout, ["run", SCENARIO, "--paths", "200"])
        print("| command | old wall s | new wall s | new/old wall | old CPU s | new CPU s | "
              "new/old CPU | old / new peak MB | load (1 min) |")
        print("|---|---|---|---|---|---|---|---|---|")
        for name, args in commands(a.paths, out).items():
            if a.only and name not in a.only:
                continue
            res: dict[Path, list] = {a.old: [], a.new: []}
            loads = []
            for _ in range(a.runs):
                for checkout in (a.old, a.new):
                    res[checkout].append(run_once(checkout, args))
                    loads.append(os.getloadavg()[0])
            med = {c: [statistics.median(r[k] for r in v) for k in range(3)]
                   for c, v in res.items()}
            bad = [r[3] for v in res.values() for r in v if r[3] != 0]
            o, n = med[a.old], med[a.new]
            print(f"| {name} | {o[0]:.1f} | {n[0]:.1f} | {n[0] / o[0]:.2f} | {o[1]:.1f} | "
                  f"{n[1]:.1f} | {n[1] / o[1]:.2f} | {o[2]:.0f} / {n[2]:.0f} | "
                  f"{min(loads):.1f}-{max(loads):.1f}{' EXIT ' + str(bad) if bad else ''} |",
                  flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
