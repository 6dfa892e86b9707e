"""``rollout-sim gates``: a staged rollout against big bang and no-go, and a threshold search.

Prints the comparison (``--format table``), every table as one JSON object (``json``) or
one table as CSV (``csv``, chosen with ``--table``). Bad input exits 2 with one line.
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from ..analysis.gate_design import gate_design
from ..analysis.gates import SEARCH_CRITERIA, gate_analysis, gate_search, parse_search
from ..budget import check_analysis_budget
from ..csv_safe import to_csv
from ..verdicts import design_verdict, gates_verdict
from . import CliError
from .analysis import _guard, _num, _output
from .common import add_run_options, scenario_from_args

TABLES = ("plans", "gates", "summary", "search", "best")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gates", help="staged rollout: the gated plan against big bang and "
                                     "no-go on common random numbers, option value, "
                                     "gate-threshold search")
    add_run_options(p)
    p.add_argument("--search", action="append", default=[], metavar="PATH=VALUES",
                   help="vary a gate threshold over comma-separated values, e.g. "
                        "gates[0].min_active_rate=0.1,0.2,0.3 (give twice for a grid)")
    p.add_argument("--criterion", choices=list(SEARCH_CRITERIA), default="mean",
                   help="what the search maximises: NPV mean, P50, P10 or P(NPV > 0) (mean)")
    p.add_argument("--design", action="store_true",
                   help="compare gate designs (hold, stop, switch on each lever subset, "
                        "each threshold) at --month or the month before each later wave, "
                        "against rolling out as planned; names the best or says do not gate")
    p.add_argument("--month", type=int, default=None,
                   help="with --design: the review month (default: before each later wave)")
    p.add_argument("--table", choices=TABLES, default=None,
                   help="table for --format csv (search with --search, else plans)")
    p.set_defaults(func=_guard(cmd_gates))


def _pm(x: float, se: float, pct: bool = False) -> str:
    if pct:
        return f"{x:.1%} (s.e. {se:.1%})"
    return f"{_num(x)} (s.e. {_num(se)})" if not math.isnan(se) else _num(x)


def cmd_gates(args: argparse.Namespace) -> int:
    """Staged rollout comparison."""
    sc = scenario_from_args(args)
    if args.design:
        return _cmd_design(sc, args)
    if args.month is not None:
        raise CliError("--month: only with --design")
    axes = [parse_search(s) for s in args.search]
    if args.table in ("search", "best") and not axes:
        raise CliError(f"--table {args.table}: only with --search")
    check_analysis_budget(sc, args.paths, args.horizon, what="gates",
                          results=3 if axes else 2, columns=4)  # before any work
    ga = gate_analysis(sc, paths=args.paths, seed=args.seed, horizon=args.horizon)
    tables = {"plans": ga.plans, "gates": ga.gates, "summary": ga.summary}
    gs = None
    if axes:
        gs = gate_search(sc, axes, paths=args.paths, seed=args.seed, horizon=args.horizon,
                         criterion=args.criterion)
        tables.update(search=gs.points, best=gs.best)
    verdict = gates_verdict(ga, gs)
    if args.format == "csv":
        args.table = args.table or ("search" if gs is not None else "plans")
        _output(args, tables, [])
        return 0
    if args.format == "json":
        _output(args, tables, [], verdict=verdict)
        return 0
    s = ga.summary.iloc[0]
    cur = s["currency"]
    print(f"{s['scenario']}: {s['paths']:,} paths, seed {s['seed']}, {s['horizon']} months "
          f"({cur}; big bang = the same plan without gates, no-go = NPV 0)")
    print(f"Verdict: {verdict}")
    print()
    plans = ga.plans[["plan", "npv_mean", "npv_mean_se", "npv_p10", "npv_p10_se", "npv_p50",
                      "npv_p50_se", "npv_p90", "npv_p90_se", "prob_npv_positive",
                      "vs_big_bang_mean", "vs_big_bang_se"]]
    _output(args, {"plans": plans,
                   "gates": ga.gates[["gate", "month", "on_fail", "prob_reached",
                                      "prob_pass_if_reached", "prob_pass_if_reached_se",
                                      "prob_pass", "prob_pass_se"]]}, ["plans", "gates"])
    print()
    print(f"Option value (mean NPV gated - big bang)  {cur} "
          f"{_pm(s['option_value'], s['option_value_se'])}, paired")
    print(f"P(stop)                                   "
          f"{_pm(s['prob_stop'], s['prob_stop_se'], pct=True)}")
    print(f"Months held (mean)                        "
          f"{s['months_held_mean']:.2f} (s.e. {s['months_held_mean_se']:.2f})")
    if gs is not None:
        print()
        cols = [*gs.axes, "npv_mean", "npv_mean_se", "npv_p50", "npv_p50_se", "npv_p10",
                "npv_p10_se", "prob_npv_positive", "prob_npv_positive_se", "option_value",
                "option_value_se"]
        _output(args, {"search": gs.points[cols]}, ["search"])
        b = gs.best.iloc[0]
        key = SEARCH_CRITERIA[gs.criterion]
        where = ", ".join(f"{a} = {b[a]:g}" for a in gs.axes)
        print()
        print(f"Best by {key}: {where} ({key} {_num(float(b[key]))}, "
              f"option value {cur} {_pm(b['option_value'], b['option_value_se'])})")
    return 0


def _cmd_design(sc, args: argparse.Namespace) -> int:
    """``gates --design``: the best gate design, or do not gate."""
    if args.search:
        raise CliError("--design and --search: give one of them")
    check_analysis_budget(sc, args.paths, args.horizon, what="gates --design", results=3,
                          columns=4)  # before any work
    d = gate_design(sc, paths=args.paths, seed=args.seed, horizon=args.horizon,
                    month=args.month)
    verdict = design_verdict(d)
    if args.format == "json":
        print(json.dumps({"verdict": verdict, **d.to_dict()}, indent=2))
        return 0
    if args.format == "csv":
        to_csv(d.designs, sys.stdout, index=False)
        return 0
    cur = d.currency
    print(f"{sc.name}: {d.paths:,} paths, seed {d.seed}; plan without gates: mean NPV "
          f"{cur} {_num(d.plan_npv_mean)}")
    print(f"Verdict: {verdict}")
    print()
    top = d.designs.head(15)
    import pandas as pd

    table = pd.DataFrame({
        "Review month": top["month"], "On a failed review": top["design"],
        "Criterion": top["criterion"].str.replace("_", " "),
        "Threshold": top["threshold"].map(lambda x: f"{x:g}"),
        "P(review fails)": top["prob_fail"].map(lambda x: f"{x:.1%}"),
        f"Gain vs plan ({cur})": top["gain_mean"].map(_num),
        f"s.e. ({cur})": top["gain_se"].map(_num)})
    title = f"Designs, best first (top 15 of {len(d.designs)})"
    print(title)
    print("=" * len(title))
    print(table.to_string(index=False))
    return 0
