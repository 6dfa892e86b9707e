"""The vocabulary of usage telemetry: ever used, monthly, weekly and daily active shares.

The compiled core tracks regular (monthly) active users. A finance team's usage dashboard
also counts users who ever used the tool (cumulative adopters) and users active in a week
or on a day. They are derived here, per path and month, outside the core:

* ``ever_used``: cumulative adopters / registered. New adopters in month t are the month's
  actives less those kept from last month and those who came back:
  n_t = max(0, A_t - (1 - chi_t) A_{t-1} - rho_t (E_{t-1} - A_{t-1})), with the path's churn
  chi_t = chi_base + sigma max(0, a_trust - a_t) + iota incidents_t and return rate rho_t
  (0 while a_t < a_trust), as the core applies them; E_t = min(max(R_t, A_t),
  max(E_{t-1} + n_t, A_t)): never below the month's actives, never decreasing, never above
  the registered users (unless the actives, a float32 count, round above them). A path's
  values depend on that path only, so a run streamed in chunks of paths gives the same
  (:class:`StreamedTelemetry`). (The core draws churn, returns and adoptions binomially;
  this is their expected split, so E_t estimates the path's cumulative adopters.)
* ``active_rate``: active / registered, as the core reports it (a regular user that month).
* ``weekly_active_rate`` = active_rate x w, ``daily_active_rate`` = weekly x d, where w (share
  of a month's active users active in a typical week) and d (share of those active on a
  typical working day) are the scenario's uncertain ``usage`` inputs, drawn once per path
  from their own random stream (seed, 0x7573), so every other draw is unchanged.

Hence ever used >= monthly >= weekly >= daily on every path and month.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .engine.bands import quantiles_hist
from .engine.bands_stream import StreamBandsFailed
from .engine.layout import TR_ACC, TR_ACTIVE, TR_INC
from .engine.rows_stream import StreamingRows

#: Telemetry metrics added to the bands, after the core's.
TELEMETRY_METRICS = ("ever_used", "weekly_active_rate", "daily_active_rate")
#: The month of the per-path telemetry columns (``SimulationResult.paths``; the horizon
#: when it is shorter).
TELEMETRY_MONTH = 6
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


def _ever_step(e_prev: np.ndarray, a_prev: np.ndarray, a: np.ndarray, chi: np.ndarray,
               rho: np.ndarray, registered: float) -> np.ndarray:
    """Cumulative adopters of one month from last month's (``e_prev``), the actives of
    last month and this one, this month's churn and return probabilities (clipped to
    [0, 1]) and registered users (module docstring)."""
    back = rho * np.maximum(e_prev - a_prev, 0.0)
    new = np.maximum(0.0, a - (1.0 - chi) * a_prev - back)
    # never above the registered users, nor below the month's actives (a float32 count
    # may round above the registered ones): a path's value depends on that path only
    return np.minimum(np.maximum(e_prev + new, a), np.maximum(registered, a))


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
        e[t] = _ever_step(e[t - 1], a[t - 1], a[t], chi[t], rho[t], float(registered[t]))
    return e


def _path_inputs(x: dict[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    """The per-path inputs churn and returns read (missing ones count as 0)."""
    names = ("adoption.base_churn", "adoption.quality_churn_sensitivity",
             "adoption.trust_accuracy", "integration.trust_shock_per_incident",
             "adoption.return_rate")
    return {k: np.asarray(x.get(k, np.zeros(n)), dtype=np.float64) for k in names}


def _churn_returns(p: dict[str, np.ndarray], acc: np.ndarray, inc: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Churn (clipped to [0, 1]) and return probabilities from the per-path inputs ``p``
    (:func:`_path_inputs`) and the accuracy and incidents of each path (same shapes, or
    broadcasting against the inputs)."""
    trust = p["adoption.trust_accuracy"]
    chi = (p["adoption.base_churn"] + p["adoption.quality_churn_sensitivity"]
           * np.maximum(0.0, trust - acc) + p["integration.trust_shock_per_incident"] * inc)
    rho = np.where(acc >= trust, p["adoption.return_rate"], 0.0)
    return np.clip(chi, 0.0, 1.0), rho


def churn_and_returns(trajectories: np.ndarray, x: dict[str, np.ndarray]
                      ) -> tuple[np.ndarray, np.ndarray]:
    """(H+1, N) churn and return probabilities of each path and month as the core applies
    them: chi = chi_base + sigma max(0, a_trust - a_t) + iota incidents_t, returns rho only
    while a_t >= a_trust. ``x`` holds the per-path inputs (missing ones count as 0)."""
    acc = trajectories[TR_ACC].astype(np.float64)
    inc = trajectories[TR_INC].astype(np.float64)
    p = {k: v[None, :] for k, v in _path_inputs(x, acc.shape[1]).items()}
    return _churn_returns(p, acc, inc)


def telemetry_months(trajectories: np.ndarray, registered: np.ndarray,
                     x: dict[str, np.ndarray], usage: np.ndarray
                     ) -> Iterator[tuple[int, dict[str, np.ndarray]]]:
    """(month, rates) for months 0..H in order, ``rates`` holding each path's (N,)
    ever_used, active_rate, weekly_active_rate and daily_active_rate that month: what
    :func:`telemetry_rates` stacks, a month at a time (O(N) memory: a streamed run's
    chunks, simulator.simulation)."""
    active = trajectories[TR_ACTIVE]
    n = active.shape[1]
    p = _path_inputs(x, n)
    reg = np.asarray(registered, dtype=np.float64)
    weekly_share, daily_share = usage[:, 0], usage[:, 1]
    e = a = None
    for t in range(active.shape[0]):
        a_prev, a = a, active[t].astype(np.float64)
        chi, rho = _churn_returns(p, trajectories[TR_ACC, t].astype(np.float64),
                                  trajectories[TR_INC, t].astype(np.float64))
        e = a.copy() if t == 0 else _ever_step(e, a_prev, a, chi, np.clip(rho, 0.0, 1.0),
                                               float(reg[t]))
        if reg[t] > 0:
            monthly = a / reg[t]
            ever = np.minimum(e / reg[t], 1.0)
        else:
            monthly = ever = np.zeros(n)
        weekly = monthly * weekly_share
        yield t, {"ever_used": np.maximum(ever, monthly), "active_rate": monthly,
                  "weekly_active_rate": weekly, "daily_active_rate": weekly * daily_share}


def telemetry_rates(trajectories: np.ndarray, registered: np.ndarray, x: dict[str, np.ndarray],
                    usage: np.ndarray) -> dict[str, np.ndarray]:
    """Per month and path (H+1, N): ever_used, active_rate, weekly_active_rate,
    daily_active_rate (shares of the registered users); ``x`` the per-path inputs."""
    shape = trajectories.shape[1:]
    out = {k: np.empty(shape) for k in ("ever_used", "active_rate", "weekly_active_rate",
                                        "daily_active_rate")}
    for t, rates in telemetry_months(trajectories, registered, x, usage):
        for k, v in rates.items():
            out[k][t] = v
    return out


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
    use, a month at a time (a fifth of the time of numpy's partition over the paths); the
    mean is the float64 sum in path order over N, as the core bands take it, so a run
    streamed in chunks of paths gives the same bits (:class:`StreamedTelemetry`).
    """
    rates = np.ascontiguousarray(rates, dtype=np.float64)
    if not np.isfinite(rates).all():  # the select gives NaN for any non-finite value
        return np.column_stack([np.percentile(rates, percentiles, axis=1).T,
                                rates.mean(axis=1)])
    levels = np.asarray(percentiles, dtype=np.float64) / 100.0
    out = np.empty((rates.shape[0], levels.size + 1))
    for t in range(rates.shape[0]):
        _row_stats(rates[t], levels, out[t])
    return out


def _row_stats(row: np.ndarray, levels: np.ndarray, out: np.ndarray) -> None:
    """Quantiles ``levels`` of a finite float64 ``row`` and its mean (the compiled select's
    sum in path order over the count) into ``out`` (len(levels) + 1)."""
    out[-1] = quantiles_hist(row, levels, out[:-1]) / row.shape[0]


def telemetry_bands_months(trajectories: np.ndarray, registered: np.ndarray,
                           x: dict[str, np.ndarray], usage: np.ndarray, month: int,
                           percentiles: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The bands (H+1, len(TELEMETRY_METRICS), len(percentiles)+1) of TELEMETRY_METRICS,
    :func:`rate_bands`' bits, and each path's values at ``month`` (N, len(TELEMETRY_METRICS)),
    a month at a time: no (H+1, N) rate is held (a streamed run's fallback)."""
    levels = np.asarray(percentiles, dtype=np.float64) / 100.0
    n_months, n = trajectories.shape[1], trajectories.shape[2]
    bands = np.empty((n_months, len(TELEMETRY_METRICS), levels.size + 1))
    at = np.empty((n, len(TELEMETRY_METRICS)))
    for t, rates in telemetry_months(trajectories, registered, x, usage):
        for k, name in enumerate(TELEMETRY_METRICS):
            _row_stats(rates[name], levels, bands[t, k])
            if t == month:
                at[:, k] = rates[name]
    return bands, at


class StreamedTelemetry:
    """The usage telemetry of a run streamed in chunks of paths (simulator.simulation):
    exact bands of TELEMETRY_METRICS (:func:`rate_bands`' bits, by
    :class:`~simulator.engine.bands_stream.StreamingRows`) and each path's values at one
    month, from each chunk's trajectories; no (H+1, N) rate is held."""

    def __init__(self, registered: np.ndarray, x: dict[str, np.ndarray], usage: np.ndarray,
                 month: int, percentiles: tuple[int, ...]):
        self.registered = np.asarray(registered, dtype=np.float64)
        self.x, self.usage, self.month = x, usage, int(month)
        self.n = usage.shape[0]
        self.n_months = self.registered.shape[0]
        self.rows = StreamingRows(self.n, self.n_months * len(TELEMETRY_METRICS),
                                  np.asarray(percentiles, dtype=np.float64) / 100.0)
        self.at = np.empty((self.n, len(TELEMETRY_METRICS)))

    def _months(self, traj: np.ndarray, a: int) -> Iterator[tuple[int, np.ndarray]]:
        """(month, (len(TELEMETRY_METRICS), n) rates) of the chunk of paths a .. a + n - 1."""
        b = a + traj.shape[2]
        xs = {k: v[a:b] for k, v in self.x.items()}
        for t, rates in telemetry_months(traj, self.registered, xs, self.usage[a:b]):
            yield t, np.stack([rates[k] for k in TELEMETRY_METRICS])

    def add(self, traj: np.ndarray, first_path: int) -> None:
        """Add the trajectories (len(TRAJ), H+1, n) of paths first_path .. first_path+n-1
        (chunks in path order; the first sets the bands' windows)."""
        k = len(TELEMETRY_METRICS)
        if first_path == 0:
            for t, rows in self._months(traj, 0):
                self.rows.start(rows, k * t)
        for t, rows in self._months(traj, first_path):
            self.rows.add(rows, first_path, k * t)
            if t == self.month:
                self.at[first_path:first_path + traj.shape[2]] = rows.T

    def result(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(bands (H+1, len(TELEMETRY_METRICS), len(percentiles)+1), values at the month
        (N, len(TELEMETRY_METRICS))), or None where the windows cannot give the bands
        exactly or a value is not finite (the caller recomputes them from the whole run,
        where the core bands name a non-finite value); frees the windows."""
        rows, self.rows = self.rows, None
        try:
            bands = rows.result()
        except (StreamBandsFailed, ValueError):
            return None
        return bands.reshape(self.n_months, len(TELEMETRY_METRICS), -1), self.at
