"""Ctrl-C during a path render.

Mitsuba catches SIGINT inside `mi.render` itself: it logs "Received interrupt signal, winding
down.." and, on the LLVM variant, finishes the pass and returns as usual, so Python never saw
the Ctrl-C and the command went on to write its image.  `interrupt_watch` hooks a log appender
into Mitsuba's logger that notices that message; the renderer checks it after every pass
(`raise_if_interrupted`), which ends the command as a Ctrl-C elsewhere does.
"""

from __future__ import annotations

from functools import cache

#: What Mitsuba logs when its render catches SIGINT.
MITSUBA_INTERRUPT = "Received interrupt signal"


@cache
def interrupt_watch(mi):
    """The process's one appender on Mitsuba's logger (made at the first call)."""

    class InterruptWatch(mi.Appender):
        def __init__(self) -> None:
            super().__init__()
            self.tripped = False

        def append(self, level, text: str) -> None:
            if MITSUBA_INTERRUPT in text:
                self.tripped = True

        def log_progress(self, *args) -> None:
            pass

    watch = InterruptWatch()
    mi.logger().add_appender(watch)
    return watch


def raise_if_interrupted(mi) -> None:
    """KeyboardInterrupt if a Ctrl-C reached Mitsuba since the last check."""
    watch = interrupt_watch(mi)
    if watch.tripped:
        watch.tripped = False
        raise KeyboardInterrupt
