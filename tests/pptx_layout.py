"""Render a .pptx through LibreOffice and find text that leaves its frame.

LibreOffice lays the slides out as PowerPoint would (fonts, wrapping, table rows growing);
``pdftotext -bbox`` then gives every word's box on the page. A word is in place when it lies
inside the frame of the shape it belongs to; a text box or table word must also be a word
of that shape's own text (a word cut in two by a too-narrow column is not). A table may
grow downwards (rows get taller when a cell wraps) but not into the shape below it nor off
the slide. Chart shapes hold text the chart draws itself; only their frame is checked.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from pptx import Presentation

EMU_PER_PT = 12700
TOL = 2.0  # points of slack for font metrics and anti-aliasing


def tools_missing() -> list[str]:
    return [t for t in ("soffice", "pdftotext") if shutil.which(t) is None]


#: Nothing, frame or rendered word, may come closer than this to a slide edge (points).
EDGE_PT = 0.3 * 72


def to_pdfs(decks: list[Path], outdir: Path, workers: int = 2) -> list[Path]:
    """Several decks through LibreOffice: ``workers`` processes (each with its own profile)
    each converting its share in one start (much faster than one call per deck)."""
    batches = [decks[i::workers] for i in range(workers) if decks[i::workers]]
    procs = []
    for k, batch in enumerate(batches):
        home = outdir / f"lo{k}"
        home.mkdir(exist_ok=True)
        procs.append(subprocess.Popen(
            ["soffice", "--headless", "--norestore", "--convert-to", "pdf", "--outdir",
             str(outdir), *map(str, batch)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env={"HOME": str(home), "PATH": "/usr/bin:/bin"}))
    errors = [p.communicate(timeout=600)[1].decode()[-2000:] for p in procs]
    pdfs = [outdir / (d.stem + ".pdf") for d in decks]
    assert all(p.returncode == 0 for p in procs) and all(p.exists() for p in pdfs), errors
    return pdfs


def edge_problems(pptx: Path, pdf: Path | None = None, edge: float = EDGE_PT) -> list[str]:
    """One line per shape frame, or rendered word, closer than ``edge`` points to a slide
    edge (frames from the file; words, with ``pdf``, as LibreOffice laid them out)."""
    prs = Presentation(str(pptx))
    pw, ph = prs.slide_width / EMU_PER_PT, prs.slide_height / EMU_PER_PT
    problems = []
    for k, slide in enumerate(prs.slides, start=1):
        for sh in slide.shapes:
            x0, y0 = sh.left / EMU_PER_PT, sh.top / EMU_PER_PT
            x1, y1 = x0 + sh.width / EMU_PER_PT, y0 + sh.height / EMU_PER_PT
            if min(x0, y0, pw - x1, ph - y1) < edge - 0.5:
                problems.append(f"slide {k}: {sh.name} frame within "
                                f"{min(x0, y0, pw - x1, ph - y1) / 72:.2f} in of the edge")
    if pdf is not None:
        for k, ((w, h), words) in enumerate(pdf_words(pdf), start=1):
            for wd in words:
                gap = min(wd.x0, wd.y0, w - wd.x1, h - wd.y1)
                if gap < edge - TOL:
                    problems.append(f"slide {k}: {wd.text!r} within {gap / 72:.2f} in of the "
                                    "edge")
    return problems


def to_pdf(pptx: Path, outdir: Path) -> Path:
    out = subprocess.run(["soffice", "--headless", "--norestore", "--convert-to", "pdf",
                          "--outdir", str(outdir), str(pptx)], capture_output=True,
                         timeout=300, env={"HOME": str(outdir), "PATH": "/usr/bin:/bin"})
    pdf = outdir / (pptx.stem + ".pdf")
    assert out.returncode == 0 and pdf.exists(), out.stderr.decode()[-2000:]
    return pdf


@dataclass
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def centre(self) -> tuple[float, float]:
        return (self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2


def pdf_words(pdf: Path) -> list[tuple[tuple[float, float], list[Word]]]:
    """Per page: (width, height) in points and the words with their boxes."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True,
                         check=True, timeout=120).stdout.decode()
    pages = []
    for m in re.finditer(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', out, re.S):
        words = [Word(html.unescape(w.group(5)), *(float(w.group(i)) for i in range(1, 5)))
                 for w in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)" '
                                      r'xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>',
                                      m.group(3))]
        pages.append(((float(m.group(1)), float(m.group(2))), words))
    return pages


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _tokens(text: str) -> set[str]:
    """The words of a shape's text, and the pieces a line may break them into after a
    hyphen or slash (``25-agent`` -> ``25-`` and ``agent``): a legitimate wrap, not a cut."""
    out = set()
    for w in map(_norm, text.split()):
        out.add(w)
        pieces = re.split(r"(?<=[-/])", w)
        out.update(p for p in pieces if p)
        for i in range(1, len(pieces)):
            out.add("".join(pieces[:i]))
            out.add("".join(pieces[i:]))
    return out


@dataclass
class Frame:
    kind: str  # text | table | chart | other
    x0: float
    y0: float
    x1: float
    y1: float
    words: set[str]
    name: str

    def holds(self, w: Word, tol: float = TOL) -> bool:
        return (w.x0 >= self.x0 - tol and w.x1 <= self.x1 + tol and w.y0 >= self.y0 - tol
                and w.y1 <= self.y1 + tol)

    def around(self, x: float, y: float) -> bool:
        return self.x0 <= x <= self.x1 and self.y0 <= y <= self.y1


def slide_frames(slide, page_h: float) -> list[Frame]:
    frames = []
    for sh in slide.shapes:
        x0, y0 = sh.left / EMU_PER_PT, sh.top / EMU_PER_PT
        x1, y1 = x0 + sh.width / EMU_PER_PT, y0 + sh.height / EMU_PER_PT
        if sh.has_chart:
            frames.append(Frame("chart", x0, y0, x1, y1, set(), sh.name))
        elif sh.has_table:
            text = " ".join(c.text for r in sh.table.rows for c in r.cells)
            frames.append(Frame("table", x0, y0, x1, y1, _tokens(text), sh.name))
        elif sh.has_text_frame:
            frames.append(Frame("text", x0, y0, x1, y1, _tokens(sh.text_frame.text),
                                sh.name))
    # a table may grow down to the next shape below it that it overlaps sideways
    for f in frames:
        if f.kind != "table":
            continue
        below = [g.y0 for g in frames if g is not f and g.y0 >= f.y1 - TOL
                 and g.x0 < f.x1 and g.x1 > f.x0]
        f.y1 = min(below + [page_h])
    return frames


def overflow_problems(pptx: Path, pdf: Path) -> list[str]:
    """One line per word outside its frame or not matching its frame's text."""
    prs = Presentation(str(pptx))
    pages = pdf_words(pdf)
    problems = []
    if len(pages) != len(prs.slides):
        return [f"{len(pages)} pages for {len(prs.slides)} slides"]
    for k, (slide, ((pw, ph), words)) in enumerate(zip(prs.slides, pages, strict=True),
                                                   start=1):
        sx, sy = pw / (prs.slide_width / EMU_PER_PT), ph / (prs.slide_height / EMU_PER_PT)
        assert abs(sx - 1) < 0.01 and abs(sy - 1) < 0.01, (sx, sy)
        frames = slide_frames(slide, ph)
        for w in words:
            where = f"slide {k}: {w.text!r} at ({w.x0:.0f}, {w.y0:.0f})"
            if w.x0 < -TOL or w.y0 < -TOL or w.x1 > pw + TOL or w.y1 > ph + TOL:
                problems.append(f"{where}: off the slide")
                continue
            cands = [f for f in frames if f.around(*w.centre)]
            if not cands:
                problems.append(f"{where}: outside every shape")
                continue
            text_frames = [f for f in cands if f.kind in ("text", "table")]
            own = [f for f in text_frames if _norm(w.text) in f.words]
            frame = own[0] if own else next((f for f in cands if f.kind == "chart"), None)
            if frame is None:
                problems.append(f"{where}: not a word of {cands[0].name} (cut or spilled "
                                f"from another shape)")
            elif not frame.holds(w):
                problems.append(f"{where}: overflows {frame.name}")
    return problems
