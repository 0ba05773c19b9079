"""`ldscene library`: which LDraw library is used, and installing one."""

from __future__ import annotations

import os
from pathlib import Path

import click

from ldscene.commands.options import library_option, quiet_option


@click.group(invoke_without_command=True)
@library_option
@click.pass_context
def library(ctx: click.Context, library: Path | None) -> None:
    """Show which LDraw library is used (see `library install` to get one)."""
    if ctx.invoked_subcommand is not None:
        return
    from ldscene.ldraw.library import find_library

    lib = find_library(library)
    kind = "zip archive" if lib.is_zip else "folder"
    click.echo(f"LDraw library: {lib.root} ({kind})")
    click.echo(f"parts: {lib.n_parts:,}  files: {len(lib.index):,}")


@library.command("install")
@click.option(
    "--from",
    "source",
    default=None,
    metavar="PATH_OR_URL",
    help="A local complete.zip or a URL (default: the official LDraw download).",
)
@click.option(
    "--to",
    "target",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder to install into (default: the user data folder); it is recorded as the "
    "library to use in ldscene's config file (ldscene library shows the library in use).",
)
@quiet_option("No progress bar.")
@click.option(
    "--force",
    is_flag=True,
    help="Replace what --to holds even if it is not a library ldscene installed.",
)
def library_install(source: str | None, target: Path | None, quiet: bool, force: bool) -> None:
    """Download (or copy) and unpack the official LDraw parts library."""
    from ldscene.ldraw.install import install_library

    done = install_library(source, target, progress=not quiet, force=force)
    if done.skipped:
        click.echo(f"the same library is already installed in {done.folder}; nothing to do")
    else:
        verb = "replaced the LDraw library" if done.replaced else "installed the LDraw library"
        click.echo(f"{verb} in {done.folder}")
    click.echo(f"recorded in {done.config}: the next ldscene command uses it")
    if os.environ.get("LDRAWDIR") and Path(os.environ["LDRAWDIR"]) != done.folder:
        click.echo(
            f"note: LDRAWDIR={os.environ['LDRAWDIR']} is set and comes first; unset it or "
            f"set LDRAWDIR={done.folder}",
            err=True,
        )
