"""Checks of settled scatter on the real part geometry (used by test_scatter and test_stalingrad).

`penetrations` measures how deep scattered pieces reach into each other (or into placed
things): every piece's surface is sampled densely, each sample is taken into the other
piece's frame and compared with the nearest sample of that piece's surface and its outward
normal (LDraw triangles are wound counter-clockwise seen from outside, so cross(b - a, c - a)
points out of a BFC-certified part).  A point behind the nearest surface is inside the other
piece, as deep as its distance to that surface's plane.  Two pieces touching give 0; a piece
sunk 2 LDU into another gives 2.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from ldscene.ldraw.model import Model
from ldscene.scene import transforms as tf
from ldscene.scene.bounds import instance_boxes

SPACING = 0.8  # LDU between surface samples
_NEIGHBOURS = 4  # nearest samples that must agree that a point is inside
_LEAVES: dict[int, tuple[object, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
_SAMPLES: dict[int, tuple[object, np.ndarray, np.ndarray, cKDTree]] = {}


def _triangles(geometry) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A leaf's one-sided triangles, their outward normals and boxes (cached)."""
    key = id(geometry)
    if key not in _LEAVES:
        tris = np.asarray(geometry.triangles, float)[~np.asarray(geometry.two_sided, bool)]
        normal = np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0])
        length = np.linalg.norm(normal, axis=1)
        keep = length > 1e-9
        tris, normal = tris[keep], normal[keep] / length[keep, None]
        _LEAVES[key] = (geometry, tris, normal, tris.min(1), tris.max(1))
    return _LEAVES[key][1:]


def _sample(tris: np.ndarray, normal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points on triangles at most SPACING apart, with their triangle's normal."""
    if not len(tris):
        return np.zeros((0, 3)), np.zeros((0, 3))
    extent = np.max(np.linalg.norm(tris - np.roll(tris, 1, axis=1), axis=2), axis=1)
    steps = np.maximum(np.ceil(extent / SPACING), 1).astype(int)
    points, normals = [], []
    for level in np.unique(steps):
        group = tris[steps == level]
        i, j = np.meshgrid(np.arange(level + 1), np.arange(level + 1), indexing="ij")
        inside = (i + j) <= level
        u, v = i[inside] / level, j[inside] / level
        a, b, c = group[:, 0, None], group[:, 1, None], group[:, 2, None]
        pts = a + u[None, :, None] * (b - a) + v[None, :, None] * (c - a)
        points.append(pts.reshape(-1, 3))
        normals.append(np.repeat(normal[steps == level], len(u), axis=0))
    points, normals = np.concatenate(points), np.concatenate(normals)
    # Shared edges give the same points many times over: keep one per small cube and normal.
    cube = np.round(points / (SPACING / 2)).astype(np.int64) + (1 << 15)
    facing = np.round(normals * 4).astype(np.int64) + 4
    key = (cube[:, 0] << 48) | (cube[:, 1] << 32) | (cube[:, 2] << 16)
    key |= (facing[:, 0] << 8) | (facing[:, 1] << 4) | facing[:, 2]
    _, first = np.unique(key, return_index=True)
    first.sort()
    return points[first], normals[first]


def _leaf_samples(geometry) -> tuple[np.ndarray, np.ndarray, cKDTree]:
    """A leaf's surface samples and outward normals in its own frame, and their tree."""
    key = id(geometry)
    if key not in _SAMPLES:
        tris, normal, _, _ = _triangles(geometry)
        points, normals = _sample(tris, normal)
        _SAMPLES[key] = (geometry, points, normals, cKDTree(points))
    return _SAMPLES[key][1:]


def _local_box(t: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The box, in an instance's own frame, around the world box lo..hi."""
    corners = np.array(
        [[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])]
    )
    local = (corners - t[:3, 3]) @ np.linalg.inv(t[:3, :3]).T
    return local.min(0), local.max(0)


def _depth(model: Model, a: int, b: int, lo: np.ndarray, hi: np.ndarray) -> float:
    """How deep instance a's surface, within the world box lo..hi, reaches into b."""
    pa, _, _ = _leaf_samples(model.leaves[model.leaf[a]].geometry)
    pb, nb, tree = _leaf_samples(model.leaves[model.leaf[b]].geometry)
    ta, tb = model.transform[a], model.transform[b]
    llo, lhi = _local_box(ta, lo, hi)
    near = pa[np.all((pa >= llo) & (pa <= lhi), axis=1)]
    if not len(near):
        return 0.0
    world = near @ ta[:3, :3].T + ta[:3, 3]
    local = (world - tb[:3, 3]) @ np.linalg.inv(tb[:3, :3]).T
    distance, index = tree.query(local, k=_NEIGHBOURS, distance_upper_bound=3.0)
    found = index[:, 0] < len(pb)
    if not found.any():
        return 0.0
    local, distance, index = local[found], distance[found], index[found]
    near = index < len(pb)
    index = np.where(near, index, 0)
    behind = -np.einsum("ikj,ikj->ik", local[:, None] - pb[index], nb[index])
    # Inside only where every nearby sample has the point behind it: at a thin edge (a
    # tapering drift, a tile's rim) the nearest sample alone may face the wrong way.
    behind = np.where(near, behind, np.inf).min(axis=1)
    return float(max(np.minimum(behind, distance[:, 0]).max(), 0.0))


def pair_depth(model: Model, a: int, b: int) -> float:
    """How deep (LDU) instances `a` and `b` reach into each other (0: apart or touching)."""
    alo, ahi, _ = instance_boxes(model, np.array([a, b]))
    lo, hi = np.maximum(alo[0], alo[1]) - 3.0, np.minimum(ahi[0], ahi[1]) + 3.0
    if np.any(lo > hi):
        return 0.0
    return max(_depth(model, a, b, lo, hi), _depth(model, b, a, lo, hi))


def overlapping_pairs(
    model: Model, first: np.ndarray, second: np.ndarray | None = None, shrink: float = 1.0
) -> list[tuple[int, int]]:
    """Pairs (i, j) of instances (i from `first`, j from `second` or `first` with i < j)
    whose boxes, each shrunk by `shrink` / 2, overlap."""
    first = np.asarray(first)
    other = first if second is None else np.asarray(second)
    alo, ahi, avalid = instance_boxes(model, first)
    blo, bhi, bvalid = instance_boxes(model, other)
    pairs = []
    half = shrink / 2
    for k in range(len(first)):
        if not avalid[k]:
            continue
        hit = (
            bvalid
            & np.all(blo + half < ahi[k] - half, axis=1)
            & np.all(alo[k] + half < bhi - half, axis=1)
        )
        for j in np.nonzero(hit)[0]:
            if second is None and j <= k:
                continue
            pairs.append((int(first[k]), int(other[j])))
    return pairs


def penetrations(
    model: Model, first: np.ndarray, second: np.ndarray | None = None
) -> list[tuple[float, int, int]]:
    """(depth, i, j) for every overlapping pair, deepest first."""
    out = []
    for i, j in overlapping_pairs(model, first, second):
        out.append((pair_depth(model, i, j), i, j))
    return sorted(out, reverse=True)


def scene_points(model: Model, index: np.ndarray) -> list[np.ndarray]:
    """Each instance's surface samples in scene axes (y up)."""
    out = []
    for k in index:
        tris, _, _, _ = _triangles(model.leaves[model.leaf[k]].geometry)
        t = model.transform[k]
        pts = tris.reshape(-1, 3)  # the corners: a piece's extremes are among them
        out.append(tf.to_scene_point(pts @ t[:3, :3].T + t[:3, 3]))
    return out


def ground(model: Model, place: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The base of a scene: its large flat placed parts (baseplates, big plates at least
    8 x 8 studs) that lie lowest.  Their x-z boxes (lo (n, 2), hi (n, 2), scene axes) and the
    height of their top faces (their LDraw origins)."""
    lo, hi, valid = instance_boxes(model, place)
    slo, shi = tf.to_scene_point(lo), tf.to_scene_point(hi)
    low, high = np.minimum(slo, shi), np.maximum(slo, shi)
    size = high - low
    flat = valid & (size[:, 1] <= 12.5) & (size[:, 0] >= 160) & (size[:, 2] >= 160)
    flat &= low[:, 1] <= low[flat, 1].min() + 12.0
    top = tf.to_scene_point(model.transform[place[flat]][:, :3, 3])[:, 1]
    return low[flat][:, [0, 2]], high[flat][:, [0, 2]], top


def hanging(model: Model, scattered: np.ndarray, place: np.ndarray) -> list[tuple[float, int]]:
    """(how far below the base's top, instance) for scattered instances that reach below the
    top face of the base beside it, outside its footprint (by more than 0.5 LDU), worst first.

    The height compared with is that of the base part nearest the point (its x-z clamped to
    the footprint), so a piece hanging over the edge of a raised floor counts as well."""
    lo, hi, top = ground(model, place)
    outer_lo, outer_hi = lo.min(0), hi.max(0)
    out = []
    for k, pts in zip(scattered, scene_points(model, scattered), strict=True):
        xz = pts[:, [0, 2]]
        inside = np.any(
            np.all((xz[:, None] >= lo[None] - 0.5) & (xz[:, None] <= hi[None] + 0.5), axis=2),
            axis=1,
        )
        outside = ~inside
        if not outside.any():
            continue
        clamped = np.clip(xz[outside], outer_lo, outer_hi)
        holds = np.all(
            (clamped[:, None] >= lo[None] - 1) & (clamped[:, None] <= hi[None] + 1), axis=2
        )
        level = np.where(holds, top[None], -np.inf).max(axis=1)
        level = np.where(np.isfinite(level), level, top.min())
        below = float((level - pts[outside, 1]).max())
        if below > 0:
            out.append((below, int(k)))
    return sorted(out, reverse=True)


def touching(
    model: Model, first: np.ndarray, second: np.ndarray, within: float = 0.5
) -> list[tuple[int, int]]:
    """Pairs (i from `first`, j from `second`) whose surfaces come within `within` LDU."""
    out = []
    for i, j in overlapping_pairs(model, first, second, shrink=-2 * within - 2):
        pi, _, _ = _leaf_samples(model.leaves[model.leaf[i]].geometry)
        pj, _, tree = _leaf_samples(model.leaves[model.leaf[j]].geometry)
        ti, tj = model.transform[i], model.transform[j]
        local = (pi @ ti[:3, :3].T + ti[:3, 3] - tj[:3, 3]) @ np.linalg.inv(tj[:3, :3]).T
        distance, _ = tree.query(local, distance_upper_bound=within + SPACING)
        if np.isfinite(distance).any() and distance.min() <= within + SPACING / 2:
            out.append((i, j))
    return out
