"""Leave a finished one-shot command without the interpreter's teardown.

After `ldscene render` has written its image, CPython's finalization still frees every
object one by one: the parsed library, the meshes, the GL context's Python wrappers (measured:
0.05 s for a small model, 0.15 s for the Millennium Falcon).  Nothing of it is needed, so
`leave` does what the interpreter's exit does that matters (waits for non-daemon threads,
such as the disk cache's writer, runs the atexit handlers, flushes stdout and stderr) and
then ends the process with `os._exit`.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
from typing import NoReturn


def exit_status(code: object) -> int:
    """The process status `sys.exit(code)` gives: None -> 0, an int as is, else 1 (printed)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def leave(code: object) -> NoReturn:
    """Exit now with `sys.exit(code)`'s status, skipping only the freeing of objects."""
    status = exit_status(code)
    threading._shutdown()  # type: ignore[attr-defined]  # joins non-daemon threads, as exit does
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # closed or gone: nothing to save
            stream.flush()
    os._exit(status)
