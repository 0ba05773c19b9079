"""`ldscene render`: models or scenes to images."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ldscene.commands.options import (
    aa_option,
    cluster_option,
    edges_option,
    engine_options,
    jobs_option,
    load_options,
    no_shadows_option,
    note_ignored_options,
    quiet_option,
)
from ldscene.commands.problems import report_problems

if TYPE_CHECKING:
    from ldscene.inputs import LoadSettings


@click.command("render")
@click.argument("input_paths", metavar="INPUT...", nargs=-1, required=True, type=click.Path())
@click.option(
    "-o",
    "--output",
    default=None,
    metavar="PATH",
    help="Image file (.png .jpg .webp); default renders/<input-stem>.png. "
    "With several views, -<view> is added to the name. With several inputs or a folder, "
    "a folder (OUT/), default renders/.",
)
@click.option(
    "--format",
    "image_format",
    default="png",
    show_default=True,
    metavar="png|jpg|webp",
    help="Image format when the names are made up (a batch, or no -o).",
)
@click.option(
    "--view",
    "views",
    multiple=True,
    metavar="NAME",
    help="iso, front, back, left, right, top, bottom; repeat for several images.",
)
@click.option(
    "--lat",
    type=float,
    default=None,
    help="Camera elevation in degrees (-90..90): with --view, that view's elevation; else "
    "a view of its own (with --lon; default 30, as iso), beside any --camera.",
)
@click.option(
    "--lon",
    type=float,
    default=None,
    help="Camera turn in degrees from the front towards the right: with --view, that "
    "view's; else a view of its own (with --lat; default 45, as iso), beside any --camera.",
)
@click.option(
    "--camera",
    "cameras",
    multiple=True,
    metavar="NAME",
    help="A named camera of a scene file; repeatable.",
)
@click.option("--all-cameras", is_flag=True, help="Render every camera of a scene file.")
@click.option(
    "--fov",
    type=float,
    default=None,
    help="Vertical field of view in degrees (default 30; replaces a scene camera's fov:). Views "
    "are framed to hold the whole model, so a narrower one flattens the perspective rather than "
    "zooming in; for a close-up, aim a scene camera at a target.",
)
@click.option("--ortho", is_flag=True, help="Orthographic projection.")
@click.option("--width", type=int, default=None, help="Image width (default 1600).")
@click.option("--height", type=int, default=None, help="Image height (default 1200).")
@aa_option
@click.option(
    "--background", default=None, metavar="#RRGGBB", help="Background colour (default #E6E8EB)."
)
@click.option(
    "--transparent",
    is_flag=True,
    help="Transparent background (PNG/WebP alpha): laid over the --background colour (the "
    "page's), the image is the opaque render; glass keeps some of that colour in its own.",
)
@click.option(
    "--ground/--no-ground",
    default=None,
    help="A floor that catches the model's shadow (default: on for models; for scenes, "
    "on with --engine path).",
)
@edges_option
@no_shadows_option
@click.option(
    "--no-ao", is_flag=True, help="No ambient occlusion (contact shading in crevices; faster)."
)
@click.option(
    "--studs",
    type=click.Choice(["auto", "full", "fast", "logo"]),
    default="auto",
    show_default=True,
    help="fast: LDraw's 8-sided fast-draw studs; logo: studs with the LEGO logo; auto: fast "
    "when every stud of an auto-framed model comes out under 12 px wide, logo when the "
    "nearest is 40 px or wider; scenes keep full studs (their cameras may come close).",
)
@engine_options()
@cluster_option
@jobs_option(
    "Local worker processes (default for a batch: one per core, at most 8, or one with "
    "--engine path; one input renders in this process unless -j is more than 1)."
)
@click.option("--force", is_flag=True, help="Render a batch's up-to-date images again.")
@quiet_option("No progress line, no summary.")
@click.option("--timings", is_flag=True, help="Print the seconds each stage took (stderr).")
@load_options
def render_command(
    input_paths: tuple[str, ...],
    output: str | None,
    image_format: str,
    views: tuple[str, ...],
    lat: float | None,
    lon: float | None,
    cameras: tuple[str, ...],
    all_cameras: bool,
    fov: float | None,
    ortho: bool,
    width: int | None,
    height: int | None,
    aa: int,
    background: str | None,
    transparent: bool,
    ground: bool,
    edges: bool | None,
    no_shadows: bool,
    no_ao: bool,
    studs: str,
    cluster: str | None,
    jobs: int | None,
    force: bool,
    quiet: bool,
    timings: bool,
    load: LoadSettings,
    **engine: Any,
) -> None:
    """Render models or scenes to images, offscreen (no display needed).

    --engine raster (the default) draws a quick CAD-style preview with OpenGL; --engine path
    path-traces a photo-real image with Mitsuba 3 (soft light, real glass and chrome, a floor
    with contact shadows), denoised with Intel Open Image Denoise.

    Several inputs, or a folder (its .ldr, .mpd and .yaml files), render as one batch into
    the -o folder: one image per input and view, spread over local worker processes or a
    Ray cluster (--cluster); up-to-date images are skipped (--force renders them again),
    a bad input is reported and the others still render (exit code 1 at the end)."""
    from ldscene.farm.cluster import resolve_cluster
    from ldscene.render.command import RenderRequest, run_render_inputs
    from ldscene.render.engines import EngineSettings
    from ldscene.render.images import FORMATS

    inputs = [Path(p) for p in input_paths]
    settings = EngineSettings.parse(**engine)
    note_ignored_options(settings.engine.value)
    named = output is not None and not output.endswith(("/", os.sep))
    suffix = Path(output).suffix.lower() if named else "." + image_format.lower()
    pillow_format, has_alpha = FORMATS.get(suffix, ("", True))  # an unknown one errs later
    if transparent and not has_alpha:
        click.echo(
            f"note: a {pillow_format} has no transparency; --transparent is ignored", err=True
        )
    request = RenderRequest(
        input_path=inputs[0],
        output=Path(output) if output else None,
        views=list(views),
        cameras=list(cameras),
        all_cameras=all_cameras,
        lat=lat,
        lon=lon,
        fov=fov,
        ortho=ortho,
        width=width,
        height=height,
        aa=aa,
        background=background,
        transparent=transparent,
        ground=ground,
        edges=edges,
        shadows=not no_shadows,
        ambient_occlusion=not no_ao,
        studs=studs,
        quiet=quiet,
        timings=timings,
        library=load.library,
        strict=load.strict,
        use_cache=load.use_cache,
        engine=settings,
    )
    run_render_inputs(
        request,
        inputs,
        image_format=image_format,
        cluster=resolve_cluster(cluster),
        jobs=jobs,
        force=force,
        output_is_folder=bool(output) and output.endswith(("/", os.sep)),
        echo=click.echo,
        warn=lambda text: click.echo(text, err=True),
        on_loaded=lambda model: report_problems(model, quiet=quiet),
        one_shot=True,
    )
