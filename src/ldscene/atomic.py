"""Write output files atomically: into a temporary file beside the target, then rename.

A reader never sees half a file, and a failed or interrupted write leaves the old file (or
nothing) behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from ldscene.errors import LdsceneError


@contextlib.contextmanager
def atomic_path(path: Path | str, what: str = "the file") -> Iterator[Path]:
    """Yield a temporary path in `path`'s folder (created if needed); on success it is
    renamed over `path`, on any failure removed.  OS errors become one-line user errors."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=folder)
        os.close(fd)
    except OSError as err:
        raise LdsceneError(f"cannot write {what}: {err.strerror or err}", path=str(path)) from None
    tmp = Path(name)
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the usual permissions
        os.replace(tmp, path)
    except OSError as err:
        raise LdsceneError(f"cannot write {what}: {err.strerror or err}", path=str(path)) from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def write_atomic(
    path: Path | str, write: Callable[[IO[bytes]], object], what: str = "the file"
) -> Path:
    """Call `write(handle)` on a binary handle to a temporary file, then rename it to `path`."""
    with atomic_path(path, what) as tmp, open(tmp, "wb") as handle:
        write(handle)
    return Path(path)
