"""`ldscene search`: parts by description, number or category, and colours by name."""

from __future__ import annotations

from pathlib import Path

import click

from ldscene.commands.options import library_option
from ldscene.errors import LdsceneError


@click.command("search")
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
    ldscene search --categories [WORDS]  the categories (whose names hold the words)
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
    if list_categories:  # with words: the categories whose names hold them all
        wanted = query.lower().split()
        counts = {
            name: count
            for name, count in search.categories(index.parts).items()
            if all(word in name.lower() for word in wanted)
        }
        if not counts:
            raise LdsceneError(
                f"no part category holds '{query}'", hint="ldscene search --categories lists all"
            )
        _print_categories(counts, as_json)
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
            tip = "a colour number" if colours_only else "a part number"
            click.echo(f"{message} (try fewer or shorter words, or {tip})")
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
    noun = "category" if len(counts) == 1 else "categories"
    console.print(f"{len(counts)} part {noun} (ldscene search --category NAME [WORDS])")
    table = Table(box=None, padding=(0, 2, 0, 0))
    table.add_column("category", style="bold")
    table.add_column("parts", justify="right")
    for name, count in sorted(counts.items()):
        table.add_row(name, f"{count:,}")
    console.print(table)
