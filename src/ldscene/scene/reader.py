"""Read a scene document (a `YMap` tree) into checked spec objects, with teaching errors.

This phase needs no library: it checks structure, key names, types, units and counts, and keeps
the file position of everything that a later phase (part lookup, cycles) may still reject.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from ldscene.imaging import MAX_FOV, MAX_SIDE, MIN_FOV
from ldscene.scene.reader_checks import COUNT_HINT, SEED_HINT, Reader, entry_name, value_kind
from ldscene.scene.reader_minifig import read_minifig
from ldscene.scene.reader_scatter import read_scatter
from ldscene.scene.spec import (
    CAMERA_KEYS,
    MODEL_KEYS,
    PLACE_KEYS,
    RENDER_KEYS,
    REPEAT_KEYS,
    SCENE_KEYS,
    TOP_KEYS,
    CameraSpecIn,
    ModelDef,
    Placement,
    RenderSpec,
    Repeat,
    ScatterSpec,
    SceneSpec,
)
from ldscene.scene.units import UNIT_NAMES, UnitError, unit_scale
from ldscene.scene.yamlload import Mark, YList, YMap

__all__ = ["Reader", "read_scene"]


def read_scene(doc: Any, path: str | Path) -> SceneSpec:
    """Check a parsed scene document and return its spec (raises `LdsceneError`)."""
    path_text = str(path)
    reader = Reader(path_text)
    if doc is None:
        raise reader.error(
            Mark(1, 1),
            "the scene file is empty",
            "start with `scene: {title: ...}` and a `place:` section; see docs/scene-format.md",
        )
    top = reader.mapping(doc, Mark(1, 1), "a scene file")
    reader.keys(top, TOP_KEYS, "the scene file")

    units = "ldu"
    if "units" in top:
        units = reader.string(top, "units", "the scene").strip().lower()
        try:
            unit_scale(units)
        except UnitError as err:
            raise reader.error(
                top.value_mark("units"),
                f"units: {err}",
                err.hint if "did you" in err.hint else "one of " + ", ".join(UNIT_NAMES),
            ) from None
        reader.units = units

    title, description = Path(path_text).stem, ""
    if "scene" in top:
        head = reader.section(top["scene"], top.value_mark("scene"), SCENE_KEYS, "scene:")
        if "title" in head:
            title = reader.string(head, "title", "scene:")
        if "description" in head:
            description = reader.string(head, "description", "scene:")

    parts_path: list[tuple[str, Mark]] = []
    if "parts_path" in top:
        value = top["parts_path"]
        if isinstance(value, YList):
            for i, item in enumerate(value):
                if not isinstance(item, str):
                    raise reader.error(
                        value.item_mark(i),
                        f"parts_path entries must be folder paths, got {value_kind(item)}",
                    )
                parts_path.append((item, value.item_mark(i)))
        else:
            parts_path.append(
                (reader.string(top, "parts_path", "the scene"), top.value_mark("parts_path"))
            )

    seed = 0
    if "seed" in top:
        seed = reader.integer(top["seed"], top.value_mark("seed"), "seed", 0, SEED_HINT)

    models: dict[str, ModelDef] = {}
    if "models" in top:
        section = reader.mapping(top["models"], top.value_mark("models"), "models:")
        for name, body in section.items():
            models[name] = _model(
                reader, name, body, section.value_mark(name), section.key_mark(name)
            )

    place: list[Placement] = []
    if "place" in top:
        section = _named(reader, top, "place")
        for name, body, where, key_where in section:
            place.append(_placement(reader, name, body, where, key_where, f"place '{name}'"))

    scatter: list[ScatterSpec] = []
    if "scatter" in top:
        section = _named(reader, top, "scatter")
        for name, body, where, key_where in section:
            scatter.append(read_scatter(reader, name, body, where, key_where, seed))

    place_names = {p.name: p.where for p in place}
    for item in scatter:
        if item.name in place_names:
            raise reader.error(
                item.where,
                f"scatter '{item.name}' has the same name as a place "
                f"entry (line {place_names[item.name].line})",
                "names of place and scatter entries must differ",
            )

    cameras: list[CameraSpecIn] = []
    if "cameras" in top:
        section = reader.mapping(top["cameras"], top.value_mark("cameras"), "cameras:")
        for name, body in section.items():
            cameras.append(
                _camera(reader, name, body, section.value_mark(name), section.key_mark(name))
            )

    render = RenderSpec()
    if "render" in top:
        render = _render(reader, reader.mapping(top["render"], top.value_mark("render"), "render:"))

    if not place and not scatter:
        first = next(iter(top), None)
        raise reader.error(
            top.value_mark("place") if "place" in top else top.key_mark(first),
            "the scene places nothing: it has no place: or scatter: entries",
            "add a place: section, for example place: {ground: {part: 3811, color: Green}}",
        )

    return SceneSpec(
        Path(path_text),
        title,
        description,
        units,
        parts_path,
        seed,
        models,
        place,
        scatter,
        cameras,
        render,
    )


def _named(reader: Reader, top: YMap, key: str) -> list[tuple[str, Any, Mark, Mark]]:
    section = reader.mapping(top[key], top.value_mark(key), f"{key}:")
    return [
        (name, body, section.value_mark(name), section.key_mark(name))
        for name, body in section.items()
    ]


def _model(reader: Reader, name: str, body: Any, where: Mark, key_where: Mark) -> ModelDef:
    what = f"model '{name}'"
    node = reader.section(body, where, MODEL_KEYS, what)
    reader.exactly_one(
        node,
        ("file", "group", "minifig"),
        what,
        key_where,
        "file: an .ldr/.mpd; group: parts and models; minifig: a figure",
    )
    result = ModelDef(name, key_where)
    if "file" in node:
        result.file = reader.string(node, "file", what)
        result.file_where = node.value_mark("file")
    elif "group" in node:
        result.group = _group(reader, node, what)
    else:
        result.minifig = read_minifig(reader, node["minifig"], node.value_mark("minifig"), what)
    return result


def _group(reader: Reader, node: YMap, what: str) -> list[Placement]:
    value = node["group"]
    where = node.value_mark("group")
    members: list[Placement] = []
    if isinstance(value, YMap):
        for name, body in value.items():
            members.append(
                _placement(
                    reader,
                    name,
                    body,
                    value.value_mark(name),
                    value.key_mark(name),
                    f"'{name}' in {what}",
                )
            )
    elif isinstance(value, YList):
        for i, body in enumerate(value):
            members.append(
                _placement(
                    reader,
                    f"{i + 1}",
                    body,
                    value.item_mark(i),
                    value.item_mark(i),
                    f"group item {i + 1} of {what}",
                )
            )
    else:
        raise reader.error(
            where,
            f"group of {what} must be a mapping of named entries or a "
            f"list of entries, got {value_kind(value)}",
        )
    return members


def _placement(
    reader: Reader, name: str, body: Any, where: Mark, key_where: Mark, what: str
) -> Placement:
    node = reader.section(body, where, PLACE_KEYS, what)
    reader.exactly_one(
        node,
        ("model", "part", "group"),
        what,
        key_where,
        "for example `part: 3001` with `color: 4`",
    )
    result = Placement(name, key_where)
    if "model" in node:
        result.model = reader.string(node, "model", what)
        result.ref_where = node.value_mark("model")
    elif "part" in node:
        result.part = reader.part_name(node, "part", what)
        result.ref_where = node.value_mark("part")
    else:
        result.group = _group(reader, node, what)
    result.colour = reader.colour(node, what)
    at_key = reader.alias(node, ("at", "position"), what)
    if at_key is not None:
        result.at = reader.vector(node, at_key, what)
    result.rotation = reader.rotation(node, what)
    if "repeat" in node:
        result.repeat = _repeats(reader, node, what)
    if "settle" in node:
        result.settle = reader.boolean(node, "settle", what)
        result.settle_where = node.value_mark("settle")
    return result


def _repeats(reader: Reader, node: YMap, what: str) -> list[Repeat]:
    value = node["repeat"]
    items = value if isinstance(value, YList) else [value]
    marks = (
        [value.item_mark(i) for i in range(len(value))]
        if isinstance(value, YList)
        else [node.value_mark("repeat")]
    )
    out = []
    for item, mark in zip(items, marks):
        rep = reader.section(item, mark, REPEAT_KEYS, f"repeat of {what}")
        for key in REPEAT_KEYS:
            if key not in rep:
                raise reader.error(
                    rep.mark,
                    f"repeat of {what} needs '{key}'",
                    'for example repeat: {count: 5, step: ["2 studs", 0, 0]}',
                )
        count = reader.integer(
            rep["count"], rep.value_mark("count"), f"repeat count of {what}", 0, COUNT_HINT
        )
        out.append(Repeat(count, reader.vector(rep, "step", f"repeat of {what}")))
    return out


def _camera(reader: Reader, name: str, body: Any, where: Mark, key_where: Mark) -> CameraSpecIn:
    what = f"camera '{name}'"
    node = reader.section(body, where, CAMERA_KEYS, what)
    if "position" in node:
        for key in ("lat", "lon", "distance", "target"):
            if key in node:
                raise reader.error(
                    node.key_mark(key),
                    f"{what} mixes position: with {key}:",
                    "a camera is either orbit (lat, lon, distance, target) or "
                    "fixed (position, look_at)",
                )
    elif "look_at" in node:
        raise reader.error(
            node.key_mark("look_at"),
            f"{what} has look_at: but no position:",
            "add position: [x, y, z], or use target: for an orbit camera",
        )

    def point(key: str) -> np.ndarray | str | None:
        if key not in node:
            return None
        name = entry_name(node[key])
        return name if name is not None else reader.vector(node, key, what)

    if "aperture" in node and "focus" not in node:
        raise reader.error(
            node.key_mark("aperture"),
            f"{what} has aperture: but no focus:",
            "add focus: a point [x, y, z] or the name of a placed entry",
        )
    target_key = "look_at" if "look_at" in node else "target"
    position, look_at = (
        reader.vector(node, "position", what) if "position" in node else None,
        point("look_at"),
    )
    if isinstance(look_at, np.ndarray) and np.array_equal(position, look_at):
        raise reader.error(
            node.value_mark("look_at"),
            f"{what} looks at its own position",
            "look_at must be another point than position",
        )
    return CameraSpecIn(
        name,
        key_where,
        reader.number(node, "lat", what, -90, 90) if "lat" in node else None,
        reader.number(node, "lon", what, -360, 360) if "lon" in node else None,
        _distance(reader, node, what) if "distance" in node else None,
        point("target"),
        position,
        look_at,
        reader.number(node, "fov", what, MIN_FOV, MAX_FOV) if "fov" in node else None,
        node.value_mark(target_key) if target_key in node else key_where,
        focus=point("focus"),
        aperture=reader.number(node, "aperture", what, 0.5, 64) if "aperture" in node else None,
        focus_where=node.value_mark("focus") if "focus" in node else key_where,
    )


def _distance(reader: Reader, node: YMap, what: str) -> float:
    distance = reader.length(node["distance"], node.value_mark("distance"), f"distance of {what}")
    if distance <= 0:
        raise reader.error(
            node.value_mark("distance"),
            f"distance of {what} is {node['distance']}: it must be more than 0",
            "leave it out to frame the scene automatically",
        )
    return distance


def _size(reader: Reader, node: YMap) -> tuple[int, int]:
    """`render: size:` as [width, height] or "WxH": whole numbers of pixels, 1..MAX_SIDE."""
    value = node["size"]
    sides: list = []
    marks = [node.value_mark("size")] * 2
    if isinstance(value, YList) and len(value) == 2:
        sides, marks = list(value), [value.item_mark(0), value.item_mark(1)]
    elif isinstance(value, str):
        found = re.fullmatch(r"\s*([0-9]{1,9})\s*[xX]\s*([0-9]{1,9})\s*", value)
        sides = [int(found[1]), int(found[2])] if found else []
    if not sides:
        raise reader.error(
            node.value_mark("size"),
            f"size of render: is {value_kind(value)}",
            'use [width, height] in pixels or "1280x720"',
        )
    for label, side, mark in zip(("width", "height"), sides, marks, strict=True):
        whole = isinstance(side, int) and not isinstance(side, bool)
        if not whole or not 1 <= side <= MAX_SIDE:
            shown = side if whole or isinstance(side, (int, float)) else value_kind(side)
            raise reader.error(
                mark,
                f"{label} of render: size is {shown}",
                f"give a whole number of pixels, 1..{MAX_SIDE}",
            )
    return int(sides[0]), int(sides[1])


def _render(reader: Reader, node: YMap) -> RenderSpec:
    reader.keys(node, RENDER_KEYS, "render:")
    spec = RenderSpec()
    if "size" in node:
        spec.size = _size(reader, node)
    if "background" in node:
        value = node["background"]
        if isinstance(value, YList):
            rgb = reader._list_vector(value, "background of render:", lengths=False)
            if len(rgb) != 3 or np.any(rgb < 0) or np.any(rgb > 1):
                raise reader.error(
                    node.value_mark("background"),
                    "background of render: must "
                    'be [r, g, b] with values 0..1, "#rrggbb" or a colour name',
                )
            spec.background = [float(v) for v in rgb]
        elif isinstance(value, (str, int)) and not isinstance(value, bool):
            hex_text = isinstance(value, str) and value.strip().startswith("#")
            if hex_text and not re.fullmatch(r"\s*#(?:[0-9a-fA-F]{3}){1,2}\s*", value):
                raise reader.error(
                    node.value_mark("background"),
                    f"background of render: is '{value}'",
                    'write "#rrggbb" with six hex digits',
                )
            spec.background = value
            spec.background_where = node.value_mark("background")
        else:
            raise reader.error(
                node.value_mark("background"),
                'background of render: must be "#rrggbb", [r, g, b] or an LDraw colour name',
            )
    if "edges" in node:
        spec.edges = reader.boolean(node, "edges", "render:")
    return spec
