"""The app's Export tab: download the finance deck, the workbook and the bands CSV.

The files are built in memory only when a button is pressed (Streamlit's deferred
``data`` callable), and so are the analyses behind the deck's answer, gap, lever and risk
slides: the tab opens at once and nobody pays for a file on every rerun. The optional
lever table simulates the lever portfolios once per (scenario, paths, seed) and is cached.
"""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from ..export.deck import DEFAULT_SLIDES, deck_bytes
from ..export.files import bands_csv
from ..export.tables import levers_frame
from ..export.workbook import workbook_bytes
from ..results import SimulationResult
from ..scenario import combination_count
from .links import EDITS
from .plain import md_unlink
from .registry import TabContext

PPTX_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def file_stem(name: str) -> str:
    """A safe file name from a scenario name: 'Seed case: pilot' -> 'seed-case-pilot'."""
    stem = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return stem[:60] or "scenario"


@st.cache_data(show_spinner=False, max_entries=4)
def _lever_table(toml: str, paths: int, seed: int, horizon: int) -> pd.DataFrame:
    from ..analysis.levers import lever_analysis
    from ..scenario import loads_scenario

    sc = loads_scenario(toml)
    return levers_frame(lever_analysis(sc, paths=paths, seed=seed, horizon=horizon).combinations)


def deck_download(res: SimulationResult, levers: pd.DataFrame | None = None, *,
                  findings=None, edits: dict | None = None, appendix: bool = False) -> bytes:
    """Bytes of the deck (what the deck button serves): the current (edited) scenario's
    result, its analyses when given (a callable is called only now, on the click), and the
    list of edits made in the app (on a slide after the methods)."""
    if callable(findings):
        findings = findings()
    slides = None
    if edits and not appendix:
        slides = [*DEFAULT_SLIDES, "edits"]
    return deck_bytes(res, levers=levers, findings=findings if findings is not None else False,
                      edits=edits or None, appendix=appendix, slides=slides)


def workbook_download(res: SimulationResult, levers: pd.DataFrame | None = None,
                      paths_sheet: bool = False) -> bytes:
    """Bytes of the workbook (what the workbook button serves)."""
    return workbook_bytes(res, levers=levers, paths_sheet=paths_sheet)


def render(ctx: TabContext) -> None:
    """Download buttons for the deck (.pptx), the workbook (.xlsx) and the bands (.csv)."""
    res = ctx.result
    s = res.summary
    st.subheader("Exports for finance")
    st.caption(f"Built from the current run: {s['paths']:,} paths, seed {s['seed']}, "
               f"{s['horizon_months']} months, money in {s['currency']}. The deck's charts "
               f"are native PowerPoint charts (restyle them, or edit their data in Excel); "
               f"the workbook holds the summary, monthly bands, every path and every "
               f"assumption. The same files from the command line: "
               f"`rollout-sim export FILE --pptx deck.pptx --xlsx book.xlsx`.")
    levers = None
    n = combination_count()
    if st.checkbox(f"Add the lever table (simulates all {n} lever portfolios on common random "
                   f"numbers; about {n} times the run time)", key="export_levers"):
        try:
            with st.spinner(f"Simulating the {n} lever portfolios..."):
                levers = _lever_table(ctx.scenario.to_toml(), ctx.paths, ctx.seed,
                                      res.horizon)
        except ValueError as exc:
            st.error(f"Lever table: {md_unlink(exc)}")
            levers = None
    findings = None
    if st.checkbox("Add the analysis slides to the deck (levers, expectation-gap waterfall, "
                   "top risks; run when the deck is built, shared with the analysis tabs)",
                   value=True, key="export_findings"):
        from .analysis import cached_findings

        def findings() -> object:  # on the click only: the tab itself opens at once
            try:
                return cached_findings(ctx)
            except ValueError:
                return None
    appendix = st.checkbox("Add the appendix (title page, headline ranges, active users, "
                           "every combination of levers, assumption tables)",
                           key="export_appendix")
    edits = st.session_state.get(EDITS) or {}
    if edits:
        st.caption(f"The deck lists your {len(edits)} edit(s) to the scenario file on its "
                   f"own slide; its numbers are those of the edited scenario.")
    paths_sheet = st.checkbox(f"Put every path in the workbook ({s['paths']:,} rows; "
                              f"a few seconds and several MB at 20 000 paths)", value=False,
                              key="export_paths_sheet")
    stem = file_stem(ctx.scenario.name)
    c1, c2, c3 = st.columns(3)
    with c1:
        st.download_button("Slide deck (.pptx)",
                           data=lambda: deck_download(res, levers, findings=findings,
                                                      edits=edits, appendix=appendix),
                           file_name=f"{stem}.pptx", mime=PPTX_MIME, on_click="ignore",
                           key="export_pptx", icon=":material/slideshow:", width="stretch")
    with c2:
        st.download_button("Workbook (.xlsx)",
                           data=lambda: workbook_download(res, levers, paths_sheet),
                           file_name=f"{stem}.xlsx", mime=XLSX_MIME, on_click="ignore",
                           key="export_xlsx", icon=":material/table_view:", width="stretch",
                           help="Sheets: Summary, Cash flow (by month and fiscal year), "
                                "Base case (live formulas), Bands, Assumptions (and Levers, "
                                "Paths).")
    with c3:
        st.download_button("Monthly bands (.csv)", data=lambda: bands_csv(res),
                           file_name=f"{stem}-bands.csv", mime="text/csv", on_click="ignore",
                           key="export_csv", icon=":material/download:", width="stretch")
