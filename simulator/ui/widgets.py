"""Streamlit rendering of the app's controls, headline metrics and registered tabs.

``app.py`` stays a thin layout; what each widget looks like lives here and what it means lives
in :mod:`simulator.ui.controls` (no Streamlit there). Widgets are created without a
``value=`` argument: their values sit in ``st.session_state`` under
:func:`~simulator.ui.controls.widget_key` keys, filled from the scenario file when a widget is
first drawn (only edited or drawn inputs have a key: every widget call costs time in
proportion to the keys in session state). A widget keeps its value while it is not drawn
(``persist_state="page"``), so the Assumptions tab draws the inputs of its open groups only,
and only while it is open; the edits of the others stay applied.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, MutableMapping
from typing import Any

import streamlit as st

from ..scenario import ScenarioError
from .controls import PARTS, ControlGroup, PlainControl, UncertainControl, widget_key
from .metrics import Headline, delta_text
from .plain import md_escape, md_unlink
from .registry import TabContext
from .session import UPLOAD, UPLOADER

_ROW = (2.6, 1.0, 1.0, 1.0)  # label, low, likely, high column widths


def init_widget_state(state: MutableMapping[str, Any], defaults: dict[str, Any]) -> None:
    """Give every widget its starting value, leaving values the user already set alone."""
    for k, v in defaults.items():
        if k not in state:
            state[k] = v


#: Widgets keep their value while they are not drawn (a closed tab); the app is one page.
PERSIST = "page"


def _seed(key: str, value: Any) -> str:
    """Give the widget at ``key`` its starting value unless it has one; returns ``key``."""
    state = st.session_state
    if key not in state:
        state[key] = value
    return key


_TOKEN = "inputs_token"  # the scenario whose inputs session state holds


def forget_other_scenarios(token: str) -> None:
    """Once another scenario is loaded, drop the inputs kept for the one before.

    Hidden widgets keep their values (:data:`PERSIST`); without this, returning to a file
    would bring back its old edits (widgets used to lose them once another file was shown)
    and session state, which every widget call walks, would grow with each file visited.
    """
    state = st.session_state
    if state.get(_TOKEN) == token:
        return
    state[_TOKEN] = token
    for k in [k for k in state if _other_input(str(k), token)]:
        del state[k]


def _other_input(key: str, token: str) -> bool:
    """Whether ``key`` is an input widget of another scenario (the Rollout tab's editors,
    ``in|token|editor.*``, keep their own state)."""
    parts = key.split("|", 2)
    return (len(parts) == 3 and parts[0] == "in" and parts[1] != token
            and not parts[2].startswith("editor."))


def reset_inputs(token: str) -> None:
    """Button callback: forget every edit of the current scenario (back to the file)."""
    prefix = f"in|{token}|"
    for k in [k for k in st.session_state if str(k).startswith(prefix)]:
        del st.session_state[k]


def store_upload() -> None:
    """File-uploader callback: keep the uploaded bytes under ``session_state['upload']``.

    The app only ever reads ``upload``, so tests inject bytes there (AppTest cannot drive
    a file uploader).
    """
    f = st.session_state.get(UPLOADER)
    st.session_state[UPLOAD] = None if f is None else {"name": f.name, "data": f.getvalue()}


def show_problems(exc: ScenarioError, heading: str) -> None:
    """One ``st.error`` per problem, under a one-line heading; the app keeps running."""
    src = f" ({exc.source})" if exc.source else ""
    st.markdown(f"**{heading}**{md_escape(src)}")
    for line in exc.problems:
        st.error(md_unlink(line))


def _unit(unit: str) -> str:
    return f" ({unit})" if unit and unit != "-" else ""


def render_uncertain(c: UncertainControl, token: str,
                     source: str = "") -> tuple[float, float, float]:
    """A row: label with unit, help and source (where the value came from), then low /
    likely / high number inputs."""
    cols = st.columns(_ROW, vertical_alignment="center")
    tag = f" · `{source}`" if source and source != "file" else ""
    cols[0].markdown(f"**{c.label}**{_unit(c.unit)}{tag}",
                     help=c.help + (f"\n\nSource: {source}" if source else ""))
    out = []
    for col, part, value in zip(cols[1:], PARTS, c.value, strict=True):
        kw: dict[str, Any] = {"min_value": c.lo, "step": c.step, "format": c.fmt,
                              "key": _seed(widget_key(token, c.path, part), value),
                              "label_visibility": "collapsed", "persist_state": PERSIST}
        if math.isfinite(c.hi):
            kw["max_value"] = c.hi
        out.append(col.number_input(f"{c.label}: {part}", **kw))
    return out[0], out[1], out[2]


def render_plain(c: PlainControl, token: str, *, slider: bool = False) -> Any:
    """One fixed setting: number input (or slider), toggle or select box."""
    key = _seed(widget_key(token, c.path), c.shown)
    label = f"{c.label}{_unit(c.unit)}"
    keep = {"persist_state": PERSIST}
    if c.kind == "bool":
        return st.toggle(label, key=key, help=c.help, **keep)
    if c.kind == "choice":
        return st.selectbox(label, list(c.options), key=key, help=c.help, **keep)
    if c.kind == "int":
        lo = int(c.lo) if c.lo is not None else None
        hi = int(c.hi) if c.hi is not None else None
        if slider and lo is not None and hi is not None:
            return st.slider(label, min_value=lo, max_value=hi, step=1, key=key, help=c.help,
                             **keep)
        return st.number_input(label, min_value=lo, max_value=hi, step=1, key=key,
                               help=c.help, **keep)
    # float: shown scaled (a share as a percentage)
    lo = float(c.lo) if c.lo is not None else 0.0
    top = float(c.hi) if c.hi is not None else max(1.0, 2 * c.shown)
    if slider:
        hi = min(top, max(30.0, math.ceil(c.shown))) if c.scale == 100.0 else top
        fmt = "%.1f%%" if c.scale == 100.0 else None
        return st.slider(label, min_value=lo, max_value=hi, step=0.5 if c.scale == 100.0
                         else None, format=fmt, key=key, help=c.help, **keep)
    return st.number_input(label, min_value=lo, max_value=top, key=key, help=c.help, **keep)


def group_key(title: str) -> str:
    """Session key of the expander of the Assumptions group ``title`` (True while open); the
    same for every scenario, so a group stays open when another file is loaded."""
    return f"assumptions.open|{title}"


def render_group(g: ControlGroup, token: str, *, shown: bool = True,
                 sources: dict[str, str] | None = None) -> None:
    """An expander holding one group of assumptions. Its inputs are drawn only while it is
    open (opening it reruns the script) and ``shown`` (its tab is open); the expander itself
    always is, so it stays open or closed across tabs."""
    with st.expander(g.title, key=group_key(g.title), on_change="rerun") as box:
        if not shown or box.open is False:
            return
        if g.caption:
            st.caption(g.caption)
        for head, items in g.parts:
            if head:
                st.markdown(f"##### {head}")
            if any(isinstance(c, UncertainControl) for c in items):
                cols = st.columns(_ROW)
                for col, text in zip(cols, ("Input (unit)", "Low", "Likely", "High"),
                                     strict=True):
                    col.caption(text)
            plain = [c for c in items if isinstance(c, PlainControl)]
            if plain:
                cols = st.columns(len(plain))
                for col, c in zip(cols, plain, strict=True):
                    with col:
                        render_plain(c, token)
            for c in items:
                if isinstance(c, UncertainControl):
                    render_uncertain(c, token, (sources or {}).get(c.path, ""))


def render_assumptions(groups: list[ControlGroup], token: str, *, shown: bool = True,
                       sources: dict[str, str] | None = None, summary: str = "") -> None:
    """The Assumptions tab: a caption, then one expander per group of inputs (their inputs
    drawn only while ``shown``: the tab is open), each marked with its source when it is
    not the user's file (``class:NAME``, ``template:FILE``, ``default``)."""
    st.caption("Each uncertain input as low / likely / high. An input you edit becomes "
               "PERT(low, likely, high), or a fixed number when all three are equal; the "
               "others keep the file's distribution." + (f" Sources: {summary}." if summary
                                                         else ""))
    for g in groups:
        render_group(g, token, shown=shown, sources=sources)


def render_headlines(items: list[Headline], base: list[Headline] | None,
                     currency: str, per_row: int = 4) -> None:
    """Headline tiles: each metric with its Monte Carlo standard error underneath, and its
    change against the scenario as loaded when the user has edited it."""
    for start in range(0, len(items), per_row):
        cols = st.columns(per_row)
        for i, col in zip(range(start, min(start + per_row, len(items))), cols, strict=False):
            h = items[i]
            delta = delta_text(h, base[i], currency) if base is not None else None
            with col:
                st.metric(h.label, h.tile, delta=delta,
                          delta_color="normal" if h.higher_is_better else "inverse",
                          help=h.help, border=True)
                st.caption(h.se_text)


def load_tab(target: str) -> Callable[[TabContext], None]:
    """Import ``"package.module:function"`` and return the function."""
    module, _, name = target.partition(":")
    if not module or not name:
        raise ValueError(f"tab target {target!r} is not 'module:function'")
    fn = getattr(importlib.import_module(module), name)
    if not callable(fn):
        raise TypeError(f"{target} is not callable")
    return fn


def render_registered(label: str, target: str, ctx: TabContext) -> bool:
    """Call a registered tab's ``render(ctx)``; on any error show it in the tab, not a crash.

    Returns True when the tab rendered without an error.
    """
    try:
        load_tab(target)(ctx)
    except Exception as exc:  # noqa: BLE001 - one broken tab must not take the app down
        st.error(f"The {label!r} tab failed ({target}): {type(exc).__name__}: {md_unlink(exc)}")
        return False
    return True


__all__ = ["PERSIST", "forget_other_scenarios", "group_key", "init_widget_state", "load_tab",
           "render_assumptions", "render_group", "render_headlines", "render_plain",
           "render_registered", "render_uncertain", "reset_inputs", "show_problems",
           "store_upload"]


def compile_kernels_with_progress() -> None:
    """On a cold kernel cache (first run on a machine), a progress bar: "Compiling the
    simulation kernels, first run only, about N s", advanced as each kernel is ready and
    removed after; nothing otherwise."""
    from . import runner

    bar: list = []

    def show(done: float, text: str) -> None:
        if not bar:
            bar.append(st.progress(0.0, text=text))
        bar[0].progress(done, text=text)

    if runner.ensure_compiled(show) and bar:
        bar[0].empty()
