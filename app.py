"""Streamlit front end (minimal until the explorer lands): the source case's NPV range."""

from pathlib import Path

import altair as alt
import streamlit as st

from simulator import ScenarioError, load_scenario, simulate

st.set_page_config(page_title="AI rollout business case", layout="wide")
st.title("AI rollout business case")
files = sorted(Path("scenarios").glob("*.toml"))
default = next((i for i, f in enumerate(files) if f.name == "seed_case.toml"), 0)
choice = st.selectbox("Scenario", files, index=default, format_func=lambda p: p.name)
try:
    sc = load_scenario(choice)
except ScenarioError as exc:
    st.error(str(exc))
    st.stop()
with st.spinner("Simulating (the first run compiles the model, about a minute)..."):
    res = simulate(sc, paths=20_000, seed=7)
s = res.summary
c1, c2, c3 = st.columns(3)
c1.metric("P(NPV > 0)", f"{s['prob_npv_positive']:.0%}")
c2.metric("NPV P50", f"{s['currency']} {s['npv_p50']:,.0f}")
c3.metric("Active rate, month 6 (P50)", f"{s['active_rate_m6_p50']:.0%}")
chart = alt.Chart(res.paths[["npv"]]).mark_bar().encode(
    alt.X("npv:Q", bin=alt.Bin(maxbins=60), title=f"NPV ({s['currency']})"),
    alt.Y("count():Q", title="Paths"))
st.altair_chart(chart, width="stretch")
