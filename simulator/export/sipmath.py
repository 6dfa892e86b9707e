"""SIPmath 3.0 library (Probability Management's JSON standard) of chosen per-path values.

Each chosen output (``npv``, ``roi``, ...) or input (``economics.hourly_cost``) becomes a
SIP: a metalog quantile function (``Metalog_1_0``, fitted by least squares to the empirical
quantiles, bounded where the values live in a bounded range) driven by one layer of a
Gaussian copula whose correlation matrix is that of the paths' normal scores, over one
``HDR_2_0`` random-number stream per variable. A SIPmath tool (ChanceCalc, the Excel
SIPmath tools) then regenerates trials with the same marginals and rank dependence, and
each SIP's ``metadata.trials`` carries this run's exact per-path values, so a spreadsheet
model can reuse the very trials of the simulation (trial i of every SIP is path i).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import norm

from .. import labels as L
from ..results import SimulationResult
from .files import write_text

#: Outputs exported when none are chosen.
DEFAULT_OUTPUTS = ("npv", "pv_benefit", "pv_cost", "roi", "active_rate_m6", "pilot_lens_npv")
MAX_TERMS = 9
#: HDR entity id of this simulator's libraries (any fixed integer; documents the source)
HDR_ENTITY = 1


class SipError(ValueError):
    """A variable that cannot be exported, named with the reason (one line)."""


def metalog_basis(y: np.ndarray, terms: int) -> np.ndarray:
    """The metalog basis at probabilities ``y`` (n x terms), Keelin's term order."""
    y = np.asarray(y, dtype=float)
    lg = np.log(y / (1 - y))
    c = y - 0.5
    cols = [np.ones_like(y)]
    for k in range(2, terms + 1):
        if k == 2:
            cols.append(lg)
        elif k == 3:
            cols.append(c * lg)
        elif k == 4:
            cols.append(c)
        elif k % 2 == 1:
            cols.append(c ** ((k - 1) // 2))
        else:
            cols.append(c ** (k // 2 - 1) * lg)
    return np.column_stack(cols)


def metalog_quantile(a: Sequence[float], y: np.ndarray, lower: float | None = None,
                     upper: float | None = None) -> np.ndarray:
    """Quantile function of a (possibly bounded) metalog with coefficients ``a``."""
    m = metalog_basis(y, len(a)) @ np.asarray(a, dtype=float)
    if lower is not None and upper is not None:
        return (lower + upper * np.exp(m)) / (1 + np.exp(m))
    if lower is not None:
        return lower + np.exp(m)
    if upper is not None:
        return upper - np.exp(-m)
    return m


def _bounds(x: np.ndarray, kind: str, lo: float, hi: float) -> tuple[float | None, float | None]:
    """Bounds of the metalog: the variable's natural range where every value lies strictly
    inside it, else unbounded on that side."""
    if kind == "share" and lo == -math.inf:
        lo, hi = 0.0, 1.0
    lower = lo if math.isfinite(lo) and x.min() > lo else None
    upper = hi if math.isfinite(hi) and x.max() < hi else None
    return lower, upper


def fit_metalog(x: np.ndarray, lower: float | None = None, upper: float | None = None,
                max_terms: int = MAX_TERMS) -> list[float]:
    """Least-squares metalog coefficients for the values ``x`` (empirical quantiles at
    probabilities (i - 0.5) / n). Uses the most terms (up to ``max_terms``) whose
    quantile function is increasing on a fine grid."""
    x = np.sort(np.asarray(x, dtype=float))
    n = x.size
    if x[0] == x[-1]:
        return [float(x[0])]
    y = (np.arange(1, n + 1) - 0.5) / n
    if lower is not None and upper is not None:
        z = np.log((x - lower) / (upper - x))
    elif lower is not None:
        z = np.log(x - lower)
    elif upper is not None:
        z = -np.log(upper - x)
    else:
        z = x
    grid = np.linspace(0.5 / n, 1 - 0.5 / n, 2001)
    for terms in range(min(max_terms, max(2, n - 1)), 1, -1):
        a, *_ = np.linalg.lstsq(metalog_basis(y, terms), z, rcond=None)
        if np.all(np.diff(metalog_basis(grid, terms) @ a) > 0):
            return [float(v) for v in a]
    return [float(z.mean()), float(np.std(z) * math.sqrt(3) / math.pi)]  # logistic


def _values(res: SimulationResult, key: str) -> tuple[np.ndarray, str, float, float]:
    """Per-path values of an output or input, its format kind and natural range."""
    if key in res.input_names:
        meta = L.field_meta(key)
        return res.paths[key].to_numpy(dtype=float), meta.kind, meta.lo, meta.hi
    if key in res.paths.columns and L.is_output(key):
        x = res.paths[key].to_numpy(dtype=float, na_value=np.nan)
        return x, L.output_kind(key), -math.inf, math.inf
    allowed = ", ".join(list(DEFAULT_OUTPUTS) + ["any input path of the scenario"])
    raise SipError(f"{key}: not a per-path output or input of this run (allowed: {allowed})")


def _density(x: np.ndarray, bins: int = 25) -> list[float]:
    counts, _ = np.histogram(x, bins=bins)
    return [float(c) / x.size for c in counts]


def sip_library(res: SimulationResult, outputs: Sequence[str] | None = None,
                inputs: Sequence[str] | None = None, *, trials: bool = True,
                date: dt.date | None = None) -> dict[str, Any]:
    """The SIPmath 3.0 library of ``res`` as a JSON-ready dict.

    ``outputs``: per-path metrics (default :data:`DEFAULT_OUTPUTS`); ``inputs``: input
    paths (default: every sampled input that varies). ``trials``: carry the exact
    per-path values in each SIP's metadata.
    """
    outputs = list(DEFAULT_OUTPUTS if outputs is None else outputs)
    if inputs is None:
        inputs = [k for k in res.input_names if np.ptp(res.paths[k].to_numpy()) > 0]
    names = list(dict.fromkeys([*outputs, *inputs]))
    if not names:
        raise SipError("sipmath: choose at least one output or input")
    s = res.summary
    cur = s["currency"]
    data, sips = [], []
    for i, key in enumerate(names, start=1):
        x, kind, lo, hi = _values(res, key)
        bad = int(np.count_nonzero(~np.isfinite(x)))
        if bad:
            raise SipError(f"{key}: {bad:,} of {x.size:,} paths have no value; a SIP needs a "
                           f"value on every trial")
        data.append(x)
        lower, upper = _bounds(x, kind, lo, hi)
        args: dict[str, Any] = {}
        if lower is not None:
            args["lowerBound"] = lower
        if upper is not None:
            args["upperBound"] = upper
        args["aCoefficients"] = fit_metalog(x, lower, upper)
        meta: dict[str, Any] = {
            "label": L.label(key, cur), "key": key, "kind": kind,
            "unit": cur if kind == "money" else ("share" if kind == "share" else ""),
            "count": int(x.size), "min": float(x.min()), "mean": float(x.mean()),
            "max": float(x.max()),
            **{f"P{p}": float(np.percentile(x, p)) for p in (10, 50, 90)},
            "density": _density(x)}
        if trials:
            meta["trials"] = x.tolist()
        sips.append({"name": key, "ref": {"source": "copula", "name": "Gaussian",
                                          "copulaLayer": f"c{i}"},
                     "function": "Metalog_1_0", "arguments": args, "metadata": meta})
    corr = _normal_score_correlation(np.column_stack(data))
    matrix = [{"row": a, "col": b, "value": float(corr[i, j])}
              for i, a in enumerate(names) for j, b in enumerate(names) if j >= i]
    seed = int(s["seed"])
    rngs = [{"name": f"hdr{i}", "function": "HDR_2_0",
             "arguments": {"counter": "PM_Index", "entity": HDR_ENTITY, "varId": i,
                           "seed3": seed, "seed4": 0}} for i in range(1, len(names) + 1)]
    return {
        "name": f"{s['scenario']}: {s['paths']:,} paths, seed {seed}",
        "dateCreated": (date or dt.date.today()).isoformat(),
        "version": "1",
        "provenance": (f"rollout-sim Monte Carlo business case; scenario {s['scenario']!r}, "
                       f"{s['paths']:,} paths, seed {seed}, horizon {s['horizon_months']} "
                       f"months, money in {cur}. Metalog marginals fitted to the paths; "
                       f"Gaussian copula of their normal scores; metadata.trials holds the "
                       f"exact per-path values (trial i of every SIP is path i)."),
        "globalVariables": [{"name": "correlationMatrix",
                             "value": {"columns": names, "rows": names, "matrix": matrix}}],
        "U01": {"rng": rngs,
                "copula": [{"name": "Gaussian", "function": "GaussianCopula",
                            "arguments": {"correlationMatrix": {"type": "globalVariables",
                                                                "value": "correlationMatrix"},
                                          "rng": [r["name"] for r in rngs]},
                            "copulaLayer": [f"c{i}" for i in range(1, len(names) + 1)]}]},
        "sips": sips,
    }


def _normal_score_correlation(x: np.ndarray) -> np.ndarray:
    """Correlation of the columns' normal scores (ranks through the normal quantile), the
    Gaussian copula's parameter; a constant column gets correlation 0 with the others."""
    n = x.shape[0]
    ranks = np.argsort(np.argsort(x, axis=0, kind="stable"), axis=0)
    scores = norm.ppf((ranks + 0.5) / n)
    sd = scores.std(axis=0)
    const = (np.ptp(x, axis=0) == 0) | (sd == 0)
    scores[:, const] = 0.0
    c = np.corrcoef(scores, rowvar=False) if x.shape[1] > 1 else np.ones((1, 1))
    c = np.atleast_2d(np.nan_to_num(c))
    np.fill_diagonal(c, 1.0)
    return c


def write_sip_library(res: SimulationResult, path: str | Path, **kwargs: Any) -> Path:
    """Write the library as JSON to ``path`` atomically."""
    lib = sip_library(res, **kwargs)
    return write_text(path, json.dumps(lib, indent=1, allow_nan=False))


__all__ = ["DEFAULT_OUTPUTS", "SipError", "fit_metalog", "metalog_basis", "metalog_quantile",
           "sip_library", "write_sip_library"]
