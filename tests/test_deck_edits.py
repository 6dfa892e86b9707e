"""The deck's 'Edits to the scenario file' slide lists exactly what differs between the file
and the simulated scenario: widget edits as before, the Rollout tab's waves, tiers,
correlations and name as short rows, every path whole in the speaker notes."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pptx import Presentation
from pptx_layout import overflow_problems, to_pdf, tools_missing  # tests/

from simulator import simulate
from simulator.export import deck as deckmod
from simulator.export import scenario_edits


def _wave(name: str, size: int = 50, month: int = 2, tier: str = "trained") -> dict:
    return {"name": name, "size": size, "start_month": month, "tier": tier}


@pytest.fixture(scope="module")
def res(seed_case):
    return simulate(seed_case, paths=200, seed=3)


def _slide_rows(res, edits: dict) -> tuple[list[list[str]], str]:
    prs = Presentation(io.BytesIO(deckmod.deck_bytes(res, findings=False, edits=edits,
                                                     slides=["edits"])))
    slide = next(s for s in prs.slides if s.shapes.title is not None
                 and s.shapes.title.text == deckmod.TITLE_EDITS)
    table = next(sh.table for sh in slide.shapes if sh.has_table)
    return [[c.text for c in r.cells] for r in table.rows][1:], \
        slide.notes_slide.notes_text_frame.text


def test_the_same_scenario_has_no_edits(seed_case):
    assert scenario_edits.scenario_edits(seed_case, seed_case) == {}
    assert scenario_edits.dict_edits(seed_case.to_dict(), seed_case.to_dict()) == {}


def test_rollout_changes_are_one_entry_per_field_wave_and_pair(seed_case):
    d = seed_case.to_dict()
    cohorts = d["adoption"]["cohorts"]
    first, second = cohorts[0], cohorts[1]
    tier = d["adoption"]["tiers"]["trained"]
    new = seed_case.with_values({
        "scenario.name": "Mine", "pilot.users": seed_case.pilot.users + 3,
        "adoption.cohorts": [first, _wave("Extra"), {**second, "size": second["size"] + 5}],
        "adoption.tiers": {**d["adoption"]["tiers"], "coached": {**tier, "description": ""}},
        "adoption.tiers.trained.ceiling": 0.7,
        "correlations": [{"a": "pilot.accuracy", "b": "adoption.base_churn", "rho": -0.3}]})
    edits = scenario_edits.scenario_edits(seed_case, new)
    none = scenario_edits.NONE
    assert edits["scenario.name"] == (seed_case.name, "Mine")
    assert edits["pilot.users"] == (seed_case.pilot.users, seed_case.pilot.users + 3)
    assert edits["adoption.cohorts[Extra]"] == (none, scenario_edits.wave_text(_wave("Extra")))
    assert edits[f"adoption.cohorts[{second['name']}]"] == (
        scenario_edits.wave_text(second),
        scenario_edits.wave_text({**second, "size": second["size"] + 5}))
    assert edits["adoption.tiers.trained.ceiling"] == (tier["ceiling"], 0.7)
    for f in ("ceiling", "innovation_p", "imitation_q", "cost_per_user"):  # the added tier
        assert edits[f"adoption.tiers.coached.{f}"] == (none, tier[f])
    assert edits["correlations[pilot.accuracy ~ adoption.base_churn]"] == (none, -0.3)
    assert len(edits) == 10  # the unchanged first wave and the empty description: not listed


WAVES = st.lists(st.builds(_wave, st.sampled_from(["A", "B", "C"]), st.sampled_from([10, 20]),
                           st.sampled_from([1, 4])), max_size=5)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(WAVES, WAVES)
def test_every_added_and_removed_wave_is_listed(a, b):
    """Whatever the two wave lists, the waves only one side has (counted with repeats)
    appear on that side of the entries, nothing is listed for equal lists, and every entry
    is a real change."""
    edits = scenario_edits.dict_edits({"adoption": {"cohorts": a}}, {"adoption": {"cohorts": b}})
    ta, tb = Counter(map(scenario_edits.wave_text, a)), Counter(map(scenario_edits.wave_text, b))
    before = Counter(x for x, _ in edits.values() if x != scenario_edits.NONE)
    after = Counter(y for _, y in edits.values() if y != scenario_edits.NONE)
    assert not (ta - tb) - before and not (tb - ta) - after
    assert before <= ta and after <= tb
    assert (edits == {}) == (a == b)
    assert all(x != y for x, y in edits.values())
    assert all(k.startswith(scenario_edits.COHORTS + "[") for k in edits)


def test_the_slide_names_rollout_rows_and_keeps_widget_rows_as_before(res):
    long = "A description long enough that the slide cuts it " * 3
    edits = {"economics.hourly_cost": ((45.0, 60.0, 80.0), (45.0, 61.0, 80.0)),
             "scenario.name": ("Seed", "Mine"),
             "adoption.cohorts[Extra]": (scenario_edits.NONE, "Extra: 50 users, month 2, trained"),
             "adoption.tiers.trained.ceiling": (
                 {"dist": "pert", "min": 0.6, "mode": 0.75, "max": 0.88, "lambda": 4.0}, 0.7),
             "correlations[pilot.accuracy ~ adoption.base_churn]": (scenario_edits.NONE, -0.3),
             "scenario.description": ("Short", long)}
    rows, notes = _slide_rows(res, edits)
    cur = res.summary["currency"]
    assert rows[0] == [deckmod.A.input_label("economics.hourly_cost", cur),
                       "low 45 / likely 60 / high 80", "low 45 / likely 61 / high 80"]
    assert rows[1] == ["Scenario name", "Seed", "Mine"]
    assert rows[2] == ["Rollout wave: Extra", "(none)", "Extra: 50 users, month 2, trained"]
    assert rows[3] == [deckmod.A.input_label("adoption.tiers.trained.ceiling", cur),
                       "PERT min 0.6, mode 0.75, max 0.88", "0.7"]
    assert rows[4] == ["Rank correlation pilot.accuracy ~ adoption.base_churn", "(none)",
                       "-0.3"]
    assert rows[5][0] == "Scenario description" and rows[5][1] == "Short"
    assert len(rows[5][2]) <= deckmod.A.EDIT_CELL_CHARS and rows[5][2].endswith("\u2026")
    assert long.strip() in notes  # the notes keep every edit whole
    assert all(f"{p}: " in notes for p in edits)


def test_a_full_edits_slide_of_rollout_rows_stays_inside_its_frames(res, tmp_path):
    """Fifteen Rollout-tab rows (waves with long names, distributions, a description) on
    one slide, laid out by LibreOffice: no word outside its shape (a long text is cut on
    the slide, whole in the notes)."""
    assert not tools_missing(), f"make test installs {tools_missing()}"
    edits: dict = {"scenario.description": ("Short", "A long description " * 8)}
    for k in range(8):
        name = f"Finance and operations wave {k + 1} " * (1 + 3 * (k % 2))  # long names
        edits[f"adoption.cohorts[{name}]"] = (
            scenario_edits.NONE if k % 2
            else scenario_edits.wave_text(_wave(name, 1200, 24, "quick_start")),
            scenario_edits.wave_text(_wave(name, 12000, 36, "coached_plus")))
    for f in ("ceiling", "innovation_p", "imitation_q", "cost_per_user"):
        edits[f"adoption.tiers.coached_plus.{f}"] = (
            scenario_edits.NONE, {"dist": "pert", "min": 0.123, "mode": 0.456, "max": 0.789,
                             "lambda": 3.0})
    edits["correlations[adoption.tiers.coached_plus.ceiling ~ pilot.accuracy]"] = (
        scenario_edits.NONE, -0.35)
    path = tmp_path / "edits.pptx"
    path.write_bytes(deckmod.deck_bytes(res, findings=False, edits=edits, slides=["edits"]))
    rows, _ = _slide_rows(res, edits)
    assert len(rows) == min(len(edits), deckmod.A.EDIT_ROWS_PER_SLIDE)
    assert overflow_problems(path, to_pdf(path, tmp_path)) == []
