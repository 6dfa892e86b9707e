"""``cases backtest``: the public cases forecast from their classes (leave one out)."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("cases", help="the public rollouts the model is checked against")
    csub = p.add_subparsers(dest="cases_command", required=True, metavar="ACTION")
    b = csub.add_parser("backtest", help="forecast each case's later figures from its early ones")
    b.add_argument("--loo", action="store_true",
                   help="each case from its class fitted without it (leave one case out); "
                        "without it: each case's own scenario file (docs/cases.md)")
    b.add_argument("--paths", type=int, default=4000)
    b.add_argument("--seed", type=int, default=7)
    b.add_argument("--format", choices=("text", "json"), default="text")
    b.add_argument("--write", metavar="MD", help="replace the table in this markdown file")
    b.set_defaults(func=cmd_backtest)


def cmd_backtest(args: argparse.Namespace) -> int:
    from . import CliError

    if not 100 <= args.paths <= 1_000_000:
        raise CliError(f"--paths: {args.paths} is outside [100, 1000000]")
    if args.loo:
        from ..cases.loo import loo_backtest, markdown_table, write_docs

        result = loo_backtest(paths=args.paths, seed=args.seed)
        table = markdown_table(result)
    else:
        from ..cases.backtest import backtest_all, write_docs
        from ..cases.backtest import markdown_table as md

        df = backtest_all(paths=args.paths, seed=args.seed)
        result = {"figures": df.drop(columns=["ess", "early"]).to_dict(orient="records"),
                  "coverage": float(df["inside"].mean())}
        table = md(df, args.paths, args.seed)
    if args.write:
        try:
            write_docs(args.write, table)
        except (OSError, ValueError) as exc:
            raise CliError(f"--write: {exc}") from None
    if args.format == "json":
        print(json.dumps(result, indent=2, default=float))
    else:
        print(table)
    return 0
