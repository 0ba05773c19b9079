"""A model flattened to placed, instanced leaves: what every consumer of the engine reads."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np

from ldscene.ldraw.colours import ColourTable
from ldscene.ldraw.geometry import PartGeometry
from ldscene.ldraw.studs import StudStyle

K = TypeVar("K", bound=Hashable)


class Interner(Generic[K]):
    """Hands out one small id per distinct item, in order of first use (leaves, chains)."""

    def __init__(self, items: Sequence[K] = ()) -> None:
        self.items: list[K] = []
        self._ids: dict[K, int] = {}
        for item in items:
            self.id(item)

    def id(self, item: K, key: Hashable | None = None) -> int:
        """The id of `item` (compared by `key` when given), added if new."""
        key = item if key is None else key
        found = self._ids.get(key)
        if found is None:
            found = self._ids[key] = len(self.items)
            self.items.append(item)
        return found

    def __len__(self) -> int:
        return len(self.items)


def stack_or(parts: list[np.ndarray], shape: tuple, dtype) -> np.ndarray:
    """Concatenate `parts` as `dtype`, or an empty array of `shape` when there are none."""
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(shape, dtype)


@dataclass(frozen=True)
class Leaf:
    """A file whose geometry is built once and instanced: a part, a primitive placed directly,
    or the loose geometry (type 2-5 lines) that a model file draws itself."""

    name: str  # file name as LDraw writes it, lower case, `\\` separators ("3001.dat")
    description: str  # the file's title line
    is_part: bool  # counts as a brick in `parts`, the BOM and `info`
    geometry: PartGeometry
    # read from the LDraw library (not an MPD block or a user's file that may share a
    # library part's name): an LDraw export references it by name
    from_library: bool = True
    # its file's `Author:` and `!LICENSE` lines, for a file not in the library (an MPD's own
    # part): an export that writes it out keeps its attribution
    credits: tuple[str, ...] = ()
    # placed after a model's `0 BFC INVERTNEXT`: its geometry is drawn inside out (its
    # winding reversed), which an LDraw export says again before a reference by name
    inverted: bool = False
    # (name, title) parts lists give instead: a "~Moved to" stub that turns the part it moved
    # to keeps its own name (an export places its geometry by it), but is that part
    listed_as: tuple[str, str] | None = None

    @property
    def listed(self) -> tuple[str, str]:
        """(name, title) as parts lists and part counts give it."""
        return self.listed_as or (self.name, self.description)


@dataclass(frozen=True)
class MissingReference:
    name: str  # as written in the referencing line
    path: str  # the file that asked for it
    line: int


@dataclass
class Model:
    """A model as placed instances of leaves.

    Instance arrays are parallel: instance ``i`` draws ``leaves[leaf[i]]`` in colour
    ``colour[i]`` (replacing the leaf's 16s) with the 4×4 LDraw-space ``transform[i]``.
    ``path[i]`` indexes `paths`, the chain of sub-model names it was reached through.
    Every producer goes through this constructor (or `select`), which casts the arrays to
    the dtypes below, so a model never carries another dtype or loses a field.
    """

    name: str
    leaves: list[Leaf]
    leaf: np.ndarray  # (P,) int32
    colour: np.ndarray  # (P,) int64
    transform: np.ndarray  # (P, 4, 4) float64
    path: np.ndarray  # (P,) int32
    step: np.ndarray  # (P,) int32, STEP number inside the sub-model it comes from
    paths: list[tuple[str, ...]]
    colours: ColourTable
    missing: list[MissingReference] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    studs: StudStyle = StudStyle.FULL  # how the leaves' studs were drawn (see `studs.py`)
    # The files on disk outside the library it was read from (a scene: the scene file too),
    # resolved (see `read_from`).
    files: tuple[Path, ...] = ()
    # A library part named as the input (`ldscene render 3001`): its file in a library
    # folder (see `read_from`).
    part_file: Path | None = None
    title: str = ""  # the main file's title line ("Blizzard Baron"), "" if it has none
    # The STEP of the line that placed each sub-model chain's last sub-model in its parent,
    # by chain (one that only groups other sub-models too; none known, as in a scene: empty)
    chain_steps: dict[tuple[str, ...], int] = field(default_factory=dict)
    # each sub-model's title line, by the name its chains give it (none known: empty)
    sub_model_titles: dict[str, str] = field(default_factory=dict)
    credits: tuple[str, ...] = ()  # the main file's `Author:` and `!LICENSE` lines
    # The file given as the input (a model, or a scene whose `name` is made up): what
    # messages about the whole model name (see `label`).
    source: Path | None = None

    @property
    def label(self) -> str:
        """How messages about the whole model name it: its input file, else its name."""
        return str(self.source) if self.source is not None else self.name

    @property
    def read_from(self) -> tuple[Path, ...]:
        """Every file on disk whose change changes this model: `files`, and `part_file`
        (what `ldscene view` watches and a batch's record digests)."""
        return (*self.files, self.part_file) if self.part_file else self.files

    def __post_init__(self) -> None:
        self.leaf = np.asarray(self.leaf, np.int32).reshape(-1)
        self.colour = np.asarray(self.colour, np.int64).reshape(-1)
        self.transform = np.asarray(self.transform, np.float64).reshape(-1, 4, 4)
        self.path = np.asarray(self.path, np.int32).reshape(-1)
        self.step = np.asarray(self.step, np.int32).reshape(-1)

    def select(
        self, index: slice | np.ndarray, name: str | None = None, colour: np.ndarray | None = None
    ) -> Model:
        """Some of the instances (sharing the leaves, paths and every other field); `colour`,
        indexed like the model's own, replaces their colours."""
        return replace(
            self,
            name=self.name if name is None else name,
            leaf=self.leaf[index],
            colour=(self.colour if colour is None else colour)[index],
            transform=self.transform[index],
            path=self.path[index],
            step=self.step[index],
        )

    @property
    def fast_studs(self) -> bool:
        """True when studs were drawn with LDraw's 8-sided fast-draw primitives (read-only;
        `studs` says which style)."""
        return self.studs is StudStyle.FAST

    @property
    def n_instances(self) -> int:
        return len(self.leaf)

    def part_mask(self) -> np.ndarray:
        is_part = np.array([leaf.is_part for leaf in self.leaves], bool)
        return is_part[self.leaf] if len(self.leaf) else np.zeros(0, bool)
