"""`ldscene post`: a forum post kit for a scene."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ldscene.commands.options import (
    cluster_option,
    engine_options,
    input_argument,
    jobs_option,
    load_options,
    note_ignored_options,
    output_option,
    quiet_option,
)
from ldscene.commands.problems import report_problems

if TYPE_CHECKING:
    from ldscene.inputs import LoadSettings


@click.command("post")
@input_argument("SCENE")
@output_option("Folder to create (a previous post there is replaced).")
@click.option(
    "--image-format",
    default="jpg",
    show_default=True,
    metavar="FORMAT",
    help="Stills: jpg, png or webp.",
)
@click.option(
    "--turntable",
    "turntable",
    default="gif",
    show_default=True,
    metavar="FORMAT",
    help="Turntable: gif, webp, mp4 or none.",
)
@click.option(
    "--width",
    type=int,
    default=None,
    help="Still width (default: the scene's render size, else 1600; at most 1600).",
)
@click.option("--height", type=int, default=None, help="Still height.")
@click.option(
    "--turntable-width", type=int, default=480, show_default=True, help="Turntable frame width."
)
@click.option("--frames", type=int, default=24, show_default=True, help="Turntable frames.")
@click.option(
    "--url-prefix",
    default="",
    metavar="URL",
    help="Where the folder will be online; Markdown/BBCode links start with it.",
)
@jobs_option("Turntable worker processes.")
@engine_options(default="path")
@cluster_option
@quiet_option("No progress, no summary.")
@load_options
def post_command(
    input_path: Path,
    output: Path,
    image_format: str,
    turntable: str,
    width: int | None,
    height: int | None,
    turntable_width: int,
    frames: int,
    url_prefix: str,
    jobs: int | None,
    cluster: str | None,
    quiet: bool,
    load: LoadSettings,
    **engine: Any,
) -> None:
    """A forum post kit: one image per scene camera, a turntable, parts lists, and the
    post text as Markdown, BBCode and HTML.

    The camera images are path-traced (photo-real; --engine raster for a quick draft); the
    turntable is always drawn by the raster engine.  With --cluster both are rendered by a
    Ray cluster."""
    from ldscene.farm.cluster import resolve_cluster
    from ldscene.post import PostRequest, make_post
    from ldscene.render.engines import EngineSettings

    settings = EngineSettings.parse(**engine)
    note_ignored_options(settings.engine.value)
    request = PostRequest(
        input_path=input_path,
        output=output,
        image_format=image_format,
        turntable=turntable,
        width=width,
        height=height,
        turntable_width=turntable_width,
        frames=frames,
        url_prefix=url_prefix,
        jobs=jobs,
        cluster=resolve_cluster(cluster),
        quiet=quiet,
        load=load,
        engine=settings,
    )
    make_post(
        request,
        echo=click.echo,
        warn=lambda text: click.echo(text, err=True),
        on_loaded=lambda model: report_problems(model, quiet=quiet),
    )
