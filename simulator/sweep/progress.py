"""Progress of a running sweep: a tqdm bar on a terminal, plain lines otherwise.

Both report points done, the rate (points per second, counted over this run only, so a
resumed run does not look faster than it is) and the time left. Plain lines are
throttled (every ``every`` seconds, plus the last one) so logs of a long sweep on a
cluster stay short.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


def _duration(seconds: float) -> str:
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{(s % 3600) // 60:02d}m"


class Progress:
    """A progress callback ``(done, total)`` for :func:`~simulator.sweep.run_sweep`.

    ``bar=None`` picks the tqdm bar when ``stream`` is a terminal. Use as a context
    manager (or call :meth:`close`) to finish the bar or print the last line.
    """

    def __init__(self, stream: TextIO | None = None, bar: bool | None = None,
                 every: float = 5.0, label: str = "sweep"):
        self.stream = stream if stream is not None else sys.stderr
        self.bar = self.stream.isatty() if bar is None else bar
        self.every = every
        self.label = label
        self._tqdm = None
        self._start: float | None = None
        self._first = 0
        self._done = 0
        self._total = 0
        self._last_line = -1.0
        self._printed = -1

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if self._start is None:
            self._start, self._first, self._total = now, done, total
        self._total = total
        if self.bar:
            self._update_bar(done, total)
            self._done = done
        else:
            self._done = done
            if done >= total or now - self._last_line >= self.every:
                self._line(now)

    def _update_bar(self, done: int, total: int) -> None:
        if self._tqdm is None:
            from tqdm.auto import tqdm

            self._tqdm = tqdm(total=total, initial=done, unit="pt", desc=self.label,
                              file=self.stream, dynamic_ncols=True, smoothing=0.1)
        else:
            self._tqdm.update(done - self._tqdm.n)

    def rate(self) -> float | None:
        """Points per second in this run so far (None before any finished)."""
        if self._start is None:
            return None
        dt = time.monotonic() - self._start
        n = self._done - self._first
        return n / dt if n > 0 and dt > 0 else None

    def _line(self, now: float) -> None:
        self._last_line = now
        self._printed = self._done
        done, total = self._done, self._total
        pct = 100.0 * done / total if total else 100.0
        text = f"{self.label}: {done}/{total} points ({pct:.0f}%)"
        r = self.rate()
        if r is not None:
            text += f", {r:.3g} points/s"
            if done < total:
                text += f", about {_duration((total - done) / r)} left"
            else:
                text += f", took {_duration(now - self._start)}"
        print(text, file=self.stream, flush=True)

    def close(self) -> None:
        if self._tqdm is not None:
            self._tqdm.close()
            self._tqdm = None
        elif not self.bar and self._start is not None and self._printed != self._done:
            self._line(time.monotonic())


__all__ = ["Progress"]
