"""The app's Gates tab: edit the go/no-go gates of a staged rollout and value them.

One table (``st.data_editor``) holds the gates, one row each; the scenario schema judges the
rows (one message per problem, next to its row). The comparison (big bang, gated, no-go on
common random numbers, option value) comes from :func:`simulator.analysis.gates.gate_analysis`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pandas as pd
import streamlit as st

from ..analysis import AnalysisError
from ..analysis.gates import GateAnalysis, gate_analysis
from ..charts import forecast
from ..formatting import money
from ..scenario import GATE_ACTIONS, LEVERS, Gate, Scenario, ScenarioError, loads_scenario
from ..verdicts import gates_verdict
from .plain import md_escape, md_unlink
from .registry import TabContext
from .tables import cell

#: The comparison runs up to this many paths (it runs the model twice).
MAX_PATHS = 20_000
COLUMNS = ("name", "month", "min_active_rate", "min_accuracy", "spot_checks", "max_incidents",
           "on_fail", "levers", "reonboard", "notice_months", "wind_down_cost")
_INT = ("month", "spot_checks", "max_incidents", "notice_months")
_FLOAT = ("min_active_rate", "min_accuracy", "wind_down_cost")


def gates_frame(sc: Scenario) -> pd.DataFrame:
    """The scenario's gates as the table the tab edits (levers comma-separated)."""
    rows = []
    for g in sc.gates:
        d = g.model_dump()
        d["levers"] = ", ".join(g.levers)
        rows.append({c: d[c] for c in COLUMNS})
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    types: dict[str, str] = {c: "Int64" for c in _INT}
    types.update({c: "float64" for c in _FLOAT})
    types.update(name="str", on_fail="str", levers="str", reonboard="bool")
    return df.astype(types)


def read_gates(df: pd.DataFrame, sc: Scenario) -> tuple[list[dict[str, Any]], list[str]]:
    """The table's rows as ``gates`` entries and one line per problem, named by row.

    Each row is checked by the schema on its own (so each line names its row), then the
    list as a whole (month order).
    """
    gates: list[dict[str, Any]] = []
    problems: list[str] = []
    for i, row in enumerate(df.to_dict("records")):
        clean = {c: cell(row.get(c)) for c in COLUMNS}
        if all(v is None or v is False for v in clean.values()):
            continue
        label = f"Gates, row {i + 1}" + (f" ({clean['name']})" if clean["name"] else "")
        g: dict[str, Any] = {}
        for c, v in clean.items():
            if v is None:
                continue
            if c == "levers":
                v = [s.strip() for s in str(v).split(",") if s.strip()]
            elif c in _INT and isinstance(v, float) and v.is_integer():
                v = int(v)
            g[c] = v
        for c in ("name", "month", "on_fail"):
            if c not in g:
                problems.append(f"{label}, {c.replace('_', ' ')}: is empty")
        if any(c not in g for c in ("name", "month", "on_fail")):
            continue
        try:
            sc.with_values({"gates": [g]})
        except ScenarioError as exc:
            for line in exc.problems:
                line = line.removeprefix("gates[0].").removeprefix("gates[0]")
                problems.append(f"{label}, {line.lstrip(': ')}")
            continue
        gates.append(g)
    if gates and not problems:
        try:
            sc.with_values({"gates": gates})
        except ScenarioError as exc:
            problems.extend(f"Gates: {line}" for line in exc.problems)
    return gates, problems


def column_config() -> dict[str, Any]:
    """Column types, ranges and help, from the schema's Gate fields."""
    f = Gate.model_fields
    num = st.column_config.NumberColumn
    return {
        "name": st.column_config.TextColumn("Gate", help=f["name"].description,
                                            default="New gate"),
        "month": num("Month", help=f["month"].description, min_value=1, max_value=120,
                     step=1),
        "min_active_rate": num("Min active rate", help=f["min_active_rate"].description,
                               min_value=0.0, max_value=1.0, format="%.3f"),
        "min_accuracy": num("Min accuracy", help=f["min_accuracy"].description,
                            min_value=0.0, max_value=1.0, format="%.3f"),
        "spot_checks": num("Spot checks", help=f["spot_checks"].description, min_value=1,
                           step=1, default=f["spot_checks"].default),
        "max_incidents": num("Max incidents", help=f["max_incidents"].description,
                             min_value=0, step=1),
        "on_fail": st.column_config.SelectboxColumn("On fail", options=list(GATE_ACTIONS),
                                                    help=f["on_fail"].description,
                                                    default="hold"),
        "levers": st.column_config.TextColumn(
            "Levers", help=f"{f['levers'].description} Comma-separated: "
                           f"{', '.join(LEVERS)}."),
        "reonboard": st.column_config.CheckboxColumn("Re-onboard",
                                                     help=f["reonboard"].description,
                                                     default=False),
        "notice_months": num("Notice (months)", help=f["notice_months"].description,
                             min_value=0, max_value=120, step=1,
                             default=f["notice_months"].default),
        "wind_down_cost": num("Wind-down cost", help=f["wind_down_cost"].description,
                              min_value=0.0, format="%.0f",
                              default=f["wind_down_cost"].default),
    }


def editor_key(sc: Scenario) -> str:
    """Session key of the gate table: follows the scenario's own gates (not the sidebar),
    so adjusting an input keeps the table's edits."""
    text = json.dumps([sc.name, [g.model_dump() for g in sc.gates]], sort_keys=True)
    return "gates_editor|" + hashlib.sha1(text.encode()).hexdigest()[:10]


@st.cache_data(show_spinner=False, max_entries=4)
def _analysis(toml: str, paths: int, seed: int, horizon: int) -> GateAnalysis:
    return gate_analysis(loads_scenario(toml), paths=paths, seed=seed, horizon=horizon)



def render(ctx: TabContext) -> None:
    """Draw the Gates tab."""
    sc = ctx.scenario
    cur = sc.scenario.currency
    st.subheader("Staged rollout: go/no-go gates")
    st.caption("A gate is reviewed at the end of its month on what the organisation sees: "
               "active users / registered users, accuracy on hand-checked outputs, incidents "
               "since the last review. It passes when every criterion given holds. On fail: "
               "hold later waves, stop, or switch levers on from the next month. Edit the "
               "table (add a row for a new gate); the gates apply in this tab only.")
    edited = st.data_editor(gates_frame(sc), key=editor_key(sc), column_config=column_config(),
                            num_rows="dynamic", hide_index=True, width="stretch",
                            column_order=list(COLUMNS))
    gates, problems = read_gates(edited, sc)
    if problems:
        for line in problems:
            st.error(md_unlink(line))
        return
    if not gates:
        st.info("No gates: add a row (name, month, at least one criterion, what a failure "
                "does) to compare a staged rollout with rolling out everything as planned.")
        return
    gated = sc.with_values({"gates": gates})
    st.download_button("Download the scenario with these gates (TOML)", gated.to_toml(),
                       file_name="staged.toml", mime="application/toml", key="gates_download")
    n = max(2, min(int(ctx.paths), MAX_PATHS))
    st.caption(f"{n:,} paths{' (capped for speed)' if n < ctx.paths else ''}, seed "
               f"{ctx.seed}; the three plans share their sampled inputs and random numbers.")
    try:
        with st.spinner("Simulating big bang and the gated plan..."):
            ga = _analysis(gated.to_toml(), n, ctx.seed, ctx.result.horizon)
    except (AnalysisError, ScenarioError) as exc:
        st.error(md_unlink(exc))
        return
    _render_comparison(ga, cur)


def _render_comparison(ga: GateAnalysis, cur: str) -> None:
    s = ga.summary.iloc[0]
    st.info(md_escape(gates_verdict(ga).replace("try `gates --design`",  # gate names are
                                                "try rollout-sim gates FILE --design")),
            icon=":material/gavel:")  # the user's text: escaped
    c = st.columns(4)
    c[0].metric("Option value of the gates", money(s["option_value"], cur),
                help=f"Mean NPV gated minus big bang, paired path by path; standard error "
                     f"{money(s['option_value_se'], cur)}.")
    c[1].metric("P(stop)", f"{s['prob_stop']:.1%}")
    c[2].metric("Months held (mean)", f"{s['months_held_mean']:.2f}")
    gated = ga.plans.set_index("plan").loc["gated"]
    c[3].metric("P(NPV > 0), gated", f"{gated['prob_npv_positive']:.1%}")
    rows = []
    for r in ga.plans.to_dict("records"):
        rows.append({
            "Plan": r["plan"],
            "NPV mean": f"{money(r['npv_mean'], cur)} ± {money(r['npv_mean_se'], cur)}",
            "P10": money(r["npv_p10"], cur), "P50": money(r["npv_p50"], cur),
            "P90": money(r["npv_p90"], cur),
            "P(NPV > 0)": f"{r['prob_npv_positive']:.1%}",
            "Mean vs big bang": f"{money(r['vs_big_bang_mean'], cur)} ± "
                                f"{money(r['vs_big_bang_se'], cur)}",
        })
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    gt = ga.gates.rename(columns={"gate": "Gate", "month": "Month", "on_fail": "On fail",
                                  "prob_reached": "P(reached)",
                                  "prob_pass_if_reached": "P(pass | reached)",
                                  "prob_pass": "P(pass)"})
    st.dataframe(gt[["Gate", "Month", "On fail", "P(reached)", "P(pass | reached)",
                     "P(pass)"]], hide_index=True, width="stretch")
    st.altair_chart(forecast.npv_comparison_chart(
        {"big bang": ga.npv["big bang"], "gated": ga.npv["gated"]}, cur,
        title="NPV: big bang vs gated (no-go is the break-even line)"), width="stretch")
