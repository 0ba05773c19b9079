"""The `ldscene` command line: the click group, its error handling, and the commands (one module
each in `ldscene.commands`) registered on it."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import sys
from pathlib import Path

import click

from ldscene import __version__
from ldscene.commands import (
    cache,
    export,
    info,
    library,
    parts,
    post,
    render,
    schema,
    search,
    turntable,
    view,
)
from ldscene.errors import LdsceneError


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Python warnings as our own one-line `warning:` (ldscene's), or not at all (a library's
    numeric or deprecation chatter, with its source paths, means nothing to a user; set
    LDSCENE_DEBUG=1 to see those)."""
    text = str(message).strip().splitlines()[0] if str(message).strip() else category.__name__
    ours = f"{os.sep}ldscene{os.sep}" in str(filename)
    if ours or os.environ.get("LDSCENE_DEBUG"):
        where = "" if ours else f" ({category.__name__} in {Path(str(filename)).name}:{lineno})"
        click.echo(f"warning: {text}{where}", err=True)


class LdsceneGroup(click.Group):
    """Turns `LdsceneError` into one line on stderr and exit code 1, never a traceback;
    Python warnings become one-line `warning:`s (see `_show_warning`)."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        import warnings

        warnings.showwarning = _show_warning
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # a full disk under `> file` is this command's error, shown here
            return result
        except BrokenPipeError:  # `ldscene ... | head`: the reader has all it wanted
            _drop_stdout()
            sys.exit(1)
        except OSError as err:
            if err.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EIO) or err.filename:
                raise
            click.echo(f"error: cannot write the output: {err.strerror}", err=True)
            _drop_stdout()
            sys.exit(1)
        except LdsceneError as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(1)
        except Terminated as ended:
            with contextlib.suppress(OSError):  # a closed terminal cannot be told
                click.echo(ENDING_SIGNALS[signal.Signals(ended.signum)], err=True)
            sys.exit(128 + ended.signum)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except Exception as err:
            if not _caused_by_interrupt(err):
                raise
            click.echo("interrupted", err=True)  # Mitsuba wraps Ctrl-C in a RuntimeError
            sys.exit(130)


def _drop_stdout() -> None:
    """Send what is still buffered for stdout nowhere: its flush at exit would fail again."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


class Terminated(KeyboardInterrupt):
    """SIGTERM (kill, timeout, a CI's cancel) or SIGHUP (the terminal closed), raised as a
    Ctrl-C is: the same clean-up runs (workers stopped, temporaries removed, finished work
    recorded), then exit 128 + the signal's number (143, 129)."""

    def __init__(self, signum: int = signal.SIGTERM) -> None:
        super().__init__(signum)
        self.signum = int(signum)


#: What a run ended by each of these signals says last.
ENDING_SIGNALS = {signal.SIGTERM: "terminated", signal.SIGHUP: "hung up"}


def _terminate(signum, frame) -> None:
    raise Terminated(signum)


def _caused_by_interrupt(err: BaseException) -> bool:
    """Whether `err` was raised because of a Ctrl-C (a KeyboardInterrupt in its chain)."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        if isinstance(current, KeyboardInterrupt):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


@click.group(cls=LdsceneGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ldscene")
def cli() -> None:
    """Assemble LEGO dioramas from LDraw models and render them."""


for _command in (
    info.info,
    search.search_command,
    cache.cache,
    library.library,
    export.export_command,
    parts.parts_command,
    schema.schema_command,
    render.render_command,
    view.view_command,
    turntable.turntable_command,
    post.post_command,
):
    cli.add_command(_command)


def main() -> None:
    # One BLAS thread, unless the user says otherwise; set before numpy is first imported.
    # ldscene's matrix products are small or already run beside other threads (mesh workers,
    # llvmpipe, cache writes); OpenBLAS's own threads then only spin on the two cores that
    # work needs (a cold Millennium Falcon render: about 0.1 s faster).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    for signum in ENDING_SIGNALS:
        signal.signal(signum, _terminate)
    try:
        cli()
    except SystemExit as done:
        # A one-shot render skips freeing what it built, unless a profiler or tracer (cProfile,
        # coverage) waits to write its results when the interpreter exits.
        if sys.argv[1:2] == ["render"] and sys.getprofile() is None and sys.gettrace() is None:
            from ldscene.quick_exit import leave

            leave(done.code)
        raise
