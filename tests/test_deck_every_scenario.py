"""Every shipped scenario's deck: the default is a CFO deck of at most ten slides with a
costs-and-benefits slide, and every slide of the full deck (appendix included) lays out
in LibreOffice with no text outside its frame and nothing within 0.3 in of an edge."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pptx import Presentation
from pptx_layout import edge_problems, overflow_problems, to_pdfs, tools_missing  # tests/

from simulator import load_scenario, simulate
from simulator.export import run_findings, write_deck
from simulator.export.deck import MAX_DEFAULT_SLIDES, TITLES

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "scenarios").glob("*.toml")) + sorted(
    (ROOT / "scenarios" / "cases").glob("*.toml"))
PATHS, SEED = 120, 5


@pytest.fixture(scope="module")
def decks(tmp_path_factory):
    """(default deck, full deck) per shipped scenario, analyses run once per scenario."""
    out = {}
    d = tmp_path_factory.mktemp("decks")
    for f in SHIPPED:
        res = simulate(load_scenario(f), paths=PATHS, seed=SEED)
        fi = run_findings(res)
        kw = {"findings": fi, "date": dt.date(2026, 1, 5)}
        out[f.stem] = (write_deck(res, d / f"{f.stem}.pptx", **kw),
                       write_deck(res, d / f"{f.stem}_full.pptx", appendix=True, **kw))
    return out


def test_shipped_scenarios_are_found():
    assert len(SHIPPED) >= 4 and any(p.stem == "seed_case_staged" for p in SHIPPED)


def test_default_deck_is_at_most_ten_slides_with_costs_and_benefits(decks):
    for name, (default, _) in decks.items():
        titles = [s.shapes.title.text for s in Presentation(str(default)).slides]
        assert len(titles) <= MAX_DEFAULT_SLIDES, (name, titles)
        assert titles[0] == TITLES["answer"]
        assert TITLES["costs"] in titles, name
        assert TITLES["assumptions"] not in " ".join(titles), name
        text = " ".join(sh.text_frame.text for s in Presentation(str(default)).slides
                        for sh in s.shapes if sh.has_text_frame)
        assert "from 100% to 100%" not in text and "(+0 pp)" not in text, name


def test_every_slide_of_every_shipped_deck_lays_out_inside_the_margins(decks, tmp_path):
    assert not tools_missing(), f"make test installs {tools_missing()}"
    full = [f for _, f in decks.values()]
    problems = []
    for deck, pdf in zip(full, to_pdfs(full, tmp_path), strict=True):
        problems += [f"{deck.stem}: {p}" for p in overflow_problems(deck, pdf)]
        problems += [f"{deck.stem}: {p}" for p in edge_problems(deck, pdf)]
    assert problems == []


def test_a_saturated_answer_says_what_is_fixed_and_does_not_repeat_100_percent(tmp_path):
    sc = load_scenario(ROOT / "scenarios" / "seed_case_all_levers.toml").with_values(
        {"economics.minutes_saved_per_task": 40})
    res = simulate(sc, paths=PATHS, seed=SEED)
    assert res.summary["prob_npv_positive"] == 1.0
    deck = write_deck(res, tmp_path / "saturated.pptx", findings=run_findings(res))
    answer = Presentation(str(deck)).slides[0]
    assert answer.shapes.title.text == TITLES["answer"]
    text = " ".join(sh.text_frame.text for sh in answer.shapes if sh.has_text_frame)
    cells = " ".join(c.text for sh in answer.shapes if sh.has_table
                     for r in sh.table.rows for c in r.cells)
    assert "fixed numbers" in text and "every simulated path" in text
    assert "to 100%" not in text and "(+0 pp)" not in cells
    assert (text + " " + cells).count("100%") <= 1, text + cells


def test_the_fullest_default_deck_gates_and_what_to_learn_is_ten_slides(tmp_path):
    """A staged plan with the value-of-information slide through the hook: every default
    slide applies, and the deck is still ten slides."""
    from simulator.export.voi_slide import TITLE as VOI_TITLE
    from simulator.export.voi_slide import add_voi_slide
    from simulator.voi import value_of_information

    sc = load_scenario(ROOT / "scenarios" / "seed_case_staged.toml")
    res = simulate(sc, paths=PATHS, seed=SEED)
    v = value_of_information(sc, paths=PATHS, seed=SEED, sobol=False, luck_reruns=1)
    deck = write_deck(res, tmp_path / "full.pptx", findings=run_findings(res),
                      extra_slides=[lambda prs, r, f: add_voi_slide(prs, v)])
    titles = [s.shapes.title.text for s in Presentation(str(deck)).slides]
    assert len(titles) == MAX_DEFAULT_SLIDES, titles
    assert titles[0] == TITLES["answer"] and titles[-1] == TITLES["methods"]
    assert VOI_TITLE in titles and TITLES["risks"] in titles and TITLES["costs"] in titles
