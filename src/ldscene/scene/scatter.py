"""Procedural placement: random pieces in an area, optionally settled onto what lies below.

Settling uses a height field over the area: every cell holds the highest surface point seen
there (sampled from the triangles of everything placed so far).  A piece falls straight down
until its lowest point in some cell touches that cell's top, then its own points raise the
field, so later pieces land on earlier ones.  Random numbers come from one generator seeded
with (seed, entry name), and every attempt draws the same amount, so a seed fixes the result
exactly on every platform.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ldscene.scene import transforms as tf
from ldscene.scene.bounds import model_samples
from ldscene.scene.heightfield import CELL, SPACING, HeightField, Probe

_SLIDE_STEP = 2 * CELL  # LDU per sliding step
_LOOKAHEAD = 6  # steps a piece looks ahead for a lower spot
_MAX_SLIDE = 100.0  # LDU a piece may slide in all


@dataclass
class ScatterChoice:
    """One weighted thing to scatter: a part or model as a flat model in its own frame."""

    model: object  # ldscene.ldraw.model.Model
    weight: float
    colour: int | None  # fixed colour, or None to draw from the colour list


@dataclass
class Piece:
    choice: int
    colour: int
    transform: np.ndarray  # 4×4, LDraw axes


class ScatterFailure(Exception):
    """Not enough room or support; `placed` pieces were placed before giving up."""

    def __init__(self, placed: int, unsupported: int, crowded: int) -> None:
        super().__init__(placed)
        self.placed, self.unsupported, self.crowded = placed, unsupported, crowded


def inside_polygon(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Even-odd rule test of (n, 2) points against a closed (m, 2) polygon."""
    x, y = points[:, 0:1], points[:, 1:2]
    a, b = polygon, np.roll(polygon, -1, axis=0)
    crosses = (a[:, 1] > y) != (b[:, 1] > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        at = a[:, 0] + (y - a[:, 1]) * (b[:, 0] - a[:, 0]) / (b[:, 1] - a[:, 1])
    return np.count_nonzero(crosses & (x < at), axis=1) % 2 == 1


def rng_for(seed: int, name: str) -> np.random.Generator:
    return np.random.default_rng([int(seed), zlib.crc32(name.encode("utf-8"))])


def scatter(
    name: str,
    seed: int,
    count: int,
    polygons: list[np.ndarray],
    choices: list[ScatterChoice],
    colours: list[tuple[int, float]],
    yaw: tuple[float, float] | None,
    tilt: float,
    spacing: float,
    settle: bool,
    base_heights: list[float],
    world: Callable[[np.ndarray, np.ndarray], HeightField] | None,
) -> list[Piece]:
    """Place `count` pieces in the union of `polygons` (LDraw x, z corners).

    Without settling, a piece rests at the `base_heights` entry of the first polygon holding it.

    `world(lo, hi)` gives a height field of everything already placed that covers the x-z
    window lo..hi; it is called once, when `settle` is on, and pieces are added to it.
    """
    if count == 0:
        return []
    rng = rng_for(seed, name)
    weights = np.array([c.weight for c in choices], float)
    weights /= weights.sum()
    colour_codes = np.array([c for c, _ in colours] or [16])
    colour_weights = np.array([w for _, w in colours] or [1.0], float)
    colour_weights /= colour_weights.sum()

    samples = [model_samples(c.model, SPACING) for c in choices]
    radius = max((float(np.linalg.norm(s, axis=1).max()) if len(s) else 0.0) for s in samples)
    corners = np.concatenate(polygons)
    lo, hi = corners.min(0), corners.max(0)
    field = None
    if settle:
        reach = radius + CELL + _MAX_SLIDE + _LOOKAHEAD * _SLIDE_STEP  # how far pieces may slide
        field = (
            world(lo - reach, hi + reach)
            if world is not None
            else HeightField(lo - reach, hi + reach)
        )
        if not any(field.any_support(polygon) for polygon in polygons):
            raise ScatterFailure(0, 1, 0)

    areas = [_Area(polygon) for polygon in polygons]
    pieces: list[Piece] = []
    grid: dict[tuple[int, int], list[np.ndarray]] = {}
    unsupported = crowded = 0
    attempts, max_attempts = 0, 60 * count + 200
    while len(pieces) < count and attempts < max_attempts:
        attempts += 1
        # Always draw the same numbers per attempt: the seed alone fixes the outcome.
        u = rng.random(8)
        xz = lo + u[0:2] * (hi - lo)
        pick = int(np.searchsorted(np.cumsum(weights), u[2] * (1 - 1e-12), side="right"))
        colour_pick = int(
            np.searchsorted(np.cumsum(colour_weights), u[3] * (1 - 1e-12), side="right")
        )
        angle = (u[4] * 360.0) if yaw is None else yaw[0] + u[4] * (yaw[1] - yaw[0])
        tilt_angle, tilt_axis = u[5] * tilt, u[6] * 360.0
        holder = _holder(float(xz[0]), float(xz[1]), areas)
        if holder is None:
            continue
        if spacing > 0 and _crowded(grid, xz, spacing):
            crowded += 1
            continue
        rotation = tf.ldraw_rotation(
            tf.rot_y(angle) @ tf.rot_y(tilt_axis) @ tf.rot_x(tilt_angle) @ tf.rot_y(-tilt_axis)
        )
        local = samples[pick] @ rotation.T
        height = base_heights[holder]
        if field is not None:
            probe = Probe(local)
            lift = field.lift(probe, xz[0], xz[1]) if len(probe) else 0.0
            if lift is None:
                unsupported += 1
                continue
            xz, lift = _slide(field, probe, xz, lift)
            height = lift
            field.add(local + np.array([xz[0], -height, xz[1]]))
        position = np.array([xz[0], -height, xz[1]])
        choice = choices[pick]
        colour = choice.colour if choice.colour is not None else int(colour_codes[colour_pick])
        pieces.append(Piece(pick, colour, tf.matrix(rotation, position)))
        if spacing > 0:
            key = (int(np.floor(xz[0] / spacing)), int(np.floor(xz[1] / spacing)))
            grid.setdefault(key, []).append(xz)
    if len(pieces) < count:
        raise ScatterFailure(len(pieces), unsupported, crowded)
    return pieces


def _slide(
    field: HeightField, probe: Probe, xz: np.ndarray, lift: float
) -> tuple[np.ndarray, float]:
    """Let a piece balanced on a peak or an edge slide off it, while that takes it lower.

    A piece is taken as stable when its centre lies within the x-z box of its contact points
    (plus a cell); otherwise it moves away from its contacts to the nearest spot (within a
    few steps) where it rests lower, and looks again.  A tilted piece on flat ground keeps its
    place (sliding would not lower it), and snow on a wall top stays unless it hangs over the
    edge.
    """
    if not len(probe):
        return xz, lift
    centre_local = np.array([probe.x, probe.z]).T.mean(axis=0)  # column order: see contacts
    step = _SLIDE_STEP
    travelled = 0.0
    while travelled < _MAX_SLIDE:
        touch = field.contacts(probe, xz[0], xz[1], lift)
        centre = centre_local + xz
        if not len(touch):
            break
        lo, hi = touch.min(axis=0) - field.cell, touch.max(axis=0) + field.cell
        if np.all(centre >= lo) and np.all(centre <= hi):
            break
        direction = centre - touch.mean(axis=0)
        norm = float(np.linalg.norm(direction))
        if norm < 1e-9:
            break
        for k in range(1, _LOOKAHEAD + 1):
            new_xz = xz + direction / norm * step * k
            new_lift = field.lift(probe, new_xz[0], new_xz[1])
            if new_lift is not None and new_lift < lift - 0.5:
                xz, lift = new_xz, new_lift
                travelled += step * k
                break
        else:
            break
    return xz, lift


class _Area:
    """A polygon of a scatter's area, with what a point test needs worked out once."""

    def __init__(self, polygon: np.ndarray) -> None:
        self.polygon = polygon
        (self.x0, self.z0), (self.x1, self.z1) = polygon.min(0), polygon.max(0)
        xs, zs = np.unique(polygon[:, 0]), np.unique(polygon[:, 1])
        self.rect = len(polygon) == 4 and len(xs) == 2 and len(zs) == 2

    def holds(self, x: float, z: float) -> bool:
        """`inside_polygon`'s answer; for an axis-aligned rectangle its even-odd rule comes to
        x0 <= x < x1 and z0 <= z < z1, tested here without numpy (most areas are rectangles,
        and a scatter tests thousands of points against each)."""
        if not (self.x0 <= x <= self.x1 and self.z0 <= z <= self.z1):
            return False
        if self.rect:
            return x < self.x1 and z < self.z1
        return bool(inside_polygon(np.array([[x, z]]), self.polygon)[0])


def _holder(x: float, z: float, areas: list[_Area]) -> int | None:
    """Index of the first area containing the point, or None."""
    for index, area in enumerate(areas):
        if area.holds(x, z):
            return index
    return None


def _crowded(grid: dict[tuple[int, int], list[np.ndarray]], xz: np.ndarray, spacing: float) -> bool:
    ci, cj = int(np.floor(xz[0] / spacing)), int(np.floor(xz[1] / spacing))
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            for other in grid.get((ci + di, cj + dj), ()):
                if (other[0] - xz[0]) ** 2 + (other[1] - xz[1]) ** 2 < spacing * spacing:
                    return True
    return False
