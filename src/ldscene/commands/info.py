"""`ldscene info`: counts, size and colours of a model or scene."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ldscene.commands.options import input_argument, load_options
from ldscene.commands.problems import in_file_order, report_problems
from ldscene.wording import plural

if TYPE_CHECKING:
    from ldscene.inputs import LoadSettings


@click.command()
@input_argument()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@load_options
def info(input_path: Path, as_json: bool, load: LoadSettings) -> None:
    """Counts, size and colours of a model or scene."""
    import json

    from ldscene.ldraw.stats import model_stats

    loaded = load.load(input_path)
    stats = model_stats(loaded.model)
    if loaded.scene is not None:
        stats["models"] = loaded.scene.entry_stats()
    report_problems(loaded.model)
    stats["warnings"] = in_file_order(dict.fromkeys(loaded.model.warnings))  # all of them
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
        counts = f"{plural(entry['parts'], 'part')}, {plural(entry['triangles'], 'triangle')}"
        table.add_row(f"  {name}", counts)
    Console().print(table)
