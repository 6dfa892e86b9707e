"""The Rollout tab: model your own rollout from a template (waves, tiers, correlations).

Composes the editors (:mod:`.waves`, :mod:`.tiers`, :mod:`.correlations`, plus name,
description and currency here) into ``Scenario.with_values`` changes on the template, has the
scenario schema judge them once, and puts each problem line next to its table row. The
editors own the fields they show (pilot team size, tiers, waves, correlations): the
Assumptions tab leaves those out, and :func:`adjusted` merges both tabs' changes.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..scenario import Scenario, ScenarioError
from . import correlations, tables, tiers, waves
from .controls import ControlGroup, changes_from_values, scenario_token, widget_key
from .session import load_file

IN_USE = "The scenario in use (sidebar)"
#: Session key holding the TOML of the scenario the app last simulated (tests read it).
CURRENT = "scenario_toml"
TIERS_PREFIX = "adoption.tiers."
COHORTS_PREFIX = "adoption.cohorts["
EDITORS = ("scenario", "waves", "tiers", "correlations")
TABLES = ("pilot", "waves", "tiers", "correlations")
ENTRY = ("name", "size", "start_month", "tier")
#: Inputs of other tabs the tables are judged against (the horizon, the change plan's tier).
CONTEXT = ("scenario.horizon_months", "levers.change_plan.tier")
#: Session key of the closed tab's last design and what it was read from (:func:`hidden`).
HIDDEN_MEMO = "rollout.hidden"


@dataclass
class Design:
    """The rollout as edited: the template with the editors' changes (or, while they have
    problems, the last valid design), the changes themselves, and the problem lines."""

    scenario: Scenario
    changes: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def owned(path: str) -> bool:
    """Whether the Rollout tab (not the Assumptions tab) edits the input at ``path``."""
    return (path == "pilot.users" or path.startswith(TIERS_PREFIX)
            or path.startswith(COHORTS_PREFIX))


def template_key(loaded: Scenario) -> str:
    """Key of the *Start from* choice; per loaded file, so another file starts afresh."""
    return f"rollout.template|{scenario_token(loaded)}"


def template(state: MutableMapping[str, Any], loaded: Scenario | None,
             directory: str | Path) -> Scenario | None:
    """The scenario the edits start from: the loaded one, or the shipped file chosen."""
    if loaded is None:
        return None
    choice = state.get(template_key(loaded), IN_USE)
    if not choice or choice == IN_USE:
        return loaded
    return load_file(Path(directory) / Path(str(choice)).name)


def assumption_groups(groups: list[ControlGroup]) -> list[ControlGroup]:
    """The Assumptions tab's groups without the controls the Rollout tab owns."""
    out = []
    for g in groups:
        parts = [(h, [c for c in items if not owned(c.path)]) for h, items in g.parts]
        parts = [(h, items) for h, items in parts if items]
        if parts:
            out.append(ControlGroup(g.title, g.caption, parts))
    return out


def meta_read(state: MutableMapping[str, Any], base: Scenario, token: str) -> tables.Edit:
    """Name, description and currency from their text inputs."""
    out = tables.Edit()
    for f in ("name", "description", "currency"):
        path = f"scenario.{f}"
        value = state.get(tables.editor_key(token, f), getattr(base.scenario, f))
        out.rows[path] = f"Scenario {f}"
        if value != getattr(base.scenario, f):
            out.changes[path] = value
    return out


def input_paths(base: Scenario, tier_names: list[str]) -> list[str]:
    """Uncertain inputs a correlation may name: the template's, with the tier table's tiers."""
    tier_paths = [f"{TIERS_PREFIX}{t}.{f}" for t in tier_names for f in tiers.FIELDS]
    out = []
    for p in base.input_paths():
        if p.startswith(TIERS_PREFIX):
            out.extend(q for q in tier_paths if q not in out)
        else:
            out.append(p)
    out.extend(q for q in tier_paths if q not in out)
    return out


def compose(base: Scenario, token: str, edits: dict[str, tables.Edit],
            state: MutableMapping[str, Any]) -> tuple[Design, dict[str, list[str]]]:
    """Validate the editors' changes on ``base`` through the schema.

    Returns the design and each editor's problem lines (key ``""``: lines no table owns).
    The horizon (sidebar) and the change plan's tier (Assumptions tab) are read from their
    widgets so that the waves and tiers are judged against them.
    """
    changes: dict[str, Any] = {}
    for e in edits.values():
        changes.update(e.changes)
    lines: dict[str, list[str]] = {k: list(e.problems) for k, e in edits.items()}
    lines[""] = []
    context = {}
    for path, now in zip(CONTEXT, (base.horizon, base.levers.change_plan.tier), strict=True):
        v = state.get(widget_key(token, path), now)
        if v != now:
            context[path] = v
    last_key = f"rollout.last|{token}"
    structure = None
    try:
        structure = base.with_values({**changes, **context}) if changes or context else base
    except ScenarioError as exc:
        cors = changes.get("correlations", base.to_dict().get("correlations", []))
        for line in exc.problems:
            if line.startswith(correlations.PD_LINE):
                rows = edits["correlations"].rows if "correlations" in edits else {}
                line = correlations.explain(cors, rows) or line
                lines["correlations" if "correlations" in edits else ""].append(line)
                continue
            for k, e in edits.items():
                where = tables.locate(line, e.rows)
                if where is not None:
                    lines[k].append(where)
                    break
            else:
                lines[""].append(line)
    problems = [ln for k in (*edits, "") for ln in lines[k]]
    if structure is not None and not problems:
        state[last_key] = structure
        return Design(structure, changes, []), lines
    return Design(state.get(last_key, base), changes, problems), lines


def read_editors(state: Mapping[str, Any], base: Scenario, token: str,
                 frames: Mapping[str, Any]) -> dict[str, tables.Edit]:
    """Each editor's changes to ``base``: the text inputs, and ``frames`` (one table per
    name in :data:`TABLES`, as the data editors return them)."""
    return {"scenario": meta_read(state, base, token),
            "waves": waves.read(frames["pilot"], frames["waves"], base),
            "tiers": tiers.read(frames["tiers"], base),
            "correlations": correlations.read(frames["correlations"], base)}


def entry_key(token: str, name: str) -> str:
    """Session key of one of the *Add a wave* form's widgets (or its ``problems``)."""
    return tables.editor_key(token, f"add_wave.{name}")


def append_wave(state: MutableMapping[str, Any], base: Scenario, token: str) -> list[str]:
    """Append the *Add a wave* form's entry to the wave table, or leave the table alone and
    return the entry's problem lines.

    The entry is judged as a row of the table would be (the schema, through :func:`compose`,
    on every table as it stands with the row appended), so the lines are the table's own,
    named "Add a wave"; only lines about the new row count (the form cannot fix the others).
    """
    entry = {f: state.get(entry_key(token, f)) for f in ENTRY}
    frames = {n: tables.current_frame(state, token, n) for n in TABLES}
    row = waves.new_wave(frames["waves"], **entry)
    problems = waves.entry_problems(row)
    # The schema judges the row with the fields found wrong above set to valid stand-ins (a
    # field error would keep it from checking the start month against the horizon and the
    # tier against the tiers), on a scratch layer over the session (the trial must not
    # become the last valid design).
    trial = waves.append(frames["waves"], waves.stand_in(row, tiers.names(frames["tiers"])))
    edits = read_editors(state, base, token, {**frames, "waves": trial})
    _, lines = compose(base, token, edits, ChainMap({}, state))
    problems += waves.entry_lines(lines["waves"], trial, row)
    if not problems:
        tables.replace_frame(state, token, "waves", waves.append(frames["waves"], row))
    return problems


def add_wave(base: Scenario, token: str) -> None:
    """The form's button callback: runs before the rerun, so the table shows the new wave."""
    import streamlit as st

    st.session_state[entry_key(token, "problems")] = append_wave(st.session_state, base, token)


def add_wave_form(base: Scenario, token: str, tier_names: list[str], next_row: int,
                  last_tier: str | None) -> None:
    """The *Add a wave* form: name, size, start month and tier, added with one button (no
    rerun while typing; the wave table's grid stays for editing, removing, reordering)."""
    import streamlit as st

    from ..scenario import Cohort
    from .widgets import PERSIST

    f = Cohort.model_fields
    keep = {"persist_state": PERSIST}  # the entry stays while the tab is closed
    with st.form(entry_key(token, "form")):
        st.markdown("**Add a wave**")
        c = st.columns([3, 2, 2, 3, 2], vertical_alignment="bottom")
        c[0].text_input("Wave", key=entry_key(token, "name"), placeholder=f"Wave {next_row}",
                        help=f"{f['name'].description} Empty: \"Wave {next_row}\".", **keep)
        c[1].number_input("Size (users)", min_value=0, value=100, step=1,
                          key=entry_key(token, "size"), help=f["size"].description, **keep)
        c[2].number_input("Start month", min_value=0, max_value=120,
                          value=f["start_month"].default, step=1,
                          key=entry_key(token, "start_month"),
                          help=f["start_month"].description, **keep)
        c[3].selectbox("Onboarding tier", tier_names,
                       index=tier_names.index(last_tier) if last_tier in tier_names else 0,
                       key=entry_key(token, "tier"), help=f["tier"].description, **keep)
        c[4].form_submit_button("Add the wave", on_click=add_wave, args=(base, token),
                                key=entry_key(token, "submit"), width="stretch")
    tables.show_lines(st.session_state.get(entry_key(token, "problems")) or [])


def _init(state: MutableMapping[str, Any], key: str, value: Any) -> None:
    if key not in state:
        state[key] = value


@dataclass
class Tab:
    """The Rollout tab as session state holds it, drawn or not: each table as kept with the
    key of the data editor showing it (``shown``), the tier names and input paths the
    tables offer as choices, each table as its editor returns it (``frames``: the kept
    table with the pending edits), the design and each editor's problem lines."""

    shown: dict[str, tuple[pd.DataFrame, str]]
    tier_names: list[str]
    paths: list[str]
    frames: dict[str, pd.DataFrame]
    design: Design
    lines: dict[str, list[str]]


def read_tab(state: MutableMapping[str, Any], base: Scenario, token: str) -> Tab:
    """Read the tab from session state: the kept tables with their editors' pending edits
    (:func:`tables.current_frame`) and the text inputs, judged by :func:`compose`. The one
    way the editors are read, whether the tab is drawn or not."""
    shown = {"tiers": tables.table_state(state, token, "tiers", tiers.frame(base))}
    names = tiers.names(tables.current_frame(state, token, "tiers"))
    shown["pilot"] = tables.table_state(state, token, "pilot", waves.pilot_frame(base), names)
    shown["waves"] = tables.table_state(state, token, "waves", waves.waves_frame(base), names)
    paths = input_paths(base, names)
    shown["correlations"] = tables.table_state(state, token, "correlations",
                                               correlations.frame(base), paths)
    frames = {n: tables.current_frame(state, token, n) for n in TABLES}
    d, lines = compose(base, token, read_editors(state, base, token, frames), state)
    return Tab(shown, names, paths, frames, d, lines)


def design(state: MutableMapping[str, Any], base: Scenario, token: str) -> Design:
    """The design as the Rollout tab would return it, without drawing anything."""
    return read_tab(state, base, token).design


def hidden(state: MutableMapping[str, Any], base: Scenario, token: str) -> Design:
    """The design while the tab is closed (nothing of it drawn), exactly as when it is drawn.

    The tables' pending edits are then folded into the kept tables (Streamlit forgets the
    state of a data editor left out of a run); the text inputs and the template choice keep
    theirs (``persist_state``).

    The design is read again only when something it is read from has changed since the last
    closed run (:func:`_read_from`): reading the four tables cost about 8 ms a rerun.
    """
    memo = state.get(HIDDEN_MEMO)
    if memo is not None and memo[0] == _read_from(state, token):
        return memo[1]
    d = design(state, base, token)
    for name in TABLES:
        tables.fold_edits(state, token, name)
    state[HIDDEN_MEMO] = (_read_from(state, token), d)  # after folding, as the next run sees
    return d


def _read_from(state: Mapping[str, Any], token: str) -> tuple:
    """What the closed tab's design is read from: the scenario (``token``), each kept table
    (kept tables are replaced, never changed in place) with its editor's key and pending
    edits, the text inputs, and the other tabs' inputs the tables are judged against."""
    parts: list[Any] = [token]
    for name in TABLES:
        key = tables.current_key(state, token, name)
        parts += [key, id(state.get(tables.editor_key(token, f"{name}.table"))),
                  repr(state.get(key))]
    parts += [state.get(tables.editor_key(token, f)) for f in ("name", "description",
                                                               "currency")]
    parts += [state.get(widget_key(token, p)) for p in CONTEXT]
    return tuple(parts)


def render(loaded: Scenario, base: Scenario, token: str, files: list[str]) -> Design:
    """Draw the Rollout tab and return the design; the app calls it only while the tab is
    open (closed, :func:`hidden` gives the same design)."""
    import streamlit as st

    from .widgets import PERSIST, reset_inputs

    state = st.session_state
    st.caption("Model your own rollout: start from a template, then edit the waves, the "
               "onboarding tiers and the correlations between inputs. Each row is checked "
               "against the scenario format; a problem is listed under its table and the "
               "results come back once it is fixed. Horizon and discount rate are in the "
               "sidebar, every other input in the Assumptions tab.")
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    c1.selectbox("Start from", [IN_USE, *files], key=template_key(loaded), persist_state=PERSIST,
                 help="A shipped scenario as the template, or the scenario chosen in the "
                      "sidebar. Changing it starts every edit afresh.")
    c2.button("Reset to the template", on_click=reset_inputs, args=(token,), width="stretch",
              key=tables.editor_key(token, "reset"),
              help="Forget every edit (here and in the Assumptions tab).")
    for f in ("name", "description", "currency"):
        _init(state, tables.editor_key(token, f), getattr(base.scenario, f))
    meta_fields = type(base.scenario).model_fields
    c1, c2 = st.columns([3, 1])
    c1.text_input("Name", key=tables.editor_key(token, "name"), persist_state=PERSIST,
                  help=meta_fields["name"].description)
    c2.text_input("Currency", key=tables.editor_key(token, "currency"), max_chars=3,
                  persist_state=PERSIST, help=meta_fields["currency"].description)
    st.text_area("Description", key=tables.editor_key(token, "description"), height=68,
                 persist_state=PERSIST, help=meta_fields["description"].description)
    tab = read_tab(state, base, token)
    names = tab.tier_names
    boxes = {"scenario": st.container()}

    st.subheader("Waves")
    st.caption("The pilot team is wave 0: all active at month 0, adopting as its tier. Add "
               "a rollout wave with the form below the table (or the + under it), remove "
               "waves by selecting rows, reorder them with the Order column.")
    tables.render_table(*tab.shown["pilot"], waves.column_config(names), dynamic=False,
                        disabled=("name", "start_month"))
    last = base.adoption.cohorts[-1].tier if base.adoption.cohorts else None
    tables.render_table(*tab.shown["waves"],
                        waves.column_config(names, last if last in names else None))
    boxes["waves"] = st.container()
    add_wave_form(base, token, names, len(tables.records(tab.frames["waves"])) + 1, last)
    st.subheader("Onboarding tiers")
    st.caption("How far (ceiling) and how fast (Bass p, q) a wave adopts, and what onboarding "
               "costs per user, each as low / likely / high: an edited field becomes "
               "PERT(low, likely, high), or a fixed number when all three are equal.")
    tables.render_table(*tab.shown["tiers"], tiers.column_config(base.scenario.currency))
    boxes["tiers"] = st.container()
    st.subheader("Correlations")
    st.caption("Pairs of uncertain inputs that move together, as a Spearman rank "
               "correlation between -1 and 1. Together they must form a valid (positive "
               "definite) correlation matrix.")
    tables.render_table(*tab.shown["correlations"], correlations.column_config(tab.paths))
    boxes["correlations"] = st.container()

    d, lines = tab.design, tab.lines
    for k, box in boxes.items():
        with box:
            tables.show_lines(lines[k] + (lines[""] if k == "scenario" else []))
    if not d.problems:
        steps = waves.registered_by_month(d.scenario)
        with boxes["waves"]:
            st.caption("Registered users: " + ", ".join(
                f"{n:,} from month {m}" for m, n in steps) + ".")
    return d


def adjusted(base: Scenario, design: Design, values: dict[str, Any],
             state: MutableMapping[str, Any] | None = None) -> Scenario:
    """The scenario to simulate: ``base`` with the Rollout tab's and the Assumptions tab's
    changes, validated once (``base`` itself when nothing changed).

    ``values``: :func:`~simulator.ui.controls.values_from_state` of ``base``; the inputs the
    Rollout tab owns are taken from the design. Raises :class:`ScenarioError`.
    """
    if design.problems:
        raise ScenarioError(design.problems)
    ch = changes_from_values(base, {p: v for p, v in values.items() if not owned(p)})
    ch.update(design.changes)
    sc = base.with_values(ch) if ch else base
    if state is not None:
        state[CURRENT] = sc.to_toml()
    return sc


__all__ = ["CURRENT", "IN_USE", "Design", "Tab", "add_wave", "add_wave_form", "adjusted",
           "append_wave", "assumption_groups", "compose", "design", "entry_key", "hidden",
           "input_paths", "meta_read", "owned", "read_editors", "read_tab", "render",
           "template", "template_key"]
