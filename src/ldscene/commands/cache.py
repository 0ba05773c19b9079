"""`ldscene cache`: the on-disk geometry cache."""

from __future__ import annotations

import click


@click.group()
def cache() -> None:
    """The on-disk geometry cache."""


@cache.command("clear")
def cache_clear() -> None:
    """Empty the cache."""
    from ldscene.ldraw.cache import clear_cache

    folder, count, size = clear_cache()
    click.echo(f"removed {count} cached entries, {size / 1e6:.1f} MB in all, from {folder}")
