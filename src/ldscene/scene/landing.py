"""Where things come to rest: `settle: true` placements lowered onto what lies below, and
scattered pieces dropped onto the world's height field (see heightfield.py, scatter.py)."""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass

import numpy as np

from ldscene.ldraw.cache import DiskCache, code_digest, open_cache
from ldscene.ldraw.model import Model
from ldscene.scene import bounds, heightfield
from ldscene.scene import spec as sp
from ldscene.scene import transforms as tf
from ldscene.scene.bounds import instance_boxes, model_box, reaching
from ldscene.scene.composed import Instances
from ldscene.scene.heightfield import (
    CELL,
    HeightField,
    Probe,
    instances_digest,
    thinned_samples,
)
from ldscene.scene.resting import MAX_SLOPE
from ldscene.scene.scatter import ScatterChoice, ScatterFailure, scatter

#: A settling scatter warns that its area is over-filled when this share of its pieces (and
#: two at least) were left on a heap's steep side: a few stacked snow plates on a narrow wall
#: top are not worth a warning.
OVER_FILLED = 0.1

#: A settling thing held up only by contacts less than a cell wide goes down further when
#: that takes it at least this much lower (LDU): a stud's rim against the rim of the hole
#: that takes it (4 LDU, a stud's height), or a neighbour's top edge flush with its side.
#: Less than that is a round thing dipping between studs, which the full field gets right.
NARROW_HOLD = 3.0
#: LDU a stud stands up from its brick: what a standing figure holds may reach this far
#: below its feet (between the studs it stands on) before it goes into the ground.
STUD_HEIGHT = 4.0
#: A settled figure held up by what it holds more than this (LDU, half a brick) above where
#: its body would rest gets a warning; less is a rifle under a lying figure, as meant.
HELD_UP = 12.0
#: LDU a seated figure is moved forward to see whether a seat lies just in front of it (half
#: a stud: a minifig seat's back is 4 LDU thick and its seat a stud deep).
PERCH_STEP = 10.0


@dataclass(frozen=True)
class _Rest:
    """Where a settling placement came to rest: the instances `moving` of `model` fell
    `drop` LDU (down) onto the instances `below`."""

    model: Model
    moving: np.ndarray
    below: np.ndarray
    drop: float


class Landing:
    """The composer's settling and scattering (a mixin of `Composer`: it uses the spec,
    sources, reader and part lookup the composer holds)."""

    # -- settling placed things --------------------------------------------------------------
    def settle(self, out: Instances, in_model: bool = False) -> None:
        """Lower every `settle: true` placement in `out` onto what is below it, in turn.

        Each rests on everything else in `out` except the settling placements still to come
        (they are still in the air) other than those it is part of: a figure in a group that
        settles rests on the group's bench, then the group settles as a whole.  `in_model`:
        `out` is a `models:` group, whose members settle onto its own members only.
        """
        records, out.to_settle = out.to_settle, []
        held = out.held_mask()  # settling moves things, it adds none
        warned: set[int] = set()  # placements whose copies were found on each other
        for k, (start, end, p, what) in enumerate(records):
            if start == end:
                continue
            current = out.build("world", self._like, self.sources.colours, self.sources.studs)
            others = np.ones(current.n_instances, bool)
            for other_start, other_end, _, _ in records[k + 1 :]:
                if not (other_start <= start and end <= other_end):
                    others[other_start:other_end] = False
            others[start:end] = False
            below = np.nonzero(others)[0]
            drop = self.settle_drop(current, np.arange(start, end), below)
            if drop is None:
                raise self.error(
                    p.settle_where,
                    f"{what}: nothing below it to settle on",
                    "inside a models: group a member settles onto the model's own members; "
                    "settle the model where it is placed instead"
                    if in_model
                    else "place ground (a baseplate, a model) under it, or remove settle: true",
                )
            rest = _Rest(current, np.arange(start, end), below, drop)
            on_copies = None if id(p) in warned else self._on_copies(rest, p, records[:k])
            if on_copies is not None:
                warned.add(id(p))
            for warning in (
                self._held_up(rest, held[start:end], records[:k]),
                self._perched(rest, p),
                self._bridging(rest, p),
                on_copies,
            ):
                if warning is not None:
                    message, hint = warning
                    self.warn(p.settle_where, f"{what} {message}", hint)
            out.lower(start, end, drop)

    def _on_copies(self, rest: _Rest, p: sp.Placement, before: list) -> tuple[str, str] | None:
        """A warning (what, what to do) when a copy of a `repeat:` that steps sideways comes
        to rest on earlier copies (among the settling records `before` it), more than half a
        brick above where it would rest without them: copies placed closer than their width
        hang on each other (apples on each other's stems), where a vertical step is meant to
        stack them."""
        if not any(np.any(rep.step[[0, 2]] != 0) for rep in p.repeat):
            return None
        earlier = [np.arange(a, b) for a, b, other, _ in before if other is p]
        if not earlier:
            return None
        others = rest.below[~np.isin(rest.below, np.concatenate(earlier))]
        up = self._held_above(rest, rest.moving, others)
        if up is None:
            return None
        return (
            f"has copies resting on each other, one {up:.0f} LDU above where it "
            "would rest without them",
            "space the copies at least their own width apart",
        )

    def _held_up(self, rest: _Rest, held: np.ndarray, before: list) -> tuple[str, str] | None:
        """A warning (what, what to do) when a settling figure comes to rest on something it
        holds, well above where its body would rest: a held oar pointing down into a boat
        keeps its rower off the seat.  It rests there as the rigid thing it is.  `held`:
        which of the moving instances the figure holds; `before`: the settling records before
        it, to name one that what it holds came to rest on (a neighbour's helmet)."""
        if not held.any() or held.all():
            return None
        up = self._held_above(rest, rest.moving[~held], rest.below)
        if up is None:
            return None
        on = self._resting_on(rest, rest.moving[held], before)
        return (
            f"rests on what it holds, {up:.0f} LDU above where it would rest "
            "without it" + (f"; what it holds rests on {', '.join(on)}" if on else ""),
            (f"move it away from {', '.join(on)}, or " if on else "")
            + "raise the arms with pose:, or turn the held part with hold: ... turn:, so that "
            "it clears what is below",
        )

    @staticmethod
    def _resting_on(rest: _Rest, moving: np.ndarray, before: list) -> list[str]:
        """The earlier settled placements (of `before`) whose instances' tops meet the lowest
        point of the `moving` instances once they have come to rest (within 2 LDU)."""
        box = model_box(rest.model, moving)
        if box is None:
            return []
        lo, hi = box
        lowest = hi[1] + rest.drop  # LDraw y points down; settling adds the drop
        under = reaching(rest.model, rest.below, lo[[0, 2]], hi[[0, 2]])
        tops, _, valid = instance_boxes(rest.model, under)
        meeting = under[valid & (np.abs(tops[:, 1] - lowest) <= 2.0)]
        return [
            what for start, end, _, what in before if ((meeting >= start) & (meeting < end)).any()
        ]

    def _perched(self, rest: _Rest, p: sp.Placement) -> tuple[str, str] | None:
        """A warning (what, what to do) when a seated figure comes to rest on the back edge
        of something, with a much lower seat half a stud in front of it: placed at a chair's
        origin, a figure sits on the chair's back, 38 LDU above the seat it was meant for.
        It rests there, as placed."""
        definition = self.spec.models.get(p.model) if p.model else None
        if definition is None or definition.minifig is None:
            return None
        if definition.minifig.stance != "sit":
            return None
        points = self._moving_points(rest.model, rest.moving)
        if points is None:
            return None
        # The figure faces -z in its own LDraw frame.
        forward = tf.scene_transform(np.zeros(3), p.rotation)[:3, :3] @ [0.0, 0.0, -1.0]
        moved = points + PERCH_STEP * forward
        lo, hi = moved[:, [0, 2]].min(0) - 2 * CELL, moved[:, [0, 2]].max(0) + 2 * CELL
        there = self._drop(rest.model, moved, lo, hi, reaching(rest.model, rest.below, lo, hi))
        if there is None or there - rest.drop <= HELD_UP:
            return None
        return (
            f"sits on the edge of what is under it (a chair's back?), "
            f"{there - rest.drop:.0f} LDU higher than it would sit half a stud forward",
            "move it forward with at: if it should sit on the seat in front of it",
        )

    def _bridging(self, rest: _Rest, p: sp.Placement) -> tuple[str, str] | None:
        """A warning (what, what to do) when a lying figure comes to rest with its body in
        the air: on rubble, its legs caught on one brick and its torso half a brick or more
        above what is under it (a figure rests as the rigid thing it is; it does not tip)."""
        definition = self.spec.models.get(p.model) if p.model else None
        if definition is None or definition.minifig is None:
            return None
        if not definition.minifig.stance.startswith("lie"):
            return None
        torso = rest.moving[:1]  # a figure's first piece (`minifig.assemble`)
        up = self._held_above(rest, torso, rest.below)
        if up is None:
            return None
        return (
            f"lies with its body {up:.0f} LDU above what is under it, held up "
            "by what its legs or arms rest on",
            "move it with at: or turn it with yaw: to where the ground under it is flatter",
        )

    def _held_above(self, rest: _Rest, alone: np.ndarray, below: np.ndarray) -> float | None:
        """How far (LDU) the settled placement `rest` lies above where the instances `alone`
        of it would come to rest on `below` by themselves, when that is more than half a
        brick (`HELD_UP`): what the warnings of settling look for; else None."""
        drop = self.settle_drop(rest.model, alone, below)
        if drop is None or drop - rest.drop <= HELD_UP:
            return None
        return drop - rest.drop

    def settle_drop(self, model: Model, moving: np.ndarray, below: np.ndarray) -> float | None:
        """How far (LDU, down) the `moving` instances fall onto the `below` ones (see
        `_drop`); None when nothing is below them.  Kept in the disk cache under keys of
        everything it depends on: the settling code, and the leaves and transforms of the
        moving instances and of those below them (a scene's figures took 0.45 s to settle at
        each run), all of them (a warm compose: nothing to work out first) or those that
        reach under them (after an edit elsewhere)."""
        cache = self._field_cache()
        if cache is not None:
            whole = _drop_key(model, moving, below)
            found = _drop_value(cache.get(whole))
            if found is not None:
                return found[0]
        points = self._moving_points(model, moving)
        if points is None:
            return 0.0
        lo, hi = points[:, [0, 2]].min(0) - 2 * CELL, points[:, [0, 2]].max(0) + 2 * CELL
        under = reaching(model, below, lo, hi)
        if cache is None:
            return self._drop(model, points, lo, hi, under)
        narrow = _drop_key(model, moving, under)
        found = _drop_value(cache.get(narrow))
        drop = found[0] if found is not None else self._drop(model, points, lo, hi, under)
        value = np.array([np.nan if drop is None else drop])
        for key in (whole, narrow) if found is None else (whole,):
            cache.put_later(key, value)
        return drop

    def _moving_points(self, model: Model, moving: np.ndarray) -> np.ndarray | None:
        """Surface samples of the `moving` instances, placed; None when they have none."""
        points = []
        cache = self._field_cache()
        for li in np.unique(model.leaf[moving]):
            samples = thinned_samples(model.leaves[li].geometry, "all", CELL / 2, cache)
            t = model.transform[moving[model.leaf[moving] == li]]
            if len(samples):
                moved = np.matmul(samples[None], t[:, :3, :3].transpose(0, 2, 1))
                points.append((moved + t[:, None, :3, 3]).reshape(-1, 3))
        return np.concatenate(points) if points else None

    def _drop(
        self, model: Model, pts: np.ndarray, lo: np.ndarray, hi: np.ndarray, under: np.ndarray
    ) -> float | None:
        """How far the points `pts` fall onto the instances `under` (those whose boxes reach
        the x-z window lo..hi around them); None when nothing is below them.

        They come to rest on the highest surface under them that reaches below their top
        (a roof above them does not count; something they were put into lifts them out).
        Contacts less than a cell (2 LDU) wide do not hold them up (`NARROW_HOLD`): where
        that surface has studs and their underside has the holes to take them, they go down
        onto the studs as built bricks do (else they lie on the stud tops), and they slide
        down past a neighbour they touch flush.
        """
        field = HeightField(lo, hi, cache=self._field_cache())
        field.add_model(model, under, ceiling=float(-pts[:, 1].min()))
        probe = Probe(pts)
        lift = field.lift(probe, 0.0, 0.0)
        if lift is None:
            return None
        held = field.eroded().lift(probe, 0.0, 0.0)
        if held is not None and lift - held >= NARROW_HOLD:
            lift = held
        return -lift

    # -- scatter -----------------------------------------------------------------------------
    def scatter(self, s: sp.ScatterSpec, world: Instances, entries: dict[str, slice]) -> None:
        what = f"scatter '{s.name}'"
        choices: list[ScatterChoice] = []
        prefixes: list[tuple[str, ...]] = []  # the names the pieces' instances get
        for choice in s.choices:
            if choice.part is not None:
                model = self.part(choice.part, choice.where, what)
                prefixes.append((s.name,))
            else:
                assert choice.model is not None
                model = self.model_def(choice.model, choice.where, what, ())
                prefixes.append((s.name, choice.model))
            fixed = self.colour(choice.colour) if choice.colour is not None else None
            choices.append(ScatterChoice(model, choice.weight, fixed))
        colours = [(self.colour(ref), w) for ref, w in s.colours]
        largest = max(choice.model.n_instances for choice in choices)
        self.check_size(world.count + s.count * largest, s.where, what)
        polygons = [self._area_polygon(s, area, world, entries) for area in s.areas]
        allowed = self._allowed(s, entries)

        def world_field(lo: np.ndarray, hi: np.ndarray) -> HeightField:
            return self.world_field(world, lo, hi, entries)

        try:
            pieces = scatter(
                s.name,
                s.seed,
                s.count,
                polygons,
                choices,
                colours,
                s.yaw,
                s.tilt,
                s.spacing,
                s.settle,
                [area.y for area in s.areas],
                world_field if s.settle else None,
                self._owner_ids[s.name],
                allowed,
                self._field_cache(),
                self.progress,
            )
        except ScatterFailure as failure:
            if failure.placed == 0 and failure.refused:
                rules = [
                    f"{key}: " + ", ".join(name for name, _ in names)
                    for key, names in (("on", s.on or []), ("avoid", s.avoid))
                    if names
                ]
                raise self.error(
                    s.on_where if s.on is not None else s.avoid_where,
                    f"{what}: nothing in its area that it may land on ({'; '.join(rules)})",
                    "name what lies under the area in on:, or move the area over it",
                ) from None
            if failure.placed == 0 and failure.unsupported:
                raise self.error(
                    s.areas[0].where,
                    f"{what}: nothing to settle on in its area",
                    "place ground (a baseplate, rubble, a model) under the area "
                    "before this scatter, or set settle: false",
                ) from None
            reason = max(
                (failure.crowded, "too crowded for its spacing"),
                (failure.unsupported, "most pieces had nothing below them, or fell off an edge"),
                (failure.refused, "most spots are on entries that on:/avoid: rule out"),
            )[1]
            raise self.error(
                s.where,
                f"{what}: placed only {failure.placed} of {s.count} pieces ({reason})",
                "lower count or spacing, or enlarge the area",
            ) from None
        for piece in pieces:
            world.add(
                choices[piece.choice].model, piece.transform, piece.colour, prefixes[piece.choice]
            )
        steep = sum(piece.steep for piece in pieces)
        if steep >= max(2, OVER_FILLED * s.count):
            message = (
                f"{what}: its area is over-filled: {steep} of its {s.count} pieces found no "
                f"place where the heap is no steeper than {MAX_SLOPE:g}°, and stack up on its "
                "steep side"
            )
            hint = "lower count, or enlarge the area"
            if s.on:  # the area may be much larger than what its pieces may rest on
                names = ", ".join(name for name, _ in s.on)
                hint = f"lower count, or fit the area to the entries on: names ({names})"
            self.warn(s.where, message, hint)
        if s.settle:
            self._field_count = world.count  # the pieces are in the field already

    def _field_cache(self) -> DiskCache | None:
        """Where the world's leaves keep their height-field samples between runs."""
        if not self.sources.use_cache:
            return None
        if self._heights is None:
            self._heights = open_cache("heightfield")
        return self._heights

    def store_heights(self) -> None:
        """Write the leaves' new height-field samples to disk, in a background thread."""
        if self._heights is not None:
            self._heights.flush_later()

    def world_field(
        self, world: Instances, lo: np.ndarray, hi: np.ndarray, entries: dict[str, slice]
    ) -> HeightField:
        """The height field of everything placed so far, covering x-z window lo..hi, with the
        entry each cell's top belongs to (`_owner_ids`).

        One field serves every settling scatter: it is built once (over the scene's extent)
        and only new instances are added to it, unless a window falls outside it.
        """
        field = self._field
        if field is not None and np.all(field.lo <= lo) and np.all(field.hi >= hi):
            new = np.arange(self._field_count, world.count)
            fresh = False
        else:
            current = world.build("world", self._like, self.sources.colours, self.sources.studs)
            box = model_box(current)
            wlo, whi = lo, hi
            if box is not None:
                # room for later scatters over the scene, with their pieces' reach
                wlo = np.minimum(wlo, box[0][[0, 2]] - 300)
                whi = np.maximum(whi, box[1][[0, 2]] + 300)
            if field is not None:
                wlo, whi = np.minimum(wlo, field.lo), np.maximum(whi, field.hi)
            # Who owns each cell: what a scatter may land on (on:, avoid:), and where a piece
            # rests on loose pieces, whose heap holds it only where it is not too steep.
            field = self._field = HeightField(wlo, whi, cache=self._field_cache(), owners=True)
            new = np.arange(world.count)
            fresh = True
        if len(new):
            current = world.build("world", self._like, self.sources.colours, self.sources.studs)
            inside = reaching(current, new, field.lo, field.hi)
            owner_ids = self._owners(entries, inside)
            if fresh and field.cache is not None:
                self._build_field(field, current, inside, owner_ids)
            else:
                field.add_model(current, inside, owners=owner_ids)
        self._field_count = world.count
        return field

    @staticmethod
    def _build_field(
        field: HeightField, model: Model, index: np.ndarray, owners: np.ndarray
    ) -> None:
        """`field.add_model` on a new, empty field, kept in the field's disk cache: building the
        world's field was most of a warm compose of the Stalingrad scene (0.45 s for 2,400
        instances over 780,000 cells); reading it back (0.5 MB) takes 0.015 s.

        It is kept whole, and per owner (top-level entry), so that after an edit only the
        entries that changed are built again: each owner's part on an empty field of the same
        extent, the parts raised into the field in owner order, as `add_model` adds them (a
        maximum per cell; of equal heights, the earlier owner keeps the cell)."""
        empty = field.fingerprint()  # its extent, cell size and whether it keeps owners
        whole = _field_key(empty, model, index, owners)
        if field.restore(field.cache.get(whole)):
            return
        for owner in np.unique(owners):
            mine = owners == owner
            key = _field_key(empty, model, index[mine], owners[mine])
            part = field.blank()
            if not part.restore(field.cache.get(key)):
                part.add_model(model, index[mine], owners=owners[mine])
                field.cache.put_later(key, part.snapshot())
            field.raise_to(part)
        field.cache.put_later(whole, field.snapshot())

    def _owners(self, entries: dict[str, slice], index: np.ndarray) -> np.ndarray:
        """The owner id (`_owner_ids`) of each instance: the top-level entry holding it."""
        owners = np.full(len(index), -1, np.int32)
        for name, where in entries.items():
            inside = (index >= where.start) & (index < where.stop)
            owners[inside] = self._owner_ids[name]
        return owners

    def _allowed(self, s: sp.ScatterSpec, entries: dict[str, slice]) -> np.ndarray | None:
        """What a scatter's pieces may rest on, by owner id (the last entry: surfaces of no
        entry), from its `on:` and `avoid:`; None when it may rest on anything."""
        if s.on is None and not s.avoid:
            return None
        # Only what on: lists, else anything; the last entry: surfaces of no entry.
        allowed = np.full(len(self._owner_ids) + 1, s.on is None)
        for listed, value in ((s.on or [], True), (s.avoid, False)):
            for name, where in listed:
                if name not in entries and name != s.name:
                    later = name in self._owner_ids
                    close = difflib.get_close_matches(name, list(entries), n=1)
                    raise self.error(
                        where,
                        f"scatter '{s.name}': '{name}' is "
                        + ("a later scatter entry" if later else "not a placed name"),
                        "a scatter lands only on entries placed before it; move it above"
                        if later
                        else f"did you mean '{close[0]}'?"
                        if close
                        else "name a place entry or an earlier scatter entry",
                    )
                allowed[self._owner_ids[name]] = value
        return allowed

    def _area_polygon(
        self, s: sp.ScatterSpec, area: sp.Area, world: Instances, entries: dict[str, slice]
    ) -> np.ndarray:
        """An area's outline in LDraw x, z."""
        if area.kind is sp.AreaKind.NEAR:
            assert area.near is not None
            if area.near not in entries:
                names = list(entries)
                close = difflib.get_close_matches(area.near, names, n=1)
                raise self.error(
                    area.where,
                    f"scatter '{s.name}': near '{area.near}' is not a placed name",
                    f"did you mean '{close[0]}'?"
                    if close
                    else "name a place entry or an earlier scatter",
                )
            current = world.build("world", self._like, self.sources.colours, self.sources.studs)
            box = model_box(current, entries[area.near])
            if box is None:
                raise self.error(
                    area.where, f"scatter '{s.name}': '{area.near}' has no geometry to scatter near"
                )
            shrunk = area.shrinks_away(box[1][[0, 2]] - box[0][[0, 2]])
            if shrunk is not None:
                what = f"scatter '{s.name}': the margin of its area near '{area.near}'"
                raise self.error(area.where, f"{what} {shrunk[0]}", shrunk[1])
            lo = box[0][[0, 2]] - area.margin
            hi = box[1][[0, 2]] + area.margin
            return np.array([[lo[0], lo[1]], [hi[0], lo[1]], [hi[0], hi[1]], [lo[0], hi[1]]])
        pts = area.points * np.array([1.0, -1.0])  # scene (x, z) → LDraw (x, -z)
        if area.kind is sp.AreaKind.RECT:
            lo, hi = pts.min(0) - area.margin, pts.max(0) + area.margin
            return np.array([[lo[0], lo[1]], [hi[0], lo[1]], [hi[0], hi[1]], [lo[0], hi[1]]])
        return pts


def _field_key(empty: bytes, model: Model, index: np.ndarray, owners: np.ndarray) -> str:
    """The disk-cache key of an empty field (`empty`: its fingerprint) raised by the instances
    `index` of `model`, of these `owners`."""
    digest = hashlib.blake2b(_code(), digest_size=20)
    digest.update(empty)
    digest.update(instances_digest(model, index))
    digest.update(owners.astype(np.int32).tobytes())
    return "world-field/" + digest.hexdigest()


def _code() -> bytes:
    """The digest of the code that settles placements and builds height fields."""
    return code_digest((__file__, heightfield.__file__, bounds.__file__), np.__version__)


def _drop_value(found: object) -> tuple[float | None] | None:
    """A cached drop, as a 1-tuple (its value may be None: nothing below), or None if absent
    or malformed."""
    if isinstance(found, np.ndarray) and found.shape == (1,) and found.dtype == np.float64:
        return (None if np.isnan(found[0]) else float(found[0]),)
    return None


def _drop_key(model: Model, moving: np.ndarray, under: np.ndarray) -> str:
    """The disk-cache key of a settling placement's drop (see `Landing.settle_drop`)."""
    digest = hashlib.blake2b(_code(), digest_size=20)
    digest.update(instances_digest(model, moving) + instances_digest(model, under))
    return "settle/" + digest.hexdigest()
