"""Leave-one-case-out back-tests: each case forecast from its class fitted without it.

For case i: the class is fitted on its other cases (:mod:`.fit`), the case's own scenario
takes the class's fitted inputs (its rollout tiers' ceiling and speed, the usage
intensity), the run is conditioned on the case's early figures (simulator.actuals'
``condition``, whatever engine it uses), and every later figure gets a predictive
distribution: paths resampled by their posterior weights, the figure computed on each
(monthly active share, ever used, or a survey's daily and weekly-not-daily shares from
the path's usage intensity, simulator.telemetry), then the published figure's own noise,
Binomial(n_eff, g) / n_eff with n_eff = min(n, N_EFF_CAP) as in the fit. PIT is the
published value's mid-rank quantile in that distribution; a calibrated forecast has PIT
uniform (mean 0.5) and about 80 % of figures inside P10-P90.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from ..actuals import condition, read_actuals
from ..actuals.reader import with_definition
from ..scenario import Scenario
from .fit import (
    N_EFF_CAP,
    ClassFit,
    class_case_scenario,
    class_values,
    extra_figures,
    fit_class,
    registry_cases,
)
from .registry import CASES, Case


def rebase(case: Case, fit: ClassFit) -> Scenario:
    """The case as a new organisation of its class would write it: its facts (pilot team,
    cohorts, horizon) and every other input from the fitted class (fit.class_case_scenario)."""
    return class_case_scenario(case.reference_class, case.scenario, class_values(fit))


def _noisy(g: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    ne = max(1, min(int(n), N_EFF_CAP))
    return rng.binomial(ne, np.clip(g, 0.0, 1.0)) / ne


def _pit(sample: np.ndarray, y: float) -> float:
    return float(np.mean(sample < y) + 0.5 * np.mean(sample == y))


_KIND_NAMES = {"monthly": ("monthly active share", "active_rate"),
               "ever_used": ("ever used", "ever_used"),
               "weekly": ("weekly active share", "weekly_active_rate"),
               "daily": ("daily active share", "daily_active_rate")}


def figure_rows(res, idx: np.ndarray, table, definition: str, rng,
                extra: list | tuple = ()) -> list[dict]:
    """Predictive P10/P50/P90, PIT and hit of every figure in an actuals ``table`` and of
    the ``extra`` (month, kind, n, (value,)) figures, for the paths ``idx`` of ``res``."""
    tel = res.telemetry
    rows = []
    for m, kind, n, (y,) in extra:
        name, metric = _KIND_NAMES[kind]
        rows.append((name, int(m), float(y), _noisy(tel[metric][int(m), idx], n, rng)))
    for _, r in table.iterrows():
        m = int(r["month"])
        rate = tel["active_rate"][m, idx]
        reg = float(res.registered[m])
        if not math.isnan(r["active_users"]):
            n = int(r["registered"]) if not math.isnan(r["registered"]) else int(reg)
            kind = definition if definition in _KIND_NAMES else "monthly"
            name, metric = _KIND_NAMES[kind]
            g = tel[metric][m, idx]
            rows.append((name, m, float(r["active_users"]) / n, _noisy(g, n, rng)))
        if not math.isnan(r["survey_n"]) and not math.isnan(r["used_daily"]):
            n = int(r["survey_n"])
            w, d = res.usage[idx, 0], res.usage[idx, 1]
            rows.append(("used daily", m, float(r["used_daily"]), _noisy(rate * w * d, n, rng)))
            if not math.isnan(r["used_weekly"]):
                rows.append(("used weekly, not daily", m, float(r["used_weekly"]),
                             _noisy(rate * w * (1 - d), n, rng)))
    out = []
    for what, m, y, s in rows:
        p10, p50, p90 = np.quantile(s, [0.1, 0.5, 0.9])
        out.append({"figure": what, "month": m, "published": y, "p10": float(p10),
                    "p50": float(p50), "p90": float(p90), "pit": _pit(s, y),
                    "inside": bool(p10 <= y <= p90)})
    return out


def loo_case(case: Case, paths: int = 4000, seed: int = 7, draws: int = 20_000) -> list[dict]:
    """The leave-one-out back-test rows of one case (empty when its class has no other
    case to fit on... then the class is the hyperprior's, still a forecast)."""
    others = registry_cases(case.reference_class, exclude=case.key)
    fit = fit_class(case.reference_class, others)
    sc = rebase(case, fit)
    early = with_definition(read_actuals(case.early, sc.horizon),
                            getattr(case, "active_definition", "monthly"))
    later = read_actuals(case.later, sc.horizon)
    post = condition(sc, early, paths=paths, seed=seed, obs=case.obs)
    idx = post.resample(draws, seed=seed)
    rng = np.random.default_rng(seed)
    last_early = int(early.table["month"].max()) if len(early.table) else 0
    extra = [f for f in extra_figures(case) if last_early < f[0] <= sc.horizon]
    rows = figure_rows(post.sample, idx, later.table, getattr(case, "active_definition",
                                                                "monthly"), rng, extra)
    for r in rows:
        r["case"] = case.key
        r["class"] = case.reference_class
        r["fitted_on"] = ", ".join(fit.cases)
    return rows


def loo_backtest(cases: Iterable[Case] = CASES, paths: int = 4000, seed: int = 7,
                 draws: int = 20_000) -> dict:
    """``{"figures": [...], "coverage": x, "pit_mean": y}`` over every case's later figures."""
    figures = [r for c in cases for r in loo_case(c, paths, seed, draws)]
    keys = ("case", "figure", "month", "published", "p10", "p50", "p90", "pit", "inside",
            "class", "fitted_on")
    figures = [{k: r[k] for k in keys} for r in figures]
    n = len(figures)
    return {"figures": figures,
            "coverage": sum(r["inside"] for r in figures) / n if n else math.nan,
            "pit_mean": float(np.mean([r["pit"] for r in figures])) if n else math.nan,
            "cases": len({r["case"] for r in figures}), "paths": paths, "seed": seed}


def markdown_table(result: dict) -> str:
    """The docs table of the LOO back-test."""
    titles = {c.key: c.title for c in CASES}
    lines = ["| case | class (fitted without it, on) | later figure (month) | published | "
             "forecast P10 / P50 / P90 | PIT | in P10-P90 |", "|---|---|---|---|---|---|---|"]
    for r in result["figures"]:
        lines.append(f"| {titles.get(r['case'], r['case'])} | {r['class']} "
                     f"({r['fitted_on'] or 'hyperprior only'}) | {r['figure']} ({r['month']}) | "
                     f"{r['published']:.0%} | {r['p10']:.0%} / {r['p50']:.0%} / "
                     f"{r['p90']:.0%} | {r['pit']:.2f} | "
                     f"{'inside' if r['inside'] else '**outside**'} |")
    hits = sum(r["inside"] for r in result["figures"])
    lines.append("")
    lines.append(f"{hits} of {len(result['figures'])} later figures of {result['cases']} cases "
                 f"inside P10-P90 (coverage {result['coverage']:.2f}), mean PIT "
                 f"{result['pit_mean']:.2f} ({result['paths']:,} paths, seed {result['seed']}; "
                 f"regenerate with `rollout-sim cases backtest --loo --write docs/cases.md`).")
    return "\n".join(lines)


#: Markers around the LOO table in docs/cases.md.
LOO_BEGIN, LOO_END = "<!-- loo:begin -->", "<!-- loo:end -->"


def write_docs(path, table: str) -> None:
    """Replace the text between the LOO markers of ``path`` (atomically)."""
    import re
    from pathlib import Path

    from ..atomic import atomic_write_text

    p = Path(path)
    text = p.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(LOO_BEGIN) + r".*?" + re.escape(LOO_END), re.S)
    if not pattern.search(text):
        raise ValueError(f"{p}: no {LOO_BEGIN} ... {LOO_END} markers")
    atomic_write_text(p, pattern.sub(lambda _: f"{LOO_BEGIN}\n{table}\n{LOO_END}", text))
