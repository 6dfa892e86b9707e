"""Every term the outputs use has a plain-words entry in docs/glossary.md: the label
registry's outputs and summary entries, the app's headline metrics and the CLI's tables."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from simulator.cli import build_parser, main
from simulator.cli.analysis import BREAKEVEN_FIELDS
from simulator.labels import OUTPUTS, SUMMARY

GLOSSARY = Path(__file__).resolve().parents[1] / "docs" / "glossary.md"
#: Words that name a unit, a statistic's number or plain English, not a term.
_PLAIN = {"USD", "EUR", "GBP"}
_ACRONYM = re.compile(r"\b(?:[A-Z]{2,}|P\d{1,2})\b")


def _terms() -> set[str]:
    text = GLOSSARY.read_text()
    heads = re.findall(r"^### (.+)$", text, flags=re.M)
    bold = re.findall(r"\*\*([^*]+)\*\*", text)
    return {t.strip().lower() for t in heads + bold}


def _covered(label: str, terms: set[str]) -> list[str]:
    """What in ``label`` lacks an entry: an acronym (NPV, P10) without its own entry, or a
    label none of whose words or phrases is a glossary term."""
    missing = [a for a in _ACRONYM.findall(label) if a not in _PLAIN and a.lower() not in terms]
    low = re.sub(r" \([^)]*\)$", "", label.lower())
    if not any(t in low for t in terms):
        missing.append(label)
    return missing


def test_the_glossary_has_the_terms_the_issue_names():
    terms = _terms()
    for t in ("p10", "npv", "expectation gap", "pilot lens", "shapley share", "evpi", "ess",
              "bass p and q", "load exponent"):
        assert t in terms, t


def test_every_registry_label_has_a_glossary_entry():
    terms = _terms()
    labels = [o.label for o in OUTPUTS.values()] + [o.label for o in SUMMARY.values()
                                                    if o.kind != "text"]
    gaps = {lab: m for lab in labels if (m := _covered(lab, terms))}
    assert not gaps, gaps


def test_every_app_headline_label_has_a_glossary_entry(seed_case):
    from simulator import simulate
    from simulator.ui.metrics import headline_metrics

    res = simulate(seed_case, paths=100, seed=1)
    terms = _terms()
    gaps = {h.label: m for h in headline_metrics(res) if (m := _covered(h.label, terms))}
    assert not gaps, gaps
    assert all("docs/glossary.md#" in h.help for h in headline_metrics(res))


@pytest.mark.parametrize("argv", [
    ["gap", "scenarios/seed_case.toml", "--paths", "200", "--bootstrap", "0"],
    ["levers", "scenarios/seed_case.toml", "--paths", "200"],
    ["sensitivity", "scenarios/seed_case.toml", "--paths", "200", "--top-k", "2",
     "--spider-k", "1"],
])
def test_every_acronym_in_a_cli_table_has_a_glossary_entry(capsys, argv):
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    headers = [lines[i + 1] for i, line in enumerate(lines[:-1]) if set(line) == {"="}]
    assert headers
    terms = _terms()
    for h in headers + list(BREAKEVEN_FIELDS.values()):
        missing = [a for a in _ACRONYM.findall(h) if a not in _PLAIN and a.lower() not in terms]
        assert not missing, (h, missing)


def test_cli_help_points_to_the_glossary():
    text = build_parser().format_help()
    assert "docs/glossary.md" in text and "docs/quickstart-finance.md" in text
