"""What a command tells the user about a loaded model: missing parts and warnings."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import click

from ldscene.wording import plural

if TYPE_CHECKING:
    from ldscene.ldraw.model import Model


def report_problems(model: Model, quiet: bool = False, limit: int = 5) -> None:
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
        click.echo(f"warning: {plural(len(where), 'missing part')}, drawn as nothing:", err=True)
        for name, places in list(where.items())[: limit * 4]:
            shown = ", ".join(places[:3])
            more = f" and {len(places) - 3} more" if len(places) > 3 else ""
            click.echo(f"  {name}  (asked for by {shown}{more})", err=True)
        if len(where) > limit * 4:
            click.echo(f"  ... and {len(where) - limit * 4} more", err=True)
    for line in warning_lines(model, limit):
        click.echo(line, err=True)


def warning_lines(model: Model, limit: int = 5) -> list[str]:
    """The model's warnings (malformed lines, unknown colours: each with its file:line), the
    first `limit` of them and a count of the rest, with where to see them all."""
    unique = in_file_order(dict.fromkeys(model.warnings))  # a line met twice is one problem
    lines = [f"warning: {text}" for text in unique[:limit]]
    if len(unique) > limit:
        lines.append(
            f"warning: ... and {plural(len(unique) - limit, 'more warning')} "
            "(ldscene info --json lists them all)"
        )
    return lines


#: How a located warning starts: `file:line: ` (LDraw files) or `file:line:column: ` (scenes).
_LOCATED = re.compile(r"^(?P<file>.+?):(?P<line>\d+)(?::(?P<column>\d+))?: ")


def in_file_order(warnings) -> list[str]:
    """Warnings by file (in the order files were first warned of) and by line in each file:
    the loader meets a file's lines by kind (references, then drawing lines), not in order.
    Warnings without a file:line keep their place after the located ones."""
    warnings = list(warnings)
    files: dict[str, int] = {}
    keyed = []
    for n, text in enumerate(warnings):
        found = _LOCATED.match(text)
        if found is None:
            keyed.append(((1, 0, 0, 0, n), text))
            continue
        rank = files.setdefault(found["file"], len(files))
        keyed.append(((0, rank, int(found["line"]), int(found["column"] or 0), n), text))
    return [text for _, text in sorted(keyed)]
