"""Read a `scatter:` entry: its part choices, colours, areas, yaw, spacing and settling."""

from __future__ import annotations

from typing import Any

import numpy as np

from ldscene.scene.reader_checks import COUNT_HINT, SEED_HINT, Reader, entry_name, value_kind
from ldscene.scene.spec import (
    AREA_KEYS,
    CHOICE_KEYS,
    COLOUR_CHOICE_KEYS,
    SCATTER_KEYS,
    Area,
    AreaKind,
    Choice,
    ColourRef,
    ScatterSpec,
)
from ldscene.scene.yamlload import Mark, YList, YMap


def read_scatter(
    reader: Reader, name: str, body: Any, where: Mark, key_where: Mark, scene_seed: int
) -> ScatterSpec:
    what = f"scatter '{name}'"
    node = reader.section(body, where, SCATTER_KEYS, what)
    for key in ("parts", "count", "area"):
        if key not in node:
            raise reader.error(
                key_where,
                f"{what} needs '{key}'",
                "see the scatter section of docs/scene-format.md",
            )
    choices = _choices(reader, node, what)
    colours: list[tuple[ColourRef, float]] = []
    list_key = reader.alias(node, ("colors", "colours"), what)
    single = reader.colour(node, what)
    if list_key is not None and single is not None:
        raise reader.error(
            node.key_mark(list_key),
            f"{what} gives both a colour list and a single colour",
            "keep one",
        )
    if single is not None:
        colours = [(single, 1.0)]
    elif list_key is not None:
        colours = _colour_list(reader, node, list_key, what)
    count = reader.integer(
        node["count"], node.value_mark("count"), f"count of {what}", 0, COUNT_HINT
    )
    areas = _areas(reader, node, what)
    yaw: tuple[float, float] | None = None
    if "yaw" in node:
        value = node["yaw"]
        if value == "random":
            yaw = None
        elif isinstance(value, YList) and len(value) == 2:
            low, high = reader._list_vector(value, f"yaw of {what}", lengths=False)
            if low > high:
                raise reader.error(
                    node.value_mark("yaw"),
                    f"yaw of {what} is [{low:g}, {high:g}]: its minimum is above its maximum",
                    f"write [{high:g}, {low:g}], or [{low - 360:g}, {high:g}] for the range "
                    "across 0",
                )
            yaw = (float(low), float(high))
        else:
            angle = reader.number(node, "yaw", what) if not isinstance(value, str) else None
            if angle is None:
                raise reader.error(
                    node.value_mark("yaw"),
                    f"yaw of {what} is {value_kind(value)}",
                    "use random, an angle in degrees, or a range [min, max]",
                )
            yaw = (angle, angle)
    tilt = reader.number(node, "tilt", what, 0, 90) if "tilt" in node else 0.0
    spacing = (
        reader.length(node["spacing"], node.value_mark("spacing"), f"spacing of {what}")
        if "spacing" in node
        else 0.0
    )
    if spacing < 0:
        raise reader.error(
            node.value_mark("spacing"),
            f"spacing of {what} is negative",
            "use 0 for no minimum distance",
        )
    settle = reader.boolean(node, "settle", what) if "settle" in node else False
    seed = (
        reader.integer(node["seed"], node.value_mark("seed"), f"seed of {what}", 0, SEED_HINT)
        if "seed" in node
        else scene_seed
    )
    spec = ScatterSpec(
        name, key_where, choices, colours, count, areas, yaw, tilt, spacing, settle, seed
    )
    for key in ("on", "avoid"):
        if key not in node:
            continue
        if not settle:
            raise reader.error(
                node.key_mark(key),
                f"{key}: of {what} needs settle: true",
                "only settling pieces land on something; add settle: true",
            )
        names = _names(reader, node, key, what)
        if key == "on":
            spec.on, spec.on_where = names, node.key_mark(key)
        else:
            spec.avoid, spec.avoid_where = names, node.key_mark(key)
    raw = node["area"]
    for item in raw if isinstance(raw, YList) else [raw]:
        if settle and isinstance(item, YMap) and "y" in item:
            raise reader.error(
                item.key_mark("y"),
                f"y: of an area of {what} has no effect with settle: true",
                "settling pieces fall onto what is below them; remove y:, or settle: false",
            )
    for name, where in spec.avoid:
        if name in {other for other, _ in spec.on or []}:
            raise reader.error(
                where,
                f"'{name}' is in both on: and avoid: of {what}",
                "keep it in one of them",
            )
    return spec


def _names(reader: Reader, node: YMap, key: str, what: str) -> list[tuple[str, Mark]]:
    """A list of entry names (or one name), each with its position."""
    value = node[key]
    name = entry_name(value)
    if name is not None:  # one name
        return [(name, node.value_mark(key))]
    if not isinstance(value, YList) or not len(value):
        raise reader.error(
            node.value_mark(key),
            f"{key} of {what} must be a list of entry names, got {value_kind(value)}",
            "for example [floor, rubble]: names of place: entries or earlier scatter entries",
        )
    out = []
    for i, item in enumerate(value):
        name = entry_name(item)
        if name is None:
            raise reader.error(
                value.item_mark(i), f"{key} of {what} must hold entry names, got {value_kind(item)}"
            )
        out.append((name, value.item_mark(i)))
    return out


def _weighted_list(reader: Reader, node: YMap, key: str, what: str, example: str) -> YList:
    """The non-empty list under `key` whose items each may carry a weight."""
    value = node[key]
    if not isinstance(value, YList) or not value:
        raise reader.error(
            node.value_mark(key), f"{key} of {what} must be a non-empty list", example
        )
    return value


def _choices(reader: Reader, node: YMap, what: str) -> list[Choice]:
    value = _weighted_list(
        reader, node, "parts", what, "for example [3024, {part: 3023, weight: 2}, {model: debris}]"
    )
    out = []
    for i, item in enumerate(value):
        mark = value.item_mark(i)
        if isinstance(item, YMap):
            item_what = f"parts item {i + 1} of {what}"
            reader.keys(item, CHOICE_KEYS, item_what)
            kinds = [k for k in ("part", "model") if k in item]
            if len(kinds) != 1:
                raise reader.error(mark, f"{item_what} needs exactly one of part: or model:")
            weight = reader.weight(item, item_what)
            out.append(
                Choice(
                    reader.part_name(item, "part", item_what) if "part" in item else None,
                    reader.string(item, "model", item_what) if "model" in item else None,
                    reader.colour(item, item_what),
                    weight,
                    item.value_mark(kinds[0]),
                )
            )
        elif isinstance(item, (str, int)) and not isinstance(item, bool):
            raw = value.raw[i]
            out.append(Choice(str(raw if raw is not None else item).strip(), None, None, 1.0, mark))
        else:
            raise reader.error(
                mark,
                f"parts item {i + 1} of {what} must be a part name or "
                f"{{part: ..., weight: ...}}, got {value_kind(item)}",
            )
    if sum(c.weight for c in out) <= 0:
        raise reader.error(
            node.value_mark("parts"),
            f"the weights of {what} add up to 0",
            "give at least one part a positive weight",
        )
    return out


def _colour_list(reader: Reader, node: YMap, key: str, what: str) -> list[tuple[ColourRef, float]]:
    value = _weighted_list(reader, node, key, what, "for example [15, {color: 71, weight: 0.2}]")
    out = []
    for i, item in enumerate(value):
        mark = value.item_mark(i)
        if isinstance(item, YMap):
            item_what = f"{key} item {i + 1} of {what}"
            reader.keys(item, COLOUR_CHOICE_KEYS, item_what)
            ref = reader.colour(item, item_what)
            if ref is None:
                raise reader.error(mark, f"{item_what} needs 'color'")
            weight = reader.weight(item, item_what)
            out.append((ref, weight))
        elif isinstance(item, (int, str)) and not isinstance(item, bool):
            out.append((ColourRef(item, mark), 1.0))
        else:
            raise reader.error(
                mark, f"{key} item {i + 1} of {what} must be a colour, got {value_kind(item)}"
            )
    if sum(w for _, w in out) <= 0:
        raise reader.error(node.value_mark(key), f"the colour weights of {what} add up to 0")
    return out


def _areas(reader: Reader, node: YMap, what: str) -> list[Area]:
    """`area:` is one area or a list of them (their union)."""
    value = node["area"]
    if not isinstance(value, YList):
        return [_area(reader, value, node.value_mark("area"), f"area of {what}", what)]
    if not len(value):
        raise reader.error(
            node.value_mark("area"),
            f"area of {what} is an empty list",
            "give one area, or a list of rect:/polygon:/near: areas",
        )
    return [
        _area(reader, item, value.item_mark(i), f"area {i + 1} of {what}", what)
        for i, item in enumerate(value)
    ]


def _area(reader: Reader, value: Any, where: Mark, area_what: str, what: str) -> Area:
    area = reader.section(value, where, AREA_KEYS, area_what)
    kinds = [k for k in AreaKind if k.value in area]
    if len(kinds) != 1:
        raise reader.error(
            area.mark,
            f"{area_what} needs exactly one of rect:, polygon: or near:",
            "rect: [[x0, z0], [x1, z1]] | polygon: [[x, z], ...] | near: NAME",
        )
    kind = kinds[0]
    key = kind.value  # the area's key in the file, also its name in messages
    margin = (
        reader.length(area["margin"], area.value_mark("margin"), f"margin of {area_what}")
        if "margin" in area
        else 0.0
    )
    y = reader.length(area["y"], area.value_mark("y"), f"y of {area_what}") if "y" in area else 0.0
    if kind is AreaKind.NEAR:
        return Area(
            kind,
            np.zeros((0, 2)),
            reader.string(area, key, area_what),
            margin,
            y,
            area.value_mark(key),
        )
    value = area[key]
    rect = kind is AreaKind.RECT
    if not isinstance(value, YList) or (len(value) != 2 if rect else len(value) < 3):
        raise reader.error(
            area.value_mark(key),
            f"{key} of {what} must be a list of "
            + (
                "two corners [[x0, z0], [x1, z1]]"
                if rect
                else "at least three points [[x, z], ...]"
            ),
            "x and z are ground coordinates (y is height)",
        )
    points = []
    for i, item in enumerate(value):
        if not isinstance(item, YList) or len(item) != 2:
            raise reader.error(
                value.item_mark(i), f"point {i + 1} of {key} of {what} must be [x, z]"
            )
        points.append(reader._list_vector(item, f"{key} of {what}"))
    pts = np.array(points, float)
    if rect and (np.any(pts[0] == pts[1])):
        raise reader.error(
            area.value_mark(key),
            f"rect of {what} has no area",
            "give two opposite corners [[x0, z0], [x1, z1]]",
        )
    x, z = pts[:, 0], pts[:, 1]
    if kind is AreaKind.POLYGON:
        if "margin" in area:
            raise reader.error(
                area.key_mark("margin"),
                f"margin of {area_what}: a margin grows a rect or a near box, not a polygon",
                "move the polygon's corners out instead, or remove margin:",
            )
        crossing = crossing_edges(pts)
        if crossing is not None:
            raise reader.error(
                area.value_mark(key),
                f"polygon of {what} crosses itself (its sides from point {crossing[0] + 1} and "
                f"from point {crossing[1] + 1} cross)",
                "list the corners in order around the shape",
            )
        if np.dot(x, np.roll(z, 1)) == np.dot(z, np.roll(x, 1)):
            raise reader.error(
                area.value_mark(key),
                f"polygon of {what} has no area",
                "its points lie on one line: give the corners of a shape, in order",
            )
    found = Area(kind, pts, None, margin, y, area.value_mark(key))
    shrunk = found.shrinks_away(np.abs(pts[1] - pts[0])) if rect else None
    if shrunk is not None:
        raise reader.error(
            area.value_mark("margin"), f"margin of {area_what} {shrunk[0]}", shrunk[1]
        )
    return found


def crossing_edges(points: np.ndarray) -> tuple[int, int] | None:
    """The first two sides of a closed polygon that cross, by their starting points' indices;
    None for a simple polygon (sides meeting only at their shared corners)."""
    n = len(points)
    starts, ends = points, np.roll(points, -1, axis=0)

    def side(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
        return float((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))

    for i in range(n):
        for j in range(i + 2, n):
            if i == 0 and j == n - 1:
                continue  # neighbours through the last corner
            a, b, c, d = starts[i], ends[i], starts[j], ends[j]
            d1, d2 = side(c, d, a), side(c, d, b)
            d3, d4 = side(a, b, c), side(a, b, d)
            if d1 * d2 < 0 and d3 * d4 < 0:
                return i, j
    return None
