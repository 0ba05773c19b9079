"""Write output files atomically: into a temporary file beside the target, then rename.

A reader never sees half a file, and a failed or interrupted write leaves the old file (or
nothing) behind.  Every writer goes through `atomic_path`, so the rules live here once: only a
regular file (or nothing) is replaced, never a device node, FIFO or folder; a read-only file is
refused; the temporary file is removed on any failure.  A SIGKILL cannot run that clean-up, so
temporaries carry a recognisable name (`.NAME.ldscene-tmp-XXXX.SUFFIX`) and the next write in
the same folder removes those older than `STALE_AFTER_S`.  `file_digest` is how the records
ldscene keeps of files (a batch's, a post's) know one again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from ldscene.errors import LdsceneError

#: Marks our temporaries; a leftover older than `STALE_AFTER_S` belongs to a killed run.
TEMP_MARK = ".ldscene-tmp-"
STALE_AFTER_S = 15 * 60


def check_target(path: Path, what: str = "the file") -> None:
    """Refuse a target that is not a regular file or is read-only (before any work)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return
    except OSError as err:
        raise _write_error(what, path, err) from None
    if stat.S_ISDIR(info.st_mode):
        raise LdsceneError(
            f"cannot write {what}: it is a folder",
            path=str(path),
            hint="give a file name in it",
        )
    if not stat.S_ISREG(info.st_mode):
        raise LdsceneError(
            f"cannot write {what}: it is a special file (device, FIFO or socket)",
            path=str(path),
            hint="give the path of a regular file",
        )
    # Mode bits, not os.access: root may write anything, but a read-only file is a statement.
    if not info.st_mode & 0o222 or not os.access(path, os.W_OK):
        raise LdsceneError(
            f"cannot overwrite {what}: it is read-only",
            path=str(path),
            hint="make it writable or choose another output path",
        )


def remove_stale_temporaries(folder: Path, now: float | None = None) -> None:
    """Delete our temporaries in `folder` older than `STALE_AFTER_S` (left by a killed run)."""
    now = time.time() if now is None else now
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            if TEMP_MARK not in entry.name or not entry.name.startswith("."):
                continue
            with contextlib.suppress(OSError):
                if entry.is_file(follow_symlinks=False) and (
                    now - entry.stat(follow_symlinks=False).st_mtime > STALE_AFTER_S
                ):
                    os.unlink(entry.path)


@contextlib.contextmanager
def atomic_path(path: Path | str, what: str = "the file") -> Iterator[Path]:
    """Yield a temporary path in `path`'s folder (created if needed); on success it is
    renamed over `path`, on any failure removed.  OS errors become one-line user errors."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    check_target(path, what)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(folder)
        fd, name = tempfile.mkstemp(
            prefix=f".{path.name}{TEMP_MARK}", suffix=path.suffix, dir=folder
        )
        os.close(fd)
    except OSError as err:
        raise _write_error(what, path, err) from None
    tmp = Path(name)
    try:
        yield tmp
        check_target(path, what)  # it may have become something else while we worked
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the usual permissions
        os.replace(tmp, path)
    except OSError as err:
        raise _write_error(what, path, err) from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _write_error(what: str, path: Path, err: OSError) -> LdsceneError:
    return LdsceneError(
        f"cannot write {what}: {err.strerror or err}",
        path=str(path),
        hint="check that its folder can be made and written to, and that the disk has room",
    )


def write_atomic(
    path: Path | str, write: Callable[[IO[bytes]], object], what: str = "the file"
) -> Path:
    """Call `write(handle)` on a binary handle to a temporary file, then rename it to `path`."""
    with atomic_path(path, what) as tmp, open(tmp, "wb") as handle:
        write(handle)
    return Path(path)


def file_digest(path: Path) -> str | None:
    """The sha256 of a file's bytes; None when it cannot be read (gone, unreadable)."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None
