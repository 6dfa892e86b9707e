"""Cash flow by line: benefit and each cost line per path and month, summarised by month
and by fiscal year (P10 / P50 / P90 and mean), for the deck's costs-and-benefits slide and
the workbook's cash-flow sheet.

The kernel stores the month's total cost; the lines are rebuilt from what it stores with
the inputs of each path (licences from the registered users, inference and support from
the active users, incident fixes from the incidents, the platform fee while the rollout
runs). Month 0 is the one-off (build and the levers' one-off costs); what the total cost
holds beyond the rebuilt lines is onboarding, the levers' running costs and any wind-down.
The lines add up to the kernel's cost exactly, path by path and month by month.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..engine.layout import TRAJ
from ..results import SimulationResult, percentiles

#: Lines in display order: (key, label, sign) with sign +1 for inflows, -1 for costs.
LINES = (("benefit", "Benefit", 1), ("licences", "Licences", -1),
         ("inference", "Inference", -1), ("platform", "Platform", -1),
         ("support", "Support", -1), ("incidents", "Incident fixes", -1),
         ("onboarding_levers", "Onboarding and levers", -1),
         ("one_off", "One-off (build and lever set-up)", -1))
LINE_LABELS = {k: lab for k, lab, _ in LINES}
STATS = ("p10", "p50", "p90", "mean")


@dataclass(frozen=True)
class CashFlow:
    """Per-path monthly amounts of every line (positive numbers; costs are costs)."""

    lines: dict[str, np.ndarray]  #: key -> (H+1, N)
    net: np.ndarray  #: (H+1, N) benefit - cost
    currency: str


def _col(res: SimulationResult, path: str) -> np.ndarray:
    if path in res.input_names:
        return res.inputs[:, res.input_names.index(path)].astype(np.float64)
    return np.full(res.n_paths, float(res.scenario.inputs()[path].params[0]))


def cash_flow(res: SimulationResult) -> CashFlow:
    """Rebuild every line of every path and month from ``res`` (needs trajectories)."""
    if res.trajectories is None:
        raise ValueError("cash flow by line needs the monthly trajectories: "
                         "simulate(..., bands=True)")
    tr = res.trajectories.astype(np.float64)
    ben, cost = tr[TRAJ.index("benefit")], tr[TRAJ.index("cost")]
    act, inc = tr[TRAJ.index("active_users")], tr[TRAJ.index("incidents")]
    h1, n = ben.shape
    months = np.arange(h1)[:, None]
    running = np.ones((h1, n), dtype=bool)
    running[0] = False
    if res.gate_out is not None and res.gate_out.shape[1] >= 2:
        stop = res.gate_out[:, -2]
        notice = max((g.notice_months for g in res.scenario.gates), default=0)
        stopped = stop >= 0
        running &= ~stopped[None, :] | (months <= stop[None, :] + notice)
    reg = np.asarray(res.registered, dtype=np.float64)[:, None]
    e = "economics."
    lines = {
        "benefit": ben,
        "licences": np.where(running, _col(res, e + "licence_per_seat_month") * reg, 0.0),
        "inference": (_col(res, e + "inference_per_task")
                      * _col(res, e + "tasks_per_user_month")) * act,
        "platform": np.where(running, _col(res, e + "platform_monthly"), 0.0),
        "support": _col(res, e + "support_per_active_user_month") * act,
        "incidents": _col(res, "integration.fix_cost_per_incident") * inc,
    }
    for k in lines:  # month 0 holds only the one-off
        lines[k][0] = 0.0
    rebuilt = sum(lines[k] for k in lines if k != "benefit")
    rest = cost - rebuilt
    lines["one_off"] = np.where(months == 0, cost, 0.0)
    lines["onboarding_levers"] = np.where(months == 0, 0.0, rest)
    return CashFlow(lines=lines, net=ben - cost, currency=res.scenario.scenario.currency)


def _stats(a: np.ndarray) -> dict[str, np.ndarray]:
    """P10, P50, P90 (``np.percentile``'s bit for bit, by the compiled select, a month at
    a time) and mean over the paths of each month of ``a`` (H+1, N)."""
    q = np.array([percentiles(row, (10, 50, 90)) for row in a]).T
    return {"p10": q[0], "p50": q[1], "p90": q[2], "mean": a.mean(axis=1)}


def monthly_table(cf: CashFlow) -> pd.DataFrame:
    """One row per line and month: P10, P50, P90 and mean (lines, then net cash)."""
    rows = []
    for key, lab, _ in LINES:
        s = _stats(cf.lines[key])
        for t in range(cf.net.shape[0]):
            rows.append({"line": lab, "month": t, **{k: float(s[k][t]) for k in STATS}})
    s = _stats(cf.net)
    for t in range(cf.net.shape[0]):
        rows.append({"line": "Net cash", "month": t, **{k: float(s[k][t]) for k in STATS}})
    return pd.DataFrame(rows)


def fiscal_years(horizon: int, start_month: int = 1, first_calendar_month: int = 1
                 ) -> np.ndarray:
    """Fiscal year (1, 2, ...) of each model month 0..horizon. Month 0 (the one-off) is in
    year 1; model month 1 falls in calendar month ``first_calendar_month`` (1-12); a fiscal
    year starts in calendar month ``start_month`` (1-12)."""
    for name, v in (("fiscal_start", start_month), ("first_month", first_calendar_month)):
        if not 1 <= v <= 12:
            raise ValueError(f"{name}: {v} must be a calendar month 1 to 12")
    months = np.arange(horizon + 1)
    cal = (first_calendar_month - 1 + np.maximum(months - 1, 0)) % 12 + 1
    # a new fiscal year begins at each month (after month 1) whose calendar month is start
    starts = (cal == start_month) & (months > 1)
    return 1 + np.cumsum(starts)


def annual_table(cf: CashFlow, start_month: int = 1, first_calendar_month: int = 1
                 ) -> pd.DataFrame:
    """One row per line and fiscal year: the statistics of each path's yearly sum."""
    h = cf.net.shape[0] - 1
    fy = fiscal_years(h, start_month, first_calendar_month)
    rows = []
    series = [(lab, cf.lines[k]) for k, lab, _ in LINES] + [("Net cash", cf.net)]
    for lab, a in series:
        for y in np.unique(fy):
            tot = a[fy == y].sum(axis=0)
            q = percentiles(tot, (10, 50, 90))
            rows.append({"line": lab, "fiscal_year": int(y), "p10": float(q[0]),
                         "p50": float(q[1]), "p90": float(q[2]), "mean": float(tot.mean())})
    return pd.DataFrame(rows)


def pv_by_line(cf: CashFlow, discount_rate_annual: float) -> pd.DataFrame:
    """Present value of each line per path, summarised: the deck's costs-and-benefits bars."""
    h1 = cf.net.shape[0]
    m = (1.0 + discount_rate_annual) ** (1.0 / 12.0) - 1.0
    f = (1.0 + m) ** -np.arange(h1)
    rows = []
    for key, lab, sign in LINES:
        pv = f @ cf.lines[key]
        q = percentiles(pv, (10, 50, 90))
        rows.append({"key": key, "line": lab, "sign": sign, "pv_p10": float(q[0]),
                     "pv_p50": float(q[1]), "pv_p90": float(q[2]), "pv_mean": float(pv.mean())})
    return pd.DataFrame(rows)


__all__ = ["LINES", "LINE_LABELS", "CashFlow", "annual_table", "cash_flow", "fiscal_years",
           "monthly_table", "pv_by_line"]
