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
from dataclasses import replace
from pathlib import Path

import numpy as np

from ldscene.errors import LdsceneError, LibraryNotFoundError, LimitError
from ldscene.ldraw.cache import DiskCache
from ldscene.ldraw.colours import direct_code, is_direct
from ldscene.ldraw.geometry import EDGE_COLOUR, MAIN_COLOUR
from ldscene.ldraw.library import LDRAW_SUFFIXES, Library
from ldscene.ldraw.model import Model
from ldscene.ldraw.resolver import is_assembly_piece
from ldscene.ldraw.studs import StudStyle
from ldscene.progress import Progress
from ldscene.scene import limits, yamlload
from ldscene.scene import minifig as fig
from ldscene.scene import reader as rd
from ldscene.scene import spec as sp
from ldscene.scene import transforms as tf
from ldscene.scene.bounds import model_box
from ldscene.scene.cameras import DEFAULT_FOV, DEFAULT_LAT, DEFAULT_LON, Camera, CameraKind
from ldscene.scene.composed import Instances, RenderDefaults, Scene
from ldscene.scene.heightfield import HeightField
from ldscene.scene.landing import HELD_UP, STUD_HEIGHT, Landing
from ldscene.scene.sources import Sources
from ldscene.scene.yamlload import Mark
from ldscene.search import plain_title


def default_parts_paths(scene_path: Path) -> list[Path]:
    """`parts/` beside the scene file, then in its parent folder (those that exist)."""
    folder = scene_path.resolve().parent
    return [p for p in (folder / "parts", folder.parent / "parts") if p.is_dir()]


class Composer(Landing):
    """Turns a checked `SceneSpec` into a `Scene` (part lookup, cycles, scatter, cameras)."""

    def __init__(
        self, spec: sp.SceneSpec, sources: Sources, progress: Progress | None = None
    ) -> None:
        self.spec = spec
        self.sources = sources
        self.progress = progress  # hears how a long scatter is going
        self.reader = rd.Reader(str(spec.path), spec.units)
        self.folder = spec.path.resolve().parent
        self.built: dict[str, Model] = {}
        self.held: dict[str, np.ndarray] = {}  # a built model's `Instances.held_mask`
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

    def warn(self, where: Mark, message: str, hint: str | None = None) -> None:
        """A warning at `where` in the scene file, said once however often it is met."""
        text = str(self.error(where, message, hint))
        if text not in self.sources.warnings:
            self.sources.warnings.append(text)

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
        # "Gold" is a word of Pearl_Gold and Metallic_Gold, though not close to either.
        words = sorted((name for name in self._colour_names if key in name.split("_")), key=len)
        close += words[: 4 - len(close)]
        close = list(dict.fromkeys(close))
        names = {_colour_key(c.name): c.name for c in table.colours.values()}
        shop = _bricklink_code(key)
        if shop is not None and shop in table:
            raise self.error(
                where,
                f"unknown colour '{value}': that is BrickLink's name",
                f"BrickLink's '{value}' is LDraw's {table.get(shop).name} ({shop}); write that",
            )
        raise self.error(
            where,
            f"unknown colour '{value}'",
            "did you mean " + ", ".join(f"'{names[c]}'" for c in close) + "?"
            if close
            else 'use an LDraw colour code, a name from LDConfig.ldr or "#rrggbb" (ldscene '
            "search --colours WORD lists them)",
        )

    # -- parts and models --------------------------------------------------------------------
    def part(self, name: str, where: Mark, what: str) -> Model:
        if self.sources.find_part(name) is None:
            close = self.sources.suggestions(name)
            hint = (
                ("did you mean " + ", ".join(close) + "?")
                if close
                else (
                    "no similar part in the library; look it up with ldscene search WORDS, "
                    "or add its folder to parts_path"
                )
            )
            raise self.error(where, f"unknown part '{name}' in {what}", hint)
        model = self.sources.load_parts([name])[name]
        if model.n_instances and not model.part_mask().any():
            segment = is_assembly_piece(model.leaves[int(model.leaf[0])].description)
            piece = (
                "a segment of a bent hose or cable"
                if segment
                else "a piece of one's geometry (a subpart or primitive)"
            )
            self.warn(
                where,
                f"'{name}' in {what} is not a part but {piece}: it is drawn but not counted "
                "in parts lists",
                "add the hose or cable to your parts list by hand"
                if segment
                else "place the part it belongs to",
            )
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
            legs = self._figure_has_legs(definition.minifig, what)
            figure = replace(definition.minifig, legs=legs)
            pieces = fig.assemble(figure)  # check every part before resting it
            models = {p.role: self.part(p.part, p.where, f"{what} ({p.role})") for p in pieces}
            self._check_figure_parts(pieces, what)
            self._check_combined_parts(pieces, what)
            if figure.stance != "stand":
                pieces = fig.assemble(figure, self.part_triangles)
            self._check_held_lift(pieces, figure, what)
            for piece in pieces:
                colour = self.colour(piece.colour)
                out.add(models[piece.role], piece.transform, colour, held=piece.held)
        built = out.build(name, self._like, self.sources.colours, self.sources.studs)
        self.built[name] = built
        self.held[name] = out.held_mask()
        return built

    def _check_held_lift(self, pieces: list, figure: sp.MinifigSpec, what: str) -> None:
        """A warning when what a figure holds reaches well below it: a kneeling or lying
        figure rests on it, off the ground (`minifig.rest`), more than half a brick up; a
        standing one stands on its feet, and it goes into the ground, past a stud's height."""
        held = [piece for piece in pieces if piece.held]
        if figure.stance == "sit" or not held:
            return
        lift = fig.held_lift(pieces, self.part_triangles)
        hint = (
            "raise the arms with pose:, or turn the held part with hold: ... turn:, so that "
            "it clears the ground"
        )
        if figure.stance == "stand" and lift > STUD_HEIGHT:
            self.warn(
                held[0].where,
                f"{what}: what it holds reaches {lift:.0f} LDU below its feet, into what it "
                "stands on",
                hint,
            )
        elif figure.stance != "stand" and lift > HELD_UP:
            self.warn(
                held[0].where,
                f"{what}: what it holds reaches {lift:.0f} LDU below its body, so the figure "
                f"rests on it ({figure.stance}), off the ground",
                hint,
            )

    def _figure_has_legs(self, figure: sp.MinifigSpec, what: str) -> bool:
        """False for hips with a skirt to the ground (`minifig.SKIRT_HIPS`), which take the
        legs' place; legs given as well, or a stance that bends them, are then an error."""
        hips = figure.pieces.get("hips")
        if hips is None or hips.part is None or self.sources.find_part(hips.part) is None:
            return True
        title = self.sources.title(hips.part)
        if not fig.SKIRT_HIPS.match(plain_title(title)):
            return True
        skirt = f"{hips.part} ({title}) reaches the ground"
        for slot in ("legs", "left_leg", "right_leg"):
            if slot in figure.pieces:
                raise self.error(
                    figure.pieces[slot].where,
                    f"{what}: its hips {skirt}, in the legs' place",
                    f"leave out {slot}:, or give hips: a hips part (3815b) for legs",
                )
        if figure.stance in ("sit", "kneel"):
            raise self.error(
                hips.where,
                f"{what}: its hips {skirt}: it has no legs to {figure.stance} on",
                "stand it or lie it down, or give hips: a hips part (3815b) and legs",
            )
        return False

    def _check_combined_parts(self, pieces: list, what: str) -> None:
        """An error for a body slot given a part that already holds other body parts (hips
        with both legs, a torso with its arms and hands): the figure would get them twice."""
        for piece in pieces:
            title = self.sources.title(piece.part)
            for combined in fig.COMBINED_PARTS:
                if piece.role in combined.roles and combined.title.match(plain_title(title)):
                    raise self.error(
                        piece.where,
                        f"{what}: {piece.part} ({title}) is {combined.holds} in one part; "
                        f"a figure here is built of {combined.built_of}",
                        combined.hint,
                    )

    def _check_figure_parts(self, pieces: list, what: str) -> None:
        """A warning for a body slot given a part that is no figure part (hat: 3001 renders
        a brick on the head): its category is not Minifig... or Figure...; what a hand holds
        and accessories may be anything."""
        slots: dict[tuple, list] = {}  # (where, part) -> its pieces: legs: gives both legs
        for piece in pieces:
            if piece.held or piece.role.startswith("accessory"):
                continue
            if piece.part != fig.DEFAULT_PARTS.get(piece.role):
                slots.setdefault((piece.where, piece.part), []).append(piece)
        for group in slots.values():
            piece = group[0]
            # One warning per slot written: `legs:` names both legs, `left_leg:` one.
            slot = piece.role.split("_")[-1] + "s" if len(group) > 1 else piece.role
            category = self.sources.category(piece.part)
            title = self.sources.title(piece.part)
            if category == "Moved":
                continue
            if category.split(" ")[0] not in ("Minifig", "Figure"):
                self.warn(
                    piece.where,
                    f"{what} ({slot}): {piece.part} ({title}) is not a minifig part "
                    f"(its category is {category or 'none'})",
                    "give a minifig part for this slot; ldscene search --category minifig WORDS",
                )
                continue
            word = fig.SLOT_WORDS.get(piece.role.split("_")[-1])
            if word is not None and word not in title.lower():
                self.warn(
                    piece.where,
                    f"{what} ({slot}): {piece.part} ({title}) is not a {word} part",
                    f"this slot takes a part whose title says '{word}': "
                    f"ldscene search minifig {word}",
                )

    def _file_model(self, definition: sp.ModelDef) -> Model:
        assert definition.file is not None
        path = (self.folder / definition.file).resolve()
        what = f"model '{definition.name}'"
        if path.is_dir():
            raise self.error(
                definition.file_where,
                f"{what}: '{definition.file}' is a folder, not a file",
                "name the model's .ldr or .mpd file in it",
            )
        if not path.is_file():
            raise self.error(
                definition.file_where,
                f"{what}: file '{definition.file}' not found",
                f"paths are relative to the scene file's folder ({self.folder})",
            )
        if path.suffix.lower() not in LDRAW_SUFFIXES:
            raise self.error(
                definition.file_where,
                f"{what}: '{definition.file}' is not an LDraw file",
                "use an .ldr or .mpd file",
            )
        try:
            loaded = self.sources.load_file(path)
        except LibraryNotFoundError:
            raise
        except LdsceneError as err:  # said where in the scene the file was asked for
            raise self.error(definition.file_where, f"{what}: {err}") from None
        model = self.adopt_colours(loaded)
        self._like = self._like or model
        return model

    def adopt_colours(self, model: Model) -> Model:
        """Bring a file's own `!COLOUR` definitions into the scene's colour table (each loaded
        file has its own table; the private codes they hand out are unique in the process:
        `ColourTable.define`)."""
        table = self.sources.colours
        if model.colours is not table:
            for code, colour in model.colours.colours.items():
                table.colours.setdefault(code, colour)
        return model

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
        if colour == MAIN_COLOUR:  # "16" written out inherits too, as a model's line 1 16 does
            colour = parent_colour
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
                out.add(model, transform, colour, (*prefix, p.model), self.held[p.model])
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

    # -- cameras -----------------------------------------------------------------------------
    def cameras(self, model: Model, entries: dict[str, slice]) -> list[Camera]:
        out = []
        for c in self.spec.cameras:
            what = f"camera '{c.name}'"
            target = self._point(
                c.look_at if c.position is not None else c.target,
                c.target_where,
                f"{what} looks at",
                model,
                entries,
                at_empty="the scene's centre",
            )
            fov = c.fov if c.fov is not None else DEFAULT_FOV
            focus = self._point(c.focus, c.focus_where, f"{what} focuses on", model, entries)
            if focus is not None and c.aperture is None:
                self.warn(
                    c.focus_where,
                    f"{what} has focus: but no aperture:, so the whole image is sharp",
                    "add aperture: an f-number (2.8 for a shallow depth of field)",
                )
            lens = {"focus": focus, "aperture": c.aperture}
            if c.position is not None:
                centre = target is None  # no look_at: the scene's centre
                if centre:
                    box = model_box(model)
                    target = (box[0] + box[1]) / 2 if box else np.zeros(3)
                eye = tf.to_ldraw_point(c.position)
                if np.array_equal(target, eye):
                    raise self.error(
                        c.target_where,
                        f"{what} looks at its own position"
                        + (" (without look_at it looks at the scene's centre)" if centre else ""),
                        "give look_at another point than position"
                        if centre
                        else "look_at must be another point than position",
                    )
                behind = focus is not None and float(np.dot(focus - eye, target - eye)) <= 0
                if behind and c.aperture is not None:  # else found only when rendering
                    raise self.error(
                        c.focus_where,
                        f"{what} focuses on a point behind it",
                        "give focus: a point in front of the camera, towards look_at",
                    )
                out.append(
                    Camera(
                        c.name,
                        CameraKind.LOOK,
                        fov,
                        position=tf.to_ldraw_point(c.position),
                        target=target,
                        **lens,
                    )
                )
            else:
                fit = None
                if isinstance(c.target, str) and target is not None:
                    fit = model_box(model, entries[c.target])
                out.append(
                    Camera(
                        c.name,
                        CameraKind.ORBIT,
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
        self,
        value,
        where: Mark,
        what: str,
        model: Model,
        entries: dict[str, slice],
        at_empty: str | None = None,
    ) -> np.ndarray | None:
        """A camera's point (`what`: "camera 'a' looks at"): a placed name's centre, or a
        point in scene units.  A name that places nothing (`count: 0`) is an error, or with
        `at_empty` (what the camera takes instead, for None) a warning: as an error it stopped
        the render of every other camera too."""
        if value is None:
            return None
        if isinstance(value, str):
            if value not in entries:
                close = difflib.get_close_matches(value, list(entries), n=1)
                raise self.error(
                    where,
                    f"{what} '{value}', which is not a placed name",
                    f"did you mean '{close[0]}'?"
                    if close
                    else self._member_hint(value)
                    or "use a place or scatter name, or a point [x, y, z]",
                )
            box = model_box(model, entries[value])
            if not box and at_empty is None:
                raise self.error(
                    where,
                    f"{what} '{value}', which has nothing in it",
                    "use an entry that places something, or a point [x, y, z]",
                )
            if not box:
                self.warn(
                    where,
                    f"{what} '{value}', which has nothing in it: it looks at {at_empty}",
                    "use an entry that places something, or a point [x, y, z]",
                )
                return None
            return (box[0] + box[1]) / 2
        return tf.to_ldraw_point(value)

    def _member_hint(self, name: str) -> str | None:
        """For a name a group model gives one of its members: the entries that place that
        model, which a camera can name."""
        models = [
            model_name
            for model_name, definition in self.spec.models.items()
            if any(member.name == name for member in definition.group or ())
        ]
        placing = [p.name for p in self.spec.place if p.model in models]
        if not placing:
            return None
        listed = ", ".join(f"'{n}'" for n in placing)
        return f"'{name}' is inside model '{models[0]}': name what places it ({listed})"


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


def _bricklink_code(key: str) -> int | None:
    """The LDraw code of the colour BrickLink calls `key` (a `_colour_key`), if any; the
    lowest where several are (Flat Silver: 179 Pearl_Silver, 504 Rubber_Flat_Silver)."""
    from ldscene.bom import bricklink_colours

    codes = [code for code, (_, name) in bricklink_colours().items() if _colour_key(name) == key]
    return min(codes, default=None)


def read_spec(path: str | Path) -> sp.SceneSpec:
    """Parse and check a scene file without touching the library."""
    return rd.read_scene(yamlload.load(path), path)


def load_scene(
    path: str | Path,
    library: Library | str | Path | None = None,
    strict: bool = False,
    use_cache: bool = True,
    studs: StudStyle = StudStyle.FULL,
    progress: Progress | None = None,
) -> Scene:
    """Read, check and compose a scene file (raises `LdsceneError` on bad input).

    `studs` draws every stud in that style (full, LDraw's 8-sided fast-draw, or logo studs);
    `progress(stage, fraction)` hears how each scatter is going.
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
    composer = Composer(spec, sources, progress)
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
    cameras = composer.cameras(model, entries)  # (its warnings join the model's below)
    # The built model carries the problems of one loaded file; `sources` has those of every
    # file and part the scene loaded, each reference with its file and line.
    model.missing = _merged(sources.missing, model.missing)
    model.warnings = _merged(sources.warnings, model.warnings)
    model.files = tuple(sorted({path.resolve(), *sources.files}))
    model.title = spec.title  # exports title the scene's file with it
    model.source = path
    render = RenderDefaults(spec.render.size, spec.render.background, spec.render.edges)
    if isinstance(render.background, int) or (
        isinstance(render.background, str) and not render.background.startswith("#")
    ):
        where = spec.render.background_where or Mark(0, 0)
        code = composer.colour(sp.ColourRef(render.background, where))
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
