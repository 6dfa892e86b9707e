"""Back-tests of the public cases: condition on the early figures, forecast the later ones.

For each case the scenario is conditioned on its early actuals (simulator.actuals), and
every later published figure gets a posterior predictive distribution: paths drawn with
their posterior weights, then the figure's own observation noise (beta-binomial active
share, the usage-survey model, spot-check accuracy). The figure is a hit when it lies in
that distribution's P10-P90.

    python -m simulator.cases.backtest                       # print the table
    python -m simulator.cases.backtest --write docs/cases.md # refresh the docs table
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from ..actuals import condition, read_actuals
from ..actuals.condition import Posterior
from ..actuals.reader import Actuals, with_definition
from ..actuals.usage import draw_usage
from ..atomic import atomic_write_text
from ..engine.layout import TR_ACC, TR_ACTIVE
from ..scenario import load_scenario
from .registry import CASES, Case

#: Markers around the generated table in docs/cases.md.
BEGIN, END = "<!-- backtest:begin -->", "<!-- backtest:end -->"
#: Predictive draws per figure.
DRAWS = 20_000


def _predictive(post: Posterior, later: Actuals, seed: int, draws: int) -> list[dict]:
    """One row per later figure: the figure and its posterior predictive P10/P50/P90."""
    res, obs = post.sample, post.obs
    rng = np.random.default_rng(seed)
    idx = post.resample(draws, seed=seed)
    rho = obs.active_overdispersion
    t = later.table
    rows = []
    for i, m in enumerate(later.months):
        m = int(m)
        if m > res.horizon:
            raise ValueError(f"later figure in month {m} is after the horizon {res.horizon}")
        reg_model = float(res.registered[m])
        rate = res.trajectories[TR_ACTIVE, m, idx].astype(np.float64) / max(reg_model, 1.0)
        act, reg = t["active_users"].iat[i], t["registered"].iat[i]
        if not math.isnan(act):
            n = int(reg) if not math.isnan(reg) else int(reg_model)
            mu = np.clip(rate, 1e-9, 1 - 1e-9)
            p = rng.beta(mu * (1 - rho) / rho, (1 - mu) * (1 - rho) / rho)
            rows.append(("active share", m, act / n, rng.binomial(n, p) / n))
        if not math.isnan(t["survey_n"].iat[i]):
            n = int(t["survey_n"].iat[i])
            d, w = draw_usage(rate, n, obs.frequency_mix, obs.frequency_concentration, rho,
                              rng)
            rows.append(("used daily", m, float(t["used_daily"].iat[i]), d))
            if not math.isnan(t["used_weekly"].iat[i]):
                rows.append(("used weekly, not daily", m, float(t["used_weekly"].iat[i]), w))
        acc = t["accuracy"].iat[i]
        if not math.isnan(acc):
            a = res.trajectories[TR_ACC, m, idx].astype(np.float64)
            rows.append(("accuracy", m, float(acc), rng.normal(a, obs.accuracy_sd(a))))
    out = []
    for what, m, fig, sample in rows:
        p10, p50, p90 = np.quantile(sample, [0.1, 0.5, 0.9])
        out.append({"figure": what, "month": m, "published": fig, "p10": float(p10),
                    "p50": float(p50), "p90": float(p90),
                    "inside": bool(p10 <= fig <= p90)})
    return out


def backtest(case: Case, paths: int = 20_000, seed: int = 7,
             draws: int = DRAWS) -> pd.DataFrame:
    """The back-test of one case: a row per later figure (forecast band, hit or miss)."""
    sc = load_scenario(case.scenario)
    early = with_definition(read_actuals(case.early, sc.horizon),
                            getattr(case, "active_definition", "monthly"))
    later = read_actuals(case.later, sc.horizon)
    post = condition(sc, early, paths=paths, seed=seed, obs=case.obs)
    rows = _predictive(post, later, seed, draws)
    df = pd.DataFrame(rows)
    df.insert(0, "case", case.key)
    df["ess"] = post.ess
    df["early"] = case.early_label
    return df


def backtest_all(cases: Iterable[Case] = CASES, paths: int = 20_000, seed: int = 7,
                 draws: int = DRAWS) -> pd.DataFrame:
    """Back-tests of all cases, one table."""
    return pd.concat([backtest(c, paths, seed, draws) for c in cases], ignore_index=True)


def markdown_table(df: pd.DataFrame, paths: int, seed: int) -> str:
    """The docs table: case, early figures used, later figure, forecast band, verdict."""
    titles = {c.key: c.title for c in CASES}
    lines = ["| case | calibrated on | later figure (month) | published | forecast P10 / P50 / "
             "P90 | in P10-P90 |", "|---|---|---|---|---|---|"]
    for r in df.itertuples():
        lines.append(f"| {titles.get(r.case, r.case)} | {r.early} | {r.figure} ({int(r.month)}) | "
                     f"{r.published:.0%} | {r.p10:.0%} / {r.p50:.0%} / {r.p90:.0%} | "
                     f"{'yes' if r.inside else '**no**'} |")
    hits = int(df["inside"].sum())
    lines.append("")
    lines.append(f"{hits} of {len(df)} later figures fall in the forecast's P10-P90 "
                 f"({paths:,} paths, seed {seed}; regenerate with "
                 f"`python -m simulator.cases.backtest --write docs/cases.md`).")
    return "\n".join(lines)


def write_docs(path: str | Path, table: str) -> None:
    """Replace the text between the back-test markers of ``path`` (atomically)."""
    p = Path(path)
    text = p.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise ValueError(f"{p}: no {BEGIN} ... {END} markers")
    atomic_write_text(p, pattern.sub(lambda _: f"{BEGIN}\n{table}\n{END}", text))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m simulator.cases.backtest",
                                 description=__doc__.splitlines()[0])
    ap.add_argument("--paths", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--write", metavar="MD", help="replace the table in this markdown file")
    args = ap.parse_args(argv)
    df = backtest_all(paths=args.paths, seed=args.seed)
    table = markdown_table(df, args.paths, args.seed)
    if args.write:
        write_docs(args.write, table)
        print(f"wrote the back-test table to {args.write}")
    print(table)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
