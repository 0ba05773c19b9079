"""`ldscene parts`: the bill of materials."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ldscene.commands.options import input_argument, load_options, output_option
from ldscene.commands.problems import report_problems

if TYPE_CHECKING:
    from ldscene.inputs import LoadSettings


#: The suffix a parts list of each --format is written with.
SUFFIXES = {"table": ".txt", "csv": ".csv", "rebrickable": ".csv", "bricklink": ".xml"}


@click.command("parts")
@input_argument()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "rebrickable", "bricklink"]),
    default=None,
    help="table (the default on standard output); csv (the default for -o FILE; -o FILE.xml: "
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
    from ldscene.inputs import check_not_a_source

    if output is not None:
        check_target(output, "the parts list")  # like render: refuse before any work
        check_not_a_source(output, [input_path], "the parts list")
    loaded = load.load(input_path, report_problems)
    if output is not None:
        check_not_a_source(output, loaded.model.files, "the parts list", load.library)
    lines = bom.bill_of_materials(loaded.model)
    if note := bom.segments_note(loaded.model):
        click.echo(f"note: {note}", err=True)
    if fmt is None:  # as the help says: a table to read, CSV or XML for a file
        fmt = "table" if output is None else "csv"
        if output is not None and output.suffix.lower() == ".xml":
            fmt = "bricklink"
    elif output is not None:
        suffix = output.suffix.lower()
        if suffix in SUFFIXES.values() and suffix != SUFFIXES[fmt]:
            click.echo(
                f"note: {output.name} holds a {fmt} list (--format {fmt}), not what its "
                f"suffix says; name it {output.stem}{SUFFIXES[fmt]} to say so",
                err=True,
            )
    missing = {m.name for m in loaded.model.missing}
    if fmt == "table" and output is None:
        from rich.console import Console

        Console().print(bom.rich_table(lines, input_path.name, missing))
        return
    lots = len(lines)
    if fmt == "table":  # the same table, as plain text in the file
        from rich.console import Console

        console = Console(record=True, width=120, color_system=None, file=io.StringIO())
        console.print(bom.rich_table(lines, input_path.name, missing))
        text = console.export_text()
    elif fmt == "csv":
        text = bom.to_csv(lines)
    else:
        shop = bom.to_rebrickable(lines) if fmt == "rebrickable" else bom.to_bricklink(lines)
        text, lots = shop.text, shop.lots
        for line in bom.shop_warnings(shop, loaded.model.colours):
            click.echo(line, err=True)
    if output is None:
        click.echo(text, nl=False)
        return
    from ldscene.atomic import write_atomic

    data = text.encode("utf-8")
    write_atomic(output, lambda handle: handle.write(data), "the parts list")
    from ldscene.wording import plural

    counts = f"{plural(bom.total(lines), 'part')} in {plural(lots, 'lot')}"
    click.echo(f"wrote {output} ({counts})", err=True)
