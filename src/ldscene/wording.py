"""How ldscene words counts in what it prints."""

from __future__ import annotations


def plural(count: int, noun: str) -> str:
    """ "1 lot", "2 lots", "1,024 parts": the count and the noun, plural unless it is one."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"
