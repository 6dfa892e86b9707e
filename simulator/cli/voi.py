"""``voi``: what is worth learning before the rollout (EVPI, EVPPI, EVSI, Sobol, luck).

``--format json`` prints the keys scripts read (``evpi``, ``evpi_se``, ``evppi``,
``evsi``, ``sobol``, ``luck_share``, ``best_decision``, and more); ``--format csv``
prints one table, chosen with ``--table``. Bad input exits 2 with one line.
"""

from __future__ import annotations

import argparse
import json
import math
import sys

import pandas as pd

from ..analysis import AnalysisError
from ..budget import check_analysis_budget, check_sobol_budget
from ..csv_safe import to_csv
from ..labels import input_label
from ..scenario import combination_count
from ..verdicts import spell_levers, voi_verdict
from ..voi import DEFAULT_STUDIES, value_of_information
from . import CliError
from .common import add_run_options, scenario_from_args

TABLES = ("evppi", "evsi", "sobol", "decisions")
#: Fewest paths whose value-of-information estimates mean something (a warning below).
MIN_VOI_PATHS = 1_000
#: Largest Sobol' base sample (2^20 x (inputs + 2) paths is hours of work already).
MAX_SOBOL_N = 2**20


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("voi", help="what is worth learning before the rollout: value of "
                                   "information, Sobol indices, luck vs uncertainty")
    add_run_options(p)
    p.add_argument("--study", action="append", default=None, metavar="SPEC",
                   help="pilot extension to price, repeatable: spot_checks=N or "
                        "trial_cohort=N,months=M[,tier=NAME] (default: "
                        + " and ".join(DEFAULT_STUDIES) + ")")
    p.add_argument("--sobol-n", type=int, default=1024,
                   help="Sobol' base sample, a power of 2; costs N x (inputs + 2) paths "
                        "(1024); 0 skips the Sobol indices")
    p.add_argument("--no-portfolios", action="store_true",
                   help="compare only no-go and go as written (not the "
                        f"{combination_count()} lever portfolios)")
    p.add_argument("--table", choices=TABLES, default=TABLES[0],
                   help=f"table for --format csv ({TABLES[0]})")
    p.set_defaults(func=cmd_voi)


def _money(x: float) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:,.0f}"


def cmd_voi(args: argparse.Namespace) -> int:
    """Value of information."""
    if args.sobol_n < 0 or args.sobol_n == 1 or args.sobol_n > MAX_SOBOL_N:
        raise CliError(f"--sobol-n: {args.sobol_n} must be 0 (skip) or a whole number in "
                       f"[2, {MAX_SOBOL_N:,}]")
    sc = scenario_from_args(args)
    check_analysis_budget(sc, args.paths, args.horizon, what="voi", results=2, columns=64,
                          pilot_lens=True)  # the decisions' NPVs, before any work
    if args.sobol_n > 0:
        check_sobol_budget(sc, args.sobol_n, args.horizon)
    if 1 <= args.paths < MIN_VOI_PATHS:
        print(f"warning: --paths {args.paths:,}: value-of-information estimates need many "
              f"paths; below {MIN_VOI_PATHS:,} their standard errors are as large as the "
              f"values (20,000 is the default)", file=sys.stderr)
    try:
        v = value_of_information(
            sc, paths=args.paths, seed=args.seed, horizon=args.horizon,
            studies=args.study if args.study is not None else DEFAULT_STUDIES,
            portfolios=not args.no_portfolios, sobol=args.sobol_n > 0,
            sobol_n=max(args.sobol_n, 2))
    except AnalysisError as exc:
        raise CliError(str(exc)) from None
    verdict = voi_verdict(v)
    if args.format == "json":
        print(json.dumps({"verdict": verdict, **v.to_dict()}, indent=2))
        return 0
    tables = {"evppi": v.evppi, "evsi": v.evsi, "sobol": v.sobol, "decisions": v.decisions}
    if args.format == "csv":
        to_csv(tables[args.table], sys.stdout, index=False)
        return 0
    cur = v.currency
    print(f"{sc.name}: {v.paths:,} paths, seed {v.seed}")
    print(f"Verdict: {verdict}")
    print(f"Best decision now (highest mean NPV): {spell_levers(v.best_decision)}")
    print(f"EVPI (all uncertain inputs)          {cur} {_money(v.evpi)} "
          f"(s.e. {_money(v.evpi_se)})")
    print(f"Luck share of NPV variance           {v.luck_share:.1%} "
          f"(s.e. {v.luck_share_se:.2%})")
    print(f"Share of NPV variance the inputs explain (regression R^2) {v.fit_r2:.1%} "
          f"(at most 1 - luck share = {1 - v.luck_share:.1%})")
    for note in v.notes:
        print(f"note: {note}")
    ev = v.evppi.head(15)
    _print("EVPPI by group and input (top 15)", pd.DataFrame({
        "What is learnt": [_name(r["input"], r["kind"], cur) for _, r in ev.iterrows()],
        f"Worth ({cur})": ev["value"].to_numpy(), f"s.e. ({cur})": ev["se"].to_numpy(),
        "Share of EVPI": [f"{x:.0%}" for x in ev["share_of_evpi"]]}))
    e = v.evsi
    _print("EVSI of pilot extensions", pd.DataFrame({
        "Study": e["study"], f"Worth ({cur})": e["value"], f"s.e. ({cur})": e["se"],
        f"Worth if the study were exact ({cur})": e["limit"]}))
    if not v.sobol.empty:
        npv = v.sobol[v.sobol["metric"] == "npv"].sort_values("ST", ascending=False)
        top = npv.head(10)
        _print("Sobol indices of NPV (top 10 by total order)", pd.DataFrame({
            "Input": [_name(p, "input", cur) for p in top["input"]],
            "First order (alone)": top["S1"].map(lambda x: f"{x:.1%}"),
            "Total (with interactions)": top["ST"].map(lambda x: f"{x:.1%}")}))
    d = v.decisions
    _print("Decisions", pd.DataFrame({
        "Decision": [spell_levers(x) for x in d["decision"]], f"NPV mean ({cur})": d["npv_mean"],
        f"s.e. ({cur})": d["npv_mean_se"],
        "P(NPV > 0)": d["prob_npv_positive"].map(lambda x: f"{x:.1%}"),
        "Best on this share of paths": d["prob_best"].map(lambda x: f"{x:.1%}"),
        "Best on average": d["is_best"].map(lambda b: "yes" if b else "")}))
    return 0


def _name(path: str, kind: str, cur: str) -> str:
    if kind == "group":
        return f"{path[:1].upper()}{path[1:]} (all inputs)"
    try:
        return input_label(path, cur)
    except (KeyError, ValueError):
        return path


def _print(title: str, df: pd.DataFrame) -> None:
    print()
    print(title)
    print("=" * len(title))
    print(df.to_string(index=False, float_format=lambda x: f"{x:,.0f}" if abs(x) >= 100
                       else f"{x:.3g}"))
