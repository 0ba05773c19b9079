"""How a scattered piece comes to rest on a height field (LDraw axes, +y down).

A piece comes to rest the way a real brick dropped there would:

1. It falls onto the stable face nearest to the side it was turned towards (a tilted brick
   tips over onto a side; a plate lands on its bottom).  Faces are those of its convex hull,
   and a face is stable when the piece's centre of mass lies over it.
2. Over that face it finds its rest on what is below: the lowest tilt at which its centre of
   mass is held, found by tipping a plane about its contacts towards the centre (a brick on
   a pile leans on two or three of the pieces under it).  Surfaces steeper than `MAX_SLOPE`
   do not hold it: it slides downhill and tries again (up to `MAX_SLIDE`).  A piece whose
   centre of mass is beyond everything under it (past the edge of a baseplate) would fall.
3. It is turned to that tilt and lowered until its hull touches the field, so it never
   passes into what is below it, and the contacts are checked: its centre of mass must be
   over them.
4. A piece resting on pieces scattered before it is held by their heap only where the heap
   around it is no steeper than `MAX_SLOPE` (a brick on the flat top of a column of bricks
   would not stay there, as the column would not stand): otherwise it tumbles on down the
   heap, over spots that do not hold it, never up onto something higher, and off the edge
   of everything it falls.  So a dense scatter makes a mound, not a tower.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from ldscene.ldraw.cache import DiskCache, code_digest
from ldscene.scene.heightfield import CELL, EMPTY, SPACING, HeightField, Probe, instances_digest

if TYPE_CHECKING:
    from scipy.spatial import ConvexHull

#: The steepest surface (degrees) a piece rests on; on a steeper one it slides down.
MAX_SLOPE = 35.0
_MAX_GRADIENT = math.tan(math.radians(MAX_SLOPE))
_MIN_UPRIGHT = math.cos(math.radians(MAX_SLOPE + 5))  # a little more after a second tip
SLIDE_STEP = 2 * CELL  # LDU per sliding step
MAX_SLIDE = 240.0  # LDU a piece may slide in all
CONTACT = 1.0  # LDU: a point this close to the surface below touches it
#: LDU: how far the surface under a sliding piece may rise (over a brick lying on the heap,
#: with its studs) before it stops it.
_CLIMB = 28.0
#: LDU past a piece's edge where `_heap_downhill` reads the surface around it: all of them
#: for what blocks a way down (a pole beside it), those from a brick's width on for the
#: heap's slope (a step of one brick on a heap's top does not tip a piece off it).
_HEAP_RAYS = (0.0, 10.0, 20.0, 30.0, 40.0, 60.0, 80.0)
_HEAP_SLOPE_FROM = 20.0
_FLAT = 0.3  # LDU: how far a support point may lie below the plane a piece rests on
_FINE = SPACING  # LDU between samples of a piece's hull: every cell under it gets one
_COARSE = 2 * SPACING  # the same for the (approximate) search for its rest
_DOWN = np.array([0.0, 1.0, 0.0])  # LDraw axes: +y is down
#: Directions in which a piece's contacts must reach to hold its centre of mass.
_DIRECTIONS = np.array([np.cos(np.arange(32) * np.pi / 16), np.sin(np.arange(32) * np.pi / 16)])


class Shape:
    """A scatter choice as settling sees it, in its own frame (LDraw axes): samples of its
    convex hull's surface with their outward normals (fine: every 2 LDU cell under a face
    gets one; coarse: for the search of its rest), its centre of mass (the hull's
    centroid), the planes of the hull faces it can lie on (those with the centre of mass
    over them: outward normal, offset), and how far it reaches from its origin.

    The hull stands in for the piece: resting it on what is below keeps the piece itself
    out of it, and its top (over the studs, across hollows) is what later pieces land on."""

    # By the model's content (its leaves' triangles and placements): every scene loaded in
    # a process builds its own part models, with their own geometry objects.
    _cache: dict[bytes, Shape | None] = {}
    #: What a shape is made of, as `to_entry` stores it.
    _FIELDS = ("centre", "points", "normals", "coarse", "coarse_normals", "faces")

    def __init__(
        self,
        centre: np.ndarray,
        points: np.ndarray,
        normals: np.ndarray,
        coarse: np.ndarray,
        coarse_normals: np.ndarray,
        faces: np.ndarray,
        radius: float,
    ) -> None:
        self.centre, self.points, self.normals = centre, points, normals
        self.coarse, self.coarse_normals, self.faces = coarse, coarse_normals, faces
        self.radius = radius

    @classmethod
    def of_hull(cls, hull: ConvexHull, vertices: np.ndarray) -> Shape:
        """The shape of a convex hull of `vertices`."""
        tris = vertices[hull.simplices]
        normal = hull.equations[:, :3]
        inner = vertices[hull.vertices].mean(0)
        volume = np.abs(
            np.einsum(
                "ij,ij->i", tris[:, 0] - inner, np.cross(tris[:, 1] - inner, tris[:, 2] - inner)
            )
        )
        centre = ((tris.sum(1) + inner) / 4 * volume[:, None]).sum(0) / volume.sum()
        points, normals = _sample_faces(tris, normal, _FINE)
        coarse, coarse_normals = _sample_faces(tris, normal, _COARSE)
        faces = _stable_faces(hull, vertices, centre)
        radius = float(np.linalg.norm(vertices, axis=1).max())
        return cls(centre, points, normals, coarse, coarse_normals, faces, radius)

    @classmethod
    def of(cls, model, cache: DiskCache | None = None) -> Shape | None:
        """The shape of a model (kept per content, and in `cache`); None when it has no
        volume.  A shape read from the cache needs no hull, so a scene composed again does
        not import scipy.spatial (0.4 s)."""
        key = instances_digest(model)
        if key not in cls._cache:
            found = None
            if cache is not None:
                found = cls.from_entry(cache.get(_disk_key(key)))
            if found is None:
                found = (cls._of_vertices(model),)
                if cache is not None:
                    cache.put_later(_disk_key(key), cls.to_entry(found[0]))
            cls._cache[key] = found[0]
        return cls._cache[key]

    @classmethod
    def _of_vertices(cls, model) -> Shape | None:
        """The shape of the convex hull of a model's triangle corners."""
        from scipy.spatial import ConvexHull, QhullError

        corners = [
            model.leaves[leaf].geometry.triangles.reshape(-1, 3).astype(float) @ t[:3, :3].T
            + t[:3, 3]
            for leaf, t in zip(model.leaf, model.transform, strict=True)
        ]
        vertices = np.unique(np.concatenate(corners), axis=0) if corners else np.zeros((0, 3))
        if len(vertices) >= 4:
            try:
                return cls.of_hull(ConvexHull(vertices), vertices)
            except QhullError:  # flat: nothing to rest on
                pass
        return None

    @classmethod
    def to_entry(cls, shape: Shape | None) -> dict[str, np.ndarray]:
        """A shape (or None: no volume) as a disk-cache entry."""
        if shape is None:
            return {"none": np.zeros(0)}
        entry = {name: np.asarray(getattr(shape, name), np.float64) for name in cls._FIELDS}
        entry["radius"] = np.array([shape.radius])
        return entry

    @classmethod
    def from_entry(cls, entry: object) -> tuple[Shape | None] | None:
        """`to_entry`'s shape, as a 1-tuple; None when `entry` is not one."""
        if not isinstance(entry, dict):
            return None
        if set(entry) == {"none"}:
            return (None,)
        if set(entry) != {*cls._FIELDS, "radius"}:
            return None
        arrays = [np.asarray(entry[name]) for name in (*cls._FIELDS, "radius")]
        if any(a.dtype != np.float64 for a in arrays):
            return None
        centre, points, normals, coarse, coarse_normals, faces, radius = arrays
        well_formed = (
            centre.shape == (3,)
            and points.ndim == 2
            and points.shape[1] == 3
            and normals.shape == points.shape
            and coarse.ndim == 2
            and coarse.shape[1] == 3
            and coarse_normals.shape == coarse.shape
            and faces.ndim == 2
            and faces.shape[1] == 4
            and len(faces) > 0
            and radius.shape == (1,)
        )
        if not well_formed:
            return None
        return (cls(centre, points, normals, coarse, coarse_normals, faces, float(radius[0])),)

    def top(self, rotation: np.ndarray) -> np.ndarray:
        """The hull samples that face up (or sideways) when turned by `rotation`."""
        return self.points[self.normals @ rotation[1] < 0.05] @ rotation.T

    def settle(
        self,
        field: HeightField,
        rotation: np.ndarray,
        xz: np.ndarray,
        loose: int | None = None,
        allowed: Callable[[np.ndarray], bool] | None = None,
        strict: bool = True,
    ) -> tuple[np.ndarray, np.ndarray, float, np.ndarray, bool] | None:
        """Where a piece turned by `rotation` (LDraw) and dropped at `xz` comes to rest:
        (rotation, x-z, height of its origin (up), owners of what it touches, whether that
        holds it), or None when it finds nothing to rest on there.

        `loose`: the owner of pieces scattered before it, which hold it only where their
        heap is no steeper than `MAX_SLOPE` (`_heap_downhill`); elsewhere it tumbles on down
        the heap.  A tumbling piece that finds no place that holds it (it falls off the
        edge of everything, something higher stops it, its slide is over, or it would end
        on what `allowed` (owners -> bool) rules out) is not placed (None); unless not
        `strict`: then it stays at the lowest place on the heap it passed, which does not
        hold it (the last element is False)."""
        k = int(np.argmax(self.faces[:, :3] @ rotation.T @ _DOWN))
        face, offset = self.faces[k, :3], self.faces[k, 3]
        rotation = _turn(rotation @ face, _DOWN) @ rotation
        # The point of the face under the centre of mass: it keeps its place as the piece
        # tilts onto what is below, as a piece rocking onto its rest does.
        foot = self.centre - (face @ self.centre + offset) * face
        xz = np.asarray(xz, float)
        travelled, slides = 0.0, 0
        # While it tumbles: the way down the heap, and the lowest rest on it that it passed
        # (its centre of mass's height, the rest).
        tumbling, lowest = None, (math.inf, None)
        # Once it slides: its underside untilted, and how high its origin lay on the field
        # where it set off (a sliding piece does not climb).
        underside, start = None, EMPTY
        while True:
            rest, downhill = self._rest_at(field, rotation, xz, face, foot)
            if underside is not None and _lift(field, underside, xz) > start + _CLIMB:
                # It slid against something higher, which stops it (no place that holds
                # it: a tumbling piece may have passed some too steep).
                return None if strict else _steep(lowest[1])
            if rest is not None and loose is not None and (rest[3] == loose).any():
                height = rest[2] - (rest[0] @ self.centre)[1]
                off = self._heap_downhill(field, rest[1], height)
                if off is not None:
                    if allowed is None or allowed(rest[3]):
                        lowest = min(lowest, (height, rest), key=lambda seen: seen[0])
                    tumbling, rest, downhill = off, None, off
            elif rest is None and tumbling is not None:
                if self._under(field, rotation, xz) == EMPTY:
                    return None if strict else _steep(lowest[1])  # off the edge of everything
                downhill = tumbling  # on down the heap, over spots that do not hold it
            refused = rest is not None and allowed is not None and not allowed(rest[3])
            if refused and tumbling is not None:
                return None if strict else _steep(lowest[1])  # it would end on what it may not
            if rest is not None or downhill is None or travelled >= MAX_SLIDE:
                if rest is not None:
                    return (*rest, True)
                return None if strict else _steep(lowest[1])
            if underside is None:
                underside = self._probe(rotation, 0.05, fine=False)[0]
                start = _lift(field, underside, xz)
            # It gathers speed, and stops at MAX_SLIDE (what the field around an area holds).
            step = min(SLIDE_STEP * (1 + slides // 3), MAX_SLIDE - travelled)
            xz = xz + downhill * step
            travelled, slides = travelled + step, slides + 1

    def _under(self, field: HeightField, rotation: np.ndarray, xz: np.ndarray) -> float:
        """The height of the surface under the centre of mass of the piece at `xz` (EMPTY
        where there is none)."""
        centre = rotation @ self.centre
        return float(field._need(Probe(centre[None] * [1, 0, 1]), xz[0], xz[1])[0])

    def _heap_downhill(
        self, field: HeightField, xz: np.ndarray, centre: float
    ) -> np.ndarray | None:
        """Where a piece resting on loose pieces at `xz`, its centre of mass at height
        `centre`, would tumble off their heap: the x-z direction in which the surface falls
        away from it steeper than `MAX_SLOPE` (a brick on the flat top of a column of bricks
        is held by that top, but not by the heap), or None where the heap holds it.

        The surface is read along 32 rays out from its edge (`_HEAP_RAYS`).  A ray is open
        up to what rises above the piece's centre (it cannot tumble through a pole), and
        where nothing is below (past a baseplate's edge) the surface counts as the lowest
        one read: the heap falls away there as it does to the ground around it."""
        ring, distance, slope = _heap_ring(self.radius)
        heights = field._need(ring, xz[0], xz[1]).reshape(distance.shape[0], 32)
        void = heights == EMPTY
        if void.all():
            return None
        heights = np.where(void, heights[~void].min(), heights)
        open_ = ~np.logical_or.accumulate(heights > centre, axis=0)
        drop = np.where(open_, (centre - heights) / distance, -np.inf)[slope[:, 0]]
        # The slope towards each direction: the median over its sector (it and the two
        # directions either side, every ring), so a gap between two bricks is not a slope.
        sector = np.stack([np.roll(drop, k, axis=1) for k in range(-2, 3)])
        fall = np.median(sector.reshape(-1, 32), axis=0)
        worst = int(np.argmax(fall))
        return _DIRECTIONS[:, worst].copy() if fall[worst] > _MAX_GRADIENT else None

    def _rest_at(
        self,
        field: HeightField,
        rotation: np.ndarray,
        xz: np.ndarray,
        face: np.ndarray,
        foot: np.ndarray,
    ) -> tuple[tuple | None, np.ndarray | None]:
        """`settle` at one spot: (the rest, None), or (None, the x-z direction to slide
        in), or (None, None) when the piece finds no rest there and would not slide."""
        plane = self._rest_plane(field, rotation, xz)
        if plane is None:
            return None, None
        slope = float(np.hypot(*plane))
        if slope > _MAX_GRADIENT:
            return None, -plane / slope  # downhill
        for _ in range(3):
            tilt = _turn(-_DOWN, _up_normal(plane))
            xz = xz + ((rotation @ foot) - (tilt @ rotation @ foot))[[0, 2]]
            rotation = tilt @ rotation
            if (rotation @ face) @ _DOWN < _MIN_UPRIGHT:
                return None, None  # tipped on past the steepest slope it can rest on
            probe, centre = self._probe(rotation, -0.05)
            rest = field.resting(probe, xz[0], xz[1], CONTACT)
            if rest is None:
                return None, None
            lift, touch, owners, (support, _), overhang = rest
            if overhang < support - _FLAT:
                return None, None  # it would hang past an edge, lower than what holds it
            if _holds(touch - (xz + centre)):
                return (rotation, xz, lift, owners), None
            plane = self._rest_plane(field, rotation, xz, fine=True)  # tip on from there
            if plane is None:
                return None, None
        return None, None

    def _probe(
        self, rotation: np.ndarray, facing: float, fine: bool = True
    ) -> tuple[Probe, np.ndarray]:
        """The hull samples whose normals, turned by `rotation`, point down by more than
        `facing` (as a Probe), and the centre of mass's x-z offset."""
        points, normals = (
            (self.points, self.normals) if fine else (self.coarse, self.coarse_normals)
        )
        chosen = points[normals @ rotation[1] > facing] @ rotation.T
        return Probe(chosen), (rotation @ self.centre)[[0, 2]]

    def _rest_plane(
        self, field: HeightField, rotation: np.ndarray, xz: np.ndarray, fine: bool = False
    ) -> np.ndarray | None:
        """The gradient (d lift / d x, d lift / d z) of the plane the piece comes to rest on,
        turned by `rotation` at `xz`, or None when nothing under it holds its centre."""
        probe, centre = self._probe(rotation, 0.05, fine)
        need = field._need(probe, xz[0], xz[1])
        below = need > EMPTY
        if not below.any():
            return None
        offsets = np.column_stack([probe.x, probe.z])[below] - centre
        return _rest_plane(offsets, need[below])


def _steep(rest: tuple | None) -> tuple | None:
    """A rest on the steep side of a heap, marked as one that does not hold the piece."""
    return None if rest is None else (*rest, False)


def _lift(field: HeightField, probe: Probe, xz: np.ndarray) -> float:
    """How high the origin of a piece whose underside is `probe` lies on the field at `xz`,
    untilted (EMPTY over nothing)."""
    return float(field._need(probe, xz[0], xz[1]).max(initial=EMPTY))


@functools.lru_cache(maxsize=64)
def _heap_ring(radius: float) -> tuple[Probe, np.ndarray, np.ndarray]:
    """The points `Shape._heap_downhill` reads around a piece reaching `radius` from its
    origin (a ring of 32 per distance in `_HEAP_RAYS`, nearest first), their distances
    (rings, 1) and which rings give the heap's slope (rings, 1)."""
    past = np.array(_HEAP_RAYS)[:, None]
    distance = radius + past
    x, z = ((distance * _DIRECTIONS[k]).reshape(-1) for k in (0, 1))
    points = np.column_stack([x, np.zeros(len(x)), z])
    return Probe(points), distance, past >= _HEAP_SLOPE_FROM


def _rest_plane(offsets: np.ndarray, need: np.ndarray) -> np.ndarray | None:
    """Tip a plane over points (x-z `offsets` from a centre of mass, height `need`) until the
    points it rests on hold the centre: the gradient of that plane, or None when the centre
    lies beyond every point in some direction (it would tip off an edge).

    The plane starts level on the highest point, then turns about its contacts' edge
    nearest the centre, towards the centre, until it meets the next point; each turn lowers
    it under the centre, as a tipping piece's centre of mass goes down.
    """
    k = int(np.argmax(need))
    level, gradient = float(need[k]), np.zeros(2)
    along = offsets @ _DIRECTIONS  # (n, 32): how far each point lies in each direction
    gap = level - need
    for _ in range(16):
        reach = along[gap <= _FLAT].max(axis=0)
        worst = int(np.argmin(reach))
        if reach[worst] >= 0:
            return gradient
        beyond = along[:, worst] - reach[worst]
        ahead = beyond > 1e-9
        if not ahead.any():
            return None
        turn = float(np.max(-gap[ahead] / beyond[ahead]))
        gradient = gradient + turn * _DIRECTIONS[:, worst]
        level -= turn * float(reach[worst])
        gap = gap + turn * beyond  # the plane turned about the line where beyond is 0
    return gradient


def _holds(offsets: np.ndarray) -> bool:
    """Whether contacts at these x-z offsets from a centre of mass surround it."""
    if not len(offsets):
        return False
    return bool((offsets @ _DIRECTIONS).max(axis=0).min() >= 0)


def _up_normal(gradient: np.ndarray) -> np.ndarray:
    """LDraw unit normal, pointing up, of a plane whose height (up) has this x-z gradient."""
    normal = np.array([-gradient[0], -1.0, -gradient[1]])
    return normal / np.linalg.norm(normal)


def _turn(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The smallest rotation taking unit vector `a` to unit vector `b`."""
    a = a / math.sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2])
    axis = np.array(
        [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
    )
    sine = math.sqrt(axis[0] * axis[0] + axis[1] * axis[1] + axis[2] * axis[2])
    cosine = float(a[0] * b[0] + a[1] * b[1] + a[2] * b[2])
    if sine < 1e-12:
        if cosine > 0:
            return np.eye(3)
        other = np.array([1.0, 0.0, 0.0]) if abs(a[0]) < 0.9 else np.array([0.0, 0.0, 1.0])
        axis = np.cross(a, other)
        axis /= np.linalg.norm(axis)
        return 2 * np.outer(axis, axis) - np.eye(3)  # half a turn
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + k + k @ k * ((1 - cosine) / sine**2)


def _sample_faces(
    tris: np.ndarray, normal: np.ndarray, spacing: float
) -> tuple[np.ndarray, np.ndarray]:
    """Points covering triangles, with their normals: a square grid `spacing` apart over
    each triangle (so any square of side spacing·√2 on it holds one, however it is turned)
    plus its corners and points along its edges."""
    points, normals = [tris.reshape(-1, 3)], [np.repeat(normal, 3, axis=0)]
    for a, b in ((0, 1), (1, 2), (2, 0)):
        edge = tris[:, b] - tris[:, a]
        steps = np.ceil(np.linalg.norm(edge, axis=1) / spacing).astype(int)
        owner, t = _ranges(np.maximum(steps - 1, 0))
        t = (t + 1) / steps[owner]
        points.append(tris[owner, a] + t[:, None] * edge[owner])
        normals.append(normal[owner])
    e1 = tris[:, 1] - tris[:, 0]
    e1 /= np.maximum(np.linalg.norm(e1, axis=1, keepdims=True), 1e-12)
    e2 = np.cross(normal, e1)
    rel = tris - tris[:, :1]
    flat = np.stack([np.einsum("tkj,tj->tk", rel, e1), np.einsum("tkj,tj->tk", rel, e2)], -1)
    lo = np.floor(flat.min(1) / spacing).astype(int)
    hi = np.ceil(flat.max(1) / spacing).astype(int)
    size = hi - lo + 1
    owner, k = _ranges(size[:, 0] * size[:, 1])
    grid = (np.column_stack([k // size[owner, 1], k % size[owner, 1]]) + lo[owner]) * spacing
    d1, d2 = flat[:, 1], flat[:, 2]  # flat[:, 0] is the origin
    det = d1[:, 0] * d2[:, 1] - d1[:, 1] * d2[:, 0]
    det = np.where(np.abs(det) < 1e-12, np.inf, det)[owner]
    u = (grid[:, 0] * d2[owner, 1] - grid[:, 1] * d2[owner, 0]) / det
    v = (d1[owner, 0] * grid[:, 1] - d1[owner, 1] * grid[:, 0]) / det
    inside = (u > 0) & (v > 0) & (u + v < 1)  # the edges are sampled above
    owner, grid = owner[inside], grid[inside]
    points.append(tris[owner, 0] + grid[:, :1] * e1[owner] + grid[:, 1:] * e2[owner])
    normals.append(normal[owner])
    return np.concatenate(points), np.concatenate(normals)


def _ranges(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For counts (n,): the index of each item's range, and 0..count-1 within it."""
    owner = np.repeat(np.arange(len(counts)), counts)
    start = np.cumsum(counts) - counts
    return owner, np.arange(len(owner)) - start[owner]


def _stable_faces(hull: ConvexHull, vertices: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Planes (k, 4: outward normal, offset) of the hull's faces that hold `centre` over
    them."""
    planes = np.unique(np.round(hull.equations, 6), axis=0)
    points = vertices[hull.vertices]
    out = []
    for normal, offset in zip(planes[:, :3], planes[:, 3], strict=True):
        normal = normal / np.linalg.norm(normal)
        on = points[np.abs(points @ normal + offset) < 1e-3]
        if len(on) < 3:
            continue
        e1 = np.cross(normal, [1.0, 0.0, 0.0] if abs(normal[0]) < 0.9 else [0.0, 1.0, 0.0])
        e1 /= np.linalg.norm(e1)
        e2 = np.cross(normal, e1)
        flat = (on - centre) @ np.column_stack([e1, e2])
        if _holds(flat):
            out.append([*normal, offset])
    if not out:  # a convex body always has one; numerical trouble: its nearest face
        nearest = int(np.argmin(-(hull.equations[:, :3] @ centre + hull.equations[:, 3])))
        out.append(hull.equations[nearest])
    return np.array(out, float)


def _disk_key(key: bytes) -> str:
    """The disk-cache key of a shape: its model's content (`Shape.of`), this module's code
    and the versions of numpy and scipy (Qhull)."""
    import scipy  # the package alone: its version, without scipy.spatial

    digest = hashlib.blake2b(
        code_digest((__file__,), f"{np.__version__} {scipy.__version__}"), digest_size=20
    )
    digest.update(key)
    return "shape/" + digest.hexdigest()
