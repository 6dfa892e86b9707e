"""``gap``, ``levers``, ``sensitivity``, ``breakeven``: the decision analytics on the CLI.

Each prints its tables (``--format table``), all of them as one JSON object
(``--format json``: table name -> list of records) or one of them as CSV
(``--format csv``, chosen with ``--table``). Bad input exits 2 with one line.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable

import pandas as pd

from ..analysis import (
    CRITERIA,
    NOT_REACHABLE,
    SOLVED,
    AnalysisError,
    breakeven,
    expectation_gap,
    lever_analysis,
    sensitivity,
)
from ..analysis.gap import STATS
from ..budget import check_analysis_budget
from ..csv_safe import to_csv
from . import CliError
from .common import add_run_options, scenario_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gap", help="expectation gap: pilot-lens NPV vs the production "
                                   "range, attributed to the four failure modes")
    add_run_options(p)
    p.add_argument("--stat", choices=STATS, default="p50",
                   help="statistic the gap is measured in (p50)")
    p.add_argument("--bootstrap", type=int, default=100,
                   help="bootstrap resamples for standard errors, 0 = none (100)")
    _table_option(p, ("attribution", "summary", "combinations"))
    p.set_defaults(func=_guard(cmd_gap))

    p = sub.add_parser("levers", help="all 16 lever portfolios, marginal values, best "
                                      "portfolio within a budget")
    add_run_options(p)
    p.add_argument("--budget", type=float, default=None,
                   help="cap on the mean present value of lever cost (none)")
    p.add_argument("--criterion", choices=list(CRITERIA), default="p50",
                   help="what 'best' maximises: NPV P50, NPV P10 or P(NPV > 0) (p50)")
    _table_option(p, ("combinations", "marginal", "best", "path"))
    p.set_defaults(func=_guard(cmd_levers))

    p = sub.add_parser("sensitivity", help="Spearman rank correlations, tornado and spider "
                                           "of NPV against the inputs")
    add_run_options(p)
    p.add_argument("--top-k", type=int, default=10,
                   help="tornado: inputs with the largest |rho| (10)")
    p.add_argument("--all", action="store_true", help="tornado over every sampled input")
    p.add_argument("--spider-k", type=int, default=5,
                   help="spider: inputs with the largest tornado swing (5)")
    _table_option(p, ("tornado", "spearman", "spider"))
    p.set_defaults(func=_guard(cmd_sensitivity))

    p = sub.add_parser("breakeven", help="what must be true: the value of one input at "
                                         "which the case reaches a target")
    add_run_options(p)
    p.add_argument("--input", required=True, metavar="PATH",
                   help="uncertain input, e.g. economics.minutes_saved_per_task")
    p.add_argument("--target", default="prob:0.8",
                   help="prob:P (P(NPV > 0) >= P), pNN:VALUE or mean:VALUE (prob:0.8)")
    p.add_argument("--lo", type=float, default=None, help="lower end of the search range")
    p.add_argument("--hi", type=float, default=None, help="upper end of the search range")
    p.set_defaults(func=_guard(cmd_breakeven), table="breakeven")


def _table_option(p: argparse.ArgumentParser, names: tuple[str, ...]) -> None:
    p.add_argument("--table", choices=names, default=names[0],
                   help=f"table for --format csv ({names[0]})")


def _guard(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn analysis input errors into the CLI's one-line exit-2 errors."""
    def run(args: argparse.Namespace) -> int:
        try:
            return fn(args)
        except AnalysisError as exc:
            raise CliError(str(exc)) from None
    run.__doc__ = fn.__doc__
    return run


def _num(x: float) -> str:
    if isinstance(x, float) and math.isnan(x):
        return "n/a"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def _output(args: argparse.Namespace, tables: dict[str, pd.DataFrame],
            show: list[str]) -> None:
    """Print ``show`` tables (table format), every table (json) or ``args.table`` (csv)."""
    if args.format == "json":
        print(json.dumps({k: json.loads(v.to_json(orient="records"))
                          for k, v in tables.items()}, indent=2))
    elif args.format == "csv":
        to_csv(tables[args.table], sys.stdout, index=False)
    else:
        for i, name in enumerate(show):
            if i:
                print()
            title = name.replace("_", " ").capitalize()
            print(title)
            print("=" * len(title))
            print(tables[name].to_string(index=False, float_format=_num))


def cmd_gap(args: argparse.Namespace) -> int:
    """Expectation gap."""
    sc = scenario_from_args(args)
    check_analysis_budget(sc, args.paths, args.horizon, what="gap", columns=64,
                          pilot_lens=True)
    g = expectation_gap(sc, paths=args.paths, seed=args.seed, horizon=args.horizon,
                        stat=args.stat, bootstrap=args.bootstrap)
    tables = {"summary": g.summary, "attribution": g.attribution,
              "combinations": g.combinations}
    if args.format == "table":
        s = g.summary.iloc[0]
        cur = s["currency"]
        print(f"{s['scenario']}: {s['paths']:,} paths, seed {s['seed']}")
        print(f"Pilot-lens NPV ({args.stat})     {cur} {s['pilot_lens_npv']:,.0f}")
        print(f"Production NPV P10/P50/P90  {cur} {s['npv_p10']:,.0f} / "
              f"{s['npv_p50']:,.0f} / {s['npv_p90']:,.0f}")
        print(f"Expectation gap ({args.stat})    {cur} {s['gap']:,.0f}"
              + (f" (s.e. {s['gap_se']:,.0f})" if not math.isnan(s["gap_se"]) else ""))
        print(f"P(NPV >= pilot-lens NPV)    {s['prob_npv_ge_pilot_lens']:.1%}")
        if not s["lens_reproduced"]:
            print(f"note: the scenario transforms differ from the kernel's lens by up to "
                  f"{cur} {s['lens_max_abs_diff']:,.0f} per path")
        print()
        show = g.attribution[["label", "alone", "last", "shapley", "shapley_se",
                              "shapley_share"]]
        _output(args, {"attribution": show}, ["attribution"])
        return 0
    _output(args, tables, [])
    return 0


def cmd_levers(args: argparse.Namespace) -> int:
    """Lever portfolios."""
    sc = scenario_from_args(args)
    check_analysis_budget(sc, args.paths, args.horizon, what="levers", columns=40)
    la = lever_analysis(sc, paths=args.paths, seed=args.seed, horizon=args.horizon,
                        budget=args.budget, criterion=args.criterion)
    tables = {"combinations": la.combinations, "marginal": la.marginal, "best": la.best,
              "path": la.path}
    if args.format == "table":
        cols = ["portfolio", "lever_cost_mean", "npv_p10", "npv_p50", "npv_p90",
                "prob_npv_positive", "active_rate_m6_p50", "within_budget"]
        b = la.best.iloc[0]
        budget = "no budget" if args.budget is None else f"budget {args.budget:,.0f}"
        key = CRITERIA[args.criterion]
        _output(args, {"combinations": la.combinations[cols],
                       "marginal": la.marginal[["label", "marginal_npv_mean",
                                                "marginal_npv_se", "marginal_npv_p50",
                                                "marginal_prob_npv_positive",
                                                "lever_cost_mean", "npv_per_cost"]],
                       "path": la.path}, ["combinations", "marginal", "path"])
        print()
        print(f"Best portfolio by {key} ({budget}): {b['portfolio']} "
              f"({key} {_num(float(b[key]))}, lever cost {b['lever_cost_mean']:,.0f})")
        return 0
    _output(args, tables, [])
    return 0


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """Sensitivity."""
    sc = scenario_from_args(args)
    check_analysis_budget(sc, args.paths, args.horizon, what="sensitivity",
                          columns=2 * len(sc.input_paths()) + 8)
    sa = sensitivity(sc, paths=args.paths, seed=args.seed, horizon=args.horizon,
                     top_k=None if args.all else args.top_k, spider_k=args.spider_k)
    tables = {"spearman": sa.spearman, "tornado": sa.tornado, "spider": sa.spider}
    if args.format == "table":
        print(f"NPV P50 with every input sampled: {sa.currency} {sa.base_npv_p50:,.0f}\n")
        spider = sa.spider.pivot(index="input", columns="quantile", values="npv_p50")
        spider = spider.reindex(list(dict.fromkeys(sa.spider["input"])))
        spider.columns = [f"q{q:g}" for q in spider.columns]
        _output(args, {"spearman": sa.spearman[["input", "rho", "contribution_pct", "low",
                                                "likely", "high"]],
                       "tornado": sa.tornado[["rank", "input", "low_value", "high_value",
                                              "npv_p50_low", "npv_p50_high", "swing"]],
                       "spider_(npv_p50)": spider.reset_index()},
                ["spearman", "tornado", "spider_(npv_p50)"])
        return 0
    _output(args, tables, [])
    return 0


def cmd_breakeven(args: argparse.Namespace) -> int:
    """Breakeven."""
    sc = scenario_from_args(args)
    check_analysis_budget(sc, args.paths, args.horizon, what="breakeven", columns=64)
    r = breakeven(sc, args.input, args.target, paths=args.paths, seed=args.seed,
                  horizon=args.horizon, lo=args.lo, hi=args.hi)
    if args.format == "table":
        row = r.iloc[0]
        rng = f"[{_num(row['lo'])}, {_num(row['hi'])}]"
        if row["status"] == SOLVED:
            side = "at least" if row["direction"] == "increasing" else "at most"
            print(f"{row['target']} needs {row['input']} {side} {_num(row['value'])} "
                  f"(now P50 {_num(row['input_p50'])}; chance it already is: "
                  f"{row['prob_input_on_good_side']:.1%})")
        elif row["status"] == NOT_REACHABLE:
            print(f"{row['target']}: {NOT_REACHABLE} {rng} of {row['input']} "
                  f"(metric {_num(row['metric_at_lo'])} at {_num(row['lo'])}, "
                  f"{_num(row['metric_at_hi'])} at {_num(row['hi'])})")
        else:
            print(f"{row['target']}: {row['status']} {rng} of {row['input']}")
        print()
        t = pd.DataFrame({"field": r.columns, "value": [str(_num(v)) if isinstance(
            v, float) else str(v) for v in row]})
        print(t.to_string(index=False))
        return 0
    _output(args, {"breakeven": r}, [])
    return 0
