"""Progress: what long work reports (`Progress`), and its displays on stderr (a one-line
status for a render, only when stderr is a terminal; a counting bar for many images)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

#: Told how long work is going: `(stage, fraction done)`, the fraction in 0..1.
Progress = Callable[[str, float], None]


class ProgressLine:
    """Callable `(stage, fraction)` that redraws one status line; silent when disabled."""

    def __init__(self, enabled: bool | None = None, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        if enabled is None:
            enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.enabled = enabled
        self.start = time.perf_counter()
        self._last = 0.0
        self._shown = False

    def __call__(self, stage: str, fraction: float | None = None) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if fraction not in (None, 0.0, 1.0) and now - self._last < 0.1:
            return  # do not flood the terminal
        self._last = now
        pct = "" if fraction is None else f" {100 * fraction:3.0f}%"
        self.stream.write(f"\r\x1b[K{stage}{pct}  [{now - self.start:5.1f} s]")
        self.stream.flush()
        self._shown = True

    def done(self) -> None:
        """Erase the line (the command prints its own result)."""
        if self.enabled and self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._shown = False


def counting_bar(description: str, total: int | None = None):
    """A rich progress bar on stderr that counts things done (frames, inputs) with the time
    left, and vanishes when stopped; for the commands that render many images."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    progress = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    return progress, progress.add_task(description, total=total)
