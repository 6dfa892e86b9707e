"""CSV cells that a spreadsheet cannot run: OWASP CSV-injection neutralisation.

A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
Excel / LibreOffice as a formula (a scenario named ``=HYPERLINK("http://x","click")``
becomes a live link). Every CSV the project writes goes through :func:`to_csv`, which
prefixes such text with a single quote. Numbers are left alone (a negative NPV stays a
number), and so is text that is exactly a number (``-12.5``).
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

#: First characters a spreadsheet treats as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def neutralise(value: Any) -> Any:
    """``value`` made safe for a CSV cell: formula-like text gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.match(
            value):
        return "'" + value
    return value


def _safe_labels(labels: pd.Index) -> pd.Index:
    if isinstance(labels, pd.MultiIndex):
        return labels.set_levels([_safe_labels(lv) for lv in labels.levels])
    if labels.dtype == object or isinstance(labels.dtype, pd.StringDtype | pd.CategoricalDtype):
        return pd.Index([neutralise(v) for v in labels], name=neutralise(labels.name))
    return labels.rename(neutralise(labels.name))


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells, column names and index labels are neutralised."""
    out = df.copy()
    for i in range(out.shape[1]):
        s = out.iloc[:, i]
        if s.dtype == object or isinstance(s.dtype, pd.StringDtype | pd.CategoricalDtype):
            out.isetitem(i, s.astype(object).map(neutralise))
    out.columns = _safe_labels(out.columns)
    out.index = _safe_labels(out.index)
    return out


def to_csv(df: pd.DataFrame, path_or_buf: Any = None, **kwargs: Any) -> str | None:
    """``df.to_csv(path_or_buf, **kwargs)`` with every cell neutralised (text when
    ``path_or_buf`` is None)."""
    return safe_frame(df).to_csv(path_or_buf, **kwargs)


__all__ = ["FORMULA_STARTS", "neutralise", "safe_frame", "to_csv"]
