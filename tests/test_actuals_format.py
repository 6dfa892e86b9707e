"""The actuals CSV format: what is accepted, and one clear line per problem otherwise."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from simulator.actuals import ActualsError, parse_actuals, read_actuals, reads_actuals


def test_valid_file_with_missing_values(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("month,registered,active_users,accuracy,incidents,cost\n"
                 "1,100,20,0.85,,12000\n"
                 "3,200,,0.83,1,\n"
                 "6,200,46,,,\n")
    a = read_actuals(p, horizon=36)
    assert a.months.tolist() == [1, 3, 6]
    assert math.isnan(a.column("active_users")[1])
    assert a.column("cost")[0] == 12000
    assert a.n_observations == 9
    assert a.last_month == 6
    back = reads_actuals(a.to_csv(), 36)
    pd.testing.assert_frame_equal(back.table, a.table)


def test_columns_are_case_insensitive_and_optional():
    a = reads_actuals("Month,Active_Users\n2,5\n")
    assert a.column("active_users")[0] == 5
    assert math.isnan(a.column("registered")[0])


def _problems(text: str, horizon: int | None = 36) -> list[str]:
    with pytest.raises(ActualsError) as exc:
        reads_actuals(text, horizon)
    return exc.value.problems


@pytest.mark.parametrize("text, row, column, needle", [
    ("month,active_users\n3,10\n2,12\n", "row 3", "column month", "strictly increasing"),
    ("month,active_users\n3,10\n3,12\n", "row 3", "column month", "does not follow month 3"),
    ("month,registered,active_users\n6,200,250\n", "row 2", "column active_users",
     "above registered 200"),
    ("month,accuracy\n6,1.2\n", "row 2", "column accuracy", "outside [0, 1]"),
    ("month,accuracy\n6,87\n", "row 2", "column accuracy", "not a percentage"),
    ("month,active_users\n6,-1\n", "row 2", "column active_users", "below 0"),
    ("month,incidents\n6,1.5\n", "row 2", "column incidents", "not a whole number"),
    ("month,cost\n6,-5\n", "row 2", "column cost", "below 0"),
    ("month,cost\n6,lots\n", "row 2", "column cost", "'lots' is not a number"),
    ("month,cost\n0,5\n", "row 2", "column month", "below 1"),
    ("month,cost\n1.5,5\n", "row 2", "column month", "not a whole number"),
    ("month,cost\n40,5\n", "row 2", "column month", "after the scenario's horizon"),
    ("month,cost\n,5\n", "row 2", "column month", "empty"),
])
def test_malformed_rows_name_row_column_value_and_allowed(text, row, column, needle):
    problems = _problems(text)
    assert len(problems) == 1, problems
    line = problems[0]
    assert "\n" not in line
    assert line.startswith(f"{row}, {column}:"), line
    assert needle in line
    assert "allowed" in line or "must be" in line


def test_unknown_and_missing_columns():
    (line,) = _problems("month,active,accuracy\n1,3,0.9\n")
    assert "column 'active': unknown column" in line and "allowed: month, registered" in line
    (line,) = _problems("registered,active_users\n200,46\n")
    assert "no 'month' column" in line


def test_every_problem_is_listed():
    problems = _problems("month,registered,active_users,accuracy\n2,100,120,1.5\n1,100,10,0.9\n")
    assert len(problems) == 3
    msg = str(ActualsError(problems))
    assert msg.startswith("3 problems:")


def test_empty_file(tmp_path):
    p = tmp_path / "empty.csv"
    p.write_text("")
    with pytest.raises(ActualsError, match="empty"):
        read_actuals(p)
    with pytest.raises(ActualsError, match="file not found"):
        read_actuals(tmp_path / "missing.csv")
    with pytest.raises(ActualsError, match="no actuals given"):
        reads_actuals("  ")


def test_parse_from_numbers():
    a = parse_actuals(pd.DataFrame({"month": [1, 2], "active_users": [3.0, float("nan")]}), 36)
    assert a.n_observations == 1
