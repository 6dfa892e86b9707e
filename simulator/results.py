"""What a simulation returns: per-path table, tidy monthly bands and a summary."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from .engine.bands import METRICS, PERCENTILES, STATS, quantiles_hist
from .engine.layout import OUT, TRAJ
from .scenario import Scenario
from .telemetry import (
    TELEMETRY_METRICS,
    TELEMETRY_MONTH,
    rate_bands,
    telemetry_rates,
    usage_draws,
)

#: Per-path output columns, in the order of ``SimulationResult.paths`` after the inputs.
PATH_METRICS = ("npv", "roi", "irr", "payback_month", "launch_accuracy", "accuracy_m6",
                "accuracy_final", "active_rate_m6", "active_rate_final", "incidents",
                "pilot_users_lapsed_m6", "pv_benefit", "pv_cost", "pilot_lens_npv")
#: Telemetry per path at month 6 (simulator.telemetry), after PATH_METRICS when the run
#: kept its trajectories or streamed its telemetry; in TELEMETRY_METRICS' order.
TELEMETRY_PATH_METRICS = ("ever_used_m6", "weekly_active_rate_m6", "daily_active_rate_m6")


class Summary(dict):
    """Headline numbers of a run (a plain dict with a readable table view)."""

    def table(self) -> pd.DataFrame:
        """Two-column view (metric, value) for printing."""
        return pd.DataFrame({"metric": list(self), "value": list(self.values())})


def quantile_se(sorted_x: np.ndarray, q: float) -> float:
    """Monte Carlo standard error of the q-quantile, distribution-free.

    Uses the order-statistic interval: ranks N q -/+ sqrt(N q (1-q)) bracket the
    quantile with ~68 % confidence, so half their distance estimates one standard error.
    """
    n = sorted_x.size
    if n < 2:
        return math.nan
    half = math.sqrt(n * q * (1 - q))
    lo = int(max(0, math.floor(n * q - half)))
    hi = int(min(n - 1, math.ceil(n * q + half)))
    return float(0.5 * (sorted_x[hi] - sorted_x[lo]))


@dataclass(frozen=True)
class LensMedian:
    """The pilot lens's median NPV, its standard error, the lens paths it used and how it
    was estimated ("sample median" or "two-phase regression")."""

    value: float
    se: float
    paths: int
    method: str


@dataclass
class SimulationResult:
    """The output of :func:`simulator.simulate`.

    ``paths``, ``bands`` and ``summary`` are built on first access. ``trajectories``
    (float32, (len(TRAJ), H+1, N)) and ``registered`` stay available for analysis
    (actuals conditioning, custom bands with weights). A large run streams its
    trajectories (``meta["streamed_trajectories"]``, see
    :func:`simulator.budget.streams_trajectories`): ``trajectories`` is None, its usage
    telemetry was taken chunk by chunk (``telemetry_band_array``, ``telemetry_at_m6``), so
    ``bands`` and ``paths`` are an unstreamed run's, bit for bit, and only ``telemetry``
    (every month of every path) raises a one-line ValueError.
    """

    scenario: Scenario
    seed: int
    horizon: int
    inputs: np.ndarray  # (N, K) sampled inputs
    input_names: list[str]
    out: np.ndarray  # (N, len(OUT)) kernel outputs
    lens_npv: np.ndarray  # (N,) pilot-lens NPV on common random numbers
    registered: np.ndarray  # (H+1,) registered users
    trajectories: np.ndarray | None = None
    band_array: np.ndarray | None = None  # (H+1, len(METRICS), len(STATS))
    meta: dict = field(default_factory=dict)
    #: Staged rollouts: (N, G+2) per path, each gate's result (1 pass, 0 fail, -1 not
    #: reached), the month the rollout stopped (-1 if never), the months on hold.
    gate_out: np.ndarray | None = None
    #: The lens median as the run estimated it (see :mod:`simulator.lens_estimate`);
    #: None: the median of the lens paths' NPVs.
    lens_median: LensMedian | None = None
    #: Streamed runs: the bands of TELEMETRY_METRICS (H+1, len(TELEMETRY_METRICS),
    #: len(STATS)) and each path's TELEMETRY_PATH_METRICS (N, 3), taken chunk by chunk;
    #: None where ``telemetry`` gives them (trajectories kept).
    telemetry_band_array: np.ndarray | None = None
    telemetry_at_m6: np.ndarray | None = None

    @property
    def n_paths(self) -> int:
        return self.out.shape[0]

    def no_trajectories(self, what: str) -> str:
        """One line saying why ``what`` cannot be had from this run (no trajectories)."""
        if self.meta.get("streamed_trajectories"):
            return (f"{what} needs the monthly trajectories, which this run of "
                    f"{self.n_paths:,} paths streamed to save memory (bands, with the "
                    f"usage telemetry, paths and summary are exact); "
                    f"simulate(..., keep_trajectories=True) keeps them")
        return f"{what} needs the trajectories (simulate(..., bands=True))"

    def metric(self, name: str) -> np.ndarray:
        """One per-path output as a float array (payback: NaN where never reached)."""
        o = self.out
        i = OUT.index
        if name == "roi":
            pvc = o[:, i("pv_cost")]
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(pvc > 0, (o[:, i("pv_benefit")] - pvc) / pvc, np.nan)
        if name == "payback_month":
            p = o[:, i("payback_month")]
            return np.where(p < 0, np.nan, p)
        if name in ("active_rate_m6", "active_rate_final"):
            m = min(6, self.horizon) if name.endswith("m6") else self.horizon
            reg = self.registered[m]
            src = o[:, i("active_m6" if name.endswith("m6") else "active_final")]
            return src / reg if reg > 0 else np.zeros_like(src)
        if name == "pilot_lens_npv":
            return self.lens_npv
        return o[:, i(name)]

    @cached_property
    def usage(self) -> np.ndarray:
        """(N, 2) per-path usage intensity: weekly share of monthly actives, daily share of
        weekly actives (simulator.telemetry)."""
        return usage_draws(self.scenario.usage_inputs(), self.n_paths, self.seed)

    @cached_property
    def telemetry(self) -> dict[str, np.ndarray]:
        """Per month and path (H+1, N): ever_used, active_rate, weekly_active_rate,
        daily_active_rate; needs the trajectories (simulate(..., bands=True)). A streamed
        run has their bands and month-6 values, not these."""
        if self.trajectories is None:
            raise ValueError(self.no_trajectories("telemetry by month and path"))
        x = {n: self.inputs[:, j] for j, n in enumerate(self.input_names)}
        return telemetry_rates(self.trajectories[:, : self.horizon + 1], self.registered,
                               x, self.usage)

    @cached_property
    def paths(self) -> pd.DataFrame:
        """One row per path: the sampled inputs, then the outputs of PATH_METRICS."""
        df = pd.DataFrame(self.inputs, columns=self.input_names)
        outs = {m: self.metric(m) for m in PATH_METRICS}
        outs["payback_month"] = pd.array(
            np.where(np.isnan(outs["payback_month"]), pd.NA,
                     np.nan_to_num(outs["payback_month"], nan=-1).astype(np.int64)),
            dtype="Int64")
        for m in ("incidents", "pilot_users_lapsed_m6"):
            outs[m] = outs[m].astype(np.int64)
        if self.telemetry_at_m6 is not None:
            for k, name in enumerate(TELEMETRY_PATH_METRICS):
                outs[name] = self.telemetry_at_m6[:, k]
        elif self.trajectories is not None:
            tel, m = self.telemetry, min(TELEMETRY_MONTH, self.horizon)
            for name in TELEMETRY_PATH_METRICS:
                outs[name] = tel[name.removesuffix("_m6")][m]
        df = pd.concat([df, pd.DataFrame(outs)], axis=1)
        df.index.name = "path"
        return df

    @cached_property
    def bands(self) -> pd.DataFrame:
        """Tidy monthly bands: columns month, metric, stat, value."""
        if self.band_array is None:
            raise ValueError("bands were not computed (simulate(..., bands=False))")
        arr, names = self.band_array, list(METRICS)
        extra = self.telemetry_band_array
        if extra is None and self.trajectories is not None and arr.shape[2] == len(STATS):
            extra = np.stack([rate_bands(self.telemetry[m], PERCENTILES)
                              for m in TELEMETRY_METRICS], axis=1)
        if extra is not None:
            arr = np.concatenate([arr, extra], axis=1)
            names += list(TELEMETRY_METRICS)
        h1, nm, ns = arr.shape
        months = np.repeat(np.arange(h1), nm * ns)
        metrics = np.tile(np.repeat(np.array(names, dtype=object), ns), h1)
        stats = np.tile(np.array(STATS, dtype=object), h1 * nm)
        return pd.DataFrame({"month": months, "metric": metrics, "stat": stats,
                             "value": arr.reshape(-1)})

    def bands_wide(self) -> pd.DataFrame:
        """Bands with one row per month and a column per metric_stat."""
        b = self.bands
        wide = b.pivot_table(index="month", columns=["metric", "stat"], values="value",
                             sort=False)
        wide.columns = [f"{m}_{s}" for m, s in wide.columns]
        return wide

    @cached_property
    def summary(self) -> Summary:
        return summarise(self)


def _pct(x: np.ndarray, q: float) -> float:
    return percentiles(x, (q * 100,))[0]


def percentiles(x: np.ndarray, levels: tuple[float, ...]) -> list[float]:
    """Percentiles ``levels`` of ``x`` (NaN for an empty ``x``), equal bit for bit to
    ``np.percentile``'s linear method, by the compiled histogram select the bands use (a
    quarter of ``np.percentile``'s time on a strided output column)."""
    out = np.empty(len(levels))
    # contiguous float64 (a strided output column is copied): one compiled signature
    quantiles_hist(np.ascontiguousarray(x, dtype=np.float64),
                   np.asarray(levels, dtype=np.float64) / 100.0, out)
    return [float(v) for v in out]


def summarise(res: SimulationResult) -> Summary:
    """Headline numbers with Monte Carlo standard errors."""
    n = res.n_paths
    npv = res.metric("npv")
    s_npv = np.sort(npv)
    s = Summary()
    s["scenario"] = res.scenario.name
    s["currency"] = res.scenario.scenario.currency
    s["paths"] = n
    s["seed"] = res.seed
    s["horizon_months"] = res.horizon
    p_pos = float(np.mean(npv > 0))
    s["prob_npv_positive"] = p_pos
    s["prob_npv_positive_se"] = math.sqrt(p_pos * (1 - p_pos) / n)
    s["npv_mean"] = float(npv.mean())
    s["npv_sd"] = float(npv.std(ddof=1)) if n > 1 else 0.0
    s["npv_mean_se"] = s["npv_sd"] / math.sqrt(n)
    levels = (5, 10, 25, 50, 75, 90, 95)
    values = np.percentile(s_npv, levels) if n else [math.nan] * len(levels)
    for p, v in zip(levels, values, strict=True):
        s[f"npv_p{p}"] = float(v)
        s[f"npv_p{p}_se"] = quantile_se(s_npv, p / 100)
    roi = res.metric("roi")
    roi = roi[np.isfinite(roi)]
    for p, v in zip((10, 50, 90), percentiles(roi, (10, 50, 90)), strict=True):
        s[f"roi_p{p}"] = v
    pay = res.metric("payback_month")
    s["prob_payback_within_horizon"] = float(np.mean(~np.isnan(pay)))
    pay_inf = np.where(np.isnan(pay), np.inf, pay)
    for p, v in zip((10, 50, 90), np.quantile(pay_inf, [0.1, 0.5, 0.9], method="inverted_cdf"),
                    strict=True):
        s[f"payback_month_p{p}"] = None if math.isinf(v) else float(v)
    irr = res.metric("irr")
    s["irr_p50"] = _pct(irr[np.isfinite(irr)], 0.5) if np.isfinite(irr).any() else None
    for name in ("active_rate_m6", "active_rate_final"):
        for p, v in zip((10, 50, 90), percentiles(res.metric(name), (10, 50, 90)), strict=True):
            s[f"{name}_p{p}"] = v
    s["launch_accuracy_p50"] = _pct(res.metric("launch_accuracy"), 0.5)
    s["accuracy_m6_p50"] = _pct(res.metric("accuracy_m6"), 0.5)
    s["accuracy_final_p50"] = _pct(res.metric("accuracy_final"), 0.5)
    s["pilot_users_lapsed_m6_p50"] = _pct(res.metric("pilot_users_lapsed_m6"), 0.5)
    # The lens runs on the first paths only, as many as its median's precision needs;
    # the run estimates the median from them and the production paths.
    lens = res.lens_npv[~np.isnan(res.lens_npv)]
    if res.lens_median is not None:
        s["pilot_lens_npv"] = res.lens_median.value
        s["pilot_lens_npv_se"] = res.lens_median.se
        s["pilot_lens_method"] = res.lens_median.method
    else:
        s["pilot_lens_npv"] = _pct(lens, 0.5) if lens.size else math.nan
        s["pilot_lens_npv_se"] = quantile_se(np.sort(lens), 0.5) if lens.size else math.nan
        s["pilot_lens_method"] = "sample median" if lens.size else "none"
    s["pilot_lens_paths"] = int(lens.size)
    s["expectation_gap"] = s["pilot_lens_npv"] - s["npv_p50"]
    s["prob_npv_ge_pilot_lens"] = float(np.mean(npv >= s["pilot_lens_npv"]))
    signed = res.scenario.signed_off.npv
    if signed is not None:
        # The organisation's own signed-off case: the gap is measured against it.
        s["signed_off_npv"] = float(signed)
        s["signed_off_gap"] = float(signed) - s["npv_p50"]
        s["prob_npv_ge_signed_off"] = float(np.mean(npv >= signed))
    return s


__all__ = ["PATH_METRICS", "LensMedian", "SimulationResult", "Summary", "TRAJ", "summarise"]
