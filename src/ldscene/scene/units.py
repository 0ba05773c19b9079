"""Lengths with units: "12 studs", "3 plates", "2 bricks + 1 plate", "5 cm" → LDraw units.

1 stud = 20 LDU, 1 plate = 8 LDU, 1 brick = 24 LDU, 1 LDU = 0.4 mm.
"""

from __future__ import annotations

import difflib
import math
import re

from ldscene.ldraw.units import LDU_PER_UNIT

#: The unit names a scene's `units:` key accepts (singular forms).
UNIT_NAMES = tuple(LDU_PER_UNIT)

#: LDU per unit, by every accepted spelling (the LEGO units also in the plural).
UNITS: dict[str, float] = {
    spelling: ldu
    for name, ldu in LDU_PER_UNIT.items()
    for spelling in ((name, name + "s") if name in ("stud", "plate", "brick") else (name,))
}

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_TERM = re.compile(rf"\s*({_NUMBER})\s*([A-Za-z]*)\s*")
#: JSON-Schema pattern for a length string (kept in step with `parse_length`).
LENGTH_PATTERN = rf"^\s*{_NUMBER}\s*[A-Za-z]*\s*(?:[+-]\s*(?:\d+(?:\.\d*)?|\.\d+)\s*[A-Za-z]*\s*)*$"


class UnitError(ValueError):
    """A length that cannot be read; the message says what is wrong and how to write it."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


HINT = (
    'write a number, or a number and a unit: "12 studs", "3 plates", "2 bricks", "40 ldu", "5 cm"'
)

#: The largest length a scene may give, in LDU (40 km): far beyond any diorama, small enough
#: that products of lengths and counts stay finite in every later step (and in exports).
MAX_LENGTH = 1e8


def unit_scale(name: str) -> float:
    """LDU per `name` (a unit name as written in `units:`)."""
    key = name.strip().lower()
    if key not in UNITS:
        close = difflib.get_close_matches(key, list(UNITS), n=1)
        hint = f"did you mean '{close[0]}'?" if close else "use one of " + ", ".join(UNIT_NAMES)
        raise UnitError(f"unknown unit '{name}'", hint)
    return UNITS[key]


def parse_length(value: object, default_unit: str = "ldu") -> float:
    """A length in LDU from a number (in `default_unit`) or a string with units.

    Strings may add and subtract terms: "1 brick + 2 plates", "10 studs - 4 ldu".
    A term without a unit uses `default_unit`.
    """
    if isinstance(value, bool) or value is None:
        raise UnitError(f"expected a length, got {value!r}", HINT)
    if isinstance(value, (int, float)):
        return _checked(_float(value) * unit_scale(default_unit), value)
    if not isinstance(value, str):
        kind = {dict: "a mapping", list: "a list"}.get(
            next((t for t in (dict, list) if isinstance(value, t)), type(value)),
            type(value).__name__,
        )
        raise UnitError(f"expected a length, got {kind}", HINT)
    text = value.strip()
    if not text:
        raise UnitError("empty length", HINT)
    total, pos, sign = 0.0, 0, 1.0
    while True:
        match = _TERM.match(text, pos)
        if match is None:
            raise UnitError(f"cannot read length '{value}'", HINT)
        number, unit = match.group(1), match.group(2)
        total += sign * _float(number) * unit_scale(unit if unit else default_unit)
        pos = match.end()
        if pos >= len(text):
            return _checked(total, value)
        if text[pos] not in "+-":
            raise UnitError(f"cannot read length '{value}' (stuck at '{text[pos:]}')", HINT)
        sign = 1.0 if text[pos] == "+" else -1.0
        pos += 1


def _float(number: object) -> float:
    """`float(number)`, with integers too large for a float read as infinite."""
    try:
        return float(number)  # type: ignore[arg-type]
    except OverflowError:
        return math.inf


def _checked(total: float, value: object) -> float:
    """The one check every length passes: finite and within ±`MAX_LENGTH` LDU."""
    shown = value if not isinstance(value, int) or abs(value) < 10**20 else "a huge number"
    if not math.isfinite(total):
        raise UnitError(f"{shown} is not a finite length", "give an ordinary number")
    if abs(total) > MAX_LENGTH:
        raise UnitError(
            f"{shown} is too long", f"lengths are limited to ±{MAX_LENGTH:.0e} LDU (40 km)"
        )
    return total
