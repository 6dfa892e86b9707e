"""The observation models: log p(actuals | path) for every simulated path, by column.

Observation models (see docs/actuals.md for the formulas and why):

- active users: beta-binomial(n = registered, mean = active_t / registered_model,
  over-dispersion rho) -- conditions on the active *rate* when the actual registered
  count differs from the scenario's (registered is deterministic in the model);
- accuracy (spot checks): normal(a_t, sqrt(a_t (1 - a_t) / n_checks + floor^2));
- incidents: Poisson(lambda_t + eps), lambda_t the path's own incident rate that month
  (:func:`simulator.engine.incidents.incident_rates`, the kernel's rule);
- cost: normal(cost_t, rel_sd * cost_t);
- usage survey (daily / weekly / less shares of n respondents): beta-binomial active
  respondents, Dirichlet-multinomial frequency mix among them (:mod:`.usage`).

Each column's term is its own function; :func:`check_actuals` refuses actuals the
scenario cannot hold (late months, more active than registered) once, up front.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from ..engine.incidents import incident_rates
from ..engine.layout import TR_ACC, TR_ACTIVE, TR_COST, TR_INC, prepare
from ..results import SimulationResult
from ..telemetry import telemetry_rates
from .reader import DEFINED, DEFINED_SERIES, Actuals, ActualsError
from .usage import usage_log_likelihood


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


@dataclass(frozen=True)
class PathData:
    """What the likelihood reads of a set of paths: trajectories (len(TRAJ), H'+1, N),
    registered users per month (H'+1,), expected incidents per month (H'+1, N) and each
    path's fix cost per incident (N,)."""

    traj: np.ndarray
    registered: np.ndarray
    rates: np.ndarray
    fix_cost: np.ndarray
    #: Per-path inputs by name (for the ever-used series) and usage intensity draws: (N, 2)
    #: one per path, or (K, 2) draws the weekly/daily likelihood averages over.
    x: dict | None = None
    usage: np.ndarray | None = None

    @property
    def n_paths(self) -> int:
        return self.traj.shape[2]

    def series(self, column: str) -> np.ndarray:
        """(H'+1, N, K) share of registered users under ``column``'s definition (K = 1
        unless the usage draws are marginalised over), from simulator.telemetry."""
        if column == "active_users" or self.x is None or self.usage is None:
            reg = np.where(self.registered > 0, self.registered, 1.0)[:, None]
            return (self.traj[TR_ACTIVE].astype(np.float64) / reg)[:, :, None]
        u, h = self.usage, len(self.registered)
        traj = self.traj[:, :h]
        if u.shape[0] == self.n_paths:
            t = telemetry_rates(traj, self.registered, self.x, u)
            return t[DEFINED_SERIES[column]][:, :, None]
        t = telemetry_rates(traj, self.registered, self.x, np.ones((self.n_paths, 2)))
        base = t[DEFINED_SERIES[column]]
        if column == "ever_used_users":
            return base[:, :, None]
        f = u[:, 0] if column == "weekly_active_users" else u[:, 0] * u[:, 1]
        return base[:, :, None] * f[None, None, :]


def path_data(res: SimulationResult) -> PathData:
    """The likelihood's view of a run that holds trajectories."""
    if res.trajectories is None:
        raise ValueError("conditioning needs trajectories: simulate(..., bands=True)")
    m = prepare(res.scenario, res.inputs, res.input_names, res.horizon)
    rates = incident_rates(m, res.trajectories[TR_ACTIVE], res.gate_out)
    fix = res.inputs[:, res.input_names.index("integration.fix_cost_per_incident")]
    x = {n: res.inputs[:, j] for j, n in enumerate(res.input_names)}
    return PathData(res.trajectories, np.asarray(res.registered), rates, fix, x, res.usage)


@dataclass
class Likelihood:
    """Per-path log-likelihood of the actuals, by column, and what was noticed."""

    total: np.ndarray  # (N,)
    by_column: dict[str, np.ndarray]
    notes: list[str]
    registered_mismatch: list[tuple[int, int, int]]  # (month, actual, scenario)


def _betabinom_logpmf(k: float, n: float, mu: np.ndarray, rho: float) -> np.ndarray:
    a = mu * (1.0 - rho) / rho
    b = (1.0 - mu) * (1.0 - rho) / rho
    log_comb = special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)
    return log_comb + special.betaln(k + a, n - k + b) - special.betaln(a, b)


def _normal_logpdf(y: float, mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
    return -0.5 * ((y - mean) / sd) ** 2 - np.log(sd) - 0.5 * math.log(2 * math.pi)


def registered_mismatch(actuals: Actuals, registered: np.ndarray,
                        ) -> tuple[list[str], list[tuple[int, int, int]]]:
    """Months whose actual registered count differs from the scenario's, and the note."""
    reg_act = actuals.column("registered")
    mismatch = [(int(m), int(reg_act[i]), int(registered[m]))
                for i, m in enumerate(actuals.months)
                if not math.isnan(reg_act[i]) and int(reg_act[i]) != int(registered[m])]
    if not mismatch:
        return [], []
    m, a, s = mismatch[0]
    more = f" (and {len(mismatch) - 1} more months)" if len(mismatch) > 1 else ""
    return [f"registered users differ from the scenario: month {m} actual {a}, scenario "
            f"{s}{more}. Registered is fixed by the cohorts in the model: edit "
            f"adoption.cohorts (sizes, start months) to match; meanwhile active users are "
            f"conditioned on the active rate."], mismatch


def check_actuals(actuals: Actuals, registered: np.ndarray, horizon: int) -> None:
    """Refuse actuals the scenario cannot hold (ActualsError naming the row and value)."""
    late = [int(m) for m in actuals.months if m > horizon]
    if late:
        raise ActualsError([f"column month: {late[0]} is after the horizon "
                            f"(allowed: 1..{horizon})"])
    reg_act = actuals.column("registered")
    for c in ("active_users",) + DEFINED:
        act = actuals.column(c)
        for i, m in enumerate(actuals.months):
            n_obs = reg_act[i] if not math.isnan(reg_act[i]) else float(registered[m])
            if not math.isnan(act[i]) and act[i] > n_obs:
                raise ActualsError([
                    f"row {i + 2}, column {c}: {act[i]:g} is above the scenario's "
                    f"{float(registered[m]):g} registered users in month {m} (allowed: "
                    f"0..registered; add a registered column or edit adoption.cohorts)"])
    if actuals.has_usage:
        for _, m, *_ in actuals.usage_counts():
            if registered[m] <= 0:
                raise ActualsError([f"column survey_n: month {m} has no registered users "
                                    f"in the scenario (edit adoption.cohorts)"])


def active_share(active: np.ndarray, registered: float, n_obs: float) -> np.ndarray:
    """The model's active share, kept half a user inside (0, 1) for the likelihood."""
    eps = 0.5 / max(n_obs, 1.0)
    return np.clip(active.astype(np.float64) / registered, eps, 1 - eps)


def active_ll(actuals: Actuals, d: PathData, obs: ObservationModel) -> np.ndarray:
    """Beta-binomial log-likelihood of the active-user counts."""
    reg_act, act = actuals.column("registered"), actuals.column("active_users")
    part = np.zeros(d.n_paths)
    for i, m in enumerate(actuals.months):
        if math.isnan(act[i]):
            continue
        n_obs = reg_act[i] if not math.isnan(reg_act[i]) else float(d.registered[m])
        mu = active_share(d.traj[TR_ACTIVE, m], float(d.registered[m]), n_obs)
        part += _betabinom_logpmf(act[i], n_obs, mu, obs.active_overdispersion)
    return part


def defined_ll(column: str):
    """The beta-binomial log-likelihood of one definition's counts (ever used, weekly,
    daily active) against the path's matching telemetry share; usage-intensity draws that
    are not the paths' own are averaged over (a mixture), not updated."""
    def ll(actuals: Actuals, d: PathData, obs: ObservationModel) -> np.ndarray:
        reg_act, act = actuals.column("registered"), actuals.column(column)
        part = np.zeros(d.n_paths)
        rows = [(i, int(m)) for i, m in enumerate(actuals.months) if not math.isnan(act[i])]
        if not rows:
            return part
        s = d.series(column)
        for i, m in rows:
            n_obs = reg_act[i] if not math.isnan(reg_act[i]) else float(d.registered[m])
            eps = 0.5 / max(n_obs, 1.0)
            mu = np.clip(s[m], eps, 1 - eps)
            lp = _betabinom_logpmf(act[i], n_obs, mu, obs.active_overdispersion)
            part += special.logsumexp(lp, axis=1) - math.log(lp.shape[1])
        return part
    ll.__doc__ = f"Beta-binomial log-likelihood of the {column} counts."
    return ll


def accuracy_ll(actuals: Actuals, d: PathData, obs: ObservationModel) -> np.ndarray:
    """Normal log-likelihood of the spot-check accuracy figures."""
    acc = actuals.column("accuracy")
    part = np.zeros(d.n_paths)
    for i, m in enumerate(actuals.months):
        if not math.isnan(acc[i]):
            a = d.traj[TR_ACC, m].astype(np.float64)
            part += _normal_logpdf(acc[i], a, obs.accuracy_sd(a))
    return part


def incidents_ll(actuals: Actuals, d: PathData, obs: ObservationModel) -> np.ndarray:
    """Poisson log-likelihood of the incident counts at each path's own rate."""
    inc = actuals.column("incidents")
    part = np.zeros(d.n_paths)
    for i, m in enumerate(actuals.months):
        if not math.isnan(inc[i]):
            lam = d.rates[m] + obs.incidents_epsilon
            part += inc[i] * np.log(lam) - lam - special.gammaln(inc[i] + 1)
    return part


def cost_ll(actuals: Actuals, d: PathData, obs: ObservationModel) -> np.ndarray:
    """Normal log-likelihood of the monthly cost.

    The path's cost holds its own incidents' fix costs; they are swapped for the observed
    incidents (when given) or for their expectation at the path's rate, with the Poisson
    variance added, so cost does not re-condition on the incident shocks.
    """
    cost, inc = actuals.column("cost"), actuals.column("incidents")
    part = np.zeros(d.n_paths)
    fix = d.fix_cost
    for i, m in enumerate(actuals.months):
        if math.isnan(cost[i]):
            continue
        base = d.traj[TR_COST, m].astype(np.float64) - d.traj[TR_INC, m] * fix
        if math.isnan(inc[i]):
            c, var_inc = base + d.rates[m] * fix, d.rates[m] * fix ** 2
        else:
            c, var_inc = base + inc[i] * fix, 0.0
        sd = np.sqrt((obs.cost_relative_sd * np.abs(c)) ** 2 + var_inc + 1.0)
        part += _normal_logpdf(cost[i], c, sd)
    return part


def usage_ll(actuals: Actuals, d: PathData, obs: ObservationModel) -> np.ndarray:
    """Log-likelihood of the usage surveys (:mod:`.usage`)."""
    part = np.zeros(d.n_paths)
    for _, m, dd, w, n_s in actuals.usage_counts():
        rate = d.traj[TR_ACTIVE, m].astype(np.float64) / float(d.registered[m])
        part += usage_log_likelihood(rate, dd, w, n_s, obs.frequency_mix,
                                     obs.frequency_concentration, obs.active_overdispersion)
    return part


#: Each actuals column's likelihood term.
TERMS = {"active_users": active_ll, "accuracy": accuracy_ll, "incidents": incidents_ll,
         "cost": cost_ll, **{c: defined_ll(c) for c in DEFINED}}


def path_log_likelihood(d: PathData, actuals: Actuals, obs: ObservationModel,
                        ) -> dict[str, np.ndarray]:
    """Per-column log p(actuals | path) for the paths of ``d`` (validated actuals)."""
    by = {name: term(actuals, d, obs) for name, term in TERMS.items()
          if not np.all(np.isnan(actuals.column(name)))}
    if actuals.has_usage:
        by["usage"] = usage_ll(actuals, d, obs)
    return by


def log_likelihood(res: SimulationResult, actuals: Actuals,
                   obs: ObservationModel | None = None) -> Likelihood:
    """Log p(actuals | path) for every path of ``res`` (which must hold trajectories)."""
    obs = obs or ObservationModel()
    d = path_data(res)
    check_actuals(actuals, d.registered, res.horizon)
    notes, mismatch = registered_mismatch(actuals, d.registered)
    by = path_log_likelihood(d, actuals, obs)
    total = np.zeros(d.n_paths)
    for v in by.values():
        total += v
    return Likelihood(total=total, by_column=by, notes=notes, registered_mismatch=mismatch)
