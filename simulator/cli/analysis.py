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
    AnalysisError,
    breakeven,
    expectation_gap,
    lever_analysis,
    sensitivity,
)
from ..analysis.gap import STATS
from ..budget import check_analysis_budget
from ..csv_safe import to_csv
from ..labels import kind, label
from ..scenario import LEVER_LABELS, combination_count
from ..verdicts import (
    breakeven_verdict,
    gap_verdict,
    levers_verdict,
    portfolio_name,
    sensitivity_verdict,
)
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

    p = sub.add_parser("levers", help=f"all {combination_count()} lever portfolios, marginal "
                                      "values, best portfolio within a budget")
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
            show: list[str], verdict: str | None = None) -> None:
    """Print ``show`` tables (table format), every table (json, with the ``verdict``) or
    ``args.table`` (csv)."""
    if args.format == "json":
        out: dict = {"verdict": verdict} if verdict is not None else {}
        out.update({k: json.loads(v.to_json(orient="records")) for k, v in tables.items()})
        print(json.dumps(out, indent=2))
    elif args.format == "csv":
        to_csv(tables[args.table], sys.stdout, index=False)
    else:
        for i, name in enumerate(show):
            if i:
                print()
            title = name.replace("_", " ")
            title = title[:1].upper() + title[1:].replace(" npv", " NPV")
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
    verdict = gap_verdict(g)
    if args.format == "table":
        s = g.summary.iloc[0]
        cur = s["currency"]
        print(f"{s['scenario']}: {s['paths']:,} paths, seed {s['seed']}")
        print(f"Verdict: {verdict}")
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
        a = g.attribution
        show = pd.DataFrame({
            "Failure mode": a["label"],
            f"Loss alone ({cur})": a["alone"].map(_num),
            f"Loss on top of the others ({cur})": a["last"].map(_num),
            f"Shapley share of the gap ({cur})": a["shapley"].map(_num),
            f"s.e. ({cur})": a["shapley_se"].map(_num),
            "Share of the gap": a["shapley_share"].map(_pct)})
        _output(args, {"where_the_gap_comes_from": show}, ["where_the_gap_comes_from"])
        return 0
    _output(args, tables, [], verdict=verdict)
    return 0


def _pct(x: float) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.1%}"


def _by_kind(df: pd.DataFrame, col: str) -> list[str]:
    """An input column written by its kind: shares as percentages, the rest as numbers."""
    return [_pct(v) if kind(p) == "share" else _num(v) for p, v in zip(df["input"], df[col],
                                                                          strict=True)]


def cmd_levers(args: argparse.Namespace) -> int:
    """Lever portfolios."""
    sc = scenario_from_args(args)
    check_analysis_budget(sc, args.paths, args.horizon, what="levers", columns=40)
    la = lever_analysis(sc, paths=args.paths, seed=args.seed, horizon=args.horizon,
                        budget=args.budget, criterion=args.criterion)
    tables = {"combinations": la.combinations, "marginal": la.marginal, "best": la.best,
              "path": la.path}
    cur = sc.scenario.currency
    verdict = levers_verdict(la, cur)
    if args.format == "table":
        c = la.combinations
        b = la.best.iloc[0]
        budget = "no budget" if args.budget is None else f"budget {cur} {args.budget:,.0f}"
        key = CRITERIA[args.criterion]
        print(f"Verdict: {verdict}")
        print()
        combos = pd.DataFrame({
            "Levers switched on": [portfolio_name(r) for r in c.to_dict("records")],
            f"Lever cost, mean PV ({cur})": c["lever_cost_mean"].map(_num),
            f"NPV P10 ({cur})": c["npv_p10"].map(_num),
            f"NPV P50 ({cur})": c["npv_p50"].map(_num),
            f"NPV P90 ({cur})": c["npv_p90"].map(_num),
            "P(NPV > 0)": c["prob_npv_positive"].map(_pct),
            "Active rate, month 6 P50": c["active_rate_m6_p50"].map(_pct),
            "Within budget": c["within_budget"].map(lambda v: "yes" if v else "no")})
        m = la.marginal
        marginal = pd.DataFrame({
            "Lever": [LEVER_LABELS.get(lv, lv) for lv in m["lever"]],
            f"Adds to mean NPV ({cur})": m["marginal_npv_mean"].map(_num),
            f"s.e. ({cur})": m["marginal_npv_se"].map(_num),
            f"Adds to NPV P50 ({cur})": m["marginal_npv_p50"].map(_num),
            "Adds to P(NPV > 0)": m["marginal_prob_npv_positive"].map(
                lambda x: f"{x * 100:+.1f} pp"),
            f"Lever cost, mean PV ({cur})": m["lever_cost_mean"].map(_num),
            "NPV added per unit of cost": m["npv_per_cost"].map(
                lambda x: "n/a" if math.isnan(x) else f"{x:.2f}")})
        p = la.path
        order = pd.DataFrame({
            "Step": p["step"],
            "Lever added": ["none (as planned)" if a == "none" else LEVER_LABELS.get(a, a)
                            for a in p["added"]],
            label(key, cur) + ("" if key == "prob_npv_positive" else f" ({cur})"):
                p[key].map(_pct if key == "prob_npv_positive" else _num),
            f"Lever cost, mean PV ({cur})": p["lever_cost_mean"].map(_num),
            f"NPV mean ({cur})": p["npv_mean"].map(_num)})
        _output(args, {"every_combination_of_levers": combos,
                       "what_each_lever_adds": marginal, "what_to_switch_on_first": order},
                ["every_combination_of_levers", "what_each_lever_adds",
                 "what_to_switch_on_first"])
        print()
        best = (_pct(float(b[key])) if key == "prob_npv_positive"
                else f"{cur} {_num(float(b[key]))}")
        print(f"Best by {label(key, cur)} ({budget}): {portfolio_name(b)} ({best}, "
              f"lever cost {cur} {b['lever_cost_mean']:,.0f})")
        return 0
    _output(args, tables, [], verdict=verdict)
    return 0


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """Sensitivity."""
    sc = scenario_from_args(args)
    check_analysis_budget(sc, args.paths, args.horizon, what="sensitivity",
                          columns=2 * len(sc.input_paths()) + 8)
    sa = sensitivity(sc, paths=args.paths, seed=args.seed, horizon=args.horizon,
                     top_k=None if args.all else args.top_k, spider_k=args.spider_k)
    tables = {"spearman": sa.spearman, "tornado": sa.tornado, "spider": sa.spider}
    verdict = sensitivity_verdict(sa)
    if args.format == "table":
        cur = sa.currency
        print(f"Verdict: {verdict}")
        print(f"NPV P50 with every input sampled: {cur} {sa.base_npv_p50:,.0f}\n")
        sp = sa.spearman
        spear = pd.DataFrame({
            "Input": [label(p, cur) for p in sp["input"]],
            "Rank correlation with NPV": sp["rho"].map(lambda x: f"{x:+.2f}"),
            "Share of NPV variance (approx.)": (sp["contribution_pct"] / 100).map(_pct),
            "Low (P10)": _by_kind(sp, "low"), "Likely": _by_kind(sp, "likely"),
            "High (P90)": _by_kind(sp, "high")})
        t = sa.tornado
        tornado = pd.DataFrame({
            "Rank": t["rank"], "Input": [label(p, cur) for p in t["input"]],
            "Input at P10": _by_kind(t, "low_value"),
            "Input at P90": _by_kind(t, "high_value"),
            f"NPV P50 with input at P10 ({cur})": t["npv_p50_low"].map(_num),
            f"NPV P50 with input at P90 ({cur})": t["npv_p50_high"].map(_num),
            f"Swing ({cur})": t["swing"].map(_num)})
        spider = sa.spider.pivot(index="input", columns="quantile", values="npv_p50")
        spider = spider.reindex(list(dict.fromkeys(sa.spider["input"])))
        spider.columns = [f"Input at its P{q * 100:g} ({cur})" for q in spider.columns]
        spider.index = [label(p, cur) for p in spider.index]
        spider.index.name = "Input"
        _output(args, {"how_each_input_moves_the_npv": spear,
                       "tornado_(npv_p50)": tornado,
                       "spider_(npv_p50)": spider.reset_index()},
                ["how_each_input_moves_the_npv", "tornado_(npv_p50)", "spider_(npv_p50)"])
        return 0
    _output(args, tables, [], verdict=verdict)
    return 0


#: The breakeven table's rows as a reader sees them (the JSON keeps the keys).
BREAKEVEN_FIELDS = {
    "input": "Input", "target": "Target", "status": "Result",
    "value": "Value at which the target is just met",
    "direction": "A larger value helps (increasing) or hurts (decreasing)",
    "lo": "Search from", "hi": "Search to",
    "metric_at_lo": "Target metric at the low end", "metric_at_hi": "Target metric at the high end",
    "metric_at_value": "Target metric at the value found",
    "input_p50": "The input's median today",
    "prob_input_on_good_side": "Chance the input is already on the good side",
    "runs": "Model runs", "method": "How the metric between the ends was computed",
    "paths": "Monte Carlo paths", "seed": "Random seed"}


def cmd_breakeven(args: argparse.Namespace) -> int:
    """Breakeven."""
    sc = scenario_from_args(args)
    check_analysis_budget(sc, args.paths, args.horizon, what="breakeven", columns=64)
    r = breakeven(sc, args.input, args.target, paths=args.paths, seed=args.seed,
                  horizon=args.horizon, lo=args.lo, hi=args.hi)
    verdict = breakeven_verdict(r, sc.scenario.currency)
    if args.format == "table":
        row = r.iloc[0]
        print(f"Verdict: {verdict}")
        cur = sc.scenario.currency
        name = label(row["input"], cur)
        rng = f"[{_num(row['lo'])}, {_num(row['hi'])}]"
        if row["status"] == NOT_REACHABLE:
            print(f"{row['target']}: {NOT_REACHABLE} {rng} of {name} "
                  f"(metric {_num(row['metric_at_lo'])} at {_num(row['lo'])}, "
                  f"{_num(row['metric_at_hi'])} at {_num(row['hi'])})")
        print()
        shown = {k: v for k, v in BREAKEVEN_FIELDS.items() if k in r.columns}
        t = pd.DataFrame({"What": list(shown.values()), "Value": [
            name if k == "input" else _pct(row[k]) if k == "prob_input_on_good_side"
            else str(_num(row[k])) if isinstance(row[k], float) else str(row[k])
            for k in shown]})
        print(t.to_string(index=False))
        return 0
    _output(args, {"breakeven": r}, [], verdict=verdict)
    return 0
