"""Read a scene document (a `YMap` tree) into checked spec objects, with teaching errors.

This phase needs no library: it checks structure, key names, types, units and counts, and keeps
the file position of everything that a later phase (part lookup, cycles) may still reject.
"""

from __future__ import annotations

import difflib
import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from ldscene.errors import LdsceneError
from ldscene.scene import transforms
from ldscene.scene.spec import (
    ACCESSORY_KEYS,
    AREA_KEYS,
    ATTACH_POINTS,
    CAMERA_KEYS,
    CHOICE_KEYS,
    COLOUR_CHOICE_KEYS,
    HELD_KEYS,
    HOLD_KEYS,
    MINIFIG_KEYS,
    MINIFIG_PIECES,
    MODEL_KEYS,
    PIECE_KEYS,
    PLACE_KEYS,
    POSE_KEYS,
    RENDER_KEYS,
    REPEAT_KEYS,
    SCATTER_KEYS,
    SCENE_KEYS,
    STANCES,
    TOP_KEYS,
    AccessorySpec,
    Area,
    CameraSpecIn,
    Choice,
    ColourRef,
    HeldSpec,
    MinifigSpec,
    ModelDef,
    PieceSpec,
    Placement,
    RenderSpec,
    Repeat,
    ScatterSpec,
    SceneSpec,
)
from ldscene.scene.units import UNIT_NAMES, UnitError, parse_length, unit_scale
from ldscene.scene.yamlload import Mark, YList, YMap

#: The largest weight of a scatter choice (weights are relative; this keeps their sum finite).
MAX_WEIGHT = 1e9


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
                where, f"{what} must be a mapping (key: value lines), got {_kind(value)}"
            )
        return value

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
                node.value_mark(key), f"{key} of {what} must be a number, got {_kind(value)}"
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

    def integer(self, value: Any, where: Mark, what: str, low: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise self.error(where, f"{what} must be a whole number, got {_kind(value)}")
        if low is not None and value < low:
            raise self.error(
                where,
                f"{what} is {value}: it must be {low} or more",
                "use 0 to place nothing" if low == 0 else None,
            )
        return int(value)

    def boolean(self, node: YMap, key: str, what: str) -> bool:
        value = node[key]
        if not isinstance(value, bool):
            raise self.error(
                node.value_mark(key), f"{key} of {what} must be true or false, got {_kind(value)}"
            )
        return value

    def string(self, node: YMap, key: str, what: str) -> str:
        value = node[key]
        if isinstance(value, (YMap, YList)) or value is None:
            raise self.error(
                node.value_mark(key), f"{key} of {what} must be text, got {_kind(value)}"
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
            raise self.error(
                node.value_mark(key),
                f"{key} of {what} must be a list of {n} values {names}, got {_kind(value)}",
                'for example [0, "1 brick", "2 studs"]' if n == 3 else None,
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
                        value.item_mark(i), f"{what} must hold numbers, got {_kind(item)}"
                    )
                out.append(self.real(item, value.item_mark(i), what))
        return np.array(out, float)

    def colour(self, node: YMap, what: str) -> ColourRef | None:
        key = self.alias(node, ("color", "colour"), what)
        if key is None:
            return None
        value = node[key]
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise self.error(
                node.value_mark(key),
                f"{key} of {what} must be an LDraw colour code or name, got {_kind(value)}",
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


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"'{str(value).lower()}'"
    if isinstance(value, (YMap, dict)):
        return "a mapping"
    if isinstance(value, (YList, list)):
        return "a list"
    if isinstance(value, str):
        return f"'{value}'"
    return repr(value)


# -- sections ----------------------------------------------------------------------------------


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
        head = reader.mapping(top["scene"], top.value_mark("scene"), "scene:")
        reader.keys(head, SCENE_KEYS, "scene:")
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
                        f"parts_path entries must be folder paths, got {_kind(item)}",
                    )
                parts_path.append((item, value.item_mark(i)))
        else:
            parts_path.append(
                (reader.string(top, "parts_path", "the scene"), top.value_mark("parts_path"))
            )

    seed = 0
    if "seed" in top:
        seed = reader.integer(top["seed"], top.value_mark("seed"), "seed", 0)

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
            scatter.append(_scatter(reader, name, body, where, key_where, seed))

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
    node = reader.mapping(body, where, what)
    reader.keys(node, MODEL_KEYS, what)
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
        result.minifig = _minifig(reader, node["minifig"], node.value_mark("minifig"), what)
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
            f"list of entries, got {_kind(value)}",
        )
    return members


def _placement(
    reader: Reader, name: str, body: Any, where: Mark, key_where: Mark, what: str
) -> Placement:
    node = reader.mapping(body, where, what)
    reader.keys(node, PLACE_KEYS, what)
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
        rep = reader.mapping(item, mark, f"repeat of {what}")
        reader.keys(rep, REPEAT_KEYS, f"repeat of {what}")
        for key in REPEAT_KEYS:
            if key not in rep:
                raise reader.error(
                    rep.mark,
                    f"repeat of {what} needs '{key}'",
                    'for example repeat: {count: 5, step: ["2 studs", 0, 0]}',
                )
        count = reader.integer(rep["count"], rep.value_mark("count"), f"repeat count of {what}", 0)
        out.append(Repeat(count, reader.vector(rep, "step", f"repeat of {what}")))
    return out


def _piece(reader: Reader, value: Any, where: Mark, what: str) -> PieceSpec:
    node = reader.mapping(value, where, what)
    reader.keys(node, PIECE_KEYS, what)
    part = reader.part_name(node, "part", what) if "part" in node else None
    return PieceSpec(part, reader.colour(node, what), where)


def _minifig(reader: Reader, body: Any, where: Mark, owner: str) -> MinifigSpec:
    what = f"minifig of {owner}"
    node = reader.mapping(body, where, what)
    reader.keys(node, MINIFIG_KEYS, what)
    pieces = {
        key: _piece(reader, node[key], node.value_mark(key), f"{key} of {owner}")
        for key in MINIFIG_PIECES
        if key in node
    }
    for key in ("hat", "hair"):
        if key in pieces and pieces[key].part is None:
            raise reader.error(
                pieces[key].where,
                f"{key} of {owner} needs 'part'",
                "for example {part: 3901, color: 6} (hair) or "
                "{part: 87998, color: 28} (army helmet)",
            )
    stance = "stand"
    if "stance" in node:
        stance = reader.string(node, "stance", f"minifig of {owner}").strip()
        if stance not in STANCES:
            close = difflib.get_close_matches(stance, STANCES, n=1, cutoff=0.5)
            raise reader.error(
                node.value_mark("stance"),
                f"unknown stance '{stance}' in minifig of {owner}",
                f"did you mean '{close[0]}'?" if close else "use one of " + ", ".join(STANCES),
            )
    pose: dict[str, float] = {}
    if "pose" in node:
        pose_node = reader.mapping(node["pose"], node.value_mark("pose"), f"pose of {owner}")
        reader.keys(pose_node, POSE_KEYS, f"pose of {owner}")
        pose = {
            key: reader.number(pose_node, key, f"pose of {owner}", -360, 360) for key in pose_node
        }
    hold: dict[str, HeldSpec] = {}
    if "hold" in node:
        hold_node = reader.mapping(node["hold"], node.value_mark("hold"), f"hold of {owner}")
        reader.keys(hold_node, HOLD_KEYS, f"hold of {owner}")
        for side, value in hold_node.items():
            held_what = f"{side} hand of {owner}"
            held = reader.mapping(value, hold_node.value_mark(side), held_what)
            reader.keys(held, HELD_KEYS, held_what)
            if "part" not in held:
                raise reader.error(
                    held.mark,
                    f"{held_what} holds nothing: 'part' is missing",
                    "for example {part: 30141, color: 0}",
                )
            hold[side] = HeldSpec(
                reader.part_name(held, "part", held_what),
                reader.colour(held, held_what),
                reader.number(held, "turn", held_what) if "turn" in held else 0.0,
                reader.length(held["slide"], held.value_mark("slide"), f"slide of {held_what}")
                if "slide" in held
                else 0.0,
                held.value_mark("part"),
            )
    accessories: list[AccessorySpec] = []
    if "accessories" in node:
        value = node["accessories"]
        if not isinstance(value, YList):
            raise reader.error(
                node.value_mark("accessories"),
                f"accessories of {owner} must be a list",
                "for example [{part: 2524, color: 6}]",
            )
        for i, item in enumerate(value):
            acc_what = f"accessory {i + 1} of {owner}"
            acc = reader.mapping(item, value.item_mark(i), acc_what)
            reader.keys(acc, ACCESSORY_KEYS, acc_what)
            if "part" not in acc:
                raise reader.error(acc.mark, f"{acc_what} needs 'part'")
            attach = "torso"
            if "attach" in acc:
                attach = reader.string(acc, "attach", acc_what)
                if attach not in ATTACH_POINTS:
                    close = difflib.get_close_matches(attach, ATTACH_POINTS, n=1)
                    raise reader.error(
                        acc.value_mark("attach"),
                        f"attach of {acc_what} is '{attach}'",
                        f"did you mean '{close[0]}'?" if close else "use torso, head or hips",
                    )
            accessories.append(
                AccessorySpec(
                    reader.part_name(acc, "part", acc_what),
                    reader.colour(acc, acc_what),
                    reader.vector(acc, "at", acc_what) if "at" in acc else np.zeros(3),
                    reader.rotation(acc, acc_what),
                    attach,
                    acc.value_mark("part"),
                )
            )
    return MinifigSpec(pieces, pose, hold, accessories, where, stance)


def _scatter(
    reader: Reader, name: str, body: Any, where: Mark, key_where: Mark, scene_seed: int
) -> ScatterSpec:
    what = f"scatter '{name}'"
    node = reader.mapping(body, where, what)
    reader.keys(node, SCATTER_KEYS, what)
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
    count = reader.integer(node["count"], node.value_mark("count"), f"count of {what}", 0)
    areas = _areas(reader, node, what)
    yaw: tuple[float, float] | None = None
    if "yaw" in node:
        value = node["yaw"]
        if value == "random":
            yaw = None
        elif isinstance(value, YList) and len(value) == 2:
            low, high = reader._list_vector(value, f"yaw of {what}", lengths=False)
            yaw = (float(low), float(high))
        else:
            angle = reader.number(node, "yaw", what) if not isinstance(value, str) else None
            if angle is None:
                raise reader.error(
                    node.value_mark("yaw"),
                    f"yaw of {what} is {_kind(value)}",
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
        reader.integer(node["seed"], node.value_mark("seed"), f"seed of {what}", 0)
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
    return spec


def _names(reader: Reader, node: YMap, key: str, what: str) -> list[tuple[str, Mark]]:
    """A list of entry names (or one name), each with its position."""
    value = node[key]
    if isinstance(value, str):
        return [(value, node.value_mark(key))]
    if not isinstance(value, YList) or not len(value):
        raise reader.error(
            node.value_mark(key),
            f"{key} of {what} must be a list of entry names, got {_kind(value)}",
            "for example [floor, rubble]: names of place: entries or earlier scatter entries",
        )
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise reader.error(
                value.item_mark(i), f"{key} of {what} must hold entry names, got {_kind(item)}"
            )
        out.append((item, value.item_mark(i)))
    return out


def _choices(reader: Reader, node: YMap, what: str) -> list[Choice]:
    value = node["parts"]
    if not isinstance(value, YList) or not value:
        raise reader.error(
            node.value_mark("parts"),
            f"parts of {what} must be a non-empty list",
            "for example [3024, {part: 3023, weight: 2}, {model: debris}]",
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
                f"{{part: ..., weight: ...}}, got {_kind(item)}",
            )
    if sum(c.weight for c in out) <= 0:
        raise reader.error(
            node.value_mark("parts"),
            f"the weights of {what} add up to 0",
            "give at least one part a positive weight",
        )
    return out


def _colour_list(reader: Reader, node: YMap, key: str, what: str) -> list[tuple[ColourRef, float]]:
    value = node[key]
    if not isinstance(value, YList) or not value:
        raise reader.error(
            node.value_mark(key),
            f"{key} of {what} must be a non-empty list",
            "for example [15, {color: 71, weight: 0.2}]",
        )
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
                mark, f"{key} item {i + 1} of {what} must be a colour, got {_kind(item)}"
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
    area = reader.mapping(value, where, area_what)
    reader.keys(area, AREA_KEYS, area_what)
    kinds = [k for k in ("rect", "polygon", "near") if k in area]
    if len(kinds) != 1:
        raise reader.error(
            area.mark,
            f"{area_what} needs exactly one of rect:, polygon: or near:",
            "rect: [[x0, z0], [x1, z1]] | polygon: [[x, z], ...] | near: NAME",
        )
    kind = kinds[0]
    margin = (
        reader.length(area["margin"], area.value_mark("margin"), f"margin of {area_what}")
        if "margin" in area
        else 0.0
    )
    y = reader.length(area["y"], area.value_mark("y"), f"y of {area_what}") if "y" in area else 0.0
    if kind == "near":
        return Area(
            "near",
            np.zeros((0, 2)),
            reader.string(area, "near", area_what),
            margin,
            y,
            area.value_mark("near"),
        )
    value = area[kind]
    need = 2 if kind == "rect" else 3
    if not isinstance(value, YList) or (len(value) != 2 if kind == "rect" else len(value) < 3):
        raise reader.error(
            area.value_mark(kind),
            f"{kind} of {what} must be a list of "
            + (
                "two corners [[x0, z0], [x1, z1]]"
                if kind == "rect"
                else "at least three points [[x, z], ...]"
            ),
            "x and z are ground coordinates (y is height)",
        )
    points = []
    for i, item in enumerate(value):
        if not isinstance(item, YList) or len(item) != 2:
            raise reader.error(
                value.item_mark(i), f"point {i + 1} of {kind} of {what} must be [x, z]"
            )
        points.append(reader._list_vector(item, f"{kind} of {what}"))
    pts = np.array(points, float)
    if kind == "rect" and (np.any(pts[0] == pts[1])):
        raise reader.error(
            area.value_mark(kind),
            f"rect of {what} has no area",
            "give two opposite corners [[x0, z0], [x1, z1]]",
        )
    x, z = pts[:, 0], pts[:, 1]
    if kind == "polygon" and np.dot(x, np.roll(z, 1)) == np.dot(z, np.roll(x, 1)):
        raise reader.error(
            area.value_mark(kind),
            f"polygon of {what} has no area",
            "its points lie on one line: give the corners of a shape, in order",
        )
    del need
    return Area(kind, pts, None, margin, y, area.value_mark(kind))


def _camera(reader: Reader, name: str, body: Any, where: Mark, key_where: Mark) -> CameraSpecIn:
    what = f"camera '{name}'"
    node = reader.mapping(body, where, what)
    reader.keys(node, CAMERA_KEYS, what)
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
        if isinstance(node[key], str):
            return node[key]
        return reader.vector(node, key, what)

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
        reader.number(node, "fov", what, 1, 170) if "fov" in node else None,
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
            f"distance of {what} is {distance:g} LDU: it must be more than 0",
            "leave it out to frame the scene automatically",
        )
    return distance


def _render(reader: Reader, node: YMap) -> RenderSpec:
    reader.keys(node, RENDER_KEYS, "render:")
    spec = RenderSpec()
    if "size" in node:
        value = node["size"]
        size = None
        if (
            isinstance(value, YList)
            and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
        ):
            size = (int(value[0]), int(value[1]))
        elif isinstance(value, str):
            found = re.fullmatch(r"\s*([0-9]{1,9})\s*[xX]\s*([0-9]{1,9})\s*", value)
            if found and int(found[1]) > 0 and int(found[2]) > 0:
                size = (int(found[1]), int(found[2]))
        if size is None:
            raise reader.error(
                node.value_mark("size"),
                f"size of render: is {_kind(value)}",
                'use [width, height] in pixels or "1280x720"',
            )
        spec.size = size
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
        else:
            raise reader.error(
                node.value_mark("background"),
                'background of render: must be "#rrggbb", [r, g, b] or an LDraw colour name',
            )
    if "edges" in node:
        spec.edges = reader.boolean(node, "edges", "render:")
    return spec
