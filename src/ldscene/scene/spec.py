"""The checked form of a scene file: accepted keys (from `format`) and the spec objects `reader`
builds.

Lengths are in LDU, positions in scene axes (y up; see `transforms`); every object keeps the
file position the composer needs for errors found later (part lookup, cycles).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np

from ldscene.ldraw.units import LDU_PER_UNIT
from ldscene.scene import format as fmt
from ldscene.scene import transforms
from ldscene.scene.yamlload import NO_MARK, Mark

#: Accepted keys per kind of mapping, as `format` declares them (the reader checks these).
TOP_KEYS = fmt.TOP.names
SCENE_KEYS = fmt.SCENE.names
MODEL_KEYS = fmt.MODEL.names
PLACE_KEYS = fmt.PLACE.names
REPEAT_KEYS = fmt.REPEAT.names
SCATTER_KEYS = fmt.SCATTER.names
CHOICE_KEYS = fmt.CHOICE.names
COLOUR_CHOICE_KEYS = fmt.COLOUR_CHOICE.names
AREA_KEYS = fmt.AREA.names
CAMERA_KEYS = fmt.CAMERA.names
RENDER_KEYS = fmt.RENDER.names
MINIFIG_KEYS = fmt.MINIFIG.names
PIECE_KEYS = fmt.PIECE.names
POSE_KEYS = fmt.POSE.names
HOLD_KEYS = fmt.HOLD.names
HELD_KEYS = fmt.HELD.names
ACCESSORY_KEYS = fmt.ACCESSORY.names
MINIFIG_PIECES = fmt.MINIFIG_PIECES
STANCES = fmt.STANCES
ATTACH_POINTS = fmt.ATTACH_POINTS


# -- spec objects ------------------------------------------------------------------------------


@dataclass
class ColourRef:
    """A colour as written: an LDraw code (int), a name, or "#rrggbb"; resolved later."""

    value: int | str
    where: Mark


@dataclass
class Repeat:
    count: int
    step: np.ndarray  # (3,) scene axes, LDU


@dataclass
class Placement:
    """One placed thing: a model, a part, or a group of placements, with its transform."""

    name: str
    where: Mark
    model: str | None = None
    part: str | None = None
    group: list[Placement] | None = None
    colour: ColourRef | None = None
    at: np.ndarray = field(default_factory=lambda: np.zeros(3))  # scene axes, LDU
    rotation: np.ndarray = field(default_factory=lambda: np.eye(3))  # scene axes
    repeat: list[Repeat] = field(default_factory=list)
    ref_where: Mark = NO_MARK  # position of the model:/part: value
    settle: bool = False  # lowered onto what is below it (each repeat copy on its own)
    settle_where: Mark = NO_MARK

    def transforms(self) -> list[np.ndarray]:
        """LDraw 4×4 transforms, one per repeat copy (first copy at `at`)."""
        offsets = [np.zeros(3)]
        for rep in self.repeat:
            offsets = [o + k * rep.step for o in offsets for k in range(rep.count)]
        return [transforms.scene_transform(self.at + o, self.rotation) for o in offsets]


@dataclass
class PieceSpec:
    part: str | None
    colour: ColourRef | None
    where: Mark


@dataclass
class HeldSpec:
    part: str
    colour: ColourRef | None
    turn: float
    slide: float
    where: Mark


@dataclass
class AccessorySpec:
    part: str
    colour: ColourRef | None
    at: np.ndarray
    rotation: np.ndarray
    attach: str
    where: Mark


@dataclass
class MinifigSpec:
    pieces: dict[str, PieceSpec]
    pose: dict[str, float]
    hold: dict[str, HeldSpec]
    accessories: list[AccessorySpec]
    where: Mark
    stance: str = "stand"  # one of minifig.STANCES
    # False: its hips part is a skirt to the ground ("Minifig Hips and Skirt"), which takes
    # the legs' place (the composer decides, from the part's title: `minifig.SKIRT_HIPS`)
    legs: bool = True


@dataclass
class ModelDef:
    name: str
    where: Mark
    file: str | None = None
    file_where: Mark = NO_MARK
    group: list[Placement] | None = None
    minifig: MinifigSpec | None = None


@dataclass
class Choice:
    part: str | None
    model: str | None
    colour: ColourRef | None
    weight: float
    where: Mark


class AreaKind(str, Enum):
    """The shape of a scatter area; the value is its key in the scene file."""

    RECT = "rect"  # two opposite corners
    POLYGON = "polygon"  # three or more corners, in order
    NEAR = "near"  # around a placed name's box, widened by the margin


@dataclass
class Area:
    kind: AreaKind
    points: np.ndarray  # (N, 2) scene x, z (rect: two corners)
    near: str | None
    margin: float
    y: float
    where: Mark

    def shrinks_away(self, size: np.ndarray) -> tuple[str, str] | None:
        """(what is wrong, what to do) when a negative margin shrinks a box of `size` (x, z
        LDU: the rect, or the box of what it is near) to nothing, or turns it inside out."""
        if self.margin >= 0 or -2 * self.margin < size.min():
            return None
        studs = size / LDU_PER_UNIT["stud"]
        return (
            f"shrinks its {studs[0]:g} x {studs[1]:g} stud box to nothing",
            f"use a margin above -{studs.min() / 2:g} studs, or none",
        )


@dataclass
class ScatterSpec:
    name: str
    where: Mark
    choices: list[Choice]
    colours: list[tuple[ColourRef, float]]
    count: int
    areas: list[Area]  # one or more; pieces land anywhere in their union
    yaw: tuple[float, float] | None  # None: uniformly random; else (min, max) degrees
    tilt: float
    spacing: float
    settle: bool
    seed: int
    #: Entry names (with their file positions) the pieces may rest on (None: anything) and
    #: may not rest on; the positions of the on:/avoid: keys themselves.
    on: list[tuple[str, Mark]] | None = None
    avoid: list[tuple[str, Mark]] = field(default_factory=list)
    on_where: Mark = NO_MARK
    avoid_where: Mark = NO_MARK


@dataclass
class CameraSpecIn:
    name: str
    where: Mark
    lat: float | None
    lon: float | None
    distance: float | None
    target: np.ndarray | str | None  # scene point or placed name
    position: np.ndarray | None
    look_at: np.ndarray | str | None
    fov: float | None
    target_where: Mark = NO_MARK
    focus: np.ndarray | str | None = None  # depth of field: a scene point or placed name
    aperture: float | None = None  # f-number
    focus_where: Mark = NO_MARK


@dataclass
class RenderSpec:
    size: tuple[int, int] | None = None
    background: Any = None  # "#rrggbb", a colour name/code, or [r, g, b] in 0..1
    edges: bool | None = None
    background_where: Mark | None = None  # where the background is written


@dataclass
class SceneSpec:
    path: Path
    title: str
    description: str
    units: str
    parts_path: list[tuple[str, Mark]]
    seed: int
    models: dict[str, ModelDef]
    place: list[Placement]
    scatter: list[ScatterSpec]
    cameras: list[CameraSpecIn]
    render: RenderSpec
