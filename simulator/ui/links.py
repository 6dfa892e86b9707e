"""Shareable links: the app's view (scenario file, paths, seed, tab, edited inputs and
levers) in the URL's query parameters, so a link reproduces what its sender saw.

``scenario=seed_case.toml&paths=10000&seed=7&tab=Levers&set.economics.hourly_cost:likely=60
&set.levers.change_plan.enabled=true``: one ``set.`` parameter per widget that differs from
the scenario file (``path`` or ``path:part`` for low / likely / high). Plain functions over
mappings (``st.query_params`` and ``st.session_state`` in the app, dicts in tests); a bad
parameter is reported as one line naming it, its value and what is allowed, and ignored.
The inputs the Rollout tab owns (pilot team size, tiers, waves: :func:`rollout.owned`) are
edited in its tables, not in widgets: a ``set.`` parameter naming one is reported and
ignored, and the tab's changes travel as one ``rollout=`` parameter (JSON {path: value},
applied only when the tables read back give exactly the linked scenario). The deck's list
of edits (:func:`deck_edits`) is what differs between the file and the scenario simulated.
"""

from __future__ import annotations

import json
import math
import re
from collections import ChainMap
from collections.abc import Mapping, MutableMapping, Sequence
from typing import Any

from ..export import scenario_edits
from ..scenario import ScenarioError
from . import controls, correlations, rollout, tables, tiers, waves
from . import session as ss

SET = "set."
#: session-state key holding {path: (file value, simulated value)} for the deck
EDITS = "view_edits"
OWNED = ("this input is edited in the Rollout tab's tables, not by a set. parameter; open the "
         "Rollout tab to change it")
#: query parameter carrying the Rollout tab's changes (JSON {path: value}, only what differs)
ROLLOUT = "rollout"
#: the scenario paths the Rollout tab's tables and text inputs change (``Design.changes``)
ROLLOUT_PATHS = ("scenario.name", "scenario.description", "scenario.currency", "pilot.users",
                 "adoption.pilot_tier", "adoption.cohorts", "adoption.tiers", "correlations")
_SHOWN_CHARS = 60
#: deepest JSON nesting a ``rollout=`` link may hold (a link made in the app needs 5)
MAX_LINK_NESTING = 16
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_TIERS = "adoption.tiers"
#: session-state key -> query parameter
SETTINGS = {ss.FILE: "scenario", ss.PATHS: "paths", ss.SEED: "seed", ss.MAIN_TAB: "tab"}
_DONE_SETTINGS = "_link_settings_restored"
_DONE_EDITS = "_link_edits_restored"


#: the app's own tabs, first in :data:`simulator.ui.tabs.TABS`
OWN_TABS = ("Forecast", "Assumptions", "Rollout", "Compare")


def tab_labels(registered: Sequence[tuple[str, str]]) -> list[str]:
    """Every tab label of the app, in display order."""
    return [*OWN_TABS, *(label for label, _ in registered)]


def _shown(text: str) -> str:
    """``text`` cut to :data:`_SHOWN_CHARS` characters for a message (a URL can be long)."""
    return text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS - 3] + "..."


def json_nesting(text: str) -> int:
    """Deepest bracket nesting of JSON text, strings skipped (linear time, no recursion)."""
    depth = deepest = 0
    for ch in _JSON_STRING.sub("", text):
        if ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _one(params: Mapping[str, Any], name: str) -> str | None:
    v = params.get(name)
    if isinstance(v, list | tuple):
        v = v[-1] if v else None
    return None if v is None else str(v)


def restore_settings(params: Mapping[str, Any], state: MutableMapping[str, Any],
                     files: Sequence[str], tabs: Sequence[str]) -> list[str]:
    """Once per session: put the link's scenario, paths, seed and tab into ``state``."""
    if state.get(_DONE_SETTINGS):
        return []
    state[_DONE_SETTINGS] = True
    problems = []
    v = _one(params, "scenario")
    if v is not None:
        if v in files:
            state[ss.SOURCE], state[ss.FILE] = ss.SHIPPED, v
        else:
            problems.append(f"scenario={_shown(v)}: not a shipped scenario (allowed: "
                            f"{', '.join(files)})")
    for key, lo, hi in ((ss.PATHS, ss.MIN_PATHS, ss.MAX_PATHS), (ss.SEED, 0, 2**32 - 1)):
        v = _one(params, SETTINGS[key])
        if v is None:
            continue
        try:
            n = int(v)
        except ValueError:
            n = None
        if n is None or not lo <= n <= hi:
            problems.append(f"{SETTINGS[key]}={_shown(v)}: allowed range is {lo:,} to {hi:,}")
        else:
            state[key] = n
    v = _one(params, "tab")
    if v is not None:
        if v in tabs:
            state[ss.MAIN_TAB] = v
        else:
            problems.append(f"tab={_shown(v)}: not a tab (allowed: {', '.join(tabs)})")
    return problems


def _path(key: str) -> str:
    """``in|<token>|economics.hourly_cost|likely`` -> ``economics.hourly_cost``."""
    return key.split("|", 3)[2]


def _param(token: str, key: str) -> str:
    """``in|<token>|economics.hourly_cost|likely`` -> ``set.economics.hourly_cost:likely``."""
    path_part = key.split("|", 2)[2]
    return SET + path_part.replace("|", ":")


def _ranges(sc) -> dict[str, tuple[Any, float | None, float | None, tuple[str, ...]]]:
    """Per widget (path or path:part): (control, lo, hi, options) in the widget's units."""
    out = {}
    for c in controls.all_controls(sc):
        if isinstance(c, controls.UncertainControl):
            for part in controls.PARTS:
                out[f"{c.path}:{part}"] = (c, c.lo, c.hi, ())
        else:
            out[c.path] = (c, c.lo, c.hi, tuple(c.options))
    return out


def _parse(text: str, default: Any, lo: float | None, hi: float | None,
           options: tuple[str, ...]) -> Any:
    """The widget value a parameter stands for, typed like its default; ValueError with
    what is allowed when it does not fit."""
    if isinstance(default, bool):
        if text.lower() in ("true", "1", "on"):
            return True
        if text.lower() in ("false", "0", "off"):
            return False
        raise ValueError("allowed: true or false")
    if isinstance(default, str):
        if options and text not in options:
            raise ValueError(f"allowed: {', '.join(options)}")
        return text
    try:
        x = int(text) if isinstance(default, int) else float(text)
    except ValueError:
        raise ValueError("not a number") from None
    if not math.isfinite(x) or (lo is not None and x < lo) or (
            hi is not None and math.isfinite(hi) and x > hi):
        lo_t = "-inf" if lo is None else f"{lo:g}"
        hi_t = "inf" if hi is None or not math.isfinite(hi) else f"{hi:g}"
        raise ValueError(f"allowed range is [{lo_t}, {hi_t}]")
    return x


def restore_edits(params: Mapping[str, Any], state: MutableMapping[str, Any], sc,
                  token: str) -> list[str]:
    """Once per scenario: put the link's ``set.`` edits into the widgets' state.

    Only while the link names the scenario shown: right after another file is picked the
    URL still holds the previous file's edits (it is synced at the end of the run), and
    they are not this file's.
    """
    if state.get(_DONE_EDITS) == token:
        return []
    state[_DONE_EDITS] = token
    linked = _one(params, "scenario")
    shown = state.get(ss.FILE) if state.get(ss.SOURCE, ss.SHIPPED) == ss.SHIPPED else None
    if linked is not None and shown is not None and linked != shown:
        return []
    problems = []
    defaults = controls.default_state(sc, token)
    by_param = {_param(token, k): k for k in defaults}
    ranges = _ranges(sc)
    for name in list(params):
        if not name.startswith(SET):
            continue
        text = _one(params, name) or ""
        key = by_param.get(name)
        here = f"{_shown(name)}={_shown(text)}"
        if key is None:
            problems.append(f"{here}: not an input of this scenario")
            continue
        if rollout.owned(_path(key)):
            problems.append(f"{here}: {OWNED}")
            continue
        _, lo, hi, options = ranges[name[len(SET):]]
        try:
            state[key] = _parse(text, defaults[key], lo, hi, options)
        except ValueError as exc:
            problems.append(f"{here}: {exc}")
    # after the widgets: the tab judges its waves against the horizon widget
    return problems + restore_rollout(_one(params, ROLLOUT), state, sc, token)


def _at(doc: Mapping[str, Any], path: str) -> Any:
    for part in path.split("."):
        doc = doc.get(part) if isinstance(doc, Mapping) else None
    return doc


def rollout_changes(base, simulated) -> dict[str, Any]:
    """The Rollout tab's changes as the scenario simulated holds them: {path: value} of the
    :data:`ROLLOUT_PATHS` in which ``simulated`` differs from ``base`` (what ``rollout=``
    carries); tier by tier and field by field while the tiers and their fields are those of
    ``base`` (a short link), the whole tier table otherwise."""
    if simulated is None or simulated is base:
        return {}
    a, b = base.to_dict(), simulated.to_dict()
    out = {p: _at(b, p) for p in ROLLOUT_PATHS if _at(a, p) != _at(b, p)}
    ta, tb = _at(a, _TIERS), _at(b, _TIERS)
    if _TIERS in out and list(ta) == list(tb) and all(list(ta[t]) == list(tb[t]) for t in ta):
        del out[_TIERS]  # the same tiers and fields: only the fields that changed
        out.update({f"{_TIERS}.{t}.{f}": v for t in tb for f, v in tb[t].items()
                    if ta[t][f] != v})
    return out


def _tab_state(state: Mapping[str, Any], token: str, changed) -> ChainMap:
    """``state`` under a layer of the entries that make the Rollout tab show ``changed``:
    its four tables (each in a new data editor) and its three text inputs."""
    out: ChainMap = ChainMap({}, state)
    frames = {"pilot": waves.pilot_frame(changed), "waves": waves.waves_frame(changed),
              "tiers": tiers.frame(changed), "correlations": correlations.frame(changed)}
    for name, df in frames.items():
        tables.replace_frame(out, token, name, df)
    for f in ("name", "description", "currency"):
        out[tables.editor_key(token, f)] = getattr(changed.scenario, f)
    return out


def restore_rollout(text: str | None, state: MutableMapping[str, Any], sc,
                    token: str) -> list[str]:
    """Put the link's ``rollout=`` changes into the Rollout tab's tables and text inputs, or
    leave them alone and return one line per problem. Applied only when the tables,
    read back as the tab reads them, give exactly the linked scenario."""
    if text is None:
        return []
    where = f"{ROLLOUT}={_shown(text)}"
    if json_nesting(text) > MAX_LINK_NESTING:
        return [f"{where}: nested more than {MAX_LINK_NESTING} levels deep (a link made in "
                f"the app holds {{path: value}})"]
    try:
        changes = json.loads(text)
    except (ValueError, RecursionError):
        return [f"{where}: not valid JSON (a link made in the app holds {{path: value}})"]
    if not isinstance(changes, dict):
        return [f"{where}: not a JSON object of {{path: value}}"]
    problems = [f"{ROLLOUT}: {_shown(repr(k))} is not a path the Rollout tab edits (allowed: "
                f"{', '.join(ROLLOUT_PATHS)}, {_TIERS}.<tier>.<field>)" for k in changes
                if k not in ROLLOUT_PATHS and not str(k).startswith(_TIERS + ".")]
    if problems:
        return problems
    if not changes:
        return []
    try:
        changed = sc.with_values(changes)
    except ScenarioError as exc:
        return [f"{ROLLOUT}: {line}" for line in exc.problems]
    trial = _tab_state(state, token, changed)
    d = rollout.design(trial, sc, token)
    if d.problems or rollout_changes(sc, sc.with_values(d.changes)) != \
            rollout_changes(sc, changed):
        return [f"{where}: the Rollout tab's tables cannot hold these values (a link made "
                f"in the app always fits)"]
    state.update(trial.maps[0])
    return []


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b):
        return all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-15)
    return a == b


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:.10g}"
    return str(v)


def current_params(state: Mapping[str, Any], sc, token: str,
                   simulated=None) -> dict[str, str]:
    """The query parameters of the current view (edits: widgets that differ from the file;
    the inputs the Rollout tab owns are never widget edits, they are in ``rollout=``, from
    ``simulated``: the scenario simulated)."""
    out: dict[str, str] = {}
    if state.get(ss.SOURCE, ss.SHIPPED) == ss.SHIPPED and state.get(ss.FILE):
        out["scenario"] = str(state[ss.FILE])
    for key in (ss.PATHS, ss.SEED, ss.MAIN_TAB):
        if state.get(key) is not None:
            out[SETTINGS[key]] = _text(state[key])
    for key, default in controls.default_state(sc, token).items():
        if key in state and not _same(state[key], default) and not rollout.owned(_path(key)):
            out[_param(token, key)] = _text(state[key])
    changes = rollout_changes(sc, simulated)
    if changes:
        out[ROLLOUT] = json.dumps(changes, separators=(",", ":"))
    return out


def sync(params: MutableMapping[str, Any], state: Mapping[str, Any], sc, token: str,
         simulated=None) -> None:
    """Make the URL's query parameters those of the current view (only when they differ,
    so an unchanged view does not touch the browser's history)."""
    want = current_params(state, sc, token, simulated)
    have = {k: _one(params, k) for k in params}
    if have == want:
        return
    if hasattr(params, "from_dict"):
        params.from_dict(want)
    else:
        params.clear()
        params.update(want)


def link_edits(state: Mapping[str, Any], sc, token: str) -> dict[str, tuple[Any, Any]]:
    """{input path: (file value, current value)} of the edited widgets (low / likely / high
    triples for uncertain inputs), leaving out the inputs the Rollout tab owns."""
    values = controls.values_from_state(sc, state, token)
    out = {}
    for c in controls.all_controls(sc):
        if rollout.owned(c.path):
            continue
        v = values.get(c.path)
        if not _same(v, c.value):
            out[c.path] = (c.value, v)
    return out


def deck_edits(state: Mapping[str, Any], base, sc, token: str) -> dict[str, tuple[Any, Any]]:
    """{path: (file value, simulated value)}: what the deck's 'Edits to the scenario file'
    slide lists, i.e. every field in which the scenario simulated (``sc``) differs from the
    file (``base``), whichever tab changed it (:func:`scenario_edits.scenario_edits`); a field an
    Assumptions-tab widget shows is listed as the widget's edit (:func:`link_edits`, e.g.
    low / likely / high), so the deck says only what its numbers contain."""
    widgets = link_edits(state, base, token)
    out: dict[str, tuple[Any, Any]] = {}
    for path, change in scenario_edits.scenario_edits(base, sc).items():
        shown = next((p for p in widgets if path == p or path.startswith(p + ".")), None)
        if shown is None:
            out[path] = change
        elif shown not in out:
            out[shown] = widgets[shown]
    return out


__all__ = ["EDITS", "OWNED", "OWN_TABS", "ROLLOUT", "ROLLOUT_PATHS", "SET", "SETTINGS",
           "current_params", "deck_edits", "link_edits", "restore_edits", "restore_rollout",
           "restore_settings", "rollout_changes", "sync", "tab_labels"]
