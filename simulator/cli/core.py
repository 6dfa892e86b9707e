"""``validate`` and ``run``: check a scenario; simulate it and report the business case."""

from __future__ import annotations

import argparse
import json

from .. import formatting as F
from ..atomic import atomic_write_text
from ..budget import check_run_budget
from ..csv_safe import to_csv
from ..formatting import json_value
from ..results import SimulationResult
from ..scenario import load_scenario
from ..simulation import simulate
from ..verdicts import run_verdict
from .common import add_run_options, check_out_dir, emit, out_dir, scenario_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check a scenario file and list its inputs")
    p.add_argument("file")
    p.add_argument("--inputs", action="store_true",
                   help="list every uncertain input: P10/P50/P90 and where it came from")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("run", help="simulate a scenario and print the business case")
    add_run_options(p)
    p.add_argument("--out", default=None, metavar="DIR",
                   help="write paths.csv, bands.csv and summary.json to DIR")
    p.set_defaults(func=cmd_run)


def cmd_validate(args: argparse.Namespace) -> int:
    sc = load_scenario(args.file)
    inputs = sc.all_inputs()  # the same set the provenance line and `--inputs` count
    n_random = sum(not d.is_fixed for d in inputs.values())
    own = sum(v == "file" for v in sc.sources().values())
    users = sc.pilot.users + sum(c.size for c in sc.adoption.cohorts)
    line = (f"ok: {sc.name!r}: {len(inputs)} inputs ({n_random} uncertain, {own} from "
            f"your file), "
            f"{len(sc.adoption.cohorts)} cohorts, {users} users, "
            f"{sc.horizon} months, {len(sc.correlations)} correlations")
    fmt = getattr(args, "format", "text")
    if not getattr(args, "inputs", False):
        if fmt == "json":
            print(json.dumps({"ok": True, "scenario": sc.name, "inputs": len(inputs),
                              "uncertain": n_random, "from_file": own}))
        else:
            print(line)
        return 0
    from ..inputs_table import inputs_table, source_summary

    table = inputs_table(sc)
    if fmt == "json":
        print(json.dumps({"scenario": sc.name, "reference_class": sc.reference_class,
                          "template": sc.template,
                          "inputs": [{k: json_value(v) for k, v in r.items()}
                                     for r in table.to_dict(orient="records")]}, indent=2))
        return 0
    print(line)
    print(source_summary(sc))
    emit(table.drop(columns=["note"]), "text")
    return 0


money = F.money


def headline(res: SimulationResult) -> list[tuple[str, str]]:
    """The readable summary rows: label, formatted value."""
    s = res.summary
    cur = s["currency"]

    pb = F.month
    return [
        ("Scenario", s["scenario"]),
        ("Paths / seed / horizon", f"{s['paths']:,} / {s['seed']} / {s['horizon_months']} "
                                   f"months"),
        ("P(NPV > 0)", f"{s['prob_npv_positive']:.1%} (+/- {s['prob_npv_positive_se']:.1%})"),
        ("NPV P10 / P50 / P90", f"{money(s['npv_p10'], cur)} / {money(s['npv_p50'], cur)} / "
                                f"{money(s['npv_p90'], cur)}"),
        ("NPV mean (s.e.)", f"{money(s['npv_mean'], cur)} ({money(s['npv_mean_se'], cur)})"),
        ("ROI P10 / P50 / P90", f"{s['roi_p10']:.0%} / {s['roi_p50']:.0%} / "
                                f"{s['roi_p90']:.0%}"),
        ("Payback P10 / P50 / P90", f"{pb(s['payback_month_p10'])} / "
                                    f"{pb(s['payback_month_p50'])} / "
                                    f"{pb(s['payback_month_p90'])}"),
        ("P(payback within horizon)", f"{s['prob_payback_within_horizon']:.1%}"),
        # the engine measures "month 6" at the horizon when the horizon is shorter
        (f"Active rate month {min(6, s['horizon_months'])} (P10/P50/P90)",
         f"{s['active_rate_m6_p10']:.0%} / {s['active_rate_m6_p50']:.0%} / "
         f"{s['active_rate_m6_p90']:.0%}"),
        ("Launch accuracy P50", f"{s['launch_accuracy_p50']:.1%}"),
        ("Pilot users lapsed by month 6 (P50)", f"{s['pilot_users_lapsed_m6_p50']:.0f}"),
        ("Pilot-lens NPV (signed-off case)", money(s["pilot_lens_npv"], cur)),
        ("Expectation gap (lens - P50)", money(s["expectation_gap"], cur)),
        ("P(NPV >= pilot lens)", f"{s['prob_npv_ge_pilot_lens']:.1%}"),
    ]


def cmd_run(args: argparse.Namespace) -> int:
    check_out_dir(args.out)  # before any work: a file in the way is one line, not a loss
    sc = scenario_from_args(args)
    check_run_budget(sc, args.paths, args.horizon)  # refuse, before any work, a run too big
    res = simulate(sc, paths=args.paths, seed=args.seed, horizon=args.horizon)
    verdict = run_verdict(res)
    if args.format == "table":
        rows = headline(res)
        width = max(len(k) for k, _ in rows)
        print(f"Verdict: {verdict}")
        for k, v in rows:
            print(f"{k:<{width}}  {v}")
    elif args.format == "json":
        emit({"verdict": verdict, **dict(res.summary)}, args.format)
    else:
        emit(dict(res.summary), args.format)
    d = out_dir(args.out)
    if d is not None:
        atomic_write_text(d / "paths.csv", to_csv(res.paths))
        atomic_write_text(d / "bands.csv", to_csv(res.bands, index=False))
        atomic_write_text(d / "summary.json", json.dumps(
            {k: json_value(v) for k, v in res.summary.items()}, indent=2))
        if args.format == "table":
            print(f"wrote {d / 'paths.csv'}, {d / 'bands.csv'}, {d / 'summary.json'}")
            if res.meta.get("streamed_trajectories"):
                print("(a run this large streams its monthly trajectories to save memory: "
                      "the three files are exact, usage telemetry included)")
    return 0
