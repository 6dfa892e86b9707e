"""The posterior written back as a scenario: refit the inputs the actuals informed.

Each input the actuals moved is refitted as a
beta on its prior's support, moment-matched to the weighted posterior sample, and written
as a PERT (min, mode, max, lambda) when the beta has a mode inside its range, else as a
beta. Strong rank correlations between the refitted inputs become Spearman entries. The
file is a prior for a fresh run: inputs from the posterior, month-to-month shocks anew
(see docs/calibration.md for what that does and does not reproduce).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.variants import used_inputs
from ..atomic import atomic_write_text
from ..distributions import Dist
from ..scenario import Scenario, get_path, parse_scenario
from ..simulation import simulate_inputs
from .condition import Posterior
from .reader import OBSERVED, Actuals
from .smc import normal_score as _z
from .weighted import weighted_quantiles

#: |Spearman| at or above which a posterior correlation between refitted inputs is kept.
MIN_RHO = 0.3
#: Smallest eigenvalue the written correlation matrix (and its normal-score version) keeps.
MIN_EIGEN = 1e-3
#: Largest PERT shape written; beyond it the fit is written as a beta.
MAX_LAMBDA = 100.0
#: Significant digits of written parameters.
DIGITS = 6


def _round(x: float) -> float:
    return float(f"{x:.{DIGITS}g}")


@dataclass
class Calibration:
    """A calibrated scenario and how it was obtained.

    ``fits``: one row per refitted input (prior and posterior P10/P50/P90, the fitted
    family and its P10/P50/P90). ``correlations``: (a, b, rho) written. ``header``: the
    comment block written above the TOML.
    """

    scenario: Scenario
    fits: pd.DataFrame
    correlations: list[tuple[str, str, float]]
    header: str
    ess: float
    notes: list[str] = field(default_factory=list)

    def to_toml(self) -> str:
        """The calibrated scenario file: header comment, then the scenario's TOML."""
        return self.header + "\n" + self.scenario.to_toml()

    def save(self, path: str | Path) -> None:
        """Write the file atomically (nothing half-written on failure)."""
        atomic_write_text(path, self.to_toml())


def updated_inputs(post: Posterior) -> list[int]:
    """Columns of the uncertain inputs that act in the scenario and that the weights moved
    beyond Monte Carlo noise: in normal scores z, |weighted mean| > max(0.03, 2.5/sqrt(ESS))
    or weighted variance < 1 - max(0.05, 2.5 sqrt(2/ESS)). Refitting an input the actuals
    hardly moved costs little (its refit is close to its prior); leaving out one they did
    move (drift, churn) loses posterior mass the long-run NPV depends on."""
    if post.is_prior:
        return []
    res, w, sc = post.sample, post.weights, post.sample.scenario
    dists, used = sc.inputs(), used_inputs(sc)
    d_mean = max(0.03, 2.5 / math.sqrt(post.ess))
    d_var = max(0.05, 2.5 * math.sqrt(2.0 / post.ess))
    cols = []
    for j, name in enumerate(res.input_names):
        d = dists[name]
        if d.is_fixed or name not in used:
            continue
        z = _z(d, res.inputs[:, j])
        m = float(np.dot(w, z))
        v = float(np.dot(w, (z - m) ** 2))
        if abs(m) > d_mean or v < 1.0 - d_var:
            cols.append(j)
    return cols


def _support(d: Dist, x: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Finite range for the refit: the prior's support, reaching out (padded, inside the
    physical bounds) where the posterior left it -- inputs behind a prior-data conflict,
    which the update gave robust margins -- so the written ranges cover the actuals."""
    lo, hi = d.support()
    q_lo, q_hi = weighted_quantiles(x, w, [0.0005, 0.9995])
    pad = 0.25 * (q_hi - q_lo) + 1e-9
    if not math.isfinite(lo) or q_lo < lo:
        lo = max(q_lo - pad, d.lo)
    if not math.isfinite(hi) or q_hi > hi:
        hi = min(q_hi + pad, d.hi)
    return float(lo), float(hi)


def fit_bounded(x: np.ndarray, w: np.ndarray, lo: float, hi: float) -> dict:
    """Moment-matched beta on [lo, hi] as a scenario distribution table (PERT or beta)."""
    span = hi - lo
    m = float(np.dot(w, x))
    v = float(np.dot(w, (x - m) ** 2))
    mu = min(max((m - lo) / span, 1e-6), 1 - 1e-6)
    s2 = min(max(v / span ** 2, 1e-12), 0.95 * mu * (1 - mu))
    k = mu * (1 - mu) / s2 - 1.0
    a, b = mu * k, (1 - mu) * k
    lam = a + b - 2.0
    if a >= 1.0 and b >= 1.0 and 0.0 < lam <= MAX_LAMBDA:
        mode = lo + (a - 1.0) / lam * span
        return {"dist": "pert", "min": _round(lo), "mode": _round(min(max(mode, lo), hi)),
                "max": _round(hi), "lambda": _round(lam)}
    return {"dist": "beta", "alpha": _round(a), "beta": _round(b), "min": _round(lo),
            "max": _round(hi)}


def weighted_spearman(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Spearman correlation matrix of the columns of ``x`` (N, k) under weights ``w``:
    the weighted Pearson correlation of weighted mid-ranks (weighted CDF positions)."""
    n, k = x.shape
    u = np.empty_like(x, dtype=np.float64)
    for j in range(k):
        o = np.argsort(x[:, j], kind="stable")
        cw = np.cumsum(w[o])
        u[o, j] = cw - 0.5 * w[o]
    mean = w @ u
    d = u - mean
    cov = (d * w[:, None]).T @ d
    sd = np.sqrt(np.diag(cov))
    return cov / np.outer(sd, sd)


def _positive_definite(names: list[str], pairs: dict[tuple[str, str], float],
                       fixed: dict[tuple[str, str], float]) -> dict[tuple[str, str], float]:
    """Shrink the new pairs toward 0 until the Spearman matrix and its normal-score
    (2 sin(pi rho / 6)) version both have eigenvalues >= MIN_EIGEN."""
    idx = {p: i for i, p in enumerate(names)}
    for step in range(60):
        f = 0.9 ** step
        m = np.eye(len(names))
        for (a, b), r in fixed.items():
            m[idx[a], idx[b]] = m[idx[b], idx[a]] = r
        for (a, b), r in pairs.items():
            m[idx[a], idx[b]] = m[idx[b], idx[a]] = f * r
        pear = 2.0 * np.sin(np.pi * m / 6.0)
        np.fill_diagonal(pear, 1.0)
        if min(np.linalg.eigvalsh(m).min(), np.linalg.eigvalsh(pear).min()) >= MIN_EIGEN:
            return {k: _round(f * r) for k, r in pairs.items()}
    return {}


def calibrate(post: Posterior, source: str = "scenario", actuals_name: str = "actuals",
              min_rho: float = MIN_RHO) -> Calibration:
    """The posterior ``post`` as a scenario: refitted inputs, kept correlations, header."""
    sc = post.sample.scenario
    res, w = post.sample, post.weights
    dists = sc.inputs()
    notes: list[str] = list(post.notes)
    cols = updated_inputs(post)
    names = [res.input_names[j] for j in cols]
    changes: dict[str, dict] = {}
    rows = []
    for j, name in zip(cols, names, strict=True):
        x = res.inputs[:, j]
        d = dists[name]
        lo, hi = _support(d, x, w)
        spec = fit_bounded(x, w, lo, hi)
        changes[name] = spec
        prior_q = [d.quantile(q) for q in (0.1, 0.5, 0.9)]
        post_q = weighted_quantiles(x, w, [0.1, 0.5, 0.9])
        rows.append({"input": name, "prior_p10": prior_q[0], "prior_p50": prior_q[1],
                     "prior_p90": prior_q[2], "posterior_p10": post_q[0],
                     "posterior_p50": post_q[1], "posterior_p90": post_q[2],
                     "fit": spec["dist"], "spec": spec})
    data = sc.to_dict()
    for name, spec in changes.items():
        _set(data, name, spec)
    # Correlations: declared pairs touching a refitted input get the posterior's value;
    # new pairs among refitted inputs are kept when strong.
    kept: dict[tuple[str, str], float] = {}
    fixed: dict[tuple[str, str], float] = {}
    col = {p: i for i, p in enumerate(res.input_names)}
    for c in sc.correlations:
        if c.a in changes or c.b in changes:
            sub = res.inputs[:, [col[c.a], col[c.b]]]
            kept[(c.a, c.b)] = float(weighted_spearman(sub, w)[0, 1])
        else:
            fixed[(c.a, c.b)] = c.rho
    if len(names) >= 2:
        rho = weighted_spearman(res.inputs[:, cols], w)
        for i in range(len(names)):
            for k in range(i + 1, len(names)):
                pair = (names[i], names[k])
                if (pair in kept or pair[::-1] in kept or pair in fixed
                        or pair[::-1] in fixed):
                    continue
                if abs(rho[i, k]) >= min_rho:
                    kept[pair] = float(rho[i, k])
    involved = sorted({p for pair in list(kept) + list(fixed) for p in pair})
    safe = _positive_definite(involved, kept, fixed) if kept else {}
    if kept and not safe:
        notes.append("posterior correlations dropped: no shrinkage made them a valid "
                     "correlation matrix")
    elif kept and any(abs(safe[k] - _round(kept[k])) > 1e-12 for k in kept):
        notes.append("posterior correlations shrunk toward 0 to keep the matrix positive "
                     "definite")
    data["correlations"] = ([{"a": a, "b": b, "rho": r} for (a, b), r in fixed.items()]
                            + [{"a": a, "b": b, "rho": r} for (a, b), r in safe.items()])
    data["scenario"]["name"] = _calibrated_name(sc.scenario.name)
    new = parse_scenario(data, source="calibrated scenario")
    new_d = new.inputs()
    for r in rows:
        fitted = new_d[r["input"]]
        r["fit_p10"], r["fit_p50"], r["fit_p90"] = (fitted.quantile(q) for q in (0.1, 0.5, 0.9))
    fits = pd.DataFrame(rows, columns=["input", "prior_p10", "prior_p50", "prior_p90",
                                       "posterior_p10", "posterior_p50", "posterior_p90",
                                       "fit", "fit_p10", "fit_p50", "fit_p90", "spec"])
    header = _header(post, source, actuals_name, fits, list(safe.items()))
    return Calibration(scenario=new, fits=fits,
                       correlations=[(a, b, r) for (a, b), r in safe.items()],
                       header=header, ess=post.ess, notes=notes)


def _calibrated_name(name: str) -> str:
    return name if name.endswith("(calibrated)") else f"{name} (calibrated)"


def _set(data: dict, path: str, value) -> None:
    """Set a dotted input path in scenario data (paths of inputs have no list indices)."""
    get_path(data, path)  # raises a one-line ScenarioError if the path does not exist
    parts = path.split(".")
    cur = data
    for p in parts[:-1]:
        cur = cur[p]
    cur[parts[-1]] = value


def _fmt_spec(spec: dict) -> str:
    if spec["dist"] == "pert":
        return (f"pert(min {spec['min']:g}, mode {spec['mode']:g}, max {spec['max']:g}, "
                f"lambda {spec['lambda']:g})")
    return (f"beta(alpha {spec['alpha']:g}, beta {spec['beta']:g}) on "
            f"[{spec['min']:g}, {spec['max']:g}]")


def _header(post: Posterior, source: str, actuals_name: str, fits: pd.DataFrame,
            corr: list) -> str:
    a = post.actuals
    months = ", ".join(str(int(m)) for m, has in zip(a.months, _measured(a), strict=True)
                       if has)
    lines = [
        f"# Calibrated by `rollout-sim calibrate` from {source}",
        f"# conditioned on {actuals_name}: months {months or 'none'}, "
        f"{a.n_observations} observations ({_what(a)})",
        f"# {post.n_paths:,} paths (seed {post.sample.seed}), effective sample size "
        f"{post.ess:,.0f} ({post.ess / post.n_paths:.1%} of the paths)",
    ]
    if post.collapsed:
        lines.append(f"# warning: the effective sample size is below {post.min_ess:,.0f}: the "
                     f"refits rest on few paths (run more paths)")
    lines += [
        "#",
        "# Refitted inputs (moment-matched to the weighted posterior on the prior's range;",
        "# P10 / P50 / P90 prior -> posterior):",
    ]
    if fits.empty:
        lines.append("#   none: the actuals did not move any input (the file is the prior)")
    for r in fits.itertuples():
        lines.append(f"#   {r.input}: {r.prior_p10:.4g} / {r.prior_p50:.4g} / "
                     f"{r.prior_p90:.4g} -> {r.posterior_p10:.4g} / {r.posterior_p50:.4g} / "
                     f"{r.posterior_p90:.4g}  as {_fmt_spec(r.spec)}")
    if corr:
        lines.append("# Posterior rank correlations kept (Spearman):")
        for (x, y), r in corr:
            lines.append(f"#   {x} ~ {y}: {r:+.2f}")
    lines += [
        "#",
        "# Simulating this file draws the inputs from the posterior and the month-to-month",
        "# shocks afresh: it forecasts a rollout like this one, not the months already lived.",
    ]
    return "\n".join(lines) + "\n"


def _measured(a: Actuals) -> np.ndarray:
    t = a.table
    return t[list(OBSERVED)].notna().any(axis=1).to_numpy() | a.survey_rows


def _what(a: Actuals) -> str:
    t = a.table
    parts = [f"{c} x{int(t[c].notna().sum())}" for c in OBSERVED if t[c].notna().any()]
    if a.has_usage:
        parts.append(f"usage survey x{int(a.survey_rows.sum())}")
    return ", ".join(parts) or "nothing"


def posterior_predictive(post: Posterior, paths: int, seed: int):
    """A fresh run on inputs resampled from the posterior (shocks drawn anew): the target
    a calibrated scenario approximates, for checks of the refit."""
    idx = post.resample(paths, seed=seed)
    x = post.sample.inputs[idx]
    rng = np.random.default_rng(seed)
    x = x[rng.permutation(paths)]
    return simulate_inputs(post.sample.scenario, x, list(post.sample.input_names), seed,
                           post.sample.horizon, keep_trajectories=True)
