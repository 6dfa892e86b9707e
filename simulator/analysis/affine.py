"""Money-only inputs: NPV is a straight line in each of them, path by path.

A money-only input (an hourly cost, minutes saved, a price or a cost) enters the model
only as a coefficient of a monthly cash flow: it feeds no adoption, accuracy or incident
dynamics, no gate and no decision rule, and no random draw. On fixed paths (the same
sampled inputs and draws, every other input as sampled) each path's NPV is therefore
``a + b * v`` in the value ``v`` the input is held at, and two runs give it at every value:

    NPV(v) = NPV(w1) + (v - w1) / (w2 - w1) * (NPV(w2) - NPV(w1))     (path by path)

so a tornado and a spider need one run per such input instead of seven, and a breakeven
two runs instead of a bisection's fifteen. The list below is read off the kernel
(``engine/kernel.py``: each input appears only in a term of ``benefit``, ``cost`` or
``cost0``, linearly) and the layout (``pilot.cost_per_month`` is booked into the build
cost). Tasks per user are money-only unless corrections can move the learning curve (a
feedback loop) or the reviewed outputs can stop human review (a stopping threshold).

Every use is checked: :func:`line_through` reruns the first :data:`CHECK_PATHS` paths at a
third value and returns None (the caller then runs every value directly) unless the line
gives their NPVs to :data:`CHECK_RTOL` of the run's present values.
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
    """NPV per path as a straight line in one input's value: through ``npv1`` at ``w1``
    and ``npv2`` at ``w2`` (each a number or one value per path)."""

    w1: np.ndarray | float
    npv1: np.ndarray
    w2: np.ndarray | float
    npv2: np.ndarray

    def at(self, v: float, rows: int | None = None) -> np.ndarray:
        """NPV per path (the first ``rows`` paths) with the input held at ``v``."""
        sl = slice(rows)
        w1 = self.w1[sl] if isinstance(self.w1, np.ndarray) else self.w1
        w2 = self.w2[sl] if isinstance(self.w2, np.ndarray) else self.w2
        n1 = self.npv1[sl]
        return n1 + (v - w1) / (w2 - w1) * (self.npv2[sl] - n1)


def line_through(runner, path: str, w1: np.ndarray | float, npv1: np.ndarray,
                 w2: np.ndarray | float, npv2: np.ndarray, check: float) -> Line | None:
    """The line through two runs of ``runner`` (a :class:`~simulator.analysis.Variants`)
    with input ``path`` at ``w1`` and ``w2``, if a direct run of the first paths at
    ``check`` agrees with it (see :data:`CHECK_RTOL`); None otherwise."""
    line = Line(w1, npv1, w2, npv2)
    n = min(CHECK_PATHS, runner.n_paths)
    direct = runner.run(values={path: float(check)}, rows=n)
    npv = direct.metric("npv")
    scale = np.abs(direct.metric("pv_benefit")) + np.abs(direct.metric("pv_cost"))
    ok = np.all(np.abs(line.at(float(check), n) - npv) <= CHECK_RTOL * np.maximum(scale, 1.0))
    return line if ok else None


__all__ = ["CHECK_PATHS", "CHECK_RTOL", "MONEY_ONLY", "Line", "affine_inputs", "line_through"]
