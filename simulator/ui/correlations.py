"""The correlation table: pairs of uncertain inputs with a target Spearman coefficient.

Read back as the ``correlations`` list. The schema rejects a set of coefficients that is not a
valid (positive definite) correlation matrix; :func:`conflicts` names the pairs responsible,
so the message says which rows to change.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..scenario import Scenario
from .tables import Edit, records

COLUMNS = ("a", "b", "rho")
#: Smallest eigenvalue the schema accepts (``Scenario._cross_checks``).
MIN_EIGENVALUE = 1e-10
PD_LINE = "correlations: the requested rank correlations are not a valid"


def frame(sc: Scenario) -> pd.DataFrame:
    df = pd.DataFrame([{"a": c.a, "b": c.b, "rho": c.rho} for c in sc.correlations],
                      columns=list(COLUMNS))
    return df.astype({"a": "str", "b": "str", "rho": "float64"})


def read(df: pd.DataFrame, template: Scenario) -> Edit:
    """The ``correlations`` list from the rows; a pair given twice is a problem line."""
    out = Edit()
    cors: list[dict[str, Any]] = []
    seen: dict[frozenset, int] = {}
    for r, row in enumerate(records(df), start=1):
        a, b, rho = row.get("a"), row.get("b"), row.get("rho")
        label = f"Correlations, row {r}" + (f" ({a} ~ {b})" if a and b else "")
        key = frozenset((a, b))
        if a and b and a != b and key in seen:
            out.problems.append(f"{label}: the same pair as row {seen[key]}; keep one")
            continue
        seen.setdefault(key, r)
        out.rows[f"correlations[{len(cors)}]"] = label
        cors.append({k: v for k, v in (("a", a), ("b", b), ("rho", rho)) if v is not None})
    if cors != template.to_dict().get("correlations", []):
        out.changes["correlations"] = cors
    return out


def min_eigen(pairs: list[tuple[str, str, float]]) -> tuple[float, np.ndarray, list[str]]:
    """Smallest eigenvalue and its eigenvector of the correlation matrix over the inputs the
    pairs name (every other input is uncorrelated, so this decides positive definiteness)."""
    names = sorted({p for a, b, _ in pairs for p in (a, b)})
    if not names:  # no pair: the identity
        return 1.0, np.zeros(0), names
    idx = {n: i for i, n in enumerate(names)}
    m = np.eye(len(names))
    for a, b, rho in pairs:
        m[idx[a], idx[b]] = m[idx[b], idx[a]] = rho
    w, v = np.linalg.eigh(m)
    return float(w[0]), v[:, 0], names


def conflicts(pairs: list[tuple[str, str, float]]) -> tuple[float, list[int], bool]:
    """(smallest eigenvalue, indices of the offending pairs, whether dropping any one of them
    alone restores a valid matrix) for a set of pairs that is not positive definite.

    Offending pairs: those whose removal on its own makes the matrix positive definite; when
    no single removal does, the pairs inside the support of the eigenvector of the smallest
    eigenvalue (both inputs carry at least a tenth of its largest weight).
    """
    lam, vec, names = min_eigen(pairs)
    idx = {n: i for i, n in enumerate(names)}
    fixes = [k for k in range(len(pairs))
             if min_eigen(pairs[:k] + pairs[k + 1:])[0] > MIN_EIGENVALUE]
    if fixes:
        return lam, fixes, True
    w = np.abs(vec)
    cut = 0.1 * w.max()
    support = [k for k, (a, b, _) in enumerate(pairs) if w[idx[a]] >= cut and w[idx[b]] >= cut]
    return lam, support, False


def explain(cors: list[dict[str, Any]], rows: dict[str, str]) -> str | None:
    """A one-line message naming the offending pairs, or None when the pairs are valid (or
    incomplete: the schema reports those)."""
    pairs = []
    for c in cors:
        if not (isinstance(c.get("a"), str) and isinstance(c.get("b"), str)
                and isinstance(c.get("rho"), int | float)) or c["a"] == c["b"]:
            return None
        pairs.append((c["a"], c["b"], float(c["rho"])))
    if not pairs:
        return None
    lam, bad, single = conflicts(pairs)
    if lam > MIN_EIGENVALUE:
        return None
    named = "; ".join(f"{rows.get(f'correlations[{k}]', f'correlations[{k}]')} rho "
                      f"{pairs[k][2]:g}" for k in bad)
    fix = ("weakening or removing any one of them fixes it" if single else
           "weaken them together (no single removal fixes it)")
    return (f"Correlations: not a valid (positive definite) correlation matrix, smallest "
            f"eigenvalue {lam:.3g}; the pairs in conflict are {named}: {fix} (correlations)")


def column_config(paths: list[str]) -> dict[str, Any]:
    import streamlit as st

    from ..scenario import Correlation

    f = Correlation.model_fields
    return {
        "a": st.column_config.SelectboxColumn("Input A", options=paths, help=f["a"].description),
        "b": st.column_config.SelectboxColumn("Input B", options=paths, help=f["b"].description),
        "rho": st.column_config.NumberColumn("Spearman rho", min_value=-1.0, max_value=1.0,
                                             step=0.05, help=f["rho"].description),
    }


__all__ = ["COLUMNS", "column_config", "conflicts", "explain", "frame", "min_eigen", "read"]
