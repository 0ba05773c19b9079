"""A model flattened to placed, instanced leaves: what every consumer of the engine reads."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ldscene.ldraw.colours import ColourTable
from ldscene.ldraw.geometry import PartGeometry
from ldscene.ldraw.studs import StudStyle


@dataclass(frozen=True)
class Leaf:
    """A file whose geometry is built once and instanced: a part, a primitive placed directly,
    or the loose geometry (type 2-5 lines) that a model file draws itself."""

    name: str  # file name as LDraw writes it, lower case, `\\` separators ("3001.dat")
    description: str  # the file's title line
    is_part: bool  # counts as a brick in `parts`, the BOM and `info`
    geometry: PartGeometry


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
    """

    name: str
    leaves: list[Leaf]
    leaf: np.ndarray  # (P,) int32
    colour: np.ndarray  # (P,) int32
    transform: np.ndarray  # (P, 4, 4) float64
    path: np.ndarray  # (P,) int32
    step: np.ndarray  # (P,) int32, STEP number inside the sub-model it comes from
    paths: list[tuple[str, ...]]
    colours: ColourTable
    missing: list[MissingReference] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    studs: StudStyle = StudStyle.FULL  # how the leaves' studs were drawn (see `studs.py`)

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
