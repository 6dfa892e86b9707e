"""Money read side by side is written in one scale: one suffix per row, every figure
within half a unit of its last digit."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from simulator.formatting import money, money_row

_MONEY = re.compile(r"(-?)EUR ([\d,.]+)([kMB]?)")


def _parse(text: str) -> tuple[float, str, int]:
    m = _MONEY.fullmatch(text)
    assert m, text
    scale = {"": 1, "k": 1e3, "M": 1e6, "B": 1e9}[m.group(3)]
    digits = len(m.group(2).split(".")[1]) if "." in m.group(2) else 0
    value = float(m.group(2).replace(",", "")) * scale * (-1 if m.group(1) else 1)
    return value, m.group(3), digits


def test_the_issue_row_reads_in_one_scale():
    assert money_row([5000, 8000, 12000], "EUR") == ["EUR 5k", "EUR 8k", "EUR 12k"]
    assert money_row([1500, 2000, 3000], "EUR") == [money(v, "EUR") for v in (1500, 2000,
                                                                               3000)]


@given(st.lists(st.floats(-5e9, 5e9, allow_nan=False), min_size=1, max_size=4))
def test_one_suffix_per_row_and_each_figure_close(values):
    texts = money_row(values, "EUR")
    if max(abs(v) for v in values) < 1e4:
        assert texts == [money(v, "EUR") for v in values]
        return
    parsed = [_parse(t) for t in texts]
    assert len({suffix for _, suffix, _ in parsed}) == 1, texts
    for v, (got, suffix, digits) in zip(values, parsed, strict=True):
        unit = {"k": 1e3, "M": 1e6, "B": 1e9}[suffix] * 10.0 ** -digits
        assert abs(got - v) <= 0.5 * unit * (1 + 1e-9), (v, texts)
