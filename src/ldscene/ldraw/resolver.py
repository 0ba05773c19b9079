"""Which file a reference means, and what is in it.

References resolve, case-insensitively, through the referencing MPD file's own blocks, the
referencing file's folder, extra folders (a scene's `parts/`), then the library.  Library files
resolve inside the library only.  Each file is read and parsed once per run.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from ldscene.errors import ModelError
from ldscene.ldraw.library import (
    Library,
    Source,
    SourceKey,
    SourceKind,
    find_in_folder,
    normalise,
)
from ldscene.ldraw.model import MissingReference
from ldscene.ldraw.parser import LDrawFile, decode_text, parse_lines, split_blocks, split_lines
from ldscene.ldraw.texmap import FoundImage, find_image

#: A line of LDraw: a line type 0-5 followed by a space, or a bare `0`.
_LDRAW_LINE = re.compile(r"^[ \t]*(?:[0-5][ \t]|0[ \t]*$)", re.MULTILINE)


class FileKind(str, Enum):
    """How a resolved file is used."""

    PART = "part"  # a brick: one leaf, counted in `parts`, the BOM and `info`
    LEAF = "leaf"  # geometry placed as is (a primitive, a subpart, a hose segment), not a brick
    MODEL = "model"  # flattened: its references are placed, its own lines are one leaf


_LEAF_TYPES = {"subpart", "primitive", "8_primitive", "48_primitive", "helper"}


def is_assembly_piece(title: str) -> bool:
    """A part file that is a segment of a flexible element, not a brick of its own: LDraw's
    "~...Segment" parts (the 754/755/756 pieces a bent hose is drawn from, flexible axle and
    cable segments) and LSynth's hose and cable pieces.  Drawn, but not counted as parts:
    one hose is not 100 parts.  (Other "~" parts, such as obsolete minifig hips and legs,
    are real pieces and still count.)"""
    return bool(_SEGMENT.match(title)) or title.startswith("LSynth ")


_SEGMENT = re.compile(r"~.*\bSegment\b")
_SUBFOLDERS = {"s", "parts", "p", "48", "8"}


@dataclass
class Problems:
    """Missing references and malformed lines met during a run; `strict` makes them errors."""

    strict: bool = False
    missing: list[MissingReference] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def missing_reference(self, name: str, display: str, line: int) -> None:
        self.missing.append(MissingReference(name, display, line))

    def warn(self, display: str, line: int, message: str) -> None:
        if self.strict:
            raise ModelError(
                message, path=display, line=line, hint="fix the line, or drop --strict to skip it"
            )
        self.warnings.append(f"{display}:{line}: {message}")


def folder_error(path: Path, scenes: bool = False) -> ModelError:
    """The error for a folder named where one model (or scene) file is asked for."""
    what = "an LDraw file or a scene" if scenes else "an LDraw file"
    given = "model (.ldr, .mpd, .dat) or scene (.yaml)" if scenes else "model (.ldr, .mpd, .dat)"
    return ModelError(
        f"is a folder, not {what}",
        path=str(path),
        hint=f"give one {given} in it; ldscene render also takes a folder, as a batch",
    )


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
            try:
                is_file, is_dir = entry.is_file(), entry.is_dir()
            except OSError:
                continue
            if is_file:
                self.index[prefix + low] = entry.path
            elif is_dir and low in _SUBFOLDERS and prefix.count("/") < 2:
                self._walk(entry.path, prefix + low + "/")

    def find(self, key: str) -> str | None:
        for candidate in (key, "parts/" + key, "p/" + key):
            if candidate in self.index:
                return self.index[candidate]
        if "/" in key:  # a file in a sub-folder of its own ("sub\\inner.ldr"), not indexed
            found = find_in_folder(self.folder, key)
            return None if found is None else str(found)
        return None


#: An MPD block as read: its key, lines, first line number and name as written.
_Block = tuple[SourceKey, list[str], int, str]


@dataclass
class Record:
    """A parsed file and where each of its type-1 references resolved."""

    key: SourceKey
    display: str
    parsed: LDrawFile
    children: list[Source | None]
    source: Source
    container: SourceKey | None  # MPD file whose blocks this file sees first


class Files:
    """Resolves references and parses files for one run; keeps every record in memory."""

    def __init__(
        self,
        library: Library | None,
        extra_paths: list[Path] | tuple = (),
        problems: Problems | None = None,
    ) -> None:
        self.library = library
        self.extra = [FolderIndex(p) for p in extra_paths if Path(p).is_dir()]
        self.problems = problems or Problems()
        self.records: dict[SourceKey, Record] = {}
        self.kinds: dict[SourceKey, FileKind] = {}
        # container key → normalised block name → (block key, lines, first line, name as written)
        self.blocks: dict[SourceKey, dict[str, _Block]] = {}
        self.folders: dict[str, FolderIndex] = {}
        self.data: dict[SourceKey, dict[str, bytes]] = {}  # container → `!DATA` name → bytes
        self.images: set[Path] = set()  # TEXMAP images read from disk outside the library
        self.root_folder: Path | None = None  # the folder of the model given (`open_root`)
        # file → (file, line, name) of the first reference to it: where its read errors point
        self.asked_at: dict[SourceKey, tuple[str, int, str]] = {}

    def disk_files(self) -> tuple[Path, ...]:
        """The files on disk outside the library read so far, texture images too (resolved
        paths, sorted)."""
        files = {Path(k.path) for k in self.records if k.kind is SourceKind.FS}
        return tuple(sorted(files | self.images))

    def find_image(self, name: str, record: Record) -> FoundImage | None:
        """`texmap.find_image` for a TEXMAP line of `record`: its file's folder, then the main
        model's (a sub-file in a sub-folder uses the model's `textures/`), then the library;
        an image from disk is one of the model's files."""
        data = self.data.get(record.container) if record.container else None
        found = find_image(name, None, record.key.folder, data)
        if found is None and self.root_folder not in (None, record.key.folder):
            found = find_image(name, None, self.root_folder, None)
        if found is None:
            found = find_image(name, self.library, None, None)
        if found is not None and found.disk_path is not None:
            self.images.add(found.disk_path)
        return found

    def open_root(self, path: Path) -> SourceKey:
        """Read a model file from disk; returns the key of its main model."""
        path = Path(path)
        if not path.exists():
            raise ModelError("no such file", path=str(path), hint="check the path")
        if path.is_dir():
            raise folder_error(path)
        if not path.is_file():  # a device or a pipe: it may never end
            raise ModelError("not a regular file", path=str(path), hint="give an LDraw file")
        try:
            raw = path.read_bytes()
        except OSError as err:
            raise ModelError(f"cannot read ({err.strerror})", path=str(path)) from None
        text = decode_text(raw, str(path))
        if not text.strip():
            raise ModelError("empty file", path=str(path), hint="an LDraw model needs lines")
        if not _LDRAW_LINE.search(text):
            raise ModelError(
                "not an LDraw file: none of its lines is an LDraw line",
                path=str(path),
                hint="LDraw lines start with a line type, 0 to 5, and a space",
            )
        self.root_folder = path.resolve().parent
        return self._register_fs(path.resolve(), text)

    def _register_fs(self, path: Path, text: str) -> SourceKey:
        key = SourceKey.fs(path)
        if key in self.records:
            return key
        notes: list[tuple[int, str]] = []
        blocks = split_blocks(text, notes)
        for number, message in sorted(notes):
            self.problems.warn(str(path), number, message)
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
        table: dict[str, _Block] = {}
        for block in blocks:
            if block.data is not None:  # a `!DATA` block: an image for TEXMAP (ldraw/texmap.py)
                images = self.data.setdefault(container, {})
                if normalise(block.name) in images:
                    self.problems.warn(
                        str(path),
                        block.first_line - 1,
                        f"a second '0 !DATA {block.name}' block is ignored: the first one is "
                        "used (rename one of them)",
                    )
                images.setdefault(normalise(block.name), block.data)
                continue
            if block.lines is None:
                continue
            name = normalise(block.name)
            if name in table:  # references find the first block of a name, as in LDView
                first = table[name][2] - 1  # its `0 FILE` line
                self.problems.warn(
                    str(path),
                    block.first_line - 1,
                    f"a second '0 FILE {block.name}' block is ignored: the one at line {first} "
                    "is used (rename one of them)",
                )
                continue
            table[name] = (SourceKey.mpd(path, name), block.lines, block.first_line, block.name)
        self.blocks[container] = table
        if not table:
            raise ModelError("MPD file has no `0 FILE` model block", path=str(path))
        # The container's own key means its first block, the main model.
        main = self._register_block(container, *next(iter(table.values())), path)
        self.records[key] = main
        return key

    def _register_block(
        self,
        container: SourceKey,
        key: SourceKey,
        lines: list[str],
        first_line: int,
        name: str,
        path: Path,
    ) -> Record:
        if key in self.records:
            return self.records[key]
        parsed = parse_lines(lines, name, first_line)
        return self._add_record(
            key, str(path), parsed, Source(key, str(path), None), container, path.parent
        )

    def _add_record(
        self,
        key: SourceKey,
        display: str,
        parsed: LDrawFile,
        source: Source,
        container: SourceKey | None,
        folder: Path | None,
    ) -> Record:
        for number, message in parsed.warnings:
            self.problems.warn(display, number, message)
        refs = parsed.refs
        children = [self.resolve(name, container, folder) for name in refs.names] if refs else []
        for child, name, line in zip(
            children, refs.names if refs else (), refs.lines if refs else ()
        ):
            if child is not None:
                self.asked_at.setdefault(child.key, (display, line, name))
        record = Record(key, display, parsed, children, source, container)
        self.records[key] = record
        return record

    def resolve(self, name: str, container: SourceKey | None, folder: Path | None) -> Source | None:
        key = normalise(name)
        if container is not None:
            block = self.blocks[container].get(key)
            if block is not None:
                return Source(block[0], name, None)
        # The asking file's folder, then the model's own: a part in the model's parts/ finds
        # a primitive in its p/, as in the library.
        folders = [] if folder is None else [folder]
        if folders and self.root_folder is not None and self.root_folder != folder:
            folders.append(self.root_folder)
        for where in folders:
            index = self.folders.get(str(where))
            if index is None:
                index = self.folders[str(where)] = FolderIndex(where)
            found = index.find(key)
            if found is not None:
                return Source(SourceKey.fs(Path(found).resolve()), found, None)
        for extra in self.extra:
            found = extra.find(key)
            if found is not None:
                return Source(SourceKey.fs(Path(found).resolve()), found, None)
        if self.library is not None:
            return self.library.find(key)
        return None

    def record(self, source: Source) -> Record:
        """The parsed record for a resolved source, reading it on first use.  A referenced
        file that cannot be read or is not LDraw text is an error at the line asking for it."""
        record = self.records.get(source.key)
        if record is not None:
            return record
        try:
            return self._read_record(source)
        except ModelError as err:
            asked = self.asked_at.get(source.key)
            if asked is None or err.line is not None:  # an error inside the file itself
                raise
            display, line, name = asked
            raise ModelError(
                f"'{name}' ({source.display}): {err.message}",
                path=display,
                line=line,
                hint=err.hint,
            ) from None

    def _read_record(self, source: Source) -> Record:
        key = source.key
        if key.kind is SourceKind.LIB:
            assert self.library is not None
            text = decode_text(self._read(source, self.library.read, key.path), source.display)
            parsed = parse_lines(split_lines(text), key.path.rsplit("/", 1)[-1])
            return self._add_record(key, source.display, parsed, source, None, None)
        if key.kind is SourceKind.FS:
            path = Path(key.path)
            text = decode_text(self._read(source, Path.read_bytes, path), str(path))
            self._warn_if_not_ldraw(source, text)
            self._register_fs(path, text)
            return self.records[key]
        container = key.container()
        return self._register_block(container, *self.blocks[container][key.block], Path(key.path))

    def _warn_if_not_ldraw(self, source: Source, text: str) -> None:
        """A warning at the line asking for a referenced file that is empty or has no LDraw
        line: it draws nothing (named on the command line, it is an error)."""
        if _LDRAW_LINE.search(text):
            return
        asked = self.asked_at.get(source.key)
        if asked is not None:
            display, line, name = asked
            what = "is empty" if not text.strip() else "has no LDraw lines"
            self.problems.warn(
                display, line, f"'{name}' ({source.display}) {what}: it draws nothing"
            )

    @staticmethod
    def _read(source: Source, read, where) -> bytes:
        """The bytes of a referenced file; an unreadable one is one clear error."""
        try:
            return read(where)
        except OSError as err:
            raise ModelError(
                f"cannot read a referenced file ({err.strerror or err})",
                path=source.display,
                hint="check its permissions, or remove the reference",
            ) from None
        except Exception as err:  # a damaged zip member (bad CRC, bad compression data)
            raise ModelError(
                f"cannot read a referenced file ({type(err).__name__}: {err})",
                path=source.display,
                hint="the library archive may be damaged; install it again",
            ) from None

    def kind(self, source: Source) -> FileKind:
        """How the file `source` is used (see `FileKind`)."""
        known = self.kinds.get(source.key)
        if known is not None:
            return known
        if source.is_part is True:
            kind = FileKind.PART
        elif source.is_part is False:
            kind = FileKind.LEAF
        else:
            parsed = self.record(source).parsed
            org = parsed.org_type.lower().removeprefix("unofficial_")
            if parsed.is_part_by_header:
                kind = FileKind.PART
            elif org in _LEAF_TYPES:
                kind = FileKind.LEAF
            else:
                kind = FileKind.MODEL
        self.kinds[source.key] = kind
        return kind
