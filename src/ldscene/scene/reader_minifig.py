"""Read a `minifig:` model: its pieces, stance, pose, held parts and accessories."""

from __future__ import annotations

import difflib
from typing import Any

import numpy as np

from ldscene.scene.reader_checks import Reader
from ldscene.scene.spec import (
    ACCESSORY_KEYS,
    ATTACH_POINTS,
    HELD_KEYS,
    HOLD_KEYS,
    MINIFIG_KEYS,
    MINIFIG_PIECES,
    PIECE_KEYS,
    POSE_KEYS,
    STANCES,
    AccessorySpec,
    HeldSpec,
    MinifigSpec,
    PieceSpec,
)
from ldscene.scene.yamlload import Mark, YList


def _piece(reader: Reader, value: Any, where: Mark, what: str) -> PieceSpec:
    node = reader.section(value, where, PIECE_KEYS, what)
    part = reader.part_name(node, "part", what) if "part" in node else None
    return PieceSpec(part, reader.colour(node, what), where)


def read_minifig(reader: Reader, body: Any, where: Mark, owner: str) -> MinifigSpec:
    what = f"minifig of {owner}"
    node = reader.section(body, where, MINIFIG_KEYS, what)
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
        pose_node = reader.section(
            node["pose"], node.value_mark("pose"), POSE_KEYS, f"pose of {owner}"
        )
        pose = {
            key: reader.number(pose_node, key, f"pose of {owner}", -360, 360) for key in pose_node
        }
    hold: dict[str, HeldSpec] = {}
    if "hold" in node:
        hold_node = reader.section(
            node["hold"], node.value_mark("hold"), HOLD_KEYS, f"hold of {owner}"
        )
        for side, value in hold_node.items():
            held_what = f"{side} hand of {owner}"
            held = reader.section(value, hold_node.value_mark(side), HELD_KEYS, held_what)
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
            acc = reader.section(item, value.item_mark(i), ACCESSORY_KEYS, acc_what)
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
