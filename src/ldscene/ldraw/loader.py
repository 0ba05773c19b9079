"""Load an LDraw model: resolve references, expand each part once, flatten to instances."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ldscene.errors import ModelError
from ldscene.ldraw.cache import open_cache
from ldscene.ldraw.colours import ColourTable, default_main_colours
from ldscene.ldraw.expand import Expander
from ldscene.ldraw.flatten import Flattener
from ldscene.ldraw.library import Library, find_library
from ldscene.ldraw.model import Model
from ldscene.ldraw.parser import decode_text, split_lines
from ldscene.ldraw.resolver import Files, Problems
from ldscene.ldraw.studs import StudRule, Studs, StudStyle, as_rule
from ldscene.wording import plural


def library_colours(library: Library | None) -> ColourTable:
    """The global colour table: every `!COLOUR` of the library's LDConfig.ldr (a copy of
    its own: a model's `!COLOUR` lines add to it)."""
    if library is None or "ldconfig.ldr" not in library.index:
        colours = ColourTable()
    else:
        colours = _ldconfig(decode_text(library.read("ldconfig.ldr"), "LDConfig.ldr")).copy()
    default_main_colours(colours)
    return colours


@functools.lru_cache(maxsize=4)
def _ldconfig(text: str) -> ColourTable:
    """LDConfig.ldr's colours, parsed once per text: a scene loads each of its files in a
    session of its own, and parsing its 200 colours took 9 ms each time."""
    colours = ColourTable()
    for line in split_lines(text):
        body = line.strip()[1:].strip()
        if body[:7].upper() == "!COLOUR":
            colours.add_meta(body)
    return colours


def check_link(path: Path) -> None:
    """A clear error for a symbolic link that leads nowhere (its target missing, or a loop of
    links), which would otherwise read as 'no such file'."""
    if path.is_symlink() and not path.exists():
        raise ModelError(
            f"a symbolic link that leads nowhere (to {os.readlink(path)}: missing, or a loop)",
            path=str(path),
            hint="point the link at the model file, or give the file itself",
        )


def _open_root(files: Files, path: Path) -> tuple[str, Path | None]:
    """The root file's key: the file at `path`, else a library file of that name (so that
    `ldscene render 3001` previews a part); and that library file, when it is a file on disk
    (not in a zip)."""
    if path.exists() or files.library is None:
        return files.open_root(path), None
    check_link(path)
    source = files.library.find_named(str(path))
    if source is None:
        raise ModelError(
            "no such file, and no library part of that name",
            path=str(path),
            hint=f"looked in {path.absolute().parent} and in the library {files.library.root} "
            "(parts/, p/, models/, unofficial/); check the name",
        )
    part_file = None if files.library.is_zip else Path(source.display).resolve()
    return files.record(source).key, part_file


def load_model(
    path: Path | str,
    library: Library | None = None,
    extra_paths: list[Path] | tuple = (),
    strict: bool = False,
    use_cache: bool = True,
    studs: Studs = StudStyle.FULL,
    wait_for_cache: bool = True,
) -> Model:
    """Load an `.ldr`, `.mpd` or `.dat` file and flatten it to instances.

    `library` defaults to `find_library()`; `extra_paths` are searched (case-insensitively)
    after the model's own folder and before the library.  `studs` says how studs are drawn: a
    `StudStyle` (full, LDraw's 8-sided fast-draw primitives, or logo studs), or a callable
    that picks one from the instances' (P, 3) origins, once they are known and before any
    geometry is built.  With `wait_for_cache` False the disk-cache pack is written in a
    background thread while the caller works (a render), and is complete before the
    interpreter exits.
    """
    rule = as_rule(studs)
    with _session(library, extra_paths, strict, use_cache, rule, wait_for_cache) as flattener:
        root, model_part_file = _open_root(flattener.files, Path(path))
        model = flattener.flatten(root)
        model.files = flattener.files.disk_files()
        model.part_file = model_part_file
        model.source = Path(path)
    _check_strict(model, strict)
    return model


def load_parts(
    names: list[str],
    library: Library | None = None,
    extra_paths: list[Path] | tuple = (),
    strict: bool = False,
    use_cache: bool = True,
    studs: StudStyle = StudStyle.FULL,
) -> dict[str, Model]:
    """A `Model` per reference name (a scene's parts), each placed at the origin in colour 16
    as a model file's line would place it; all share one expansion, so each part is built
    once.  Names resolve through `extra_paths`, then the library; one that does not resolve
    is left out (the caller checks names first)."""
    found: dict[str, Model] = {}
    with _session(library, extra_paths, strict, use_cache, studs, True) as flattener:
        for name in names:
            source = flattener.files.resolve(name, None, None)
            if source is not None:
                found[name] = flattener.flatten_reference(source, name)
        files = flattener.files.disk_files()  # parts found in extra folders
        for model in found.values():
            model.files = files
    for model in found.values():
        _check_strict(model, strict)
    return found


@contextmanager
def _session(
    library: Library | None,
    extra_paths: list[Path] | tuple,
    strict: bool,
    use_cache: bool,
    rule: StudStyle | StudRule,
    wait_for_cache: bool,
) -> Iterator[Flattener]:
    """One run's resolver, expander and flattener; the disk-cache pack written at the end."""
    if library is None:
        library = find_library()
    files = Files(library, extra_paths, Problems(strict))
    cache = open_cache("geometry") if use_cache else None
    expander = Expander(files, cache, rule if isinstance(rule, StudStyle) else StudStyle.FULL)
    decide = None if isinstance(rule, StudStyle) else rule
    try:
        yield Flattener(files, expander, library_colours(library), decide)
    finally:
        if cache is not None:
            cache.flush() if wait_for_cache else cache.flush_later()


def _check_strict(model: Model, strict: bool) -> None:
    if strict and model.missing:
        names = sorted({m.name for m in model.missing})
        first = model.missing[0]
        raise ModelError(
            f"{plural(len(names), 'missing part')}: {', '.join(names[:10])}"
            + (" ..." if len(names) > 10 else ""),
            path=first.path,
            line=first.line,
            hint="install the parts or add their folder with --library/parts_path",
        )
