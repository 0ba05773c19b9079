"""Per-file geometry as numpy arrays: the unit that is expanded once and instanced."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

import numpy as np

#: Colour code meaning "the colour of the referencing line".
MAIN_COLOUR = 16
#: Colour code meaning "the edge colour of the current colour".
EDGE_COLOUR = 24


def turn_normals(normals: np.ndarray, linear: np.ndarray) -> np.ndarray:
    """Unit normals (N, V, 3) of the (V, 3) `normals` under the (N, 3, 3) linear parts of N
    placements: by the cofactor matrix, |det M| M^-T, which is right for mirrored and scaled
    placements and which a flattening one (det 0: no inverse) has too.  A normal that the
    flattening collapses (its triangle lies edge-on: no area) becomes the flattened plane's."""
    linear = np.asarray(linear, np.float64)
    a, b, c = linear[:, :, 0], linear[:, :, 1], linear[:, :, 2]
    cofactor = np.stack([np.cross(b, c), np.cross(c, a), np.cross(a, b)], axis=2)
    cofactor *= np.where(np.linalg.det(linear) < 0, -1.0, 1.0)[:, None, None]
    turned = np.asarray(normals, np.float64) @ cofactor.transpose(0, 2, 1)
    length = np.linalg.norm(turned, axis=-1, keepdims=True)
    columns = np.linalg.norm(cofactor, axis=1)  # (N, 3)
    plane = cofactor[np.arange(len(cofactor)), :, columns.argmax(axis=1)]
    plane_length = np.linalg.norm(plane, axis=-1, keepdims=True)
    plane = np.where(plane_length > 0, plane / np.maximum(plane_length, 1e-300), [0.0, 1.0, 0.0])
    collapsed = length <= 1e-12 * np.maximum(columns.max(axis=1), 1e-300)[:, None, None]
    return np.where(collapsed, plane[:, None, :], turned / np.maximum(length, 1e-300))


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

    Textured triangles (LDraw's `!TEXMAP`, see `texmap.py`) carry texture coordinates and the
    index of their image; the images travel with the geometry (PNG bytes, concatenated), so a
    textured part is still one mesh for every placement.  Untextured geometry has empty
    texture arrays.
    """

    triangles: np.ndarray  # (T, 3, 3) float32 corner positions
    triangle_colours: np.ndarray  # (T,) int32
    two_sided: np.ndarray  # (T,) bool: not BFC-certified, draw both faces
    edges: np.ndarray  # (E, 2, 3) float32 type-2 line end points
    edge_colours: np.ndarray  # (E,) int32
    cond_lines: np.ndarray  # (C, 4, 3) float32: p1, p2, control1, control2
    cond_colours: np.ndarray  # (C,) int32
    n_quads: int = 0  # quads among `triangles` (each counted as two triangles there)
    # (T, 3, 2) float32 texture coordinates ((0, 0): the image's top-left); empty if untextured
    uvs: np.ndarray = field(default_factory=lambda: np.zeros((0, 3, 2), np.float32))
    # (T,) int16 image index per triangle, -1 for none; empty if untextured
    texture: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int16))
    texture_names: np.ndarray = field(default_factory=lambda: np.zeros(0, "U1"))  # (K,) keys
    texture_data: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint8))  # PNGs
    texture_ends: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # (K,)
    # (T,) bool: the triangles the raster engine's shadow map leaves out (stud tubes, and
    # studs under fast-draw studs: `studs.casts_no_shadow`); empty when none
    shadowless: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))

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

    @property
    def textured(self) -> bool:
        return bool(len(self.texture)) and bool((self.texture >= 0).any())

    def untextured(self) -> PartGeometry:
        """This geometry without its textured triangles (drawn with their images apart)."""
        if not self.textured:
            return self
        plain = self.texture < 0
        return replace(
            self,
            triangles=self.triangles[plain],
            triangle_colours=self.triangle_colours[plain],
            two_sided=self.two_sided[plain],
            uvs=self.uvs[:0],
            texture=self.texture[:0],
            shadowless=self.shadowless_mask()[plain],
        )

    def shadowless_mask(self) -> np.ndarray:
        """(T,) bool: which triangles the shadow map leaves out."""
        if len(self.shadowless) == len(self.triangles):
            return self.shadowless
        return np.zeros(len(self.triangles), bool)

    def images(self) -> list[bytes]:
        """The PNG bytes of each image `texture` indexes."""
        starts = np.concatenate([[0], self.texture_ends[:-1]]).astype(np.int64)
        data = self.texture_data.tobytes()
        return [data[a:b] for a, b in zip(starts, self.texture_ends.astype(np.int64))]

    def is_empty(self) -> bool:
        return not (len(self.triangles) or len(self.edges) or len(self.cond_lines))

    def radius_xz(self) -> float:
        """How far any point lies from the y axis (a primitive's axis), in its own units."""
        points = [a.reshape(-1, 3) for a in (self.triangles, self.edges, self.cond_lines[:, :2])]
        xz = np.concatenate(points)[:, [0, 2]]
        return float(np.sqrt((xz * xz).sum(axis=1)).max()) if len(xz) else 0.0


def content_key(geometry: PartGeometry, fields: tuple[str, ...], salt: str) -> str:
    """A hash of `salt` and the named arrays of `geometry`: the key under which something
    computed from exactly those arrays is cached on disk."""
    digest = hashlib.sha1(salt.encode())
    for name in fields:
        a = np.ascontiguousarray(getattr(geometry, name))
        digest.update(str(a.shape).encode() + str(a.dtype).encode() + a.tobytes())
    return digest.hexdigest()
