"""Conditioning the forecast on actuals: likelihood weighting of simulated paths.

Every simulated path is a joint draw of the inputs and of the monthly shocks. Given the
actuals y, path i gets the importance weight w_i ∝ p(y | path i), the product over
observed months and columns of the observation models below. Weighted paths are a
sample of the posterior: bands, summary and NPV distribution follow by weighting.

Observation models (see docs/actuals.md for the formulas and why):

- active users: beta-binomial(n = registered, mean = active_t / registered_model,
  over-dispersion rho) -- conditions on the active *rate* when the actual registered
  count differs from the scenario's (registered is deterministic in the model);
- accuracy (spot checks): normal(a_t, sqrt(a_t (1 - a_t) / n_checks + floor^2));
- incidents: Poisson(lambda_t + eps), lambda_t = lambda_pilot (active_{t-1} /
  pilot users)^alpha the path's own incident rate that month;
- cost: normal(cost_t, rel_sd * cost_t);
- usage survey (daily / weekly / less shares of n respondents): beta-binomial active
  respondents, Dirichlet-multinomial frequency mix among them (:mod:`.usage`).

When the effective sample size collapses the run is repeated with twice the paths (same
seed) up to ``max_paths``; what remains is reported in ``Posterior.notes``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
from scipy import special

from ..engine.bands import METRICS, PERCENTILES, STATS
from ..engine.layout import TR_ACC, TR_ACTIVE, TR_BEN, TR_COST, TR_INC
from ..results import SimulationResult, Summary
from ..scenario import Scenario
from ..simulation import seeds, simulate
from .ais import rejuvenate
from .format import Actuals, ActualsError, empty_actuals
from .usage import usage_log_likelihood
from .weighted import (
    ess,
    normalise_log_weights,
    systematic_resample,
    weighted_mean,
    weighted_quantile,
    weighted_quantile_se,
    weighted_quantiles,
)

#: Default smallest acceptable effective sample size before the run is enlarged.
MIN_ESS = 200
#: Below this share of the paths the weights are reported as concentrated.
MIN_ESS_SHARE = 0.01


@dataclass(frozen=True)
class ObservationModel:
    """How noisy each kind of actual is, relative to the model's own quantity.

    ``active_overdispersion`` (rho): intra-class correlation of the beta-binomial; the
    variance of the active count is n mu (1 - mu) (1 + (n - 1) rho): definitions of
    "active" and counting windows never match the model exactly. ``accuracy_spot_checks``:
    items checked per month behind an accuracy figure (binomial error), plus
    ``accuracy_sd_floor`` for rubric differences. ``incidents_epsilon``: added to the
    path's incident rate so a path with zero rate is unlikely, not impossible.
    ``cost_relative_sd``: spend booked vs modelled (timing, categories).
    ``frequency_mix``: prior mean shares of the model's active users who use the tool
    daily, weekly (not daily) and less than weekly; ``frequency_concentration`` (kappa)
    the Dirichlet concentration of that mix (larger = surer of the mix).
    """

    active_overdispersion: float = 0.005
    accuracy_spot_checks: int = 200
    accuracy_sd_floor: float = 0.01
    incidents_epsilon: float = 0.01
    cost_relative_sd: float = 0.10
    frequency_mix: tuple[float, float, float] = (0.35, 0.45, 0.20)
    frequency_concentration: float = 10.0

    def __post_init__(self):
        checks = [
            ("active_overdispersion", self.active_overdispersion, 1e-6, 0.5),
            ("accuracy_spot_checks", self.accuracy_spot_checks, 1, 1_000_000),
            ("accuracy_sd_floor", self.accuracy_sd_floor, 1e-4, 0.5),
            ("incidents_epsilon", self.incidents_epsilon, 1e-6, 10.0),
            ("cost_relative_sd", self.cost_relative_sd, 1e-3, 2.0),
            ("frequency_concentration", self.frequency_concentration, 0.1, 1e5),
        ]
        bad = [f"observation model {n}: {v!r} is outside [{lo:g}, {hi:g}]"
               for n, v, lo, hi in checks
               if not (isinstance(v, int | float) and math.isfinite(v) and lo <= v <= hi)]
        mix = tuple(self.frequency_mix)
        if (len(mix) != 3 or not all(isinstance(v, int | float) and math.isfinite(v) and v > 0
                                     for v in mix) or abs(sum(mix) - 1.0) > 1e-6):
            bad.append(f"observation model frequency_mix: {mix!r} must be three shares "
                       f"above 0 (daily, weekly, less) summing to 1")
        if bad:
            raise ActualsError(bad)

    def accuracy_sd(self, a: np.ndarray) -> np.ndarray:
        """Standard deviation of a spot-check accuracy figure when the truth is ``a``."""
        a = np.clip(a, 0.0, 1.0)
        return np.sqrt(a * (1 - a) / self.accuracy_spot_checks + self.accuracy_sd_floor ** 2)


# --------------------------------------------------------------------------- likelihood


def _betabinom_logpmf(k: float, n: float, mu: np.ndarray, rho: float) -> np.ndarray:
    a = mu * (1.0 - rho) / rho
    b = (1.0 - mu) * (1.0 - rho) / rho
    log_comb = special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)
    return log_comb + special.betaln(k + a, n - k + b) - special.betaln(a, b)


def incident_rates(res: SimulationResult) -> np.ndarray:
    """Each path's expected incidents per month, (H+1, N): lambda_pilot (load/pilot)^alpha.

    The load is the active users at the start of the month (end of the previous one),
    alpha the load exponent after the load-testing lever if it is on: the kernel's own
    formula (docs/model.md), rebuilt from the stored trajectories and inputs.
    """
    sc = res.scenario
    col = {p: i for i, p in enumerate(res.input_names)}
    lam0 = res.inputs[:, col["pilot.incidents_per_month"]]
    alpha = res.inputs[:, col["integration.load_exponent"]].copy()
    if sc.levers.load_testing.enabled:
        alpha *= 1.0 - res.inputs[:, col["levers.load_testing.exponent_reduction"]]
    load = res.trajectories[TR_ACTIVE].astype(np.float64)  # (H+1, N)
    rates = np.zeros_like(load)
    ratio = load[:-1] / float(sc.pilot.users)
    with np.errstate(divide="ignore"):
        rates[1:] = np.where(load[:-1] > 0, lam0[None, :] * ratio ** alpha[None, :], 0.0)
    return rates


@dataclass
class Likelihood:
    """Per-path log-likelihood of the actuals, by column, and what was noticed."""

    total: np.ndarray  # (N,)
    by_column: dict[str, np.ndarray]
    notes: list[str]
    registered_mismatch: list[tuple[int, int, int]]  # (month, actual, scenario)


def log_likelihood(res: SimulationResult, actuals: Actuals,
                   obs: ObservationModel | None = None) -> Likelihood:
    """Log p(actuals | path) for every path of ``res`` (which must hold trajectories)."""
    obs = obs or ObservationModel()
    if res.trajectories is None:
        raise ValueError("conditioning needs trajectories: simulate(..., bands=True)")
    n = res.n_paths
    traj = res.trajectories
    h = res.horizon
    months = actuals.months
    late = [int(m) for m in months if m > h]
    if late:
        raise ActualsError([f"column month: {late[0]} is after the horizon (allowed: 1..{h})"])
    by: dict[str, np.ndarray] = {}
    notes: list[str] = []
    mismatch: list[tuple[int, int, int]] = []
    reg_act = actuals.column("registered")
    act = actuals.column("active_users")
    acc = actuals.column("accuracy")
    inc = actuals.column("incidents")
    cost = actuals.column("cost")
    for i, m in enumerate(months):
        reg_model = int(res.registered[m])
        if not math.isnan(reg_act[i]) and int(reg_act[i]) != reg_model:
            mismatch.append((int(m), int(reg_act[i]), reg_model))
    if mismatch:
        m, a, s = mismatch[0]
        more = f" (and {len(mismatch) - 1} more months)" if len(mismatch) > 1 else ""
        notes.append(f"registered users differ from the scenario: month {m} actual {a}, "
                     f"scenario {s}{more}. Registered is fixed by the cohorts in the model: "
                     f"edit adoption.cohorts (sizes, start months) to match; meanwhile active "
                     f"users are conditioned on the active rate.")
    ll = np.zeros(n)
    if not np.all(np.isnan(act)):
        part = np.zeros(n)
        rho = obs.active_overdispersion
        for i, m in enumerate(months):
            if math.isnan(act[i]):
                continue
            reg_model = float(res.registered[m])
            n_obs = reg_act[i] if not math.isnan(reg_act[i]) else reg_model
            if act[i] > n_obs:
                raise ActualsError([
                    f"row {i + 2}, column active_users: {act[i]:g} is above the scenario's "
                    f"{reg_model:g} registered users in month {m} (allowed: 0..registered; "
                    f"add a registered column or edit adoption.cohorts)"])
            eps = 0.5 / max(n_obs, 1.0)
            mu = np.clip(traj[TR_ACTIVE, m].astype(np.float64) / reg_model, eps, 1 - eps)
            part += _betabinom_logpmf(act[i], n_obs, mu, rho)
        by["active_users"] = part
    if not np.all(np.isnan(acc)):
        part = np.zeros(n)
        for i, m in enumerate(months):
            if math.isnan(acc[i]):
                continue
            a = traj[TR_ACC, m].astype(np.float64)
            sd = obs.accuracy_sd(a)
            part += -0.5 * ((acc[i] - a) / sd) ** 2 - np.log(sd) - 0.5 * math.log(2 * math.pi)
        by["accuracy"] = part
    if not np.all(np.isnan(inc)):
        rates = incident_rates(res)
        part = np.zeros(n)
        for i, m in enumerate(months):
            if math.isnan(inc[i]):
                continue
            lam = rates[m] + obs.incidents_epsilon
            part += inc[i] * np.log(lam) - lam - special.gammaln(inc[i] + 1)
        by["incidents"] = part
    if not np.all(np.isnan(cost)):
        # The path's cost holds its own incidents' fix costs; swap them for the observed
        # incidents (when given) or for their expectation at the path's rate, with the
        # Poisson variance added, so cost does not re-condition on the incident shocks.
        rates = incident_rates(res)
        fix = res.inputs[:, res.input_names.index("integration.fix_cost_per_incident")]
        part = np.zeros(n)
        for i, m in enumerate(months):
            if math.isnan(cost[i]):
                continue
            base = traj[TR_COST, m].astype(np.float64) - traj[TR_INC, m] * fix
            if math.isnan(inc[i]):
                c = base + rates[m] * fix
                var_inc = rates[m] * fix ** 2
            else:
                c = base + inc[i] * fix
                var_inc = 0.0
            sd = np.sqrt((obs.cost_relative_sd * np.abs(c)) ** 2 + var_inc + 1.0)
            part += -0.5 * ((cost[i] - c) / sd) ** 2 - np.log(sd) - 0.5 * math.log(2 * math.pi)
        by["cost"] = part
    if actuals.has_usage:
        part = np.zeros(n)
        for _, m, d, w, n_s in actuals.usage_counts():
            reg_model = float(res.registered[m])
            if reg_model <= 0:
                raise ActualsError([f"column survey_n: month {m} has no registered users in "
                                    f"the scenario (edit adoption.cohorts)"])
            rate = traj[TR_ACTIVE, m].astype(np.float64) / reg_model
            part += usage_log_likelihood(rate, d, w, n_s, obs.frequency_mix,
                                         obs.frequency_concentration,
                                         obs.active_overdispersion)
        by["usage"] = part
    for v in by.values():
        ll += v
    return Likelihood(total=ll, by_column=by, notes=notes, registered_mismatch=mismatch)


# --------------------------------------------------------------------------- posterior


@dataclass
class Posterior:
    """The forecast conditioned on actuals: weighted paths.

    ``sample`` is the run whose paths carry the normalised ``weights``: the prior run
    itself, or -- after rejuvenation -- paths drawn from an adaptive proposal. ``prior``
    is the prior run (for prior-vs-posterior comparisons). ``ess`` is (sum w)^2 / sum w^2;
    ``history`` lists (paths, ESS, step) of every attempt; ``notes`` says what the user
    should know (registered mismatch, collapsed weights). With no actuals the weights are
    equal and ``bands`` and ``summary`` are the prior's own.
    """

    prior: SimulationResult
    sample: SimulationResult
    actuals: Actuals
    obs: ObservationModel
    likelihood: Likelihood
    weights: np.ndarray
    ess: float
    kernel_seed: int
    history: list[tuple[int, float, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    min_ess: float = MIN_ESS

    @property
    def n_paths(self) -> int:
        return self.sample.n_paths

    @property
    def is_prior(self) -> bool:
        """True when there was nothing to condition on (posterior = prior)."""
        return self.actuals.is_empty

    @property
    def collapsed(self) -> bool:
        return self.ess < self.min_ess

    def metric(self, name: str) -> np.ndarray:
        """Per-path metric of the weighted sample (weight it with ``weights``)."""
        return self.sample.metric(name)

    def input(self, path: str) -> np.ndarray:
        """Per-path values of one input (or a per-path metric) of the weighted sample."""
        if path in self.sample.input_names:
            return self.sample.inputs[:, self.sample.input_names.index(path)]
        return self.sample.metric(path)

    def mean(self, x: np.ndarray) -> tuple[float, float]:
        """Posterior mean of a per-path quantity and its standard error."""
        return weighted_mean(np.asarray(x, dtype=np.float64), self.weights)

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
    s["prob_npv_positive"], s["prob_npv_positive_se"] = weighted_mean(pos, w)
    s["npv_mean"], s["npv_mean_se"] = weighted_mean(npv, w)
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


def posterior_from_result(res: SimulationResult, actuals: Actuals,
                          obs: ObservationModel | None = None,
                          min_ess: float = MIN_ESS) -> Posterior:
    """Weight the paths of an existing run (with trajectories) by the actuals."""
    obs = obs or ObservationModel()
    lik = log_likelihood(res, actuals, obs)
    n = res.n_paths
    w = np.full(n, 1.0 / n) if actuals.is_empty else normalise_log_weights(lik.total)
    e = float(n) if actuals.is_empty else ess(w)
    return Posterior(prior=res, sample=res, actuals=actuals, obs=obs, likelihood=lik,
                     weights=w, ess=e, kernel_seed=seeds(res.seed)[1],
                     history=[(n, e, "prior")], notes=list(lik.notes), min_ess=min_ess)


def condition(sc: Scenario | SimulationResult, actuals: Actuals | None, paths: int = 20_000,
              seed: int = 7, horizon: int | None = None, obs: ObservationModel | None = None,
              min_ess: float = MIN_ESS, max_paths: int | None = None,
              rounds: int = 3) -> Posterior:
    """The forecast of ``sc`` conditioned on ``actuals`` by likelihood weighting.

    ``sc`` may be a scenario (simulated here with ``paths``/``seed``/``horizon``) or an
    existing :class:`SimulationResult` with trajectories (reused as the first attempt).
    If the effective sample size is below ``min_ess``: (1) the scenario is re-simulated
    with twice the paths (same seed) up to ``max_paths`` (default 4x the first run);
    (2) if that is not enough, up to ``rounds`` rounds of adaptive importance sampling
    resample and move the weighted paths (see :mod:`simulator.actuals.ais`).
    """
    actuals = empty_actuals() if actuals is None else actuals
    obs = obs or ObservationModel()
    if isinstance(sc, SimulationResult):
        res = sc if sc.trajectories is not None else None
        scenario, seed, horizon, paths = sc.scenario, sc.seed, sc.horizon, sc.n_paths
    else:
        res, scenario = None, sc
    if res is None:
        res = simulate(scenario, paths=paths, seed=seed, horizon=horizon)
    max_paths = 4 * res.n_paths if max_paths is None else int(max_paths)
    history: list[tuple[int, float, str]] = []
    while True:
        post = posterior_from_result(res, actuals, obs, min_ess)
        history.append((res.n_paths, post.ess, "prior"))
        if post.ess >= min_ess or 2 * res.n_paths > max_paths:
            break
        res = simulate(scenario, paths=2 * res.n_paths, seed=seed, horizon=res.horizon)
    if post.collapsed and rounds > 0 and not scenario.correlations:
        best = post
        cur_sample, cur_w = post.sample, post.weights
        for r in range(1, rounds + 1):
            ss = np.random.SeedSequence([seed, 0xAC7A15, r])
            rng = np.random.default_rng(ss)
            kseed = int(ss.generate_state(1, np.uint64)[0] >> 1)
            step = rejuvenate(scenario, cur_sample, cur_w, res.n_paths, kseed, rng)
            if step is None:
                break
            sample, log_ratio = step
            lik = log_likelihood(sample, actuals, obs)
            w = normalise_log_weights(lik.total + log_ratio)
            e = ess(w)
            history.append((sample.n_paths, e, f"adaptive round {r}"))
            if e > best.ess:
                best = Posterior(prior=res, sample=sample, actuals=actuals, obs=obs,
                                 likelihood=lik, weights=w, ess=e, kernel_seed=kseed,
                                 notes=list(post.notes), min_ess=min_ess)
            if e < best.ess or e >= min_ess:
                break  # reached the target, or the proposal no longer improves
            cur_sample, cur_w = sample, w
        post = best
    elif post.collapsed and scenario.correlations:
        post.notes.append("adaptive resampling is not available for scenarios with declared "
                          "rank correlations (no closed-form prior density).")
    post.history = history
    if len(history) > 1:
        steps = " -> ".join(f"{n:,} paths ({how}) ESS {e:,.0f}" for n, e, how in history)
        post.notes.append(f"effective sample size was below {min_ess:,.0f}; enlarged and "
                          f"resampled: {steps}.")
    if post.collapsed:
        post.notes.append(
            f"warning: effective sample size {post.ess:,.0f} of {post.n_paths:,} paths is below "
            f"{min_ess:,.0f}: the actuals sit in the tails of the scenario's ranges, so the "
            f"posterior rests on few paths. Check the actuals, widen the input ranges, or run "
            f"more paths.")
    elif not post.is_prior and post.ess < MIN_ESS_SHARE * post.n_paths:
        post.notes.append(f"note: the weights are concentrated (ESS {post.ess:,.0f}, "
                          f"{post.ess / post.n_paths:.2%} of the paths).")
    return post
