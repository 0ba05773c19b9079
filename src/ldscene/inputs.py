"""Load whatever a command was given — an LDraw model or a scene file — the same way everywhere."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ldscene.errors import LdsceneError
from ldscene.ldraw.library import find_library
from ldscene.ldraw.loader import check_link, load_model
from ldscene.ldraw.model import Model
from ldscene.ldraw.resolver import folder_error
from ldscene.ldraw.studs import Studs, StudStyle, as_rule
from ldscene.progress import Progress

SCENE_SUFFIXES = (".yaml", ".yml")


@dataclass
class LoadedInput:
    """A model plus, for scenes, what the scene adds (cameras, render defaults, entries)."""

    model: Model
    scene: Any = None  # ldscene.scene Scene, when the input was a scene file
    extra: dict = field(default_factory=dict)


def is_scene(path: Path) -> bool:
    return Path(path).suffix.lower() in SCENE_SUFFIXES


def check_input(path: Path, library: Path | str | None = None) -> None:
    """Fail early, in one line, when `path` is neither a file nor a library part's name."""
    path = Path(path)
    if path.is_file():
        return
    if path.is_dir():
        raise folder_error(path, scenes=True)
    if path.exists():
        raise LdsceneError("not a file", path=str(path))
    check_link(path)
    if is_scene(path):
        raise LdsceneError("no such file", path=str(path), hint="check the path")
    lib = find_library(library)
    if lib.find_named(str(path)) is None:
        raise LdsceneError(
            "no such file, and no library part of that name",
            path=str(path),
            hint=f"looked in {path.absolute().parent} and in the library {lib.root} "
            "(parts/, p/, models/, unofficial/); check the name",
        )


def check_not_a_source(
    output: Path, sources: Iterable[Path | str], what: str, library: Path | str | None = None
) -> None:
    """Refuse to write `what` over a file the model is made from (the input, or a file it
    reads), or among the LDraw library's parts (`library`: the --library option):
    the write would destroy what it describes.  `new/../model.mpd` is that file too once
    the writer has made `new`, so a path through missing folders is compared as it will be."""
    check_outside_library(output, library, what)
    if not output.exists():
        output = Path(os.path.normpath(os.path.abspath(output)))  # the folders do not exist yet
        if not output.exists():
            return
    for source in sources:
        try:
            same = os.path.samefile(output, source)
        except OSError:  # a source gone, or not a file: not this one
            same = False
        if same:
            raise LdsceneError(
                f"cannot write {what} over a file of the model it is made from",
                path=str(output),
                hint="choose another output file",
            )


def check_outside_library(output: Path, library: Path | str | None, what: str) -> None:
    """`output` (a file or a folder of outputs) is not among the LDraw library's own files:
    its `parts/`, `p/` and `unofficial/` folders and its `LDConfig*.ldr` (its `models/`
    folder is the user's)."""
    try:
        root = find_library(library).root
    except LdsceneError:  # no library: nothing to protect
        return
    if root.is_file():  # a complete.zip read in place
        return
    target = Path(os.path.normpath(os.path.abspath(output))).resolve()
    root = root.resolve()
    if not target.is_relative_to(root) or target == root:
        return
    top = target.relative_to(root).parts[0].lower()
    if top in ("parts", "p", "unofficial") or (top.startswith("ldconfig") and top.endswith(".ldr")):
        raise LdsceneError(
            f"cannot write {what} into the LDraw library's {top} ({root})",
            path=str(output),
            hint="choose a place outside the library's parts",
        )


def load_input(
    path: Path | str,
    library: Path | str | None = None,
    strict: bool = False,
    use_cache: bool = True,
    studs: Studs = StudStyle.FULL,
    wait_for_cache: bool = True,
    progress: Progress | None = None,
) -> LoadedInput:
    """Load a `.ldr/.mpd/.dat` model or a scene `.yaml` into a flattened `Model`.

    `studs`, `wait_for_cache`: see `load_model`; a scene
    takes only a style (a rule means full studs there) and always waits for its cache writes.
    `progress(stage, fraction)`: how a scene's scatters are going.
    """
    path = Path(path)
    rule = as_rule(studs)
    if is_scene(path):
        from ldscene.scene import load_scene

        style = rule if isinstance(rule, StudStyle) else StudStyle.FULL
        scene = load_scene(path, library, strict, use_cache, studs=style, progress=progress)
        return LoadedInput(scene.model, scene)
    lib = find_library(library)
    model = load_model(
        path,
        library=lib,
        strict=strict,
        use_cache=use_cache,
        studs=rule,
        wait_for_cache=wait_for_cache,
    )
    return LoadedInput(model)


@dataclass(frozen=True)
class LoadSettings:
    """How a command finds and loads its input (--library, --strict, --no-cache): the one
    check and load that render, view, turntable, post and the other commands share."""

    library: Path | None = None
    strict: bool = False
    use_cache: bool = True

    def check(self, path: Path) -> None:
        """`check_input`: fail in one line, before any work, on an input that is not there."""
        check_input(path, self.library)

    def load(
        self, path: Path, on_loaded: Callable[[Model], None] | None = None, **options: Any
    ) -> LoadedInput:
        """`load_input` (`options`: studs, wait_for_cache); then `on_loaded(model)`, where a
        command reports missing parts and warnings."""
        loaded = load_input(path, self.library, self.strict, self.use_cache, **options)
        if on_loaded is not None:
            on_loaded(loaded.model)
        return loaded
