"""Assemble a minifig from its standard LDraw parts at the offsets LDraw itself uses.

The offsets come from the library's own assemblies: `973c01.dat` (torso, arms at ±15.552, 9, 0
tilted 10°, hands), `3815c01.dat`-style hips and legs (legs 12 LDU below the hips), the
head 24 LDU above the torso origin and hips 32 below it.  Everything here is in LDraw axes
(-y up, the figure faces -z); the figure's origin is between its feet on the ground, so
`at: [x, 0, z]` stands it on the ground.  Poses turn each piece about its real pivot:
arms about the shoulder pin (the arm's own x axis, tilted 9.79° with the arm, as in LeoCAD's
minifig wizard), legs about the hip pin (x axis), head about the neck
(y axis), hands about the wrist (the hand's own z axis).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ldscene.scene import transforms as tf
from ldscene.scene.spec import ColourRef, MinifigSpec
from ldscene.scene.yamlload import NO_MARK, Mark

#: Default part and colour per piece; arms take the torso colour and legs the hips colour.
DEFAULT_PARTS = {
    "head": "3626bp01",
    "torso": "973",
    "left_arm": "3819",
    "right_arm": "3818",
    "left_hand": "3820",
    "right_hand": "3820",
    "hips": "3815b",
    "left_leg": "3817b",
    "right_leg": "3816b",
}
DEFAULT_COLOURS = {"head": 14, "torso": 4, "hands": 14, "hips": 1}

#: Torso origin above the ground (feet bottoms at y = 0).
TORSO_HEIGHT = 72.0
HEAD_OFFSET = np.array([0.0, -24.0, 0.0])
HIPS_OFFSET = np.array([0.0, 32.0, 0.0])
LEGS_OFFSET = np.array([0.0, 44.0, 0.0])  # hips + 12
SHOULDER = {"right": np.array([-15.552, 9.0, 0.0]), "left": np.array([15.552, 9.0, 0.0])}
#: Arms hang splayed 10° outwards (the rotations in 973c01.dat).
ARM_TILT = {
    "right": np.array([[0.985, -0.17, 0], [0.17, 0.985, 0], [0, 0, 1.0]]),
    "left": np.array([[0.985, 0.17, 0], [-0.17, 0.985, 0], [0, 0, 1.0]]),
}
#: Hands as placed in 973c01.dat (torso frame), with the arms at rest.
HAND_REST = {
    "right": tf.matrix(
        np.array([[0.985, -0.1202, 0.1202], [0.17, 0.6964, -0.6964], [0, 0.707, 0.707]]),
        [-23.6904, 26.774, -9.8982],
    ),
    "left": tf.matrix(
        np.array([[0.985, 0.1202, -0.1202], [-0.17, 0.6964, -0.6964], [0, 0.707, 0.707]]),
        [23.6904, 26.774, -9.8982],
    ),
}
#: The hand's grip (3820.dat): centre of its 8 LDU hole and the hole's axis, in hand frame.
GRIP_CENTRE = np.array([0.0, -0.8234, -9.8949])
GRIP_AXIS = np.array([0.0, -10.64966, -2.75422]) / np.linalg.norm([0.0, -10.64966, -2.75422])


@dataclass
class FigPiece:
    """One part of an assembled figure, in the figure's frame (LDraw axes)."""

    role: str
    part: str
    colour: ColourRef | int
    transform: np.ndarray
    where: Mark = NO_MARK


def _rest_arm(side: str) -> np.ndarray:
    return tf.matrix(ARM_TILT[side], SHOULDER[side])


def _posed_arm(side: str, swing: float) -> np.ndarray:
    """The arm swung about its own pin: the swing is the rightmost factor, so it turns about
    the arm's x axis (tilted 9.79° with the arm), not the torso's; turned the other way
    round, the pin would leave its hole and the hand drift up to 6.7 LDU off its socket.
    Forward swing (positive) lifts the hand towards -z, the figure's front."""
    return tf.matrix(ARM_TILT[side] @ tf.rot_x(-swing), SHOULDER[side])


def hand_transform(side: str, swing: float = 0.0, turn: float = 0.0) -> np.ndarray:
    """A hand's transform in the torso frame for an arm swing and a wrist turn (degrees)."""
    in_arm = np.linalg.inv(_rest_arm(side)) @ HAND_REST[side]
    return _posed_arm(side, swing) @ in_arm @ tf.matrix(tf.rot_z(turn))


def grip_transform(turn: float = 0.0, slide: float = 0.0) -> np.ndarray:
    """Where a held accessory goes in the hand frame.

    LDraw accessories have their handle along y through their origin, so the accessory's
    y axis is laid along the hand's hole (its -y end out of the top of the fist), centred in
    the hole, turned `turn` degrees about the handle and slid `slide` LDU along it.
    """
    y_axis = -GRIP_AXIS
    x_axis = np.array([1.0, 0.0, 0.0])
    z_axis = np.cross(x_axis, y_axis)
    frame = np.column_stack([x_axis, y_axis, z_axis])
    return tf.matrix(frame @ tf.rot_y(turn), GRIP_CENTRE + slide * y_axis)


def assemble(spec: MinifigSpec) -> list[FigPiece]:
    """The parts of a figure: defaults filled in, pose applied, held things in the hands."""
    pieces = spec.pieces
    pose = spec.pose

    def choose(role: str, group: str | None, fallback_colour: ColourRef | int) -> tuple:
        own = pieces.get(role)
        shared = pieces.get(group) if group else None
        part = (
            (own.part if own and own.part else None)
            or (shared.part if shared and shared.part else None)
            or DEFAULT_PARTS[role]
        )
        colour = (
            (own.colour if own and own.colour else None)
            or (shared.colour if shared and shared.colour else None)
            or fallback_colour
        )
        where = own.where if own else (shared.where if shared else spec.where)
        return part, colour, where

    torso_part, torso_colour, torso_where = choose("torso", None, DEFAULT_COLOURS["torso"])
    hips_part, hips_colour, hips_where = choose("hips", None, DEFAULT_COLOURS["hips"])
    root = tf.matrix(translation=[0.0, -TORSO_HEIGHT, 0.0])
    out = [FigPiece("torso", torso_part, torso_colour, root.copy(), torso_where)]

    head = root @ tf.matrix(tf.ldraw_rotation(tf.rot_y(pose.get("head", 0.0))), HEAD_OFFSET)
    part, colour, where = choose("head", None, DEFAULT_COLOURS["head"])
    out.append(FigPiece("head", part, colour, head, where))
    for role in ("hat", "hair"):
        if role in pieces:
            piece = pieces[role]
            assert piece.part is not None  # reader.read_scene requires it
            out.append(FigPiece(role, piece.part, piece.colour or 16, head, piece.where))

    hands: dict[str, np.ndarray] = {}
    for side in ("left", "right"):
        swing = pose.get(f"{side}_arm", 0.0)
        part, colour, where = choose(f"{side}_arm", "arms", torso_colour)
        out.append(FigPiece(f"{side}_arm", part, colour, root @ _posed_arm(side, swing), where))
        hands[side] = root @ hand_transform(side, swing, pose.get(f"{side}_hand", 0.0))
        part, colour, where = choose(f"{side}_hand", "hands", DEFAULT_COLOURS["hands"])
        out.append(FigPiece(f"{side}_hand", part, colour, hands[side], where))

    hips = root @ tf.matrix(translation=HIPS_OFFSET)
    out.append(FigPiece("hips", hips_part, hips_colour, hips, hips_where))
    for side in ("left", "right"):
        leg = root @ tf.matrix(tf.rot_x(-pose.get(f"{side}_leg", 0.0)), LEGS_OFFSET)
        part, colour, where = choose(f"{side}_leg", "legs", hips_colour)
        out.append(FigPiece(f"{side}_leg", part, colour, leg, where))

    for side, held in spec.hold.items():
        out.append(
            FigPiece(
                f"{side}_held",
                held.part,
                held.colour or 16,
                hands[side] @ grip_transform(held.turn, held.slide),
                held.where,
            )
        )
    frames = {"torso": root, "head": head, "hips": hips}
    for i, acc in enumerate(spec.accessories):
        local = tf.scene_transform(acc.at, acc.rotation)
        out.append(
            FigPiece(
                f"accessory{i + 1}",
                acc.part,
                acc.colour or 16,
                frames[acc.attach] @ local,
                acc.where,
            )
        )
    return out
