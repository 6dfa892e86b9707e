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


def test_staged_and_voi_slides_render_with_no_text_outside_its_frame(tmp_path):
    """The two optional slides through LibreOffice: every word inside its own shape."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from pptx_layout import overflow_problems, to_pdf, tools_missing

    from simulator.analysis.gates import gate_analysis
    from simulator.export import Findings, write_deck
    from simulator.export.voi_slide import add_voi_slide
    from simulator.voi import value_of_information

    assert not tools_missing(), f"make test installs {tools_missing()}"
    sc = load_scenario("scenarios/seed_case_staged.toml")
    res = simulate(sc, paths=400, seed=3)
    v = value_of_information(sc, paths=400, seed=3, sobol_n=64, luck_reruns=2)
    f = Findings(gates=gate_analysis(sc, paths=400, seed=3))
    deck = write_deck(res, tmp_path / "staged.pptx", findings=f,
                      extra_slides=[lambda prs, r, fi: add_voi_slide(prs, v)])
    assert overflow_problems(deck, to_pdf(deck, tmp_path)) == []
