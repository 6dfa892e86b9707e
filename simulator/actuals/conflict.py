"""Prior-data conflict: each observed figure against its prior predictive P1 / P50 / P99.

A figure's predictive draws are one observation per path, drawn from the observation model
at the path's own quantities (an active share from the beta-binomial, an accuracy from
the spot-check normal, incidents from the Poisson at the path's rate, cost from its
normal). A figure outside [P1, P99] of the prior predictive is a conflict: the scenario's
ranges did not expect it, and the first line of the update says so in words.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..engine.layout import TR_ACC, TR_ACTIVE, TR_COST
from .likelihood import ObservationModel, PathData
from .reader import DEFINED, Actuals
from .usage import draw_usage

#: Each figure's inputs, and which way a figure above the scenario's range says they err.
WHAT = {
    "active_share": ("the adoption inputs", "far too pessimistic", "far too optimistic"),
    "accuracy": ("the accuracy inputs (pilot accuracy, out-of-distribution share and "
                 "accuracy, drift)", "far too pessimistic", "far too optimistic"),
    "incidents": ("the integration inputs (incidents per month, load exponent)",
                  "far too optimistic", "far too pessimistic"),
    "cost": ("the cost inputs", "far too low", "far too high"),
    "used_daily": ("the adoption inputs", "far too pessimistic", "far too optimistic"),
    "ever_used_share": ("the adoption inputs", "far too pessimistic", "far too optimistic"),
    "weekly_active_share": ("the adoption and usage inputs", "far too pessimistic",
                            "far too optimistic"),
    "daily_active_share": ("the adoption and usage inputs", "far too pessimistic",
                           "far too optimistic"),
    "used_weekly": ("the adoption inputs", "far too pessimistic", "far too optimistic"),
}


#: Each definition column's figure and its words in a conflict sentence.
DEFINED_FIGURE = {"ever_used_users": ("ever_used_share", "ever used it"),
                  "weekly_active_users": ("weekly_active_share", "active weekly"),
                  "daily_active_users": ("daily_active_share", "active daily")}
_SHARES = ("active_share", "used_daily", "used_weekly", "ever_used_share",
           "weekly_active_share", "daily_active_share")
_COST_WORDS = ("cost", "platform_monthly", "licence_per_seat_month", "inference_per_task")


def inputs_behind(figure: str, names: list[str]) -> list[str]:
    """The inputs a figure speaks to (given a robust margin when it conflicts)."""
    def is_cost(n: str) -> bool:
        return any(w in n.rsplit(".", 1)[-1] for w in _COST_WORDS)

    if figure in _SHARES:
        return [n for n in names if n.startswith(("adoption.", "usage."))
                and not is_cost(n)]
    if figure == "accuracy":
        return [n for n in names if n == "pilot.accuracy" or n.startswith(("data.",
                "improvement.")) or n in ("levers.variability_testing.gap_closed",
                                          "levers.feedback_loop.capture_rate")]
    if figure == "incidents":
        return [n for n in names if n in ("pilot.incidents_per_month",
                                          "integration.load_exponent",
                                          "levers.load_testing.exponent_reduction")]
    return [n for n in names if is_cost(n)]


@dataclass(frozen=True)
class Figure:
    """One observed figure with its predictive draws (one per path)."""

    figure: str
    month: int
    actual: float
    draws: np.ndarray
    n: float = math.nan  # respondents / registered behind a share

    def quantiles(self, qs=(1, 50, 99), weights: np.ndarray | None = None) -> list[float]:
        if weights is None:
            return [float(v) for v in np.percentile(self.draws, qs)]
        from .weighted import weighted_quantiles
        return [float(v) for v in weighted_quantiles(self.draws, weights,
                                                     np.asarray(qs) / 100.0)]


def predictive(d: PathData, actuals: Actuals, obs: ObservationModel,
               rng: np.random.Generator) -> list[Figure]:
    """Predictive draws of every observed figure (active share, accuracy, incidents, cost,
    survey shares used daily and weekly)."""
    out: list[Figure] = []
    reg_act = actuals.column("registered")
    cols = {c: actuals.column(c) for c in ("active_users", "accuracy", "incidents", "cost")}
    rho = obs.active_overdispersion
    for i, m in enumerate(actuals.months):
        m = int(m)
        act = cols["active_users"][i]
        if not math.isnan(act):
            n_obs = reg_act[i] if not math.isnan(reg_act[i]) else float(d.registered[m])
            reg = max(float(d.registered[m]), 1.0)
            mu = np.clip(d.traj[TR_ACTIVE, m].astype(np.float64) / reg, 1e-9, 1 - 1e-9)
            p = rng.beta(mu * (1 - rho) / rho, (1 - mu) * (1 - rho) / rho)
            k = rng.binomial(int(n_obs), p)
            out.append(Figure("active_share", m, act / max(n_obs, 1.0),
                              k / max(n_obs, 1.0), n_obs))
        acc = cols["accuracy"][i]
        if not math.isnan(acc):
            a = d.traj[TR_ACC, m].astype(np.float64)
            out.append(Figure("accuracy", m, acc, a + obs.accuracy_sd(a)
                              * rng.standard_normal(a.size)))
        inc = cols["incidents"][i]
        if not math.isnan(inc):
            out.append(Figure("incidents", m, inc,
                              rng.poisson(d.rates[m] + obs.incidents_epsilon).astype(float)))
        cost = cols["cost"][i]
        if not math.isnan(cost):
            c = d.traj[TR_COST, m].astype(np.float64)
            draws = c + np.sqrt((obs.cost_relative_sd * np.abs(c)) ** 2 + 1.0) * \
                rng.standard_normal(c.size)
            out.append(Figure("cost", m, cost, draws))
    for c in DEFINED:
        col = actuals.column(c)
        rows = [(i, int(m)) for i, m in enumerate(actuals.months) if not math.isnan(col[i])]
        if not rows:
            continue
        s = d.series(c)
        for i, m in rows:
            n_obs = reg_act[i] if not math.isnan(reg_act[i]) else float(d.registered[m])
            pick = rng.integers(0, s.shape[2], s.shape[1])
            mu = np.clip(s[m, np.arange(s.shape[1]), pick], 1e-9, 1 - 1e-9)
            p = rng.beta(mu * (1 - rho) / rho, (1 - mu) * (1 - rho) / rho)
            k = rng.binomial(int(n_obs), p)
            out.append(Figure(DEFINED_FIGURE[c][0], m, col[i] / max(n_obs, 1.0),
                              k / max(n_obs, 1.0), n_obs))
    for _, m, dd, w, n_s in actuals.usage_counts():
        rate = d.traj[TR_ACTIVE, m].astype(np.float64) / max(float(d.registered[m]), 1.0)
        daily, weekly = draw_usage(rate, n_s, obs.frequency_mix, obs.frequency_concentration,
                                   rho, rng)
        out.append(Figure("used_daily", m, dd / n_s, daily, n_s))
        if w is not None:
            out.append(Figure("used_weekly", m, w / n_s, weekly, n_s))
    return out


def fmt_figure(figure: str, v: float, currency: str, digits: int = 0) -> str:
    """A figure's value in words: shares in %, cost in money, counts whole."""
    if figure in _SHARES or figure == "accuracy":
        return f"{100 * v:.{digits}f} %"
    if figure == "cost":
        return f"{currency} {v:,.0f}"
    return f"{v:,.0f}"


def conflict_sentence(f: Figure, p1: float, p99: float, currency: str) -> str:
    """"Month 1: 190 of 325 active (58 %) is above the scenario's 99th percentile (19 %):
    the adoption inputs are far too pessimistic for this rollout.\""""
    above = f.actual > p99
    edge = p99 if above else p1
    # One decimal where whole percents would print the figure and its percentile alike.
    k = int(fmt_figure(f.figure, f.actual, currency) == fmt_figure(f.figure, edge, currency))
    if f.figure == "active_share":
        what = (f"{f.actual * f.n:,.0f} of {f.n:,.0f} active "
                f"({fmt_figure(f.figure, f.actual, '', k)})")
    elif f.figure in _WORDS:
        what = (f"{f.actual * f.n:,.0f} of {f.n:,.0f} {_WORDS[f.figure]} "
                f"({fmt_figure(f.figure, f.actual, '', k)})")
    elif f.figure == "accuracy":
        what = f"accuracy {fmt_figure(f.figure, f.actual, '', k)}"
    elif f.figure in ("used_daily", "used_weekly"):
        how = "daily" if f.figure == "used_daily" else "weekly (not daily)"
        what = (f"{fmt_figure(f.figure, f.actual, '', k)} of {f.n:,.0f} surveyed used it "
                f"{how}")
    elif f.figure == "incidents":
        what = f"{f.actual:,.0f} incidents"
    else:
        what = f"cost {fmt_figure(f.figure, f.actual, currency)}"
    inputs, if_above, if_below = WHAT[f.figure]
    side = (f"above the scenario's 99th percentile ({fmt_figure(f.figure, p99, currency, k)})"
            if above else
            f"below the scenario's 1st percentile ({fmt_figure(f.figure, p1, currency, k)})")
    return (f"Month {f.month}: {what} is {side}: {inputs} are "
            f"{if_above if above else if_below} for this rollout.")


_WORDS = {fig: words for fig, words in DEFINED_FIGURE.values()}


def conflicts(figures: list[Figure], currency: str) -> list[dict]:
    """The figures outside their prior predictive [P1, P99], most extreme first.

    Each: figure, month, actual, prior_p1, prior_p50, prior_p99, tail (the prior
    predictive share at or beyond the actual) and sentence.
    """
    rows = []
    for f in figures:
        p1, p50, p99 = f.quantiles()
        if p1 <= f.actual <= p99:
            continue
        tail = float(np.mean(f.draws >= f.actual) if f.actual > p99
                     else np.mean(f.draws <= f.actual))
        rows.append({"figure": f.figure, "month": f.month, "actual": f.actual,
                     "prior_p1": p1, "prior_p50": p50, "prior_p99": p99, "tail": tail,
                     "sentence": conflict_sentence(f, p1, p99, currency)})
    rows.sort(key=lambda r: (r["tail"], r["month"]))
    return rows
