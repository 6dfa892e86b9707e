"""Distribution specs: the inline tables an uncertain input may take, and range checks."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..distributions import (
    Dist,
    lognormal_from_p10_p90,
    normal_from_p10_p90,
)

INF = math.inf


class _DistSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)

    def to_dist(self, lo: float, hi: float) -> Dist:  # pragma: no cover - abstract
        raise NotImplementedError


class Uniform(_DistSpec):
    """Uniform between min and max."""

    dist: Literal["uniform"]
    min: float
    max: float

    @model_validator(mode="after")
    def _order(self):
        if not self.min < self.max:
            raise ValueError(f"min {self.min:g} must be below max {self.max:g}")
        return self

    def to_dist(self, lo, hi):
        return Dist("uniform", (self.min, self.max), lo, hi)


class Triangular(_DistSpec):
    """Triangular with min <= mode <= max."""

    dist: Literal["triangular"]
    min: float
    mode: float
    max: float

    @model_validator(mode="after")
    def _order(self):
        if not (self.min <= self.mode <= self.max and self.min < self.max):
            raise ValueError(
                f"needs min <= mode <= max and min < max, got {self.min:g}, {self.mode:g}, "
                f"{self.max:g}")
        return self

    def to_dist(self, lo, hi):
        return Dist("triangular", (self.min, self.mode, self.max), lo, hi)


class Pert(Triangular):
    """PERT (scaled beta) from min / mode / max with shape lambda (4 by default)."""

    dist: Literal["pert"]
    lambda_: float = Field(4.0, alias="lambda", gt=0, le=100)

    def to_dist(self, lo, hi):
        return Dist("pert", (self.min, self.mode, self.max, self.lambda_), lo, hi)


class Normal(_DistSpec):
    """Normal from mean and sd, or from P10 and P90."""

    dist: Literal["normal"]
    mean: float | None = None
    sd: float | None = Field(None, gt=0)
    p10: float | None = None
    p90: float | None = None

    @model_validator(mode="after")
    def _params(self):
        by_moments = self.mean is not None and self.sd is not None
        by_pct = self.p10 is not None and self.p90 is not None
        if by_moments == by_pct:
            raise ValueError("give either mean and sd, or p10 and p90")
        if by_pct and not self.p10 < self.p90:
            raise ValueError(f"p10 {self.p10:g} must be below p90 {self.p90:g}")
        return self

    def to_dist(self, lo, hi):
        if self.mean is not None:
            return Dist("normal", (self.mean, self.sd), lo, hi)
        return Dist("normal", normal_from_p10_p90(self.p10, self.p90), lo, hi)


class LogNormal(_DistSpec):
    """Lognormal from mu and sigma of log(x), or from P10 and P90 (both > 0)."""

    dist: Literal["lognormal"]
    mu: float | None = Field(None, ge=-700, le=700)
    sigma: float | None = Field(None, gt=0)
    p10: float | None = Field(None, gt=0)
    p90: float | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _params(self):
        by_moments = self.mu is not None and self.sigma is not None
        by_pct = self.p10 is not None and self.p90 is not None
        if by_moments == by_pct:
            raise ValueError("give either mu and sigma, or p10 and p90")
        if by_pct and not self.p10 < self.p90:
            raise ValueError(f"p10 {self.p10:g} must be below p90 {self.p90:g}")
        return self

    def to_dist(self, lo, hi):
        if self.mu is not None:
            return Dist("lognormal", (self.mu, self.sigma), lo, hi)
        return Dist("lognormal", lognormal_from_p10_p90(self.p10, self.p90), lo, hi)


class Beta(_DistSpec):
    """Beta(alpha, beta) scaled to [min, max] (default [0, 1])."""

    dist: Literal["beta"]
    alpha: float = Field(gt=0, le=1e6)
    beta: float = Field(gt=0, le=1e6)
    min: float = 0.0
    max: float = 1.0

    @model_validator(mode="after")
    def _order(self):
        if not self.min < self.max:
            raise ValueError(f"min {self.min:g} must be below max {self.max:g}")
        return self

    def to_dist(self, lo, hi):
        return Dist("beta", (self.alpha, self.beta, self.min, self.max), lo, hi)


DistSpec = Annotated[
    Uniform | Triangular | Pert | Normal | LogNormal | Beta, Field(discriminator="dist")
]
Uncertain = float | DistSpec

#: share of probability mass an unbounded family may put outside the allowed range
_TAIL_TOLERANCE = 0.005


def _fmt(x: float) -> str:
    return "inf" if x == INF else "-inf" if x == -INF else f"{x:g}"


def as_dist(value: Any, lo: float = -INF, hi: float = INF) -> Dist:
    """Turn a validated field value (number or spec) into a :class:`Dist`."""
    if isinstance(value, _DistSpec):
        return value.to_dist(lo, hi)
    return Dist("fixed", (float(value),), lo, hi)


def _check_range(value: Any, lo: float, hi: float) -> None:
    """Raise ValueError with a user-facing message if ``value`` leaves [lo, hi]."""
    if not isinstance(value, _DistSpec):
        v = float(value)
        if not math.isfinite(v):
            raise ValueError(f"{value!r} is not a finite number (allowed range "
                             f"[{_fmt(lo)}, {_fmt(hi)}])")
        if v < lo:
            raise ValueError(f"{_fmt(v)} is below {_fmt(lo)}")
        if v > hi:
            raise ValueError(f"{_fmt(v)} is above {_fmt(hi)}")
        return
    for name in ("min", "mode", "max", "mean", "p10", "p90"):
        v = getattr(value, name, None)
        if v is None:
            continue
        if v < lo:
            raise ValueError(f"{value.dist} {name} {_fmt(v)} is below {_fmt(lo)}")
        if v > hi:
            raise ValueError(f"{value.dist} {name} {_fmt(v)} is above {_fmt(hi)}")
    if isinstance(value, Normal | LogNormal):
        try:
            f = value.to_dist(lo, hi).frozen()
            below, above = float(f.cdf(lo)), float(f.sf(hi))
        except (OverflowError, ValueError, ZeroDivisionError):
            below = above = math.nan
        if not (math.isfinite(below) and math.isfinite(above)):
            raise ValueError(f"{value.dist} parameters give no usable distribution (allowed "
                             f"range [{_fmt(lo)}, {_fmt(hi)}])")
        if below > _TAIL_TOLERANCE or above > _TAIL_TOLERANCE:
            side, share, edge = ("below", below, lo) if below > above else ("above", above, hi)
            raise ValueError(
                f"{value.dist} puts {share:.1%} of its mass {side} {_fmt(edge)} "
                f"(allowed range [{_fmt(lo)}, {_fmt(hi)}]; at most 0.5% may be clipped)")
