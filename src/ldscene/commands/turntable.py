"""`ldscene turntable`: an animation circling a model."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ldscene.commands.options import (
    aa_option,
    cluster_option,
    edges_option,
    engine_options,
    input_argument,
    jobs_option,
    load_options,
    no_shadows_option,
    note_ignored_options,
    output_option,
    quiet_option,
)
from ldscene.commands.problems import report_problems

if TYPE_CHECKING:
    from ldscene.inputs import LoadSettings


@click.command("turntable")
@input_argument()
@output_option("Animation file: .gif, .webp or .mp4 (MP4 needs imageio-ffmpeg).")
@click.option("--frames", type=int, default=36, show_default=True, help="Frames per turn.")
@click.option("--fps", type=float, default=12.0, show_default=True, help="Frames per second.")
@click.option(
    "--width",
    type=int,
    default=None,
    help="Frame width (default 640; one side alone keeps the shape).",
)
@click.option(
    "--height", type=int, default=None, help="Frame height (default: the scene's shape, else 4:3)."
)
@click.option(
    "--lat", type=float, default=30.0, show_default=True, help="Camera elevation in degrees."
)
@click.option(
    "--start",
    "start_lon",
    type=float,
    default=45.0,
    show_default=True,
    help="Longitude of the first frame in degrees.",
)
@aa_option
@click.option("--background", default=None, metavar="#RRGGBB", help="Background colour.")
@edges_option
@no_shadows_option
@jobs_option("Worker processes rendering frames (default: one per core, at most 8).")
@engine_options()
@cluster_option
@quiet_option("No progress bar, no summary.")
@load_options
def turntable_command(
    input_path: Path,
    output: Path,
    frames: int,
    fps: float,
    width: int | None,
    height: int | None,
    lat: float,
    start_lon: float,
    aa: int,
    background: str | None,
    edges: bool | None,
    no_shadows: bool,
    jobs: int | None,
    cluster: str | None,
    quiet: bool,
    load: LoadSettings,
    **engine: Any,
) -> None:
    """Render a turntable animation (the camera circles the model), offscreen.

    Frames are rendered by local worker processes, or by a Ray cluster with --cluster."""
    from ldscene.farm.cluster import resolve_cluster
    from ldscene.render.engines import EngineSettings
    from ldscene.render.turntable import TurntableRequest, turntable_input

    settings = EngineSettings.parse(**engine)
    note_ignored_options(settings.engine.value)
    request = TurntableRequest(
        input_path,
        output,
        frames=frames,
        width=width,
        height=height,
        fps=fps,
        latitude=lat,
        start_longitude=start_lon,
        aa=aa,
        background=background,
        edges=edges,
        shadows=not no_shadows,
        jobs=jobs,
        quiet=quiet,
        load=load,
        engine=settings,
        cluster=resolve_cluster(cluster),
    )
    turntable_input(
        request, echo=click.echo, on_loaded=lambda model: report_problems(model, quiet=quiet)
    )
