"""Reference classes fitted from the case library by partial pooling (``classes fit``).

Each case i (an organisation's rollout) has its own adoption and usage parameters
theta_i = (logit u, logit p, logit w, logit d, logit chi): the rollout tier's ceiling u
and innovation coefficient p, the weekly share w of a month's active users, the daily
share d of the weekly ones and the base churn chi (monthly lapse of an active user).
They are drawn from the class: theta_ij ~ Normal(mu_j, tau_j^2), so a new
organisation's prior carries the spread between organisations (tau), not only the
uncertainty of the class mean.

A case's published figures are predicted by the mean-field (expected-value) version of the
simulator's adoption model on the case's own cohort plan, averaged over draws of the
class's other (assumed) adoption inputs: imitation, return rate, launch accuracy, drift,
trust threshold and quality sensitivity, so quality churn is counted as the simulator
counts it; a published
share y with n respondents or users has the log likelihood
n_eff (y log g + (1 - y) log(1 - g)), n_eff = min(n, N_EFF_CAP): a published figure is worth
at most N_EFF_CAP observations, its definitions and non-response err by more than its
sample size says. A survey's daily and weekly-not-daily shares enter as one multinomial.

The class is fitted by maximising the marginal likelihood (theta_i integrated out by
quasi Monte Carlo, the same Sobol points for every case and evaluation) times weak
hyperpriors: mu_j ~ Normal(class assumption, 1.5^2) on the logit scale and a boundary-
avoiding tau_j ~ Gamma(2, rate 2) (Chung et al. 2013), so that with few cases tau stays
positive and, with one case, is the hyperprior's. The uncertainty of (mu, log tau) is the
Laplace approximation (inverse Hessian at the optimum). A new organisation's prior is
the predictive: (mu, log tau) drawn from that normal, then theta = mu + tau z; its shares
are matched to beta distributions by their mean and variance (docs/classes.md).
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import optimize, special, stats

from ..actuals import read_actuals
from ..scenario import as_dist, load_scenario
from ..scenario.provenance import CLASSES_DIR
from .registry import CASES, CASES_DIR, Case

#: Parameters fitted per case, on the logit scale.
PARAMS = ("ceiling", "innovation_p", "weekly_share", "daily_share", "base_churn")
#: Scenario inputs they set.
PARAM_PATHS = {"ceiling": "adoption.tiers.rollout.ceiling",
               "innovation_p": "adoption.tiers.rollout.innovation_p",
               "weekly_share": "usage.weekly_share", "daily_share": "usage.daily_share",
               "base_churn": "adoption.base_churn"}
#: A published share is worth at most this many independent observations.
N_EFF_CAP = 50
#: Quasi-Monte Carlo points per case in the marginal likelihood.
QMC_POINTS = 1024
#: Hyperprior: sd of mu around the class assumption; Gamma(2, rate) on tau.
MU_PRIOR_SD = 1.5
TAU_PRIOR_RATE = 2.0
#: Logit shifts of the trained and mandated tiers' ceilings over the fitted rollout tier.
TIER_SHIFTS = {"trained": 0.8, "mandated": 2.5}
ASSUMPTIONS_DIR = CLASSES_DIR / "assumptions"


@dataclass
class CaseData:
    """What the fit needs from one case: its cohort plan and its published figures."""

    key: str
    pilot_users: int
    cohorts: list[tuple[int, int]]  # (size, start month) of the rollout cohorts
    horizon: int
    #: (month, kind, n, values): kind "monthly" | "ever_used" (values (y,)) or "survey"
    #: (values (daily, weekly-not-daily or nan))
    figures: list[tuple[int, str, int, tuple[float, ...]]] = field(default_factory=list)
    #: Draws (QMC_POINTS each) of the case's other adoption inputs from its own scenario:
    #: launch accuracy a0, drift, floor, trust threshold, quality sensitivity, churn,
    #: return rate, imitation q; None: the class's assumed rates at their means, no
    #: quality churn.
    nuisance: dict[str, np.ndarray] | None = None


#: Published-figure definitions the observation model maps (registry ``Figure.definition``)
#: onto the fit's figure kinds.
MAPPED = {"ever_used": "ever_used", "monthly_active": "monthly", "weekly_active": "weekly",
          "daily_active": "daily"}


def extra_figures(case) -> list[tuple[int, str, int, tuple[float, ...]]]:
    """A case's published figures outside its actuals files (``Case.unmapped``) that the
    observation model maps: ever used, monthly, weekly or daily active shares with a
    published base n; figures noted as "also" in the actuals files (duplicates), lower or
    upper bounds without a base, and other organisations' figures are left out."""
    out = []
    for f in getattr(case, "unmapped", ()):
        if f.definition in MAPPED and f.n and "also" not in f.note:
            out.append((int(f.month), MAPPED[f.definition], int(f.n), (float(f.value),)))
    return out


def class_case_scenario(cls: str, scenario: Path | str, values: dict | None = None):
    """A case as a new organisation of class ``cls`` would write it: the case's facts (its
    pilot team, cohorts, horizon, currency) and everything else from the class's stated
    assumptions, with ``values`` (path -> table, e.g. :func:`class_values`) on top; every
    rollout cohort in the class's default tier."""
    from ..scenario import parse_scenario
    from ..scenario.provenance import merge

    sc = load_scenario(scenario)
    a = _assumed(cls)
    tier = a.get("class", {}).get("default_tier", "rollout")
    facts = {"scenario": {"name": sc.name, "currency": sc.scenario.currency,
                          "horizon_months": sc.horizon,
                          "discount_rate_annual": sc.scenario.discount_rate_annual},
             "pilot": {"users": sc.pilot.users},
             "adoption": {"cohorts": [{"name": c.name, "size": c.size,
                                       "start_month": c.start_month, "tier": tier}
                                      for c in sc.adoption.cohorts]}}
    data = merge(a["values"], facts)
    for path, table in (values or {}).items():
        node = data
        parts = path.split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = table
    return parse_scenario(data, source=f"{scenario} as class {cls}")


def case_data(scenario: Path, csvs: list[Path], key: str,
              active_definition: str = "monthly",
              extra: list | tuple = (), cls: str | None = None) -> CaseData:
    """A case's cohort plan (its scenario) and figures (its actuals CSVs, then ``extra``:
    (month, kind, n, values) tuples); the other adoption inputs are drawn from the class's
    assumptions (``cls``) or, without one, from the case's own scenario."""
    sc = load_scenario(scenario)
    nz = nuisance_draws(class_case_scenario(cls, scenario) if cls else sc)
    d = CaseData(key, sc.pilot.users, [(c.size, c.start_month) for c in sc.adoption.cohorts],
                 sc.horizon, nuisance=nz)
    for path in csvs:
        if not path.exists():
            continue
        t = read_actuals(path, sc.horizon).table
        for _, r in t.iterrows():
            m = int(r["month"])
            if not math.isnan(r["active_users"]):
                reg = r["registered"] if not math.isnan(r["registered"]) else None
                n = int(reg) if reg else sc.pilot.users + sum(
                    s for s, st in d.cohorts if st <= m)
                d.figures.append((m, active_definition, n, (r["active_users"] / n,)))
            if not math.isnan(r["survey_n"]) and not math.isnan(r["used_daily"]):
                wk = r["used_weekly"]
                d.figures.append((m, "survey", int(r["survey_n"]),
                                  (float(r["used_daily"]), float(wk))))
    d.figures += [f for f in extra if f[0] <= sc.horizon]
    return d


def nuisance_draws(sc, n: int = QMC_POINTS, seed: int = 23) -> dict[str, np.ndarray]:
    """``n`` draws of a case's other adoption inputs (its own scenario's distributions),
    so that the fit's expected figures average over them as the simulator's paths do."""
    rng = np.random.default_rng(seed)
    x = sc.inputs()

    def draw(path: str) -> np.ndarray:
        return x[path].ppf((rng.permutation(n) + rng.random(n)) / n)

    tier = sc.adoption.cohorts[0].tier if sc.adoption.cohorts else sc.adoption.pilot_tier
    s, a_p, a_o = draw("pilot.accuracy"), draw("data.ood_share"), draw("data.ood_accuracy")
    return {"a0": (1 - a_p) * s + a_p * a_o, "drift": draw("data.drift_per_month"),
            "floor": draw("data.accuracy_floor"), "trust": draw("adoption.trust_accuracy"),
            "sens": draw("adoption.quality_churn_sensitivity"),
            "churn": draw("adoption.base_churn"), "ret": draw("adoption.return_rate"),
            "q": draw(f"adoption.tiers.{tier}.imitation_q")}


def registry_cases(cls: str, exclude: str | None = None) -> list[CaseData]:
    """The registry's cases of class ``cls`` (leaving ``exclude`` out)."""
    return [case_data(c.scenario, [c.early, c.later], c.key,
                      getattr(c, "active_definition", "monthly"), extra_figures(c), cls)
            for c in CASES if c.reference_class == cls and c.key != exclude]


def _assumed(cls: str) -> dict:
    return tomllib.loads((ASSUMPTIONS_DIR / f"{cls}.toml").read_text(encoding="utf-8"))


def _mean(spec) -> float:
    if isinstance(spec, dict):
        from pydantic import TypeAdapter

        from ..scenario.dist_specs import Uncertain

        spec = TypeAdapter(Uncertain).validate_python(spec)
    d = as_dist(spec, 0.0, 1.0)
    return float(d.frozen().mean()) if not d.is_fixed else float(d.params[0])


@dataclass
class Dynamics:
    """The class's assumed rates used by the mean-field adoption model."""

    q: float
    churn: float
    ret: float
    pilot_ceiling: float = 0.95

    @classmethod
    def of_class(cls, name: str) -> Dynamics:
        v = _assumed(name)["values"]["adoption"]
        return cls(_mean(v["tiers"]["rollout"]["imitation_q"]), _mean(v["base_churn"]),
                   _mean(v["return_rate"]))


def predict(case: CaseData, theta: np.ndarray, dyn: Dynamics) -> list[np.ndarray]:
    """Expected value of each published figure for each parameter row of ``theta`` (K, 5)
    on the logit scale: one array (K,) or (K, 2) per figure."""
    u, p, w, dd, chi0 = (special.expit(theta[:, j]) for j in range(5))
    k = theta.shape[0]
    h = max(m for m, *_ in case.figures) if case.figures else 1
    coh = [(float(s), st) for s, st in case.cohorts]
    n_c = len(coh)
    never = np.zeros((n_c, k))
    active = np.zeros((n_c, k))
    lapsed = np.zeros((n_c, k))
    potential = np.zeros((n_c, k))
    pil_a = float(case.pilot_users)
    out_a, out_e, reg = {}, {}, {}
    nz = case.nuisance if case.nuisance is not None and len(case.nuisance["a0"]) == k else None
    q = nz["q"] if nz else dyn.q
    for t in range(0, h + 1):
        if nz:  # the kernel's accuracy path without feedback, and churn with quality
            a_t = np.maximum(nz["a0"] - nz["drift"] * max(t - 1, 0),
                             np.minimum(nz["floor"], nz["a0"]))
            chi = np.clip(chi0 + nz["sens"] * np.maximum(0.0, nz["trust"] - a_t), 0, 1)
            rho = np.where(a_t >= nz["trust"], nz["ret"], 0.0)
        else:
            chi, rho = chi0, dyn.ret
        if t > 0:
            pil_a = pil_a * (1 - chi) + (case.pilot_users - pil_a) * rho
        for c, (size, st) in enumerate(coh):
            if st > t:
                continue
            if st == t:
                potential[c] = size * u
                never[c] = potential[c]
            churn = chi * active[c]
            ret = rho * lapsed[c]
            padopt = np.minimum(1.0, p + q * active[c] / np.maximum(potential[c], 1e-12))
            new = never[c] * padopt
            active[c] = active[c] - churn + ret + new
            lapsed[c] = lapsed[c] + churn - ret
            never[c] = never[c] - new
        r = case.pilot_users + sum(s for s, st in coh if st <= t)
        started = [c for c, (_, st) in enumerate(coh) if st <= t]
        a = pil_a + (active[started].sum(axis=0) if started else 0.0)
        e = case.pilot_users + ((potential[started] - never[started]).sum(axis=0)
                                if started else 0.0)
        out_a[t], out_e[t], reg[t] = a, e, max(r, 1)
    preds = []
    for m, kind, _, _ in case.figures:
        rate = np.clip(out_a[m] / reg[m], 0.0, 1.0) * np.ones(k)
        if kind == "monthly":
            preds.append(rate)
        elif kind == "weekly":
            preds.append(rate * w)
        elif kind == "daily":
            preds.append(rate * w * dd)
        elif kind == "ever_used":
            preds.append(np.clip(out_e[m] / reg[m], 0.0, 1.0) * np.ones(k))
        else:
            preds.append(np.column_stack([rate * w * dd, rate * w * (1 - dd)]))
    return preds


def log_lik(case: CaseData, theta: np.ndarray, dyn: Dynamics) -> np.ndarray:
    """(K,) log likelihood of the case's published figures for each parameter row."""
    eps = 1e-6
    total = np.zeros(theta.shape[0])
    for (_m, kind, n, vals), g in zip(case.figures, predict(case, theta, dyn), strict=True):
        ne = min(n, N_EFF_CAP)
        if kind == "survey":
            yd, yw = vals
            gd = np.clip(g[:, 0], eps, 1 - eps)
            if math.isnan(yw):
                total += ne * (yd * np.log(gd) + (1 - yd) * np.log1p(-gd))
            else:
                gw = np.clip(g[:, 1], eps, 1 - eps)
                gl = np.clip(1 - gd - gw, eps, 1)
                total += ne * (yd * np.log(gd) + yw * np.log(gw)
                               + max(0.0, 1 - yd - yw) * np.log(gl))
        else:
            y = vals[0]
            gg = np.clip(g, eps, 1 - eps)
            total += ne * (y * np.log(gg) + (1 - y) * np.log1p(-gg))
    return total


@dataclass
class ClassFit:
    """A fitted class: mu and tau per parameter (logit scale), their Laplace covariance and
    the cases it came from."""

    name: str
    cases: list[str]
    mu: np.ndarray
    tau: np.ndarray
    cov: np.ndarray  # covariance of (mu, log tau), 2*len(PARAMS) square
    prior_mu: np.ndarray

    @property
    def mu_se(self) -> np.ndarray:
        return np.sqrt(np.diag(self.cov)[: len(PARAMS)])

    @property
    def log_tau_se(self) -> np.ndarray:
        return np.sqrt(np.diag(self.cov)[len(PARAMS):])

    def predictive(self, n: int = 20_000, seed: int = 1) -> np.ndarray:
        """(n, 5) draws of a new organisation's theta (logit scale): the hyperparameters
        from their Laplace normal, then the organisation from the class."""
        rng = np.random.default_rng(seed)
        hyper = rng.multivariate_normal(np.concatenate([self.mu, np.log(self.tau)]),
                                        self.cov, size=n, method="eigh")
        k = len(PARAMS)
        return hyper[:, :k] + np.exp(hyper[:, k:]) * rng.standard_normal((n, k))


def _z(k: int, seed: int = 11) -> np.ndarray:
    s = stats.qmc.Sobol(len(PARAMS), scramble=True, seed=seed).random(k)
    return stats.norm.ppf(np.clip(s, 1e-9, 1 - 1e-9))


def fit_class(name: str, cases: list[CaseData], dyn: Dynamics | None = None,
              prior_mu: np.ndarray | None = None) -> ClassFit:
    """Partial-pooling fit of one class (module docstring)."""
    dyn = dyn or Dynamics.of_class(name)
    if prior_mu is None:
        v = _assumed(name)["values"]
        r = v["adoption"]["tiers"]["rollout"]
        prior_mu = special.logit(np.array([
            _mean(r["ceiling"]), _mean(r["innovation_p"]), 0.65, 0.4,
            _mean(v["adoption"]["base_churn"])]))
    z = _z(QMC_POINTS)
    k = len(PARAMS)

    def neg_log_post(x: np.ndarray) -> float:
        mu, log_tau = x[:k], x[k:]
        tau = np.exp(log_tau)
        lp = 0.0
        for c in cases:
            ll = log_lik(c, mu + tau * z, dyn)
            lp += special.logsumexp(ll) - math.log(len(ll))
        lp += stats.norm.logpdf(mu, prior_mu, MU_PRIOR_SD).sum()
        # Gamma(2, rate) on tau, written on log tau (Jacobian tau): log tau*2 - rate tau
        lp += (2 * log_tau - TAU_PRIOR_RATE * tau).sum()
        return -lp

    x0 = np.concatenate([prior_mu, np.full(k, math.log(0.5))])
    best = optimize.minimize(neg_log_post, x0, method="L-BFGS-B",
                             bounds=[(-8, 8)] * k + [(-5, 2)] * k)
    x = best.x
    hess = _hessian(neg_log_post, x)
    try:
        cov = np.linalg.inv(hess)
        cov = 0.5 * (cov + cov.T)
        w, v = np.linalg.eigh(cov)
        cov = (v * np.clip(w, 1e-8, None)) @ v.T
    except np.linalg.LinAlgError:
        cov = np.eye(2 * k)
    return ClassFit(name, [c.key for c in cases], x[:k], np.exp(x[k:]), cov, prior_mu)


def _hessian(f, x: np.ndarray, h: float = 1e-3) -> np.ndarray:
    """Central-difference Hessian of ``f`` at ``x``."""
    n = x.size
    out = np.empty((n, n))
    f0 = f(x)
    for i in range(n):
        for j in range(i, n):
            if i == j:
                e = np.zeros(n)
                e[i] = h
                out[i, i] = (f(x + e) - 2 * f0 + f(x - e)) / h ** 2
            else:
                ei, ej = np.zeros(n), np.zeros(n)
                ei[i], ej[j] = h, h
                out[i, j] = out[j, i] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej)
                                         + f(x - ei - ej)) / (4 * h ** 2)
    return out


def _beta_table(x: np.ndarray) -> dict:
    """A beta distribution table with the mean and variance of the shares ``x``."""
    m, v = float(x.mean()), float(x.var())
    v = min(v, m * (1 - m) * 0.95)
    c = m * (1 - m) / v - 1
    return {"dist": "beta", "alpha": round(m * c, 4), "beta": round((1 - m) * c, 4)}


def class_values(fit: ClassFit, seed: int = 1) -> dict[str, dict]:
    """The fitted inputs as scenario tables, path -> beta table (the predictive of a new
    organisation), the trained and mandated tiers' ceilings shifted on the logit scale."""
    th = fit.predictive(seed=seed)
    out = {PARAM_PATHS[p]: _beta_table(special.expit(th[:, j])) for j, p in enumerate(PARAMS)}
    for tier, shift in TIER_SHIFTS.items():
        out[f"adoption.tiers.{tier}.ceiling"] = _beta_table(special.expit(th[:, 0] + shift))
    return out


def _fmt_toml_value(v) -> str:
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_fmt_toml_value(x)}" for k, x in v.items()) + " }"
    if isinstance(v, str):
        return '"' + v.replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_fmt_toml_value(x) for x in v) + "]"
    return repr(v)


def class_file(fit: ClassFit, origin: str = "the case library (scenarios/cases)") -> str:
    """The class file: the stated assumptions with the fitted inputs replaced, the fit's
    numbers and cases in ``[class]``."""
    import tomli_w

    data = _assumed(fit.name)
    values = class_values(fit)
    for path, table in values.items():
        node = data["values"]
        parts = path.split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = table
    info = data.setdefault("class", {})
    info["cases"] = fit.cases
    info["fitted"] = sorted(values)
    info["method"] = ("partial pooling: case parameters ~ Normal(mu, tau^2) on the logit "
                      "scale, marginal likelihood with weak hyperpriors, Laplace uncertainty "
                      "(docs/classes.md)")
    info["fitted_from"] = origin
    info["fit"] = {p: {"mu": round(float(fit.mu[j]), 4), "mu_se": round(float(fit.mu_se[j]), 4),
                       "tau": round(float(fit.tau[j]), 4),
                       "log_tau_se": round(float(fit.log_tau_se[j]), 4)}
                   for j, p in enumerate(PARAMS)}
    on = ", ".join(fit.cases) or "no cases (the hyperprior only)"
    head = (_header(fit.name) + "# Generated by `rollout-sim classes fit` from "
            f"{origin}: do not edit by hand; edit\n# simulator/classes/assumptions/"
            f"{fit.name}.toml and refit.\n# Fitted on: {on}.\n\n")
    return head + tomli_w.dumps(data)


def _header(name: str) -> str:
    lines = (ASSUMPTIONS_DIR / f"{name}.toml").read_text(encoding="utf-8").splitlines()
    keep = []
    for ln in lines:
        if not ln.startswith("#"):
            break
        keep.append(ln)
    return "\n".join(keep) + "\n#\n"


def class_names() -> list[str]:
    """Classes with a stated-assumptions file."""
    return sorted(p.stem for p in ASSUMPTIONS_DIR.glob("*.toml"))


def user_cases(files: list[str], cls: str | None) -> dict[str, list[CaseData]]:
    """The user's own past rollouts by class: each FILE.toml (its ``reference_class`` or
    ``cls``) with figures in FILE_early.csv, FILE_later.csv or FILE.csv beside it."""
    out: dict[str, list[CaseData]] = {}
    for f in files:
        p = Path(f)
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
        name = cls or raw.get("reference_class")
        if not name:
            raise ValueError(f"{p}: reference_class: missing (name one in the file or with "
                             f"--class)")
        if name not in class_names():
            raise ValueError(f"{p}: reference_class: {name!r} is not a class (allowed: "
                             f"{', '.join(class_names())})")
        stem = p.with_suffix("")
        csvs = [Path(f"{stem}_early.csv"), Path(f"{stem}_later.csv"), Path(f"{stem}.csv")]
        out.setdefault(name, []).append(case_data(p, csvs, p.stem,
                                                  raw.get("active_definition", "monthly"),
                                                  cls=name))
    return out


__all__ = ["CASES_DIR", "Case", "CaseData", "ClassFit", "Dynamics", "N_EFF_CAP", "PARAMS",
           "class_case_scenario", "extra_figures", "nuisance_draws",
           "case_data", "class_file", "class_values", "fit_class", "log_lik", "predict",
           "registry_cases", "user_cases"]
