"""``calibrate``: the forecast conditioned on actuals, written back as a scenario file."""

from __future__ import annotations

import argparse
import json
import math

from ..actuals import ActualsError, condition, read_actuals
from ..actuals.calibrate import calibrate
from ..budget import check_run_budget
from . import CliError
from .common import add_run_options, check_out_file, emit, scenario_from_args
from .update import add_observation_options, observation_model

#: Fewest effective paths a calibrated scenario may rest on.
MIN_CALIBRATE_ESS = 20


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("calibrate", help="condition on actuals and write the posterior as a "
                                         "scenario file")
    add_run_options(p)
    add_observation_options(p)
    p.add_argument("--out", required=True, metavar="NEW.toml",
                   help="calibrated scenario file to write (atomically)")
    p.add_argument("--min-rho", type=float, default=0.3,
                   help="keep posterior rank correlations between refitted inputs at or "
                        "above this size (0.3)")
    p.add_argument("--force", action="store_true",
                   help="allow --out to name the scenario file itself (overwrite it)")
    p.set_defaults(func=cmd_calibrate)


def cmd_calibrate(args: argparse.Namespace) -> int:
    check_out_file(args.out, sources=(args.file, args.actuals), force=args.force)
    sc = scenario_from_args(args)
    check_run_budget(sc, args.paths, args.horizon)  # before any work
    horizon = args.horizon or sc.horizon
    if not 0.0 < args.min_rho <= 1.0:
        raise CliError(f"--min-rho: {args.min_rho:g} is outside (0, 1]")
    try:
        actuals = read_actuals(args.actuals, horizon)
        post = condition(sc, actuals, paths=args.paths, seed=args.seed,
                         horizon=args.horizon, obs=observation_model(args))
    except ActualsError as exc:
        raise CliError(f"{exc} ({args.out} not written)") from None
    if not math.isfinite(post.ess) or post.ess < MIN_CALIBRATE_ESS:
        # A NaN or tiny effective sample size: the posterior is the prior or one path;
        # writing it back as "calibrated" would be a lie. Nothing is written.
        raise CliError(f"{args.actuals}: effective sample size {post.ess:.3g} after "
                       f"conditioning (allowed: at least {MIN_CALIBRATE_ESS}); the forecast "
                       f"cannot explain these actuals, so there is nothing to calibrate (run "
                       f"`update` to see which figure it cannot explain; {args.out} not "
                       f"written)")
    cal = calibrate(post, source=args.file, actuals_name=args.actuals, min_rho=args.min_rho)
    cal.save(args.out)
    fits = cal.fits.drop(columns=["spec"])
    if args.format == "json":
        print(json.dumps({"out": args.out, "ess": cal.ess, "notes": cal.notes,
                          "fits": json.loads(fits.to_json(orient="records")),
                          "correlations": [{"a": a, "b": b, "rho": r}
                                           for a, b, r in cal.correlations]}, indent=2))
    elif args.format == "csv":
        emit(fits, "csv")
    else:
        print(cal.header.rstrip())
        for note in cal.notes:
            print(f"! {note}")
        print(f"wrote {args.out}")
    return 0
