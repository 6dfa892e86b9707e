"""The actuals file: what a live rollout has measured, month by month.

A CSV with a ``month`` column (months after go-live, 1 = the first month) and any of
``registered``, ``active_users``, ``accuracy``, ``incidents``, ``cost``, and a usage
survey: ``survey_n`` respondents and the shares ``used_daily``, ``used_weekly``,
``used_less`` (how public evaluations report use). Empty cells are missing values
(nothing was measured that month). Every problem is reported as one line
naming the row, the column, the value and what is allowed, raised as
:class:`ActualsError`; rows are numbered as a spreadsheet shows them (the header is row 1).
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..csv_safe import to_csv
from ..scenario.fields import MAX_INCIDENTS_PER_MONTH, MAX_MONEY_PER_MONTH, MAX_USERS

#: Columns an actuals file may have besides ``month``, in display order.
OBSERVED = ("registered", "active_users", "accuracy", "incidents", "cost")
#: Usage-survey columns: respondents and the shares using the tool daily, weekly (at
#: least weekly, not daily) and less often (including never); see docs/actuals.md.
USAGE = ("survey_n", "used_daily", "used_weekly", "used_less")
#: Active-user counts under the other published definitions (out of ``registered``):
#: ever used (cumulative adopters), active at least weekly, active at least daily; each
#: is conditioned on the matching telemetry series (simulator.telemetry).
DEFINED = ("ever_used_users", "weekly_active_users", "daily_active_users")
#: Each definition column's telemetry series.
DEFINED_SERIES = {"active_users": "active_rate", "ever_used_users": "ever_used",
                  "weekly_active_users": "weekly_active_rate",
                  "daily_active_users": "daily_active_rate"}
#: Every column besides ``month``.
COLUMNS = OBSERVED + DEFINED + USAGE
#: The three usage shares, in order.
USAGE_SHARES = ("used_daily", "used_weekly", "used_less")
#: How far three given shares may sum from 1 (published percentages are rounded).
SHARE_SUM_TOLERANCE = 0.03
#: Whole, non-negative counts.
COUNTS = ("registered", "active_users", "incidents", "survey_n") + DEFINED
#: What each column means (for docs, the app and error messages).
COLUMN_DOC = {
    "month": "months after go-live, a whole number 1..horizon, strictly increasing",
    "registered": "registered users at the end of the month (whole number >= 0)",
    "active_users": "active users that month (whole number, 0..registered)",
    "ever_used_users": "users who used the tool at least once by the end of the month "
                       "(whole number, 0..registered)",
    "weekly_active_users": "users active in a typical week of the month (whole number, "
                           "0..registered)",
    "daily_active_users": "users active on a typical working day of the month (whole "
                          "number, 0..registered)",
    "accuracy": "accuracy measured by spot checks, a share in [0, 1]",
    "incidents": "integration incidents that month (whole number >= 0)",
    "cost": "total spend that month in the scenario's currency (>= 0)",
    "survey_n": "respondents to a usage survey that month, a sample of registered users "
                "(whole number >= 1)",
    "used_daily": "share of respondents using the tool daily, in [0, 1]",
    "used_weekly": "share using it at least weekly but not daily, in [0, 1] (optional: "
                   "a daily share alone is accepted)",
    "used_less": "share using it less than weekly or never, in [0, 1] (optional: "
                 "1 - daily - weekly)",
}


#: Largest actuals file read, in bytes (ten years of monthly rows is a few kB); a bigger
#: file, or an endless one (/dev/zero), is one error line, never read whole.
MAX_ACTUALS_BYTES = 1_000_000
#: Most columns a header may have (the format has 10).
MAX_ACTUALS_COLUMNS = 50
#: Most data rows (months run 1..horizon <= 120).
MAX_ACTUALS_ROWS = 1_000
#: Most problem lines reported; the rest are counted in one more line.
MAX_PROBLEM_LINES = 20
#: Largest value per column: beyond these a figure is a typo, not a measurement, and
#: would make the update allocate absurd arrays (a survey of 1e15 respondents).
MAX_VALUE = {"registered": MAX_USERS, "active_users": MAX_USERS, "survey_n": MAX_USERS,
             "incidents": MAX_INCIDENTS_PER_MONTH, "cost": MAX_MONEY_PER_MONTH,
             **{c: MAX_USERS for c in DEFINED}}
_SHOWN = 40


def _short(text: object) -> str:
    """repr of a cell or column name, cut for a message (a 50 MB cell is not echoed)."""
    r = repr(text)
    return r if len(r) <= _SHOWN else r[:_SHOWN - 4] + "...'"


class ActualsError(ValueError):
    """An actuals file failed validation; ``problems`` holds one line per problem (at most
    :data:`MAX_PROBLEM_LINES`, then one line counting the rest)."""

    def __init__(self, problems: list[str], source: str | None = None):
        if len(problems) > MAX_PROBLEM_LINES + 1:
            rest = len(problems) - MAX_PROBLEM_LINES
            problems = [*problems[:MAX_PROBLEM_LINES],
                        f"and {rest:,} more problems (fix those above first)"]
        self.problems = problems
        self.source = source
        head = f"{source}: " if source else ""
        if len(problems) == 1:
            msg = head + problems[0]
        else:
            msg = head + f"{len(problems)} problems:\n  " + "\n  ".join(problems)
        super().__init__(msg)


@dataclass(frozen=True)
class Actuals:
    """Validated monthly actuals: ``table`` has a ``month`` column and float columns of
    :data:`OBSERVED` (NaN = not measured); months are strictly increasing."""

    table: pd.DataFrame

    @property
    def months(self) -> np.ndarray:
        return self.table["month"].to_numpy(dtype=np.int64)

    @property
    def survey_rows(self) -> np.ndarray:
        """Boolean mask of the rows holding a usage survey."""
        return self.table["survey_n"].notna().to_numpy()

    @property
    def has_usage(self) -> bool:
        return bool(self.survey_rows.any())

    def usage_counts(self) -> list[tuple[int, int, int, int | None, int]]:
        """(row index, month, daily, weekly, respondents) per survey row: shares turned
        into whole respondents (rounded; less-often is the rest). ``weekly`` is None when
        only the daily share was published (and no less-often share to derive it from)."""
        t = self.table
        out = []
        for i in np.flatnonzero(self.survey_rows):
            n = int(t["survey_n"].iat[i])
            d = int(round(float(t["used_daily"].iat[i]) * n))
            wk, less = float(t["used_weekly"].iat[i]), float(t["used_less"].iat[i])
            if math.isnan(wk) and not math.isnan(less):
                wk = max(0.0, 1.0 - float(t["used_daily"].iat[i]) - less)
            w = None if math.isnan(wk) else min(int(round(wk * n)), n - d)
            out.append((int(i), int(t["month"].iat[i]), d, w, n))
        return out

    @property
    def last_month(self) -> int:
        """The latest month with at least one measurement (0 when there is none)."""
        t = self.table
        has = t[list(OBSERVED + DEFINED)].notna().any(axis=1).to_numpy() | self.survey_rows
        return int(t.loc[has, "month"].max()) if has.any() else 0

    def column(self, name: str) -> np.ndarray:
        """Values of one observed column, NaN where missing."""
        return self.table[name].to_numpy(dtype=np.float64)

    @property
    def n_observations(self) -> int:
        """Number of measurements: non-missing cells, a usage survey counting as one."""
        return int(self.table[list(OBSERVED + DEFINED)].notna().to_numpy().sum()
                   + self.survey_rows.sum())

    @property
    def is_empty(self) -> bool:
        return self.n_observations == 0

    def to_csv(self) -> str:
        """CSV text in the file format (missing values as empty cells)."""
        t = self.table.copy()
        if not self.has_usage:
            t = t.drop(columns=list(USAGE))
        for c in COUNTS:
            if c in t:
                t[c] = t[c].astype("Int64")
        return to_csv(t, index=False)


def empty_actuals() -> Actuals:
    """Actuals with no measurements: conditioning on them returns the prior forecast."""
    return Actuals(pd.DataFrame({c: pd.Series(dtype=np.float64) for c in
                                 ("month",) + COLUMNS}).astype({"month": np.int64}))


def _fmt(v) -> str:
    return _short(v) if isinstance(v, str) else f"{v:g}"


def _number(raw, row: int, col: str, problems: list[str]) -> float:
    """Parse one cell; NaN for an empty cell; records a problem for text."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return math.nan
    s = str(raw).strip()
    if s == "" or s.upper() in ("NA", "NAN"):
        return math.nan
    try:
        v = float(s.replace("_", ""))
    except ValueError:
        problems.append(f"row {row}, column {col}: {_short(s)} is not a number "
                        f"(allowed: {COLUMN_DOC[col]}; leave the cell empty if not measured)")
        return math.nan
    if not math.isfinite(v):
        problems.append(f"row {row}, column {col}: {_short(s)} is not a finite number "
                        f"(allowed: {COLUMN_DOC[col]})")
        return math.nan
    hi = MAX_VALUE.get(col)
    if hi is not None and v > hi:
        problems.append(f"row {row}, column {col}: {v:g} is above {hi:g} (allowed: "
                        f"{COLUMN_DOC[col]}, at most {hi:g})")
    return v


def parse_actuals(data: pd.DataFrame, horizon: int | None = None,
                  source: str | None = None) -> Actuals:
    """Validate a table of actuals (cells as text or numbers) and return :class:`Actuals`.

    ``horizon`` (the scenario's) bounds the months when given. Raises
    :class:`ActualsError` listing every problem, one line each.
    """
    problems: list[str] = []
    cols = [str(c).strip() for c in data.columns]
    if len(cols) > MAX_ACTUALS_COLUMNS:
        raise ActualsError([f"the header has {len(cols):,} columns (allowed: at most "
                            f"{MAX_ACTUALS_COLUMNS}: month, {', '.join(COLUMNS)})"], source)
    if len(data) > MAX_ACTUALS_ROWS:
        raise ActualsError([f"the file has {len(data):,} rows (allowed: at most "
                            f"{MAX_ACTUALS_ROWS:,}, one per month)"], source)
    lower = [c.lower() for c in cols]
    if "month" not in lower:
        found = ", ".join(_short(c)[1:-1] for c in cols[:12]) + (", ..." if len(cols) > 12
                                                                else "")
        raise ActualsError([f"no 'month' column (columns found: {found or 'none'}; "
                            f"allowed: month, {', '.join(COLUMNS)})"], source)
    unknown = [c for c in cols if c.lower() not in ("month",) + COLUMNS]
    for c in unknown:
        problems.append(f"column {_short(c)}: unknown column (allowed: month, "
                        f"{', '.join(COLUMNS)})")
    counts = Counter(lower)
    for c in sorted(c for c, k in counts.items() if k > 1):
        problems.append(f"column {_short(c)}: appears more than once")
    if problems:
        raise ActualsError(problems, source)
    frame = data.copy()
    frame.columns = lower
    out = {c: np.full(len(frame), np.nan) for c in ("month",) + COLUMNS}
    for i, rec in enumerate(frame.to_dict("records")):
        row = i + 2  # the header is row 1
        for c in ("month",) + COLUMNS:
            if c in rec:
                out[c][i] = _number(rec[c], row, c, problems)
    months = out["month"]
    prev = None
    for i, m in enumerate(months):
        row = i + 2
        if math.isnan(m):
            if not any(f"row {row}, column month" in p for p in problems):
                problems.append(f"row {row}, column month: empty (allowed: "
                                f"{COLUMN_DOC['month']})")
            continue
        hi = f"{horizon}" if horizon is not None else "horizon"
        if m != round(m):
            problems.append(f"row {row}, column month: {m:g} is not a whole number "
                            f"(allowed: 1..{hi})")
            continue
        if m < 1:
            problems.append(f"row {row}, column month: {m:g} is below 1 (allowed: 1..{hi}; "
                            f"month 1 is the first month after go-live)")
        elif horizon is not None and m > horizon:
            problems.append(f"row {row}, column month: {m:g} is after the scenario's horizon "
                            f"(allowed: 1..{horizon})")
        if prev is not None and m <= prev:
            problems.append(f"row {row}, column month: {m:g} does not follow month {prev:g} "
                            f"(months must be strictly increasing)")
        prev = m
    for i in range(len(frame)):
        row = i + 2
        for c in COUNTS:
            v = out[c][i]
            if math.isnan(v):
                continue
            if v < 0:
                problems.append(f"row {row}, column {c}: {v:g} is below 0 "
                                f"(allowed: {COLUMN_DOC[c]})")
            elif v != round(v):
                problems.append(f"row {row}, column {c}: {v:g} is not a whole number "
                                f"(allowed: {COLUMN_DOC[c]})")
        reg = out["registered"][i]
        for c in ("active_users",) + DEFINED:
            act = out[c][i]
            if not (math.isnan(reg) or math.isnan(act)) and act > reg >= 0:
                problems.append(f"row {row}, column {c}: {act:g} is above registered "
                                f"{reg:g} (allowed: 0..registered)")
        _check_order(out, i, problems)
        acc = out["accuracy"][i]
        if not math.isnan(acc) and not 0.0 <= acc <= 1.0:
            hint = "; give a share, e.g. 0.87, not a percentage" if 1 < acc <= 100 else ""
            problems.append(f"row {row}, column accuracy: {acc:g} is outside [0, 1] "
                            f"(allowed: {COLUMN_DOC['accuracy']}{hint})")
        cost = out["cost"][i]
        if not math.isnan(cost) and cost < 0:
            problems.append(f"row {row}, column cost: {cost:g} is below 0 "
                            f"(allowed: {COLUMN_DOC['cost']})")
        _check_usage(out, i, problems)
    if problems:
        raise ActualsError(problems, source)
    table = pd.DataFrame(out)
    table["month"] = table["month"].astype(np.int64)
    return Actuals(table.reset_index(drop=True))


#: A case's ``active_definition`` and the column its active-user figures belong in.
DEFINITION_COLUMN = {"monthly": "active_users", "ever_used": "ever_used_users",
                     "weekly": "weekly_active_users", "daily": "daily_active_users"}


def with_definition(actuals: Actuals, definition: str) -> Actuals:
    """``actuals`` whose ``active_users`` figures count users under ``definition``
    (monthly, ever_used, weekly, daily): they move to that definition's column, so the
    update conditions them on the matching telemetry series."""
    if definition not in DEFINITION_COLUMN:
        raise ActualsError([f"active_definition: {definition!r} is not one of "
                            f"{', '.join(DEFINITION_COLUMN)}"])
    col = DEFINITION_COLUMN[definition]
    if col == "active_users":
        return actuals
    t = actuals.table.copy()
    t[col] = t["active_users"].where(t["active_users"].notna(), t[col])
    t["active_users"] = np.nan
    return Actuals(t)


def _check_order(out: dict[str, np.ndarray], i: int, problems: list[str]) -> None:
    """Problems of one row's definitions: ever used >= monthly >= weekly >= daily active."""
    given = [(c, out[c][i]) for c in ("ever_used_users", "active_users",
                                      "weekly_active_users", "daily_active_users")
             if not math.isnan(out[c][i])]
    for (wide, a), (narrow, b) in zip(given, given[1:], strict=False):
        if b > a:
            problems.append(f"row {i + 2}, column {narrow}: {b:g} is above {wide} {a:g} "
                            f"(allowed: 0..{wide}; ever used >= monthly >= weekly >= daily)")


def _check_usage(out: dict[str, np.ndarray], i: int, problems: list[str]) -> None:
    """Problems of one row's usage survey: shares in [0, 1] summing to 1, respondents given."""
    row = i + 2
    n = out["survey_n"][i]
    shares = {c: out[c][i] for c in USAGE_SHARES}
    given = {c: v for c, v in shares.items() if not math.isnan(v)}
    if math.isnan(n) and not given:
        return
    bad = False
    for c, v in given.items():
        if not 0.0 <= v <= 1.0:
            hint = "; give a share, e.g. 0.25, not a percentage" if 1 < v <= 100 else ""
            problems.append(f"row {row}, column {c}: {v:g} is outside [0, 1] "
                            f"(allowed: {COLUMN_DOC[c]}{hint})")
            bad = True
    if math.isnan(n):
        problems.append(f"row {row}, column survey_n: empty while usage shares are given "
                        f"(allowed: {COLUMN_DOC['survey_n']})")
        return
    if n < 1 and n == round(n):
        problems.append(f"row {row}, column survey_n: {n:g} is below 1 "
                        f"(allowed: {COLUMN_DOC['survey_n']})")
    if "used_daily" not in given:
        problems.append(f"row {row}, column used_daily: empty while survey_n is given "
                        f"(allowed: {COLUMN_DOC['used_daily']})")
        bad = True
    if bad:
        return
    total = shares["used_daily"] + (shares["used_weekly"] if "used_weekly" in given else 0.0)
    if "used_less" in given and "used_weekly" not in given:
        if total + shares["used_less"] > 1.0 + SHARE_SUM_TOLERANCE:
            problems.append(f"row {row}, column used_less: daily + less = "
                            f"{total + shares['used_less']:g} is above 1 (allowed: shares of "
                            f"one set of respondents)")
    elif "used_less" in given:
        total3 = total + shares["used_less"]
        if abs(total3 - 1.0) > SHARE_SUM_TOLERANCE:
            problems.append(f"row {row}, column used_less: daily + weekly + less = {total3:g} "
                            f"(allowed: 1 +/- {SHARE_SUM_TOLERANCE:g}; the three shares "
                            f"partition the respondents)")
    elif total > 1.0 + SHARE_SUM_TOLERANCE:
        problems.append(f"row {row}, column used_weekly: daily + weekly = {total:g} is above 1 "
                        f"(allowed: shares of one set of respondents; weekly means at least "
                        f"weekly but not daily)")
    reg = out["registered"][i]
    if not math.isnan(reg) and n > reg >= 0:
        problems.append(f"row {row}, column survey_n: {n:g} is above registered {reg:g} "
                        f"(allowed: respondents are a sample of registered users)")


def _read_bytes(src: str | Path | bytes | io.IOBase, source: str) -> bytes:
    """At most :data:`MAX_ACTUALS_BYTES` + 1 bytes of the source (never an endless read)."""
    if isinstance(src, bytes):
        return src[:MAX_ACTUALS_BYTES + 1]
    try:
        if isinstance(src, str | Path):
            if Path(src).is_dir():
                raise ActualsError(["is a directory, not a CSV file"], source)
            with open(src, "rb") as fh:
                return fh.read(MAX_ACTUALS_BYTES + 1)
        data = src.read(MAX_ACTUALS_BYTES + 1)
    except FileNotFoundError:
        raise ActualsError(["file not found"], source) from None
    except OSError as exc:
        raise ActualsError([f"cannot read file: {exc.strerror or exc}"], source) from None
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


def _csv_table(data: bytes, source: str) -> pd.DataFrame:
    """The CSV's cells as text, header first; one line for a file that is not a CSV, or a
    row with more values than the header names (linear in the file's size)."""
    if len(data) > MAX_ACTUALS_BYTES:
        raise ActualsError([f"the file is over {MAX_ACTUALS_BYTES:,} bytes (allowed: an "
                            f"actuals file of monthly rows, a few kB)"], source)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ActualsError([f"not a valid CSV file: not UTF-8 text (byte {exc.start:,})"],
                           source) from None
    if "\x00" in text:
        raise ActualsError(["not a valid CSV file: it holds NUL bytes (a binary file?)"],
                           source)
    try:
        rows = [r for r in csv.reader(io.StringIO(text, newline=""), skipinitialspace=True)
                if any(cell.strip() for cell in r)]
    except csv.Error as exc:
        raise ActualsError([f"not a valid CSV file: {str(exc)[:80]}"], source) from None
    if not rows:
        raise ActualsError(["the file is empty (expected a header: month, "
                            f"{', '.join(COLUMNS)})"], source)
    header, body = rows[0], rows[1:]
    if len(header) > MAX_ACTUALS_COLUMNS:
        raise ActualsError([f"the header has {len(header):,} columns (allowed: at most "
                            f"{MAX_ACTUALS_COLUMNS}: month, {', '.join(COLUMNS)})"], source)
    problems = [f"row {i + 2}: {len(r)} values but the header names {len(header)} columns "
                f"(allowed: one value per column; quote a value that holds a comma)"
                for i, r in enumerate(body) if len(r) > len(header)]
    if problems:
        raise ActualsError(problems, source)
    body = [r + [""] * (len(header) - len(r)) for r in body]
    return pd.DataFrame(body, columns=header, dtype=object) if body else \
        pd.DataFrame(columns=header, dtype=object)


def read_actuals(src: str | Path | bytes | io.IOBase, horizon: int | None = None) -> Actuals:
    """Read and validate an actuals CSV from a path, bytes or a file object (at most
    :data:`MAX_ACTUALS_BYTES`; problems as :class:`ActualsError`, one line each)."""
    source = str(src) if isinstance(src, str | Path) else "actuals"
    return parse_actuals(_csv_table(_read_bytes(src, source), source), horizon, source)


def reads_actuals(text: str, horizon: int | None = None) -> Actuals:
    """Validate actuals given as CSV text (as pasted into the app)."""
    if not text.strip():
        raise ActualsError(["no actuals given (expected a header: month, "
                            f"{', '.join(COLUMNS)})"])
    return read_actuals(text.encode("utf-8"), horizon)
