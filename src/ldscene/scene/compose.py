"""Compose a scene file into one instanced `Model`: `load_scene(path) -> Scene`.

Every placed thing is a flat `Model` (a part, a file, a group or a minifig) whose instance
arrays are concatenated with the placement transform premultiplied; leaves are shared by name.
Instance paths start with the entry name, then the model names it was reached through, so the
MPD writer (`ldscene.exchange.mpd`) rebuilds one `0 FILE` block per entry and sub-model.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ldscene.errors import LdsceneError, LimitError
from ldscene.ldraw.cache import DiskCache, cache_dir
from ldscene.ldraw.colours import direct_code, is_direct, resolve_codes
from ldscene.ldraw.geometry import EDGE_COLOUR, MAIN_COLOUR
from ldscene.ldraw.library import Library
from ldscene.ldraw.model import Interner, Leaf, Model, stack_or
from ldscene.ldraw.studs import StudStyle
from ldscene.scene import limits, yamlload
from ldscene.scene import minifig as fig
from ldscene.scene import reader as rd
from ldscene.scene import spec as sp
from ldscene.scene import transforms as tf
from ldscene.scene.bounds import instance_boxes, model_box
from ldscene.scene.cameras import DEFAULT_FOV, DEFAULT_LAT, DEFAULT_LON, Camera
from ldscene.scene.heightfield import CELL, HeightField, Probe, thinned_samples
from ldscene.scene.scatter import ScatterChoice, ScatterFailure, scatter
from ldscene.scene.sources import Sources, part_key
from ldscene.scene.yamlload import Mark

#: A settling thing held up only by contacts less than a cell wide goes down further when
#: that takes it at least this much lower (LDU): a stud's rim against the rim of the hole
#: that takes it (4 LDU, a stud's height), or a neighbour's top edge flush with its side.
#: Less than that is a round thing dipping between studs, which the full field gets right.
NARROW_HOLD = 3.0


@dataclass
class RenderDefaults:
    """`render:` settings; None where the scene does not say (the renderer decides)."""

    size: tuple[int, int] | None = None
    background: object = None
    edges: bool | None = None


@dataclass
class Scene:
    """A composed scene.

    `model` holds every instance in LDraw axes; `entries` maps each top-level place and
    scatter name to its slice of the instance arrays (in file order, places first).
    """

    path: Path
    title: str
    description: str
    model: Model
    cameras: list[Camera]
    render: RenderDefaults
    entries: dict[str, slice]
    seed: int
    parts_path: list[Path]
    sources: Sources | None = field(default=None, repr=False)

    def entry_model(self, name: str) -> Model:
        """The instances of one top-level entry as a `Model` (sharing leaves)."""
        return self.model.select(self.entries[name], name)

    def entry_mask(self, name: str) -> np.ndarray:
        mask = np.zeros(self.model.n_instances, bool)
        mask[self.entries[name]] = True
        return mask

    def entry_stats(self) -> dict[str, dict]:
        """{NAME: {"parts", "triangles", "bbox"}} for every top-level place and scatter entry."""
        from ldscene.ldraw.stats import model_stats

        out = {}
        for name in self.entries:
            stats = model_stats(self.model, self.entry_mask(name))
            out[name] = {
                "parts": stats["parts"],
                "triangles": stats["triangles"],
                "bbox": stats["bbox"],
            }
        return out

    def camera(self, name: str | None = None) -> Camera:
        """A camera by name (default: the first; a default orbit view when there is none)."""
        if name is None:
            return (
                self.cameras[0]
                if self.cameras
                else Camera("default", "orbit", DEFAULT_FOV, DEFAULT_LAT, DEFAULT_LON)
            )
        for camera in self.cameras:
            if camera.name == name:
                return camera
        names = [c.name for c in self.cameras]
        close = difflib.get_close_matches(name, names, n=1)
        raise LdsceneError(
            f"unknown camera '{name}' in {self.path.name}",
            hint=f"did you mean '{close[0]}'?"
            if close
            else ("cameras: " + ", ".join(names))
            if names
            else "the scene has none",
        )


class Instances:
    """Accumulates placed models into one set of instance arrays."""

    def __init__(self) -> None:
        self.leaves: Interner[Leaf] = Interner()
        self.leaf: list[np.ndarray] = []
        self.colour: list[np.ndarray] = []
        self.transform: list[np.ndarray] = []
        self.path: list[np.ndarray] = []
        self.step: list[np.ndarray] = []
        self.paths: Interner[tuple[str, ...]] = Interner([()])
        self.count = 0
        #: Placements with `settle: true` not settled yet, in the order they were completed
        #: (a group's members before the group): (start, end, placement, what).
        self.to_settle: list[tuple[int, int, sp.Placement, str]] = []

    def _leaf_id(self, leaf: Leaf) -> int:
        """Parts are one leaf per name; other leaves one per geometry."""
        return self.leaves.id(leaf, leaf.name if leaf.is_part else (leaf.name, id(leaf.geometry)))

    def add(
        self, model: Model, transform: np.ndarray, colour: int, prefix: tuple[str, ...] = ()
    ) -> None:
        if not model.n_instances:
            return
        remap = np.array([self._leaf_id(leaf) for leaf in model.leaves], np.int32)
        self.leaf.append(remap[model.leaf])
        self.colour.append(resolve_codes(model.colour, colour).astype(np.int64))
        self.transform.append(np.matmul(transform, model.transform))
        path_map = np.array([self.paths.id(prefix + p) for p in model.paths], np.int32)
        self.path.append(path_map[model.path])
        self.step.append(model.step.astype(np.int32))
        self.count += model.n_instances

    def lower(self, start: int, end: int, drop: float) -> None:
        """Move instances start..end down by `drop` LDU (LDraw +y; negative raises them)."""
        if len(self.transform) > 1:
            self.transform = [np.concatenate(self.transform)]
        self.transform[0][start:end, 1, 3] += drop

    def build(self, name: str, like: Model | None, colours, studs: StudStyle) -> Model:
        return Model(
            name=name,
            leaves=list(self.leaves.items),
            leaf=stack_or(self.leaf, (0,), np.int32),
            colour=stack_or(self.colour, (0,), np.int64),
            transform=stack_or(self.transform, (0, 4, 4), np.float64),
            path=stack_or(self.path, (0,), np.int32),
            step=stack_or(self.step, (0,), np.int32),
            paths=list(self.paths.items),
            colours=colours,
            missing=like.missing if like else [],
            warnings=like.warnings if like else [],
            studs=studs,
        )


def default_parts_paths(scene_path: Path) -> list[Path]:
    """`parts/` beside the scene file, then in its parent folder (those that exist)."""
    folder = scene_path.resolve().parent
    return [p for p in (folder / "parts", folder.parent / "parts") if p.is_dir()]


class Composer:
    """Turns a checked `SceneSpec` into a `Scene` (part lookup, cycles, scatter, cameras)."""

    def __init__(self, spec: sp.SceneSpec, sources: Sources) -> None:
        self.spec = spec
        self.sources = sources
        self.reader = rd.Reader(str(spec.path), spec.units)
        self.folder = spec.path.resolve().parent
        self.built: dict[str, Model] = {}
        self._field: HeightField | None = None
        self._heights: DiskCache | None = None
        self._field_count = 0
        self._colour_names: dict[str, int] | None = None
        self._like: Model | None = None
        #: Each top-level entry's number in the world field's record of who owns a surface.
        self._owner_ids = {
            name: k
            for k, name in enumerate([p.name for p in spec.place] + [s.name for s in spec.scatter])
        }

    def error(self, where: Mark, message: str, hint: str | None = None) -> LdsceneError:
        return self.reader.error(where, message, hint)

    # -- colours -----------------------------------------------------------------------------
    def colour(self, ref: sp.ColourRef | int | None, default: int = MAIN_COLOUR) -> int:
        if ref is None:
            return default
        if isinstance(ref, int):
            return ref
        value, where = ref.value, ref.where
        table = self.sources.colours
        if isinstance(value, int):
            if value in (MAIN_COLOUR, EDGE_COLOUR) or value in table:
                return value
            raise self.error(
                where,
                f"unknown colour code {value}",
                "use a code from LDConfig.ldr (0 black, 4 red, 15 white, 71 light "
                "bluish grey) or a name",
            )
        text = value.strip()
        if re.fullmatch(r"#[0-9a-fA-F]{6}", text):
            return direct_code(text[1:])
        if re.fullmatch(r"-?[0-9]{1,18}", text):  # ASCII digits only ("¹".isdigit() is True)
            return self.colour(sp.ColourRef(int(text), where))
        if self._colour_names is None:
            self._colour_names = {
                _colour_key(c.name): code
                for code, c in table.colours.items()
                if not is_direct(code)
            }
        key = _colour_key(text)
        if key in self._colour_names:
            return self._colour_names[key]
        close = difflib.get_close_matches(key, list(self._colour_names), n=3, cutoff=0.6)
        names = {_colour_key(c.name): c.name for c in table.colours.values()}
        raise self.error(
            where,
            f"unknown colour '{value}'",
            "did you mean " + ", ".join(f"'{names[c]}'" for c in close) + "?"
            if close
            else 'use an LDraw colour code, a name from LDConfig.ldr or "#rrggbb"',
        )

    # -- parts and models --------------------------------------------------------------------
    def part(self, name: str, where: Mark, what: str) -> Model:
        if self.sources.find_part(name) is None:
            close = self.sources.suggestions(name)
            hint = (
                ("did you mean " + ", ".join(close) + "?")
                if close
                else (
                    "no similar part in the library; check the number, or add its folder to "
                    "parts_path"
                )
            )
            raise self.error(where, f"unknown part '{name}' in {what}", hint)
        model = self.sources.load_parts([name])[name]
        self._like = self._like or model
        return model

    def part_triangles(self, name: str) -> np.ndarray:
        """A part's triangles (T, 3, 3) in its own frame (LDraw axes)."""
        model = self.sources.load_parts([name])[name]
        tris = [
            model.leaves[leaf].geometry.triangles.astype(float) @ t[:3, :3].T + t[:3, 3]
            for leaf, t in zip(model.leaf, model.transform)
        ]
        return np.concatenate(tris) if tris else np.zeros((0, 3, 3))

    def model_def(self, name: str, where: Mark, what: str, stack: tuple[str, ...]) -> Model:
        if name in stack:
            chain = " -> ".join([*stack[stack.index(name) :], name])
            raise self.error(
                where,
                f"model '{name}' includes itself ({chain})",
                "a model cannot contain itself, directly or through other models",
            )
        if name in self.built:
            return self.built[name]
        definition = self.spec.models.get(name)
        if definition is None:
            names = list(self.spec.models)
            close = difflib.get_close_matches(name, names, n=1)
            hint = (
                f"did you mean '{close[0]}'?"
                if close
                else ("defined models: " + ", ".join(names))
                if names
                else "define it under models:"
            )
            raise self.error(where, f"unknown model '{name}' in {what}", hint)
        stack = (*stack, name)
        out = Instances()
        if definition.file is not None:
            out.add(self._file_model(definition), np.eye(4), MAIN_COLOUR)
        elif definition.group is not None:
            for member in definition.group:
                self.placement(member, np.eye(4), MAIN_COLOUR, out, (), stack, f"model '{name}'")
            self.settle(out, in_model=True)
        else:
            assert definition.minifig is not None
            what = f"minifig '{name}'"
            pieces = fig.assemble(definition.minifig)  # check every part before resting it
            models = {p.role: self.part(p.part, p.where, f"{what} ({p.role})") for p in pieces}
            if definition.minifig.stance != "stand":
                pieces = fig.assemble(definition.minifig, self.part_triangles)
            for piece in pieces:
                out.add(models[piece.role], piece.transform, self.colour(piece.colour))
        built = out.build(name, self._like, self.sources.colours, self.sources.studs)
        self.built[name] = built
        return built

    def _file_model(self, definition: sp.ModelDef) -> Model:
        assert definition.file is not None
        path = (self.folder / definition.file).resolve()
        what = f"model '{definition.name}'"
        if not path.is_file():
            raise self.error(
                definition.file_where,
                f"{what}: file '{definition.file}' not found",
                f"paths are relative to the scene file's folder ({self.folder})",
            )
        if path.suffix.lower() not in (".ldr", ".mpd", ".dat"):
            raise self.error(
                definition.file_where,
                f"{what}: '{definition.file}' is not an LDraw file",
                "use an .ldr or .mpd file",
            )
        model = self.adopt_colours(self.sources.load_file(path))
        self._like = self._like or model
        return model

    def adopt_colours(self, model: Model) -> Model:
        """Bring a file's own `!COLOUR` definitions into the scene's colour table.

        Each loaded file has its own table; codes it defined privately are copied over, and
        renumbered when another file already used the same private code for another colour.
        """
        table = self.sources.colours
        if model.colours is table or not model.n_instances:
            return model
        colour = model.colour.copy()
        for code in np.unique(model.colour):
            code = int(code)
            theirs = model.colours.colours.get(code)
            if theirs is None or table.colours.get(code) == theirs:
                continue
            if code not in table.colours:
                table.colours[code] = theirs
                continue
            new = max(max(table.colours), 0x6000000) + 1
            table.colours[new] = theirs
            colour[model.colour == code] = new
        return model.select(slice(None), colour=colour)

    # -- placements --------------------------------------------------------------------------
    def placement(
        self,
        p: sp.Placement,
        parent: np.ndarray,
        parent_colour: int,
        out: Instances,
        prefix: tuple[str, ...],
        stack: tuple[str, ...],
        owner: str,
    ) -> None:
        colour = self.colour(p.colour, parent_colour)
        what = owner if owner == f"place '{p.name}'" else f"'{p.name}' in {owner}"
        self.check_size(out.count + self.size(p, what, stack), p.where, what)
        for local in p.transforms():
            transform = parent @ local
            start = out.count
            if p.part is not None:
                model = self.part(p.part, p.ref_where, what)
                out.add(model, transform, colour, prefix)
            elif p.model is not None:
                model = self.model_def(p.model, p.ref_where, what, stack)
                out.add(model, transform, colour, (*prefix, p.model))
            else:
                assert p.group is not None
                for member in p.group:
                    self.placement(member, transform, colour, out, prefix, stack, owner)
            if p.settle:
                out.to_settle.append((start, out.count, p, what))

    def size(self, p: sp.Placement, what: str, stack: tuple[str, ...]) -> int:
        """How many instances placement `p` makes, all repeat copies, counted before any is."""
        copies = math.prod(rep.count for rep in p.repeat)
        if not copies:
            return 0
        if p.part is not None:
            return copies * self.part(p.part, p.ref_where, what).n_instances
        if p.model is not None:
            return copies * self.model_def(p.model, p.ref_where, what, stack).n_instances
        assert p.group is not None
        return copies * sum(self.size(member, what, stack) for member in p.group)

    def check_size(self, count: int, where: Mark, what: str) -> None:
        """Stop before making more instances than `limits.max_instances()` allows."""
        problem = limits.over_limit(count, what)
        if problem is not None:
            message, hint = problem
            raise LimitError(
                message, path=self.reader.path, line=where.line, column=where.column, hint=hint
            )

    # -- settling placed things --------------------------------------------------------------
    def settle(self, out: Instances, in_model: bool = False) -> None:
        """Lower every `settle: true` placement in `out` onto what is below it, in turn.

        Each rests on everything else in `out` except the settling placements still to come
        (they are still in the air) other than those it is part of: a figure in a group that
        settles rests on the group's bench, then the group settles as a whole.  `in_model`:
        `out` is a `models:` group, whose members settle onto its own members only.
        """
        records, out.to_settle = out.to_settle, []
        for k, (start, end, p, what) in enumerate(records):
            if start == end:
                continue
            current = out.build("world", self._like, self.sources.colours, self.sources.studs)
            others = np.ones(current.n_instances, bool)
            for other_start, other_end, _, _ in records[k + 1 :]:
                if not (other_start <= start and end <= other_end):
                    others[other_start:other_end] = False
            others[start:end] = False
            drop = self.settle_drop(current, np.arange(start, end), np.nonzero(others)[0])
            if drop is None:
                raise self.error(
                    p.settle_where,
                    f"{what}: nothing below it to settle on",
                    "inside a models: group a member settles onto the model's own members; "
                    "settle the model where it is placed instead"
                    if in_model
                    else "place ground (a baseplate, a model) under it, or remove settle: true",
                )
            out.lower(start, end, drop)

    def settle_drop(self, model: Model, moving: np.ndarray, below: np.ndarray) -> float | None:
        """How far (LDU, down) the `moving` instances fall onto the `below` ones; None when
        nothing is below them.

        They come to rest on the highest surface under them that reaches below their top
        (a roof above them does not count; something they were put into lifts them out).
        Contacts less than a cell (2 LDU) wide do not hold them up (`NARROW_HOLD`): where
        that surface has studs and their underside has the holes to take them, they go down
        onto the studs as built bricks do (else they lie on the stud tops), and they slide
        down past a neighbour they touch flush.
        """
        points = []
        cache = self._field_cache()
        for li in np.unique(model.leaf[moving]):
            samples = thinned_samples(model.leaves[li].geometry, "all", CELL / 2, cache)
            t = model.transform[moving[model.leaf[moving] == li]]
            if len(samples):
                moved = np.matmul(samples[None], t[:, :3, :3].transpose(0, 2, 1))
                points.append((moved + t[:, None, :3, 3]).reshape(-1, 3))
        if not points:
            return 0.0
        pts = np.concatenate(points)
        lo, hi = pts[:, [0, 2]].min(0) - 2 * CELL, pts[:, [0, 2]].max(0) + 2 * CELL
        field = HeightField(lo, hi, cache=self._field_cache())
        blo, bhi, valid = instance_boxes(model, below)
        meet = (
            valid
            & (bhi[:, 0] >= lo[0])
            & (blo[:, 0] <= hi[0])
            & (bhi[:, 2] >= lo[1])
            & (blo[:, 2] <= hi[1])
        )
        field.add_model(model, below[meet], ceiling=float(-pts[:, 1].min()))
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
        refs: list[tuple[str, str]] = []
        for choice in s.choices:
            if choice.part is not None:
                model = self.part(choice.part, choice.where, what)
                refs.append(("part", part_key(choice.part)))
            else:
                assert choice.model is not None
                model = self.model_def(choice.model, choice.where, what, ())
                refs.append(("model", choice.model))
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
                (failure.unsupported, "most spots have nothing below them to rest on"),
                (failure.refused, "most spots are on entries that on:/avoid: rule out"),
            )[1]
            raise self.error(
                s.where,
                f"{what}: placed only {failure.placed} of {s.count} pieces ({reason})",
                "lower count or spacing, or enlarge the area",
            ) from None
        for piece in pieces:
            kind, ref = refs[piece.choice]
            prefix = (s.name,) if kind == "part" else (s.name, ref)
            world.add(choices[piece.choice].model, piece.transform, piece.colour, prefix)
        if s.settle:
            self._field_count = world.count  # the pieces are in the field already

    def _field_cache(self) -> DiskCache | None:
        """Where the world's leaves keep their height-field samples between runs."""
        if not self.sources.use_cache:
            return None
        if self._heights is None:
            self._heights = DiskCache(cache_dir() / "heightfield")
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
            # Who owns each cell is needed only where a scatter says what it may land on.
            owners = any(s.on is not None or s.avoid for s in self.spec.scatter)
            field = self._field = HeightField(wlo, whi, cache=self._field_cache(), owners=owners)
            new = np.arange(world.count)
        if len(new):
            current = world.build("world", self._like, self.sources.colours, self.sources.studs)
            blo, bhi, valid = instance_boxes(current, new)
            meet = (
                valid
                & (bhi[:, 0] >= field.lo[0])
                & (blo[:, 0] <= field.hi[0])
                & (bhi[:, 2] >= field.lo[1])
                & (blo[:, 2] <= field.hi[1])
            )
            field.add_model(current, new[meet], owners=self._owners(entries, new[meet]))
        self._field_count = world.count
        return field

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
        if area.kind == "near":
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
            lo = box[0][[0, 2]] - area.margin
            hi = box[1][[0, 2]] + area.margin
            return np.array([[lo[0], lo[1]], [hi[0], lo[1]], [hi[0], hi[1]], [lo[0], hi[1]]])
        pts = area.points * np.array([1.0, -1.0])  # scene (x, z) → LDraw (x, -z)
        if area.kind == "rect":
            lo, hi = pts.min(0) - area.margin, pts.max(0) + area.margin
            return np.array([[lo[0], lo[1]], [hi[0], lo[1]], [hi[0], hi[1]], [lo[0], hi[1]]])
        return pts

    # -- cameras -----------------------------------------------------------------------------
    def cameras(self, model: Model, entries: dict[str, slice]) -> list[Camera]:
        out = []
        for c in self.spec.cameras:
            what = f"camera '{c.name}'"
            target = self._point(
                c.look_at if c.position is not None else c.target,
                c.target_where,
                what,
                model,
                entries,
            )
            fov = c.fov if c.fov is not None else DEFAULT_FOV
            focus = self._point(c.focus, c.focus_where, what, model, entries)
            lens = {"focus": focus, "aperture": c.aperture}
            if c.position is not None:
                if target is None:
                    box = model_box(model)
                    target = (box[0] + box[1]) / 2 if box else np.zeros(3)
                if np.array_equal(target, tf.to_ldraw_point(c.position)):
                    raise self.error(
                        c.target_where,
                        f"{what} looks at its own position",
                        "look_at must be another point than position",
                    )
                out.append(
                    Camera(
                        c.name,
                        "look",
                        fov,
                        position=tf.to_ldraw_point(c.position),
                        target=target,
                        **lens,
                    )
                )
            else:
                fit = None
                if isinstance(c.target, str):
                    fit = model_box(model, entries[c.target])
                out.append(
                    Camera(
                        c.name,
                        "orbit",
                        fov,
                        c.lat if c.lat is not None else DEFAULT_LAT,
                        c.lon if c.lon is not None else DEFAULT_LON,
                        c.distance,
                        target=target,
                        fit=fit,
                        **lens,
                    )
                )
        return out

    def _point(
        self, value, where: Mark, what: str, model: Model, entries: dict[str, slice]
    ) -> np.ndarray | None:
        if value is None:
            return None
        if isinstance(value, str):
            if value not in entries:
                close = difflib.get_close_matches(value, list(entries), n=1)
                raise self.error(
                    where,
                    f"{what} looks at '{value}', which is not a placed name",
                    f"did you mean '{close[0]}'?"
                    if close
                    else "use a place or scatter name, or a point [x, y, z]",
                )
            box = model_box(model, entries[value])
            if not box:
                raise self.error(
                    where,
                    f"{what} looks at '{value}', which has nothing in it",
                    "use an entry that places something, or a point [x, y, z]",
                )
            return (box[0] + box[1]) / 2
        return tf.to_ldraw_point(value)


def spec_part_names(spec: sp.SceneSpec) -> list[str]:
    """Every part name a scene mentions (minifig defaults included), in file order."""
    names: list[str] = []

    def walk(placements: list[sp.Placement] | None) -> None:
        for p in placements or []:
            if p.part is not None:
                names.append(p.part)
            walk(p.group)

    for definition in spec.models.values():
        walk(definition.group)
        if definition.minifig is not None:
            names.extend(piece.part for piece in fig.assemble(definition.minifig))
    walk(spec.place)
    for s in spec.scatter:
        names.extend(c.part for c in s.choices if c.part is not None)
    return list(dict.fromkeys(names))


def _colour_key(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def read_spec(path: str | Path) -> sp.SceneSpec:
    """Parse and check a scene file without touching the library."""
    return rd.read_scene(yamlload.load(path), path)


def load_scene(
    path: str | Path,
    library: Library | str | Path | None = None,
    strict: bool = False,
    use_cache: bool = True,
    studs: StudStyle = StudStyle.FULL,
) -> Scene:
    """Read, check and compose a scene file (raises `LdsceneError` on bad input).

    `studs` draws every stud in that style (full, LDraw's 8-sided fast-draw, or logo studs).
    """
    path = Path(path)
    spec = read_spec(path)
    parts_path: list[Path] = []
    for text, where in spec.parts_path:
        folder = (path.resolve().parent / text).resolve()
        if not folder.is_dir():
            raise LdsceneError(
                f"parts_path '{text}' is not a folder",
                path=str(path),
                line=where.line,
                column=where.column,
                hint=f"paths are relative to the scene file's folder ({path.resolve().parent})",
            )
        parts_path.append(folder)
    if not spec.parts_path:
        parts_path = default_parts_paths(path)
    sources = Sources(library, parts_path, strict, use_cache, studs)
    composer = Composer(spec, sources)
    sources.load_parts([n for n in spec_part_names(spec) if sources.find_part(n) is not None])

    world = Instances()
    entries: dict[str, slice] = {}
    for placement in spec.place:
        start = world.count
        composer.placement(
            placement,
            np.eye(4),
            MAIN_COLOUR,
            world,
            (placement.name,),
            (),
            f"place '{placement.name}'",
        )
        entries[placement.name] = slice(start, world.count)
    composer.settle(world)
    for name in spec.models:  # check unused models too: a typo there is still an error
        composer.model_def(name, spec.models[name].where, f"model '{name}'", ())
    for item in spec.scatter:
        start = world.count
        composer.scatter(item, world, entries)
        entries[item.name] = slice(start, world.count)
    composer.store_heights()

    model = world.build(path.stem + ".ldr", composer._like, sources.colours, studs)
    # The built model carries the problems of one loaded file; `sources` has those of every
    # file and part the scene loaded, each reference with its file and line.
    model.missing = _merged(sources.missing, model.missing)
    model.warnings = _merged(sources.warnings, model.warnings)
    cameras = composer.cameras(model, entries)
    render = RenderDefaults(spec.render.size, spec.render.background, spec.render.edges)
    if isinstance(render.background, int) or (
        isinstance(render.background, str) and not render.background.startswith("#")
    ):
        code = composer.colour(sp.ColourRef(render.background, Mark(0, 0)))
        rgb = sources.colours.get(code).rgb
        render.background = "#" + "".join(f"{round(v * 255):02x}" for v in rgb)
    return Scene(
        path=path,
        title=spec.title,
        description=spec.description,
        model=model,
        cameras=cameras,
        render=render,
        entries=entries,
        seed=spec.seed,
        parts_path=parts_path,
        sources=sources,
    )


def _merged(first: list, second: list) -> list:
    """`first` then the items of `second` not in it, each once, in order."""
    return list(dict.fromkeys([*first, *second]))
