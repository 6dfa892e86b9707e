"""PNG and SVG files of the charts, rendered by vl-convert (no browser needed).

The export works on a plain mapping ``name -> altair chart``; :func:`result_charts`
builds it from the shared builders of :mod:`simulator.charts.forecast`, so the images
match what the app shows. Each file is written atomically.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import altair as alt
import vl_convert as vlc

from ..charts import theme
from ..results import SimulationResult
from .files import write_bytes, write_text

FORMATS = ("png", "svg")
#: band metrics exported as fan charts, in this order
FAN_METRICS = ("cum_net", "active_users", "active_rate", "accuracy")


def result_charts(res: SimulationResult) -> dict[str, alt.TopLevelMixin]:
    """The charts of a result by file stem: fan charts of FAN_METRICS and the NPV histogram."""
    from ..charts.forecast import fan_chart, npv_distribution_chart

    cur = res.scenario.scenario.currency
    charts: dict[str, alt.TopLevelMixin] = {}
    for metric in FAN_METRICS:
        charts[f"fan_{metric}"] = fan_chart(res.bands, metric, cur).properties(
            width=theme.WIDTH)
    lens = res.summary["pilot_lens_npv"]
    charts["npv_distribution"] = npv_distribution_chart(
        res.metric("npv"), lens, cur).properties(width=theme.WIDTH)
    return charts


def render(chart: alt.TopLevelMixin, fmt: str, scale: float = 2.0) -> bytes:
    """One chart as PNG (``scale`` x its pixel size) or SVG bytes."""
    spec = chart.to_dict()
    if fmt == "png":
        return vlc.vegalite_to_png(spec, scale=scale)
    if fmt == "svg":
        return vlc.vegalite_to_svg(spec).encode("utf-8")
    raise ValueError(f"image format {fmt!r} is not supported (allowed: png, svg)")


def write_images(charts: Mapping[str, alt.TopLevelMixin], directory: str | Path,
                 formats: Iterable[str] = FORMATS, scale: float = 2.0) -> list[Path]:
    """Write ``<name>.<fmt>`` for every chart and format into ``directory``; return the paths."""
    formats = list(formats)
    for fmt in formats:
        if fmt not in FORMATS:
            raise ValueError(f"image format {fmt!r} is not supported (allowed: png, svg)")
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    written = []
    for name, chart in charts.items():
        for fmt in formats:
            data = render(chart, fmt, scale)
            if fmt == "svg":
                written.append(write_text(d / f"{name}.svg", data.decode("utf-8")))
            else:
                written.append(write_bytes(d / f"{name}.{fmt}", data))
    return written
