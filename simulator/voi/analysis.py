"""``value_of_information``: EVPI, EVPPI by input and group, EVSI of pilot extensions,
Sobol indices and the luck share, for one scenario, on common random numbers.

Decision rule: the decision with the highest expected NPV (risk-neutral; no-go is 0).
Values of information are in the scenario's currency, per decision (not per user).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..analysis.variants import AnalysisError, used_inputs
from ..formatting import json_value
from ..scenario import Scenario
from .decisions import Decisions, build_decisions
from .groups import group_members, group_of
from .luck import luck_share
from .regression import Estimate, Resampling, SplineCache, candidate_designs, evppi
from .sobol import sobol_indices
from .studies import Study, parse_study, study_statistic

DEFAULT_STUDIES = ("spot_checks=500", "trial_cohort=50,months=3")
#: Decisions best on fewer than this share of paths are left out of the information rules.
MIN_BEST_SHARE = 0.005


@dataclass(frozen=True)
class VoiAnalysis:
    """Result of :func:`value_of_information`; :meth:`to_dict` gives the JSON for scripts."""

    decisions: pd.DataFrame  #: name, npv_mean, npv_mean_se, prob_npv_positive, is_best
    evpi: float  #: floored at 0 (see :func:`value_of_information`)
    evpi_se: float
    evppi: pd.DataFrame  #: input, kind (input|group), group, value, se, share_of_evpi
    evsi: pd.DataFrame  #: study, value, se, limit, limit_se
    sobol: pd.DataFrame  #: input, metric (npv|npv_positive), S1, S1_conf, ST, ST_conf
    luck_share: float
    luck_share_se: float
    fit_r2: float  #: share of the as-written NPV variance the all-inputs regression explains
    best_decision: str
    currency: str
    paths: int
    seed: int
    notes: list[str] = field(default_factory=list)
    evpi_raw: float = math.nan  #: the cross-fitted estimate before flooring at 0

    def to_dict(self) -> dict[str, Any]:
        def rec(df: pd.DataFrame, cols: list[str]) -> list[dict[str, Any]]:
            return [{c: json_value(r[c]) for c in cols} for r in df.to_dict("records")]

        return {
            "best_decision": self.best_decision,
            "evpi": json_value(self.evpi), "evpi_se": json_value(self.evpi_se),
            "evpi_raw": json_value(self.evpi_raw),
            "evppi": rec(self.evppi, ["input", "kind", "group", "value", "se",
                                      "share_of_evpi", "raw"]),
            "evsi": rec(self.evsi, ["study", "value", "se", "limit", "limit_se"]),
            "sobol": rec(self.sobol, ["input", "metric", "S1", "S1_conf", "ST", "ST_conf"]),
            "luck_share": json_value(self.luck_share),
            "luck_share_se": json_value(self.luck_share_se),
            "fit_r2": json_value(self.fit_r2),
            "decisions": rec(self.decisions, list(self.decisions.columns)),
            "currency": self.currency, "paths": self.paths, "seed": self.seed,
            "notes": list(self.notes),
        }



def _decision_table(dec: Decisions) -> pd.DataFrame:
    nb = dec.nb
    n = nb.shape[0]
    mean = nb.mean(axis=0)
    df = pd.DataFrame({
        "decision": dec.names,
        "npv_mean": mean,
        "npv_mean_se": nb.std(axis=0, ddof=1) / math.sqrt(n) if n > 1 else np.nan,
        "prob_npv_positive": (nb > 0).mean(axis=0),
        "prob_best": np.bincount(nb.argmax(axis=1), minlength=nb.shape[1]) / n,
    })
    df["is_best"] = np.arange(len(df)) == int(np.argmax(mean))
    return df


def value_of_information(sc: Scenario, paths: int = 20_000, seed: int = 7,
                         horizon: int | None = None, *,
                         studies: Sequence[str | Study] = DEFAULT_STUDIES,
                         portfolios: bool = True,
                         extra_decisions: Sequence[tuple[str, Scenario]] = (),
                         sobol_n: int = 1024, luck_reruns: int = 2,
                         sobol: bool = True) -> VoiAnalysis:
    """What is worth learning before the rollout, in money, for scenario ``sc``.

    ``studies``: pilot extensions to price (``"spot_checks=500"``,
    ``"trial_cohort=50,months=3"``). ``portfolios=False`` compares only no-go and go as
    written. ``extra_decisions``: more ``(name, scenario)`` options on the same inputs
    (the hook for a gated plan). ``sobol_n``: Sobol' base sample (cost ``sobol_n`` x
    (inputs + 2) paths); ``sobol=False`` skips it. ``luck_reruns``: extra kernel seeds
    for the luck share.
    """
    parsed = [s if isinstance(s, Study) else parse_study(s) for s in studies]
    for name, value, lo in (("luck_reruns", luck_reruns, 1),
                            ("sobol_n", sobol_n, 2)):
        if isinstance(value, bool) or not isinstance(value, int) or value < lo:
            raise AnalysisError(f"{name}: {value!r} must be a whole number >= {lo}")
    dec = build_decisions(sc, paths, seed, horizon, portfolios=portfolios,
                          extra=extra_decisions)
    base = dec.base
    notes: list[str] = []
    table = _decision_table(dec)
    best = str(table.loc[table["is_best"], "decision"].iloc[0])

    # Rules choose among the decisions that are best on a material share of paths: one
    # that is almost never best path by path is almost never best in expectation, and
    # leaving it out keeps the fit's noise from picking it by chance.
    keep = (table["prob_best"] >= MIN_BEST_SHARE).to_numpy() | table["is_best"].to_numpy()
    nb = dec.nb[:, keep]

    inputs = dec.relevant_inputs()
    col = {p: i for i, p in enumerate(base.input_names)}
    theta = base.inputs[:, [col[p] for p in inputs]]
    fits = _Fits.start(nb.shape[0], seed)
    rows, order, material = _evppi_rows(fits, nb, theta, inputs)
    evpi_value, evpi_se, fit_r2 = _evpi(fits, dec, nb, theta, order, material)
    # A value of information cannot be negative (one may always ignore what one learns):
    # a negative cross-fitted estimate means the fitted rule gains nothing, so each value
    # is floored at 0 (the raw estimate is kept). Shares of a zero EVPI are 0, not NaN.
    evpi_raw = float(evpi_value)
    evpi_value = max(0.0, evpi_raw)
    ev = _evppi_table(rows, evpi_value)
    evsi = _evsi_table(fits, parsed, dec, nb, seed)
    luck = luck_share(base, reruns=luck_reruns)
    sob = _sobol_table(sc, dec, inputs, sobol, sobol_n, seed, notes)
    return VoiAnalysis(decisions=table, evpi=evpi_value, evpi_se=evpi_se, evppi=ev,
                       evsi=evsi, sobol=sob, luck_share=luck.value, luck_share_se=luck.se,
                       fit_r2=fit_r2, best_decision=best, currency=sc.scenario.currency,
                       paths=base.n_paths, seed=seed, notes=notes, evpi_raw=evpi_raw)


@dataclass(frozen=True)
class _Fits:
    """What every regression estimate of one analysis shares: the same cross-fitting
    folds and bootstrap weights (so that the estimates are paired), drawn once, and the
    inputs' spline bases, built once."""

    resampling: Resampling
    splines: SplineCache

    @classmethod
    def start(cls, n: int, seed: int) -> _Fits:
        rng = np.random.default_rng(np.random.SeedSequence([seed, 0xE7B1]))
        return cls(Resampling.draw(n, rng), SplineCache())

    def evppi(self, nb: np.ndarray, theta: np.ndarray | None = None, *,
              basis: list[np.ndarray] | None = None) -> Estimate:
        """:func:`evppi` on the shared folds, weights and splines."""
        return evppi(nb, theta, basis=basis, resampling=self.resampling,
                     splines=self.splines)


def _evppi_rows(fits: _Fits, nb: np.ndarray, theta: np.ndarray, inputs: list[str]
                ) -> tuple[list[dict[str, Any]], list[int], list[int]]:
    """EVPPI of each input alone and of each group of inputs; also the inputs' order by
    how much of the net benefits each explains alone, and the inputs of the groups whose
    value is clearly above 0."""
    rows = []
    explained = []
    for j, p in enumerate(inputs):
        e = fits.evppi(nb, theta[:, [j]])
        explained.append(e.explained)
        rows.append({"input": p, "kind": "input", "group": group_of(p), "value": e.value,
                     "se": e.se})
    # Interactions are spent on the inputs that explain most of the net benefits alone.
    order = list(np.argsort(-np.asarray(explained), kind="stable"))
    members = group_members(inputs)
    material: list[int] = []  # inputs of the groups whose value is clearly above 0
    for g, paths_in in members.items():
        idx = [j for j in order if inputs[j] in paths_in]
        e = fits.evppi(nb, theta[:, idx])
        rows.append({"input": g, "kind": "group", "group": g, "value": e.value, "se": e.se})
        if e.value > 2 * e.se:
            material += idx
    return rows, order, material


def _evpi(fits: _Fits, dec: Decisions, nb: np.ndarray, theta: np.ndarray,
          order: list[int], material: list[int]) -> tuple[float, float, float]:
    """EVPI (raw estimate), its standard error and the all-inputs fit's out-of-sample R^2."""
    if not order:
        return 0.0, 0.0, float("nan")
    # Knowing every input is worth at least knowing some: besides the designs on all
    # inputs, the designs on the material groups' inputs compete (out-of-fold error).
    every = candidate_designs(theta[:, order], splines=fits.splines)
    cands = list(every)
    if material:
        cands += candidate_designs(theta[:, [j for j in order if j in material]],
                                   splines=fits.splines)
    full = fits.evppi(nb, basis=cands)
    return full.value, full.se, float(_fit_r2(dec, every))


def _evppi_table(rows: list[dict[str, Any]], evpi_value: float) -> pd.DataFrame:
    """The EVPPI table, values floored at 0 (raw kept), groups first, then inputs, each by
    value."""
    ev = pd.DataFrame(rows, columns=["input", "kind", "group", "value", "se"])
    ev["raw"] = ev["value"]
    ev["value"] = ev["value"].clip(lower=0.0)
    ev["share_of_evpi"] = (ev["value"] / evpi_value).clip(upper=1.0) if evpi_value > 0 \
        else 0.0
    return pd.concat([ev[ev["kind"] == "group"].sort_values("value", ascending=False),
                      ev[ev["kind"] == "input"].sort_values("value", ascending=False)],
                     ignore_index=True)


def _evsi_table(fits: _Fits, parsed: list[Study], dec: Decisions, nb: np.ndarray,
                seed: int) -> pd.DataFrame:
    """EVSI of each study, and of its perfect-information limit when it has one."""
    srows = []
    for s in parsed:
        stat, limit = study_statistic(s, dec, seed)
        e = fits.evppi(nb, stat)
        lim = fits.evppi(nb, limit) if limit is not None else None
        srows.append({"study": s.label, "value": max(0.0, e.value), "se": e.se,
                      "limit": max(0.0, lim.value) if lim else np.nan,
                      "limit_se": lim.se if lim else np.nan})
    return pd.DataFrame(srows, columns=["study", "value", "se", "limit", "limit_se"])


def _sobol_table(sc: Scenario, dec: Decisions, inputs: list[str], sobol: bool,
                 sobol_n: int, seed: int, notes: list[str]) -> pd.DataFrame:
    """Sobol' indices of the inputs the scenario as written uses (empty when skipped); a
    note is added to ``notes`` when the scenario's correlations make them approximate."""
    if not sobol:
        return pd.DataFrame(columns=["input", "metric", "S1", "S1_conf", "ST", "ST_conf"])
    sob = sobol_indices(sc, [p for p in inputs if p in _used_as_written(dec)],
                        n_base=sobol_n, seed=seed, horizon=dec.base.horizon)
    if sc.correlations:
        notes.append("the scenario declares correlations between inputs: Sobol indices "
                     "are not well defined for dependent inputs, so they are computed "
                     "as if the inputs were independent (EVPI/EVPPI keep the "
                     "correlations)")
    return sob


def _fit_r2(dec: Decisions, designs: list[np.ndarray]) -> float:
    """Out-of-sample R^2 of the all-inputs regression (the best of its candidate
    ``designs``) for the NPV as written."""
    y = dec.nb[:, dec.as_written]
    return float(evppi(np.column_stack([np.zeros_like(y), y]), basis=designs,
                       n_boot=0).r2[1])


def _used_as_written(dec: Decisions) -> set[str]:
    return used_inputs(dec.base.scenario)
