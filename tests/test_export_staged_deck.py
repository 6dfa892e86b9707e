"""A staged scenario's deck carries the staged-plan slide and the gates' option value."""

from __future__ import annotations

from pptx import Presentation

from simulator import load_scenario, simulate
from simulator.export import deck_bytes, run_findings
from simulator.export.staged_slide import TITLE_STAGED


def _titles(data: bytes) -> list[str]:
    import io

    prs = Presentation(io.BytesIO(data))
    return [sh.text_frame.text for slide in prs.slides for sh in slide.shapes
            if sh.has_text_frame]


def test_gated_scenario_deck_has_the_staged_slide(tmp_path):
    sc = load_scenario("scenarios/seed_case_staged.toml")
    res = simulate(sc, paths=400, seed=3)
    f = run_findings(res)
    assert f.gates is not None
    assert any("option value" in row[0] for row in f.extra_rows)
    assert any(TITLE_STAGED in t for t in _titles(deck_bytes(res, findings=f)))
    plain = simulate(sc.with_values({"gates": []}), paths=400, seed=3)
    assert not any(TITLE_STAGED in t for t in _titles(deck_bytes(plain, findings=False)))
