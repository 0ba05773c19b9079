"""Expand a leaf file (a part, or a primitive placed directly) into one `PartGeometry`.

The walk is iterative and post-order: every sub-file is expanded once per run, then placed into
its parents with one matrix product per (parent, child) pair.  Expanded library leaves go to
the on-disk cache together with the version of every file they were built from.

With a stud style other than `FULL` (see `studs.py`), references to a stud primitive
(`p/stud*.dat`) use another file where the library has one: `FAST`, LDraw's "fast-draw" version
in `p/8/`, as LDView's low-quality studs do (8 sides instead of 16, about 30 % fewer triangles
and lines in a typical model); `LOGO`, the stud with the LEGO logo (`p/stud-logo4.dat`), as
LDView's logo studs do.  Each style has its own disk-cache entries.  `FAST` also draws the
circular primitives a part places no wider than a pin hole from their `p/8/` versions
(`studs.COARSE_RADIUS`), deciding per reference from its matrix.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ldscene.errors import ModelError
from ldscene.ldraw.cache import DiskCache
from ldscene.ldraw.colours import resolve_codes
from ldscene.ldraw.geometry import MAIN_COLOUR, PartGeometry
from ldscene.ldraw.library import Source, SourceKey, SourceKind, normalise
from ldscene.ldraw.limits import PartSizes
from ldscene.ldraw.parser import LDrawFile
from ldscene.ldraw.resolver import Files, Record
from ldscene.ldraw.studs import (
    COARSE_RADIUS,
    StudStyle,
    casts_no_shadow,
    coarse_name,
    is_coarse_candidate,
    is_stud_primitive,
    variant_names,
)
from ldscene.ldraw.texmap import (
    FoundImage,
    LineStates,
    Projection,
    drawing_lines,
    image_problem,
    line_states,
)

#: Bump when what `build` makes of a file changes (older disk-cache entries are then ignored).
GEOMETRY_VERSION = 10

_UNKNOWN = object()  # not looked up yet


def _own_states(
    states: LineStates | None, lines: np.ndarray, count: int
) -> tuple[np.ndarray | slice, np.ndarray | None]:
    """(drawn?, projection index or -1) for each of a file's `count` lines of one kind; for a
    file without TEXMAP (nearly all): everything, no projection (no copies of its arrays)."""
    if states is None:
        return slice(None), None
    keep = np.array([states.keep.get(n, True) for n in lines.tolist()], bool)
    projection = np.array([states.projection.get(n, -1) for n in lines.tolist()], np.int64)
    return keep.reshape(-1), projection.reshape(-1)


class _Textures:
    """The images and per-triangle texture coordinates of one file being built."""

    def __init__(self) -> None:
        self.keys: dict[str, int] = {}
        self.data: list[bytes] = []
        self.projections: dict[int, tuple[Projection, int]] = {}  # → (projection, image index)

    def add(self, key: str, data: bytes) -> int:
        if key not in self.keys:
            self.keys[key] = len(self.data)
            self.data.append(data)
        return self.keys[key]

    def project(
        self, tris: np.ndarray, projection: np.ndarray, texture: np.ndarray, uvs=None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Texture (n,) and coordinates (n, 3, 2) of triangles (n, 3, 3): where `texture` has
        none yet (-1) and `projection` names a found image, that image projected."""
        texture = np.asarray(texture, np.int16).copy()
        uvs = np.zeros((len(tris), 3, 2), np.float32) if uvs is None else uvs
        for p in np.unique(projection[projection >= 0]).tolist():
            if p in self.projections:
                mapping, image = self.projections[p]
                sel = (projection == p) & (texture < 0)
                uvs[sel] = mapping.uv(tris[sel])
                texture[sel] = image
        return texture, uvs

    def place(
        self,
        child: PartGeometry,
        placed: np.ndarray,
        flip: np.ndarray,
        projection: np.ndarray | None,
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Texture data of a child's triangles placed (k, n, 3, 3) by k references: the child's
        own, else the referencing lines' projection (the innermost TEXMAP wins; None: none)."""
        if not child.textured and (projection is None or not (projection >= 0).any()):
            return None
        k, n = placed.shape[:2]
        if projection is None:
            projection = np.full(k, -1)
        if child.textured:
            pairs = zip(child.texture_names, child.images())
            remap = np.array([self.add(str(key), data) for key, data in pairs], np.int16)
            own = np.where(child.texture >= 0, remap[np.maximum(child.texture, 0)], -1)
            texture = np.broadcast_to(own, (k, n)).copy()
            uvs = np.broadcast_to(child.uvs, (k, n, 3, 2)).copy()
            if flip.any():
                uvs[flip] = uvs[flip][:, :, [0, 2, 1]]
        else:
            texture = np.full((k, n), -1, np.int16)
            uvs = np.zeros((k, n, 3, 2), np.float32)
        return self.project(
            placed.reshape(-1, 3, 3),
            np.repeat(projection, n),
            texture.reshape(-1),
            uvs.reshape(-1, 3, 2),
        )

    def fields(self, parts: list, counts: list[int]) -> dict[str, np.ndarray]:
        """PartGeometry's texture fields for triangle chunks (None: untextured chunk)."""
        if all(part is None for part in parts) or not self.data:
            return {}
        pairs = list(zip(parts, counts))
        texture = [np.full(c, -1, np.int16) if p is None else p[0] for p, c in pairs]
        uvs = [np.zeros((c, 3, 2), np.float32) if p is None else p[1] for p, c in pairs]
        return {
            "uvs": np.concatenate(uvs).astype(np.float32),
            "texture": np.concatenate(texture).astype(np.int16),
            "texture_names": np.array(list(self.keys)),
            "texture_data": np.frombuffer(b"".join(self.data), np.uint8).copy(),
            "texture_ends": np.cumsum([len(d) for d in self.data]).astype(np.int64),
        }


class Expander:
    """Expanded geometry and titles of leaf files, by source key."""

    def __init__(
        self, files: Files, cache: DiskCache | None = None, studs: StudStyle = StudStyle.FULL
    ) -> None:
        self.files = files
        self.cache = cache
        self.studs = studs  # change it with `use_studs`
        self._variants: dict[tuple[StudStyle, SourceKey], Source] = {}
        self._coarse: dict[SourceKey, object] = {}  # a file → its p/8 version, or None
        self._radii: dict[SourceKey, float] = {}  # primitive → its radius about the y axis
        self.geometries: dict[SourceKey, PartGeometry] = {}
        self.titles: dict[SourceKey, str] = {}
        self._stats: dict[str, tuple[int, int]] = {}
        self._stored: set[SourceKey] = set()  # leaves read from or put into the disk cache
        self._image_deps: dict[
            SourceKey, list[str]
        ] = {}  # record key → library texture images used
        # record key → the warnings building it gave (display, line, message), beyond its
        # parse's: a cached part gives them again
        self._build_warnings: dict[SourceKey, list[tuple[str, int, str]]] = {}
        self._sizes = PartSizes(files)  # counted before building: see limits.py

    def use_studs(self, style: StudStyle) -> None:
        """Draw studs in `style` from now on; geometry built in another style is dropped."""
        if style is not self.studs:
            self.geometries.clear()
            self.titles.clear()
            self._stored.clear()
            self.studs = style

    def geometry(self, source: Source) -> PartGeometry:
        """The expanded geometry of a leaf file, built once per run (and cached on disk)."""
        source = self._variant(source)  # type: ignore[assignment]
        found = self.geometries.get(source.key)
        if found is not None:
            if source.key not in self._stored:  # built inside another part: cached on its own too
                self._to_disk(source)
            return found
        if self._from_disk(source):
            return self.geometries[source.key]
        self._sizes.check(source, self._variant)  # too big to build: one line, not all memory
        stack = [source]
        entered: set[SourceKey] = set()
        while stack:
            current = stack[-1]
            if current.key in self.geometries:
                stack.pop()
                continue
            record = self.files.record(current)
            if current.key not in entered:
                entered.add(current.key)
                for child in self._drawn_children(record):
                    if child is None or child.key in self.geometries:
                        continue
                    if child.key in entered:
                        self._cycle(stack, child)
                    if not self._from_disk(child):
                        stack.append(child)
                continue
            self.geometries[current.key] = self.build(record)
            self.titles[current.key] = record.parsed.title
            stack.pop()
        self._to_disk(source)
        return self.geometries[source.key]

    def _cycle(self, stack: list[Source], child: Source) -> None:
        chain: list[str] = []
        for item in stack:
            if item.key in self.files.records and item.key not in self.geometries:
                name = self.files.records[item.key].parsed.name or item.display
                if name not in chain:
                    chain.append(name)
        name = (
            self.files.records[child.key].parsed.name
            if child.key in self.files.records
            else child.display
        )
        start = chain.index(name) if name in chain else 0
        raise ModelError(
            "reference cycle: " + " -> ".join([*chain[start:], name]),
            path=self.files.records[stack[0].key].display,
            hint="a file must not include itself, directly or through others",
        )

    def printed(self, record: Record, index: int) -> PartGeometry:
        """Reference `index` of model file `record` as a leaf of its own: the part in its own
        frame, printed by the TEXMAP region the reference lies in.  The region's projection is
        in the model's frame, so the print is worked out on the part placed there, which is
        then taken back into the part's frame (the model places it as an instance); a part
        placed by a singular matrix keeps its plain geometry."""
        refs = record.parsed.refs
        assert refs is not None
        child = record.children[index]
        assert child is not None
        matrix = refs.matrix[index]
        if abs(np.linalg.det(matrix[:3, :3])) < 1e-9:
            return self.geometry(child)
        one = refs.take([index])
        one.colour[:] = MAIN_COLOUR  # the instance's colour is the reference's
        one.invert[:], one.clip[:] = False, True  # the model's BFC: the leaf's key
        view = LDrawFile(
            record.parsed.name, certified=True, refs=one, texmaps=record.parsed.texmaps
        )
        placed_here = Record(
            record.key, record.display, view, [child], record.source, record.container
        )
        for drawn in self._drawn_children(placed_here):
            if drawn is not None:
                self.geometry(drawn)
        placed = self.build(placed_here)
        linear_inverse = np.linalg.inv(matrix[:3, :3]).T

        def back(points: np.ndarray) -> np.ndarray:
            flat = (points.reshape(-1, 3) - matrix[:3, 3]) @ linear_inverse
            return flat.reshape(points.shape).astype(np.float32)

        triangles, uvs = back(placed.triangles), placed.uvs
        if np.linalg.det(matrix[:3, :3]) < 0:  # `build` turned the mirrored winding: undo it
            triangles = triangles[:, [0, 2, 1]]
            uvs = uvs[:, [0, 2, 1]] if len(uvs) else uvs
        return replace(
            placed,
            triangles=triangles,
            uvs=uvs,
            edges=back(placed.edges),
            cond_lines=back(placed.cond_lines),
        )

    def build(self, record: Record) -> PartGeometry:
        parsed = record.parsed
        culls = parsed.certified
        refs = parsed.refs
        tex = _Textures()
        states = self._texmap_states(record, tex) if parsed.texmaps else None
        keep, own_tex = _own_states(states, parsed.triangle_lines, len(parsed.triangles))
        own_tris = parsed.triangles[keep]
        tris = [own_tris]
        shadowless = [np.zeros(len(own_tris), bool)]  # triangles the shadow map leaves out
        tri_colours = [parsed.triangle_colours[keep]]
        two_sided = [~(parsed.triangle_clip[keep] & culls)]
        tex_parts: list[tuple[np.ndarray, np.ndarray] | None] = [None]
        if own_tex is not None and (own_tex[keep] >= 0).any():
            tex_parts[0] = tex.project(own_tris, own_tex[keep], np.full(len(own_tris), -1))
        edge_keep, _ = _own_states(states, parsed.edge_lines, len(parsed.edges))
        cond_keep, _ = _own_states(states, parsed.cond_line_numbers, len(parsed.cond_lines))
        edges, edge_colours = [parsed.edges[edge_keep]], [parsed.edge_colours[edge_keep]]
        conds = [parsed.cond_lines[cond_keep]]
        cond_colours = [parsed.cond_colours[cond_keep]]
        ref_lines = np.asarray(refs.lines if refs is not None else [], np.int64)
        ref_keep, ref_tex = _own_states(states, ref_lines, len(ref_lines))
        kept = np.ones(len(ref_lines), bool) if ref_tex is None else ref_keep
        missing = [i for i, child in enumerate(record.children) if child is None and kept[i]]
        for i in missing:
            self.files.problems.missing_reference(refs.names[i], record.display, refs.lines[i])
        # Winding flips where the matrix mirrors XOR an INVERTNEXT precedes the reference.
        flips = None if refs is None else (np.linalg.det(refs.matrix[:, :3, :3]) < 0) ^ refs.invert
        groups: dict[SourceKey, list[int]] = {}
        for i, child in enumerate(map(self._variant, record.children)):
            if child is not None and kept[i]:
                groups.setdefault(child.key, []).append(i)
        if self.studs is StudStyle.FAST and groups:
            groups = self._coarse_groups(groups, refs.matrix)
        for child_key, index in groups.items():
            child = self.geometries[child_key]
            if child.is_empty():
                continue
            matrix = refs.matrix[index]
            rot_t, shift = matrix[:, :3, :3].transpose(0, 2, 1), matrix[:, None, :3, 3]
            colour = refs.colour[index][:, None]
            flip = flips[index]
            if len(child.triangles):
                placed = (child.triangles.reshape(-1, 3) @ rot_t + shift).reshape(
                    len(index), -1, 3, 3
                )
                if flip.any():
                    placed[flip] = placed[flip][:, :, [0, 2, 1]]
                tris.append(placed.reshape(-1, 3, 3))
                no_shadow = child_key.kind is SourceKind.LIB and casts_no_shadow(
                    self.titles[child_key], self.studs
                )
                shadowless.append(
                    np.ones(placed.shape[0] * placed.shape[1], bool)
                    if no_shadow
                    else np.tile(child.shadowless_mask(), len(index))
                )
                tri_colours.append(resolve_codes(child.triangle_colours[None], colour).ravel())
                sided = child.two_sided[None] | ~(refs.clip[index][:, None] & culls)
                two_sided.append(sided.ravel())
                projection = None if ref_tex is None else ref_tex[index]
                tex_parts.append(tex.place(child, placed, flip, projection))
            if len(child.edges):
                placed = (child.edges.reshape(-1, 3) @ rot_t + shift).reshape(len(index), -1, 2, 3)
                edges.append(placed.reshape(-1, 2, 3))
                edge_colours.append(resolve_codes(child.edge_colours[None], colour).ravel())
            if len(child.cond_lines):
                placed = (child.cond_lines.reshape(-1, 3) @ rot_t + shift).reshape(
                    len(index), -1, 4, 3
                )
                conds.append(placed.reshape(-1, 4, 3))
                cond_colours.append(resolve_codes(child.cond_colours[None], colour).ravel())
        return PartGeometry(
            triangles=np.concatenate(tris).astype(np.float32),
            triangle_colours=np.concatenate(tri_colours).astype(np.int32),
            two_sided=np.concatenate(two_sided),
            edges=np.concatenate(edges).astype(np.float32),
            edge_colours=np.concatenate(edge_colours).astype(np.int32),
            cond_lines=np.concatenate(conds).astype(np.float32),
            cond_colours=np.concatenate(cond_colours).astype(np.int32),
            n_quads=parsed.n_quads,
            shadowless=mask if (mask := np.concatenate(shadowless)).any() else np.zeros(0, bool),
            **tex.fields(tex_parts, [len(t) for t in tris]),
        )

    def _texmap_states(self, record: Record, tex: _Textures) -> LineStates:
        """TEXMAP's verdict on each drawing line of `record`; images found go into `tex`."""
        parsed = record.parsed
        found: dict[str, FoundImage | None] = {}

        def problem(name: str) -> str | None:
            if name not in found:
                image = found[name] = self.files.find_image(name, record)
                if image is not None and image.library_path is not None:
                    self._image_deps.setdefault(record.key, []).append(image.library_path)
            return image_problem(name, found[name])

        states = line_states(parsed.texmaps, drawing_lines(parsed), problem)
        for number, message in states.warnings:
            self.files.problems.warn(record.display, number, message)
        # Kept with the part's cache entry, so that the next run warns of them too.
        self._build_warnings[record.key] = [(record.display, n, m) for n, m in states.warnings]
        for i, projection in enumerate(states.projections):
            image = found.get(projection.image)
            if image is not None:
                tex.projections[i] = (projection, tex.add(image.key, image.png))
        return states

    def _drawn_children(self, record: Record) -> list[Source | None]:
        """The files `record`'s references may draw: each child's stud-style variant, and
        under `FAST` the coarse version of a circular primitive too (`build` picks by size)."""
        children = list(map(self._variant, record.children))
        if self.studs is StudStyle.FAST:
            children += [self._coarse_variant(child.key) for child in children if child]
        return children

    def _coarse_variant(self, key: SourceKey) -> Source | None:
        """The library's 8-sided version (`p/8/`) of a circular primitive, or None."""
        found = self._coarse.get(key, _UNKNOWN)
        if found is _UNKNOWN:
            found = None
            if key.kind is SourceKind.LIB and is_coarse_candidate(key.path):
                found = self.files.library.find(coarse_name(key.path))  # type: ignore[union-attr]
            self._coarse[key] = found
        return found  # type: ignore[return-value]

    def _coarse_groups(
        self, groups: dict[SourceKey, list[int]], matrix: np.ndarray
    ) -> dict[SourceKey, list[int]]:
        """`groups` (child → its references) with the references that place a circular
        primitive no wider than a pin hole (`COARSE_RADIUS`) moved to its 8-sided version,
        which at fast-draw sizes strays from the circle by under a pixel (see studs.py)."""
        coarse = {key: self._coarse_variant(key) for key in groups}
        if not any(coarse.values()):
            return groups
        # How far each reference's matrix stretches a primitive's x and z axes.
        widths = np.sqrt((matrix[:, :3, [0, 2]] ** 2).sum(axis=1)).max(axis=1)
        out: dict[SourceKey, list[int]] = {}
        for key, index in groups.items():
            low = coarse[key]
            if low is None:
                out.setdefault(key, []).extend(index)
                continue
            radius = self._radii.get(key)
            if radius is None:
                radius = self._radii[key] = self.geometries[key].radius_xz()
            # (float32 circles reach a little past their radius: 1.00003 for a unit one)
            small = (radius * widths[index] <= COARSE_RADIUS * 1.001).tolist()
            for target, want in ((low.key, True), (key, False)):
                picked = [i for i, s in zip(index, small) if s is want]
                if picked:
                    out.setdefault(target, []).extend(picked)
        return out

    def _variant(self, child: Source | None) -> Source | None:
        """The file drawn for a reference: for a stud primitive, the stud style's version of
        it where the library has one."""
        if (
            self.studs is StudStyle.FULL
            or child is None
            or child.key.kind is not SourceKind.LIB
            or not is_stud_primitive(child.key.path)
        ):
            return child
        found = self._variants.get((self.studs, child.key))
        if found is None:
            found = child
            for name in variant_names(child.key.path, self.studs):
                other = self.files.library.find(name)  # type: ignore[union-attr]
                if other is not None:
                    found = other
                    break
            self._variants[self.studs, child.key] = found
        return found

    def _cache_key(self, source: Source) -> str | None:
        if (
            self.cache is None
            or self.files.library is None
            or source.key.kind is not SourceKind.LIB
        ):
            return None
        studs = "" if self.studs is StudStyle.FULL else f"{self.studs.value}-studs|"
        return f"{self.files.library.fingerprint()}|v{GEOMETRY_VERSION}|{studs}{source.key}"

    def _stat(self, rel: str) -> tuple[int, int] | None:
        found = self._stats.get(rel)
        if found is None and self.files.library is not None and rel in self.files.library.index:
            found = self._stats[rel] = self.files.library.stat_key(rel)
        return found

    def _from_disk(self, source: Source) -> bool:
        key = self._cache_key(source)
        if key is None:
            return False
        entry = self.cache.get(key)  # type: ignore[union-attr]
        if entry is None:
            return False
        for name, rel, stamp in entry["deps"]:
            found = self._variant(self.files.library.find(name)) if name else None  # type: ignore[union-attr]
            moved = name and (found is None or found.key != SourceKey(SourceKind.LIB, rel))
            if moved or self._stat(rel) != tuple(stamp):
                return False
        for name, display, line in entry["missing"]:
            if self.files.library.find(name) is not None:  # type: ignore[union-attr]
                return False
            self.files.problems.missing_reference(name, display, line)
        for display, line, message in entry["warnings"]:
            self.files.problems.warn(display, line, message)
        self.geometries[source.key] = entry["geometry"]
        self.titles[source.key] = entry["title"]
        self._stored.add(source.key)
        return True

    def _to_disk(self, source: Source) -> None:
        self._stored.add(source.key)
        key = self._cache_key(source)
        if key is None:
            return
        deps: list[tuple[str, str, tuple[int, int]]] = []
        missing: list[tuple[str, str, int]] = []
        warnings: list[tuple[str, int, str]] = []
        seen = {source.key}
        todo = [(source, "")]
        while todo:
            current, name = todo.pop()
            record = self.files.records.get(current.key)
            if record is None or current.key.kind is not SourceKind.LIB:
                return  # built from a cached child or a user file: do not cache the whole
            rel = current.key.path
            deps.append((name, rel, self._stat(rel)))  # type: ignore[arg-type]
            for image in self._image_deps.get(current.key, ()):  # a changed PNG rebuilds
                deps.append(("", image, self._stat(image)))  # type: ignore[arg-type]
            refs = record.parsed.refs
            for i, child in enumerate(map(self._variant, record.children)):
                if child is None:
                    missing.append((refs.names[i], record.display, refs.lines[i]))
                elif child.key not in seen:
                    seen.add(child.key)
                    todo.append((child, normalise(refs.names[i])))
            warnings.extend((record.display, n, m) for n, m in record.parsed.warnings)
            warnings.extend(self._build_warnings.get(current.key, ()))
        self.cache.put_later(
            key,
            {  # type: ignore[union-attr]
                "geometry": self.geometries[source.key],
                "title": self.titles[source.key],
                "deps": deps,
                "missing": missing,
                "warnings": warnings,
            },
        )
