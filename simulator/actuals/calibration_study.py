"""Calibration study of the diagnosis: how often it cries wolf on a healthy rollout, and
how often it finds one failure injected at the prior's 90th percentile, by months of actuals.

    python -m simulator.actuals.calibration_study [SCENARIO] [--seeds 20] [--paths 2000]
        [--months 3 6 12] [--cases none feedback ...] [--spot-checks 200] [--csv runs.csv]

prints the markdown tables of docs/actuals.md. Truths: every uncertain input at its prior
median ("none"), or one mode's inputs moved together to the quantile on their bad side
that puts the mode's composite at the prior's 90th percentile (worse side). Each seed is
one simulated rollout of that truth, read with observation noise for 12 months; the first
3, 6 and 12 months are diagnosed. One prior run (``paths`` paths, horizon = the longest
window) is the prior of every seed's update (tempered SMC with as many particles as it has
paths): the seeds share its paths, and each update's Monte Carlo error is small next to the
actuals' noise at 2 000 particles.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..csv_safe import to_csv
from ..results import SimulationResult
from ..scenario import Scenario
from ..simulation import simulate
from .condition import ObservationModel, condition
from .diagnose import MODE_NOUNS, MODES, THRESHOLD, _values, diagnose, mode_inputs
from .reader import Actuals
from .synthetic import synthetic_actuals, truth_at_medians

#: Truth cases: nothing wrong, then one failure mode injected.
CASES = ("none", *MODES)
#: Month at which the adoption index of an injected truth is set (the source case's).
INJECTION_MONTH = 6
#: Seeds of the truth paths and of the prior run (fixed: the study is reproducible).
TRUTH_SEED = 1000
PRIOR_SEED = 7
#: Detection rate at 12 months the diagnosis should reach on a P90 failure.
TARGET_DETECTION = 0.6
#: Modes whose P90 failure the source case's actuals cannot show reliably: why, and the
#: observation that would. (The docs table prints these; the suite checks that every mode
#: below the target is explained here.)
WEAKLY_IDENTIFIED = {
    "integration": (
        "incidents identify the pilot's rate times (load / pilot users)^alpha; the rollout "
        "only reaches about 4x the pilot's load, so alpha at P90 (1.10 against 0.90) raises "
        "the incident rate by about 30 %, less than the pilot rate's own prior range (0.1 to "
        "0.5 a month) and the Poisson noise of about one incident a month",
        "incident counts at a load well above the pilot's (a load test, or a larger wave), "
        "or the pilot's incident log to pin pilot.incidents_per_month"),
    "change_management": (
        "who adopts is drawn user by user: with 188 rollout users the realised share of "
        "adopters varies by about 3.5 points around the ceiling by luck alone, as much as "
        "the P90 shift (ceiling 0.32 against 0.35, slower Bass p and q), and base churn "
        "(0.5 to 3 % a month) lowers active users the same way",
        "new (first-time) users per month, which separate adoption from churn, and a "
        "further onboarding wave; the actuals file has no column for first-time users yet"),
    "feedback": (
        "drift at P90 (0.54 against 0.30 points a month) lowers accuracy by about 2.6 "
        "points over 12 months, about one standard error of a 12-month trend from 200 spot "
        "checks a month, and a lower launch accuracy (data quality) explains a low level "
        "as well: the diagnosis then reports data quality or drift as an either-or",
        "accuracy spot checks over more months and more items per month (the trend), "
        "early checks for the launch level"),
}


def moved_inputs(sc: Scenario, mode: str) -> list[tuple[str, int]]:
    """(input, direction) of the inputs an injection of ``mode`` moves: the mode's
    uncertain inputs that act in the scenario as configured (+1: higher is worse)."""
    dists = sc.inputs()
    return [(path, sign) for m, path, sign, _role, note in mode_inputs(sc)
            if m == mode and note == "" and path in dists and not dists[path].is_fixed]


def injection(sc: Scenario, prior: SimulationResult, mode: str, level: float = 0.9,
              month: int = INJECTION_MONTH) -> dict[str, float]:
    """Input values that put ``mode``'s composite at the prior's ``level`` quantile on its
    bad side, every moved input at the same quantile on its own bad side.

    The composite's target comes from the prior run; when the composite is a derived
    quantity (launch accuracy, the adoption index) the common quantile is found by
    bisection on a one-path run of the truth.
    """
    moved = moved_inputs(sc, mode)
    if not moved:
        raise ValueError(f"mode {mode}: no uncertain input to move")
    dists = sc.inputs()
    composite, sign = next((p, s) for m, p, s, role, _ in mode_inputs(sc)
                           if m == mode and role == "composite")

    def values(u: float) -> dict[str, float]:
        return {p: dists[p].quantile(u if s > 0 else 1 - u) for p, s in moved}

    if composite in dists:
        return values(level)
    target = sign * float(np.quantile(_values(prior, composite, month),
                                      level if sign > 0 else 1 - level))

    def badness(u: float) -> float:
        res = simulate(truth_at_medians(sc, values(u)), paths=1, seed=0, horizon=month,
                       bands=False, pilot_lens=False)
        return sign * float(_values(res, composite, month)[0])

    lo, hi = 0.5, 0.999
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if badness(mid) < target else (lo, mid)
    return values(0.5 * (lo + hi))


def truncate(actuals: Actuals, months: int) -> Actuals:
    """The first ``months`` months of ``actuals``."""
    t = actuals.table
    return Actuals(t[t["month"] <= months].reset_index(drop=True))


def run_study(sc: Scenario, seeds: int = 20, paths: int = 2_000,
              months: Sequence[int] = (3, 6, 12), cases: Iterable[str] = CASES,
              prior: SimulationResult | None = None,
              obs: ObservationModel | None = None) -> pd.DataFrame:
    """One row per (case, seed, months): the diagnosis' calls and probabilities.

    ``obs`` (default: the default observation model) is both how the synthetic actuals
    are noised and what conditioning assumes: a richer observation (more spot checks)
    can be tried on the same truths.

    Columns: case, seed, months, ess, status, worse (modes called worse, ";"-joined),
    inconclusive (modes in an either-or pair), alarm, detected (the injected mode is
    called worse), max_prob_worse, max_prob_either (over confounded pairs) and
    ``prob_worse_<mode>`` for each mode.
    """
    horizon = max(months)
    if prior is None:
        prior = simulate(sc, paths=paths, seed=PRIOR_SEED, horizon=horizon, pilot_lens=False)
    rows = []
    for case in cases:
        ci = CASES.index(case)
        truth_sc = truth_at_medians(sc, {} if case == "none" else injection(sc, prior, case))
        for seed in range(seeds):
            truth = simulate(truth_sc, paths=1, seed=TRUTH_SEED + seed, horizon=horizon,
                             pilot_lens=False)
            full = synthetic_actuals(truth, 0, range(1, horizon + 1), obs=obs,
                                     rng=np.random.default_rng([seed, ci]))
            for m in months:
                post = condition(prior, truncate(full, m), obs=obs)
                d = diagnose(post)
                pw = d.modes.set_index("mode")["prob_worse"]
                pairs = d.confounded
                incl = sorted({x for pair in d.inconclusive for x in pair})
                rows.append({
                    "case": case, "seed": seed, "months": m, "ess": post.ess,
                    "status": d.status, "worse": ";".join(d.worse),
                    "inconclusive": ";".join(incl), "alarm": d.alarm,
                    "detected": case in d.worse,
                    "max_prob_worse": float(pw.max()),
                    "max_prob_either": (float(pairs["prob_either_worse"].max())
                                        if len(pairs) else 0.0),
                    **{f"prob_worse_{k}": float(pw[k]) for k in MODES}})
    return pd.DataFrame(rows)


def wilson_upper(k: int, n: int, z: float = 1.96) -> float:
    """Upper end of the Wilson 95 % interval of a binomial rate k / n."""
    p = k / n
    centre = p + z * z / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre + half) / (1 + z * z / n)


def rates(runs: pd.DataFrame) -> pd.DataFrame:
    """Per (case, months): n, the rate the study is about (false alarm for "none",
    detection otherwise), its binomial s.e., the Wilson upper 95 % bound, and the share of
    runs naming a wrong mode or ending inconclusive."""
    out = []
    for (case, m), g in runs.groupby(["case", "months"], sort=False):
        n = len(g)
        hit = g["alarm"] if case == "none" else g["detected"]
        k = int(hit.sum())
        p = k / n
        wrong = 0.0 if case == "none" else float(
            ((g["worse"] != "") & ~g["detected"]).mean())
        out.append({"case": case, "months": int(m), "n": n, "rate": p,
                    "se": math.sqrt(p * (1 - p) / n), "upper95": wilson_upper(k, n),
                    "wrong_mode": wrong,
                    "inconclusive": float((g["status"] == "inconclusive").mean()),
                    "ess_median": float(g["ess"].median())})
    return pd.DataFrame(out)


def threshold_sweep(runs: pd.DataFrame, thresholds: Sequence[float] = (
        0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)) -> pd.DataFrame:
    """False-alarm and detection rates the diagnosis would have at other thresholds.

    A run raises an alarm at threshold t when a mode's probability of being worse, or a
    confounded pair's probability that one of the two is, reaches t; it detects the
    injected mode when that mode's own probability does.
    """
    out = []
    for (case, m), g in runs.groupby(["case", "months"], sort=False):
        for t in thresholds:
            if case == "none":
                hit = (g["max_prob_worse"] >= t) | (g["max_prob_either"] >= t)
            else:
                hit = g[f"prob_worse_{case}"] >= t
            p = float(hit.mean())
            out.append({"case": case, "months": int(m), "threshold": t, "rate": p,
                        "se": math.sqrt(p * (1 - p) / len(g))})
    return pd.DataFrame(out)


def _pm(p: float, n: int) -> str:
    return f"{p:.2f} ± {math.sqrt(p * (1 - p) / n):.2f}"


def markdown(runs: pd.DataFrame) -> str:
    """The docs tables: rates by truth and months, the threshold sweep, and the modes a
    P90 failure of which the actuals cannot show (why, and what would)."""
    r = rates(runs)
    months = sorted(r["months"].unique())
    lines = ["| truth | months | seeds | called worse | either-or naming it | wrong mode "
             "named | median ESS |", "|---|---|---|---|---|---|---|"]
    for _, x in r.iterrows():
        case, n = x["case"], int(x["n"])
        g = runs[(runs["case"] == case) & (runs["months"] == x["months"])]
        if case == "none":
            label = "nothing wrong"
            called = (f"{_pm(float((g['worse'] != '').mean()), n)}; any alarm "
                      f"{_pm(x['rate'], n)} (upper 95 % {x['upper95']:.2f})")
            either = _pm(x["inconclusive"], n)
            wrong = "—"
        else:
            label = f"{MODE_NOUNS[case]} at P90"
            called = _pm(x["rate"], n)
            either = _pm(float(g["inconclusive"].str.contains(case).mean()), n)
            wrong = _pm(x["wrong_mode"], n)
        lines.append(f"| {label} | {x['months']} | {n} | {called} | {either} | {wrong} | "
                     f"{x['ess_median']:,.0f} |")
    sweep = threshold_sweep(runs)
    mid, last = months[len(months) // 2], months[-1]
    cols = [(c, m) for c, m in sweep[["case", "months"]].drop_duplicates().itertuples(
        index=False) if (c == "none" and m == mid) or (c != "none" and m == last)]
    lines += ["", "| threshold | " + " | ".join(
        ("false alarm" if c == "none" else MODE_NOUNS[c]) + f" ({m} months)"
        for c, m in cols) + " |", "|---|" + "---|" * len(cols)]
    for t in sorted(sweep["threshold"].unique()):
        s = sweep[sweep["threshold"] == t].set_index(["case", "months"])
        mark = " (used)" if abs(t - THRESHOLD) < 1e-9 else ""
        lines.append(f"| {t:.2f}{mark} | " + " | ".join(
            _pm(s.loc[(c, m), "rate"], int((runs["case"] == c).sum() / len(months)))
            for c, m in cols) + " |")
    weak = [c for c in r["case"].unique() if c != "none"
            and r[(r["case"] == c) & (r["months"] == last)]["rate"].iloc[0]
            < TARGET_DETECTION]
    if weak:
        lines += ["", f"| mode (detected below {TARGET_DETECTION:.0%} at {last} months) | "
                      "why the actuals cannot show a P90 failure | observation that would "
                      "fix it |", "|---|---|---|"]
        for c in weak:
            why, fix = WEAKLY_IDENTIFIED.get(c, ("not explained yet", "unknown"))
            lines.append(f"| {MODE_NOUNS[c]} | {why} | {fix} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from .. import load_scenario
    from ..atomic import atomic_write_text

    ap = argparse.ArgumentParser(prog="python -m simulator.actuals.calibration_study",
                                 description=__doc__.splitlines()[0])
    ap.add_argument("scenario", nargs="?", default="scenarios/seed_case.toml")
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--paths", type=int, default=2_000)
    ap.add_argument("--months", type=int, nargs="+", default=[3, 6, 12])
    ap.add_argument("--cases", nargs="+", default=list(CASES), choices=CASES)
    ap.add_argument("--spot-checks", type=int, default=ObservationModel.accuracy_spot_checks,
                    help="accuracy spot checks per month, in the actuals and the model")
    ap.add_argument("--csv", default=None, help="also write the per-run table here")
    args = ap.parse_args(argv)
    for name, v, lo in (("--seeds", args.seeds, 2), ("--paths", args.paths, 500)):
        if v < lo:
            print(f"{name}: {v} is below {lo}", file=sys.stderr)
            return 2
    sc = load_scenario(args.scenario)
    if any(not 1 <= m <= sc.horizon for m in args.months):
        print(f"--months: {args.months} must lie in 1..{sc.horizon}", file=sys.stderr)
        return 2
    try:
        obs = ObservationModel(accuracy_spot_checks=args.spot_checks)
    except ValueError as exc:
        print(f"--spot-checks: {exc}", file=sys.stderr)
        return 2
    runs = run_study(sc, seeds=args.seeds, paths=args.paths, months=sorted(args.months),
                     cases=[c for c in CASES if c in args.cases], obs=obs)
    if args.csv:
        atomic_write_text(Path(args.csv), to_csv(runs, index=False))
    print(markdown(runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
