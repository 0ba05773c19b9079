"""`ldscene schema`: the JSON Schema of scene files."""

from __future__ import annotations

import click


@click.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of scene files (see docs/scene-format.md)."""
    from ldscene.scene.schema import schema_text

    click.echo(schema_text(), nl=False)
