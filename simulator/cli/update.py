"""``update``: condition a scenario's forecast on monthly actuals and diagnose what broke."""

from __future__ import annotations

import argparse
import json

import pandas as pd

from ..actuals import (
    Actuals,
    ActualsError,
    ObservationModel,
    condition,
    diagnose,
    lever_gains,
    lever_sentence,
    read_actuals,
)
from ..actuals.condition import UPDATE_PATHS, Posterior
from ..actuals.diagnose import MARGIN, THRESHOLD, Diagnosis
from ..actuals.verdict import one_verdict
from ..atomic import atomic_write_text
from ..budget import check_run_budget
from ..csv_safe import to_csv
from ..formatting import json_value
from . import CliError
from .common import add_run_options, check_out_dir, emit, out_dir, scenario_from_args
from .core import money


def add_observation_options(p: argparse.ArgumentParser) -> None:
    """--actuals and the observation-model options shared by ``update`` and ``calibrate``."""
    p.add_argument("--actuals", required=True, metavar="CSV",
                   help="actuals file: month, and any of registered, active_users, "
                        "accuracy, incidents, cost, survey_n + used_daily, used_weekly, "
                        "used_less")
    p.add_argument("--spot-checks", type=int, default=ObservationModel.accuracy_spot_checks,
                   help="items spot-checked per month behind an accuracy figure (200)")
    p.add_argument("--overdispersion", type=float,
                   default=ObservationModel.active_overdispersion,
                   help="beta-binomial over-dispersion of active users (0.005)")
    p.add_argument("--cost-sd", type=float, default=ObservationModel.cost_relative_sd,
                   help="relative s.d. of reported vs modelled monthly cost (0.10)")
    mix = ObservationModel.frequency_mix
    p.add_argument("--frequency-mix", default=",".join(f"{v:g}" for v in mix),
                   metavar="D,W,L",
                   help="prior mean shares of active users using the tool daily, weekly, "
                        f"less than weekly ({','.join(f'{v:g}' for v in mix)})")
    p.add_argument("--frequency-concentration", type=float,
                   default=ObservationModel.frequency_concentration,
                   help="Dirichlet concentration of that mix "
                        f"({ObservationModel.frequency_concentration:g})")


def observation_model(args: argparse.Namespace) -> ObservationModel:
    """The observation model from the command line (ActualsError on bad values)."""
    try:
        mix = tuple(float(v) for v in str(args.frequency_mix).split(","))
    except ValueError:
        raise ActualsError([f"--frequency-mix: {args.frequency_mix!r} is not three numbers "
                            f"separated by commas (e.g. 0.35,0.45,0.2)"]) from None
    return ObservationModel(active_overdispersion=args.overdispersion,
                            accuracy_spot_checks=args.spot_checks,
                            cost_relative_sd=args.cost_sd, frequency_mix=mix,
                            frequency_concentration=args.frequency_concentration)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("update", help="update the forecast with monthly actuals and diagnose "
                                      "what broke")
    add_run_options(p, paths=UPDATE_PATHS)
    add_observation_options(p)
    p.add_argument("--no-levers", action="store_true",
                   help="skip the lever analysis on the posterior (4 extra runs)")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="write posterior_bands.csv, posterior_summary.json, diagnosis.csv, "
                        "diagnosis_inputs.csv and levers.csv to DIR")
    p.set_defaults(func=cmd_update)


def cmd_update(args: argparse.Namespace) -> int:
    check_out_dir(args.out)  # before any work
    actuals, post = _condition(args)
    conflicts = [{k: json_value(c[k]) for k in ("figure", "month", "actual", "prior_p1",
                                            "prior_p50", "prior_p99", "sentence")}
                 for c in post.conflicts]
    if post.collapsed:
        return _report_collapsed(args, post, conflicts)
    diag = diagnose(post)
    gains = None if args.no_levers else lever_gains(post)
    verdict = one_verdict(diag, gains)
    if args.format == "table":
        _print_table(post, actuals, diag, gains, verdict)
    elif args.format == "json":
        print(json.dumps(_json_doc(post, conflicts, diag, gains, verdict), indent=2))
    else:
        emit(post.bands, "csv")
    _write_outputs(args, post, diag, gains)
    return 0


def _condition(args: argparse.Namespace) -> tuple[Actuals, Posterior]:
    """The actuals file read and the scenario conditioned on it (bad input: a CliError)."""
    sc = scenario_from_args(args)
    check_run_budget(sc, args.paths, args.horizon)  # before any work
    horizon = args.horizon or sc.horizon
    try:
        actuals = read_actuals(args.actuals, horizon)
        obs = observation_model(args)
        post = condition(sc, actuals, paths=args.paths, seed=args.seed, horizon=args.horizon,
                         obs=obs)
    except ActualsError as exc:
        raise CliError(str(exc)) from None
    return actuals, post


def _print_table(post: Posterior, actuals: Actuals, diag: Diagnosis,
                 gains: pd.DataFrame | None, verdict: str) -> None:
    """The plain-text report: conflicts, prior against posterior, diagnosis and levers."""
    s = post.summary
    cur = s["currency"]
    for c in post.conflicts:
        print(c["sentence"])
    prior = post.prior.summary
    rows = [
        ("Scenario", s["scenario"]),
        ("Actuals", f"{actuals.n_observations} values, months up to "
                    f"{actuals.last_month}"),
        ("Paths / ESS", f"{post.n_paths:,} / {post.ess:,.0f} "
                        f"({post.ess / post.n_paths:.1%})"),
        ("P(NPV > 0) prior -> posterior",
         f"{prior['prob_npv_positive']:.1%} -> {s['prob_npv_positive']:.1%} "
         f"(+/- {s['prob_npv_positive_se']:.1%})"),
        ("NPV P10 / P50 / P90 (posterior)",
         f"{money(s['npv_p10'], cur)} / {money(s['npv_p50'], cur)} / "
         f"{money(s['npv_p90'], cur)}"),
        ("NPV P50 prior", money(prior["npv_p50"], cur)),
        ("NPV mean (s.e.)", f"{money(s['npv_mean'], cur)} "
                            f"({money(s['npv_mean_se'], cur)})"),
        ("Still to come (NPV from now, P50)", money(s["remaining_npv_p50"], cur)),
        ("Active rate month 6 (P10/P50/P90)",
         f"{s['active_rate_m6_p10']:.0%} / {s['active_rate_m6_p50']:.0%} / "
         f"{s['active_rate_m6_p90']:.0%}"),
        ("Launch accuracy P50 prior -> posterior",
         f"{prior['launch_accuracy_p50']:.1%} -> {s['launch_accuracy_p50']:.1%}"),
    ]
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
    for note in post.notes:
        print(f"! {note}")
    print()
    emit(diag.plain_modes(), "table",
         f"Diagnosis (probability that each mode is worse than assumed: past the prior's "
         f"{round(100 * (0.5 + MARGIN))}th percentile on the bad side; called from "
         f"{THRESHOLD:.2f})")
    print(diag.sentence)
    if gains is not None:
        print()
        table = gains[["label", "status"]].copy()
        for col, name in (("posterior_gain_mean", "posterior gain"),
                          ("posterior_gain_se", "s.e."), ("prior_gain_mean", "prior gain")):
            table[name] = [money(v, cur) if v == v else "n/a" for v in gains[col]]
        emit(table, "table", "Levers on the posterior (mean NPV gain of switching on)")
        print(lever_sentence(gains, cur))
    if verdict:
        print(verdict)


def _json_doc(post: Posterior, conflicts: list[dict], diag: Diagnosis,
              gains: pd.DataFrame | None, verdict: str) -> dict:
    """The JSON report: conflicts, posterior summary, SMC history, diagnosis and levers."""
    return {"conflicts": conflicts,
            "summary": {k: json_value(v) for k, v in post.summary.items()},
            "notes": post.notes,
            "history": [{"paths": n, "ess": e, "step": h} for n, e, h in post.history],
            "verdict": verdict,
            "diagnosis": {"sentence": diag.sentence, "status": diag.status,
                          "margin": MARGIN, "threshold": THRESHOLD,
                          "confounded": json.loads(
                              diag.confounded.to_json(orient="records")),
                          "modes": json.loads(diag.modes.to_json(orient="records")),
                          "inputs": json.loads(diag.inputs.to_json(orient="records"))},
            "levers": (json.loads(gains.to_json(orient="records"))
                       if gains is not None else None)}


def _write_outputs(args: argparse.Namespace, post: Posterior, diag: Diagnosis,
                   gains: pd.DataFrame | None) -> None:
    """Posterior bands and summary, diagnosis tables and levers into ``--out`` (if given)."""
    d = out_dir(args.out)
    if d is None:
        return
    atomic_write_text(d / "posterior_bands.csv", to_csv(post.bands, index=False))
    atomic_write_text(d / "posterior_summary.json", json.dumps(
        {k: json_value(v) for k, v in post.summary.items()}, indent=2))
    atomic_write_text(d / "diagnosis.csv", to_csv(diag.modes, index=False))
    atomic_write_text(d / "diagnosis_inputs.csv", to_csv(diag.inputs, index=False))
    atomic_write_text(d / "diagnosis_confounded.csv", to_csv(diag.confounded, index=False))
    if gains is not None:
        atomic_write_text(d / "levers.csv", to_csv(gains, index=False))
    if args.format == "table":
        print(f"wrote posterior bands, summary, diagnosis and levers to {d}")


def _report_collapsed(args: argparse.Namespace, post: Posterior, conflicts: list[dict]) -> int:
    """Too few effective particles: no percentiles, only the conflict and what to change."""
    if args.format == "json":
        print(json.dumps({"conflicts": conflicts, "summary": None, "notes": post.notes,
                          "ess": post.ess, "paths": post.n_paths,
                          "history": [{"paths": n, "ess": e, "step": h}
                                      for n, e, h in post.history]}, indent=2))
    else:
        for c in post.conflicts:
            print(c["sentence"])
        for note in post.notes:
            print(f"! {note}")
    return 0
