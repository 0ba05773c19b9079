"""Expand a leaf file (a part, or a primitive placed directly) into one `PartGeometry`.

The walk is iterative and post-order: every sub-file is expanded once per run, then placed into
its parents with one matrix product per (parent, child) pair.  Expanded library leaves go to
the on-disk cache together with the version of every file they were built from.

With a stud style other than `FULL` (see `studs.py`), references to a stud primitive
(`p/stud*.dat`) use another file where the library has one: `FAST`, LDraw's "fast-draw" version
in `p/8/`, as LDView's low-quality studs do (8 sides instead of 16, about 30 % fewer triangles
and lines in a typical model); `LOGO`, the stud with the LEGO logo (`p/stud-logo4.dat`), as
LDView's logo studs do.  Each style has its own disk-cache entries.
"""

from __future__ import annotations

import numpy as np

from ldscene.errors import ModelError
from ldscene.ldraw.cache import DiskCache
from ldscene.ldraw.geometry import EDGE_COLOUR, MAIN_COLOUR, PartGeometry
from ldscene.ldraw.library import Source, normalise
from ldscene.ldraw.resolver import Files, Record
from ldscene.ldraw.studs import StudStyle, is_stud_primitive, variant_names


def _substitute(codes: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """Resolve 16/24 in child codes (1, n) against the referencing lines' colours (k, 1)."""
    concrete = colour != MAIN_COLOUR
    if not concrete.any():  # placed in colour 16 (most sub-files): the codes pass through
        return np.broadcast_to(codes, (len(colour), codes.shape[1]))
    out = np.where((codes == MAIN_COLOUR) & concrete, colour, codes)
    edge = np.where(colour == EDGE_COLOUR, EDGE_COLOUR, -colour - 1)
    return np.where((codes == EDGE_COLOUR) & concrete, edge, out)


class Expander:
    """Expanded geometry and titles of leaf files, by source key."""

    def __init__(
        self, files: Files, cache: DiskCache | None = None, studs: StudStyle = StudStyle.FULL
    ) -> None:
        self.files = files
        self.cache = cache
        self.studs = studs  # set before the first `geometry` call
        self._variants: dict[tuple[StudStyle, str], Source] = {}
        self.geometries: dict[str, PartGeometry] = {}
        self.titles: dict[str, str] = {}
        self._stats: dict[str, tuple[int, int]] = {}

    def forget(self) -> None:
        """Drop the geometry built so far (before a change of stud style)."""
        self.geometries.clear()
        self.titles.clear()

    def geometry(self, source: Source) -> PartGeometry:
        """The expanded geometry of a leaf file, built once per run (and cached on disk)."""
        source = self._variant(source)  # type: ignore[assignment]
        found = self.geometries.get(source.key)
        if found is not None:
            return found
        if self._from_disk(source):
            return self.geometries[source.key]
        stack = [source]
        entered: set[str] = set()
        while stack:
            current = stack[-1]
            if current.key in self.geometries:
                stack.pop()
                continue
            record = self.files.record(current)
            if current.key not in entered:
                entered.add(current.key)
                for child in map(self._variant, record.children):
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

    def build(self, record: Record) -> PartGeometry:
        parsed = record.parsed
        culls = parsed.certified
        tris = [parsed.triangles]
        tri_colours = [parsed.triangle_colours]
        two_sided = [~(parsed.triangle_clip & culls)]
        edges, edge_colours = [parsed.edges], [parsed.edge_colours]
        conds, cond_colours = [parsed.cond_lines], [parsed.cond_colours]
        refs = parsed.refs
        missing = [i for i, child in enumerate(record.children) if child is None]
        for i in missing:
            self.files.problems.missing_reference(refs.names[i], record.display, refs.lines[i])
        # Winding flips where the matrix mirrors XOR an INVERTNEXT precedes the reference.
        flips = None if refs is None else (np.linalg.det(refs.matrix[:, :3, :3]) < 0) ^ refs.invert
        groups: dict[str, list[int]] = {}
        for i, child in enumerate(map(self._variant, record.children)):
            if child is not None:
                groups.setdefault(child.key, []).append(i)
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
                tri_colours.append(_substitute(child.triangle_colours[None], colour).ravel())
                sided = child.two_sided[None] | ~(refs.clip[index][:, None] & culls)
                two_sided.append(sided.ravel())
            if len(child.edges):
                placed = (child.edges.reshape(-1, 3) @ rot_t + shift).reshape(len(index), -1, 2, 3)
                edges.append(placed.reshape(-1, 2, 3))
                edge_colours.append(_substitute(child.edge_colours[None], colour).ravel())
            if len(child.cond_lines):
                placed = (child.cond_lines.reshape(-1, 3) @ rot_t + shift).reshape(
                    len(index), -1, 4, 3
                )
                conds.append(placed.reshape(-1, 4, 3))
                cond_colours.append(_substitute(child.cond_colours[None], colour).ravel())
        return PartGeometry(
            triangles=np.concatenate(tris).astype(np.float32),
            triangle_colours=np.concatenate(tri_colours).astype(np.int32),
            two_sided=np.concatenate(two_sided),
            edges=np.concatenate(edges).astype(np.float32),
            edge_colours=np.concatenate(edge_colours).astype(np.int32),
            cond_lines=np.concatenate(conds).astype(np.float32),
            cond_colours=np.concatenate(cond_colours).astype(np.int32),
            n_quads=parsed.n_quads,
        )

    def _variant(self, child: Source | None) -> Source | None:
        """The file drawn for a reference: for a stud primitive, the stud style's version of
        it where the library has one."""
        if (
            self.studs is StudStyle.FULL
            or child is None
            or not child.key.startswith("lib:")
            or not is_stud_primitive(child.key[4:])
        ):
            return child
        found = self._variants.get((self.studs, child.key))
        if found is None:
            found = child
            for name in variant_names(child.key[4:], self.studs):
                other = self.files.library.find(name)  # type: ignore[union-attr]
                if other is not None:
                    found = other
                    break
            self._variants[self.studs, child.key] = found
        return found

    def _cache_key(self, source: Source) -> str | None:
        if self.cache is None or self.files.library is None or not source.key.startswith("lib:"):
            return None
        studs = "" if self.studs is StudStyle.FULL else f"{self.studs.value}-studs|"
        return f"{self.files.library.fingerprint()}|{studs}{source.key}"

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
            if (name and (found is None or found.key != "lib:" + rel)) or self._stat(rel) != tuple(
                stamp
            ):
                return False
        for name, display, line in entry["missing"]:
            if self.files.library.find(name) is not None:  # type: ignore[union-attr]
                return False
            self.files.problems.missing_reference(name, display, line)
        for display, line, message in entry["warnings"]:
            self.files.problems.warn(display, line, message)
        self.geometries[source.key] = entry["geometry"]
        self.titles[source.key] = entry["title"]
        return True

    def _to_disk(self, source: Source) -> None:
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
            if record is None or not current.key.startswith("lib:"):
                return  # built from a cached child or a user file: do not cache the whole
            rel = current.key[4:]
            deps.append((name, rel, self._stat(rel)))  # type: ignore[arg-type]
            refs = record.parsed.refs
            for i, child in enumerate(map(self._variant, record.children)):
                if child is None:
                    missing.append((refs.names[i], record.display, refs.lines[i]))
                elif child.key not in seen:
                    seen.add(child.key)
                    todo.append((child, normalise(refs.names[i])))
            warnings.extend((record.display, n, m) for n, m in record.parsed.warnings)
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
