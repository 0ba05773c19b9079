"""Load an LDraw model: resolve references, expand each part once, flatten to instances.

Two walks, both iterative so that deep (acyclic) nesting never meets Python's recursion limit:

* `Loader.geometry` expands one leaf file (a part, or a primitive placed directly) through its
  sub-files into a `PartGeometry`, post-order, each distinct file once per run.  Expanded library
  leaves also go to the on-disk cache with the versions of every file they were built from.
* `Loader.flatten` walks the model tree (MPD sub-models, `.ldr` files) and records one instance
  per leaf reference with its composed transform and colour; leaves are never copied.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ldscene.errors import ModelError
from ldscene.ldraw.cache import DiskCache
from ldscene.ldraw.colours import ColourTable, default_main_colours, parse_colour_line
from ldscene.ldraw.geometry import EDGE_COLOUR, MAIN_COLOUR, PartGeometry
from ldscene.ldraw.library import Library, Source, normalise
from ldscene.ldraw.model import Leaf, MissingReference, Model
from ldscene.ldraw.parser import LDrawFile, decode_text, parse_lines, split_blocks

_LEAF_TYPES = {"subpart", "primitive", "8_primitive", "48_primitive", "helper"}
_SUBFOLDERS = {"s", "parts", "p", "48", "8"}
#: Codes handed out when a model file redefines a colour code differently from LDConfig.
_PRIVATE_COLOUR_BASE = 0x6000000


class FolderIndex:
    """Case-insensitive index of a user folder (a model's folder or a scene's `parts/`)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.index: dict[str, str] = {}
        self._walk(str(self.folder), "")

    def _walk(self, folder: str, prefix: str) -> None:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return
        for entry in entries:
            low = entry.name.lower()
            if entry.is_file():
                self.index[prefix + low] = entry.path
            elif entry.is_dir() and low in _SUBFOLDERS and prefix.count("/") < 2:
                self._walk(entry.path, prefix + low + "/")

    def find(self, key: str) -> str | None:
        for candidate in (key, "parts/" + key, "p/" + key):
            if candidate in self.index:
                return self.index[candidate]
        return None


@dataclass
class Record:
    """A parsed file and where each of its type-1 references resolved."""

    key: str
    display: str
    parsed: LDrawFile
    children: list[Source | None]
    source: Source
    container: str | None  # MPD file whose blocks this file sees first


def _substitute(codes: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """Resolve 16/24 in child codes (k, n) against the referencing lines' colours (k, 1)."""
    concrete = colour != MAIN_COLOUR
    out = np.where((codes == MAIN_COLOUR) & concrete, colour, codes)
    edge = np.where(colour == EDGE_COLOUR, EDGE_COLOUR, -colour - 1)
    return np.where((codes == EDGE_COLOUR) & concrete, edge, out)


class Loader:
    """Resolves, parses and expands files for one run; keeps every result in memory."""

    def __init__(
        self,
        library: Library | None,
        extra_paths: list[Path] | tuple = (),
        strict: bool = False,
        cache: DiskCache | None = None,
    ) -> None:
        self.library = library
        self.extra = [FolderIndex(p) for p in extra_paths if Path(p).is_dir()]
        self.strict = strict
        self.cache = cache
        self.records: dict[str, Record] = {}
        self.geometries: dict[str, PartGeometry] = {}
        self.titles: dict[str, str] = {}
        self.leaf_kinds: dict[str, str] = {}
        # container key → normalised block name → (block key, lines, first line, name as written)
        self.blocks: dict[str, dict[str, tuple[str, list[str], int, str]]] = {}
        self.folders: dict[str, FolderIndex] = {}
        self.missing: list[MissingReference] = []
        self.warnings: list[str] = []
        self.colours = ColourTable()
        self._stats: dict[str, tuple[int, int]] = {}
        if library is not None and "ldconfig.ldr" in library.index:
            text = decode_text(library.read("ldconfig.ldr"), "LDConfig.ldr")
            for line in text.splitlines():
                body = line.strip()[1:].strip()
                if body[:7].upper() == "!COLOUR":
                    self.colours.add_meta(body)
        default_main_colours(self.colours)

    # -- reading ---------------------------------------------------------------------------
    def open_root(self, path: Path) -> str:
        """Read a model file from disk; returns the key of its main model."""
        path = Path(path)
        if not path.exists():
            raise ModelError("no such file", path=str(path), hint="check the path")
        if path.is_dir():
            raise ModelError("is a folder, not an LDraw file", path=str(path))
        try:
            raw = path.read_bytes()
        except OSError as err:
            raise ModelError(f"cannot read ({err.strerror})", path=str(path)) from None
        text = decode_text(raw, str(path))
        if not text.strip():
            raise ModelError("empty file", path=str(path), hint="an LDraw model needs lines")
        return self._register_fs(path.resolve(), text)

    def _register_fs(self, path: Path, text: str) -> str:
        key = f"fs:{path}"
        if key in self.records:
            return key
        blocks = split_blocks(text)
        source = Source(key, str(path), None)
        if len(blocks) == 1 and not blocks[0].name:
            self._add_record(
                key,
                str(path),
                parse_lines(blocks[0].lines or [], path.name),
                source,
                None,
                path.parent,
            )
            return key
        container = key
        table: dict[str, tuple[str, list[str], int, str]] = {}
        for block in blocks:
            if block.data is not None or block.lines is None:
                continue  # !DATA blocks hold textures, which are not drawn yet
            name = normalise(block.name)
            block_key = f"mpd:{path}#{name}"
            table.setdefault(name, (block_key, block.lines, block.first_line, block.name))
        self.blocks[container] = table
        if not table:
            raise ModelError("MPD file has no `0 FILE` model block", path=str(path))
        # The container's own key means its first block, the main model.
        main = self._register_block(container, *next(iter(table.values())), path)
        self.records[key] = main
        return key

    def _register_block(
        self, container: str, key: str, lines: list[str], first_line: int, name: str, path: Path
    ) -> Record:
        if key in self.records:
            return self.records[key]
        parsed = parse_lines(lines, name, first_line)
        return self._add_record(
            key, str(path), parsed, Source(key, str(path), None), container, path.parent
        )

    def _add_record(
        self,
        key: str,
        display: str,
        parsed: LDrawFile,
        source: Source,
        container: str | None,
        folder: Path | None,
    ) -> Record:
        for number, message in parsed.warnings:
            self._warn(f"{display}:{number}: {message}")
        refs = parsed.refs
        children = [self._resolve(name, container, folder) for name in refs.names] if refs else []
        record = Record(key, display, parsed, children, source, container)
        self.records[key] = record
        return record

    def _warn(self, text: str) -> None:
        if self.strict:
            raise ModelError(
                text.split(": ", 1)[1],
                path=text.split(": ", 1)[0].rsplit(":", 1)[0],
                line=int(text.split(": ", 1)[0].rsplit(":", 1)[1]),
                hint="fix the line, or drop --strict to skip it",
            )
        self.warnings.append(text)

    def _resolve(self, name: str, container: str | None, folder: Path | None) -> Source | None:
        key = normalise(name)
        if container is not None:
            block = self.blocks[container].get(key)
            if block is not None:
                return Source(block[0], name, None)
        if folder is not None:
            index = self.folders.get(str(folder))
            if index is None:
                index = self.folders[str(folder)] = FolderIndex(folder)
            found = index.find(key)
            if found is not None:
                return Source(f"fs:{Path(found).resolve()}", found, None)
        for extra in self.extra:
            found = extra.find(key)
            if found is not None:
                return Source(f"fs:{Path(found).resolve()}", found, None)
        if self.library is not None:
            return self.library.find(key)
        return None

    def record(self, source: Source) -> Record:
        """The parsed record for a resolved source, reading it on first use."""
        record = self.records.get(source.key)
        if record is not None:
            return record
        kind, _, rest = source.key.partition(":")
        if kind == "lib":
            assert self.library is not None
            text = decode_text(self.library.read(rest), source.display)
            parsed = parse_lines(text.splitlines(), rest.rsplit("/", 1)[-1])
            return self._add_record(source.key, source.display, parsed, source, None, None)
        if kind == "fs":
            path = Path(rest)
            text = decode_text(path.read_bytes(), str(path))
            self._register_fs(path, text)
            return self.records[source.key]
        if kind == "mpd":
            container_path, _, name = rest.partition("#")
            container = f"fs:{container_path}"
            return self._register_block(
                container, *self.blocks[container][name], Path(container_path)
            )
        raise ModelError(f"internal: unknown source {source.key}")  # pragma: no cover

    # -- classification --------------------------------------------------------------------
    def kind(self, source: Source) -> str:
        """'part', 'leaf' (geometry placed as is, not a brick) or 'model' (flattened)."""
        known = self.leaf_kinds.get(source.key)
        if known is not None:
            return known
        if source.is_part is True:
            kind = "part"
        elif source.is_part is False:
            kind = "leaf"
        else:
            parsed = self.record(source).parsed
            org = parsed.org_type.lower().removeprefix("unofficial_")
            if parsed.is_part_by_header:
                kind = "part"
            elif org in _LEAF_TYPES:
                kind = "leaf"
            else:
                kind = "model"
        self.leaf_kinds[source.key] = kind
        return kind

    # -- geometry --------------------------------------------------------------------------
    def geometry(self, source: Source) -> PartGeometry:
        """The expanded geometry of a leaf file, built once per run (and cached on disk)."""
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
            record = self.record(current)
            if current.key not in entered:
                entered.add(current.key)
                for child in record.children:
                    if child is None or child.key in self.geometries:
                        continue
                    if child.key in entered:
                        self._cycle(stack, child)
                    if not self._from_disk(child):
                        stack.append(child)
                continue
            self.geometries[current.key] = self._build(record)
            self.titles[current.key] = record.parsed.title
            stack.pop()
        self._to_disk(source)
        return self.geometries[source.key]

    def _cycle(self, stack: list[Source], child: Source) -> None:
        chain: list[str] = []
        for item in stack:
            if item.key in self.records and item.key not in self.geometries:
                name = self.records[item.key].parsed.name or item.display
                if name not in chain:
                    chain.append(name)
        name = self.records[child.key].parsed.name if child.key in self.records else child.display
        start = chain.index(name) if name in chain else 0
        raise ModelError(
            "reference cycle: " + " -> ".join([*chain[start:], name]),
            path=self.records[stack[0].key].display,
            hint="a file must not include itself, directly or through others",
        )

    def _build(self, record: Record) -> PartGeometry:
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
            self._missing(refs.names[i], record.display, refs.lines[i])
        groups: dict[str, list[int]] = {}
        for i, child in enumerate(record.children):
            if child is not None:
                groups.setdefault(child.key, []).append(i)
        for child_key, index in groups.items():
            child = self.geometries[child_key]
            if child.is_empty():
                continue
            matrix = refs.matrix[index]
            rot, shift = matrix[:, :3, :3], matrix[:, None, None, :3, 3]
            colour = refs.colour[index][:, None]
            flip = (np.linalg.det(rot) < 0) ^ refs.invert[index]
            if len(child.triangles):
                placed = np.einsum("kij,tcj->ktci", rot, child.triangles) + shift
                if flip.any():
                    placed[flip] = placed[flip][:, :, [0, 2, 1]]
                tris.append(placed.reshape(-1, 3, 3))
                tri_colours.append(_substitute(child.triangle_colours[None], colour).ravel())
                sided = child.two_sided[None] | ~(refs.clip[index][:, None] & culls)
                two_sided.append(sided.ravel())
            if len(child.edges):
                placed = np.einsum("kij,tcj->ktci", rot, child.edges) + shift
                edges.append(placed.reshape(-1, 2, 3))
                edge_colours.append(_substitute(child.edge_colours[None], colour).ravel())
            if len(child.cond_lines):
                placed = np.einsum("kij,tcj->ktci", rot, child.cond_lines) + shift
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

    def _missing(self, name: str, display: str, line: int) -> None:
        self.missing.append(MissingReference(name, display, line))

    # -- disk cache ------------------------------------------------------------------------
    def _cache_key(self, source: Source) -> str | None:
        if self.cache is None or self.library is None or not source.key.startswith("lib:"):
            return None
        return f"{self.library.fingerprint()}|{source.key}"

    def _stat(self, rel: str) -> tuple[int, int] | None:
        found = self._stats.get(rel)
        if found is None and self.library is not None and rel in self.library.index:
            found = self._stats[rel] = self.library.stat_key(rel)
        return found

    def _from_disk(self, source: Source) -> bool:
        key = self._cache_key(source)
        if key is None:
            return False
        entry = self.cache.get(key)  # type: ignore[union-attr]
        if entry is None:
            return False
        for name, rel, stamp in entry["deps"]:
            found = self.library.find(name) if name else None  # type: ignore[union-attr]
            if (name and (found is None or found.key != "lib:" + rel)) or self._stat(rel) != tuple(
                stamp
            ):
                return False
        for name, display, line in entry["missing"]:
            if self.library.find(name) is not None:  # type: ignore[union-attr]
                return False
            self._missing(name, display, line)
        for text in entry["warnings"]:
            self._warn(text)
        self.geometries[source.key] = entry["geometry"]
        self.titles[source.key] = entry["title"]
        return True

    def _to_disk(self, source: Source) -> None:
        key = self._cache_key(source)
        if key is None:
            return
        deps: list[tuple[str, str, tuple[int, int]]] = []
        missing: list[tuple[str, str, int]] = []
        warnings: list[str] = []
        seen = {source.key}
        todo = [(source, "")]
        while todo:
            current, name = todo.pop()
            record = self.records.get(current.key)
            if record is None or not current.key.startswith("lib:"):
                return  # built from a cached child or a user file: do not cache the whole
            rel = current.key[4:]
            deps.append((name, rel, self._stat(rel)))  # type: ignore[arg-type]
            refs = record.parsed.refs
            for i, child in enumerate(record.children):
                if child is None:
                    missing.append((refs.names[i], record.display, refs.lines[i]))
                elif child.key not in seen:
                    seen.add(child.key)
                    todo.append((child, normalise(refs.names[i])))
            warnings.extend(f"{record.display}:{n}: {m}" for n, m in record.parsed.warnings)
        self.cache.put(
            key,
            {  # type: ignore[union-attr]
                "geometry": self.geometries[source.key],
                "title": self.titles[source.key],
                "deps": deps,
                "missing": missing,
                "warnings": warnings,
            },
        )

    # -- flattening ------------------------------------------------------------------------
    def flatten(self, root_key: str) -> Model:
        """Walk the model tree from `root_key` and return its placed instances."""
        root = self.records[root_key]
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

        on_path: set[str] = set()
        stack: list[tuple] = [("enter", root.source, np.eye(4), MAIN_COLOUR, 0, {})]
        if self.kind(root.source) == "part":  # a part file given as the model: one instance
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
            _, source, transform, colour, pid, remap = item
            record = self.record(source)
            on_path.add(source.key)
            stack.append(("exit", source.key))
            parsed = record.parsed
            remap = self._local_colours(parsed, remap)
            if len(parsed.triangles) or len(parsed.edges) or len(parsed.cond_lines):
                own = source.key + "#own"
                self.records.setdefault(
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
                self.leaf_kinds[own] = "leaf"
                inst_leaf.append(np.array([leaf_id(own, parsed.name or "model", False)]))
                inst_colour.append(np.array([colour]))
                inst_transform.append(transform[None])
                inst_path.append(np.array([pid]))
                inst_step.append(np.zeros(1, np.int32))
            refs = parsed.refs
            if refs is None or not len(refs.names):
                continue
            world = np.einsum("ij,kjl->kil", transform, refs.matrix)
            ref_colour = refs.colour.copy()
            if remap:
                for old, new in remap.items():
                    ref_colour[ref_colour == old] = new
            ref_colour[ref_colour == MAIN_COLOUR] = colour
            leaves_here: list[int] = []
            leaf_refs: list[int] = []
            submodels = []
            for i, child in enumerate(record.children):
                if child is None:
                    self._missing(refs.names[i], record.display, refs.lines[i])
                    continue
                kind = self.kind(child)
                if kind == "model":
                    if child.key in on_path:
                        chain = [
                            self.records[s[1].key].parsed.name for s in stack if s[0] == "enter"
                        ]
                        raise ModelError(
                            f"reference cycle: {parsed.name} -> {refs.names[i]}",
                            path=record.display,
                            line=refs.lines[i],
                            hint="a model must not include itself, directly or through others"
                            + (f" (pending: {', '.join(chain[:3])})" if chain else ""),
                        )
                    name = (
                        self.records[child.key].parsed.name
                        if child.key in self.records
                        else refs.names[i]
                    )
                    submodels.append(
                        (
                            child,
                            world[i],
                            int(ref_colour[i]),
                            path_id(paths[pid] + (name or refs.names[i],)),
                            remap,
                        )
                    )
                else:
                    name = normalise(refs.names[i]).replace("/", "\\")
                    leaves_here.append(leaf_id(child.key, name, kind == "part"))
                    leaf_refs.append(i)
            if leaf_refs:
                inst_leaf.append(np.array(leaves_here, np.int32))
                inst_colour.append(ref_colour[leaf_refs])
                inst_transform.append(world[leaf_refs])
                inst_path.append(np.full(len(leaf_refs), pid, np.int32))
                inst_step.append(refs.step[leaf_refs])
            for sub in reversed(submodels):
                stack.append(("enter", *sub))

        leaves = []
        for key, name, is_part in zip(leaf_keys, leaf_names, leaf_is_part):
            source = self.records[key].source if key.endswith("#own") else None
            if source is not None:
                geometry = self.geometries.get(key) or self._build(self.records[key])
                self.geometries[key] = geometry
                title = self.records[key].parsed.title
            else:
                geometry = self.geometry(self._source_for(key))
                title = self.titles.get(key, "")
            leaves.append(Leaf(name, title, is_part, geometry))

        def stack_or(parts: list[np.ndarray], shape: tuple, dtype) -> np.ndarray:
            return np.concatenate(parts).astype(dtype) if parts else np.zeros(shape, dtype)

        return Model(
            name=root.parsed.name or Path(root.display).name,
            leaves=leaves,
            leaf=stack_or(inst_leaf, (0,), np.int32),
            colour=stack_or(inst_colour, (0,), np.int64),
            transform=stack_or(inst_transform, (0, 4, 4), np.float64),
            path=stack_or(inst_path, (0,), np.int32),
            step=stack_or(inst_step, (0,), np.int32),
            paths=paths,
            colours=self.colours,
            missing=self.missing,
            warnings=self.warnings,
        )

    def _source_for(self, key: str) -> Source:
        record = self.records.get(key)
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


def load_model(
    path: Path | str,
    library: Library | None = None,
    extra_paths: list[Path] | tuple = (),
    strict: bool = False,
    use_cache: bool = True,
) -> Model:
    """Load an `.ldr`, `.mpd` or `.dat` file and flatten it to instances.

    `library` defaults to `find_library()`; `extra_paths` are searched (case-insensitively)
    after the model's own folder and before the library.
    """
    from ldscene.ldraw.library import find_library

    if library is None:
        library = find_library()
    loader = Loader(library, extra_paths, strict, DiskCache() if use_cache else None)
    root = loader.open_root(Path(path))
    model = loader.flatten(root)
    if strict and model.missing:
        names = sorted({m.name for m in model.missing})
        first = model.missing[0]
        raise ModelError(
            f"{len(names)} missing part(s): {', '.join(names[:10])}"
            + (" ..." if len(names) > 10 else ""),
            path=first.path,
            line=first.line,
            hint="install the parts or add their folder with --library/parts_path",
        )
    return model
