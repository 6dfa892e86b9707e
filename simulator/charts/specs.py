"""Vega-Lite specs of the app's forecast charts without building altair charts per result.

Each chart's structure (marks, encodings, axes, titles, theme) is built once per process
with the altair builders of :mod:`.forecast` and kept as a Vega-Lite dict with named
datasets; a new result only fills in its data rows (hashed into dataset names the way altair
names them) and the few values that depend on the data (the fan chart's month domain, the
NPV chart's y domain and subtitle). The result equals ``builder(...).to_dict(validate=False)``
(tests/test_chart_specs.py) at a small fraction of the cost: altair's chart construction,
deep copies and data sanitising took most of an app rerun that shows a new result.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import forecast

#: A fan chart's zero line (money metrics): constant data.
_ZERO = pd.DataFrame({"y": [0.0]})


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of ``df`` as altair serialises them: Python scalars, NaN and inf as None."""
    cols = []
    for name in df.columns:
        a = df[name].to_numpy()
        if a.dtype.kind == "f":
            vals = [v if math.isfinite(v) else None for v in a.tolist()]
        elif a.dtype.kind in "iub":
            vals = a.tolist()
        elif a.dtype.kind in "OUT":
            vals = [None if v is None or (isinstance(v, float) and math.isnan(v)) else v
                    for v in a.tolist()]
        else:  # dates and the like never occur in these charts; let altair decide
            from altair.utils.data import to_values
            return to_values(df)["values"]
        cols.append(vals)
    names = [str(c) for c in df.columns]
    return [dict(zip(names, row, strict=True)) for row in zip(*cols, strict=True)]


def dataset_name(values: list[dict[str, Any]]) -> str:
    """The name altair gives a dataset: a hash of its JSON (``altair...api._dataset_name``)."""
    if values == [{}]:
        return "empty"
    text = json.dumps(values, sort_keys=True, default=str)
    return "data-" + hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class _Template:
    """A chart's spec without datasets (as JSON text, so each use gets a fresh copy) and
    which of the chart's data frames it draws: at the top (altair lifts data that every
    layer shares) and per layer."""

    text: str
    top: str | None
    roles: tuple[str | None, ...]


_TEMPLATES: dict[Hashable, _Template] = {}
_LOCK = threading.Lock()


def _template(key: Hashable, spec: dict,
              frames: dict[str, list[dict[str, Any]]]) -> _Template | None:
    """A template made from ``spec`` (an altair chart's dict drawing ``frames``), kept under
    ``key``; None (nothing kept) when its datasets cannot be told apart by their rows."""
    by_name = {dataset_name(v): role for role, v in frames.items()}
    if len(by_name) != len(frames) or set(spec.get("datasets", {})) != set(by_name):
        return None
    spec = json.loads(json.dumps(spec))  # the caller keeps its own
    top = by_name[spec.pop("data")["name"]] if "data" in spec else None
    roles = tuple(by_name[layer.pop("data")["name"]] if "data" in layer else None
                  for layer in spec["layer"])
    spec.pop("datasets")
    tpl = _Template(json.dumps(spec), top, roles)
    with _LOCK:
        _TEMPLATES.setdefault(key, tpl)
    return tpl


def _spec(key: Hashable, build: Callable[[], Any],
          frames: dict[str, list[dict[str, Any]]]) -> tuple[dict, bool]:
    """(spec, filled): from the template of ``key`` when there is one (``filled``), else
    ``build().to_dict(validate=False)``, which then becomes the template."""
    tpl = _TEMPLATES.get(key)
    if tpl is not None:
        return _fill(tpl, frames), True
    spec = build().to_dict(validate=False)
    _template(key, spec, frames)
    return spec, False


def _fill(tpl: _Template, frames: dict[str, list[dict[str, Any]]]) -> dict:
    """A fresh spec from ``tpl`` drawing ``frames``, datasets in altair's (layer) order."""
    spec = json.loads(tpl.text)
    names = {role: dataset_name(v) for role, v in frames.items()}
    datasets: dict[str, list[dict[str, Any]]] = {}
    if tpl.top is not None:
        spec = {"data": {"name": names[tpl.top]}, **spec}
        datasets[names[tpl.top]] = frames[tpl.top]
    layers = []
    for layer, role in zip(spec["layer"], tpl.roles, strict=True):
        if role is not None:
            layer = {"data": {"name": names[role]}, **layer}
            datasets.setdefault(names[role], frames[role])
        layers.append(layer)
    spec["layer"] = layers
    spec["datasets"] = datasets
    return spec


def fan_spec(bands: pd.DataFrame, metric: str, currency: str = "USD") -> dict:
    """``forecast.fan_chart(bands, metric, currency).to_dict(validate=False)``, fast."""
    df = forecast.fan_frame(bands, metric)  # validates ``metric``
    frames = {"band": records(df)}
    if forecast.METRIC_INFO[metric][2] == "money":
        frames["zero"] = records(_ZERO)
    spec, filled = _spec(("fan", metric, currency),
                         lambda: forecast.fan_chart(bands, metric, currency), frames)
    if not filled:
        return spec
    domain = [0, int(df["month"].max())]
    for layer in spec["layer"]:
        scale = layer.get("encoding", {}).get("x", {}).get("scale")
        if scale is not None and "domain" in scale:
            scale["domain"] = domain
    return spec


def npv_spec(npv: np.ndarray, pilot_lens_npv: float | None, currency: str = "USD") -> dict:
    """``forecast.npv_distribution_chart(npv, pilot_lens_npv, currency)
    .to_dict(validate=False)``, fast."""
    p = forecast.npv_parts(npv, pilot_lens_npv, currency)
    frames = {"hist": records(p.hist), "marks": records(p.marks)}
    for i in range(len(p.marks)):
        frames[f"text{i}"] = records(p.marks.iloc[[i]])
    sides = tuple(bool(r) for r in p.marks["right"])  # each label's alignment: the shape
    spec, filled = _spec(("npv", currency, sides), lambda: forecast.npv_distribution_chart(
        npv, pilot_lens_npv, currency), frames)
    if not filled:
        return spec
    spec["layer"][0]["encoding"]["y"]["scale"]["domain"] = [0, p.y_top]
    spec["title"]["subtitle"] = p.subtitle
    return spec


__all__ = ["dataset_name", "fan_spec", "npv_spec", "records"]
