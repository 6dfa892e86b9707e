"""The vocabulary of usage telemetry: ever used, monthly, weekly and daily active shares.

The compiled core tracks regular (monthly) active users. A finance team's usage dashboard
also counts users who ever used the tool (cumulative adopters) and users active in a week
or on a day. They are derived here, per path and month, outside the core:

* ``ever_used``: cumulative adopters / registered. New adopters in month t are the month's
  actives less those kept from last month and those who came back:
  n_t = max(0, A_t - (1 - chi_t) A_{t-1} - rho_t (E_{t-1} - A_{t-1})), with the path's churn
  chi_t = chi_base + sigma max(0, a_trust - a_t) + iota incidents_t and return rate rho_t
  (0 while a_t < a_trust), as the core applies them; E_t = min(R_t, max(E_{t-1} + n_t,
  A_t)): never below the month's actives, never decreasing, never above the registered
  users. (The core draws churn, returns and adoptions binomially; this is their expected
  split, so E_t estimates the path's cumulative adopters.)
* ``active_rate``: active / registered, as the core reports it (a regular user that month).
* ``weekly_active_rate`` = active_rate x w, ``daily_active_rate`` = weekly x d, where w (share
  of a month's active users active in a typical week) and d (share of those active on a
  typical working day) are the scenario's uncertain ``usage`` inputs, drawn once per path
  from their own random stream (seed, 0x7573), so every other draw is unchanged.

Hence ever used >= monthly >= weekly >= daily on every path and month.
"""

from __future__ import annotations

import numpy as np

from .engine.bands import quantiles_hist
from .engine.layout import TR_ACC, TR_ACTIVE, TR_INC

#: Telemetry metrics added to the bands, after the core's.
TELEMETRY_METRICS = ("ever_used", "weekly_active_rate", "daily_active_rate")
#: Stream of the usage-intensity draws.
USAGE_STREAM = 0x7573


def usage_draws(usage_inputs: dict, n: int, seed: int) -> np.ndarray:
    """(n, len(usage_inputs)) draws of the usage-intensity inputs, stratified (Latin
    hypercube) per input, from the usage stream of ``seed``."""
    rng = np.random.default_rng([int(seed), USAGE_STREAM])
    out = np.empty((n, len(usage_inputs)))
    for j, d in enumerate(usage_inputs.values()):
        u = (rng.permutation(n) + rng.random(n)) / max(n, 1)
        out[:, j] = d.ppf(u)
    return np.clip(out, 0.0, 1.0)


def ever_used_counts(active: np.ndarray, registered: np.ndarray, churn: np.ndarray,
                     returns: np.ndarray | None = None) -> np.ndarray:
    """(H+1, N) cumulative adopters from (H+1, N) active users, (H+1,) registered users,
    the (H+1, N) or (N,) churn probability of each month and the (H+1, N) return
    probability of lapsed users (module docstring)."""
    a = np.asarray(active, dtype=np.float64)
    chi = np.broadcast_to(np.clip(np.asarray(churn, dtype=np.float64), 0.0, 1.0), a.shape)
    rho = (np.zeros_like(a) if returns is None else
           np.broadcast_to(np.clip(np.asarray(returns, dtype=np.float64), 0.0, 1.0), a.shape))
    e = np.empty_like(a)
    e[0] = a[0]
    for t in range(1, a.shape[0]):
        back = rho[t] * np.maximum(e[t - 1] - a[t - 1], 0.0)
        new = np.maximum(0.0, a[t] - (1.0 - chi[t]) * a[t - 1] - back)
        e[t] = np.minimum(np.maximum(e[t - 1] + new, a[t]), max(float(registered[t]),
                                                                  float(a[t].max())))
    return e


def churn_and_returns(trajectories: np.ndarray, x: dict[str, np.ndarray]
                      ) -> tuple[np.ndarray, np.ndarray]:
    """(H+1, N) churn and return probabilities of each path and month as the core applies
    them: chi = chi_base + sigma max(0, a_trust - a_t) + iota incidents_t, returns rho only
    while a_t >= a_trust. ``x`` holds the per-path inputs (missing ones count as 0)."""
    acc = trajectories[TR_ACC].astype(np.float64)
    inc = trajectories[TR_INC].astype(np.float64)
    n = acc.shape[1]

    def get(name: str) -> np.ndarray:
        return np.asarray(x.get(name, np.zeros(n)), dtype=np.float64)[None, :]

    trust = get("adoption.trust_accuracy")
    chi = (get("adoption.base_churn") + get("adoption.quality_churn_sensitivity")
           * np.maximum(0.0, trust - acc) + get("integration.trust_shock_per_incident") * inc)
    rho = np.where(acc >= trust, get("adoption.return_rate"), 0.0)
    return np.clip(chi, 0.0, 1.0), rho


def telemetry_rates(trajectories: np.ndarray, registered: np.ndarray, x: dict[str, np.ndarray],
                    usage: np.ndarray) -> dict[str, np.ndarray]:
    """Per month and path (H+1, N): ever_used, active_rate, weekly_active_rate,
    daily_active_rate (shares of the registered users); ``x`` the per-path inputs."""
    active = trajectories[TR_ACTIVE].astype(np.float64)
    reg = np.asarray(registered, dtype=np.float64)[:, None]
    safe = np.where(reg > 0, reg, 1.0)
    chi, rho = churn_and_returns(trajectories, x)
    ever = ever_used_counts(active, registered, chi, rho)
    monthly = np.where(reg > 0, active / safe, 0.0)
    ever_rate = np.where(reg > 0, np.minimum(ever / safe, 1.0), 0.0)
    weekly = monthly * usage[:, 0][None, :]
    daily = weekly * usage[:, 1][None, :]
    return {"ever_used": np.maximum(ever_rate, monthly), "active_rate": monthly,
            "weekly_active_rate": weekly, "daily_active_rate": daily}


def active_share_of_adopters(rates: dict[str, np.ndarray]) -> np.ndarray:
    """(H+1, N) active users / users who have used it at least once (ever used), from
    :func:`telemetry_rates`: the share of onboarded users still active. A wave's new
    registrations enter it only once they use the tool, so it has no dip at a wave start
    (the active rate over all registered users drops there)."""
    ever, active = rates["ever_used"], rates["active_rate"]
    return np.where(ever > 0, np.minimum(active / np.where(ever > 0, ever, 1.0), 1.0), 0.0)


def rate_bands(rates: np.ndarray, percentiles: tuple[int, ...]) -> np.ndarray:
    """(H+1, len(percentiles)+1) percentiles and mean of a (H+1, N) rate.

    The percentiles are ``np.percentile``'s bit for bit, by the compiled select the bands
    use, a month at a time (a fifth of the time of numpy's partition over the paths).
    """
    rates = np.ascontiguousarray(rates, dtype=np.float64)
    if not np.isfinite(rates).all():  # the select gives NaN for any non-finite value
        q = np.percentile(rates, percentiles, axis=1).T
    else:
        levels = np.asarray(percentiles, dtype=np.float64) / 100.0
        q = np.empty((rates.shape[0], levels.size))
        for t in range(rates.shape[0]):
            quantiles_hist(rates[t], levels, q[t])
    return np.column_stack([q, rates.mean(axis=1)])
