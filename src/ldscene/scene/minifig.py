"""Assemble a minifig from its standard LDraw parts at the offsets LDraw itself uses.

The offsets come from the library's own assemblies: `973c01.dat` (torso, arms at ±15.552, 9, 0
tilted 10°, hands), `3815c01.dat`-style hips and legs (legs 12 LDU below the hips), the
head 24 LDU above the torso origin and hips 32 below it.  Everything here is in LDraw axes
(-y up, the figure faces -z); the figure's origin is between its feet on the ground, so
`at: [x, 0, z]` stands it on the ground.  Poses turn each piece about its real pivot:
arms about the shoulder pin (the arm's own x axis, tilted 9.79° with the arm, as in LeoCAD's
minifig wizard), legs about the hip pin (x axis), head about the neck (y axis), hands about
the wrist (the hand's own z axis).

A stance (`spec.STANCES`) adds no joint: it sets the legs and then places the whole figure.
Standing and sitting are fixed offsets (a seated figure's torso origin is 54 LDU above its
seat, the back of its thighs); kneeling and lying need the parts' geometry (`rest`): the
figure is turned (laid down, or left upright to kneel) and then tipped about one horizontal
axis, downhill from there, to where its centre of mass is lowest over the ground plane, the
way a real figure settles onto its knee and foot, or onto its head and heels; then its
lowest point is put on the ground.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

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


@dataclass(frozen=True)
class CombinedPart:
    """Parts that are several body parts in one (their titles, without the library's marks:
    `plain_title`), which the slots `roles`, built of separate parts here, cannot take: the
    figure would have those parts twice."""

    title: re.Pattern
    roles: tuple[str, ...]
    holds: str
    built_of: str
    hint: str


COMBINED_PARTS = (
    CombinedPart(  # a child's short legs, robotic legs, a skirt, ...
        re.compile(r"Minifig Hips and Legs", re.IGNORECASE),
        ("hips", "left_leg", "right_leg"),
        "hips and both legs",
        "hips and two legs",
        "give hips: a hips part (3815b) and legs: leg parts (3816b/3817b and their prints), "
        "or leave them out",
    ),
    CombinedPart(
        re.compile(r"Minifig Torso .*with Arms", re.IGNORECASE),
        ("torso",),
        "a torso with its arms and hands",
        "a torso, two arms and two hands",
        "give torso: a torso without arms (973 and its prints, such as 973p01)",
    ),
)
#: Hips whose skirt reaches the ground ("Minifig Hips and Skirt", 36036): no legs are added
#: under them, and a figure in one stands or lies (it has no legs to sit or kneel on).
SKIRT_HIPS = re.compile(r"Minifig Hips and (Long )?Skirt", re.IGNORECASE)
#: The word a slot's part has in its title ("Minifig Hips", "Minifig Leg Right"), by the
#: slot's last word (`left_leg` -> leg): a minifig part without it belongs in another slot.
SLOT_WORDS = {
    "head": "head",
    "torso": "torso",
    "arm": "arm",
    "hand": "hand",
    "hips": "hips",
    "leg": "leg",
}

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
#: The joint angles each stance (`spec.STANCES`) starts from; a pose's own angles override
#: them.
STANCE_POSE: dict[str, dict[str, float]] = {
    "sit": {"left_leg": 90.0, "right_leg": 90.0},
    # No knee: the left leg goes forward to the foot, the right one back to the "knee"; the
    # figure then tips forward 10° onto both (upper body nearly upright, hip pin 15 LDU up).
    "kneel": {"left_leg": 90.0, "right_leg": -70.0},
    # Face down, hands hanging forward at rest would prop the figure up like a push-up:
    # the arms go back along the body instead.
    "lie_front": {"left_arm": -60.0, "right_arm": -60.0},
    # On its side, the hand underneath props it up wherever it is: stretched out beyond the
    # head (as people lie on their side) it leaves the figure nearly level.
    "lie_side": {"right_arm": 170.0},
}
#: Sitting: the seat is the back of the thighs, 54 LDU below the torso origin (44 to the hip
#: pin, 10 to the back of the legs) and under the stud holes in the legs, 18 LDU in front of
#: the hip pin; those holes take a seat's studs.
SEAT = np.array([0.0, 54.0, -18.0])
#: The hip pin, relative to the torso origin: a kneeling or lying figure is placed over it.
HIP_PIN = np.array([0.0, 44.0, 0.0])
#: Lying: the whole figure turned as if it fell over from standing (LDraw axes), and the axis
#: about which it then tips until it rests on both ends.  Backwards: face up, head away from
#: its front; forwards: face down, head where its front was; sideways: onto its right side.
LIE = {
    "lie_back": (tf.rot_x(-90.0), np.array([1.0, 0.0, 0.0])),
    "lie_front": (tf.rot_x(90.0), np.array([1.0, 0.0, 0.0])),
    "lie_side": (tf.rot_z(-90.0), np.array([0.0, 0.0, 1.0])),
}
_MAX_TIP = 60.0  # degrees a figure may tip from its stance's turn to come to rest

#: The hand's grip (3820.dat): centre of its 8 LDU hole and the hole's axis, in hand frame.
GRIP_CENTRE = np.array([0.0, -0.8234, -9.8949])
GRIP_AXIS = np.array([0.0, -10.64966, -2.75422]) / np.linalg.norm([0.0, -10.64966, -2.75422])


#: The role suffix of a held piece: `left_held`, `right_held`.
HELD = "_held"


@dataclass
class FigPiece:
    """One part of an assembled figure, in the figure's frame (LDraw axes)."""

    role: str
    part: str
    colour: ColourRef | int
    transform: np.ndarray
    where: Mark = NO_MARK

    @property
    def held(self) -> bool:
        """Whether the figure holds this piece (`hold:`) rather than being made of it."""
        return self.role.endswith(HELD)


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


#: A part's triangles (T, 3, 3) in its own frame (LDraw axes), for the stances that rest the
#: figure on its geometry.
TrianglesOf = Callable[[str], np.ndarray]


def assemble(spec: MinifigSpec, triangles_of: TrianglesOf | None = None) -> list[FigPiece]:
    """The parts of a figure: defaults filled in, stance and pose applied, held things in the
    hands, all in the figure's frame (LDraw axes).

    Kneeling and lying figures are rested on their geometry, which `triangles_of` gives;
    without it they keep the standing figure's place (enough to list the parts).
    """
    pieces = _posed(spec)
    stance = spec.stance
    if stance == "stand" or (stance != "sit" and triangles_of is None):
        return pieces
    if stance == "sit":
        place = tf.matrix(translation=-(SEAT + [0.0, -TORSO_HEIGHT, 0.0]))
    else:
        assert triangles_of is not None
        base, axis = LIE.get(stance, (np.eye(3), np.array([1.0, 0.0, 0.0])))
        place = rest(pieces, triangles_of, base, axis)
    return [replace(piece, transform=place @ piece.transform) for piece in pieces]


def rest(
    pieces: list[FigPiece], triangles_of: TrianglesOf, base: np.ndarray, axis: np.ndarray
) -> np.ndarray:
    """Where a figure comes to rest on the ground (y = 0), turned by `base` first.

    It then tips about `axis` (through its lowest point, as on a real floor), downhill from
    where `base` left it, to where its body's centre of mass is lowest above its body's lowest
    point: there it rests on two contacts with its centre of mass between them (knee and foot,
    head and heels).  What it holds does not tip it (a kneeling sweeper's broom laid him on
    his back); it only lifts the figure where it reaches lower than the body (`held_lift`).
    Last, its hip pin goes over the origin and its lowest point onto the ground.
    """
    body, centre, points = _body_and_all(pieces, triangles_of)

    def height(angle: float) -> float:
        turn = _axis_rotation(axis, angle) @ base
        return float((body @ turn[1]).max() - turn[1] @ centre)  # LDraw y is down

    angle = _downhill(height)
    turn = _axis_rotation(axis, angle) @ base
    hip = turn @ (HIP_PIN + [0.0, -TORSO_HEIGHT, 0.0])
    lowest = float((points @ turn[1]).max())
    return tf.matrix(turn, [-hip[0], -lowest, -hip[2]])


def held_lift(pieces: list[FigPiece], triangles_of: TrianglesOf) -> float:
    """How far (LDU) what a figure holds reaches below its body: how high it keeps the body
    off the ground; 0 when the body reaches lowest."""
    body, _, points = _body_and_all(pieces, triangles_of)
    return float(points[:, 1].max() - body[:, 1].max())  # LDraw y is down


def _body_and_all(
    pieces: list[FigPiece], triangles_of: TrianglesOf
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The corners of the figure's body, its centre of mass, and the corners of the whole
    figure, what it holds too (each piece's corners worked out once)."""
    body, centre = _figure_points([p for p in pieces if not p.held], triangles_of)
    held, _ = _figure_points([p for p in pieces if p.held], triangles_of)
    if not len(body):  # nothing to rest on: the origin
        body = np.zeros((1, 3))
    return body, centre, np.concatenate([body, held])


def _figure_points(
    pieces: list[FigPiece], triangles_of: TrianglesOf
) -> tuple[np.ndarray, np.ndarray]:
    """The corners of every triangle of the posed figure, and its centre of mass (taken as
    the area-weighted centre of its surface)."""
    corners, weighted, total = [], np.zeros(3), 0.0
    for piece in pieces:
        tris = np.asarray(triangles_of(piece.part), float)
        if not len(tris):
            continue
        moved = tris @ piece.transform[:3, :3].T + piece.transform[:3, 3]
        area = 0.5 * np.linalg.norm(
            np.cross(moved[:, 1] - moved[:, 0], moved[:, 2] - moved[:, 0]), axis=1
        )
        weighted += (area[:, None] * moved.mean(axis=1)).sum(axis=0)
        total += float(area.sum())
        corners.append(_unique_rows(moved.reshape(-1, 3)))
    if not corners:
        return np.zeros((0, 3)), np.zeros(3)
    return np.concatenate(corners), weighted / max(total, 1e-12)


def _unique_rows(points: np.ndarray) -> np.ndarray:
    """`np.unique(points, axis=0)` (rows in lexicographic order, each once) by a `lexsort`
    of the columns: five times sooner than numpy's sort of rows as records (a figure's
    corners took 0.16 s of a Stalingrad compose)."""
    ordered = points[np.lexsort(points.T[::-1])]
    keep = np.ones(len(ordered), bool)
    keep[1:] = np.any(ordered[1:] != ordered[:-1], axis=1)
    return ordered[keep]


def _axis_rotation(axis: np.ndarray, degrees: float) -> np.ndarray:
    """Rotation about a unit axis (Rodrigues)."""
    a = np.radians(degrees)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(a) * k + (1 - np.cos(a)) * (k @ k)


def _downhill(height: Callable[[float], float], step: float = 0.5) -> float:
    """The angle of the local minimum of `height` reached by walking downhill from 0 (in
    `step` degree steps, at most `_MAX_TIP`), refined to a hundredth of a degree."""
    here = height(0.0)
    forward, backward = height(step), height(-step)
    if min(forward, backward) >= here - 1e-9:
        direction = 0.0
    else:
        direction = step if forward < backward else -step
    angle = 0.0
    while direction and abs(angle + direction) <= _MAX_TIP:
        value = height(angle + direction)
        if value >= here - 1e-9:
            break
        angle, here = angle + direction, value
    lo, hi = angle - step, angle + step  # golden-section search around the walk's end
    ratio = (np.sqrt(5.0) - 1) / 2
    while hi - lo > 0.01:
        a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
        if height(a) <= height(b):
            hi = b
        else:
            lo = a
    return round((lo + hi) / 2, 2)


def _posed(spec: MinifigSpec) -> list[FigPiece]:
    """The figure's parts with its pose (and its stance's legs), standing on y = 0."""
    pieces = spec.pieces
    pose = {**STANCE_POSE.get(spec.stance, {}), **spec.pose}

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
    for side in ("left", "right") if spec.legs else ():
        leg = root @ tf.matrix(tf.rot_x(-pose.get(f"{side}_leg", 0.0)), LEGS_OFFSET)
        part, colour, where = choose(f"{side}_leg", "legs", hips_colour)
        out.append(FigPiece(f"{side}_leg", part, colour, leg, where))

    for side, held in spec.hold.items():
        out.append(
            FigPiece(
                f"{side}{HELD}",
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
