"""Click options that several commands share, each defined once.

A name ending in `_option` is one option; `load_options` and `engine_options` apply a group.
Options whose help text differs per command (`quiet_option`, `jobs_option`) take it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from ldscene.imaging import MAX_AA

F = TypeVar("F", bound=Callable)


def option_group(*options: Callable[[F], F]) -> Callable[[F], F]:
    """One decorator applying `options` in the order written (as if stacked above a command)."""

    def decorate(command: F) -> F:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def input_argument(metavar: str = "INPUT") -> Callable[[F], F]:
    """The one model or scene file a command reads."""
    return click.argument("input_path", metavar=metavar, type=click.Path(path_type=Path))


def output_option(help_text: str, required: bool = True) -> Callable[[F], F]:
    """-o/--output: the file (or folder) a command writes.  (No `default=` when required:
    click 8.5 takes an explicit None for a value given, and no longer says it is missing.)"""
    default = {} if required else {"default": None}
    return click.option(
        "-o", "--output", "output", type=click.Path(path_type=Path), required=required,
        help=help_text, **default,
    )  # fmt: skip


library_option = click.option(
    "--library",
    "library",
    type=click.Path(path_type=Path),
    default=None,
    help="LDraw library folder or complete.zip (default: $LDRAWDIR, config, usual places).",
)
strict_option = click.option(
    "--strict", is_flag=True, help="Treat missing parts and malformed lines as errors."
)
cache_option = click.option(
    "--no-cache", "no_cache", is_flag=True, help="Do not read or write the on-disk geometry cache."
)


def load_options(command: F) -> F:
    """--library, --strict and --no-cache, given to `command` as one `load`
    (`ldscene.inputs.LoadSettings`)."""

    @functools.wraps(command)
    def run(*args, library: Path | None, strict: bool, no_cache: bool, **kwargs):
        from ldscene.inputs import LoadSettings  # here: `ldscene --help` loads no LDraw code

        return command(*args, load=LoadSettings(library, strict, not no_cache), **kwargs)

    return option_group(library_option, strict_option, cache_option)(run)  # type: ignore[return-value]


def quiet_option(help_text: str) -> Callable[[F], F]:
    return click.option("-q", "--quiet", is_flag=True, help=help_text)


def jobs_option(help_text: str) -> Callable[[F], F]:
    return click.option("-j", "--jobs", type=int, default=None, help=help_text)


aa_option = click.option(
    "--aa",
    type=click.IntRange(1, MAX_AA),  # refused before any "ignored" note
    default=2,
    show_default=True,
    help="Supersampling factor per axis (1 = no anti-aliasing).",
)
edges_option = click.option(
    "--edges/--no-edges", default=None, help="Draw LDraw edge lines (default on)."
)
no_shadows_option = click.option("--no-shadows", is_flag=True, help="No shadows (faster).")

cluster_option = click.option(
    "--cluster",
    metavar="ADDRESS",
    default=None,
    help="Render on a Ray cluster: HOST:PORT of its head (`ray start --head`), "
    "ray://HOST:10001, auto, or local (a throwaway one on this machine). Default "
    "$LDSCENE_CLUSTER, else $RAY_ADDRESS; `none`: this machine. "
    "Needs pip install 'ldscene[cluster]'.",
)


def engine_options(default: str = "raster") -> Callable[[F], F]:
    """The render engine and the path engine's options, shared by the image commands.

    Values are checked by `EngineSettings.parse` (one-line errors, exit 1), not by click;
    the command takes them as `**engine`."""
    return option_group(
        click.option(
            "--engine",
            default=default,
            show_default=True,
            metavar="raster|path",
            help="raster: fast OpenGL preview; path: photo-real path tracing (Mitsuba 3).",
        ),
        click.option(
            "--samples",
            type=int,
            default=None,
            help="Path engine: samples per pixel (default 24; more is smoother and slower).",
        ),
        click.option(
            "--denoise/--no-denoise",
            default=True,
            show_default=True,
            help="Path engine: remove the remaining noise with Intel Open Image Denoise.",
        ),
        click.option(
            "--seed",
            type=int,
            default=0,
            show_default=True,
            help="Path engine: random seed; the same seed gives the same image.",
        ),
        click.option(
            "--light",
            default="studio",
            show_default=True,
            metavar="studio|daylight",
            help="Path engine: soft studio light, or sun and sky.",
        ),
        click.option(
            "--device",
            default="auto",
            show_default=True,
            metavar="auto|cpu|cuda",
            help="Path engine: where to trace; auto uses an NVIDIA GPU when there is one.",
        ),
    )


#: Options only one engine reads, by parameter name: raster, then path.
RASTER_ONLY = ("aa", "edges", "no_shadows", "no_ao")
PATH_ONLY = ("samples", "denoise", "seed", "light", "device")


def note_ignored_options(engine: str) -> None:
    """A note on stderr naming the options given on the command line that `engine` ("raster"
    or "path", already checked) does not read, so a builder is not left wondering."""
    ctx = click.get_current_context()
    other, names = ("path", PATH_ONLY) if engine == "raster" else ("raster", RASTER_ONLY)
    given = [
        "/".join(param.opts + param.secondary_opts)
        for param in ctx.command.params
        if param.name in names
        and ctx.get_parameter_source(param.name) is click.core.ParameterSource.COMMANDLINE
    ]
    if given:
        verb = "is" if len(given) == 1 else "are"
        click.echo(f"note: {', '.join(given)} {verb} for --engine {other} only; ignored", err=True)
