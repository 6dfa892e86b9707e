"""The one error a sweep raises beyond a bad scenario: it cannot run as asked."""

from __future__ import annotations

from ..scenario import ScenarioError


class SweepError(ScenarioError):
    """A sweep cannot run as asked (output file, partial results, backend)."""

    def __init__(self, message: str):
        super().__init__([message], "sweep")


__all__ = ["SweepError"]
