"""Shared pieces of the table editors (waves, tiers, correlations; gates can follow).

Each editor module turns a scenario into the table the user edits (``frame``) and the edited
table back into ``Scenario.with_values`` changes (``read`` -> :class:`Edit`). The schema judges
the result; :func:`locate` puts each of its problem lines next to the table row it concerns.
The pure helpers here have no Streamlit; :func:`render_table` draws one editor.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..scenario import as_dist
from .controls import widget_key
from .plain import md_unlink

PARTS = ("low", "likely", "high")

#: How a schema field is named in the tables' messages (others: underscores as spaces).
FIELD_LABELS = {"users": "size", "pilot_tier": "tier", "rho": "Spearman rho",
                "innovation_p": "innovation p", "imitation_q": "imitation q"}


@dataclass
class Edit:
    """What one editor contributes: scenario changes, problems found before the schema
    (empty cells, duplicate names), and which schema path prefix belongs to which row."""

    changes: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    rows: dict[str, str] = field(default_factory=dict)  # path prefix -> "Waves, row 2 (...)"


def editor_key(token: str, name: str) -> str:
    """Session key of an editor widget; under the scenario's ``in|token|`` prefix, so the
    app's reset button (which forgets every ``in|token|`` key) resets the editors too."""
    return widget_key(token, f"editor.{name}")


def gen_key(token: str, name: str) -> str:
    """Key of the table's generation counter (outside ``in|token|``: a reset never reuses a
    widget key the browser may still hold)."""
    return f"rollout.gen|{token}|{name}"


def current_key(state: Mapping[str, Any], token: str, name: str) -> str:
    """Key of the data editor now showing table ``name`` (its edit state lives there)."""
    return f"{editor_key(token, name)}|{state.get(gen_key(token, name), 0)}"


def has_edits(edits: Any) -> bool:
    return isinstance(edits, Mapping) and any(
        edits.get(k) for k in ("edited_rows", "added_rows", "deleted_rows"))


def apply_edits(df: pd.DataFrame, edits: Mapping[str, Any]) -> pd.DataFrame:
    """A data editor's edit state applied to the table it showed, as Streamlit applies it:
    cell edits, then row deletions, then added rows (positions are row numbers)."""
    cols = list(df.columns)
    rows = [dict(r) for r in df.to_dict("records")]
    for r, change in (edits.get("edited_rows") or {}).items():
        r = int(r)
        if 0 <= r < len(rows):
            rows[r].update({k: v for k, v in change.items() if k in cols})
    gone = {int(r) for r in edits.get("deleted_rows") or []}
    rows = [r for i, r in enumerate(rows) if i not in gone]
    for added in edits.get("added_rows") or []:
        rows.append({c: added.get(c) for c in cols})
    out = pd.DataFrame(rows, columns=cols)
    for c in cols:
        if pd.api.types.is_numeric_dtype(df[c].dtype):
            out[c] = pd.to_numeric(out[c], errors="coerce")
            if pd.api.types.is_integer_dtype(df[c].dtype) and out[c].notna().all():
                out[c] = out[c].astype("int64")
            elif not pd.api.types.is_integer_dtype(out[c].dtype):
                out[c] = out[c].astype("float64")
        else:
            out[c] = out[c].astype(df[c].dtype)
    return out


def table_state(state: MutableMapping[str, Any], token: str, name: str,
                template: pd.DataFrame, choices: Any = None) -> tuple[pd.DataFrame, str]:
    """(the data to show, the key of the data editor showing it) for table ``name``.

    A data editor that can add rows is re-created, its pending edits dropped, whenever its
    data or column settings change; the wave table's tier choices follow the tier table, so
    they do. ``choices`` stands for those settings: when it differs from the last run's, the
    pending edits are folded into the table kept in session state and a new editor (a new
    key) shows it. Otherwise data and key stay put, so the grid is not redrawn at each edit.
    """
    store = editor_key(token, f"{name}.table")
    sig_key = editor_key(token, f"{name}.choices")
    if store not in state:
        state[store] = template
        state[sig_key] = repr(choices)
    key = current_key(state, token, name)
    if state.get(sig_key) != repr(choices):
        state[sig_key] = repr(choices)
        edits = state.get(key)
        if has_edits(edits):
            state[store] = apply_edits(state[store], edits)
            state[gen_key(token, name)] = state.get(gen_key(token, name), 0) + 1
            key = current_key(state, token, name)
    return state[store], key


def current_frame(state: Mapping[str, Any], token: str, name: str) -> pd.DataFrame:
    """Table ``name`` as its data editor shows it now: the kept table with the editor's
    pending edits applied (what the editor returns on the next run)."""
    df = state[editor_key(token, f"{name}.table")]
    edits = state.get(current_key(state, token, name))
    return apply_edits(df, edits) if has_edits(edits) else df.copy()


def replace_frame(state: MutableMapping[str, Any], token: str, name: str,
                  df: pd.DataFrame) -> None:
    """Keep ``df`` as table ``name`` and show it in a new data editor (a new key), so the
    old editor's pending edits (already in ``df``) are not applied twice."""
    state[editor_key(token, f"{name}.table")] = df
    state[gen_key(token, name)] = state.get(gen_key(token, name), 0) + 1


def fold_edits(state: MutableMapping[str, Any], token: str, name: str) -> bool:
    """Fold the pending edits of table ``name``'s data editor into the kept table and show
    it in a new editor (a new key, so they are never applied twice); the old editor's edit
    state is dropped. For an editor about not to be drawn: Streamlit forgets the state of
    a widget left out of a run, and a data editor cannot keep it (no ``persist_state``).
    Returns whether there was anything to fold."""
    key = current_key(state, token, name)
    store = editor_key(token, f"{name}.table")
    edits = state.get(key)
    if store not in state or not has_edits(edits):
        return False
    replace_frame(state, token, name, apply_edits(state[store], edits))
    del state[key]
    return True


def cell(v: Any) -> Any:
    """A table cell as plain Python: None for an empty cell, numpy scalars unwrapped."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if hasattr(v, "item") and not isinstance(v, str):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, str) and not v.strip():
        return None
    return v


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """The table's rows as dicts of plain values, rows with every cell empty left out."""
    out = []
    for row in df.to_dict("records"):
        clean = {str(k): cell(v) for k, v in row.items()}
        if any(v is not None for v in clean.values()):
            out.append(clean)
    return out


def whole(v: Any) -> Any:
    """A float that is a whole number as int (tables store integer columns as floats once a
    cell is empty); anything else unchanged, so the schema reports it."""
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def field_label(name: str) -> str:
    return FIELD_LABELS.get(name, name.replace("_", " "))


def three(value: Any, lo: float, hi: float) -> tuple[float, float, float]:
    """(low, likely, high) of a scenario value as the app shows it (``Dist.describe``)."""
    low, likely, high = as_dist(value, lo, hi).describe()
    return float(low), float(likely), float(high)


def spec(value: Any) -> Any:
    """A validated field value as plain TOML data (a number or a distribution table)."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    return value


def uncertain_value(row: Mapping[str, Any], name: str, label: str, original: Any,
                    lo: float, hi: float, problems: list[str]) -> Any:
    """The value of an uncertain field from its ``<name>_low/_likely/_high`` cells.

    Unchanged from ``original`` (the template's value): the original, distribution and all.
    Edited: a fixed number when low = likely = high, else PERT(low, likely, high) (keeping the
    original PERT shape); the schema then checks order and range. An empty cell is a problem
    line here and the value a placeholder 0.0, so the schema does not report it twice.
    """
    vals = [row.get(f"{name}_{p}") for p in PARTS]
    missing = [p for p, v in zip(PARTS, vals, strict=True) if v is None]
    if missing:
        problems.append(f"{label}, {field_label(name)}: {' and '.join(missing)} "
                        f"{'is' if len(missing) == 1 else 'are'} empty (give low, likely and "
                        f"high; all three equal for a fixed number)")
        return 0.0
    low, likely, high = (float(v) for v in vals)
    if original is not None:
        old = three(original, lo, hi)
        if all(math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)
               for a, b in zip((low, likely, high), old, strict=True)):
            return spec(original)
    if low == likely == high:
        return low
    out: dict[str, Any] = {"dist": "pert", "min": low, "mode": likely, "max": high}
    lam = getattr(original, "lambda_", None)
    if getattr(original, "dist", None) == "pert" and lam is not None and lam != 4.0:
        out["lambda"] = lam
    return out


def locate(line: str, rows: Mapping[str, str]) -> str | None:
    """The schema line ``path: message`` rewritten as ``row label, field: message (path)``
    when ``path`` lies under one of ``rows``' prefixes (the longest wins); else None."""
    path, sep, msg = line.partition(": ")
    if not sep:
        return None
    best = None
    for prefix in rows:
        if path == prefix or path.startswith((prefix + ".", prefix + "[")):
            if best is None or len(prefix) > len(best):
                best = prefix
    if best is None:
        return None
    rest = path[len(best):].lstrip(".")
    what = ", " + ", ".join(field_label(p) for p in rest.split(".")) if rest else ""
    return f"{rows[best]}{what}: {msg} ({path})"


def render_table(df: pd.DataFrame, key: str, column_config: dict[str, Any], *,
                 dynamic: bool = True, disabled: tuple[str, ...] = (),
                 column_order: tuple[str, ...] | None = None) -> pd.DataFrame:
    """One editor table (``df`` and ``key`` from :func:`table_state`), rows added / removed
    when ``dynamic``."""
    import streamlit as st

    return st.data_editor(df, key=key, column_config=column_config, hide_index=True,
                          num_rows="dynamic" if dynamic else "fixed", width="stretch",
                          disabled=list(disabled), column_order=column_order)


def show_lines(lines: list[str]) -> None:
    """One ``st.error`` per problem line (the app keeps running)."""
    import streamlit as st

    for line in lines:
        st.error(md_unlink(line))


__all__ = ["FIELD_LABELS", "PARTS", "Edit", "apply_edits", "cell", "current_frame",
           "current_key", "editor_key", "field_label", "fold_edits", "gen_key", "has_edits",
           "locate", "records", "render_table", "replace_frame", "show_lines", "spec",
           "table_state", "three", "uncertain_value", "whole"]
