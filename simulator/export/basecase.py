"""The workbook's base case: one deterministic run of the model with every uncertain input
at its median, written as a sheet of live Excel formulas.

The run is the model's own (:func:`simulator.engine.reference.reference_simulate`, float64,
the numpy twin of the kernel) on one path whose inputs are the medians, with a fixed event
seed: its adoption, accuracy and incidents per month are the *drivers*, written as values.
Every money line is a formula of the drivers and the input cells (benefit, licences,
inference, platform, support, incident fixes, the build), and the NPV is a formula of the
lines and the discount-rate cell: change an input cell and the lines, the net cash and the
NPV recompute. What the formulas cannot rebuild (onboarding, the levers' costs) is a value
row. :func:`base_case` returns the run's own lines so a test can check the evaluated
formulas against it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..engine.layout import TRAJ, prepare
from ..engine.reference import reference_simulate
from ..labels import input_label
from ..scenario import Scenario

#: Event seed of the base-case run (any fixed number: the run must be reproducible).
BASE_SEED = 20_240_601

#: Input cells of the sheet: (defined name, input path).
INPUTS = (
    ("bc_tasks_per_user", "economics.tasks_per_user_month"),
    ("bc_minutes_saved", "economics.minutes_saved_per_task"),
    ("bc_rework_minutes", "economics.rework_minutes_per_error"),
    ("bc_hourly_cost", "economics.hourly_cost"),
    ("bc_build_cost", "economics.build_cost"),
    ("bc_platform", "economics.platform_monthly"),
    ("bc_licence", "economics.licence_per_seat_month"),
    ("bc_inference", "economics.inference_per_task"),
    ("bc_support", "economics.support_per_active_user_month"),
    ("bc_fix_cost", "integration.fix_cost_per_incident"),
    ("bc_downtime", "integration.downtime_per_incident"),
)


@dataclass(frozen=True)
class BaseCase:
    """The deterministic run at the medians: inputs, drivers and the model's own lines."""

    inputs: dict[str, float]  #: input path -> median
    months: np.ndarray  #: 0..H
    registered: np.ndarray
    active: np.ndarray
    accuracy: np.ndarray
    incidents: np.ndarray
    benefit: np.ndarray  #: the model's benefit per month
    cost: np.ndarray  #: the model's cost per month
    other_cost: np.ndarray  #: cost the formulas do not rebuild (onboarding, levers; month 0
    #: the one-off beyond the build)
    running: np.ndarray  #: months the platform and licences are paid
    npv: float  #: the model's NPV
    discount_rate_annual: float


def medians(sc: Scenario) -> tuple[np.ndarray, list[str]]:
    """One row of inputs, every input at its median (fixed inputs at their value)."""
    dists = sc.inputs()
    names = list(dists)
    x = np.array([[float(dists[p].params[0]) if dists[p].is_fixed
                   else float(dists[p].quantile(0.5)) for p in names]])
    return x, names


def base_case(sc: Scenario, horizon: int | None = None) -> BaseCase:
    """Run the model once at the medians and split its cost into the formula lines."""
    h = sc.horizon if horizon is None else horizon
    x, names = medians(sc)
    m = prepare(sc, x, names, h)
    g = np.zeros((1, len(sc.gates) + 2))
    out, traj = reference_simulate(m, BASE_SEED, gate_out=g)
    col = {p: x[0, i] for i, p in enumerate(names)}
    act = traj[TRAJ.index("active_users"), :, 0]
    acc = traj[TRAJ.index("accuracy"), :, 0]
    inc = traj[TRAJ.index("incidents"), :, 0]
    ben = traj[TRAJ.index("benefit"), :, 0]
    cost = traj[TRAJ.index("cost"), :, 0]
    reg = m.registered.astype(np.float64)
    months = np.arange(h + 1)
    running = months >= 1
    if sc.gates and g[0, -2] >= 0:  # stopped: platform and licences until notice ends
        notice = max(gt.notice_months for gt in sc.gates)
        running &= months <= g[0, -2] + notice
    lines = _formula_lines(col, months, reg, act, inc, running)
    other = cost - sum(lines.values())
    from ..engine.layout import OUT

    return BaseCase(inputs={p: float(col[p]) for _, p in INPUTS}, months=months,
                    registered=reg, active=act, accuracy=acc, incidents=inc, benefit=ben,
                    cost=cost, other_cost=other, running=running,
                    npv=float(out[0, OUT.index("npv")]),
                    discount_rate_annual=sc.scenario.discount_rate_annual)


def _formula_lines(col: dict[str, float], months, reg, act, inc, running) -> dict:
    """The cost lines the sheet writes as formulas, computed the same way in numpy."""
    e = "economics."
    return {
        "licences": np.where(running, col[e + "licence_per_seat_month"] * reg, 0.0),
        "inference": np.where(months > 0, col[e + "inference_per_task"]
                              * col[e + "tasks_per_user_month"] * act, 0.0),
        "platform": np.where(running, col[e + "platform_monthly"], 0.0),
        "support": np.where(months > 0, col[e + "support_per_active_user_month"] * act, 0.0),
        "incidents": col["integration.fix_cost_per_incident"] * inc,
        "build": np.where(months == 0, col[e + "build_cost"], 0.0),
    }


#: Columns of the monthly table: (header, kind, formula template or None for a value).
#: ``{r}`` is the row (1-based); names are the input cells' defined names.
COLUMNS = (
    ("Month", "count", None),
    ("Registered users", "count", None),
    ("Active users", "count", None),
    ("Accuracy", "share", None),
    ("Incidents", "count", None),
    ("Platform and licences paid (1 = yes)", "count", None),
    ("Tasks", "count", "=IF(A{r}=0,0,C{r}*bc_tasks_per_user)"),
    ("Downtime share", "share", "=MIN(1,E{r}*bc_downtime)"),
    ("Benefit", "money",
     "=G{r}*(D{r}*bc_minutes_saved-(1-D{r})*bc_rework_minutes)*bc_hourly_cost/60*(1-H{r})"),
    ("Licences", "money", "=F{r}*bc_licence*B{r}"),
    ("Inference", "money", "=bc_inference*G{r}"),
    ("Platform", "money", "=F{r}*bc_platform"),
    ("Support", "money", "=IF(A{r}=0,0,bc_support*C{r})"),
    ("Incident fixes", "money", "=bc_fix_cost*E{r}"),
    ("Build (month 0)", "money", "=IF(A{r}=0,bc_build_cost,0)"),
    ("Onboarding, levers and other one-off (model values)", "money", None),
    ("Total cost", "money", "=SUM(J{r}:P{r})"),
    ("Net cash", "money", "=I{r}-Q{r}"),
    ("Discount factor", "number", "=(1+bc_discount_rate)^(-A{r}/12)"),
    ("PV of net cash", "money", "=R{r}*S{r}"),
)


def value_rows(bc: BaseCase) -> list[list[float]]:
    """The value columns of each month (Month .. paid, then the other-cost column)."""
    return [[float(t), float(bc.registered[t]), float(bc.active[t]), float(bc.accuracy[t]),
             float(bc.incidents[t]), float(bc.running[t] and t > 0)]
            for t in bc.months]


def input_rows(bc: BaseCase, currency: str) -> list[tuple[str, str, str, float]]:
    """(defined name, input path, label, median) of every input cell."""
    return [(name, path, input_label(path, currency), bc.inputs[path])
            for name, path in INPUTS]


__all__ = ["BASE_SEED", "COLUMNS", "INPUTS", "BaseCase", "base_case", "input_rows", "medians",
           "value_rows"]
