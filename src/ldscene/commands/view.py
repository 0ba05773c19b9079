"""`ldscene view`: a model or scene in a window."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ldscene.commands.options import input_argument, load_options
from ldscene.commands.problems import report_problems

if TYPE_CHECKING:
    from ldscene.inputs import LoadSettings


@click.command("view")
@input_argument()
@click.option(
    "--camera",
    default=None,
    metavar="NAME",
    help="Start at this scene camera (any of them; keys 1-9 reach the first nine), or for a "
    "model at a view: iso, front, right, back, left, top, bottom.",
)
@click.option("--width", type=int, default=1024, show_default=True, help="Window width.")
@click.option("--height", type=int, default=768, show_default=True, help="Window height.")
@click.option("--edges/--no-edges", default=None, help="Start with edge lines on/off.")
@click.option("--no-shadows", is_flag=True, help="Start with shadows off (faster).")
@click.option(
    "--screenshot",
    type=click.Path(path_type=Path),
    default=None,
    help="Save the window's view to this image (after --exit-after seconds, "
    "else after the first frame).",
)
@click.option(
    "--exit-after",
    type=float,
    default=None,
    metavar="SECONDS",
    help="Close the window this many seconds after the first frame.",
)
@load_options
def view_command(
    input_path: Path,
    camera: str | None,
    width: int,
    height: int,
    edges: bool | None,
    no_shadows: bool,
    screenshot: Path | None,
    exit_after: float | None,
    load: LoadSettings,
) -> None:
    """Look at a model or scene in a window (needs a display).

    \b
    Mouse: left drag orbits, shift+left or middle drag pans, wheel or right drag zooms,
    ctrl+left drag rolls.
    Keys: 1-9 scene cameras (auto views for models), c prints the camera as a line to
    paste under the scene's cameras:, e edges, h shadows, a spin,
    s screenshot (renders/<input>-view.png), z back to the camera, f fullscreen, q/Esc quit.
    Edit the scene (or model) file while looking: the window shows it again when you save
    it, or any model file it uses, from where the camera is.
    """
    from ldscene.render.raster.viewer import view_input

    view_input(
        input_path,
        camera=camera,
        width=width,
        height=height,
        edges=edges,
        shadows=not no_shadows,
        screenshot=screenshot,
        exit_after=exit_after,
        load=load,
        echo=click.echo,
        on_loaded=report_problems,
    )
