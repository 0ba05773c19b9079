"""Procedural placement: random pieces in an area, optionally settled onto what lies below.

Settling uses a height field over the area: every cell holds the highest surface point seen
there (sampled from the triangles of everything placed so far), and with it the scene entry
that point belongs to.  A piece falls onto a stable face of its convex hull, tips onto
what holds its centre of mass, slides off slopes that are too steep and is left out (another
one is drawn) when nothing holds it (`resting.Shape`); with `on:`/`avoid:` every contact
must be on a surface it may rest on.  Its own surface samples then raise the field, so later
pieces land on it.

Random numbers come from one generator seeded with (seed, entry name), and every attempt
draws the same amount, so a seed fixes the result exactly (the same bytes from every run).
So a settled scatter's pieces are kept in the disk cache, under a key of everything they
depend on (`_Settling.key`): a scene composed again with the same scatter over the same
ground (a builder framing a camera, or changing the light or the render settings) replays
them instead of settling each again.  When the ground changed (an edit elsewhere in the
scene), each attempt whose cells hold what they held is reused (attempts.py), and only the
others settle again.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

import numpy as np

from ldscene.ldraw.cache import DiskCache, code_digest
from ldscene.progress import Progress
from ldscene.scene import attempts, bounds, heightfield, resting
from ldscene.scene import transforms as tf
from ldscene.scene.attempts import Attempts, Rest
from ldscene.scene.bounds import model_samples
from ldscene.scene.heightfield import CELL, SPACING, HeightField, Probe, instances_digest
from ldscene.scene.resting import CONTACT, MAX_SLIDE, Shape

#: However its strict draws go, a settling scatter gives up after this many times the draws
#: of one that does not settle (an area under 1/50 of its box may fail short of its count).
MOST_DRAWS = 50
#: A sample spacing wider than any part: `model_samples` then gives just the corners.
CORNERS_ONLY = 1e9


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
    steep: bool = False  # left on the steep side of a heap (see `Rest.steep`)


class ScatterFailure(Exception):
    """Not enough room or support; `placed` pieces were placed before giving up.

    `unsupported`: attempts with nothing to rest on (or that would fall off an edge);
    `crowded`: too close to another piece; `refused`: resting on something `on:`/`avoid:`
    does not allow."""

    def __init__(self, placed: int, unsupported: int, crowded: int, refused: int = 0) -> None:
        super().__init__(placed)
        self.placed, self.unsupported, self.crowded = placed, unsupported, crowded
        self.refused = refused


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


class _Miss(Enum):
    """Why an attempt placed nothing (the counts `ScatterFailure` reports)."""

    UNSUPPORTED = "unsupported"
    CROWDED = "crowded"
    REFUSED = "refused"


_MISSES = list(_Miss)  # a recorded attempt's miss is its place here, plus one


@dataclass(frozen=True)
class _Draw:
    """One attempt's random numbers read as a spot, a choice, a colour and a turn."""

    xz: np.ndarray
    pick: int
    colour_pick: int
    angle: float
    tilt_angle: float
    tilt_axis: float

    def rotation(self) -> np.ndarray:
        """The piece's turn in LDraw axes: yaw, then a tilt about a turned axis."""
        return tf.ldraw_rotation(
            tf.rot_y(self.angle)
            @ tf.rot_y(self.tilt_axis)
            @ tf.rot_x(self.tilt_angle)
            @ tf.rot_y(-self.tilt_axis)
        )


class _Picker:
    """Draws attempts from one generator: always eight numbers, so the seed alone fixes the
    outcome."""

    def __init__(
        self,
        rng: np.random.Generator,
        box: tuple[np.ndarray, np.ndarray],
        choices: list[ScatterChoice],
        colours: list[tuple[int, float]],
        yaw: tuple[float, float] | None,
        tilt: float,
    ) -> None:
        self.rng, (self.lo, self.hi), self.yaw, self.tilt = rng, box, yaw, tilt
        weights = np.array([c.weight for c in choices], float)
        self.weights = np.cumsum(weights / weights.sum())
        self.codes = np.array([c for c, _ in colours] or [16])
        colour_weights = np.array([w for _, w in colours] or [1.0], float)
        self.colour_weights = np.cumsum(colour_weights / colour_weights.sum())

    def draw(self) -> _Draw:
        u = self.rng.random(8)
        angle = (
            (u[4] * 360.0) if self.yaw is None else self.yaw[0] + u[4] * (self.yaw[1] - self.yaw[0])
        )
        return _Draw(
            xz=self.lo + u[0:2] * (self.hi - self.lo),
            pick=int(np.searchsorted(self.weights, u[2] * (1 - 1e-12), side="right")),
            colour_pick=int(np.searchsorted(self.colour_weights, u[3] * (1 - 1e-12), side="right")),
            angle=angle,
            tilt_angle=u[5] * self.tilt,
            tilt_axis=u[6] * 360.0,
        )

    def colour(self, draw: _Draw, choice: ScatterChoice) -> int:
        return choice.colour if choice.colour is not None else int(self.codes[draw.colour_pick])


@dataclass(frozen=True)
class Attempt:
    """One draw to settle: its number, whether it is strict (`Shape.settle`), the choice it
    picked, and that piece's turn, x-z and height (up) to drop from."""

    number: int
    strict: bool
    pick: int
    rotation: np.ndarray
    xz: np.ndarray
    height: float


class _Settling:
    """The height field a settling scatter lands on, its choices' shapes and what they may
    rest on; pieces that come to rest raise the field as `owner`."""

    def __init__(
        self,
        field: HeightField,
        choices: list[ScatterChoice],
        shapes: list[Shape | None],
        owner: int,
        allowed: np.ndarray | None,
    ) -> None:
        self.field, self.choices, self.shapes = field, choices, shapes
        self.owner, self.allowed = owner, allowed
        self.earlier: Attempts | None = None  # an earlier run's attempts, to reuse
        self.attempts: Attempts | None = None  # this run's, when they are to be kept

    @classmethod
    def start(
        cls,
        polygons: list[np.ndarray],
        choices: list[ScatterChoice],
        world: Callable[[np.ndarray, np.ndarray], HeightField] | None,
        owner: int,
        allowed: np.ndarray | None,
        cache: DiskCache | None = None,
    ) -> _Settling:
        """The field over the area and as far as pieces may slide; `ScatterFailure` at once
        when nothing (or nothing allowed) lies under the area.  `cache` keeps the choices'
        shapes."""
        shapes = [Shape.of(c.model, cache) for c in choices]
        radius = max(shape.radius if shape is not None else 0.0 for shape in shapes)
        reach = radius + CELL + MAX_SLIDE  # how far pieces may slide
        corners = np.concatenate(polygons)
        lo, hi = corners.min(0) - reach, corners.max(0) + reach
        field = world(lo, hi) if world is not None else HeightField(lo, hi)
        if not any(field.any_support(polygon) for polygon in polygons):
            raise ScatterFailure(0, 1, 0)
        if allowed is not None:
            if not any(field.any_support(polygon, allowed) for polygon in polygons):
                raise ScatterFailure(0, 0, 0, 1)
            allowed = np.asarray(allowed, bool).copy()
            if owner >= 0:
                allowed[owner] = True  # a piece may always rest on the entry's own pieces
        return cls(field, choices, shapes, owner, allowed)

    def _refuses(self, owners: np.ndarray) -> bool:
        return self.allowed is not None and not self.allowed[owners].all()

    def _allows(self, owners: np.ndarray) -> bool:
        return not self._refuses(owners)

    def rest(self, attempt: Attempt) -> Rest | _Miss:
        """Where the piece of `attempt` comes to rest, added to the field; or why it does
        not.  The outcome an earlier run recorded for the attempt is taken when the cells it
        read hold the same values (see attempts.py)."""
        recording = self.attempts is not None  # not without a disk cache
        outcome = self._recorded(attempt) if recording else self._find(attempt)
        if isinstance(outcome, _Miss):
            return outcome
        top = self.top(attempt.pick, outcome.rotation)
        self.field.add(top + np.array([outcome.xz[0], -outcome.height, outcome.xz[1]]), self.owner)
        return outcome

    def _recorded(self, attempt: Attempt) -> Rest | _Miss:
        """`_find`, or the earlier run's outcome of the attempt; noted in `attempts`."""
        assert self.attempts is not None
        number, strict = attempt.number, attempt.strict
        reused = self.earlier.reuse(number, strict, self.field) if self.earlier else None
        if reused is not None:
            outcome, window, digest = reused
        else:
            self.field.watch()
            found = self._find(attempt)
            window = self.field.watched()
            digest = self.field.window_digest(window)
            outcome = found if isinstance(found, Rest) else _MISSES.index(found) + 1
        self.attempts.add(number, strict, window, digest, outcome)
        return outcome if isinstance(outcome, Rest) else _MISSES[outcome - 1]

    def _find(self, attempt: Attempt) -> Rest | _Miss:
        """`rest`'s answer worked out on the field (which it only reads)."""
        pick, rotation, xz, height = attempt.pick, attempt.rotation, attempt.xz, attempt.height
        shape = self.shapes[pick]
        if shape is not None:
            found = shape.settle(
                self.field,
                rotation,
                xz,
                loose=self.owner,
                allowed=self._allows,
                strict=attempt.strict,
            )
            if found is None:
                return _Miss.UNSUPPORTED
            rotation, xz, height, owners, held = found
            if self._refuses(owners):
                return _Miss.REFUSED
            return Rest(rotation, np.asarray(xz, float), float(height), not held)
        # Flat (a sticker) or empty: lowered as it is, like a placement.
        top = self.top(pick, rotation)
        if len(top):
            found = self.field.resting(Probe(top), xz[0], xz[1], CONTACT)
            if found is None:
                return _Miss.UNSUPPORTED
            height, owners = found[0], found[2]
            if self._refuses(owners):
                return _Miss.REFUSED
        return Rest(rotation, np.asarray(xz, float), float(height))

    def top(self, pick: int, rotation: np.ndarray) -> np.ndarray:
        """The samples of a piece turned by `rotation` that later pieces land on."""
        shape = self.shapes[pick]
        if shape is not None:
            return shape.top(rotation)
        return model_samples(self.choices[pick].model, SPACING) @ rotation.T

    def replay(self, pieces: list[Piece]) -> None:
        """Raise the field by pieces that came to rest in an earlier run, as `rest` did (all
        at once: one owner, and a maximum does not depend on the order)."""
        tops = [
            self.top(piece.choice, np.ascontiguousarray(piece.transform[:3, :3]))
            + piece.transform[:3, 3]
            for piece in pieces
        ]
        if tops:
            self.field.add(np.concatenate(tops), self.owner)

    def key(self, draws: tuple, polygons: list[np.ndarray], field: bool = True) -> str:
        """The disk-cache key of this scatter's settled pieces: the code that settles them,
        `draws` (what the random draws and spacing depend on), the area, each choice's
        geometry, what the pieces may rest on and the field they land on.  Without `field`,
        the key of its attempts (which record what of the field each read)."""
        digest = hashlib.blake2b(_settling_code(), digest_size=20)
        digest.update(repr((draws, self.owner)).encode())
        for polygon in polygons:
            digest.update(np.ascontiguousarray(polygon, float).tobytes())
        for choice in self.choices:
            digest.update(repr((choice.weight, choice.colour)).encode())
            digest.update(instances_digest(choice.model))
        digest.update(b"-" if self.allowed is None else self.allowed.tobytes())
        if not field:
            return "scatter-attempts/" + digest.hexdigest()
        digest.update(self.field.fingerprint())
        return "scatter/" + digest.hexdigest()


def _settling_code() -> bytes:
    """The source of everything that decides where settled pieces land, and the versions of
    numpy (random draws) and scipy (hulls): any change to them makes cached pieces misses."""
    import scipy

    sources = (__file__, attempts.__file__, bounds.__file__, heightfield.__file__, resting.__file__)
    sources += (tf.__file__,)
    return code_digest(sources, f"{np.__version__} {scipy.__version__}")


def _corners(model) -> np.ndarray:
    """A flat model's corners in its own frame (LDraw axes): its samples at a spacing no part
    reaches, which are its triangle corners and line ends; a turned piece's lowest point is
    one of them.  The origin alone for a model of nothing."""
    points = model_samples(model, CORNERS_ONLY)
    return points if len(points) else np.zeros((1, 3))


def _cached_pieces(found: object, count: int) -> list[Piece] | None:
    """Pieces from a cache entry, or None when it is not `count` well-formed pieces."""
    fields = ("choice", "colour", "transform", "steep")
    if not isinstance(found, dict) or not all(name in found for name in fields):
        return None
    choice, colour, transform, steep = (np.asarray(found[name]) for name in fields)
    if any(a.shape != (count,) for a in (choice, colour, steep)):
        return None
    if transform.shape != (count, 4, 4):
        return None
    transform = transform.astype(np.float64)
    return [
        Piece(int(c), int(k), t, bool(s))
        for c, k, t, s in zip(choice, colour, transform, steep, strict=True)
    ]


class _Spacing:
    """Pieces' x-z spots in a grid of `spacing` cells, to keep new ones that far away."""

    def __init__(self, spacing: float) -> None:
        self.spacing = spacing
        self.grid: dict[tuple[int, int], list[np.ndarray]] = {}

    def _cell(self, xz: np.ndarray) -> tuple[int, int]:
        return int(np.floor(xz[0] / self.spacing)), int(np.floor(xz[1] / self.spacing))

    def crowded(self, xz: np.ndarray) -> bool:
        if self.spacing <= 0:
            return False
        ci, cj = self._cell(xz)
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                for other in self.grid.get((ci + di, cj + dj), ()):
                    if (other[0] - xz[0]) ** 2 + (other[1] - xz[1]) ** 2 < self.spacing**2:
                        return True
        return False

    def add(self, xz: np.ndarray) -> None:
        if self.spacing > 0:
            self.grid.setdefault(self._cell(xz), []).append(xz)


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
    owner: int = -1,
    allowed: np.ndarray | None = None,
    cache: DiskCache | None = None,
    progress: Progress | None = None,
) -> list[Piece]:
    """Place `count` pieces in the union of `polygons` (LDraw x, z corners).

    Without settling, a piece stands on the `base_heights` entry of the first polygon holding
    it: its lowest point, as turned, is at that height.

    `world(lo, hi)` gives a height field of everything already placed that covers the x-z
    window lo..hi; it is called once, when `settle` is on, and pieces are added to it as
    `owner`.  `allowed`: booleans by owner (the last entry for surfaces of no known owner)
    saying what a settling piece may rest on; None allows everything.  `cache` keeps the
    settled pieces between runs (see the module's docstring).  `progress(stage, fraction)`
    hears of each piece placed (a dense settling scatter takes seconds, even minutes).
    """
    if count == 0:
        return []
    corners = np.concatenate(polygons)
    picker = _Picker(
        rng_for(seed, name), (corners.min(0), corners.max(0)), choices, colours, yaw, tilt
    )
    settling = _Settling.start(polygons, choices, world, owner, allowed, cache) if settle else None
    key = None
    if settling is not None and cache is not None:
        draws = (name, seed, count, colours, yaw, tilt, spacing, base_heights)
        key = settling.key(draws, polygons)
        cached = _cached_pieces(cache.get(key), count)
        if cached is not None:
            settling.replay(cached)
            return cached
        # What an attempt's rest depends on besides its window: not the count, colours or
        # spacing (they decide which attempts are made and what is kept, not where one lands),
        # so more pieces, or other colours, reuse the attempts made before.
        attempts_key = settling.key((name, seed, yaw, tilt, base_heights), polygons, field=False)
        settling.earlier = Attempts.from_entry(cache.get(attempts_key))
        settling.attempts = Attempts()
    areas = [_Area(polygon) for polygon in polygons]
    corners = None if settling is not None else [_corners(c.model) for c in choices]
    near = _Spacing(spacing)
    pieces: list[Piece] = []
    misses = dict.fromkeys(_Miss, 0)
    # The first `strict_draws` draws inside the area drop a settling piece that tumbles off a
    # heap and finds no place that holds it (it falls, and another is drawn); later ones keep
    # it on the heap's steep side, so a scatter that over-fills its area still places its
    # pieces.  They are counted inside the area: how many draws fall outside it depends on its
    # shape (strips along walls, corners far apart), not on how full it is.  A scatter gives
    # up after `draws`, once a settling one has made as many draws inside after its strict
    # ones as it made strict ones.
    draws, strict_draws, inside = 60 * count + 200, 5 * count + 50, 0
    late = _LateRate()
    for attempt in range(MOST_DRAWS * draws if settling is not None else draws):
        if len(pieces) == count:
            break
        if attempt >= draws and inside >= 2 * strict_draws:
            break
        if late.hopeless(count - len(pieces), max(draws - attempt, 2 * strict_draws - inside)):
            break  # it would fail after minutes of draws (300 crates on one stud: 100 s)
        draw = picker.draw()
        holder = _holder(float(draw.xz[0]), float(draw.xz[1]), areas)
        if holder is None:
            continue
        inside += 1
        if near.crowded(draw.xz):
            misses[_Miss.CROWDED] += 1
            continue
        rotation, xz, height = draw.rotation(), draw.xz, base_heights[holder]
        if settling is not None:
            strict = inside <= strict_draws
            rest = settling.rest(Attempt(attempt, strict, draw.pick, rotation, xz, height))
            if not strict:
                late.count(placed=not isinstance(rest, _Miss))
            if isinstance(rest, _Miss):
                misses[rest] += 1
                continue
            rotation, xz, height = rest.rotation, rest.xz, rest.height
            origin_y = -height
        else:  # stands on its height: its lowest point there (LDraw's y points down)
            origin_y = -height - float((corners[draw.pick] @ rotation[1]).max())
        colour = picker.colour(draw, choices[draw.pick])
        place = tf.matrix(rotation, np.array([xz[0], origin_y, xz[1]]))
        pieces.append(Piece(draw.pick, colour, place, settling is not None and rest.steep))
        near.add(xz)
        if progress is not None:
            progress(f"placing scatter '{name}'", len(pieces) / count)
    if len(pieces) < count:
        raise ScatterFailure(
            len(pieces), misses[_Miss.UNSUPPORTED], misses[_Miss.CROWDED], misses[_Miss.REFUSED]
        )
    if key is not None:
        cache.put_later(  # type: ignore[union-attr]
            key,
            {
                "choice": np.array([p.choice for p in pieces], np.int64),
                "colour": np.array([p.colour for p in pieces], np.int64),
                "transform": np.array([p.transform for p in pieces], np.float64),
                "steep": np.array([p.steep for p in pieces], bool),
            },
        )
        cache.put_later(attempts_key, settling.attempts.to_entry())  # type: ignore[union-attr]
    return pieces


class _LateRate:
    """How often a settling scatter's draws after its strict ones have lately placed a piece:
    where even twice that rate (one more piece counted, so a rare success is not ruled out)
    cannot place the pieces still missing in the draws left, the scatter fails now instead of
    after all of them (300 crates on one stud took 100 s to fail).  Judged every `EVERY` late
    draws over the last `WINDOW`: a late draw keeps a piece on a heap's steep side, so while a
    scatter still fills, most of them place one."""

    EVERY, WINDOW = 100, 500

    def __init__(self) -> None:
        self.draws = self.placed = 0
        self.history: list[int] = []  # pieces placed at each EVERY draws

    def count(self, placed: bool) -> None:
        self.draws += 1
        self.placed += placed
        if self.draws % self.EVERY == 0:
            self.history.append(self.placed)

    def hopeless(self, missing: int, draws_left: int) -> bool:
        back = self.WINDOW // self.EVERY
        if self.draws % self.EVERY or len(self.history) <= back:
            return False
        recent = self.placed - self.history[-1 - back]
        return 2 * (recent + 1) * draws_left < missing * self.WINDOW


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
