"""Flatten a model tree (MPD sub-models, `.ldr` files) into placed leaf instances.

The walk is iterative (deep nesting is legal) and records one instance per leaf reference with
its composed transform, resolved colour and sub-model path; leaf geometry is never copied.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from ldscene.errors import ModelError
from ldscene.ldraw.colours import ColourTable, parse_colour_line
from ldscene.ldraw.expand import Expander
from ldscene.ldraw.geometry import MAIN_COLOUR, PartGeometry
from ldscene.ldraw.library import Source, normalise
from ldscene.ldraw.limits import check_instances
from ldscene.ldraw.model import Leaf, Model
from ldscene.ldraw.parser import LDrawFile
from ldscene.ldraw.resolver import Files, Record
from ldscene.ldraw.studs import StudStyle
from ldscene.ldraw.texmap import fallback_view

#: Up to this many instances, the stud rule is given the corners of their boxes (see
#: `Flattener._choose_studs`).
FEW_INSTANCES = 16

#: Codes handed out when a model file redefines a colour code differently from LDConfig.
_PRIVATE_COLOUR_BASE = 0x6000000


def _inverted(geometry: PartGeometry) -> PartGeometry:
    """The geometry with every triangle's winding reversed (BFC INVERTNEXT in a model)."""
    flip = [0, 2, 1]
    uvs = geometry.uvs[:, flip] if len(geometry.uvs) else geometry.uvs
    return replace(geometry, triangles=geometry.triangles[:, flip], uvs=uvs)


def _unclipped(geometry: PartGeometry) -> PartGeometry:
    """The geometry drawn two-sided (placed under BFC NOCLIP in a model)."""
    return replace(geometry, two_sided=np.ones(len(geometry.triangles), bool))


#: Leaf key suffixes for BFC state a model file sets around a reference, outermost last.
_BFC_VARIANTS = {"#noclip": _unclipped, "#inverted": _inverted}


def _bfc(inverted: bool, clipped: bool) -> str:
    """The leaf key suffix for a reference's model-level BFC state ("" for the usual)."""
    return ("#inverted" if inverted else "") + ("" if clipped else "#noclip")


def stack_or(parts: list[np.ndarray], shape: tuple, dtype) -> np.ndarray:
    """Concatenate `parts` as `dtype`, or an empty array of `shape` when there are none."""
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(shape, dtype)


class Flattener:
    """Turns the model tree under a root file into a `Model`."""

    def __init__(
        self,
        files: Files,
        expander: Expander,
        colours: ColourTable,
        studs: Callable[[np.ndarray], StudStyle] | None = None,
    ) -> None:
        self.files = files
        self.expander = expander
        self.colours = colours
        # Picks, from the instances' (P, 3) origins, how the expander draws studs.
        self.studs = studs

    def flatten(self, root_key: str) -> Model:
        """Walk the model tree from `root_key` and return its placed instances."""
        root = self.files.records[root_key]
        leaf_keys: list[str] = []
        leaf_index: dict[str, int] = {}
        leaf_is_part: list[bool] = []
        leaf_names: list[str] = []
        inst_leaf: list[np.ndarray] = []
        inst_colour: list[np.ndarray] = []
        inst_transform: list[np.ndarray] = []
        inst_path: list[np.ndarray] = []
        inst_step: list[np.ndarray] = []
        paths: list[tuple[str, ...]] = [()]
        path_ids: dict[tuple[str, ...], int] = {(): 0}

        def leaf_id(key: str, name: str, is_part: bool) -> int:
            found = leaf_index.get(key)
            if found is None:
                found = leaf_index[key] = len(leaf_keys)
                leaf_keys.append(key)
                leaf_is_part.append(is_part)
                leaf_names.append(name)
            return found

        def path_id(path: tuple[str, ...]) -> int:
            found = path_ids.get(path)
            if found is None:
                found = path_ids[path] = len(paths)
                paths.append(path)
            return found

        check_instances(self.files, root.source, lambda r: fallback_view(r.parsed, r.children))
        on_path: set[str] = set()
        # ("enter", source, transform, colour, path id, colour remap, inverted, clipped)
        stack: list[tuple] = [("enter", root.source, np.eye(4), MAIN_COLOUR, 0, {}, False, True)]
        if self.files.kind(root.source) == "part":  # a part file given as the model: one instance
            stack = []
            inst_leaf.append(np.array([leaf_id(root.key, root.parsed.name, True)], np.int32))
            inst_colour.append(np.array([MAIN_COLOUR]))
            inst_transform.append(np.eye(4)[None])
            inst_path.append(np.zeros(1, np.int32))
            inst_step.append(np.zeros(1, np.int32))
        while stack:
            item = stack.pop()
            if item[0] == "exit":
                on_path.discard(item[1])
                continue
            _, source, transform, colour, pid, remap, inverted, clipped = item
            record = self.files.record(source)
            on_path.add(source.key)
            stack.append(("exit", source.key))
            # TEXMAP in a model file: its fallback (prints live in parts; see texmap.py)
            parsed, children = fallback_view(record.parsed, record.children)
            remap = self._local_colours(parsed, remap)
            if len(parsed.triangles) or len(parsed.edges) or len(parsed.cond_lines):
                own = source.key + "#own"
                self.files.records.setdefault(
                    own,
                    Record(
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
                            edges=parsed.edges,
                            edge_colours=parsed.edge_colours,
                            cond_lines=parsed.cond_lines,
                            cond_colours=parsed.cond_colours,
                        ),
                        [],
                        source,
                        None,
                    ),
                )
                self.files.kinds[own] = "leaf"
                own_leaf = leaf_id(own + _bfc(inverted, clipped), parsed.name or "model", False)
                inst_leaf.append(np.array([own_leaf]))
                inst_colour.append(np.array([colour]))
                inst_transform.append(transform[None])
                inst_path.append(np.array([pid]))
                inst_step.append(np.zeros(1, np.int32))
            refs = parsed.refs
            if refs is None or not len(refs.names):
                continue
            with np.errstate(over="ignore", invalid="ignore"):
                world = transform @ refs.matrix
            finite = np.isfinite(world).all(axis=(1, 2))
            ref_colour = refs.colour.copy()
            if remap:
                for old, new in remap.items():
                    ref_colour[ref_colour == old] = new
            ref_colour[ref_colour == MAIN_COLOUR] = colour
            leaves_here: list[int] = []
            leaf_refs: list[int] = []
            submodels = []
            for i, child in enumerate(children):
                if child is None:
                    self.files.problems.missing_reference(
                        refs.names[i], record.display, refs.lines[i]
                    )
                    continue
                if not finite[i]:
                    self.files.problems.warn(
                        record.display,
                        refs.lines[i],
                        f"placement of '{refs.names[i]}' is too large (its nested matrices "
                        "overflow to infinity); it is left out",
                    )
                    continue
                kind = self.files.kind(child)
                if kind == "model":
                    if child.key in on_path:
                        chain = [
                            self.files.records[s[1].key].parsed.name
                            for s in stack
                            if s[0] == "enter"
                        ]
                        raise ModelError(
                            f"reference cycle: {parsed.name} -> {refs.names[i]}",
                            path=record.display,
                            line=refs.lines[i],
                            hint="a model must not include itself, directly or through others"
                            + (f" (pending: {', '.join(chain[:3])})" if chain else ""),
                        )
                    name = (
                        self.files.records[child.key].parsed.name
                        if child.key in self.files.records
                        else refs.names[i]
                    )
                    submodels.append(
                        (
                            child,
                            world[i],
                            int(ref_colour[i]),
                            path_id(paths[pid] + (name or refs.names[i],)),
                            remap,
                            inverted ^ bool(refs.invert[i]),
                            clipped and bool(refs.clip[i]),
                        )
                    )
                else:
                    name = normalise(refs.names[i]).replace("/", "\\")
                    style = _bfc(inverted ^ bool(refs.invert[i]), clipped and bool(refs.clip[i]))
                    leaves_here.append(leaf_id(child.key + style, name, kind == "part"))
                    leaf_refs.append(i)
            if leaf_refs:
                inst_leaf.append(np.array(leaves_here, np.int32))
                inst_colour.append(ref_colour[leaf_refs])
                inst_transform.append(world[leaf_refs])
                inst_path.append(np.full(len(leaf_refs), pid, np.int32))
                inst_step.append(refs.step[leaf_refs])
            for sub in reversed(submodels):
                stack.append(("enter", *sub))

        transforms = stack_or(inst_transform, (0, 4, 4), np.float64)
        leaf = stack_or(inst_leaf, (0,), np.int32)
        if self.studs is not None:
            self._choose_studs(transforms, [leaf_keys[i] for i in leaf])
        leaves = []
        for key, name, is_part in zip(leaf_keys, leaf_names, leaf_is_part):
            geometry, title = self._leaf(key)
            leaves.append(Leaf(name, title, is_part, geometry))

        return Model(
            name=root.parsed.name or Path(root.display).name,
            leaves=leaves,
            leaf=leaf,
            colour=stack_or(inst_colour, (0,), np.int64),
            transform=transforms,
            path=stack_or(inst_path, (0,), np.int32),
            step=stack_or(inst_step, (0,), np.int32),
            paths=paths,
            colours=self.colours,
            missing=self.files.problems.missing,
            warnings=self.files.problems.warnings,
            studs=self.expander.studs,
        )

    def _leaf(self, key: str) -> tuple[PartGeometry, str]:
        """A leaf's geometry and title, built once per style."""
        for suffix, change in _BFC_VARIANTS.items():
            if key.endswith(suffix):
                found = self.expander.geometries.get(key)
                base, title = self._leaf(key[: -len(suffix)])
                if found is None:
                    found = self.expander.geometries[key] = change(base)
                return found, title
        if key.endswith("#own"):
            record = self.files.records[key]
            geometry = self.expander.geometries.get(key) or self.expander.build(record)
            self.expander.geometries[key] = geometry
            return geometry, record.parsed.title
        geometry = self.expander.geometry(self._source_for(key))
        return geometry, self.expander.titles.get(key, "")

    def _choose_studs(self, transforms: np.ndarray, keys: list[str]) -> None:
        """Let the stud rule pick the expander's style from the points the model spans.

        Those are the instances' origins, known before any geometry is built.  A few instances'
        origins say little about how the model is framed (one part has a single origin), so
        for up to `FEW_INSTANCES` the rule gets the corners of their boxes instead, from
        geometry built with full studs, which is built again if the rule picks another style.
        """
        assert self.studs is not None
        points = transforms[:, :3, 3]
        if not len(points) or len(points) > FEW_INSTANCES:
            self.expander.studs = self.studs(points)
            return
        problems = self.files.problems
        marks = len(problems.missing), len(problems.warnings)
        self.expander.studs = StudStyle.FULL
        corners = [points]
        for key, transform in zip(keys, transforms):
            triangles = self._leaf(key)[0].triangles.reshape(-1, 3)
            if len(triangles):
                lo, hi = triangles.min(axis=0), triangles.max(axis=0)
                box = np.array([[(lo, hi)[(i >> a) & 1][a] for a in range(3)] for i in range(8)])
                corners.append(box @ transform[:3, :3].T + transform[:3, 3])
        style = self.studs(np.concatenate(corners))
        if style is not StudStyle.FULL:
            self.expander.forget()  # drawn again in `style`, reporting its problems once
            del problems.missing[marks[0] :]
            del problems.warnings[marks[1] :]
        self.expander.studs = style

    def _source_for(self, key: str) -> Source:
        record = self.files.records.get(key)
        if record is not None:
            return record.source
        kind, _, rest = key.partition(":")
        is_part = None
        if kind == "lib":
            is_part = rest.startswith(("parts/", "unofficial/parts/")) and "/s/" not in rest
            is_part = is_part if not rest.startswith(("p/", "unofficial/p/")) else False
        return Source(key, rest, is_part)

    def _local_colours(self, parsed: LDrawFile, remap: dict[int, int]) -> dict[int, int]:
        """Apply a model file's own `!COLOUR` lines: to this file and its children."""
        if not parsed.colour_meta:
            return remap
        remap = dict(remap)
        for text in parsed.colour_meta:
            colour = parse_colour_line(text, self.colours)
            if colour is None:
                continue
            existing = self.colours.colours.get(colour.code)
            if existing is None or existing == colour:
                self.colours.colours[colour.code] = colour
                continue
            private = _PRIVATE_COLOUR_BASE + len(self.colours.colours)
            self.colours.colours[private] = colour
            remap[colour.code] = private
        return remap
