"""Money-only inputs: NPV is a straight line in each of them, path by path.

A money-only input (an hourly cost, minutes saved, a price or a cost) enters the model
only as a coefficient of a monthly cash flow: it feeds no adoption, accuracy or incident
dynamics, no gate and no decision rule, and no random draw. On fixed paths (the same
sampled inputs and draws, every other input as sampled) each path's NPV is therefore
``a + b * v`` in the value ``v`` the input is held at, and two runs give it at every value:

    NPV(v) = NPV(w1) + (v - w1) / (w2 - w1) * (NPV(w2) - NPV(w1))     (path by path)

so a tornado and a spider need one run per such input instead of seven, and a breakeven
two runs instead of a bisection's fifteen. For some the slope follows from the base run
itself (:func:`derived_slope`: the build cost, the hourly cost, the second of minutes saved
and rework minutes, the platform fee and licences without gates): no run at all.

The list below is read off the kernel (``engine/kernel.py``: each input appears only in a
term of ``benefit``, ``cost`` or ``cost0``, linearly) and the layout
(``pilot.cost_per_month`` is booked into the build cost). Tasks per user are money-only
unless corrections can move the learning curve (a feedback loop) or the reviewed outputs
can stop human review (a stopping threshold).

Every use is checked: :func:`checked` reruns the first :data:`CHECK_PATHS` paths at a third
value and returns None (the caller then runs every value directly) unless the line gives
their NPVs to :data:`CHECK_RTOL` of the run's present values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..scenario import LEVER_SPECS, Scenario

#: Inputs that are money-only in every scenario.
MONEY_ONLY: frozenset[str] = frozenset({
    "pilot.cost_per_month",
    "integration.fix_cost_per_incident",
    "economics.minutes_saved_per_task",
    "economics.rework_minutes_per_error",
    "economics.hourly_cost",
    "economics.build_cost",
    "economics.platform_monthly",
    "economics.licence_per_seat_month",
    "economics.inference_per_task",
    "economics.support_per_active_user_month",
    "levers.human_review.minutes_per_review",
    "levers.human_review.reviewer_hourly_cost",
    *(f"{s.section}.{k}" for s in LEVER_SPECS for k in (*s.one_off, *s.monthly,
                                                          *s.per_retrain)),
})
#: Tasks per user: money-only only while no corrections or review stop act on accuracy.
TASKS = "economics.tasks_per_user_month"
#: Paths rerun to check a line (the first ones: same inputs, same draws).
CHECK_PATHS = 256
#: Largest difference between the line and the direct run accepted, as a share of the
#: path's present values (|PV benefit| + |PV cost|); rounding alone stays near 1e-15.
CHECK_RTOL = 1e-9


def _lever_may_run(sc: Scenario, lever: str) -> bool:
    """Whether ``lever`` is on, or a gate may switch it on."""
    return getattr(sc.levers, lever).enabled or any(lever in g.levers for g in sc.gates)


def affine_inputs(sc: Scenario) -> frozenset[str]:
    """The inputs of ``sc`` on which each path's NPV depends as a straight line."""
    out = {p for p in sc.input_paths()
           if p in MONEY_ONLY or (p.startswith("adoption.tiers.")
                                  and p.endswith(".cost_per_user"))}
    review_stops = (_lever_may_run(sc, "human_review")
                    and sc.levers.human_review.stop_at_accuracy is not None)
    if TASKS in sc.input_paths() and not review_stops and not _lever_may_run(
            sc, "feedback_loop"):
        out.add(TASKS)
    return frozenset(out)


@dataclass(frozen=True)
class Line:
    """NPV per path as a straight line in one input's value: ``npv0`` at ``w0`` (a number
    or one value per path) with ``slope`` per unit of the input (a number or per path)."""

    w0: np.ndarray | float
    npv0: np.ndarray
    slope: np.ndarray | float

    @classmethod
    def through(cls, w1: np.ndarray | float, npv1: np.ndarray, w2: np.ndarray | float,
                npv2: np.ndarray) -> Line:
        """The line through two runs: the input at ``w1`` and at ``w2``."""
        return cls(w1, npv1, (npv2 - npv1) / (np.asarray(w2) - w1))

    def at(self, v: float | np.ndarray, rows: int | None = None) -> np.ndarray:
        """NPV per path (the first ``rows`` paths) with the input held at ``v``."""
        def part(a):
            return a[:rows] if isinstance(a, np.ndarray) and a.ndim else a
        return part(self.npv0) + (part(v) - part(self.w0)) * part(self.slope)


def checked(runner, path: str, line: Line, check: float) -> Line | None:
    """``line`` if a direct run of ``runner``'s first :data:`CHECK_PATHS` paths with input
    ``path`` at ``check`` agrees with it (see :data:`CHECK_RTOL`); None otherwise."""
    n = min(CHECK_PATHS, runner.n_paths)
    direct = runner.run(values={path: float(check)}, rows=n)
    npv = direct.metric("npv")
    scale = np.abs(direct.metric("pv_benefit")) + np.abs(direct.metric("pv_cost"))
    ok = np.all(np.abs(line.at(float(check), n) - npv) <= CHECK_RTOL * np.maximum(scale, 1.0))
    return line if ok else None


def line_through(runner, path: str, w1: np.ndarray | float, npv1: np.ndarray,
                 w2: np.ndarray | float, npv2: np.ndarray, check: float) -> Line | None:
    """The line through two runs of ``runner`` (a :class:`~simulator.analysis.Variants`)
    with input ``path`` at ``w1`` and ``w2``, if it passes :func:`checked` at ``check``."""
    return checked(runner, path, Line.through(w1, npv1, w2, npv2), check)


#: Inputs whose slope follows from the base run alone (or from a partner's slope).
BUILD, PILOT_COST = "economics.build_cost", "pilot.cost_per_month"
HOURLY, PLATFORM, LICENCE = ("economics.hourly_cost", "economics.platform_monthly",
                             "economics.licence_per_seat_month")
MINUTES, REWORK = "economics.minutes_saved_per_task", "economics.rework_minutes_per_error"


def derived_slope(runner, path: str, known: dict[str, np.ndarray | float]
                  ) -> np.ndarray | float | None:
    """d NPV / d value of money-only input ``path`` per path, without a run; None if it
    does not follow. ``known``: slopes of other inputs found so far (checked lines).

    * build cost: -1 (booked in month 0, undiscounted, whatever happens later); the
      pilot's cost per month: -(pilot months) (booked with the build);
    * hourly cost: PV benefit / hourly cost (the benefit is proportional to it);
    * minutes saved and rework minutes: the benefit is tasks x (accuracy x minutes saved
      - unreviewed error share x rework minutes) x value of a minute x uptime, linear in
      the two together with no other term, so PV benefit = M dB/dM + R dB/dR (Euler): one
      slope gives the other;
    * platform fee and licence per seat, without gates (nothing stops the rollout): the
      discounted sum of months 1..H (times the registered users, for licences).

    Divisions need the divisor's column non-zero on every path (else None: a run).
    """
    sc = runner.scenario
    if path == BUILD:
        return -1.0
    if path == PILOT_COST:
        return -float(sc.pilot.months)
    base = runner.base
    pv_b = base.metric("pv_benefit")

    def ratio(num: np.ndarray, col: str) -> np.ndarray | None:
        x = runner.column(col)
        return num / x if np.all(x != 0.0) else None

    if path == HOURLY:
        return ratio(pv_b, HOURLY)
    partner = {MINUTES: REWORK, REWORK: MINUTES}.get(path)
    if partner is not None and isinstance(known.get(partner), np.ndarray):
        return ratio(pv_b - runner.column(partner) * known[partner], path)
    if path in (PLATFORM, LICENCE) and not sc.gates:
        rate = sc.scenario.discount_rate_annual
        disc = 1.0 / (1.0 + ((1.0 + rate) ** (1.0 / 12.0) - 1.0))
        f = np.cumprod(np.full(base.horizon, disc))  # months 1..H, as the kernel discounts
        if path == PLATFORM:
            return -float(f.sum())
        return -float(f @ np.asarray(base.registered[1:], dtype=np.float64))
    return None


__all__ = ["CHECK_PATHS", "CHECK_RTOL", "MONEY_ONLY", "Line", "affine_inputs", "checked",
           "derived_slope", "line_through"]
