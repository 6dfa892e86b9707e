"""Conditioning the forecast on actuals: the :class:`Posterior` and :func:`condition`.

The update checks each observed figure against its prior predictive first
(:mod:`.conflict`), then moves from the prior to the posterior by tempered sequential Monte
Carlo over the inputs and each path's luck (:mod:`.smc`), with the observation models of
:mod:`.likelihood`. The posterior is a set of equally weighted particles: their full-horizon
paths give the bands, summary and NPV distribution; the effective sample size counts the
distinct particles (docs/actuals.md, "The update engine").
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from ..engine.bands import METRICS, PERCENTILES, STATS
from ..engine.layout import TR_ACC, TR_ACTIVE, TR_BEN, TR_COST, TR_INC, prepare
from ..results import SimulationResult, Summary
from ..scenario import Scenario
from ..simulation import seeds, simulate
from .conflict import Figure, conflicts, fmt_figure, inputs_behind, predictive
from .keyed import run_keyed
from .likelihood import (
    Likelihood,
    ObservationModel,
    check_actuals,
    log_likelihood,
    path_data,
    registered_mismatch,
)
from .reader import Actuals, empty_actuals
from .smc import ROBUST_EPS, run_smc
from .weighted import (
    ess,
    systematic_resample,
    weighted_mean,
    weighted_quantile,
    weighted_quantile_se,
    weighted_quantiles,
)

__all__ = ["MIN_ESS", "UPDATE_PATHS", "Likelihood", "ObservationModel", "Posterior",
           "condition", "log_likelihood", "remaining_npv"]

#: Particles of an update, in the CLI and the app alike (same file, seed, paths: same verdict).
UPDATE_PATHS = 20_000
#: Below this effective sample size no percentiles are shown: only the conflict and what
#: to change.
MIN_ESS = 200
#: Seed offset of the predictive draws (observation noise of the conflict check).
_PREDICTIVE_SEED = 0xC0F


# --------------------------------------------------------------------------- posterior


@dataclass
class Posterior:
    """The forecast conditioned on actuals: the posterior particles.

    ``sample`` is the particles' full-horizon run (row i draws as path ``keys[i]``, its
    luck key), with ``weights`` (equal after the last move). ``prior`` is the prior run
    (for prior-vs-posterior comparisons and the conflict check). ``ess`` is N^2 / sum c_j^2
    over the copies c_j of each distinct particle; ``history`` lists (particles, ESS,
    step) of every tempering step; ``conflicts`` the figures outside their prior
    predictive [P1, P99] (:func:`.conflict.conflicts`); ``notes`` what the user should
    know. With no actuals ``sample`` is the prior run and the bands and summary its own.
    """

    prior: SimulationResult
    sample: SimulationResult
    actuals: Actuals
    obs: ObservationModel
    likelihood: Likelihood
    weights: np.ndarray
    ess: float
    kernel_seed: int
    keys: np.ndarray | None = None
    history: list[tuple[int, float, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    min_ess: float = MIN_ESS
    conflicts: list[dict] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)

    @property
    def n_paths(self) -> int:
        return self.sample.n_paths

    @property
    def is_prior(self) -> bool:
        """True when there was nothing to condition on (posterior = prior)."""
        return self.actuals.is_empty

    @property
    def collapsed(self) -> bool:
        """True when too few effective particles remain for percentiles."""
        return self.ess < self.min_ess

    def run(self, sc: Scenario, store: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(out, traj) of the posterior particles under scenario ``sc`` (a lever variant),
        each on its own luck: common random numbers with ``sample``."""
        res = self.sample
        m = prepare(sc, res.inputs, res.input_names, res.horizon)
        keys = np.arange(res.n_paths) if self.keys is None else self.keys
        out, traj, _ = run_keyed(m, self.kernel_seed, keys, store=store)
        return out, traj

    def posterior_predictive(self, seed: int = 0) -> list[Figure]:
        """Predictive draws of each observed figure on the posterior particles."""
        rng = np.random.default_rng([seed, _PREDICTIVE_SEED, 1])
        return predictive(path_data(self.sample), self.actuals, self.obs, rng)

    def metric(self, name: str) -> np.ndarray:
        """Per-path metric of the weighted sample (weight it with ``weights``)."""
        return self.sample.metric(name)

    def input(self, path: str) -> np.ndarray:
        """Per-path values of one input (or a per-path metric) of the weighted sample."""
        if path in self.sample.input_names:
            return self.sample.inputs[:, self.sample.input_names.index(path)]
        return self.sample.metric(path)

    def mean(self, x: np.ndarray) -> tuple[float, float]:
        """Posterior mean of a per-path quantity and its standard error (on the ESS)."""
        m, se = weighted_mean(np.asarray(x, dtype=np.float64), self.weights)
        return m, se * ess_inflation(self.weights, self.ess)

    def quantile(self, x: np.ndarray, q: float) -> float:
        return weighted_quantile(np.asarray(x, dtype=np.float64), self.weights, q)

    def resample(self, n: int | None = None, seed: int = 0) -> np.ndarray:
        """Path indices of an equally weighted posterior sample (systematic resampling)."""
        n = self.n_paths if n is None else int(n)
        return systematic_resample(self.weights, n, np.random.default_rng(seed))

    @cached_property
    def band_array(self) -> np.ndarray:
        """(H+1, len(METRICS), len(STATS)) weighted bands, in the prior's layout."""
        if self.is_prior and self.prior.band_array is not None:
            return self.prior.band_array
        return weighted_band_array(self.sample, self.weights)

    @cached_property
    def bands(self) -> pd.DataFrame:
        """Tidy posterior bands: month, metric, stat, value (same format as ``res.bands``)."""
        if self.is_prior and self.prior.band_array is not None:
            return self.prior.bands
        ba = self.band_array
        h1, nm, ns = ba.shape
        return pd.DataFrame({
            "month": np.repeat(np.arange(h1), nm * ns),
            "metric": np.tile(np.repeat(np.array(METRICS, dtype=object), ns), h1),
            "stat": np.tile(np.array(STATS, dtype=object), h1 * nm),
            "value": ba.reshape(-1)})

    @cached_property
    def summary(self) -> Summary:
        """Weighted headline numbers (same keys as ``res.summary``) plus ESS fields."""
        if self.is_prior:
            s = Summary(self.prior.summary)
        else:
            s = weighted_summary(self.sample, self.weights, self.ess, self.prior.summary)
        s["posterior"] = not self.is_prior
        s["ess"] = self.ess
        s["ess_share"] = self.ess / self.n_paths
        s["n_observations"] = self.actuals.n_observations
        s["last_actual_month"] = self.actuals.last_month
        rem = remaining_npv(self.sample, self.actuals.last_month)
        s["remaining_npv_mean"], s["remaining_npv_mean_se"] = self.mean(rem)
        for p in (10, 50, 90):
            s[f"remaining_npv_p{p}"] = self.quantile(rem, p / 100)
        return s

    def npv_histogram(self, bins: int = 60) -> pd.DataFrame:
        """Prior and posterior NPV densities on common bins (columns npv, density, which)."""
        prior_npv = self.prior.metric("npv")
        npv = self.metric("npv")
        lo, hi = np.percentile(np.concatenate([prior_npv, npv]), [0.5, 99.5])
        edges = np.linspace(lo, hi, bins + 1)
        mid = 0.5 * (edges[1:] + edges[:-1])
        prior, _ = np.histogram(prior_npv, edges, density=True)
        post, _ = np.histogram(npv, edges, weights=self.weights, density=True)
        return pd.DataFrame({"npv": np.concatenate([mid, mid]),
                             "density": np.concatenate([prior, post]),
                             "which": ["prior"] * bins + ["posterior"] * bins})

    def compare(self) -> pd.DataFrame:
        """Prior vs posterior of the headline numbers (metric, prior, posterior)."""
        keys = ["prob_npv_positive", "npv_mean", "npv_p10", "npv_p50", "npv_p90",
                "roi_p50", "active_rate_m6_p50", "active_rate_final_p50",
                "launch_accuracy_p50", "accuracy_final_p50", "remaining_npv_mean"]
        prior = self.prior.summary
        pr_rem = float(remaining_npv(self.prior, self.actuals.last_month).mean())
        return pd.DataFrame({
            "metric": keys,
            "prior": [pr_rem if k == "remaining_npv_mean" else prior.get(k) for k in keys],
            "posterior": [self.summary.get(k) for k in keys]})


def ess_inflation(w: np.ndarray, n_eff: float) -> float:
    """sqrt(Kish ESS of ``w`` / ``n_eff``): turns a weighted mean's s.e. into one on the
    effective sample size (copies of one particle count once)."""
    return math.sqrt(max(ess(w) / max(n_eff, 1.0), 1.0))


def remaining_npv(res: SimulationResult, month: int) -> np.ndarray:
    """Per path: net cash of months month+1..H discounted to ``month`` (what is still to win)."""
    traj = res.trajectories
    h = res.horizon
    if traj is None or month >= h:
        return np.zeros(res.n_paths)
    r = (1.0 + res.scenario.scenario.discount_rate_annual) ** (1.0 / 12.0) - 1.0
    t = np.arange(month + 1, h + 1)
    disc = (1.0 + r) ** -(t - month)
    net = traj[TR_BEN, month + 1:].astype(np.float64) - traj[TR_COST, month + 1:]
    return disc @ net


def weighted_band_array(res: SimulationResult, w: np.ndarray) -> np.ndarray:
    """Weighted quantile bands (H+1, METRICS, STATS) from a run's trajectories."""
    traj = res.trajectories
    qs = np.array(PERCENTILES) / 100.0
    keep = w > 0
    wk = w[keep] / w[keep].sum()
    reg = res.registered.astype(np.float64)
    ben = traj[TR_BEN][:, keep].astype(np.float64)
    cst = traj[TR_COST][:, keep].astype(np.float64)
    act = traj[TR_ACTIVE][:, keep].astype(np.float64)
    series = {
        "active_users": act,
        "active_rate": act / np.where(reg > 0, reg, 1.0)[:, None],
        "accuracy": traj[TR_ACC][:, keep].astype(np.float64),
        "benefit": ben,
        "cost": cst,
        "net": ben - cst,
        "cum_net": np.cumsum(ben - cst, axis=0),
        "incidents": traj[TR_INC][:, keep].astype(np.float64),
    }
    out = np.empty((traj.shape[1], len(METRICS), len(STATS)))
    for k, name in enumerate(METRICS):
        x = series[name]
        out[:, k, :-1] = weighted_quantiles(x, wk, qs)
        out[:, k, -1] = x @ wk
    return out


def weighted_summary(res: SimulationResult, w: np.ndarray, n_eff: float,
                     prior: Summary | None = None) -> Summary:
    """The keys of ``res.summary`` computed under weights ``w`` with ESS-based errors.

    Run-level entries (scenario, seed, pilot-lens NPV) come from ``prior`` (default
    ``res.summary``).
    """
    prior = res.summary if prior is None else prior
    s = Summary({k: prior[k] for k in ("scenario", "currency", "seed", "horizon_months")})
    s["paths"] = res.n_paths
    npv = res.metric("npv")
    pos = (npv > 0).astype(np.float64)
    k = ess_inflation(w, n_eff)
    s["prob_npv_positive"], se = weighted_mean(pos, w)
    s["prob_npv_positive_se"] = se * k
    s["npv_mean"], se = weighted_mean(npv, w)
    s["npv_mean_se"] = se * k
    s["npv_sd"] = math.sqrt(float(np.dot(w, (npv - s["npv_mean"]) ** 2)))
    for p in (5, 10, 25, 50, 75, 90, 95):
        s[f"npv_p{p}"] = weighted_quantile(npv, w, p / 100)
        s[f"npv_p{p}_se"] = weighted_quantile_se(npv, w, p / 100, n_eff)
    roi = res.metric("roi")
    ok = np.isfinite(roi)
    for p in (10, 50, 90):
        s[f"roi_p{p}"] = weighted_quantile(roi[ok], w[ok], p / 100) if ok.any() else math.nan
    pay = res.metric("payback_month")
    s["prob_payback_within_horizon"] = float(np.dot(w, ~np.isnan(pay)))
    pay_inf = np.where(np.isnan(pay), np.inf, pay)
    order = np.argsort(pay_inf, kind="stable")
    cw = np.cumsum(w[order])
    for p in (10, 50, 90):
        j = min(int(np.searchsorted(cw, p / 100 - 1e-12)), len(order) - 1)
        v = float(pay_inf[order[j]])
        s[f"payback_month_p{p}"] = None if math.isinf(v) else v
    irr = res.metric("irr")
    ok = np.isfinite(irr)
    s["irr_p50"] = weighted_quantile(irr[ok], w[ok], 0.5) if ok.any() else None
    for name in ("active_rate_m6", "active_rate_final"):
        arr = res.metric(name)
        for p in (10, 50, 90):
            s[f"{name}_p{p}"] = weighted_quantile(arr, w, p / 100)
    s["launch_accuracy_p50"] = weighted_quantile(res.metric("launch_accuracy"), w, 0.5)
    s["accuracy_m6_p50"] = weighted_quantile(res.metric("accuracy_m6"), w, 0.5)
    s["accuracy_final_p50"] = weighted_quantile(res.metric("accuracy_final"), w, 0.5)
    s["pilot_users_lapsed_m6_p50"] = weighted_quantile(res.metric("pilot_users_lapsed_m6"),
                                                       w, 0.5)
    s["pilot_lens_npv"] = prior["pilot_lens_npv"]
    s["pilot_lens_npv_se"] = prior["pilot_lens_npv_se"]
    s["pilot_lens_method"] = prior.get("pilot_lens_method", "sample median")
    s["expectation_gap"] = s["pilot_lens_npv"] - s["npv_p50"]
    s["prob_npv_ge_pilot_lens"] = float(np.dot(w, npv >= s["pilot_lens_npv"]))
    return s


def prior_predictive_check(res: SimulationResult, actuals: Actuals, obs: ObservationModel,
                           ) -> tuple[list[Figure], list[dict]]:
    """Each observed figure's prior predictive draws and the conflicts among them."""
    rng = np.random.default_rng([res.seed, _PREDICTIVE_SEED])
    figs = predictive(path_data(res), actuals, obs, rng)
    return figs, conflicts(figs, res.scenario.scenario.currency)


def _explain(figures: list[Figure], conf: list[dict]) -> str:
    """The figure an update could not reach, in words (the most extreme conflict)."""
    if conf:
        c = conf[0]
        return f"month {c['month']} {c['figure'].replace('_', ' ')} {c['actual']:,.4g}"
    return "the actuals"


def condition(sc: Scenario | SimulationResult, actuals: Actuals | None,
              paths: int = UPDATE_PATHS, seed: int = 7, horizon: int | None = None,
              obs: ObservationModel | None = None, min_ess: float = MIN_ESS) -> Posterior:
    """The forecast of ``sc`` conditioned on ``actuals`` by tempered SMC.

    ``sc`` may be a scenario (its prior run simulated here with ``paths``/``seed``/
    ``horizon``) or an existing prior run with trajectories (its paths, seed and horizon
    are used). The prior predictive conflict check runs first; the SMC then uses as many
    particles as the prior run has paths. ActualsError when the actuals do not fit the
    scenario (late months, more active than registered) or cannot be explained.
    """
    actuals = empty_actuals() if actuals is None else actuals
    obs = obs or ObservationModel()
    if isinstance(sc, SimulationResult) and sc.trajectories is not None:
        prior = sc
    else:
        base = sc.scenario if isinstance(sc, SimulationResult) else sc
        if isinstance(sc, SimulationResult):
            paths, seed, horizon = sc.n_paths, sc.seed, sc.horizon
        prior = simulate(base, paths=paths, seed=seed, horizon=horizon,
                         keep_trajectories=True)  # conditioning reads them
    scenario, kseed = prior.scenario, seeds(prior.seed)[1]
    check_actuals(actuals, prior.registered, prior.horizon)
    notes, _ = registered_mismatch(actuals, prior.registered)
    n = prior.n_paths
    if actuals.is_empty:
        lik = Likelihood(np.zeros(n), {}, notes, [])
        return Posterior(prior=prior, sample=prior, actuals=actuals, obs=obs,
                         likelihood=lik, weights=np.full(n, 1.0 / n), ess=float(n),
                         kernel_seed=kseed, history=[(n, float(n), "prior")],
                         notes=notes, min_ess=min_ess)
    figures, conf = prior_predictive_check(prior, actuals, obs)
    free = [k for k, d in scenario.inputs().items() if not d.is_fixed]
    widen = sorted({name for c in conf for name in inputs_behind(c["figure"], free)})
    smc = run_smc(scenario, actuals, obs, n, prior.seed, prior.horizon,
                  explain=lambda: _explain(figures, conf), widen=widen)
    lik = log_likelihood(smc.sample, actuals, obs)
    lik.notes = notes
    history = [(n, float(st["ess"]), f"tempering to {st['phi']:.3g} "
                f"({st['moves']} moves, acceptance "
                f"{np.mean(st['acceptance']) if st['acceptance'] else 0:.0%})")
               for st in smc.steps]
    history.append((n, smc.ess, "posterior (distinct particles)"))
    post = Posterior(prior=prior, sample=smc.sample, actuals=actuals, obs=obs,
                     likelihood=lik, weights=smc.weights, ess=smc.ess,
                     kernel_seed=smc.kernel_seed, keys=smc.keys, history=history,
                     notes=list(notes), min_ess=min_ess, conflicts=conf, figures=figures)
    if widen:
        post.notes.append(
            f"the scenario's ranges do not cover the actuals: the update gave "
            f"{len(widen)} inputs behind the conflicting figures a {ROBUST_EPS:.0%} chance "
            f"of lying outside them (a robust prior; docs/actuals.md), so the posterior can "
            f"follow the actuals. `rollout-sim calibrate` writes a scenario with ranges "
            f"that cover them.")
    cur = scenario.scenario.currency
    for f in post.posterior_predictive(prior.seed):
        lo, hi = f.quantiles((0.5, 99.5), post.weights)
        if not lo <= f.actual <= hi:
            def v(x: float, f: Figure = f) -> str:
                return fmt_figure(f.figure, x, cur)
            post.notes.append(
                f"warning: the update cannot explain month {f.month}'s "
                f"{f.figure.replace('_', ' ')} ({v(f.actual)}): it lies outside the posterior "
                f"predictive P0.5-P99.5 ({v(lo)} to {v(hi)}). Check the figure, or widen the "
                f"inputs behind it.")
    if post.collapsed:
        post.notes.append(
            f"warning: effective sample size {post.ess:,.0f} of {n:,} particles is below "
            f"{min_ess:,.0f}: no percentiles. "
            + (conf[0]["sentence"] + " " if conf else "")
            + "Widen the input ranges behind the figures above (or run "
              "`rollout-sim calibrate`), check the actuals, or run more paths.")
    return post
