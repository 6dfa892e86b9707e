"""How every number is written: money, shares, counts and months, in one style for the
app, the CLI, the deck, the workbook and the charts.

Money carries the scenario's ISO currency code in front (``USD 1.23M``, ``-USD 350k``,
``USD 1,234``, ``USD 0.004``) so a figure pasted anywhere says what it is in; the Excel /
PowerPoint number formats and the Vega axis expression below write it the same way.
Sits low in the house (nothing here imports the model), so any layer may use it.
"""

from __future__ import annotations

import json
import math
from typing import Any

NA = "n/a"

#: Excel / PowerPoint number formats that need no currency.
PERCENT_FORMAT = "0.0%"
COUNT_FORMAT = "#,##0"
DECIMAL_FORMAT = "#,##0.0"
MONTH_FORMAT = "0"
NUMBER_FORMAT = "#,##0.####"

#: The kinds a value can be formatted as (see :func:`value`).
KINDS = ("money", "share", "count", "months", "number", "text", "bool")


def missing(v: Any) -> bool:
    """True for None, NaN, +-inf and pandas' NA: values written as ``n/a`` (text is not)."""
    if v is None or type(v).__name__ == "NAType":
        return True
    if isinstance(v, str):
        return False
    try:
        return not math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def money(v: float | None, currency: str, *, sig: int = 3) -> str:
    """Money: ``USD 1.23M``, ``-USD 350k``, ``USD 1,234``, ``USD 0.004``; ``n/a`` if missing.

    Amounts of 10,000 and more are abbreviated to ``sig`` significant digits (k, M, B);
    smaller whole amounts keep every digit; amounts below 100 with a fraction keep three
    significant digits, so an inference price of 0.004 does not read as 0.
    """
    if missing(v):
        return NA
    x = float(v)
    sign = "-" if x < 0 else ""
    a = abs(x)
    if a >= 1e4:
        for div, suffix in ((1e3, "k"), (1e6, "M"), (1e9, "B")):
            # 999,999 is USD 1M, not USD 1,000k
            if round(a / div, sig - 1 - int(math.floor(math.log10(a / div)))) < 1000 \
                    or suffix == "B":
                return f"{sign}{currency} {_sig(a / div, sig)}{suffix}"
    if a < 5e-5:  # below a hundredth of a cent: zero
        return f"{currency} 0"
    if a < 100 and a != round(a):
        return f"{sign}{currency} {_sig(a, 3)}"
    return f"{sign}{currency} {a:,.0f}"


def _sig(x: float, sig: int) -> str:
    """``x`` to ``sig`` significant digits without scientific notation (1.23, 12.3, 123)."""
    if x == 0:
        return "0"
    digits = max(0, sig - 1 - int(math.floor(math.log10(abs(x)))))
    text = f"{x:,.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def money_row(values: list[float | None], currency: str, *, sig: int = 3) -> list[str]:
    """Money figures read side by side (low / likely / high, P10 / P50 / P90) in one
    scale: the largest one's suffix for all, so a row never reads ``USD 5,000 / USD 8,000
    / USD 12k``. Rows below 10,000 (and rows with a fraction below 100) keep
    :func:`money`'s own style."""
    finite = [abs(float(v)) for v in values if not missing(v)]
    big = max(finite, default=0.0)
    if big < 1e4:
        return [money(v, currency, sig=sig) for v in values]
    div, suffix = next(((d, s) for d, s in ((1e9, "B"), (1e6, "M"), (1e3, "k"))
                        if round(big / d, sig - 1 - int(math.floor(math.log10(big / d))))
                        >= 1), (1e3, "k"))
    digits = max(0, sig - 1 - int(math.floor(math.log10(big / div))))
    out = []
    for v in values:
        if missing(v):
            out.append(NA)
            continue
        x = float(v) / div
        text = f"{abs(x):,.{digits}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        out.append(f"{'-' if x < 0 and text != '0' else ''}{currency} {text}{suffix}")
    return out


def money_delta(v: float | None, currency: str) -> str:
    """A signed change in money: ``+USD 12.5k``, ``-USD 3,000``."""
    if missing(v):
        return NA
    return ("+" if float(v) > 0 else "") + money(v, currency)


def pct(v: float | None, digits: int = 0) -> str:
    """A share as a percentage: 0.234 -> ``23%`` (``digits`` decimals); ``n/a`` if missing."""
    return NA if missing(v) else f"{float(v) * 100:.{digits}f}%"


def pp(v: float | None, digits: int = 1) -> str:
    """A difference of two shares in percentage points: 0.034 -> ``3.4 pp``."""
    return NA if missing(v) else f"{float(v) * 100:.{digits}f} pp"


def count(v: float | None) -> str:
    """A count with thousands separators: 12345.6 -> ``12,346``."""
    return NA if missing(v) else f"{float(v):,.0f}"


def month(v: float | None) -> str:
    """A month of the horizon, e.g. a payback month: ``month 16``; missing means it never
    happens within the horizon."""
    return "not within horizon" if missing(v) else f"month {float(v):.0f}"


def months(v: float | None) -> str:
    """A duration: ``1 month``, ``3 months``, ``2.5 months``."""
    if missing(v):
        return NA
    x = float(v)
    return f"{x:g} month" if x == 1 else f"{x:,.3g} months"


def number(v: float | None) -> str:
    """A plain number: whole numbers with separators, others to four significant digits."""
    if missing(v):
        return NA
    x = float(v)
    if x == int(x) and abs(x) < 1e15:
        return f"{int(x):,}"
    return f"{x:,.4g}"


def value(v: Any, kind: str, currency: str = "USD") -> str:
    """Format ``v`` by its kind (one of :data:`KINDS`)."""
    if kind == "text":
        return "" if v is None else str(v)
    if kind == "bool":
        return "on" if v else "off"
    if kind == "money":
        return money(v, currency)
    if kind == "share":
        return pct(v, 1)
    if kind == "count":
        return count(v)
    if kind == "months":
        return month(v)
    return number(v)


# --------------------------------------------------------------------------- spreadsheets


def _quoted(currency: str) -> str:
    return '"' + currency.replace('"', "") + ' "'


def excel_money_format(currency: str, decimals: int = 0) -> str:
    """Excel / PowerPoint number format for money: ``USD 1,234`` and ``-USD 1,234``."""
    q = _quoted(currency)
    dec = "." + "0" * decimals if decimals else ""
    return f"{q}#,##0{dec};-{q}#,##0{dec}"


def chart_money_format(currency: str, max_abs: float, precise: bool = False) -> str:
    """Axis number format that scales to k or M so tick labels stay short (``USD 1.5M``).

    Excel divides by 1,000 for each trailing comma, so the series keep exact values.
    ``precise`` adds a decimal (data labels: -USD 20.7k must not read as -USD 0.0M).
    """
    q = _quoted(currency)
    if max_abs >= 1e6:
        body = '#,##0.00,,"M"' if precise else '#,##0.0,,"M"'
    elif max_abs >= 1e4:
        body = '#,##0.0,"k"' if precise else '#,##0,"k"'
    else:
        body = "#,##0"
    return f"{q}{body};-{q}{body}"


def money_decimals(values) -> int:
    """Decimals an Excel money format needs so small amounts do not show as 0."""
    finite = [abs(float(x)) for x in values if not missing(x)]
    if not finite or max(finite) >= 100 or all(x == round(x) for x in finite):
        return 0
    return 2 if max(finite) >= 1 else 4


def excel_format(kind: str, currency: str, decimals: int = 0) -> str | None:
    """Excel number format of a kind (None for text)."""
    return {"money": excel_money_format(currency, decimals), "share": PERCENT_FORMAT,
            "count": COUNT_FORMAT, "months": MONTH_FORMAT, "number": NUMBER_FORMAT,
            "decimal": DECIMAL_FORMAT}.get(kind)


# --------------------------------------------------------------------------- charts (Vega)


def money_axis_expr(currency: str) -> str:
    """Vega ``labelExpr`` writing a money axis as the rest of the app does: ``USD 1.2M``,
    ``-USD 350k`` (SI-abbreviated, G written as B)."""
    prefix = json.dumps(currency + " ")
    return (f"(datum.value < 0 ? '-' : '') + {prefix} + "
            f"replace(format(abs(datum.value), '~s'), 'G', 'B')")


def json_value(v: Any) -> Any:
    """A value JSON can carry: numpy scalars as Python numbers, NaN and infinities as null."""
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


__all__ = ["COUNT_FORMAT", "DECIMAL_FORMAT", "KINDS", "MONTH_FORMAT", "NA", "NUMBER_FORMAT",
           "PERCENT_FORMAT", "chart_money_format", "count", "excel_format",
           "excel_money_format", "json_value", "missing", "money", "money_axis_expr",
           "money_decimals", "money_delta", "month", "months", "number", "pct", "pp", "value"]

