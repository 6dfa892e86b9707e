"""Calibration study of the diagnosis: how often it cries wolf on a healthy rollout, and
how often it finds one failure injected at the prior's 90th percentile, by months of actuals.

    python -m simulator.actuals.calibration_study [SCENARIO] [--seeds 20] [--paths 20000]
        [--months 3 6 12] [--csv runs.csv]

prints the markdown tables of docs/actuals.md. Truths: every uncertain input at its prior
median ("none"), or one mode's inputs moved together to the quantile on their bad side
that puts the mode's composite at the prior's 90th percentile (worse side). Each seed is
one simulated rollout of that truth, read with observation noise for 12 months; the first
3, 6 and 12 months are diagnosed. One prior run (``paths`` paths, horizon = the longest
window) is weighted by every seed's actuals: the seeds share its Monte Carlo error, which
is small next to the actuals' noise at 20 000 paths.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..results import SimulationResult
from ..scenario import Scenario
from ..simulation import simulate
from .condition import condition
from .diagnose import MODE_NOUNS, MODES, THRESHOLD, _values, diagnose, mode_inputs
from .format import Actuals
from .synthetic import synthetic_actuals, truth_at_medians

#: Truth cases: nothing wrong, then one failure mode injected.
CASES = ("none", *MODES)
#: Month at which the adoption index of an injected truth is set (the source case's).
INJECTION_MONTH = 6
#: Seeds of the truth paths and of the prior run (fixed: the study is reproducible).
TRUTH_SEED = 1000
PRIOR_SEED = 7


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


def run_study(sc: Scenario, seeds: int = 20, paths: int = 20_000,
              months: Sequence[int] = (3, 6, 12), cases: Iterable[str] = CASES,
              prior: SimulationResult | None = None) -> pd.DataFrame:
    """One row per (case, seed, months): the diagnosis' calls and probabilities.

    Columns: case, seed, months, ess, status, worse (modes called worse, ";"-joined),
    inconclusive (modes in an either-or pair), alarm, detected (the injected mode is
    called worse), max_prob_worse, max_prob_either (over confounded pairs) and
    ``prob_worse_<mode>`` for each mode.
    """
    horizon = max(months)
    if prior is None:
        prior = simulate(sc, paths=paths, seed=PRIOR_SEED, horizon=horizon, pilot_lens=False)
    rows = []
    for ci, case in enumerate(cases):
        truth_sc = truth_at_medians(sc, {} if case == "none" else injection(sc, prior, case))
        for seed in range(seeds):
            truth = simulate(truth_sc, paths=1, seed=TRUTH_SEED + seed, horizon=horizon,
                             pilot_lens=False)
            full = synthetic_actuals(truth, 0, range(1, horizon + 1),
                                     rng=np.random.default_rng([seed, ci]))
            for m in months:
                post = condition(prior, truncate(full, m), max_paths=prior.n_paths,
                                 rounds=0)
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


def _cell(p: float, se: float) -> str:
    return f"{p:.2f} ± {se:.2f}"


def markdown(runs: pd.DataFrame) -> str:
    """The docs tables: rates by case and months, then the threshold sweep."""
    r = rates(runs)
    months = sorted(r["months"].unique())
    n = int(r["n"].max())
    head = "| truth | what is counted | " + " | ".join(f"{m} months" for m in months) + " |"
    lines = [head, "|---|---|" + "---|" * len(months)]
    for case in r["case"].unique():
        sub = r[r["case"] == case].set_index("months")
        what = ("false alarm (any mode called worse, or an either-or)" if case == "none"
                else f"{MODE_NOUNS[case]} called worse")
        cells = []
        for m in months:
            x = sub.loc[m]
            cell = _cell(x["rate"], x["se"])
            if case == "none":
                cell += f" (≤ {x['upper95']:.2f})"
            elif x["wrong_mode"] > 0:
                cell += f"; wrong mode {x['wrong_mode']:.2f}"
            cells.append(cell)
        label = "nothing wrong" if case == "none" else f"{MODE_NOUNS[case]} at P90"
        lines.append(f"| {label} | {what} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(f"Rates over {n} seeds ± binomial standard error; (≤ x): Wilson upper 95 % "
                 f"bound; threshold {THRESHOLD:.2f}; median ESS by column: "
                 + ", ".join(f"{m} months {r[r['months'] == m]['ess_median'].median():,.0f}"
                             for m in months) + ".")
    sweep = threshold_sweep(runs)
    lines += ["", "| threshold | " + " | ".join(
        f"{'false alarm' if c == 'none' else MODE_NOUNS[c]} ({m} mo)"
        for c, m in sweep[["case", "months"]].drop_duplicates().itertuples(index=False)
        if m == months[len(months) // 2] or (c != "none" and m == months[-1])) + " |"]
    cols = [(c, m) for c, m in sweep[["case", "months"]].drop_duplicates().itertuples(
        index=False) if m == months[len(months) // 2] or (c != "none" and m == months[-1])]
    lines.append("|---|" + "---|" * len(cols))
    for t in sorted(sweep["threshold"].unique()):
        s = sweep[sweep["threshold"] == t].set_index(["case", "months"])
        lines.append(f"| {t:.2f} | " + " | ".join(
            f"{s.loc[(c, m), 'rate']:.2f}" for c, m in cols) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from .. import load_scenario
    from ..io import atomic_write_text

    ap = argparse.ArgumentParser(prog="python -m simulator.actuals.calibration_study",
                                 description=__doc__.splitlines()[0])
    ap.add_argument("scenario", nargs="?", default="scenarios/seed_case.toml")
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--paths", type=int, default=20_000)
    ap.add_argument("--months", type=int, nargs="+", default=[3, 6, 12])
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
    runs = run_study(sc, seeds=args.seeds, paths=args.paths, months=sorted(args.months))
    if args.csv:
        atomic_write_text(Path(args.csv), runs.to_csv(index=False))
    print(markdown(runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
