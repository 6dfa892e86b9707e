"""The workbook's model sheets: Cash flow (each line by month and by fiscal year, P10 / P50 /
P90 and mean over the paths, :mod:`simulator.export.cashflow`) and Base case (the model's
run at the inputs' medians, every money line a live Excel formula,
:mod:`simulator.export.basecase`). ``formats`` is the workbook's format factory:
``formats(kind)``, ``formats.header``, ``formats.bold``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..results import SimulationResult
from .basecase import COLUMNS, base_case, input_rows, value_rows
from .cashflow import LINES, annual_table, cash_flow, monthly_table


def cash_flow_sheet(book, formats: Any, res: SimulationResult, fiscal_start: int) -> None:
    """Cash flow by line: by month (P10 / P50 / P90 / mean per line, one row per month)
    and by fiscal year (the statistics of each path's yearly sum)."""
    ws = book.add_worksheet("Cash flow")
    cf = cash_flow(res)
    cur = res.summary["currency"]
    money = formats("money")
    ws.write_string(0, 0, f"Cash flow by line ({cur}); costs as positive amounts; net cash = "
                          "benefit - costs. Each statistic is over the simulated paths, so "
                          "the lines' P50s do not add up to the net cash's P50 (the means "
                          "do).", formats.bold)
    lines = [lab for _, lab, _ in LINES] + ["Net cash"]
    stats = ("P10", "P50", "P90", "Mean")
    monthly = monthly_table(cf)
    ws.write_string(2, 0, "By month", formats.bold)
    ws.write_string(3, 0, "Month", formats.header)
    for j, lab in enumerate(lines):
        for k, st in enumerate(stats):
            ws.write_string(3, 1 + 4 * j + k, f"{lab} {st}", formats.header)
    wide = {lab: g for lab, g in monthly.groupby("line", sort=False)}
    h1 = cf.net.shape[0]
    for t in range(h1):
        ws.write_number(4 + t, 0, t)
        for j, lab in enumerate(lines):
            row = wide[lab].iloc[t]
            for k, key in enumerate(("p10", "p50", "p90", "mean")):
                ws.write_number(4 + t, 1 + 4 * j + k, float(row[key]), money)
    ws.set_column(1, 4 * len(lines), 14)
    top = 4 + h1 + 2
    annual = annual_table(cf, fiscal_start)
    ws.write_string(top, 0, f"By fiscal year (a year starts in calendar month {fiscal_start}; "
                            "model month 1 is January; month 0, the one-off, is in year 1)",
                    formats.bold)
    ws.write_string(top + 1, 0, "Line", formats.header)
    for k, st in enumerate(stats):
        ws.write_string(top + 1, 2 + k, st, formats.header)
    ws.write_string(top + 1, 1, "Fiscal year", formats.header)
    for i, r in enumerate(annual.itertuples(index=False), start=top + 2):
        ws.write_string(i, 0, r.line)
        ws.write_number(i, 1, r.fiscal_year)
        for k, key in enumerate(("p10", "p50", "p90", "mean")):
            ws.write_number(i, 2 + k, float(getattr(r, key)), money)
    ws.set_column(0, 0, 34)
    ws.freeze_panes(4, 1)


def base_case_sheet(book, formats: Any, res: SimulationResult, cached: bool = True) -> None:
    """The deterministic base case at the medians, with live formulas (see basecase.py)."""
    ws = book.add_worksheet("Base case")
    bc = base_case(res.scenario, res.horizon)
    cur = res.summary["currency"]
    ws.write_string(0, 0, "Base case: one run of the model with every uncertain input at its "
                          "median. Change a blue input cell and the lines, net cash and NPV "
                          "recompute; adoption, accuracy and incidents are the model's run "
                          "at the medians (values).", formats.bold)
    ws.write_row(2, 0, ["Input", "Value", "Scenario key"], formats.header)
    inp = book.add_format({"font_color": "#0000FF"})
    rows = input_rows(bc, cur) + [("bc_discount_rate", "scenario.discount_rate_annual",
                                   "Discount rate (annual)", bc.discount_rate_annual)]
    for i, (name, path, label, v) in enumerate(rows, start=3):
        ws.write_string(i, 0, label)
        ws.write_number(i, 1, v, inp)
        ws.write_string(i, 2, path)
        book.define_name(name, f"='Base case'!$B${i + 1}")
    head = 3 + len(rows) + 1
    for j, (h, _, _) in enumerate(COLUMNS):
        ws.write_string(head, j, h, formats.header)
    vals = value_rows(bc)
    lines = _base_lines(bc)
    first = head + 2  # 1-based row of month 0
    for t, v in enumerate(vals):
        r0 = head + 1 + t
        for j, (_, kind, formula) in enumerate(COLUMNS):
            fmt = formats(kind)
            if formula is None:
                value = bc.other_cost[t] if j == 15 else v[j]
                ws.write_number(r0, j, float(value), fmt)
            else:
                ws.write_formula(r0, j, formula.format(r=r0 + 1), fmt,
                                 float(lines[j][t]) if cached else 0)
    last = first + len(vals) - 1
    r = head + 1 + len(vals) + 1
    ws.write_string(r, 0, "NPV (live formulas)", formats.bold)
    ws.write_formula(r, 1, f"=SUM(T{first}:T{last})", formats("money"),
                     float(lines[19].sum()) if cached else 0)
    book.define_name("bc_npv", f"='Base case'!$B${r + 1}")
    ws.write_string(r + 1, 0, "NPV of the model's run at the medians")
    ws.write_number(r + 1, 1, bc.npv, formats("money"))
    ws.set_column(0, 0, 40)
    ws.set_column(1, len(COLUMNS), 14)
    ws.freeze_panes(head + 1, 1)


def _base_lines(bc) -> dict[int, np.ndarray]:
    """Each formula column's value (the cached results Excel shows before recalculating)."""
    c = bc.inputs
    e = "economics."
    paid = bc.running & (bc.months > 0)
    tasks = np.where(bc.months > 0, bc.active * c[e + "tasks_per_user_month"], 0.0)
    down = np.minimum(1.0, bc.incidents * c["integration.downtime_per_incident"])
    ben = tasks * (bc.accuracy * c[e + "minutes_saved_per_task"] - (1 - bc.accuracy)
                   * c[e + "rework_minutes_per_error"]) * c[e + "hourly_cost"] / 60 * (1 - down)
    lic = paid * c[e + "licence_per_seat_month"] * bc.registered
    inf = c[e + "inference_per_task"] * tasks
    plat = paid * c[e + "platform_monthly"]
    sup = np.where(bc.months > 0, c[e + "support_per_active_user_month"] * bc.active, 0.0)
    fix = c["integration.fix_cost_per_incident"] * bc.incidents
    build = np.where(bc.months == 0, c[e + "build_cost"], 0.0)
    total = lic + inf + plat + sup + fix + build + bc.other_cost
    net = ben - total
    disc = (1 + bc.discount_rate_annual) ** (-bc.months / 12)
    return {6: tasks, 7: down, 8: ben, 9: lic, 10: inf, 11: plat, 12: sup, 13: fix,
            14: build, 16: total, 17: net, 18: disc, 19: net * disc}


__all__ = ["base_case_sheet", "cash_flow_sheet"]
