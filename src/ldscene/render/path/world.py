"""Instanced meshes -> one world-space triangle mesh per resolved colour.

Mitsuba's instancing (`shapegroup` + `instance`) compiles one enormous kernel on the LLVM
variant (measured: 155 s and 3.3 GB for King's Castle at 256x192), while a dozen merged
meshes compile in about a second, so the path engine flattens the instances.  Building the
merged arrays is a few vectorised numpy products per batch (0.6 s for King's Castle).

Textured triangles (`render/textured.py`) are merged per group, with texture coordinates.

Two-sided triangles are doubled for the raster engine's back-face culling; here only the
originals are kept (the materials are two-sided), since coincident opposite faces would make
glass refract twice at one surface.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ldscene.ldraw.geometry import turn_normals
from ldscene.render.description import RenderDescription
from ldscene.render.meshes import BatchKind


@dataclass
class WorldMesh:
    """Triangles of one resolved colour, placed: what one Mitsuba shape draws."""

    code: int
    positions: np.ndarray  # (V, 3) float32, GL world
    normals: np.ndarray  # (V, 3) float32, unit
    faces: np.ndarray  # (F, 3) uint32
    texcoords: np.ndarray | None = None  # (V, 2) float32 for a textured mesh
    image: np.ndarray | None = None  # (H, W, 4) uint8 sRGB: its image over the colour

    @property
    def n_triangles(self) -> int:
        return len(self.faces)


def world_meshes(description: RenderDescription) -> list[WorldMesh]:
    """Every visible triangle of the model, merged per resolved colour code."""
    meshes = description.meshes
    parts: dict[int, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
    for batch in meshes.batches:
        if batch.kind is not BatchKind.TRIANGLES or batch.tri_class is None:
            continue
        leaf = meshes.leaves[batch.leaf]
        positions, normals, indices = leaf.surface(batch.tri_class, batch.mirrored)
        codes = np.asarray(meshes.model.leaves[batch.leaf].geometry.untextured().triangle_colours)
        indices = indices[: int(np.count_nonzero(codes == batch.tri_class))]  # originals first
        if not len(indices):
            continue
        used, local = np.unique(indices, return_inverse=True)
        placed = _place(meshes.poses[batch.instances], positions[used], normals[used])
        parts.setdefault(batch.code, []).append((*placed, local.reshape(-1, 3)))
    merged = [_merge(code, pieces) for code, pieces in sorted(parts.items())]
    return merged + _textured(description)


def _textured(description: RenderDescription) -> list[WorldMesh]:
    """One placed mesh per textured group (its image composited over its colour)."""
    table = description.meshes.model.colours
    out = []
    for group in description.textured:
        faces = group.faces[: group.originals]  # the materials are two-sided
        used = np.unique(faces)
        local = np.searchsorted(used, faces)
        poses = description.meshes.poses[group.instances]
        points, turned = _place(poses, group.positions[used], group.normals[used])
        mesh = _merge(group.code, [(points, turned, local)])
        mesh.texcoords = np.tile(group.uvs[used], (len(poses), 1))
        mesh.image = group.rgba(table)
        out.append(mesh)
    return out


def _place(
    poses: np.ndarray, positions: np.ndarray, normals: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(N*V, 3) positions and unit normals of V vertices under N poses."""
    linear = poses[:, :3, :3]
    points = np.matmul(positions.astype(np.float64), linear.transpose(0, 2, 1))
    points += poses[:, None, :3, 3]
    turned = turn_normals(normals, linear)
    return points.reshape(-1, 3).astype(np.float32), turned.reshape(-1, 3).astype(np.float32)


def _merge(code: int, pieces: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> WorldMesh:
    """Concatenate placed copies; each copy of a batch repeats its faces with an offset."""
    positions, normals, faces = [], [], []
    offset = 0
    for points, turned, local in pieces:
        n_vertices = int(local.max()) + 1  # every vertex of a piece is used by its faces
        copies = len(points) // n_vertices
        starts = offset + n_vertices * np.arange(copies, dtype=np.int64)
        faces.append((local[None, :, :] + starts[:, None, None]).reshape(-1, 3))
        positions.append(points)
        normals.append(turned)
        offset += len(points)
    return WorldMesh(
        code,
        np.concatenate(positions),
        np.concatenate(normals),
        np.concatenate(faces).astype(np.uint32),
    )
