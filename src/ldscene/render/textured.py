"""Textured triangles (LDraw's `!TEXMAP`) as drawable meshes, for every engine and exporter.

Each group is one leaf's triangles with one image, in one resolved colour, drawn by the
instances that place that leaf in that colour (mirrored placements apart, wound the other way),
so a printed part placed 50 times is still one mesh.  The image is composited over the part's
colour here, once, as the spec asks (the PNG's alpha shows the part's colour through), so the
engines only sample an opaque RGB picture.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ldscene.ldraw.colours import ColourTable, resolve_codes
from ldscene.ldraw.geometry import EDGE_COLOUR, MAIN_COLOUR
from ldscene.ldraw.model import Model
from ldscene.ldraw.normals import smooth_normals
from ldscene.ldraw.texmap import decode_image


@dataclass
class TexturedMesh:
    """One leaf's triangles with one image in one resolved colour, and who draws them."""

    leaf: int
    code: int  # resolved colour code of the triangles (the colour under the image)
    image_key: str  # where the image came from (see ldraw/texmap.py)
    png: bytes  # the image file as found
    positions: np.ndarray  # (V, 3) float32, the leaf's LDraw frame, three corners per triangle
    normals: np.ndarray  # (V, 3) float32
    uvs: np.ndarray  # (V, 2) float32, (0, 0) the image's top-left
    faces: np.ndarray  # (F, 3) uint32, counter-clockwise (two-sided faces doubled)
    originals: int  # the first `originals` faces are the leaf's own (the rest: back faces)
    instances: np.ndarray  # indices into the model's instance arrays
    mirrored: bool

    def rgba(self, table: ColourTable) -> np.ndarray:
        """(H, W, 4) uint8 sRGB: the image over the colour; alpha the colour's alpha."""
        colour = table.get(self.code)
        return composite(self.png, colour.rgb, colour.alpha)


def textured_meshes(model: Model, poses_mirrored: np.ndarray) -> list[TexturedMesh]:
    """Every textured group of `model`; `poses_mirrored` (P,) says which placements mirror."""
    result: list[TexturedMesh] = []
    leaf_of = np.asarray(model.leaf, np.int64)
    colour_of = np.asarray(model.colour, np.int64)
    for index in np.unique(leaf_of).tolist():
        geom = model.leaves[index].geometry
        if not geom.textured:
            continue
        placed = np.flatnonzero(leaf_of == index)
        images = geom.images()
        names = [str(n) for n in geom.texture_names]
        for piece in leaf_pieces(geom):
            code = piece.code
            for mirrored in (False, True):
                chosen = placed[poses_mirrored[placed] == mirrored]
                if not len(chosen):
                    continue
                if code in (MAIN_COLOUR, EDGE_COLOUR):  # the instance's colour: one per colour
                    groups = [chosen[colour_of[chosen] == c] for c in np.unique(colour_of[chosen])]
                else:
                    groups = [chosen]
                for inst in groups:
                    resolved = int(resolve_codes(np.array([code]), int(colour_of[inst[0]]))[0])
                    faces = piece.faces[:, ::-1].copy() if mirrored else piece.faces
                    result.append(
                        TexturedMesh(
                            index, resolved, names[piece.image], images[piece.image],
                            piece.positions, piece.normals, piece.uvs, faces, piece.originals,
                            inst, mirrored,
                        )
                    )  # fmt: skip
    return result


@dataclass
class Piece:
    """A leaf's triangles with one image and one raw colour code, as a vertex soup."""

    image: int  # index into the geometry's images
    code: int  # raw LDraw code (16/24: the instance's colour)
    positions: np.ndarray  # (V, 3) float32, three corners per triangle
    normals: np.ndarray  # (V, 3) float32
    uvs: np.ndarray  # (V, 2) float32
    faces: np.ndarray  # (F, 3) uint32
    originals: int  # faces before the added back faces
    two_sided: bool  # some of its triangles are not BFC-certified


def leaf_pieces(geom, back_faces: bool = True) -> list[Piece]:
    """The textured triangles of a leaf, by (image, raw colour); with `back_faces` the
    two-sided ones are doubled (reversed, normals flipped) for back-face culling."""
    textured = geom.texture >= 0
    tris = np.asarray(geom.triangles[textured], np.float32)
    normals = smooth_normals(tris, np.asarray(geom.edges, np.float32))
    out = []
    keys = np.stack([geom.texture[textured], geom.triangle_colours[textured]], 1)
    for image, code in np.unique(keys, axis=0).tolist():
        sel = (keys[:, 0] == image) & (keys[:, 1] == code)
        t, n, uv = tris[sel], normals[sel], geom.uvs[textured][sel]
        two = np.asarray(geom.two_sided[textured][sel], bool)
        originals = len(t)
        if back_faces and two.any():
            t = np.concatenate([t, t[two][:, ::-1]])
            n = np.concatenate([n, -n[two][:, ::-1]])
            uv = np.concatenate([uv, uv[two][:, ::-1]])
        out.append(
            Piece(
                int(image),
                int(code),
                t.reshape(-1, 3),
                np.asarray(n, np.float32).reshape(-1, 3),
                np.asarray(uv, np.float32).reshape(-1, 2),
                np.arange(3 * len(t), dtype=np.uint32).reshape(-1, 3),
                originals,
                bool(two.any()),
            )
        )
    return out


def composite(png: bytes, rgb, alpha: float = 1.0) -> np.ndarray:
    """(H, W, 4) uint8: the PNG over the solid sRGB colour `rgb` (0..1), alpha `alpha`."""
    image = decode_image(png).astype(np.float32) / 255.0
    a = image[..., 3:]
    base = np.asarray(rgb, np.float32).reshape(1, 1, 3)
    out = np.empty(image.shape, np.float32)
    out[..., :3] = image[..., :3] * a + base * (1.0 - a)
    out[..., 3] = np.maximum(float(alpha), a[..., 0]) if alpha < 1.0 else 1.0
    return np.round(np.clip(out, 0.0, 1.0) * 255.0).astype(np.uint8)
