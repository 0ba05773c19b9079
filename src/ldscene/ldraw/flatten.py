"""Flatten a model tree (MPD sub-models, `.ldr` files) into placed leaf instances.

The walk is iterative (deep nesting is legal) and records one instance per leaf reference with
its composed transform, resolved colour and sub-model path; leaf geometry is never copied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np

from ldscene.errors import ModelError
from ldscene.ldraw.colours import (
    DIRECT_COLOUR,
    ColourTable,
    ScopedColours,
    is_direct,
    parse_colour_line,
    resolve_codes,
)
from ldscene.ldraw.expand import Expander
from ldscene.ldraw.geometry import EDGE_COLOUR, MAIN_COLOUR, PartGeometry
from ldscene.ldraw.library import Source, SourceKey, SourceKind, normalise
from ldscene.ldraw.limits import check_instances
from ldscene.ldraw.model import Interner, Leaf, Model, stack_or
from ldscene.ldraw.parser import (
    MAX_COLOUR_CODE,
    MAX_COORDINATE,
    LDrawFile,
    valid_coordinates_each,
)
from ldscene.ldraw.resolver import FileKind, Files, Record, is_assembly_piece
from ldscene.ldraw.studs import StudRule, StudStyle, is_stud_primitive, stud_stretch
from ldscene.ldraw.texmap import ModelViews, image_problem, model_views
from ldscene.wording import plural

#: Up to this many instances, the stud rule is given the corners of their boxes (see
#: `Flattener._choose_studs`).
FEW_INSTANCES = 16
#: The OMR's name for a part file an MPD carries: "<set number> - <part>.dat" (a copy of a
#: library part, or one the library lacks).
OMR_PART_NAME = re.compile(r"\d[\w.-]* - (.+\.dat)", re.IGNORECASE)


def _inverted(geometry: PartGeometry) -> PartGeometry:
    """The geometry with every triangle's winding reversed (BFC INVERTNEXT in a model)."""
    flip = [0, 2, 1]
    uvs = geometry.uvs[:, flip] if len(geometry.uvs) else geometry.uvs
    return replace(geometry, triangles=geometry.triangles[:, flip], uvs=uvs)


def _unclipped(geometry: PartGeometry) -> PartGeometry:
    """The geometry drawn two-sided (placed under BFC NOCLIP in a model)."""
    return replace(geometry, two_sided=np.ones(len(geometry.triangles), bool))


@dataclass(frozen=True)
class LeafKey:
    """A leaf as drawn: its file and the model-level BFC state it is placed under."""

    source: SourceKey
    inverted: bool = False  # BFC INVERTNEXT in a model: every triangle's winding reversed
    two_sided: bool = False  # placed under BFC NOCLIP in a model
    # (model file, line): the part that line places, printed by its TEXMAP region
    printed: tuple[SourceKey, int] | None = None
    # A model file's own lines: the local colours they are drawn under (`ColourScope.key`)
    colours: tuple = ()


@dataclass(frozen=True)
class ColourScope:
    """Which code a model file's lines draw each colour code with, by line.

    LDraw's `!COLOUR` in a model file defines a colour from its own line to the end of the
    file, for the file's lines and the sub-models they place; a code LDConfig (or a file
    above) already defines differently is drawn through a private code (`ColourTable.define`).
    `remaps[k]` (sorted (code, drawn as) pairs) holds from line `starts[k]` on."""

    starts: tuple[int, ...] = (0,)
    remaps: tuple[tuple[tuple[int, int], ...], ...] = ((),)

    @property
    def key(self) -> tuple:
        """A hashable value for leaf keys: () when no line is remapped."""
        return () if not any(self.remaps) else (self.starts, self.remaps)

    def at(self, line: int) -> tuple[tuple[int, int], ...]:
        """The remap that holds at `line`."""
        return self.remaps[int(np.searchsorted(self.starts, line, side="right")) - 1]

    def apply(self, codes: np.ndarray, lines) -> np.ndarray:
        """`codes` of lines numbered `lines`, remapped as each line's scope has it."""
        codes = np.array(codes, np.int64)
        if not self.key:
            return codes
        which = np.searchsorted(self.starts, np.asarray(lines, np.int64), side="right") - 1
        out = codes.copy()
        for k, remap in enumerate(self.remaps):
            here = which == k
            for old, new in remap:
                out[here & (codes == old)] = new
        return out


@dataclass(frozen=True)
class _LeafUse:
    key: LeafKey
    source: Source  # where it was found (the expander builds from it)
    name: str
    is_part: bool


@dataclass
class _Placed:
    """Instances in some file's frame: parallel arrays, chains relative to that file."""

    leaf: np.ndarray  # (n,) int32
    colour: np.ndarray  # (n,) int64; 16: the placing line's colour
    transform: np.ndarray  # (n, 4, 4)
    path: np.ndarray  # (n,) int32 ids of chains relative to the file
    step: np.ndarray  # (n,) int32

    @classmethod
    def one(cls, leaf: int, colour: int, transform: np.ndarray, path: int, step: int) -> _Placed:
        return cls(
            np.array([leaf], np.int32),
            np.array([colour], np.int64),
            transform[None],
            np.array([path], np.int32),
            np.array([step], np.int32),
        )

    @classmethod
    def concat(cls, parts: list[_Placed]) -> _Placed:
        return cls(
            stack_or([p.leaf for p in parts], (0,), np.int32),
            stack_or([p.colour for p in parts], (0,), np.int64),
            stack_or([p.transform for p in parts], (0, 4, 4), np.float64),
            stack_or([p.path for p in parts], (0,), np.int32),
            stack_or([p.step for p in parts], (0,), np.int32),
        )

    def select(self, mask: np.ndarray) -> _Placed:
        return _Placed(*(getattr(self, f.name)[mask] for f in fields(self)))


def _may_have_studs(use: _LeafUse) -> bool:
    """Whether a leaf can draw studs: a part, or a stud primitive placed directly."""
    key = use.source.key
    return use.is_part or (key.kind is SourceKind.LIB and is_stud_primitive(key.path))


def _state_key(state: tuple) -> tuple:
    source, remap, inverted, clipped, chain = state
    return source.key, remap, inverted, clipped, chain


def _own_record(own: SourceKey, record: Record, parsed: LDrawFile, source: Source) -> Record:
    """A record for the loose geometry (type 2-5 lines, and the TEXMAP lines that apply to
    them) a model file draws itself; its container is the file's, for `!DATA` images."""
    return Record(
        own,
        record.display,
        LDrawFile(
            parsed.name,
            parsed.title,
            triangles=parsed.triangles,
            triangle_colours=parsed.triangle_colours,
            triangle_clip=parsed.triangle_clip,
            certified=parsed.certified,
            n_quads=parsed.n_quads,
            triangle_lines=parsed.triangle_lines,
            edge_lines=parsed.edge_lines,
            cond_line_numbers=parsed.cond_line_numbers,
            edges=parsed.edges,
            edge_colours=parsed.edge_colours,
            cond_lines=parsed.cond_lines,
            cond_colours=parsed.cond_colours,
            texmaps=parsed.texmaps,
        ),
        [],
        source,
        record.container,
    )


def _recoloured(record: Record, scope: ColourScope | None) -> Record:
    """A model file's own-lines record with each line's colour as its local colours have it."""
    if scope is None:
        return record
    parsed = record.parsed
    return replace(
        record,
        parsed=replace(
            parsed,
            triangle_colours=scope.apply(parsed.triangle_colours, parsed.triangle_lines),
            edge_colours=scope.apply(parsed.edge_colours, parsed.edge_lines),
            cond_colours=scope.apply(parsed.cond_colours, parsed.cond_line_numbers),
        ),
    )


class Flattener:
    """Turns the model tree under a root file into a `Model`."""

    def __init__(
        self,
        files: Files,
        expander: Expander,
        colours: ColourTable,
        studs: StudRule | None = None,
    ) -> None:
        self.files = files
        self.expander = expander
        self.colours = colours
        # Picks, from the instances' (P, 3) origins and scale, how the expander draws studs.
        self.studs = studs

    def _start(self) -> None:
        self._leaves: Interner[_LeafUse] = Interner()
        self._chains: Interner[tuple[str, ...]] = Interner([()])
        self._remaps: dict[tuple, ColourScope] = {}
        self._own: dict[SourceKey, Record] = {}  # model files' own loose geometry
        self._built: dict[LeafKey, PartGeometry] = {}  # BFC variants and own geometry
        self._views: dict[SourceKey, ModelViews] = {}  # model files' TEXMAP views
        self._titles: dict[str, str] = {}  # a sub-model's name → its title line
        # (placing file, sub-model name) → the STEP of its first line placing it; and a
        # sub-model's name → its file: where each chain's steps are looked up (`_chain_steps`)
        self._child_steps: dict[tuple[SourceKey | None, str], int] = {}
        self._name_keys: dict[str, SourceKey] = {}
        self._root: SourceKey | None = None

    def flatten(self, root_key: SourceKey) -> Model:
        """Walk the model tree from `root_key` and return its placed instances."""
        root = self.files.records[root_key]
        self._start()
        if self.files.kind(root.source) is FileKind.PART:  # a part given as the model: one instance
            leaf = self._leaf_id(root.source, root.parsed.name, True)
            placed = _Placed.one(leaf, MAIN_COLOUR, np.eye(4), 0, 0)
        else:
            check_instances(self.files, root.source, self._placed_view)
            self._root = root.source.key
            placed = self._walk(root.source)
        model = self._model(placed, root.parsed.name or Path(root.display).name)
        model.title, model.credits = root.parsed.title, tuple(root.parsed.credits)
        return model

    def flatten_reference(self, source: Source, name: str) -> Model:
        """What a model file's line `1 16 0 0 0 1 0 0 0 1 0 0 0 1 <name>` places, resolved to
        `source`, as a model of its own (a scene's part): the same leaf names and chains."""
        self._start()
        kind = self.files.kind(source)
        if kind is FileKind.MODEL:
            check_instances(self.files, source, self._placed_view)
            sub = self._walk(source)
            title = self.files.record(source).parsed.name or name
            self._name_keys.setdefault(title, source.key)
            placed = self._place(sub, np.eye(4), MAIN_COLOUR, title)
        else:
            leaf = self._leaf_id(source, normalise(name).replace("/", "\\"), kind is FileKind.PART)
            placed = _Placed.one(leaf, MAIN_COLOUR, np.eye(4), 0, 0)
        return self._model(placed, name)

    def _model(self, placed: _Placed, name: str) -> Model:
        """The `Model` of instances placed in the root's frame."""
        used, path = np.unique(placed.path, return_inverse=True)
        paths = [self._chains.items[i] for i in used]
        if not paths or paths[0] != ():  # index 0 is always the model itself
            paths.insert(0, ())
            path = path + 1
        transforms = placed.transform
        leaf = placed.leaf
        if self.studs is not None:
            self._choose_studs(transforms, leaf)
        leaves = []
        for use in self._leaves.items:
            geometry, title = self._leaf(use)
            leaf_name, title, listed_as = self._current_name(use, title)
            in_library = use.source.key.kind is SourceKind.LIB
            is_part = use.is_part and not is_assembly_piece(title)  # a hose segment: a piece
            record = None if in_library else self.files.records.get(use.source.key)
            credits = tuple(record.parsed.credits) if record is not None else ()
            leaves.append(
                Leaf(
                    leaf_name,
                    title,
                    is_part,
                    geometry,
                    in_library,
                    credits,
                    use.key.inverted,
                    listed_as,
                )
            )

        return Model(
            name=name,
            leaves=leaves,
            leaf=leaf,
            colour=placed.colour,
            transform=transforms,
            path=path.reshape(-1).astype(np.int32),
            step=placed.step,
            paths=paths,
            chain_steps=self._chain_steps(paths),
            sub_model_titles=dict(self._titles),
            colours=self.colours,
            missing=self.files.problems.missing,
            warnings=self.files.problems.warnings,
            studs=self.expander.studs,
        )

    def _leaf_id(
        self,
        source: Source,
        name: str,
        is_part: bool,
        inverted: bool = False,
        clipped=True,
        printed: tuple[SourceKey, int] | None = None,
        colours: tuple = (),
    ) -> int:
        key = LeafKey(source.key, inverted, not clipped, printed, colours)
        return self._leaves.id(_LeafUse(key, source, name, is_part), key)

    def _walk(self, root: Source) -> _Placed:
        """Each distinct (model file, inherited colour remap, BFC state) is flattened once, in
        its own frame, and placed by its parents with one batched matrix product: a sub-model
        used a thousand times costs one walk, and exponential nesting stays linear in files."""
        done: dict[tuple, _Placed] = {}
        start = (root, (), False, True, True)
        stack: list[tuple[tuple, bool]] = [(start, False)]
        on_path: list[SourceKey] = []
        while stack:
            state, expanded = stack.pop()
            key = _state_key(state)
            if key in done:
                continue
            source = state[0]
            if expanded:
                on_path.pop()
                done[key] = self._place_file(state, done)
                continue
            if source.key in on_path:  # reached again below itself
                raise self._cycle(on_path, source)
            on_path.append(source.key)
            stack.append((state, True))
            for child_state in reversed(self._sub_models(state)):
                if _state_key(child_state) not in done:
                    if child_state[0].key in on_path:
                        raise self._cycle(on_path, child_state[0])
                    stack.append((child_state, False))
        return done[_state_key(start)]

    def _view(self, source: Source):
        record = self.files.record(source)
        views = self._model_views(record)
        return record, views.placed, views.children

    def _placed_view(self, record: Record) -> tuple[LDrawFile, list]:
        views = self._model_views(record)
        return views.placed, views.children

    def _current_name(self, use: _LeafUse, title: str) -> tuple[str, str, tuple[str, str] | None]:
        """(name, title, what a parts list calls it if not that).  A part LDraw has renumbered
        ("~Moved to 87695": a stub that places the new file) is named as the new file, with
        its title, so that parts lists and exports give the number the part has today; a stub
        that also turns the new part keeps its own name (an export places its geometry by
        it), but parts lists give the new one (`Leaf.listed_as`); anything else keeps its own
        name and title.  An MPD's own copy of a library part, named by the OMR's rule for
        parts it carries ("6285 - 2532.dat"), is listed as that library part."""
        if use.is_part and use.source.key.kind is not SourceKind.LIB:
            official = self._official_copy(use.name)
            if official is not None:
                return use.name, title, official
        if not (use.is_part and title.lower().startswith("~moved to")):
            return use.name, title, None
        record = self.files.record(use.source)
        refs = record.parsed.refs
        if refs is None or len(refs.names) != 1 or record.children[0] is None:
            return use.name, title, None
        current = normalise(refs.names[0]).replace("/", "\\")
        target = self.files.record(record.children[0]).parsed.title
        if not np.allclose(refs.matrix[0], np.eye(4)):  # not a plain rename: keep the stub
            return use.name, title, (current, target)
        return current, target, None

    def _official_copy(self, name: str) -> tuple[str, str] | None:
        """(name, title) of the library part that a model's own part named by the OMR's rule,
        "<set number> - <part>.dat", is a copy of; None when it is no such copy."""
        match = OMR_PART_NAME.fullmatch(name)
        library = self.files.library
        found = library.find(match.group(1)) if match and library is not None else None
        if found is None:
            return None
        return match.group(1), self.files.record(found).parsed.title  # type: ignore[union-attr]

    def _model_views(self, record: Record) -> ModelViews:
        """A model file's lines as the flattener draws them (TEXMAP: `texmap.model_views`);
        references drawn without their print are reported once."""
        found = self._views.get(record.key)
        if found is None:

            def problem(name: str) -> str | None:
                return image_problem(name, self.files.find_image(name, record))

            found = self._views[record.key] = model_views(record.parsed, record.children, problem)
            for line, message in found.warnings:
                self.files.problems.warn(record.display, line, message)
            refs = record.parsed.refs
            for i, child in enumerate(record.children):
                if refs.lines[i] in found.printed and self.files.kind(child) is FileKind.MODEL:
                    self.files.problems.warn(
                        record.display,
                        refs.lines[i],
                        "a TEXMAP print on a sub-model is not drawn: it is drawn plain (put "
                        "the print in the sub-model, or on a part)",
                    )
        return found

    def _sub_models(self, state: tuple) -> list[tuple]:
        """The states of the sub-models a file's references place, in order: (source, colour
        remap, inverted, clipped: no NOCLIP above, chain: every model file above certified)."""
        source, remap, inverted, clipped, chain = state
        record, parsed, children = self._view(source)
        scope = self._file_colours(source, parsed, remap)
        refs = parsed.refs
        found = []
        for i, child in enumerate(children):
            if child is not None and self.files.kind(child) is FileKind.MODEL:
                found.append(
                    (
                        child,
                        scope.at(refs.lines[i]),
                        inverted ^ bool(refs.invert[i]),
                        clipped and bool(refs.clip[i]),
                        chain and parsed.certified,
                    )
                )
        return found

    def _place_file(self, state: tuple, done: dict[tuple, _Placed]) -> _Placed:
        """One file's instances in its own frame: its own geometry, its leaves, then each
        sub-model's (already flattened) instances placed by the referencing line."""
        source, remap_items, inverted, clipped, chain = state
        record, parsed, children = self._view(source)
        views = self._model_views(record)
        scope = self._file_colours(source, parsed, remap_items)
        parts: list[_Placed] = []
        if len(parsed.triangles) or len(parsed.edges) or len(parsed.cond_lines):
            lines = (parsed.triangle_lines, parsed.edge_lines, parsed.cond_line_numbers)
            codes = (parsed.triangle_colours, parsed.edge_colours, parsed.cond_colours)
            at = np.concatenate(lines)
            self._unknown_colours(scope.apply(np.concatenate(codes), at), at, record.display)
            own = source.key.own_lines()
            self._own.setdefault(own, _own_record(own, record, views.own, source))
            # A model file's own lines cull only if it and all the model files above it are
            # certified (parts below an uncertified model still cull: a part is certified alone).
            own_source = Source(own, source.display, False)
            leaf = self._leaf_id(
                own_source,
                parsed.name or "model",
                False,
                inverted,
                clipped and chain,
                colours=scope.key,
            )
            parts.append(_Placed.one(leaf, MAIN_COLOUR, np.eye(4), 0, 0))
        refs = parsed.refs
        if refs is None or not len(refs.names):
            return _Placed.concat(parts)
        ref_colour = scope.apply(refs.colour, refs.lines)
        self._unknown_colours(ref_colour, refs.lines, record.display)
        leaves, leaf_refs = [], []
        sub_states = iter(self._sub_models(state))
        for i, child in enumerate(children):
            if child is None:
                self.files.problems.missing_reference(refs.names[i], record.display, refs.lines[i])
                continue
            kind = self.files.kind(child)
            if kind is FileKind.MODEL:
                if leaf_refs:  # keep the file's order: leaves so far, then this sub-model
                    parts.append(self._leaves_here(refs, ref_colour, leaves, leaf_refs))
                    leaves, leaf_refs = [], []
                sub = done[_state_key(next(sub_states))]
                name = self.files.records[child.key].parsed.name or refs.names[i]
                self._titles.setdefault(name, self.files.records[child.key].parsed.title)
                self._child_steps.setdefault((source.key, name), int(refs.step[i]))
                self._name_keys.setdefault(name, child.key)
                placed = self._place(sub, refs.matrix[i], int(ref_colour[i]), name)
                parts.append(self._finite(placed, record.display, refs.lines[i]))
                continue
            name = normalise(refs.names[i]).replace("/", "\\")
            flip, clip = inverted ^ bool(refs.invert[i]), clipped and bool(refs.clip[i])
            printed = (source.key, refs.lines[i]) if refs.lines[i] in views.printed else None
            leaves.append(self._leaf_id(child, name, kind is FileKind.PART, flip, clip, printed))
            leaf_refs.append(i)
        if leaf_refs:
            parts.append(self._leaves_here(refs, ref_colour, leaves, leaf_refs))
        return _Placed.concat(parts)

    def _unknown_colours(self, codes: np.ndarray, lines: np.ndarray, display: str) -> None:
        """A warning at the first line that places something in each colour code that neither
        LDConfig nor the model defines (it is drawn in magenta)."""
        for code in np.unique(codes):
            code = int(code)
            if code in (MAIN_COLOUR, EDGE_COLOUR) or code in self.colours:
                continue
            if code in self.colours.unknown:
                continue
            self.colours.unknown.add(code)  # so the colour table does not warn again
            line = int(lines[np.flatnonzero(codes == code)[0]])
            self.files.problems.warn(display, line, f"unknown colour code {code}: drawn in magenta")

    @staticmethod
    def _leaves_here(refs, ref_colour, leaves: list[int], index: list[int]) -> _Placed:
        return _Placed(
            np.array(leaves, np.int32),
            ref_colour[index].astype(np.int64),
            refs.matrix[index],
            np.zeros(len(index), np.int32),
            refs.step[index].astype(np.int32),
        )

    def _place(self, sub: _Placed, matrix: np.ndarray, colour: int, name: str) -> _Placed:
        """A sub-model's instances placed by one reference: transformed, its inherited colours
        (16, 24) resolved against the reference's, and its chains prefixed with its name."""
        with np.errstate(over="ignore", invalid="ignore"):
            transform = matrix @ sub.transform
        colours = resolve_codes(sub.colour, colour).astype(np.int64)
        ids, inverse = np.unique(sub.path, return_inverse=True)
        chains = self._chains
        mapped = np.array([chains.id((name, *chains.items[i])) for i in ids], np.int32)
        path = mapped[inverse.reshape(-1)] if len(ids) else sub.path
        return _Placed(sub.leaf, colours, transform, path, sub.step)

    def _chain_steps(self, paths: list[tuple[str, ...]]) -> dict[tuple[str, ...], int]:
        """The STEP of the line that placed each chain's last sub-model in its parent, for
        every chain and the chains above it (a sub-model that only groups others too)."""
        steps: dict[tuple[str, ...], int] = {}
        for chain in paths:
            for k in range(1, len(chain) + 1):
                if chain[:k] not in steps:
                    parent = self._root if k == 1 else self._name_keys.get(chain[k - 2])
                    steps[chain[:k]] = self._child_steps.get((parent, chain[k - 1]), 0)
        return steps

    def _finite(self, placed: _Placed, display: str, line: int) -> _Placed:
        """Instances whose nested matrices multiply out past `MAX_COORDINATE` (or overflow to
        infinity) are left out, with a warning at the line that placed them so: each line's
        numbers are within the limit, but a chain of scaling sub-models is not, and
        single-precision rendering overflows."""
        finite = valid_coordinates_each(placed.transform.reshape(-1, 16))
        if finite.all():
            return placed
        self.files.problems.warn(
            display,
            line,
            f"{plural(int((~finite).sum()), 'placement')} too large (the nested matrices "
            f"multiply out past {MAX_COORDINATE:g} LDU): left out",
        )
        return placed.select(finite)

    def _cycle(self, on_path: list[SourceKey], child: Source) -> ModelError:
        names = [self.files.records[k].parsed.name or str(k) for k in on_path]
        parent = self.files.records[on_path[-1]]
        child_name = self.files.records[child.key].parsed.name or child.display
        refs = parent.parsed.refs
        lines = [
            refs.lines[i]
            for i, other in enumerate(parent.children)
            if other is not None and other.key == child.key
        ]
        return ModelError(
            f"reference cycle: {' -> '.join([*names[-3:], child_name])}",
            path=parent.display,
            line=lines[0] if lines else None,
            hint="a model must not include itself, directly or through others",
        )

    def _leaf(self, use: _LeafUse) -> tuple[PartGeometry, str]:
        """A leaf's geometry and title, built once per BFC variant."""
        key = use.key
        if key.two_sided or key.inverted:
            base_key = (
                replace(key, two_sided=False) if key.two_sided else replace(key, inverted=False)
            )
            base, title = self._leaf(replace(use, key=base_key))
            found = self._built.get(key)
            if found is None:
                found = self._built[key] = (_unclipped if key.two_sided else _inverted)(base)
            return found, title
        if key.printed is not None:
            model_key, line = key.printed
            if key not in self._built:
                record = self.files.records[model_key]
                index = record.parsed.refs.lines.index(line)
                self._built[key] = self.expander.printed(record, index)
            return self._built[key], self.expander.titles.get(key.source, "")
        if key.source.own:
            record = self._own[key.source]
            if key not in self._built:
                scope = ColourScope(*key.colours) if key.colours else None
                self._built[key] = self.expander.build(_recoloured(record, scope))
            return self._built[key], record.parsed.title
        geometry = self.expander.geometry(use.source)
        return geometry, self.expander.titles.get(key.source, "")

    def _choose_studs(self, transforms: np.ndarray, leaf: np.ndarray) -> None:
        """Let the stud rule pick the expander's style from the points the model spans.

        Those are the instances' origins, known before any geometry is built.  A few instances'
        origins say little about how the model is framed (one part has a single origin), so
        for up to `FEW_INSTANCES` the rule gets the corners of their boxes instead, from
        geometry built with full studs, which is built again if the rule picks another style.
        """
        assert self.studs is not None
        points = transforms[:, :3, 3]
        # Studs come out wider on a part placed enlarged; a primitive stretched into a rod or
        # a chain link (4-4cyli.dat, 48 LDU long) has none and says nothing of them.
        may_have = np.array([_may_have_studs(use) for use in self._leaves.items], bool)
        stretch = stud_stretch(transforms[may_have[leaf], :3, :3]) if len(leaf) else 1.0
        if not len(points) or len(points) > FEW_INSTANCES:
            self.expander.use_studs(self.studs(points, stretch))
            return
        problems = self.files.problems
        marks = len(problems.missing), len(problems.warnings)
        self.expander.use_studs(StudStyle.FULL)
        corners = [points]
        for use, transform in zip((self._leaves.items[i] for i in leaf), transforms):
            triangles = self._leaf(use)[0].triangles.reshape(-1, 3)
            if len(triangles):
                lo, hi = triangles.min(axis=0), triangles.max(axis=0)
                box = np.array([[(lo, hi)[(i >> a) & 1][a] for a in range(3)] for i in range(8)])
                corners.append(box @ transform[:3, :3].T + transform[:3, 3])
        style = self.studs(np.concatenate(corners), stretch)
        if style is not StudStyle.FULL:  # drawn again in `style`, reporting its problems once
            self._built.clear()
            del problems.missing[marks[0] :]
            del problems.warnings[marks[1] :]
        self.expander.use_studs(style)

    def _file_colours(self, source: Source, parsed: LDrawFile, inherited: tuple) -> ColourScope:
        """`_local_colours` once per (file, inherited remap): it hands out private codes."""
        key = (source.key, inherited)
        if key not in self._remaps:
            display = self.files.record(source).display
            self._remaps[key] = self._local_colours(parsed, inherited, display)
        return self._remaps[key]

    def _local_colours(self, parsed: LDrawFile, inherited: tuple, display: str) -> ColourScope:
        """A model file's own `!COLOUR` lines, each from its line on, over the remap the
        file inherits from the line that placed it; a line that defines nothing is warned of."""
        starts, remaps = [0], [inherited]
        remap = dict(inherited)
        for line, text in parsed.colour_meta:
            colour = parse_colour_line(text, ScopedColours(self.colours, remap))
            if colour is None:
                self.files.problems.warn(
                    display,
                    line,
                    "a !COLOUR line needs a name, CODE (a whole number up to "
                    f"0x{MAX_COLOUR_CODE:X}) and VALUE #RRGGBB: it defines nothing",
                )
                continue
            if colour.code in (MAIN_COLOUR, EDGE_COLOUR) or is_direct(colour.code):
                self.files.problems.warn(
                    display,
                    line,
                    f"!COLOUR cannot define code {colour.code}: 16 and 24 are the colours a "
                    f"line inherits, 0x{DIRECT_COLOUR:X} and up direct colours; it is ignored "
                    "(use another code)",
                )
                continue
            remap[colour.code] = self.colours.define(colour)
            if remap[colour.code] == colour.code:
                del remap[colour.code]
            items = tuple(sorted(remap.items()))
            if items != remaps[-1]:
                starts.append(line)
                remaps.append(items)
        return ColourScope(tuple(starts), tuple(remaps))
