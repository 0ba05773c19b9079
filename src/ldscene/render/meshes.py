"""Model -> GPU batches: one instanced mesh per (leaf, resolved colour), never one per brick.

Each leaf's geometry is prepared once (smooth normals, two-sided triangles doubled, vertices
shared) and then drawn with the poses of every instance that uses it in a colour.  Triangles
in a fixed colour are shared by all instances of the leaf; triangles in colour 16/24 get one
batch per instance colour.  Mirrored instances (negative determinant) get their own batch with
the winding reversed so back-face culling stays right.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import Enum

import numpy as np

from ldscene.appearance import srgb_to_linear
from ldscene.ldraw.colours import ColourTable, resolve_codes
from ldscene.ldraw.geometry import EDGE_COLOUR, MAIN_COLOUR, content_key
from ldscene.ldraw.model import Model
from ldscene.ldraw.normals import connected_components, smooth_normals
from ldscene.progress import Progress
from ldscene.render.camera import to_gl

#: Inherit classes: a triangle/line coded 16 or 24 takes its colour from the instance.
_INHERIT = (MAIN_COLOUR, EDGE_COLOUR)


@dataclass
class LeafMesh:
    """One leaf's drawable geometry in its own (LDraw) frame, in the form the GPU takes it."""

    #: raw LDraw code (16/24 inherit) -> (positions (V, 3) float32, normals (V, 3) float32,
    #: indices (T, 3) uint32) of the leaf's triangles in that code, two-sided ones doubled,
    #: those the shadow map leaves out last (`PartGeometry.shadowless`)
    surfaces: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]
    #: raw code -> how many of its triangles come before those (the raster engine's shadow
    #: map draws only these)
    shadow_casting: dict[int, int]
    edge_vertices: np.ndarray  # (V, 3) float32: distinct (end point, colour code) pairs
    edge_vertex_codes: np.ndarray  # (V,) int64 raw codes
    #: (E, 2) uint32: edge lines, indexed (llvmpipe shades V vertices), largest outline first
    edge_indices: np.ndarray
    #: (V,) float32: the bounding-box diagonal of the connected outline each vertex is on
    #: (how big a line comes out on screen: the raster engine fades small ones out)
    edge_outlines: np.ndarray
    cond: np.ndarray  # (C, 4, 3) float32, longest first
    cond_codes: np.ndarray  # (C,)
    cond_lengths: np.ndarray  # (C,) float64: each conditional line's length (`line_lengths`)
    hull: np.ndarray  # (H, 3) float64: the leaf's extreme points (see extreme_points)
    centre: np.ndarray  # (3,) float64

    @property
    def n_triangles(self) -> int:
        return sum(len(indices) for _, _, indices in self.surfaces.values())

    @property
    def n_edges(self) -> int:
        return len(self.edge_indices)

    def surface(self, code: int, mirrored: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(positions, normals, indices) of the triangles in `code`, wound for a mirrored
        placement if asked (reversed, so back-face culling stays right)."""
        positions, normals, indices = self.surfaces[code]
        if mirrored:
            indices = np.ascontiguousarray(indices[:, ::-1])
        return positions, normals, indices


def _surfaces(
    positions: np.ndarray, normals: np.ndarray, triangles: np.ndarray, codes: np.ndarray
) -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Split shared-vertex triangles by colour code, each part with only its own vertices."""
    classes = np.unique(codes)
    if len(classes) == 1:
        return {int(classes[0]): (positions, normals, triangles.astype(np.uint32))}
    result = {}
    for code in classes:
        used, inverse = np.unique(triangles[codes == code], return_inverse=True)
        indices = inverse.reshape(-1, 3).astype(np.uint32)
        result[int(code)] = (positions[used], normals[used], indices)
    return result


def outline_sizes(vertices: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """(V,) float32: the bounding-box diagonal, in model units, of the connected outline of
    indexed lines (E, 2) that each vertex (V, 3) belongs to."""
    sizes = np.zeros(len(vertices), np.float32)
    if not len(indices):
        return sizes
    label = connected_components(len(vertices), indices[:, 0], indices[:, 1])
    order = np.argsort(label, kind="stable")
    ordered = label[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    points = np.asarray(vertices, np.float64)[order]
    low = np.minimum.reduceat(points, starts, axis=0)
    high = np.maximum.reduceat(points, starts, axis=0)
    diagonal = np.linalg.norm(high - low, axis=1)
    sizes[order] = np.repeat(diagonal, np.diff(np.r_[starts, len(order)]))
    return sizes


def line_lengths(lines: np.ndarray) -> np.ndarray:
    """(C,) float64: the length of each line (C, >=2, 3) from its first point to its second."""
    lines = np.asarray(lines, np.float64)
    return np.linalg.norm(lines[:, 1] - lines[:, 0], axis=1)


def conditional_lines(geom) -> dict[str, np.ndarray]:
    """A leaf's conditional lines (C, 4, 3) float32, their codes (C,) and their lengths (C,),
    longest first (the raster engine draws only as many as can still show:
    render/raster/lines.py), as `LeafMesh`'s `cond`, `cond_codes` and `cond_lengths`."""
    lengths = line_lengths(geom.cond_lines)
    longest_first = np.argsort(-lengths, kind="stable")
    return {
        "cond": np.asarray(geom.cond_lines, np.float32)[longest_first],
        "cond_codes": np.asarray(geom.cond_colours, np.int64)[longest_first],
        "cond_lengths": lengths[longest_first],
    }


def indexed_lines(lines: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, ...]:
    """Lines (E, 2, 3) with codes (E,) -> distinct (point, code) vertices (V, 3), their codes
    (V,) and (E, 2) uint32 indices.  Edge lines share most end points."""
    points = np.ascontiguousarray(np.asarray(lines, np.float32).reshape(-1, 3))
    point_codes = np.repeat(np.asarray(codes, np.int64), 2)
    rows = np.concatenate([points.view(np.int32), point_codes.view(np.int32).reshape(-1, 2)], 1)
    rows = np.ascontiguousarray(rows)
    keys = rows.view(np.dtype((np.void, rows.itemsize * rows.shape[1]))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return points[first], point_codes[first], inverse.reshape(-1, 2).astype(np.uint32)


class BatchKind(str, Enum):
    """What a `Batch` draws."""

    TRIANGLES = "tri"  # a leaf's triangles in one raw colour code
    LINES = "edge"  # a leaf's edge lines and its conditional lines


@dataclass
class Batch:
    """A drawable group: leaf triangles (or lines) of one resolved colour, with instances."""

    leaf: int
    kind: BatchKind
    code: int  # resolved LDraw colour code (triangles); the instance colour (lines, inherit) or 16
    mirrored: bool
    instances: np.ndarray  # indices into the model's instance arrays
    tri_class: int | None = None  # raw code of the triangles drawn (TRIANGLES batches)


@dataclass
class ModelMeshes:
    """Everything the renderer needs from a model, built once and reused for every view."""

    model: Model
    leaves: dict[int, LeafMesh]
    batches: list[Batch]
    poses: np.ndarray  # (P, 4, 4) GL-space instance poses
    frame_points: np.ndarray  # (N, 3) GL world extreme points of the visible model
    bounds: np.ndarray  # (2, 3) GL world AABB of the visible model
    n_triangles: int  # drawn triangles (instances x leaf triangles)

    @property
    def empty(self) -> bool:
        return not self.batches


def linear_rgb(table: ColourTable, codes: np.ndarray) -> np.ndarray:
    """(N, 3) linear RGB for resolved codes."""
    unique, inverse = np.unique(np.asarray(codes, np.int64), return_inverse=True)
    rgb = np.array([srgb_to_linear(table.get(int(c)).rgb) for c in unique], np.float32)
    return rgb.reshape(-1, 3)[inverse.reshape(-1)]


#: How far a line drawn in a colour's edge colour goes from its face colour towards that edge
#: colour where the edge is the lighter one: LDConfig gives Black, Dark_Brown and
#: Reddish_Brown mid-grey edges, which drew a dark model's many small parts as a grey
#: wireframe; half-way keeps their outlines without it.
LIGHT_EDGE_SHARE = 0.5


def line_rgb(table: ColourTable, codes: np.ndarray) -> np.ndarray:
    """(N, 3) linear RGB of line vertices in resolved codes: `linear_rgb`, except that an
    edge colour (code -c-1) lighter than its colour c is drawn `LIGHT_EDGE_SHARE` of the way
    from c to it."""
    unique, inverse = np.unique(np.asarray(codes, np.int64), return_inverse=True)
    rgb = linear_rgb(table, unique)
    for i, code in enumerate(unique.tolist()):
        if code < 0:
            face = linear_rgb(table, np.array([-code - 1]))[0]
            if rgb[i].mean() > face.mean():
                rgb[i] = face + LIGHT_EDGE_SHARE * (rgb[i] - face)
    return rgb[inverse.reshape(-1)]


def _support_directions() -> np.ndarray:
    """The 49 distinct directions (one of each +/- pair) of integer vectors in [-2, 2]^3."""
    grid = np.stack(np.meshgrid(*[np.arange(-2, 3)] * 3, indexing="ij"), -1).reshape(-1, 3)
    grid = grid[np.gcd.reduce(np.abs(grid), axis=1) == 1]  # primitive vectors: one per line
    first = grid[np.argmax(grid != 0, axis=1)[:, None] == np.arange(3)]  # leading non-zero
    return (grid[first > 0] / np.linalg.norm(grid[first > 0], axis=1)[:, None]).T


#: Directions whose extreme vertices stand in for a leaf's convex hull (see `extreme_points`).
SUPPORT_DIRECTIONS = _support_directions()


def extreme_points(points: np.ndarray) -> np.ndarray:
    """The points of `points` (N, 3) that lie furthest along each of 98 directions.

    A stand-in for the convex hull's vertices in auto-framing, for a fraction of qhull's time:
    the directions include the axes, so bounding boxes (of a leaf, and of any placement by
    quarter turns) come out exact; in other directions the stand-in's extent falls short of
    the true one by at most 4.7 % of the leaf's radius (the largest gap between directions is
    17.6 degrees), a pixel or two that the image margin absorbs.
    """
    pts = np.asarray(points, np.float32).reshape(-1, 3)
    if len(pts) > 8:
        # Plain ufuncs, not a BLAS matmul: they release the GIL without waking BLAS threads,
        # which fought the mesh worker threads for the cores (0.42 s -> 0.30 s for the Falcon).
        x, y, z = np.ascontiguousarray(pts.T)
        d = SUPPORT_DIRECTIONS.astype(np.float32)[:, :, None]
        along = d[0] * x + d[1] * y + d[2] * z  # (49, N)
        pts = pts[np.unique(np.concatenate([along.argmax(axis=1), along.argmin(axis=1)]))]
    return pts.astype(np.float64)


#: Bump when what prepare_leaves computes changes (cached results are then ignored).
MESH_CACHE_VERSION = 7


def _leaf_key(geom) -> str:
    """Content hash of everything a LeafMesh is computed from."""
    fields = ("triangles", "triangle_colours", "two_sided", "edges", "texture", "shadowless")
    return content_key(geom, fields, f"leafmesh/{MESH_CACHE_VERSION}")


def _mesh_cache():
    from ldscene.ldraw.cache import open_cache

    return open_cache("render-meshes")


def prepare_leaves(model: Model, wanted: list[int], use_cache: bool = True) -> dict[int, LeafMesh]:
    """LeafMesh for each leaf index in `wanted`, from the disk cache or computed (vectorised)."""
    result: dict[int, LeafMesh] = {}
    cache = _mesh_cache() if use_cache else None
    keys = {i: _leaf_key(model.leaves[i].geometry) for i in wanted} if cache else {}
    missing = []
    for i in wanted:
        stored = cache.get(keys[i]) if cache else None
        if stored is None:
            missing.append(i)
            continue
        result[i] = LeafMesh(**stored, **conditional_lines(model.leaves[i].geometry))
    if missing:
        computed = _compute_leaves(model, missing)
        result.update(computed)
        if cache:
            for i, lm in computed.items():
                cache.put_later(
                    keys[i],
                    {
                        "surfaces": lm.surfaces,
                        "shadow_casting": lm.shadow_casting,
                        "edge_vertices": lm.edge_vertices,
                        "edge_vertex_codes": lm.edge_vertex_codes,
                        "edge_indices": lm.edge_indices,
                        "edge_outlines": lm.edge_outlines,
                        "hull": lm.hull,
                        "centre": lm.centre,
                    },
                )
            # Written while the GL renders; the interpreter waits for it at exit.
            cache.flush_later()
    return result


def _compute_leaves(model: Model, wanted: list[int]) -> dict[int, LeafMesh]:
    """LeafMesh for each leaf index in `wanted`, in chunks of similar size on worker threads.

    Smooth normals are a few large numpy operations per chunk (sorts, gathers, reductions) that
    release the GIL, so two threads do the Millennium Falcon's 251 leaves in half the time of
    one vectorised call (0.47 -> 0.24 s).
    """
    from concurrent.futures import ThreadPoolExecutor

    geoms = [model.leaves[i].geometry for i in wanted]
    workers = max(1, min(4, os.cpu_count() or 1))
    sizes = np.cumsum([len(g.triangles) + len(g.edges) for g in geoms], dtype=np.float64)
    n_chunks = 2 * workers if len(wanted) > 8 else 1  # two per worker evens out their sizes
    cuts = np.searchsorted(sizes, sizes[-1] * np.arange(1, n_chunks) / n_chunks, side="right")
    bounds = [0, *sorted(set(int(c) for c in cuts) - {0, len(wanted)}), len(wanted)]
    chunks = [(wanted[a:b], geoms[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    result: dict[int, LeafMesh] = {}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ldscene-mesh") as pool:
        for part in pool.map(lambda chunk: _leaf_meshes(*chunk), chunks):
            result.update(part)
    return result


def _leaf_meshes(wanted: list[int], geoms: list) -> dict[int, LeafMesh]:
    """LeafMeshes for `geoms`; smooth normals computed in one vectorised call.  Textured
    triangles are left out: `render/textured.py` draws them."""
    printed = [g.triangles[g.texture >= 0].reshape(-1, 3) if g.textured else None for g in geoms]
    geoms = [g.untextured() for g in geoms]
    counts = np.array([len(g.triangles) for g in geoms], np.int64)
    ecounts = np.array([len(g.edges) for g in geoms], np.int64)
    if counts.sum():
        tris = np.concatenate([g.triangles for g in geoms if len(g.triangles)]).astype(np.float32)
        edges = (
            np.concatenate([g.edges for g in geoms if len(g.edges)])
            if ecounts.sum()
            else np.zeros((0, 2, 3))
        )
        normals, fans = smooth_normals(
            tris,
            edges,
            group=np.repeat(np.arange(len(geoms)), counts),
            edge_group=np.repeat(np.arange(len(geoms)), ecounts),
            return_groups=True,
        )
    else:
        tris = np.zeros((0, 3, 3), np.float32)
        normals, fans = np.zeros((0, 3, 3), np.float32), np.zeros((0, 3), np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    n_fans = int(fans.max()) + 1 if fans.size else 0
    result: dict[int, LeafMesh] = {}
    for k, (leaf_index, geom) in enumerate(zip(wanted, geoms, strict=True)):
        t = tris[offsets[k] : offsets[k + 1]]
        n = normals[offsets[k] : offsets[k + 1]]
        f = fans[offsets[k] : offsets[k + 1]]
        codes = np.asarray(geom.triangle_colours, np.int64)
        shadowless = geom.shadowless_mask()
        two = np.asarray(geom.two_sided, bool)
        if two.any():  # both faces: a reversed copy with flipped normals (own vertices)
            t = np.concatenate([t, t[two][:, ::-1]])
            n = np.concatenate([n, -n[two][:, ::-1]])
            f = np.concatenate([f, f[two][:, ::-1] + n_fans])
            codes = np.concatenate([codes, codes[two]])
            shadowless = np.concatenate([shadowless, shadowless[two]])
        if shadowless.any():  # last: a prefix of each colour's triangles casts shadows
            order = np.argsort(shadowless, kind="stable")
            t, n, f, codes = t[order], n[order], f[order], codes[order]
            shadowless = shadowless[order]
        # Corners of one smooth fan share position (merged) and normal: one GPU vertex.
        _, first, inverse = np.unique(f.reshape(-1), return_index=True, return_inverse=True)
        positions = t.reshape(-1, 3)[first]
        vertex_normals = n.reshape(-1, 3)[first]
        edge_points = np.asarray(geom.edges, np.float32).reshape(-1, 3)
        points = [positions, edge_points]
        if printed[k] is not None:  # printed triangles count for framing too
            points.append(np.asarray(printed[k], np.float32))
        hull = extreme_points(np.concatenate(points))
        if not len(hull):
            hull = np.zeros((1, 3))
        edge_vertices, edge_vertex_codes, edge_indices = indexed_lines(
            geom.edges, geom.edge_colours
        )
        edge_outlines = outline_sizes(edge_vertices, edge_indices)
        if len(edge_indices):
            largest_first = np.argsort(-edge_outlines[edge_indices[:, 0]], kind="stable")
            edge_indices = np.ascontiguousarray(edge_indices[largest_first])
        result[leaf_index] = LeafMesh(
            surfaces=_surfaces(
                np.ascontiguousarray(positions, np.float32),
                np.ascontiguousarray(vertex_normals, np.float32),
                inverse.reshape(-1, 3),
                codes,
            ),
            shadow_casting={int(c): int((~shadowless[codes == c]).sum()) for c in np.unique(codes)},
            edge_vertices=edge_vertices,
            edge_vertex_codes=edge_vertex_codes,
            edge_indices=edge_indices,
            edge_outlines=edge_outlines,
            **conditional_lines(geom),
            hull=hull,
            centre=(hull.min(axis=0) + hull.max(axis=0)) / 2,
        )
    return result


def build_model_meshes(
    model: Model, progress: Progress | None = None, use_cache: bool = True
) -> ModelMeshes:
    """Group the model's instances into batches and prepare every leaf they use."""
    n = model.n_instances
    leaf_of = np.asarray(model.leaf, np.int64)
    colour_of = np.asarray(model.colour, np.int64)
    transforms = np.asarray(model.transform, np.float64).reshape(-1, 4, 4)
    poses = to_gl(transforms) if n else np.zeros((0, 4, 4))
    mirrored = np.linalg.det(transforms[:, :3, :3]) < 0 if n else np.zeros(0, bool)

    wanted = [int(i) for i in np.unique(leaf_of) if not model.leaves[i].geometry.is_empty()]
    if progress:
        progress("meshing", 0.0)
    leaves = prepare_leaves(model, wanted, use_cache)

    batches: list[Batch] = []
    order = np.argsort(leaf_of, kind="stable")
    bounds_at = np.searchsorted(leaf_of[order], wanted + [len(model.leaves)])
    frame_chunks: list[np.ndarray] = []
    n_triangles = 0
    for k, leaf_index in enumerate(wanted):
        idx = order[bounds_at[k] : bounds_at[k + 1]]
        lm = leaves[leaf_index]
        n_triangles += lm.n_triangles * len(idx)
        if lm.n_triangles or lm.n_edges or model.leaves[leaf_index].geometry.textured:
            hull_world = _apply(poses[idx], lm.hull)
            frame_chunks.append(hull_world.reshape(-1, 3))
        classes = sorted(lm.surfaces)
        cols = colour_of[idx]
        mir = mirrored[idx]
        for m in (False, True):
            sel_m = mir == m
            if not sel_m.any():
                continue
            for cls in classes:
                if cls in _INHERIT:
                    for c in np.unique(cols[sel_m]):
                        inst = idx[sel_m & (cols == c)]
                        code = int(resolve_codes(np.array([cls]), int(c))[0])
                        batches.append(
                            Batch(leaf_index, BatchKind.TRIANGLES, code, m, inst, int(cls))
                        )
                else:
                    batches.append(
                        Batch(leaf_index, BatchKind.TRIANGLES, int(cls), m, idx[sel_m], int(cls))
                    )
        if lm.n_edges or len(lm.cond):  # edge lines and conditional lines
            codes = np.concatenate([lm.edge_vertex_codes, lm.cond_codes])
            if np.isin(codes, _INHERIT).any():
                for c in np.unique(cols):
                    batches.append(
                        Batch(leaf_index, BatchKind.LINES, int(c), False, idx[cols == c])
                    )
            else:
                batches.append(Batch(leaf_index, BatchKind.LINES, MAIN_COLOUR, False, idx))
    if progress:
        progress("meshing", 1.0)

    points = np.concatenate(frame_chunks) if frame_chunks else np.zeros((0, 3))
    bounds = np.stack([points.min(axis=0), points.max(axis=0)]) if len(points) else np.zeros((2, 3))
    return ModelMeshes(model, leaves, batches, poses, points, bounds, n_triangles)


def _apply(poses: np.ndarray, points: np.ndarray) -> np.ndarray:
    """(N, 4, 4) poses applied to (K, 3) points -> (N, K, 3), via batched matmul (BLAS)."""
    rotated = np.matmul(points.astype(poses.dtype), poses[:, :3, :3].transpose(0, 2, 1))
    return rotated + poses[:, None, :3, 3]
