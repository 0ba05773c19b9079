"""The composer's window on the LDraw engine: one loader per scene, part lookup with suggestions.

Files (`models: {x: {file: ...}}`) and single parts go through the same `Loader`, so every part
is expanded once per scene however many files place it.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from ldscene.errors import LdsceneError
from ldscene.ldraw.colours import ColourTable
from ldscene.ldraw.library import LDRAW_SUFFIXES, Library, find_library, normalise
from ldscene.ldraw.loader import library_colours, load_model, load_parts
from ldscene.ldraw.model import MissingReference, Model
from ldscene.ldraw.resolver import FolderIndex
from ldscene.ldraw.studs import StudStyle

T = TypeVar("T")


def part_key(name: str) -> str:
    """`3001` → `3001.dat`: the reference name for a part as a scene writes it."""
    key = normalise(name)
    return key if key.endswith(LDRAW_SUFFIXES) else key + ".dat"


class Sources:
    """Loads model files and parts for one scene."""

    def __init__(
        self,
        library: Library | str | Path | None,
        extra_paths: list[Path],
        strict: bool = False,
        use_cache: bool = True,
        studs: StudStyle = StudStyle.FULL,
    ) -> None:
        if not isinstance(library, Library):
            library = find_library(library)
        self.library = library
        self.extra_paths = [Path(p) for p in extra_paths]
        self.extra = [FolderIndex(p) for p in self.extra_paths if p.is_dir()]
        self.strict = strict
        self.use_cache = use_cache
        self.studs = studs
        self._colours: ColourTable | None = None
        self._parts: dict[str, Model] = {}
        self._files: dict[str, Model] = {}
        self._names: list[str] | None = None
        #: Every missing reference and warning of every file and part loaded for the scene,
        #: in load order, each once: a scene's model reports these (see `inputs.load_input`),
        #: as a plain model reports its own.
        self.missing: list[MissingReference] = []
        self.warnings: list[str] = []
        self.files: set[Path] = set()  # every file on disk outside the library loaded

    @property
    def colours(self) -> ColourTable:
        if self._colours is None:
            self._colours = library_colours(self.library)
        return self._colours

    # -- parts -------------------------------------------------------------------------------
    def find_part(self, name: str) -> str | None:
        """Where a part name resolves (display path), or None."""
        key = part_key(name)
        for index in self.extra:
            found = index.find(key)
            if found is not None:
                return found
        source = self.library.find(key)
        return source.display if source is not None else None

    def suggestions(self, name: str, n: int = 3) -> list[str]:
        """Close part names, with their titles: "3001 (Brick  2 x  4)"."""
        if self._names is None:
            names = {
                k[6:-4]
                for k in self.library.index
                if k.startswith("parts/") and k.endswith(".dat") and "/" not in k[6:]
            }
            for index in self.extra:
                names.update(
                    k.rsplit("/", 1)[-1][:-4]
                    for k in index.index
                    if k.endswith(".dat") and "s/" not in k
                )
            self._names = sorted(names)
        word = normalise(name).removesuffix(".dat")
        for folder in ("parts/", "p/"):  # "parts/3001.dat": a path in the library, not a name
            word = word.removeprefix(folder)
        close = difflib.get_close_matches(word, self._names, n=3 * n, cutoff=0.6)
        titled = [(c, self.title(c + ".dat")) for c in close]
        # Parts a builder would pick first: "~Moved to ..." and other "~" files after them.
        titled.sort(key=lambda pair: pair[1].startswith("~"))
        return [f"{c} ({title})" if title else c for c, title in titled[:n]]

    def title(self, name: str) -> str:
        """A part's title line ("" when it cannot be read)."""
        from ldscene.search import read_header

        return read_header(self._head(name))[0]

    def category(self, name: str) -> str:
        """A part's LDraw category: its `!CATEGORY`, else its title's first word."""
        from ldscene.search import read_header

        return read_header(self._head(name))[1]

    def _head(self, name: str) -> bytes:
        """The start of a part's file (its header), or nothing when it cannot be read."""
        key = part_key(name)
        source = self.library.find(key)
        try:
            if source is not None:
                return self.library.read(source.key.path)[:4096]
            path = self.find_part(name)
            if path is None:
                return b""
            with open(path, "rb") as handle:
                return handle.read(4096)
        except (OSError, KeyError):
            return b""

    def load_parts(self, names: list[str]) -> dict[str, Model]:
        """A `Model` per part name, placed at the origin in colour 16.

        All parts not loaded yet are loaded in one go, so the engine expands each of them
        once and they share one colour table.
        """
        todo = sorted({part_key(n) for n in names} - set(self._parts))
        if todo:
            loaded = self._engine(load_parts, todo, todo[0])
            for key, model in loaded.items():
                self._parts[key] = model
                self._collect(model)
            if self._colours is None and loaded:
                self._colours = next(iter(loaded.values())).colours
        return {n: self._parts[part_key(n)] for n in names}

    # -- files -------------------------------------------------------------------------------
    def load_file(self, path: Path) -> Model:
        key = os.path.normcase(str(Path(path).resolve()))
        if key not in self._files:
            self._files[key] = self._load(Path(path))
        return self._files[key]

    def _load(self, path: Path) -> Model:
        model = self._engine(load_model, path, str(path))
        self._collect(model)
        return model

    def _engine(self, load: Callable[..., T], what: Any, display: str) -> T:
        """`load(what)` with this scene's library, folders and settings; an engine failure
        that is not an `LdsceneError` becomes one naming `display` (never a traceback)."""
        try:
            return load(
                what,
                library=self.library,
                extra_paths=self.extra_paths,
                strict=self.strict,
                use_cache=self.use_cache,
                studs=self.studs,
            )
        except LdsceneError:
            raise
        except Exception as err:
            raise LdsceneError(f"cannot load ({err})", path=display) from None

    def _collect(self, model: Model) -> None:
        self.files.update(model.files)
        seen = set(self.missing)
        self.missing.extend(m for m in model.missing if m not in seen and not seen.add(m))
        known = set(self.warnings)
        self.warnings.extend(w for w in model.warnings if w not in known and not known.add(w))
