"""`ldscene export`: a model or scene as glTF/GLB, OBJ, STL or one MPD file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ldscene.commands.options import input_argument, load_options, output_option
from ldscene.commands.problems import report_problems
from ldscene.wording import plural

if TYPE_CHECKING:
    from ldscene.inputs import LoadSettings


@click.command("export")
@input_argument()
@output_option("Output file; its extension picks the format: .glb .gltf .obj .stl .mpd .ldr")
@click.option(
    "--units",
    type=click.Choice(["ldu", "mm", "cm", "m"]),
    default=None,
    help="Length unit of mesh formats (1 LDU = 0.4 mm); default: m for glTF (its unit), "
    "mm for STL (as slicers read it), ldu for OBJ.",
)
@load_options
def export_command(
    input_path: Path,
    output: Path,
    units: str | None,
    load: LoadSettings,
) -> None:
    """Export a model or scene as glTF/GLB, OBJ, STL or one LDraw MPD file."""
    from ldscene.atomic import check_target
    from ldscene.exchange import export_model
    from ldscene.inputs import check_not_a_source
    from ldscene.ldraw.library import find_library

    check_target(output, "the export")  # like render: refuse before any work
    check_not_a_source(output, [input_path], "the export")
    loaded = load.load(input_path, report_problems)
    check_not_a_source(output, loaded.model.files, "the export", load.library)
    lib = None
    if output.suffix.lower() in (".mpd", ".ldr"):
        lib = find_library(load.library)
        if units not in (None, "ldu"):
            click.echo("note: LDraw files are always in LDU; --units is ignored", err=True)
    export_model(loaded.model, output, units=units, library=lib)
    click.echo(f"wrote {output} ({plural(int(loaded.model.part_mask().sum()), 'part')})")
    if lost := prints_not_kept(loaded.model, output.suffix.lower()):
        click.echo(f"note: {lost} (a .gltf or .glb export keeps them)", err=True)
    if lib is not None:
        from ldscene.exchange.mpd import renumbered_colours

        for written, new in renumbered_colours(loaded.model, lib).items():
            click.echo(
                f"note: {output.name} writes the model's own colour {written} as {new}: "
                f"LDraw's {written} is another colour, and one file holds one meaning of a code",
                err=True,
            )
    if loaded.model.missing:
        names = sorted({m.name for m in loaded.model.missing})
        click.echo(
            f"note: {output.name} leaves out the missing "
            + ("part " if len(names) == 1 else "parts ")
            + f"{', '.join(names)}: an export "
            "writes only what was found (put the parts in the library, or beside the model)",
            err=True,
        )


def prints_not_kept(model, suffix: str) -> str:
    """What of a model's TEXMAP prints an export to `suffix` leaves out, in words; empty
    when none.  OBJ carries colours but no images (STL carries neither: nothing to say); an
    LDraw export references library parts (their prints stay) but writes the model's own
    geometry flat, without its `!TEXMAP` lines."""
    if suffix == ".obj":
        if any(leaf.geometry.textured for leaf in model.leaves):
            return f"the model's printed (TEXMAP) surfaces are drawn plain in a {suffix} file"
    elif suffix in (".mpd", ".ldr"):
        own = [
            path.name
            for path in model.files
            if path.is_file() and b"!TEXMAP" in path.read_bytes().upper()
        ]
        if own:
            return f"the TEXMAP prints of {', '.join(own)} are not kept in an LDraw export"
    return ""
