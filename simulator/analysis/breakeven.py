"""What must be true: the value of one input at which the business case reaches a target.

The chosen input is held at a value v on every path (all other inputs sampled, common
random numbers for every v) and the target metric m(v) is P(NPV > 0), an NPV
percentile or the NPV mean. The search range is the input's physical range (the
``lo``/``hi`` of its scenario field) intersected with the caller's range. The direction
is read from the two ends: if m(lo) and m(hi) both miss the target it is *not reachable
within the allowed range*; if both meet it the target is met everywhere; otherwise
bisection on [lo, hi] narrows the bracket to ``tol`` and reports the end of the
bracket that meets the target (so the reported value is on the safe side).

For a money-only input (:mod:`.affine`) each path's NPV is a straight line in the value,
so the two runs at the ends give the metric at every bisection step (equal to a run there
to rounding; checked on a few paths, with runs as the fallback): two runs in all.

The metric need not be exactly monotone between the ends (a Monte Carlo estimate,
and inputs such as the capture rate act through random adoption paths); bisection then
finds *a* crossing, which for practical purposes is the crossing.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..scenario import Scenario, field_meta
from .affine import Line, affine_inputs, line_through
from .variants import AnalysisError, Variants, input_dist, pct, used_inputs

NOT_REACHABLE = "not reachable within the allowed range"
MET_EVERYWHERE = "met everywhere in the allowed range"
SOLVED = "solved"
#: How the metric between the two ends was computed (the table's ``method``).
ENDS = "model runs at the two ends"
BISECTION = "model runs at the two ends and at every bisection step"
LINEAR = "model runs at the two ends, a straight line between them (money-only input)"
#: How far an open-ended search runs: this many times the input's largest magnitude.
OPEN_RANGE_FACTOR = 10.0

_TARGET = re.compile(r"^\s*(prob|mean|p(\d{1,2}))\s*:\s*(\S+)\s*$")


@dataclass(frozen=True)
class Target:
    """A target on the NPV distribution: ``prob`` (P(NPV > 0)), ``mean`` or ``pNN``."""

    kind: str
    value: float

    @classmethod
    def parse(cls, text: str) -> Target:
        """``prob:0.8``, ``p50:0``, ``p10:-100000``, ``mean:250000``."""
        m = _TARGET.match(text or "")
        if not m:
            raise AnalysisError(f"target: {text!r} is not prob:P, pNN:VALUE or mean:VALUE "
                                f"(e.g. prob:0.8 or p50:0)")
        try:
            value = float(m.group(3))
        except ValueError:
            raise AnalysisError(f"target: {m.group(3)!r} is not a number") from None
        if not math.isfinite(value):
            raise AnalysisError(f"target: {value} is not a finite number")
        kind = m.group(1)
        if kind == "prob" and not 0.0 < value <= 1.0:
            raise AnalysisError(f"target: probability {value:g} is outside (0, 1]")
        if m.group(2) is not None and not 1 <= int(m.group(2)) <= 99:
            raise AnalysisError(f"target: percentile {kind} is outside p1..p99")
        return cls(kind, value)

    def metric(self, npv: np.ndarray) -> float:
        if self.kind == "prob":
            return float(np.mean(npv > 0))
        if self.kind == "mean":
            return float(npv.mean())
        return pct(npv, float(self.kind[1:]))

    def met(self, m: float) -> bool:
        return m >= self.value

    def describe(self, currency: str) -> str:
        if self.kind == "prob":
            return f"P(NPV > 0) >= {self.value:.0%}"
        name = "NPV mean" if self.kind == "mean" else f"NPV {self.kind.upper()}"
        return f"{name} >= {currency} {self.value:,.0f}"


def _is_limit(path: str) -> bool:
    """Whether the field's upper end is an overflow limit (an open end in practice)."""
    try:
        return field_meta(path).limit
    except KeyError:
        return False


def search_range(sc: Scenario, path: str, lo: float | None = None,
                 hi: float | None = None) -> tuple[float, float]:
    """The physical range of input ``path`` intersected with [lo, hi].

    An open physical end with no user bound becomes ``OPEN_RANGE_FACTOR`` times the
    input's largest magnitude (its distribution's support, or its fixed value; at least 1).
    """
    d = input_dist(sc, path)
    for name, v in (("lo", lo), ("hi", hi)):
        if v is not None and not (isinstance(v, int | float) and math.isfinite(v)):
            raise AnalysisError(f"{name}: {v!r} is not a finite number")
    s_lo, s_hi = d.support()
    reach = OPEN_RANGE_FACTOR * max(abs(s_lo), abs(s_hi), 1.0)
    a = max(d.lo, lo) if lo is not None else d.lo
    b = min(d.hi, hi) if hi is not None else d.hi
    if math.isinf(a):
        a = -reach
    if math.isinf(b) or (hi is None and _is_limit(path)):
        b = min(b, reach)
    if not a < b:
        raise AnalysisError(f"{path}: range [{lo}, {hi}] leaves nothing of the allowed "
                            f"range [{d.lo:g}, {d.hi:g}]")
    return float(a), float(b)


def breakeven(sc: Scenario, path: str, target: str | Target = "prob:0.8",
              paths: int = 20_000, seed: int = 7, horizon: int | None = None, *,
              lo: float | None = None, hi: float | None = None,
              tol: float | None = None, max_iter: int = 60) -> pd.DataFrame:
    """Solve for the value of input ``path`` at which the NPV distribution meets ``target``.

    Returns one row: input (the path), target, status (``solved``, ``not reachable within the
    allowed range`` or ``met everywhere in the allowed range``), value (NaN unless
    solved), direction (``increasing`` when a larger value helps, ``flat`` when both
    ends give the same metric), lo/hi of the search,
    the metric at lo, hi and value, the input's current P50 and the probability, under
    its current distribution, that the input is on the good side of the value (how
    likely "what must be true" already is), the number of kernel runs and the method
    (:data:`ENDS`, :data:`BISECTION`, or :data:`LINEAR` for a money-only input).
    ``tol`` defaults to 1e-4 of the range.
    """
    tgt = target if isinstance(target, Target) else Target.parse(target)
    dist = input_dist(sc, path)
    if path not in used_inputs(sc):
        raise AnalysisError(f"{path}: has no effect in this scenario as configured (a lever "
                            f"that is off, or a tier no cohort gets); switch it on first")
    a, b = search_range(sc, path, lo, hi)
    tol = (b - a) * 1e-4 if tol is None else float(tol)
    if not tol > 0:
        raise AnalysisError(f"tol: {tol!r} must be above 0")
    runner = Variants.start(sc, paths, seed, horizon)
    runs = 0
    line: Line | None = None

    def m(v: float) -> float:
        nonlocal runs
        if line is not None:
            return tgt.metric(line.at(v))
        runs += 1
        return tgt.metric(runner.held_npv(path, v))

    m_lo, m_hi = m(a), m(b)
    direction = ("increasing" if m_hi > m_lo else "decreasing" if m_hi < m_lo
                 else "flat")
    status, value, m_value = SOLVED, math.nan, math.nan
    if tgt.met(m_lo) and tgt.met(m_hi):
        status = MET_EVERYWHERE
    elif not tgt.met(m_lo) and not tgt.met(m_hi):
        status = NOT_REACHABLE
    else:
        if path in affine_inputs(sc):
            line = line_through(runner, path, a, runner.held_npv(path, a), b,
                                runner.held_npv(path, b), check=0.5 * (a + b))
        good, bad = (b, a) if tgt.met(m_hi) else (a, b)
        m_good = m_hi if good == b else m_lo
        for _ in range(max_iter):
            if abs(good - bad) <= tol:
                break
            mid = 0.5 * (good + bad)
            mm = m(mid)
            if tgt.met(mm):
                good, m_good = mid, mm
            else:
                bad = mid
        value, m_value = good, m_good
    if dist.is_fixed:
        current = dist.params[0]
        prob_true = math.nan if math.isnan(value) else float(
            (current >= value) if direction == "increasing" else (current <= value))
    else:
        current = dist.quantile(0.5)
        below = float(dist.frozen().cdf(value)) if not math.isnan(value) else math.nan
        prob_true = 1.0 - below if direction == "increasing" else below
    return pd.DataFrame([{
        "input": path, "target": tgt.describe(sc.scenario.currency),
        "target_kind": tgt.kind, "target_value": tgt.value, "status": status,
        "value": value, "direction": direction, "lo": a, "hi": b,
        "metric_at_lo": m_lo, "metric_at_hi": m_hi, "metric_at_value": m_value,
        "input_p50": current, "prob_input_on_good_side": prob_true, "runs": runs,
        "method": LINEAR if line is not None else BISECTION if status == SOLVED else ENDS,
        "paths": runner.n_paths, "seed": runner.seed,
    }])


__all__ = ["BISECTION", "ENDS", "LINEAR", "MET_EVERYWHERE", "NOT_REACHABLE", "SOLVED",
           "Target", "breakeven", "search_range"]
