"""Show a model again when its files change: what `ldscene view` does while a builder edits.

`Reloader` looks at the watched files' sizes and modification times when polled and, once a
change has settled (the same stamps at two polls in a row, so that a file caught half-written
is not read), runs the reload in a thread: the window stays responsive while a scene
composes.  What the reload made, or the one-line reason it failed, is taken by the caller's
own thread (the window's, which owns the GL context).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from ldscene.errors import LdsceneError

T = TypeVar("T")

#: A file's (modification time in ns, size), or None when it cannot be read.
Stamp = tuple[int, int] | None


def stamps(paths: Sequence[Path]) -> tuple[Stamp, ...]:
    found: list[Stamp] = []
    for path in paths:
        try:
            stat = os.stat(path)
        except OSError:
            found.append(None)
        else:
            found.append((stat.st_mtime_ns, stat.st_size))
    return tuple(found)


@dataclass(frozen=True)
class Reloaded(Generic[T]):
    """A finished reload: what it made, or why it failed (one line)."""

    value: T | None
    error: str | None = None


class Reloader(Generic[T]):
    """Runs `load` again when one of `files` changes; `load` returns what it made and the
    files to watch from then on (a scene may now name other model files)."""

    def __init__(self, load: Callable[[], tuple[T, Sequence[Path]]], files: Sequence[Path]) -> None:
        self._load = load
        self.files = tuple(files)
        self._loaded = self._seen = stamps(self.files)
        self._thread: threading.Thread | None = None
        self._outcome: tuple[Reloaded[T], tuple[Path, ...]] | None = None

    @property
    def busy(self) -> bool:
        """Whether a reload is running or finished and not taken yet."""
        return self._thread is not None

    def poll(self) -> bool:
        """Start a reload if a watched file changed and has stayed so since the last poll;
        True if one started."""
        if self._thread is not None:
            return False
        now = stamps(self.files)
        settled = now == self._seen
        self._seen = now
        if now == self._loaded or not settled:
            return False
        self._loaded = now
        self._thread = threading.Thread(target=self._run, name="ldscene-reload", daemon=True)
        self._thread.start()
        return True

    def _run(self) -> None:
        try:
            value, files = self._load()
            self._outcome = (Reloaded(value), tuple(files))
        except LdsceneError as err:
            self._outcome = (Reloaded(None, str(err)), self.files)
        except Exception as err:  # noqa: BLE001 - a failed reload must not close the window
            self._outcome = (Reloaded(None, f"{type(err).__name__}: {err}"), self.files)

    def take(self) -> Reloaded[T] | None:
        """The finished reload's outcome, once; None while none has finished."""
        if self._thread is None or self._thread.is_alive():
            return None
        self._thread.join()
        self._thread = None
        assert self._outcome is not None
        (result, files), self._outcome = self._outcome, None
        if files != self.files:
            # Files watched before keep the stamps they had when the reload started, so a
            # change made while it ran is still seen; new ones are stamped as they are now.
            before = dict(zip(self.files, self._loaded, strict=True))
            now = dict(zip(files, stamps(files), strict=True))
            self.files = files
            self._loaded = self._seen = tuple(before.get(f, now[f]) for f in files)
        return result
