"""``sweep``: run a scenario over a grid or Latin hypercube of input values.

    rollout-sim sweep scenarios/seed_case.toml \\
        --vary levers.feedback_loop.capture_rate=lin:0.1:0.6:6 \\
        --vary adoption.cohorts[0].size=50,100,200 --paths 2000 --out sweep.parquet

FILE is a scenario (then ``--vary`` names the inputs) or a sweep file with a ``[sweep]``
table (see docs/sweeps.md); options given on the command line override the file's.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import signal
import sys
import threading
from pathlib import Path

from ..atomic import atomic_write_with
from ..budget import check_parallel_budget
from ..scenario import ScenarioError, load_scenario, read_toml
from ..sweep import (
    POINT,
    Progress,
    Sweep,
    check_output,
    make_backend,
    parts_dir,
    run_sweep,
    sweep_from_toml,
)
from ..verdicts import sweep_verdict
from .common import emit, parse_value, with_horizon

_CHART_FORMATS = (".html", ".png", ".svg", ".json")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sweep", help="run a scenario over a grid or Latin hypercube of input values",
        description="Vary inputs over values, ranges or a Latin hypercube design; collect "
                    "summary metrics per point (same seed everywhere: common random "
                    "numbers).")
    p.add_argument("file", help="scenario TOML, or a sweep TOML with a [sweep] table")
    p.add_argument("--vary", action="append", default=[], metavar="PATH=VALUES",
                   help="input to vary; VALUES is a,b,c | lin:start:stop:num | "
                        "log:start:stop:num | range:lo:hi (lhs); repeat for more inputs")
    p.add_argument("--design", choices=["grid", "lhs"], default=None,
                   help="grid: every combination (default); lhs: Latin hypercube points")
    p.add_argument("--points", type=int, default=None, help="number of points (lhs)")
    p.add_argument("--paths", type=int, default=None, help="paths per point (2000)")
    p.add_argument("--seed", type=int, default=None, help="seed for every point (7)")
    p.add_argument("--horizon", type=int, default=None, help="override horizon, months")
    p.add_argument("--metrics", default=None, metavar="M1,M2",
                   help="summary metrics to collect (npv_p10,npv_p50,npv_p90,npv_mean,"
                        "prob_npv_positive)")
    p.add_argument("--set", dest="overrides", action="append", default=[],
                   metavar="PATH=VALUE", help="fix a scenario value for the whole sweep")
    p.add_argument("--out", default=None, metavar="FILE",
                   help="write the table to FILE (.parquet or .csv); finished points are "
                        "kept in FILE.parts/ until the sweep completes")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted sweep writing --out (skips finished points)")
    backend = p.add_mutually_exclusive_group()
    backend.add_argument("--workers", type=int, default=None,
                         help="run on a local Dask cluster of N worker processes "
                              "(127.0.0.1, one numba thread each)")
    backend.add_argument("--scheduler", default=None, metavar="ADDRESS",
                         help="run on an existing Dask cluster, e.g. tcp://host:8786")
    p.add_argument("--chunk", type=int, default=None,
                   help="points per task sent to a worker (automatic)")
    p.add_argument("--chart", default=None, metavar="FILE",
                   help="also save a chart of a 1-D/2-D sweep (.html, .png, .svg, .json)")
    p.add_argument("--chart-metric", default=None, metavar="METRIC",
                   help="metric the chart shows (npv_p50, else the first metric)")
    p.add_argument("--format", choices=["table", "json", "csv"], default="table",
                   help="how the table is printed when there is no --out (table)")
    p.add_argument("--no-progress", action="store_true", help="no progress output")
    p.set_defaults(func=cmd_sweep)


def _split(item: str, flag: str) -> tuple[str, str]:
    if "=" not in item:
        raise ScenarioError([f"{flag} {item!r}: expected PATH=VALUES"], "sweep")
    key, value = item.split("=", 1)
    return key.strip(), value.strip()


def sweep_from_args(args: argparse.Namespace) -> Sweep:
    """The sweep FILE defines, with the command line's options on top."""
    path = Path(args.file)
    data = read_toml(path)
    if "sweep" in data:
        sw = sweep_from_toml(data, path.parent, str(path))
    else:
        sw = Sweep(load_scenario(path), {})
    changes = dict(_split(item, "--set") for item in args.overrides)
    sc = sw.scenario.with_values({k: parse_value(v) for k, v in changes.items()}) \
        if changes else sw.scenario
    if isinstance(args.horizon, int) and 1 <= args.horizon <= 120:  # else plan() says why
        sc = with_horizon(sc, args.horizon)
    inputs = dict(sw.inputs)
    for item in args.vary:
        key, text = _split(item, "--vary")
        inputs[key] = text
    kw = {k: getattr(args, k) for k in ("design", "points", "paths", "seed", "horizon")
          if getattr(args, k) is not None}
    if args.metrics is not None:
        kw["metrics"] = tuple(m.strip() for m in args.metrics.split(",") if m.strip())
    if kw.get("design") == "grid" and "points" not in kw:
        kw["points"] = None
    return dataclasses.replace(sw, scenario=sc, inputs=inputs, **kw)


def _save_chart(table, plan, args) -> None:
    from ..charts.sweep import sweep_chart

    sw = plan.sweep
    names = plan.input_names
    metric = args.chart_metric or ("npv_p50" if "npv_p50" in sw.metrics else sw.metrics[0])
    suffix = Path(args.chart).suffix.lower()
    chart = sweep_chart(table, names, metric, currency=sw.scenario.scenario.currency,
                        design=sw.design, log_x=sw.axes[0].kind == "log")
    atomic_write_with(args.chart, lambda tmp: chart.save(str(tmp), format=suffix[1:]))


class DeferredInterrupt:
    """Ctrl-C while a point runs is held until the point has finished, then raised as
    :class:`KeyboardInterrupt` at a safe place (between points). An interrupt delivered
    inside compiled code can surface as a ``SystemError`` traceback instead; a second
    Ctrl-C still interrupts at once. Only in the main thread (signals live there)."""

    def __init__(self):
        self.pending = False
        self._old = None

    def _handler(self, signum, frame) -> None:
        if self.pending:  # asked twice: stop now
            raise KeyboardInterrupt
        self.pending = True

    def check(self) -> None:
        """Raise the held interrupt, if any (called between points)."""
        if self.pending:
            self.pending = False
            raise KeyboardInterrupt

    def __enter__(self) -> DeferredInterrupt:
        if threading.current_thread() is threading.main_thread():
            self._old = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc) -> None:
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)
            self._old = None


def cmd_sweep(args: argparse.Namespace) -> int:
    sw = sweep_from_args(args)
    plan = sw.plan()  # every check before anything runs
    if args.workers is not None:  # each local worker runs a point at once
        check_parallel_budget(sw.scenario, sw.paths, sw.horizon, args.workers,
                              pilot_lens=sw.needs_pilot_lens)
    if args.chart is not None:
        suffix = Path(args.chart).suffix.lower()
        if suffix not in _CHART_FORMATS:
            raise ScenarioError([f"--chart {args.chart}: unknown format {suffix!r} (allowed: "
                                 f"{', '.join(_CHART_FORMATS)})"], "sweep")
        if len(plan.input_names) not in (1, 2):
            raise ScenarioError([f"--chart: a chart shows 1 or 2 inputs, this sweep varies "
                                 f"{len(plan.input_names)}"], "sweep")
        metric = args.chart_metric
        if metric is not None and metric not in sw.metrics:
            raise ScenarioError([f"--chart-metric {metric!r} is not one of the collected "
                                 f"metrics ({', '.join(sw.metrics)})"], "sweep")
    if args.resume and args.out is None:
        raise ScenarioError(["--resume needs --out (the file the interrupted run was "
                             "writing)"], "sweep")
    if args.out is not None:
        check_output(args.out, plan, args.resume)
    backend = make_backend(args.workers, args.scheduler)
    if not args.no_progress:
        print(f"sweep: {plan.n_points} point{'s' if plan.n_points != 1 else ''} x "
              f"{sw.paths:,} paths, seed {sw.seed}, "
              f"{backend.name}", file=sys.stderr)
    progress = None if args.no_progress else Progress(sys.stderr)
    guard = DeferredInterrupt()

    def report(done: int, total: int) -> None:  # after each finished chunk: a safe place
        if progress is not None:
            progress(done, total)
        guard.check()

    try:
        with guard, backend:
            table = run_sweep(plan, backend=backend, out=args.out, resume=args.resume,
                              progress=report, chunk_size=args.chunk)
    except KeyboardInterrupt:
        if progress is not None:
            progress.close()
        if args.out is not None:
            print(f"interrupted: finished points are kept in {parts_dir(args.out)}; rerun "
                  f"with --resume to finish", file=sys.stderr)
        else:
            print("interrupted (no --out, nothing kept)", file=sys.stderr)
        return 130
    if progress is not None:
        progress.close()
    if args.chart is not None:
        _save_chart(table, plan, args)
    metric = "npv_p50" if "npv_p50" in sw.metrics else sw.metrics[0]
    verdict = sweep_verdict(table, plan.input_names, metric, sw.scenario.scenario.currency)
    if args.out is not None:
        print(f"wrote {len(table)} points to {args.out}"
              + (f" and a chart to {args.chart}" if args.chart else ""))
        print(f"Verdict: {verdict}")
    elif args.format == "json":  # an object like every analysis: the verdict, then the points
        print(json.dumps({"verdict": verdict,
                          "points": json.loads(table.to_json(orient="records"))}, indent=2))
    else:
        if args.format == "table":
            print(f"Verdict: {verdict}\n")
        emit(table.drop(columns=[POINT]) if args.format == "table" else table, args.format,
             title=f"Sweep of {sw.scenario.name} ({sw.paths:,} paths per point, seed "
                   f"{sw.seed})")
    return 0


__all__ = ["cmd_sweep", "register", "sweep_from_args"]
