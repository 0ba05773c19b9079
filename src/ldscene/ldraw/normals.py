"""Smooth vertex normals for LDraw geometry: smooth across shared edges, hard across creases.

LDraw files carry no normals.  Flat shading makes studs and curved parts look faceted, so the
renderer averages face normals around each vertex, but only across edges that two triangles
really share and that are not creases: an edge marked by a type-2 line, or one where the faces
meet at more than `crease_angle` degrees, stays hard.  Vertices are merged by quantised
position, so geometry from different sub-files still joins up.
"""

from __future__ import annotations

import numpy as np

#: Positions closer than this (LDU) count as the same vertex.
MERGE_TOLERANCE = 0.01
#: Faces meeting at a larger angle (degrees) keep a hard edge.
DEFAULT_CREASE_ANGLE = 50.0


def face_normals(triangles: np.ndarray) -> np.ndarray:
    """Unit normals (T, 3) of counter-clockwise triangles; degenerate ones are zero."""
    tris = np.asarray(triangles, np.float64)
    n = np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0])
    length = np.linalg.norm(n, axis=1, keepdims=True)
    return np.divide(n, length, out=np.zeros_like(n), where=length > 1e-12)


def _pack_rows(rows: np.ndarray, lo: np.ndarray, span: np.ndarray) -> np.ndarray:
    """Integer rows -> one int64 each (mixed radix), order-preserving; needs prod(span) < 2**62."""
    packed = np.zeros(len(rows), np.int64)
    for k in range(rows.shape[1]):
        packed = packed * int(span[k]) + (rows[:, k] - lo[k])
    return packed


def _unique_rows(rows: np.ndarray, extra: np.ndarray | None = None):
    """np.unique(rows, axis=0, return_inverse=True), fast: rows packed into int64 when they fit.

    With `extra` rows, also returns their index into the unique rows (-1 if absent).
    """
    both = rows if extra is None else np.concatenate([rows, extra])
    if len(both) == 0:
        unique, inverse = rows[:0], np.zeros(0, np.int64)
        found = np.full(0 if extra is None else len(extra), -1, np.int64)
        return (unique, inverse) if extra is None else (unique, inverse, found)
    lo = both.min(axis=0)
    span = both.max(axis=0) - lo + 1
    if np.prod(span.astype(np.float64)) < 2.0**62:
        keys, inverse = np.unique(_pack_rows(both, lo, span), return_inverse=True)
    else:
        keys, inverse = np.unique(both, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    head = inverse[: len(rows)]
    used, head = np.unique(head, return_inverse=True)  # ids of `rows` only, 0..n-1
    if extra is None:
        return used, head
    where = np.full(len(keys), -1, np.int64)
    where[used] = np.arange(len(used))
    return used, head, where[inverse[len(rows) :]]


def connected_components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Component labels (n,) of n nodes joined by edges (a[i], b[i]), numbered 0.. in the
    order of each component's lowest node (as scipy.sparse.csgraph labels them).

    Label propagation with pointer jumping, in numpy: a few rounds for the small fans of
    corners that smooth shading joins, without importing scipy (0.15 s) on a render's path.
    """
    label = np.arange(n)
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    while True:
        la, lb = label[a], label[b]
        differ = la != lb
        if not differ.any():
            break
        a, b, la, lb = a[differ], b[differ], la[differ], lb[differ]
        low = np.minimum(la, lb)
        np.minimum.at(label, la, low)  # hook each root onto the lowest root it touches
        np.minimum.at(label, lb, low)
        while True:  # point every node straight at its root
            parent = label[label]
            if np.array_equal(parent, label):
                break
            label = parent
    roots = label == np.arange(n)
    return (np.cumsum(roots) - 1)[label]


def smooth_normals(
    triangles: np.ndarray,
    edges: np.ndarray | None = None,
    crease_angle: float = DEFAULT_CREASE_ANGLE,
    tolerance: float = MERGE_TOLERANCE,
    group: np.ndarray | None = None,
    edge_group: np.ndarray | None = None,
    return_groups: bool = False,
):
    """Per-corner normals (T, 3, 3) float32 for triangles (T, 3, 3), hard across `edges` (E, 2, 3).

    Two triangles are smoothed together at an edge only if they share both of its (merged)
    vertices, the edge is not one of the type-2 `edges`, and their face normals differ by less
    than `crease_angle`.  Corner normals average the face normals (area-weighted) over each
    smooth fan.  Triangles wound the other way than their neighbours never smooth with them.
    `group` (T,) and `edge_group` (E,) let one call handle many independent meshes:
    triangles of different groups never share vertices, and an edge only acts in its group.
    With `return_groups`, also returns (T, 3) fan ids: corners with the same id share one
    merged position and one normal, so they can share a GPU vertex.
    """
    tris = np.asarray(triangles, np.float64).reshape(-1, 3, 3)
    n_tris = len(tris)
    if n_tris == 0:
        empty = np.zeros((0, 3, 3), np.float32)
        return (empty, np.zeros((0, 3), np.int64)) if return_groups else empty
    raw = np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0])  # |raw| = 2 * area
    unit = face_normals(tris)

    # Merge corners (and type-2 line ends) by quantised position within their group.
    corner_keys = np.round(tris.reshape(-1, 3) / tolerance).astype(np.int64)
    has_edges = edges is not None and len(edges) > 0
    end_keys = (
        np.round(np.asarray(edges, np.float64).reshape(-1, 3) / tolerance).astype(np.int64)
        if has_edges
        else np.zeros((0, 3), np.int64)
    )
    if group is not None:
        corner_keys = np.concatenate(
            [np.repeat(np.asarray(group, np.int64), 3)[:, None], corner_keys], axis=1
        )
        eg = np.zeros(len(end_keys) // 2, np.int64) if edge_group is None else edge_group
        end_keys = np.concatenate(
            [np.repeat(np.asarray(eg, np.int64), 2)[:, None], end_keys], axis=1
        )
    used, vid, ev = _unique_rows(corner_keys, end_keys)
    vid = vid.reshape(n_tris, 3)
    n_vertices = max(len(used), 1)

    # Half-edges: corner k of triangle t to corner (k+1) % 3.
    corner = np.arange(3 * n_tris).reshape(n_tris, 3)
    a_v, b_v = vid, np.roll(vid, -1, axis=1)
    a_c, b_c = corner, np.roll(corner, -1, axis=1)
    lo_v, hi_v = np.minimum(a_v, b_v).ravel(), np.maximum(a_v, b_v).ravel()
    lo_c = np.where(a_v <= b_v, a_c, b_c).ravel()
    hi_c = np.where(a_v <= b_v, b_c, a_c).ravel()
    tri_of = np.repeat(np.arange(n_tris), 3)
    keep = lo_v != hi_v  # skip collapsed edges
    key = lo_v.astype(np.int64) * n_vertices + hi_v

    order = np.argsort(key[keep], kind="stable")
    idx = np.flatnonzero(keep)[order]
    k_sorted = key[idx]
    same = k_sorted[1:] == k_sorted[:-1]  # consecutive half-edges on the same edge
    first, second = idx[:-1][same], idx[1:][same]

    t1, t2 = tri_of[first], tri_of[second]
    cos_limit = np.cos(np.radians(crease_angle))
    smooth = np.einsum("ij,ij->i", unit[t1], unit[t2]) > cos_limit

    ev = ev.reshape(-1, 2)
    ev = ev[(ev >= 0).all(axis=1)]
    if len(ev):
        hard = np.minimum(ev[:, 0], ev[:, 1]) * n_vertices + np.maximum(ev[:, 0], ev[:, 1])
        smooth &= ~np.isin(k_sorted[:-1][same], hard)

    first, second = first[smooth], second[smooth]
    # Join the corners at both ends of each smooth shared edge.
    rows = np.concatenate([lo_c[first], hi_c[first]])
    cols = np.concatenate([lo_c[second], hi_c[second]])
    n_corners = 3 * n_tris
    fan = connected_components(n_corners, rows, cols)

    weights = np.repeat(raw, 3, axis=0)  # each corner contributes its face's area normal
    n_fans = fan.max() + 1
    sums = np.stack([np.bincount(fan, weights[:, k], n_fans) for k in range(3)], axis=1)
    normals = sums[fan]
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    fallback = np.repeat(unit, 3, axis=0)
    normals = np.where(length > 1e-12, normals / np.maximum(length, 1e-300), fallback)
    normals = normals.reshape(n_tris, 3, 3).astype(np.float32)
    if return_groups:
        return normals, fan.reshape(n_tris, 3)
    return normals
