"""`ldscene parts`: the bill of materials."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ldscene.commands.options import input_argument, load_options, output_option
from ldscene.commands.problems import report_problems

if TYPE_CHECKING:
    from ldscene.inputs import LoadSettings


@click.command("parts")
@input_argument()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "rebrickable", "bricklink"]),
    default=None,
    help="table (the default on a terminal); csv (the default for -o FILE; -o FILE.xml: "
    "bricklink); rebrickable (CSV import: Part,Color,Quantity); bricklink (XML wanted list).",
)
@output_option("Write to this file instead of standard output.", required=False)
@load_options
def parts_command(
    input_path: Path,
    fmt: str | None,
    output: Path | None,
    load: LoadSettings,
) -> None:
    """Bill of materials: part, description, colour and quantity."""
    from ldscene import bom
    from ldscene.atomic import check_target

    if output is not None:
        check_target(output, "the parts list")  # like render: refuse before any work
    loaded = load.load(input_path, report_problems)
    lines = bom.bill_of_materials(loaded.model)
    if fmt is None:
        fmt = "bricklink" if output is not None and output.suffix.lower() == ".xml" else "table"
    if fmt == "table" and output is None:
        from rich.console import Console

        missing = {m.name for m in loaded.model.missing}
        Console().print(bom.rich_table(lines, input_path.name, missing))
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
    from ldscene.wording import plural

    counts = f"{plural(bom.total(lines), 'part')} in {plural(len(lines), 'lot')}"
    click.echo(f"wrote {output} ({counts})", err=True)
