"""Pilot extensions whose expected value of sample information (EVSI) is priced.

A study is simulated on every path, from that path's inputs, and reduced to a summary
statistic; EVSI is the regression EVPPI of that statistic (Strong et al. 2015, Jalal &
Alarid-Escudero 2018): what the decision would gain, on average, from seeing the study's
result before choosing.

* ``spot_checks=N``: N production outputs checked by hand. The count correct is
  Binomial(N, a0), a0 the path's launch accuracy as the system is now (production input
  mix, no lever); the statistic is the share correct. (The actuals' accuracy likelihood
  in :mod:`simulator.actuals.condition` is the normal approximation of this binomial.)
* ``trial_cohort=N,months=M[,tier=NAME]``: N users onboarded in one trial cohort (the
  first rollout cohort's tier unless named), with no lever, observed for M months. The
  model itself simulates the trial (same inputs, its own month-to-month draws); the
  monthly active counts are observed through the actuals' beta-binomial active-user
  likelihood (over-dispersion as :class:`~simulator.actuals.ObservationModel`); the
  statistic is the M observed active rates. Counts include the pilot team, as the
  kernel and the actuals count them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..actuals.condition import ObservationModel
from ..analysis.variants import AnalysisError
from ..engine.layout import TR_ACTIVE
from ..scenario import LEVERS, Scenario, ScenarioError
from ..simulation import simulate_inputs
from .decisions import Decisions

KINDS = ("spot_checks", "trial_cohort")
#: Largest study size accepted (outputs checked or trial users).
MAX_SIZE = 10_000_000
MAX_MONTHS = 24


@dataclass(frozen=True)
class Study:
    """One pilot extension: ``kind`` with ``size`` outputs or users (and months, tier)."""

    kind: str
    size: int
    months: int = 0
    tier: str | None = None

    @property
    def label(self) -> str:
        if self.kind == "spot_checks":
            return f"spot_checks={self.size}"
        tier = f",tier={self.tier}" if self.tier else ""
        return f"trial_cohort={self.size},months={self.months}{tier}"


def _int(spec: str, key: str, text: str, lo: int, hi: int) -> int:
    try:
        v = int(text)
    except ValueError:
        v = None
    if v is None or not lo <= v <= hi:
        raise AnalysisError(f"--study {spec}: {key}={text} must be a whole number in "
                            f"[{lo}, {hi:,}]")
    return v


def parse_study(spec: str) -> Study:
    """``spot_checks=500`` or ``trial_cohort=50,months=3[,tier=NAME]`` as a :class:`Study`."""
    items = {}
    for part in spec.split(","):
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise AnalysisError(f"--study {spec}: expected KEY=VALUE pairs, e.g. "
                                "spot_checks=500 or trial_cohort=50,months=3")
        if key.strip() in items:
            raise AnalysisError(f"--study {spec}: {key.strip()!r} is given twice (give each "
                                f"key once)")
        items[key.strip()] = value.strip()
    kind = next(iter(items))
    if kind not in KINDS:
        raise AnalysisError(f"--study {spec}: {kind!r} is not a study (allowed: "
                            f"{', '.join(KINDS)})")
    size = _int(spec, kind, items.pop(kind), 1, MAX_SIZE)
    if kind == "spot_checks":
        if items:
            raise AnalysisError(f"--study {spec}: spot_checks takes no other key "
                                f"(got {', '.join(items)})")
        return Study(kind, size)
    months = _int(spec, "months", items.pop("months", "3"), 1, MAX_MONTHS)
    tier = items.pop("tier", None)
    if items:
        raise AnalysisError(f"--study {spec}: unknown key {next(iter(items))!r} (allowed: "
                            "months, tier)")
    return Study(kind, size, months, tier)


def derived_seed(seed: int, *keys: int) -> int:
    """An independent simulation seed for one purpose of an analysis run with ``seed``."""
    return int(np.random.SeedSequence([seed, *keys]).generate_state(1, np.uint64)[0] >> 1)


def study_statistic(study: Study, dec: Decisions, seed: int,
                    obs: ObservationModel | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """(statistic (paths, k), perfect-information limit or None) of ``study`` on every path.

    The limit is the quantity the study measures without sampling error (the launch
    accuracy for spot checks): its EVPPI is what EVSI tends to as the study grows.
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5707, KINDS.index(
        study.kind), study.size, study.months]))
    if study.kind == "spot_checks":
        a = np.clip(dec.no_levers.metric("launch_accuracy"), 0.0, 1.0)
        k = rng.binomial(study.size, a)
        return (k / study.size)[:, None], a[:, None]
    return _trial(study, dec, seed, rng, obs or ObservationModel()), None


def _trial(study: Study, dec: Decisions, seed: int, rng: np.random.Generator,
           obs: ObservationModel) -> np.ndarray:
    base = dec.base
    sc: Scenario = base.scenario
    tier = study.tier or (sc.adoption.cohorts[0].tier if sc.adoption.cohorts
                          else sc.adoption.pilot_tier)
    if tier not in sc.adoption.tiers:
        raise AnalysisError(f"--study {study.label}: tier {tier!r} is not a tier of this "
                            f"scenario (allowed: {', '.join(sc.adoption.tiers)})")
    changes = {f"levers.{lv}.enabled": False for lv in LEVERS}
    changes["adoption.cohorts"] = [{"name": "Trial", "size": study.size, "start_month": 1,
                                    "tier": tier}]
    try:
        trial = sc.with_values(changes)
    except ScenarioError as exc:
        raise AnalysisError(f"--study {study.label}: {exc}") from None
    res = simulate_inputs(trial, base.inputs, base.input_names, derived_seed(seed, 0x7121),
                          study.months, bands=True, pilot_lens=False, keep_trajectories=True)
    active = res.trajectories[TR_ACTIVE].astype(np.float64)  # (months+1, paths)
    rho = obs.active_overdispersion
    out = np.empty((base.n_paths, study.months))
    for t in range(1, study.months + 1):
        reg = float(res.registered[t])
        eps = 0.5 / max(reg, 1.0)
        mu = np.clip(active[t] / reg, eps, 1.0 - eps)
        p = rng.beta(mu * (1.0 - rho) / rho, (1.0 - mu) * (1.0 - rho) / rho)
        out[:, t - 1] = rng.binomial(int(reg), p) / reg
    return out
