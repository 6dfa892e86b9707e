"""The deck gets the value-of-information slide on request (``export --voi``)."""

from __future__ import annotations

from pptx import Presentation

from simulator.cli import main


def test_export_voi_adds_the_slide(tmp_path):
    out = tmp_path / "deck.pptx"
    assert main(["export", "scenarios/seed_case.toml", "--paths", "400", "--pptx", str(out),
                 "--no-analysis", "--voi"]) == 0
    titles = [sh.text_frame.text for slide in Presentation(str(out)).slides
              for sh in slide.shapes if sh.has_text_frame]
    assert any("worth learning" in t.lower() for t in titles)
    plain = tmp_path / "plain.pptx"
    assert main(["export", "scenarios/seed_case.toml", "--paths", "400", "--pptx", str(plain),
                 "--no-analysis"]) == 0
    assert len(Presentation(str(plain)).slides) == len(Presentation(str(out)).slides) - 1
