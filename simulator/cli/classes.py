"""``classes fit`` and ``classes show``: reference classes fitted from past rollouts."""

from __future__ import annotations

import argparse
import glob
import json
from pathlib import Path

from ..atomic import atomic_write_text
from ..scenario.provenance import CLASSES_DIR
from . import CliError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("classes", help="reference classes fitted from past rollouts")
    csub = p.add_subparsers(dest="classes_command", required=True, metavar="ACTION")
    f = csub.add_parser("fit", help="fit each class's adoption and usage priors by partial "
                                    "pooling over its cases")
    f.add_argument("--cases", nargs="+", metavar="TOML",
                   help="your own past rollouts (FILE.toml with FILE_early.csv, "
                        "FILE_later.csv or FILE.csv beside it) instead of the case library")
    f.add_argument("--class", dest="cls", default=None,
                   help="the class of every --cases file (else each file's reference_class)")
    f.add_argument("--out", default=None, metavar="DIR",
                   help=f"write NAME.toml here (default: the package's {CLASSES_DIR.name}/)")
    f.add_argument("--format", choices=("text", "json"), default="text")
    f.set_defaults(func=cmd_fit)


def cmd_fit(args: argparse.Namespace) -> int:
    from ..cases.fit import class_file, class_names, fit_class, registry_cases, user_cases

    if args.cases:
        files = [g for pat in args.cases for g in (sorted(glob.glob(pat)) or [pat])]
        missing = [f for f in files if not Path(f).is_file()]
        if missing:
            raise CliError(f"--cases: {missing[0]!r} is not a file")
        try:
            groups = user_cases(files, args.cls)
        except (ValueError, OSError) as exc:
            raise CliError(str(exc)) from None
        origin = "your cases (" + ", ".join(Path(f).name for f in files) + ")"
    else:
        groups = {c: registry_cases(c) for c in class_names()}
        origin = "the case library (scenarios/cases)"
    out = Path(args.out) if args.out else CLASSES_DIR
    if not out.is_dir():
        raise CliError(f"--out: {str(out)!r} is not a folder")
    report = {}
    for name, cases in groups.items():
        fit = fit_class(name, cases)
        atomic_write_text(out / f"{name}.toml", class_file(fit, origin))
        report[name] = {"cases": fit.cases, "file": str(out / f"{name}.toml"),
                        **{p: {"mu": float(fit.mu[j]), "mu_se": float(fit.mu_se[j]),
                               "tau": float(fit.tau[j]),
                               "log_tau_se": float(fit.log_tau_se[j])}
                           for j, p in enumerate(("ceiling", "innovation_p", "weekly_share",
                                                  "daily_share"))}}
    if args.format == "json":
        print(json.dumps(report, indent=2))
    else:
        for name, r in report.items():
            print(f"{name}: fitted on {', '.join(r['cases']) or 'no cases (hyperprior only)'}"
                  f" -> {r['file']}")
            for p in ("ceiling", "innovation_p", "weekly_share", "daily_share"):
                v = r[p]
                print(f"  {p:<13} mu {v['mu']:+.2f} (se {v['mu_se']:.2f})  between-"
                      f"organisation sd tau {v['tau']:.2f} (log se {v['log_tau_se']:.2f}), "
                      f"logit scale")
    return 0
