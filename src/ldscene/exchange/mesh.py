"""Shared pieces of the mesh exporters: units, axes, colour resolution, per-leaf vertex buffers.

Every exporter reads a `Model` (instances of leaves in LDraw space: -Y up, 1 LDU units) and
writes into a target frame: Y-up (glTF, OBJ) or Z-up (STL), scaled to the requested units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ldscene.errors import LdsceneError
from ldscene.ldraw.geometry import PartGeometry
from ldscene.ldraw.model import Model
from ldscene.ldraw.units import LDU_PER_UNIT

#: Length of one LDraw unit in each supported output unit.
UNITS: dict[str, float] = {name: 1 / LDU_PER_UNIT[name] for name in ("ldu", "mm", "cm", "m")}

#: LDraw (-Y up, front towards -Z) → Y-up with the front towards +Z: a 180° turn about X.
LDRAW_TO_Y_UP = np.diag([1.0, -1.0, -1.0, 1.0])
#: LDraw → Z-up (3D printing, CAD): x stays, up = -y, depth = z.  Right-handed, det +1.
LDRAW_TO_Z_UP = np.array(
    [[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, -1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]]
)


def frame(units: str, up: str = "y") -> np.ndarray:
    """4×4 matrix taking LDraw coordinates to the output frame and units."""
    if units not in UNITS:
        raise LdsceneError(f"unknown units {units!r}", hint=f"use one of {', '.join(UNITS)}")
    axes = LDRAW_TO_Y_UP if up == "y" else LDRAW_TO_Z_UP
    scale = np.diag([UNITS[units]] * 3 + [1.0])
    return scale @ axes


def corner_normals(geometry: PartGeometry) -> np.ndarray:
    """(T, 3, 3) unit normals per triangle corner: smoothed across non-edge seams when the
    engine offers `smooth_normals`, else flat."""
    tris = geometry.triangles.astype(np.float64)
    try:
        from ldscene.ldraw.normals import smooth_normals
    except ImportError:
        smooth_normals = None
    if smooth_normals is not None and len(tris):
        try:
            normals = np.asarray(smooth_normals(geometry.triangles, geometry.edges), np.float64)
            if normals.shape == tris.shape:
                return _unit(normals)
        except Exception:  # noqa: BLE001 - smoothing is cosmetic; never fail an export on it
            pass
    face = np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0])
    return np.repeat(_unit(face)[:, None, :], 3, axis=1)


def _unit(v: np.ndarray) -> np.ndarray:
    length = np.linalg.norm(v, axis=-1, keepdims=True)
    out = np.divide(v, length, out=np.zeros_like(v), where=length > 1e-12)
    bad = length[..., 0] <= 1e-12
    out[bad] = (0.0, -1.0, 0.0)  # degenerate triangle: any unit vector (LDraw up)
    return out


@dataclass
class LeafBuffers:
    """A leaf's triangles as indexed vertices (position + normal deduplicated)."""

    positions: np.ndarray  # (V, 3) float64, leaf frame, LDU
    normals: np.ndarray  # (V, 3) float64 unit
    indices: np.ndarray  # (T, 3) int64 into positions
    colours: np.ndarray  # (T,) symbolic colour codes
    two_sided: np.ndarray  # (T,) bool


def leaf_buffers(geometry: PartGeometry) -> LeafBuffers:
    """Index a leaf's triangle soup: corners sharing position and normal become one vertex."""
    tris = geometry.triangles.astype(np.float64).reshape(-1, 3)
    normals = corner_normals(geometry).reshape(-1, 3)
    if not len(tris):
        empty = np.zeros((0, 3))
        return LeafBuffers(
            empty, empty, np.zeros((0, 3), np.int64), np.zeros(0, np.int64), np.zeros(0, bool)
        )
    key = np.concatenate([np.round(tris, 4), np.round(normals, 4)], axis=1)
    _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    return LeafBuffers(
        positions=tris[first],
        normals=normals[first],
        indices=inverse.reshape(-1, 3).astype(np.int64),
        colours=geometry.triangle_colours.astype(np.int64),
        two_sided=geometry.two_sided.astype(bool),
    )


def instances_by_leaf(model: Model) -> dict[int, np.ndarray]:
    """Instance indices grouped by leaf, leaves without triangles left out."""
    groups: dict[int, np.ndarray] = {}
    if not model.n_instances:
        return groups
    order = np.argsort(model.leaf, kind="stable")
    leaves, starts = np.unique(model.leaf[order], return_index=True)
    for leaf, chunk in zip(leaves, np.split(order, starts[1:]), strict=True):
        if model.leaves[int(leaf)].geometry.n_triangles:
            groups[int(leaf)] = chunk
    return groups


def check_nonempty(model: Model) -> None:
    if not instances_by_leaf(model):
        said = model.missing or model.warnings
        raise LdsceneError(
            f"{model.label}: nothing to export: it has no triangles",
            hint="it draws nothing: see the warnings above (missing parts?)"
            if said
            else "it places nothing that draws (every entry placed 0 times, or only lines)",
        )
