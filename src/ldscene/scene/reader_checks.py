"""The checks every part of a scene document passes: shapes, keys, numbers, lengths, colours.

A `Reader` turns one value into a checked one or raises an `LdsceneError` naming the file,
line and column, with a hint (did-you-mean for keys) where one helps.
"""

from __future__ import annotations

import difflib
import math
from typing import Any

import numpy as np

from ldscene.errors import LdsceneError
from ldscene.scene import transforms
from ldscene.scene.spec import (
    ColourRef,
)
from ldscene.scene.units import UnitError, parse_length
from ldscene.scene.yamlload import Mark, YList, YMap
from ldscene.wording import plural

#: The largest weight of a scatter choice (weights are relative; this keeps their sum finite).
MAX_WEIGHT = 1e9


#: What to do about a count or a seed below 0.
COUNT_HINT = "use 0 to place nothing"
SEED_HINT = "use a whole number from 0 up: each one gives another arrangement"


class Reader:
    """Checks one scene document; every error names the file, line and column."""

    def __init__(self, path: str, units: str = "ldu") -> None:
        self.path = path
        self.units = units

    def error(self, where: Mark, message: str, hint: str | None = None) -> LdsceneError:
        return LdsceneError(
            message, path=self.path, line=where.line or None, column=where.column or None, hint=hint
        )

    # basic shapes
    def mapping(self, value: Any, where: Mark, what: str) -> YMap:
        if not isinstance(value, YMap):
            raise self.error(
                where, f"{what} must be a mapping (key: value lines), got {value_kind(value)}"
            )
        return value

    def section(self, value: Any, where: Mark, allowed: tuple[str, ...], what: str) -> YMap:
        """A mapping whose keys are all among `allowed` (the keys `format` declares)."""
        node = self.mapping(value, where, what)
        self.keys(node, allowed, what)
        return node

    def keys(self, node: YMap, allowed: tuple[str, ...], what: str) -> None:
        for key in node:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
                hint = (
                    f"did you mean '{close[0]}'?"
                    if close
                    else "allowed keys: " + ", ".join(allowed)
                )
                raise self.error(node.key_mark(key), f"unknown key '{key}' in {what}", hint)
        if "description" in node:  # free text wherever a section allows it, as the schema says
            self.string(node, "description", what)

    def exactly_one(
        self, node: YMap, kinds: tuple[str, ...], what: str, where: Mark, hint: str
    ) -> str:
        """The one of `kinds` that `node` has (an error naming them if it has none or several;
        at `where` when none, else at the second)."""
        present = [k for k in kinds if k in node]
        if len(present) != 1:
            names = ", ".join(f"{k}:" for k in kinds[:-1]) + f" or {kinds[-1]}:"
            raise self.error(
                where if not present else node.key_mark(present[1]),
                f"{what} needs exactly one of {names}"
                + (f" (it has {' and '.join(present)})" if present else ""),
                hint,
            )
        return present[0]

    def alias(self, node: YMap, names: tuple[str, str], what: str) -> str | None:
        """The one of two equivalent keys that is present (error if both are)."""
        present = [n for n in names if n in node]
        if len(present) == 2:
            raise self.error(
                node.key_mark(names[1]),
                f"{what} gives both '{names[0]}' and '{names[1]}'",
                "they mean the same: keep one",
            )
        return present[0] if present else None

    def number(
        self, node: YMap, key: str, what: str, low: float | None = None, high: float | None = None
    ) -> float:
        value = node[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(
                node.value_mark(key),
                f"{key} of {what} must be a number, got {value_kind(value)}",
                "write a plain number, without quotes or a unit; angles are in degrees"
                if isinstance(value, str)
                else None,
            )
        return self.real(value, node.value_mark(key), f"{key} of {what}", low, high)

    def real(
        self,
        value: float,
        where: Mark,
        what: str,
        low: float | None = None,
        high: float | None = None,
    ) -> float:
        """The one check every plain number passes (angles, weights, fov, colours): finite,
        and within `low`..`high` where given."""
        if not math.isfinite(value):
            raise self.error(
                where, f"{what} is {value}: it must be a finite number", "write an ordinary number"
            )
        if low is not None and value < low or high is not None and value > high:
            span = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
            raise self.error(where, f"{what} is {value}: it must be {span}")
        return float(value)

    def weight(self, node: YMap, what: str) -> float:
        """A scatter choice's relative weight (1 where not given)."""
        return self.number(node, "weight", what, 0, MAX_WEIGHT) if "weight" in node else 1.0

    def integer(
        self, value: Any, where: Mark, what: str, low: int | None = None, hint: str | None = None
    ) -> int:
        """A whole number, at least `low`; `hint` says what to do when it is lower."""
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise self.error(
                    where,
                    f"{what} must be a whole number, got {value_kind(value)}",
                    "write it in digits, for example 3",
                )
        if low is not None and value < low:
            raise self.error(
                where,
                f"{what} is {value}: it must be {low} or more",
                hint,
            )
        return int(value)

    def boolean(self, node: YMap, key: str, what: str) -> bool:
        value = node[key]
        if not isinstance(value, bool):
            quoted = isinstance(value, str) and value.strip().lower() in ("true", "false")
            raise self.error(
                node.value_mark(key),
                f"{key} of {what} must be true or false, got {value_kind(value)}",
                f"write {key}: {value.strip().lower()} without quotes: quoted, it is text"
                if quoted
                else f"write {key}: true or {key}: false",
            )
        return value

    def string(self, node: YMap, key: str, what: str) -> str:
        value = node[key]
        if isinstance(value, (YMap, YList)) or value is None:
            raise self.error(
                node.value_mark(key), f"{key} of {what} must be text, got {value_kind(value)}"
            )
        raw = node.raw_text(key)
        return raw if raw is not None and not isinstance(value, str) else str(value)

    def length(self, value: Any, where: Mark, what: str) -> float:
        try:
            return parse_length(value, self.units)
        except UnitError as err:
            raise self.error(where, f"{what}: {err}", err.hint) from None

    def vector(
        self, node: YMap, key: str, what: str, n: int = 3, lengths: bool = True
    ) -> np.ndarray:
        value = node[key]
        names = "[x, y, z]" if n == 3 else "[x, z]"
        if not isinstance(value, YList) or len(value) != n:
            example = None
            if n == 3:
                example = '[0, "1 brick", "2 studs"]' if lengths else "[0, 90, 0] (degrees)"
            raise self.error(
                node.value_mark(key),
                f"{key} of {what} must be a list of {n} values {names}, got {value_kind(value)}",
                None if example is None else f"for example {example}",
            )
        return self._list_vector(value, f"{key} of {what}", lengths)

    def _list_vector(self, value: YList, what: str, lengths: bool = True) -> np.ndarray:
        out = []
        for i, item in enumerate(value):
            if lengths:
                out.append(self.length(item, value.item_mark(i), what))
            else:
                if isinstance(item, bool) or not isinstance(item, (int, float)):
                    raise self.error(
                        value.item_mark(i), f"{what} must hold numbers, got {value_kind(item)}"
                    )
                out.append(self.real(item, value.item_mark(i), what))
        return np.array(out, float)

    def colour(self, node: YMap, what: str) -> ColourRef | None:
        key = self.alias(node, ("color", "colour"), what)
        if key is None:
            return None
        value = node[key]
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            yes_or_no = " (YAML reads yes, no, on and off as true or false)"
            raise self.error(
                node.value_mark(key),
                f"{key} of {what} must be an LDraw colour code or name, got {value_kind(value)}"
                + (yes_or_no if isinstance(value, bool) else ""),
                'for example 4, Red, Light_Bluish_Grey or "#7f7f7f"',
            )
        return ColourRef(value, node.value_mark(key))

    def part_name(self, node: YMap, key: str, what: str) -> str:
        name = self.string(node, key, what).strip()
        if not name:
            raise self.error(
                node.value_mark(key),
                f"{key} of {what} is empty",
                "give an LDraw part number such as 3001",
            )
        return name

    def rotation(self, node: YMap, what: str) -> np.ndarray:
        if "rotate" in node and "yaw" in node:
            raise self.error(
                node.key_mark("yaw"),
                f"{what} gives both 'rotate' and 'yaw'",
                "yaw: D is short for rotate: [0, D, 0]; keep one",
            )
        if "yaw" in node:
            return transforms.rot_y(self.number(node, "yaw", what))
        if "rotate" in node:
            angles = self.vector(node, "rotate", what, lengths=False)
            return transforms.euler_scene(*angles)
        return np.eye(3)


def entry_name(value: Any) -> str | None:
    """`value` as the name of a place: or scatter: entry, None if it cannot be one: text, or
    a whole number, which names the entry `123:` (mapping keys are read as text)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def value_kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"'{str(value).lower()}'"
    if isinstance(value, (YMap, dict)):
        return "a mapping"
    if isinstance(value, (YList, list)):
        return f"a list of {plural(len(value), 'value')}"
    if isinstance(value, str):
        return f"'{value}'"
    return repr(value)
