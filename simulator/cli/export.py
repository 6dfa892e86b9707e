"""``export``: simulate a scenario and write the finance deck, workbook, CSV and images.

    rollout-sim export scenarios/seed_case.toml --pptx deck.pptx --xlsx book.xlsx \\
        --csv out/ --png charts/ --svg charts/ --sipmath lib.json --paths 20000 --seed 7

Options are checked before the (slow) simulation, so a typo costs nothing; every file is
written atomically (an existing file is replaced only when the new one is complete).
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
from pathlib import Path

from ..budget import check_analysis_budget, check_run_budget
from ..export.deck import DEFAULT_SLIDES, SLIDE_NAMES, check_slides
from ..scenario import combination_count
from ..simulation import simulate
from . import CliError
from .common import check_out_file, scenario_from_args

_OUTPUTS = ("pptx", "xlsx", "csv", "png", "svg", "sipmath")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="write a PowerPoint deck, Excel workbook, CSV and "
                                      "chart images of a scenario's business case")
    p.add_argument("file", help="scenario TOML file")
    p.add_argument("--paths", type=int, default=20_000, help="Monte Carlo paths (20000)")
    p.add_argument("--seed", type=int, default=7, help="random seed (7)")
    p.add_argument("--horizon", type=int, default=None, help="override horizon, months")
    p.add_argument("--set", dest="overrides", action="append", default=[],
                   metavar="PATH=VALUE",
                   help="override a scenario value, e.g. adoption.cohorts[0].size=400")
    p.add_argument("--pptx", metavar="FILE", help="write the slide deck (.pptx)")
    p.add_argument("--xlsx", metavar="FILE", help="write the workbook (.xlsx)")
    p.add_argument("--csv", metavar="DIR", help="write bands.csv and summary.csv to DIR")
    p.add_argument("--png", metavar="DIR", help="write every chart as PNG to DIR")
    p.add_argument("--svg", metavar="DIR", help="write every chart as SVG to DIR")
    p.add_argument("--sipmath", metavar="FILE",
                   help="write chosen per-path outputs and inputs as a SIPmath 3.0 library "
                        "(.json) for spreadsheet models")
    p.add_argument("--sip-vars", default=None, metavar="KEYS",
                   help="comma-separated outputs and input paths for --sipmath (default: "
                        "npv, pv_benefit, pv_cost, roi, active_rate_m6, pilot_lens_npv and "
                        "every sampled input)")
    p.add_argument("--no-analysis", dest="analysis", action="store_false",
                   help="leave the lever, gap-waterfall and tornado slides out of the deck "
                        "(they re-run the model about 50 times)")
    p.add_argument("--scale", type=float, default=2.0,
                   help="PNG pixels per chart pixel (2 = sharp on slides; 0.5..8)")
    p.add_argument("--voi", action="store_true",
                   help="add the slide 'What is worth learning before the rollout' (value of "
                        "information; runs the analysis at up to 5000 paths)")
    p.add_argument("--levers", action="store_true",
                   help="add the lever table to the deck and workbook (simulates all "
                        f"{combination_count()} lever portfolios: about "
                        f"{combination_count()} times the run time)")
    p.add_argument("--paths-sheet", action="store_true",
                   help="add the per-path sheet to the workbook (one row per path: large)")
    p.add_argument("--no-paths-sheet", dest="paths_sheet", action="store_false",
                   help=argparse.SUPPRESS)  # the default now; kept for old scripts
    p.add_argument("--fiscal-start", type=int, default=1, metavar="MONTH",
                   help="calendar month (1-12) a fiscal year starts in, for the workbook's "
                        "annual cash flow (1)")
    p.add_argument("--appendix", action="store_true",
                   help="add the appendix to the deck: title page, headline ranges, active "
                        "users, every combination of levers, edits, assumption tables")
    p.add_argument("--slides", default=None, metavar="NAMES",
                   help="comma-separated slides to build, in order, from: "
                        + ", ".join(SLIDE_NAMES))
    p.add_argument("--date", default=None, metavar="YYYY-MM-DD",
                   help="date on the title slide (today)")
    p.set_defaults(func=cmd_export)


def check_args(args: argparse.Namespace) -> dt.date:
    """Reject bad options with one line each, before anything is simulated."""
    if not any(getattr(args, o) for o in _OUTPUTS):
        raise CliError("nothing to export: give at least one of --pptx FILE, --xlsx FILE, "
                       "--csv DIR, --png DIR, --svg DIR, --sipmath FILE")
    for opt, ext in (("pptx", ".pptx"), ("xlsx", ".xlsx"), ("sipmath", ".json")):
        v = getattr(args, opt)
        if v and Path(v).suffix.lower() != ext:
            raise CliError(f"--{opt.replace('_', '-')} {v}: the file name must end in {ext}")
        if v and Path(v).is_dir():
            raise CliError(f"--{opt} {v}: is a directory; give a file name ending in {ext}")
        check_out_file(v, f"--{opt}", sources=(args.file,))
    for opt in ("csv", "png", "svg"):
        v = getattr(args, opt)
        if v and Path(v).exists() and not Path(v).is_dir():
            raise CliError(f"--{opt} {v}: exists and is not a directory")
    if args.paths < 1:
        raise CliError(f"--paths {args.paths}: must be at least 1")
    if not (math.isfinite(args.scale) and 0.5 <= args.scale <= 8):
        raise CliError(f"--scale {args.scale:g}: allowed range is 0.5 to 8")
    if not 1 <= args.fiscal_start <= 12:
        raise CliError(f"--fiscal-start {args.fiscal_start}: a calendar month 1 to 12")
    if args.slides is not None:
        try:
            args.slides = check_slides(args.slides.split(","))
        except ValueError as exc:
            raise CliError(str(exc)) from None
    if args.date is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(args.date)
    except ValueError:
        raise CliError(f"--date {args.date!r}: expected YYYY-MM-DD") from None


def _lever_table(sc, args, res, findings):
    """The lever table: the deck's own lever analysis when it ran on these paths (the
    same portfolios on the same paths: not simulated twice), else its own, on ``res``."""
    from ..analysis.levers import lever_analysis
    from ..export.tables import levers_frame

    la = getattr(findings, "levers", None)
    if la is None or findings.paths != args.paths:
        try:
            la = lever_analysis(sc, paths=args.paths, seed=args.seed, horizon=args.horizon,
                                base=res)
        except ValueError as exc:
            raise CliError(f"--levers: {exc}") from None
    return levers_frame(la.combinations)


def _sipmath(res, args) -> Path:
    from ..export.sipmath import SipError, write_sip_library

    kw = {}
    if args.sip_vars:
        keys = [k.strip() for k in args.sip_vars.split(",") if k.strip()]
        kw = {"inputs": [k for k in keys if k in res.input_names],
              "outputs": [k for k in keys if k not in res.input_names]}
    try:
        return write_sip_library(res, args.sipmath, date=dt.date.today(), **kw)
    except SipError as exc:
        raise CliError(f"--sipmath: {exc}") from None


def _extra_slides(sc, args: argparse.Namespace) -> list:
    """Optional deck slides: the value of information (``--voi``)."""
    slides = []
    if args.voi:
        from ..export.voi_slide import add_voi_slide
        from ..voi import value_of_information

        v = value_of_information(sc, paths=min(args.paths, 5_000), seed=args.seed,
                                 horizon=args.horizon)
        slides.append(lambda prs, res, findings: add_voi_slide(prs, v))
    return slides


def _slides(args: argparse.Namespace) -> list[str] | None:
    """The deck's slides: --slides, or the default plus the lever table with --levers."""
    if args.slides is not None:
        return args.slides
    if args.levers and not args.appendix:
        return [*DEFAULT_SLIDES, "combinations"]
    return None


def cmd_export(args: argparse.Namespace) -> int:
    date = check_args(args)
    sc = scenario_from_args(args)
    check_run_budget(sc, args.paths, args.horizon, keep_trajectories=True)  # before any work
    if args.levers:
        check_analysis_budget(sc, args.paths, args.horizon, what="levers", columns=40)
    from ..export import write_csv, write_deck, write_workbook

    # the deck's usage charts and cash-flow lines read the trajectories: keep them
    res = simulate(sc, paths=args.paths, seed=args.seed, horizon=args.horizon,
                   keep_trajectories=True)
    findings = args.analysis
    if args.levers and args.pptx and args.analysis:  # the deck's analyses, run once
        from ..export import run_findings

        findings = run_findings(res)
    levers = _lever_table(sc, args, res, findings) if args.levers else None
    written: list[Path] = []
    try:
        if args.pptx:
            written.append(write_deck(res, args.pptx, levers=levers, date=date,
                                      findings=findings,
                                      extra_slides=_extra_slides(sc, args),
                                      slides=_slides(args), appendix=args.appendix))
        if args.xlsx:
            written.append(write_workbook(res, args.xlsx, levers=levers,
                                          paths_sheet=args.paths_sheet,
                                          fiscal_start=args.fiscal_start))
        if args.csv:
            written += write_csv(res, args.csv)
        if args.sipmath:
            written.append(_sipmath(res, args))
        if args.png or args.svg:
            from ..export.images import result_charts, write_images

            charts = result_charts(res)
            for opt in ("png", "svg"):
                d = getattr(args, opt)
                if d:
                    written += write_images(charts, d, formats=[opt], scale=args.scale)
    except OSError as exc:
        where = exc.filename or ""
        raise CliError(f"cannot write {where}: {exc.strerror or exc}") from None
    for p in written:
        print(f"wrote {p}")
    return 0
