"""Per-file geometry as numpy arrays: the unit that is expanded once and instanced."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

#: Colour code meaning "the colour of the referencing line".
MAIN_COLOUR = 16
#: Colour code meaning "the edge colour of the current colour".
EDGE_COLOUR = 24


def edge_of(code: int) -> int:
    """Encode "the edge colour of colour `code`" as a negative code (see `ColourTable`)."""
    return -code - 1


@dataclass
class PartGeometry:
    """Geometry of one LDraw file expanded through its sub-files, in the file's own frame.

    Colour codes stay symbolic where the file inherits them: 16 means the colour of the line
    that places this geometry, 24 that colour's edge colour, a negative code ``-c-1`` the edge
    colour of concrete colour ``c``.  One `PartGeometry` therefore serves every colour a part is
    placed in.  Triangles are wound counter-clockwise seen from their front side.
    """

    triangles: np.ndarray  # (T, 3, 3) float32 corner positions
    triangle_colours: np.ndarray  # (T,) int32
    two_sided: np.ndarray  # (T,) bool: not BFC-certified, draw both faces
    edges: np.ndarray  # (E, 2, 3) float32 type-2 line end points
    edge_colours: np.ndarray  # (E,) int32
    cond_lines: np.ndarray  # (C, 4, 3) float32: p1, p2, control1, control2
    cond_colours: np.ndarray  # (C,) int32
    n_quads: int = 0  # quads among `triangles` (each counted as two triangles there)

    @classmethod
    def empty(cls) -> PartGeometry:
        return cls(
            triangles=np.zeros((0, 3, 3), np.float32),
            triangle_colours=np.zeros(0, np.int32),
            two_sided=np.zeros(0, bool),
            edges=np.zeros((0, 2, 3), np.float32),
            edge_colours=np.zeros(0, np.int32),
            cond_lines=np.zeros((0, 4, 3), np.float32),
            cond_colours=np.zeros(0, np.int32),
        )

    @property
    def n_triangles(self) -> int:
        return len(self.triangles)

    def is_empty(self) -> bool:
        return not (len(self.triangles) or len(self.edges) or len(self.cond_lines))


def content_key(geometry: PartGeometry, fields: tuple[str, ...], salt: str) -> str:
    """A hash of `salt` and the named arrays of `geometry`: the key under which something
    computed from exactly those arrays is cached on disk."""
    digest = hashlib.sha1(salt.encode())
    for name in fields:
        a = np.ascontiguousarray(getattr(geometry, name))
        digest.update(str(a.shape).encode() + str(a.dtype).encode() + a.tobytes())
    return digest.hexdigest()
