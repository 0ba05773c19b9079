"""Bounding boxes and surface samples of placed instances (LDraw axes)."""

from __future__ import annotations

import numpy as np

from ldscene.ldraw.geometry import PartGeometry
from ldscene.ldraw.model import Model

# Keyed by id(); each value keeps its geometry alive so that an id is never reused.
_BOX_CACHE: dict[int, tuple[PartGeometry, tuple[np.ndarray, np.ndarray] | None]] = {}
_SAMPLE_CACHE: dict[tuple[int, float, str], tuple[PartGeometry, np.ndarray]] = {}


def geometry_box(geometry: PartGeometry) -> tuple[np.ndarray, np.ndarray] | None:
    """(min, max) of a leaf's triangles and lines, or None when it draws nothing."""
    key = id(geometry)
    if key not in _BOX_CACHE:
        pts = [geometry.triangles.reshape(-1, 3), geometry.edges.reshape(-1, 3)]
        pts = np.concatenate(pts) if any(len(p) for p in pts) else np.zeros((0, 3))
        box = (pts.min(0).astype(float), pts.max(0).astype(float)) if len(pts) else None
        _BOX_CACHE[key] = (geometry, box)
    return _BOX_CACHE[key][1]


def instance_boxes(
    model: Model, index: slice | np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """World boxes of instances: (lo (n,3), hi (n,3), has_geometry (n,))."""
    leaf = model.leaf if index is None else model.leaf[index]
    transform = model.transform if index is None else model.transform[index]
    n = len(leaf)
    lo, hi = np.zeros((n, 3)), np.zeros((n, 3))
    if not n:
        return lo, hi, np.zeros(n, bool)
    unique, inverse = np.unique(leaf, return_inverse=True)
    corners = np.zeros((len(unique), 8, 3))  # each leaf's box corners, once
    drawn = np.zeros(len(unique), bool)
    for k, li in enumerate(unique):
        box = geometry_box(model.leaves[li].geometry)
        if box is not None:
            a, b = box
            corners[k] = [
                [x, y, z] for x in (a[0], b[0]) for y in (a[1], b[1]) for z in (a[2], b[2])
            ]
            drawn[k] = True
    valid = drawn[inverse.reshape(-1)]
    placed = transform[valid]
    world = (
        np.einsum("nij,nkj->nki", placed[:, :3, :3], corners[inverse.reshape(-1)[valid]])
        + placed[:, None, :3, 3]
    )
    lo[valid], hi[valid] = world.min(1), world.max(1)
    return lo, hi, valid


def reaching(model: Model, index: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The instances of `index` that have geometry and whose boxes reach the x-z window
    lo..hi (LDraw x and z): what a height field over that window is built from."""
    blo, bhi, valid = instance_boxes(model, index)
    meet = (
        valid
        & (bhi[:, 0] >= lo[0])
        & (blo[:, 0] <= hi[0])
        & (bhi[:, 2] >= lo[1])
        & (blo[:, 2] <= hi[1])
    )
    return index[meet]


def model_box(
    model: Model, index: slice | np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray] | None:
    """(min, max) over the selected instances, or None when nothing has geometry."""
    lo, hi, valid = instance_boxes(model, index)
    if not valid.any():
        return None
    return lo[valid].min(0), hi[valid].max(0)


def _levels(steps: np.ndarray) -> np.ndarray:
    """Round step counts up to a few shared values (exact to 8, then quarter octaves)."""
    octave = 2.0 ** (np.ceil(np.log2(np.maximum(steps, 1)) * 4) / 4)
    return np.where(steps <= 8, steps, np.ceil(octave)).astype(int)


def sample_triangles(triangles: np.ndarray, spacing: float) -> np.ndarray:
    """Points covering triangles at most `spacing` apart in x-z (vertices included).

    Each triangle gets a barycentric grid with n steps per side, n from its x-z extent.
    """
    tris = np.asarray(triangles, float)
    if not len(tris):
        return np.zeros((0, 3))
    flat = tris[:, :, [0, 2]]
    extent = np.max(np.linalg.norm(flat - np.roll(flat, 1, axis=1), axis=2), axis=1)
    # At least one step: a triangle with no x-z extent (seen edge-on from above) is its corners.
    levels = _levels(np.maximum(np.ceil(extent / spacing), 1))
    out = []
    for level in np.unique(levels):
        group = tris[levels == level]
        i, j = np.meshgrid(np.arange(level + 1), np.arange(level + 1), indexing="ij")
        keep = (i + j) <= level
        u, v = i[keep] / level, j[keep] / level
        chunk = max(1, 4_000_000 // len(u))
        for start in range(0, len(group), chunk):
            g = group[start : start + chunk]
            a, b, c = g[:, 0, None], g[:, 1, None], g[:, 2, None]
            out.append((a + u[None, :, None] * (b - a) + v[None, :, None] * (c - a)).reshape(-1, 3))
    return np.concatenate(out)


def sample_segments(segments: np.ndarray, spacing: float) -> np.ndarray:
    """Points along (n, 2, 3) segments at most `spacing` apart in x-z (ends included)."""
    segs = np.asarray(segments, float)
    if not len(segs):
        return np.zeros((0, 3))
    length = np.linalg.norm(segs[:, 1, [0, 2]] - segs[:, 0, [0, 2]], axis=1)
    levels = _levels(np.ceil(length / spacing))
    out = []
    for level in np.unique(levels):
        group = segs[levels == level]
        u = np.linspace(0.0, 1.0, level + 1)[None, :, None]
        out.append((group[:, 0, None] + u * (group[:, 1, None] - group[:, 0, None])).reshape(-1, 3))
    return np.concatenate(out)


def geometry_samples(geometry: PartGeometry, spacing: float, side: str = "all") -> np.ndarray:
    """Surface sample points of a leaf in its own frame (cached per leaf, spacing, side).

    "top" keeps what can be highest in a column of a closed surface: the inside of faces
    that look up (and of two-sided ones) plus every triangle's edges; "bottom" likewise
    for the lowest; "all" samples every face.  Steep faces are covered by their edges, since
    in a column their extremes lie on their outline.
    """
    key = (id(geometry), spacing, side)
    if key not in _SAMPLE_CACHE:
        tris = np.asarray(geometry.triangles, float)
        if side == "all" or not len(tris):
            pts = sample_triangles(tris, spacing)
        else:
            normal = np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0])
            length = np.linalg.norm(normal, axis=1)
            facing = -normal[:, 1] if side == "top" else normal[:, 1]  # LDraw up is -y
            steep = np.abs(normal[:, 1]) < 0.05 * np.maximum(length, 1e-12)
            inside = ~steep & ((facing > 0) | geometry.two_sided)
            edges = np.stack([tris[:, [0, 1]], tris[:, [1, 2]], tris[:, [2, 0]]], axis=1)
            pts = np.concatenate(
                [
                    sample_triangles(tris[inside], spacing),
                    sample_segments(edges.reshape(-1, 2, 3), spacing),
                ]
            )
        if len(geometry.edges):
            pts = np.concatenate([pts, geometry.edges.reshape(-1, 3).astype(float)])
        _SAMPLE_CACHE[key] = (geometry, pts.astype(np.float32))
    return _SAMPLE_CACHE[key][1]


def model_samples(model: Model, spacing: float, index: np.ndarray | None = None) -> np.ndarray:
    """World sample points of the selected instances (LDraw axes)."""
    sel = np.arange(model.n_instances) if index is None else np.asarray(index)
    out = []
    for li in np.unique(model.leaf[sel]):
        pts = geometry_samples(model.leaves[li].geometry, spacing).astype(float)
        if not len(pts):
            continue
        t = model.transform[sel[model.leaf[sel] == li]]
        moved = np.matmul(pts[None], t[:, :3, :3].transpose(0, 2, 1))
        out.append((moved + t[:, None, :3, 3]).reshape(-1, 3))
    return np.concatenate(out) if out else np.zeros((0, 3))
