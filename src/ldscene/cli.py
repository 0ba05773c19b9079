"""The `ldscene` command line: a thin click layer over the library modules."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from ldscene import __version__
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
            return super().invoke(ctx)
        except LdsceneError as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)


library_option = click.option(
    "--library",
    "library",
    type=click.Path(path_type=Path),
    default=None,
    help="LDraw library folder or complete.zip (default: $LDRAWDIR, config, usual places).",
)


@click.group(cls=LdsceneGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ldscene")
def cli() -> None:
    """Assemble LEGO dioramas from LDraw models and render them."""


def report_problems(model, quiet: bool = False, limit: int = 5) -> None:
    """Missing parts by name, each with the file:line of every reference to it (a few, then a
    count), then warnings, summarised past `limit`."""
    if quiet:
        return
    if model.missing:
        where: dict[str, list[str]] = {}
        for item in model.missing:
            places = where.setdefault(item.name, [])
            place = f"{item.path}:{item.line}"
            if place not in places:
                places.append(place)
        click.echo(f"warning: {len(where)} missing part(s), drawn as nothing:", err=True)
        for name, places in list(where.items())[: limit * 4]:
            shown = ", ".join(places[:3])
            more = f" and {len(places) - 3} more" if len(places) > 3 else ""
            click.echo(f"  {name}  (asked for by {shown}{more})", err=True)
        if len(where) > limit * 4:
            click.echo(f"  ... and {len(where) - limit * 4} more", err=True)
    for text in model.warnings[:limit]:
        click.echo(f"warning: {text}", err=True)
    if len(model.warnings) > limit:
        click.echo(f"warning: ... and {len(model.warnings) - limit} more warnings", err=True)


def engine_options(default: str = "raster"):
    """The render engine and the path engine's options, shared by the image commands.

    Values are checked by `EngineSettings.parse` (one-line errors, exit 1), not by click."""
    options = [
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
    ]

    def decorate(command):
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


cluster_option = click.option(
    "--cluster",
    metavar="ADDRESS",
    default=None,
    help="Render on a Ray cluster: HOST:PORT of its head (`ray start --head`), "
    "ray://HOST:10001, auto, or local (a throwaway one on this machine). Default "
    "$LDSCENE_CLUSTER, else $RAY_ADDRESS; `none`: this machine. "
    "Needs pip install 'ldscene[cluster]'.",
)

strict_option = click.option(
    "--strict", is_flag=True, help="Treat missing parts and malformed lines as errors."
)
cache_option = click.option(
    "--no-cache", "no_cache", is_flag=True, help="Do not read or write the on-disk geometry cache."
)


@cli.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@library_option
@strict_option
@cache_option
def info(
    input_path: Path, as_json: bool, library: Path | None, strict: bool, no_cache: bool
) -> None:
    """Counts, size and colours of a model or scene."""
    import json

    from ldscene.inputs import load_input
    from ldscene.ldraw.stats import model_stats

    loaded = load_input(input_path, library, strict, use_cache=not no_cache)
    stats = model_stats(loaded.model)
    if loaded.scene is not None:
        stats["models"] = loaded.scene.entry_stats()
    report_problems(loaded.model)
    if as_json:
        click.echo(json.dumps(stats, allow_nan=False))  # strict JSON: stats hold no inf/NaN
        return
    _print_info(input_path, stats)


def _print_info(path: Path, stats: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{path.name}", show_header=False, box=None)
    low, high = stats["bbox"]["min"], stats["bbox"]["max"]
    size = [h - lo for lo, h in zip(low, high)] if low else [0, 0, 0]
    table.add_row("parts", f"{stats['parts']:,}  ({stats['unique_parts']:,} unique)")
    table.add_row("triangles", f"{stats['triangles']:,}")
    table.add_row("edge lines", f"{stats['lines']:,}  (+{stats['cond_lines']:,} conditional)")
    table.add_row(
        "size (studs)",
        " x ".join(f"{v / 20:.1f}" for v in (size[0], size[2], size[1]))
        + "  (width x depth x height)",
    )
    table.add_row("size (cm)", " x ".join(f"{v * 0.04:.1f}" for v in (size[0], size[2], size[1])))
    table.add_row("colours", ", ".join(stats["colours"].values()) or "-")
    table.add_row("missing", ", ".join(stats["missing"]) or "none")
    for name, entry in stats.get("models", {}).items():
        table.add_row(f"  {name}", f"{entry['parts']:,} parts, {entry['triangles']:,} triangles")
    Console().print(table)


@cli.command("search")
@click.argument("text", nargs=-1)
@click.option(
    "--category",
    default=None,
    metavar="NAME",
    help="Only parts of this category (Minifig takes in Minifig Accessory, ...).",
)
@click.option("--colours", "--colors", "colours_only", is_flag=True, help="Search colours only.")
@click.option("--categories", "list_categories", is_flag=True, help="List the part categories.")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="Show at most this many parts (and colours).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--reindex", is_flag=True, help="Read the library's part headers again.")
@library_option
def search_command(
    text: tuple[str, ...],
    category: str | None,
    colours_only: bool,
    list_categories: bool,
    limit: int,
    as_json: bool,
    reindex: bool,
    library: Path | None,
) -> None:
    """Find parts by description, number or category, and colours by name.

    \b
    ldscene search slope 2 x 2           parts (and colours) whose words match
    ldscene search 3001                  by part number
    ldscene search --category Minifig torso
    ldscene search --colours bluish grey
    ldscene search --categories
    """
    import json

    from ldscene import search

    query = " ".join(text).strip()
    if not query and not (category or colours_only or list_categories):
        raise click.UsageError(
            "give words to search for, or --category NAME, --colours or --categories"
        )
    if query and not search.words(query) and not query.strip().isdigit():
        raise LdsceneError(
            f"nothing to search for in '{query}'",
            hint="use a part number, words of a description or a colour name",
        )
    if colours_only and category:
        raise LdsceneError("--colours and --category do not go together (colours have none)")
    index = search.load_index(library, rebuild=reindex)
    if list_categories:
        _print_categories(search.categories(index.parts), as_json)
        return
    if category:
        search.check_category(index.parts, category)
    parts = [] if colours_only else search.find_parts(index.parts, query, category)
    colours = [] if category else search.find_colours(index.colours, query)
    if as_json:
        result = {
            "query": query,
            "category": category,
            "parts": [_part_json(hit.part) for hit in parts[:limit]],
            "parts_total": len(parts),
            "colours": [_colour_json(hit.colour) for hit in colours[:limit]],
            "colours_total": len(colours),
        }
        click.echo(json.dumps(result))
    if not parts and not colours:
        what = "colours" if colours_only else "parts" if category else "parts or colours"
        where = f" in category '{category}'" if category else ""
        message = f"no {what} match '{query}'{where}"
        if as_json:
            click.echo(message, err=True)
        else:
            click.echo(message + " (try fewer or shorter words, or a part number)")
        return
    if not as_json:
        _print_search(query, category, parts, colours, limit)


def _part_json(part) -> dict:
    from ldscene.search import clean_title

    return {
        "part": part.number,
        "description": clean_title(part.title),
        "category": part.category,
        "keywords": part.keywords,
        "kind": part.kind,
        "unofficial": part.unofficial,
    }


def _colour_json(colour) -> dict:
    return {
        "code": colour.code,
        "name": colour.name,
        "rgb": colour.rgb,
        "alpha": colour.alpha,
        "finish": colour.finish,
        "bricklink": (
            {"id": colour.bricklink_id, "name": colour.bricklink} if colour.bricklink else None
        ),
    }


def _print_search(query: str, category: str | None, parts, colours, limit: int) -> None:
    """Colours first (a short list), then parts, each under a line saying how many matched."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from ldscene.search import clean_title

    console = Console(highlight=False)
    about = f" matching '{query}'" if query else ""
    about += f" in category '{category}'" if category else ""

    def heading(count: int, what: str, shown: int) -> None:
        more = f" (showing {shown}; --limit N for more)" if count > shown else ""
        console.print(Text(f"{count:,} {what}{about}{more}", style="bold"))

    if colours:
        shown = colours[:limit]
        heading(len(colours), "colour" if len(colours) == 1 else "colours", len(shown))
        table = Table(box=None, padding=(0, 2, 0, 0))
        table.add_column("", no_wrap=True)
        table.add_column("code", justify="right", no_wrap=True)
        table.add_column("name", no_wrap=True, style="bold")
        table.add_column("rgb", no_wrap=True)
        table.add_column("finish", no_wrap=True)
        table.add_column("BrickLink", overflow="fold")
        for hit in shown:
            c = hit.colour
            shop = f"{c.bricklink} ({c.bricklink_id})" if c.bricklink else "-"
            table.add_row(
                Text("  ", style=f"on {c.rgb}"), str(c.code), c.name, c.rgb, c.finish, shop
            )
        console.print(table)
    if parts:
        if colours:
            console.print()
        shown = parts[:limit]
        heading(len(parts), "part" if len(parts) == 1 else "parts", len(shown))
        table = Table(box=None, padding=(0, 2, 0, 0))
        table.add_column("part", no_wrap=True, style="bold")
        table.add_column("description", overflow="fold")
        table.add_column("category", no_wrap=True)
        for hit in shown:
            part = hit.part
            description = Text(clean_title(part.title))
            notes = [part.kind] if part.kind != "part" else []
            if part.unofficial:
                notes.append("unofficial")
            if notes:
                description.append(f"  ({', '.join(notes)})", style="dim")
            table.add_row(part.number, description, part.category)
        console.print(table)
    example = parts[0].part.number if parts else "3001"
    colour = colours[0].colour.name if colours else "Red"
    console.print(f"\nin a scene: {{part: {example}, color: {colour}}}", style="dim")


def _print_categories(counts, as_json: bool) -> None:
    if as_json:
        import json

        click.echo(json.dumps(dict(sorted(counts.items()))))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    console.print(f"{len(counts)} part categories (ldscene search --category NAME [WORDS])")
    table = Table(box=None, padding=(0, 2, 0, 0))
    table.add_column("category", style="bold")
    table.add_column("parts", justify="right")
    for name, count in sorted(counts.items()):
        table.add_row(name, f"{count:,}")
    console.print(table)


@cli.group()
def cache() -> None:
    """The on-disk geometry cache."""


@cache.command("clear")
def cache_clear() -> None:
    """Empty the cache."""
    from ldscene.ldraw.cache import clear_cache

    folder, count = clear_cache()
    click.echo(f"removed {count} cached entries from {folder}")


@cli.group(invoke_without_command=True)
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
    help="Folder to install into (default: the user data folder).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
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


@cli.command("export")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(path_type=Path),
    required=True,
    help="Output file; its extension picks the format: .glb .gltf .obj .stl .mpd",
)
@click.option(
    "--units",
    type=click.Choice(["ldu", "mm", "cm", "m"]),
    default=None,
    help="Length unit of mesh formats (1 LDU = 0.4 mm); default: m for glTF (its unit), "
    "ldu for OBJ and STL.",
)
@library_option
@strict_option
@cache_option
def export_command(
    input_path: Path,
    output: Path,
    units: str | None,
    library: Path | None,
    strict: bool,
    no_cache: bool,
) -> None:
    """Export a model or scene as glTF/GLB, OBJ, STL or one LDraw MPD file."""
    from ldscene.atomic import check_target
    from ldscene.exchange import export_model
    from ldscene.inputs import load_input
    from ldscene.ldraw.library import find_library

    check_target(output, "the export")  # like render: refuse before any work
    loaded = load_input(input_path, library, strict, use_cache=not no_cache)
    report_problems(loaded.model)
    lib = None
    if output.suffix.lower() in (".mpd", ".ldr"):
        lib = find_library(library)
        if units not in (None, "ldu"):
            click.echo("note: LDraw files are always in LDU; --units is ignored", err=True)
    export_model(loaded.model, output, units=units, library=lib)
    click.echo(f"wrote {output} ({int(loaded.model.part_mask().sum()):,} parts)")


@cli.command("parts")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "rebrickable", "bricklink"]),
    default="table",
    show_default=True,
    help="table; csv; rebrickable (CSV import: Part,Color,Quantity); bricklink (XML wanted list).",
)
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(path_type=Path),
    default=None,
    help="Write to this file instead of standard output.",
)
@library_option
@strict_option
@cache_option
def parts_command(
    input_path: Path,
    fmt: str,
    output: Path | None,
    library: Path | None,
    strict: bool,
    no_cache: bool,
) -> None:
    """Bill of materials: part, description, colour and quantity."""
    from ldscene import bom
    from ldscene.atomic import check_target
    from ldscene.inputs import load_input

    if output is not None:
        check_target(output, "the parts list")  # like render: refuse before any work
    loaded = load_input(input_path, library, strict, use_cache=not no_cache)
    report_problems(loaded.model)
    lines = bom.bill_of_materials(loaded.model)
    if fmt == "table" and output is None:
        from rich.console import Console

        Console().print(bom.rich_table(lines, input_path.name))
        return
    unmapped: list[tuple[int, str]] = []
    if fmt in ("table", "csv"):
        text = bom.to_csv(lines)
    elif fmt == "rebrickable":
        text, unmapped = bom.to_rebrickable(lines)
    else:
        text, unmapped = bom.to_bricklink(lines)
    if unmapped:
        shop = "Rebrickable" if fmt == "rebrickable" else "BrickLink"
        listed = ", ".join(f"{code} {name}" for code, name in unmapped)
        click.echo(
            f"warning: no {shop} colour for LDraw colour(s) {listed}; "
            "those parts are listed without a colour",
            err=True,
        )
    if output is None:
        click.echo(text, nl=False)
        return
    from ldscene.atomic import write_atomic

    data = text.encode("utf-8")
    write_atomic(output, lambda handle: handle.write(data), "the parts list")
    click.echo(f"wrote {output} ({bom.total(lines):,} parts in {len(lines):,} lots)", err=True)


@cli.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of scene files (see docs/scene-format.md)."""
    from ldscene.scene.schema import schema_text

    click.echo(schema_text(), nl=False)


@cli.command("render")
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
@click.option("--lat", type=float, default=None, help="Camera elevation in degrees (-90..90).")
@click.option(
    "--lon",
    type=float,
    default=None,
    help="Camera turn in degrees from the front towards the right.",
)
@click.option(
    "--camera",
    "cameras",
    multiple=True,
    metavar="NAME",
    help="A named camera of a scene file; repeatable.",
)
@click.option("--all-cameras", is_flag=True, help="Render every camera of a scene file.")
@click.option("--fov", type=float, default=None, help="Vertical field of view (default 30).")
@click.option("--ortho", is_flag=True, help="Orthographic projection.")
@click.option("--width", type=int, default=None, help="Image width (default 1600).")
@click.option("--height", type=int, default=None, help="Image height (default 1200).")
@click.option(
    "--aa",
    type=int,
    default=2,
    show_default=True,
    help="Supersampling factor per axis (1 = no anti-aliasing).",
)
@click.option(
    "--background", default=None, metavar="#RRGGBB", help="Background colour (default #E6E8EB)."
)
@click.option("--transparent", is_flag=True, help="Transparent background (PNG/WebP alpha).")
@click.option(
    "--ground/--no-ground",
    default=None,
    help="A floor that catches the model's shadow (default: on for models; for scenes, "
    "on with --engine path).",
)
@click.option("--edges/--no-edges", default=None, help="Draw LDraw edge lines (default on).")
@click.option("--no-shadows", is_flag=True, help="No shadows (faster).")
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
    "nearest is 40 px or wider.",
)
@engine_options()
@cluster_option
@click.option(
    "-j",
    "--jobs",
    type=int,
    default=None,
    help="Local worker processes (default for a batch: one per core, at most 8, or one with "
    "--engine path; one input renders in this process unless -j is more than 1).",
)
@click.option("--force", is_flag=True, help="Render a batch's up-to-date images again.")
@click.option("-q", "--quiet", is_flag=True, help="No progress line, no summary.")
@click.option("--timings", is_flag=True, help="Print the seconds each stage took (stderr).")
@library_option
@strict_option
@cache_option
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
    library: Path | None,
    strict: bool,
    no_cache: bool,
    **engine: Any,
) -> None:
    """Render models or scenes to images, offscreen (no display needed).

    --engine raster (the default) draws a quick CAD-style preview with OpenGL; --engine path
    path-traces a photo-real image with Mitsuba 3 (soft light, real glass and chrome, a floor
    with contact shadows), denoised with Intel Open Image Denoise.

    \b
    Several inputs, or a folder (its .ldr, .mpd and .yaml files), render as one batch into
    the -o folder: one image per input and view, spread over local worker processes or a
    Ray cluster (--cluster); up-to-date images are skipped (--force renders them again),
    a bad input is reported and the others still render (exit code 1 at the end)."""
    from ldscene.farm.executor import resolve_cluster
    from ldscene.render.command import RenderRequest, run_render_inputs
    from ldscene.render.engines import EngineSettings

    inputs = [Path(p) for p in input_paths]
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
        library=library,
        strict=strict,
        use_cache=not no_cache,
        engine=EngineSettings.parse(**engine),
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


@cli.command("view")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option(
    "--camera",
    default=None,
    metavar="NAME",
    help="Start at this scene camera (or auto view: iso, front, right, ...).",
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
@library_option
@strict_option
@cache_option
def view_command(
    input_path: Path,
    camera: str | None,
    width: int,
    height: int,
    edges: bool | None,
    no_shadows: bool,
    screenshot: Path | None,
    exit_after: float | None,
    library: Path | None,
    strict: bool,
    no_cache: bool,
) -> None:
    """Look at a model or scene in a window (needs a display).

    \b
    Mouse: left drag orbits, shift+left or middle drag pans, wheel or right drag zooms,
    ctrl+left drag rolls.
    Keys: 1-9 scene cameras (auto views for models), c prints the camera as a line to
    paste under the scene's cameras:, e edges, h shadows, a spin,
    s screenshot (renders/<input>-view.png), z back to the camera, f fullscreen, q/Esc quit.
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
        library=library,
        strict=strict,
        use_cache=not no_cache,
        echo=click.echo,
        on_loaded=report_problems,
    )


@cli.command("turntable")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    help="Animation file: .gif, .webp or .mp4 (MP4 needs imageio-ffmpeg).",
)
@click.option("--frames", type=int, default=36, show_default=True, help="Frames per turn.")
@click.option("--fps", type=float, default=12.0, show_default=True, help="Frames per second.")
@click.option("--width", type=int, default=640, show_default=True, help="Frame width.")
@click.option("--height", type=int, default=480, show_default=True, help="Frame height.")
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
@click.option(
    "--aa",
    type=int,
    default=2,
    show_default=True,
    help="Supersampling factor per axis (1 = no anti-aliasing).",
)
@click.option("--background", default=None, metavar="#RRGGBB", help="Background colour.")
@click.option("--edges/--no-edges", default=None, help="Draw LDraw edge lines (default on).")
@click.option("--no-shadows", is_flag=True, help="No shadows (faster).")
@click.option(
    "-j",
    "--jobs",
    type=int,
    default=None,
    help="Worker processes rendering frames (default: one per core, at most 8).",
)
@engine_options()
@cluster_option
@click.option("-q", "--quiet", is_flag=True, help="No progress bar, no summary.")
@library_option
@strict_option
@cache_option
def turntable_command(
    input_path: Path,
    output: Path,
    frames: int,
    fps: float,
    width: int,
    height: int,
    lat: float,
    start_lon: float,
    aa: int,
    background: str | None,
    edges: bool | None,
    no_shadows: bool,
    jobs: int | None,
    cluster: str | None,
    quiet: bool,
    library: Path | None,
    strict: bool,
    no_cache: bool,
    **engine: Any,
) -> None:
    """Render a turntable animation (the camera circles the model), offscreen.

    Frames are rendered by local worker processes, or by a Ray cluster with --cluster."""
    from ldscene.farm.executor import resolve_cluster
    from ldscene.render.engines import EngineSettings
    from ldscene.render.turntable import turntable_input

    turntable_input(
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
        library=library,
        strict=strict,
        use_cache=not no_cache,
        echo=click.echo,
        on_loaded=lambda model: report_problems(model, quiet=quiet),
        engine=EngineSettings.parse(**engine),
        cluster=resolve_cluster(cluster),
    )


@cli.command("post")
@click.argument("input_path", metavar="SCENE", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    help="Folder to create (a previous post there is replaced).",
)
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
@click.option("-j", "--jobs", type=int, default=None, help="Turntable worker processes.")
@engine_options(default="path")
@cluster_option
@click.option("-q", "--quiet", is_flag=True, help="No progress, no summary.")
@library_option
@strict_option
@cache_option
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
    library: Path | None,
    strict: bool,
    no_cache: bool,
    **engine: Any,
) -> None:
    """A forum post kit: one image per scene camera, a turntable, parts lists, and the
    post text as Markdown, BBCode and HTML.

    The camera images are path-traced (photo-real; --engine raster for a quick draft); the
    turntable is always drawn by the raster engine.  With --cluster both are rendered by a
    Ray cluster."""
    from ldscene.farm.executor import resolve_cluster
    from ldscene.post import PostRequest, make_post
    from ldscene.render.engines import EngineSettings

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
        library=library,
        strict=strict,
        use_cache=not no_cache,
        engine=EngineSettings.parse(**engine),
    )
    make_post(
        request,
        echo=click.echo,
        warn=lambda text: click.echo(text, err=True),
        on_loaded=lambda model: report_problems(model, quiet=quiet),
    )


def main() -> None:
    # One BLAS thread, unless the user says otherwise; set before numpy is first imported.
    # ldscene's matrix products are small or already run beside other threads (mesh workers,
    # llvmpipe, cache writes); OpenBLAS's own threads then only spin on the two cores that
    # work needs (a cold Millennium Falcon render: about 0.1 s faster).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        cli()
    except SystemExit as done:
        # A one-shot render skips freeing what it built, unless a profiler or tracer (cProfile,
        # coverage) waits to write its results when the interpreter exits.
        if sys.argv[1:2] == ["render"] and sys.getprofile() is None and sys.gettrace() is None:
            from ldscene.quick_exit import leave

            leave(done.code)
        raise
