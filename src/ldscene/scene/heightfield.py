"""A height field over the ground: the highest surface point in each x-z cell.

Cells lie on one global lattice: cell i spans [(i - 1/2)·c, (i + 1/2)·c) in LDraw x (and z),
so that LDraw's usual even coordinates never fall on a cell boundary.  Thanks to that, an
upright instance turned by a multiple of 90° and moved by whole cells covers exactly the cells
of its part turned the same way: each part's cells are computed once and pasted per instance,
which is what keeps settling fast on scenes with large baseplates and many models.
Everything else (tilted or freely turned instances, scattered pieces) is added point by point.

A field may also keep, per cell, the *owner* of its top: a number naming the scene entry
whose surface it is, so that scatter can tell what a piece would rest on (`on:`, `avoid:`).
"""

from __future__ import annotations

import hashlib
import math
import zlib

import numpy as np

from ldscene.ldraw.cache import DiskCache
from ldscene.ldraw.geometry import PartGeometry, content_key
from ldscene.ldraw.model import Model
from ldscene.scene.bounds import geometry_samples

#: Cell size in LDU (a plate is 8 LDU thick, a stud 20 LDU wide).
CELL = 2.0
#: Surface sample spacing: below the cell size, so that every covered cell gets samples.
SPACING = CELL * 0.7
EMPTY = -np.inf
#: Owner of a cell that nothing (or nothing with a known owner) covers.
NO_OWNER = -1
_MAX_CELLS = 6_000_000
_CELL_CACHE: dict[tuple[int, float], tuple[PartGeometry, np.ndarray, np.ndarray, np.ndarray]] = {}


def voxel_points(points: np.ndarray, size: float) -> np.ndarray:
    """Dense surface samples thinned to the highest and lowest point of each `size`-cube.

    Many samples coincide (edges shared by triangles), so this removes most of them.  A
    column's extreme is its cube's extreme, so where the cubes line up with the field's cells
    nothing is lost; for a turned instance a surface height can be off by at most the drop
    across one cube (half a cell).
    """
    if not len(points):
        return points
    grid = np.floor(np.asarray(points, float) / size).astype(np.int64) + (1 << 20)
    keys = (grid[:, 0] << 42) | (grid[:, 1] << 21) | grid[:, 2]
    order = np.lexsort((points[:, 1], keys))
    keys = keys[order]
    first = np.r_[True, keys[1:] != keys[:-1]]
    last = np.r_[keys[1:] != keys[:-1], True]
    return points[np.sort(order[first | last])]


_THIN_CACHE: dict[tuple[int, float, str], tuple[PartGeometry, np.ndarray]] = {}

#: Bump when what `thinned_samples` or `geometry_cells` computes changes.
_DISK_VERSION = 1


def _cached(cache: DiskCache | None, geometry: PartGeometry, what: str, compute) -> tuple:
    """`compute()`, a tuple of arrays, or its result stored on disk for this leaf's content
    and `what`."""
    if cache is None:
        return compute()
    key = content_key(
        geometry,
        ("triangles", "two_sided", "edges"),
        f"heightfield/{_DISK_VERSION}/{SPACING}/{what}",
    )
    found = cache.get(key)
    if found is not None:
        return tuple(_widen(a) for a in found)
    value = compute()
    cache.put_later(key, tuple(_narrow(a) for a in value))
    return value


def _narrow(array: np.ndarray) -> np.ndarray:
    """float64 as float32 and int64 as int32 where that loses nothing: the samples come from
    float32 geometry, so stored entries take half the room."""
    kind = {np.dtype(np.float64): np.float32, np.dtype(np.int64): np.int32}.get(array.dtype)
    if kind is not None:
        narrow = array.astype(kind)
        if np.array_equal(narrow, array):
            return narrow
    return array


def _widen(array: np.ndarray) -> np.ndarray:
    kind = {np.dtype(np.float32): np.float64, np.dtype(np.int32): np.int64}.get(array.dtype)
    return array if kind is None else array.astype(kind)


_LEAF_KEYS: dict[int, tuple[PartGeometry, str]] = {}


def leaf_key(geometry: PartGeometry) -> str:
    """A hash of everything of a leaf that its height-field samples and cells come from
    (computed once per leaf and process)."""
    found = _LEAF_KEYS.get(id(geometry))
    if found is None:
        key = content_key(geometry, ("triangles", "two_sided", "edges"), "heightfield-leaf")
        found = _LEAF_KEYS[id(geometry)] = (geometry, key)
    return found[1]


def instances_digest(model: Model, index: np.ndarray | None = None) -> bytes:
    """A digest of the instances `index` of `model` (all by default): their leaves' shapes
    (`leaf_key`) and their transforms, in order.  Part of the disk-cache key of whatever
    settling computes from where things are."""
    leaf = model.leaf if index is None else model.leaf[index]
    transform = model.transform if index is None else model.transform[index]
    digest = hashlib.blake2b(digest_size=20)
    leaves, where = np.unique(leaf, return_inverse=True)
    for li in leaves:
        digest.update(leaf_key(model.leaves[li].geometry).encode())
    digest.update(where.astype(np.int64).tobytes())
    digest.update(np.ascontiguousarray(transform, np.float64).tobytes())
    return digest.digest()


def thinned_samples(
    geometry: PartGeometry, side: str, size: float, cache: DiskCache | None = None
) -> np.ndarray:
    """`geometry_samples` of a leaf, thinned to one per `size`-cube (cached per leaf, and on
    disk with `cache`)."""
    key = (id(geometry), size, side)
    if key not in _THIN_CACHE:

        def compute() -> tuple[np.ndarray]:
            points = geometry_samples(geometry, SPACING, side).astype(float)
            return (voxel_points(points, size),)

        (found,) = _cached(cache, geometry, f"thinned/{side}/{size}", compute)
        _THIN_CACHE[key] = (geometry, found)
    return _THIN_CACHE[key][1]


def lattice(xz: np.ndarray, cell: float) -> np.ndarray:
    """Global cell indices (n, 2) of x-z positions."""
    return np.floor(np.asarray(xz, float) / cell + 0.5).astype(np.int64)


def geometry_cells(
    geometry: PartGeometry, cell: float, cache: DiskCache | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A leaf's covered cells in its own frame: (ij (n, 2), highest up, lowest up); cached per
    leaf, and on disk with `cache`."""
    key = (id(geometry), cell)
    if key not in _CELL_CACHE:
        found = _cached(cache, geometry, f"cells/{cell}", lambda: _geometry_cells(geometry, cell))
        _CELL_CACHE[key] = (geometry, *found)
    return _CELL_CACHE[key][1:]


def _geometry_cells(
    geometry: PartGeometry, cell: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`geometry_cells` without the caches."""
    pts = np.concatenate(
        [
            geometry_samples(geometry, SPACING, "top"),
            geometry_samples(geometry, SPACING, "bottom"),
        ]
    ).astype(float)
    if len(pts):
        ij = lattice(pts[:, [0, 2]], cell)
        keys, inverse = np.unique((ij[:, 0] << 32) + ij[:, 1], return_inverse=True)
        inverse = inverse.reshape(-1)
        cells = np.column_stack(
            [(keys + (1 << 31)) >> 32, keys - (((keys + (1 << 31)) >> 32) << 32)]
        )
        top = np.full(len(cells), -np.inf)
        bottom = np.full(len(cells), np.inf)
        np.maximum.at(top, inverse, -pts[:, 1])
        np.minimum.at(bottom, inverse, -pts[:, 1])
    else:
        cells, top, bottom = np.zeros((0, 2), np.int64), np.zeros(0), np.zeros(0)
    return cells, top, bottom


class Probe:
    """Points in their own frame (a scattered piece), kept as columns and asked about at x-z
    offsets: settling asks about a piece a dozen times, and building the moved points for
    each question cost as much as answering it."""

    def __init__(self, points: np.ndarray) -> None:
        points = np.asarray(points, float)
        self.x, self.y, self.z = (np.ascontiguousarray(points[:, k]) for k in range(3))
        empty = not len(points)
        self.x_range = (0.0, 0.0) if empty else (float(self.x.min()), float(self.x.max()))
        self.z_range = (0.0, 0.0) if empty else (float(self.z.min()), float(self.z.max()))

    def __len__(self) -> int:
        return len(self.x)


class HeightField:
    """Highest surface per x-z cell (LDraw x and z; heights are up, i.e. -y)."""

    def __init__(
        self,
        lo: np.ndarray,
        hi: np.ndarray,
        cell: float = CELL,
        cache: DiskCache | None = None,
        owners: bool = False,
    ) -> None:
        self.cache = cache  # on-disk store of the leaves' samples and cells (see add_model)
        size = np.maximum(np.asarray(hi, float) - lo, cell)
        self.cell = max(cell, float(np.sqrt(size[0] * size[1] / _MAX_CELLS)))
        self.base = lattice(np.asarray(lo, float)[None], self.cell)[0]
        top = lattice(np.asarray(hi, float)[None], self.cell)[0]
        self.shape = tuple(int(v) for v in top - self.base + 1)
        # The field inside a border of empty cells: a lookup clips its indices into the grid,
        # and points outside the field land on the border (no masks: `_need` runs per
        # attempt of every settling piece).  `top` is the field itself, a view.
        self._grid = np.full((self.shape[0] + 2, self.shape[1] + 2), EMPTY)
        self.top = self._grid[1:-1, 1:-1]
        # With `owners`, who each cell's top belongs to (same layout as `_grid`).
        self._owner = np.full(self._grid.shape, NO_OWNER, np.int32) if owners else None
        self.owner = None if self._owner is None else self._owner[1:-1, 1:-1]
        self._read: list[int] | None = None  # while watched: rows and columns looked up

    def fingerprint(self) -> bytes:
        """A digest of the whole field (its extent, heights and owners): equal fingerprints,
        equal fields."""
        digest = hashlib.blake2b(digest_size=20)
        digest.update(repr((self.cell, self.base.tolist(), self.shape)).encode())
        digest.update(self._grid.tobytes())
        digest.update(b"-" if self._owner is None else self._owner.tobytes())
        return digest.digest()

    def snapshot(self) -> dict[str, np.ndarray]:
        """The field's heights and owners, zlib-compressed (a scene's field is mostly empty
        or flat: Stalingrad's 9 MB come to 0.5 MB), for `restore` and the disk cache."""
        owner = self._owner if self._owner is not None else np.zeros(0, np.int32)
        return {
            "shape": np.array(self._grid.shape, np.int64),
            "grid": np.frombuffer(zlib.compress(self._grid.tobytes(), 1), np.uint8),
            "owner": np.frombuffer(zlib.compress(owner.tobytes(), 1), np.uint8),
        }

    def restore(self, snapshot: object) -> bool:
        """Take the heights and owners of a `snapshot` of a field of this extent; False (and
        nothing changed) when it is not one."""
        try:
            shape = tuple(int(n) for n in snapshot["shape"])  # type: ignore[index]
            grid = np.frombuffer(zlib.decompress(snapshot["grid"]), np.float64)  # type: ignore[index]
            owner = np.frombuffer(zlib.decompress(snapshot["owner"]), np.int32)  # type: ignore[index]
        except (TypeError, KeyError, ValueError, zlib.error):
            return False
        owned = self._owner is not None
        if shape != self._grid.shape or grid.size != self._grid.size:
            return False
        if owner.size != (self._grid.size if owned else 0):
            return False
        self._grid[...] = grid.reshape(shape)
        if owned:
            self._owner[...] = owner.reshape(shape)
        return True

    def watch(self) -> None:
        """Start noting which cells lookups (`_need`, `resting`, `lift`, `contacts`) read."""
        self._read = [self._grid.shape[0], -1, self._grid.shape[1], -1]

    def watched(self) -> tuple[int, int, int, int]:
        """Stop noting: a window (first row, last row, first column, last column) of
        `_grid` holding every cell read since `watch` (empty when first > last)."""
        read, self._read = self._read, None
        assert read is not None
        return int(read[0]), int(read[1]), int(read[2]), int(read[3])

    def blank(self) -> HeightField:
        """An empty field of the same extent and kind (owners kept or not)."""
        out = HeightField.__new__(HeightField)
        out.__dict__.update(self.__dict__)
        out._grid = np.full_like(self._grid, EMPTY)
        out.top = out._grid[1:-1, 1:-1]
        out._owner = None if self._owner is None else np.full_like(self._owner, NO_OWNER)
        out.owner = None if out._owner is None else out._owner[1:-1, 1:-1]
        out._read = None
        return out

    def raise_to(self, other: HeightField) -> None:
        """Raise this field to `other`, a field of the same extent, as adding what `other` was
        built from would: a maximum per cell, and `other`'s owner where it is higher."""
        higher = other._grid > self._grid
        self._grid[higher] = other._grid[higher]
        if self._owner is not None and other._owner is not None:
            self._owner[higher] = other._owner[higher]

    def window_digest(self, window: tuple[int, int, int, int]) -> bytes:
        """A digest of the heights and owners in a window of `_grid`: equal digests, equal
        answers to any lookup that reads only cells in it."""
        r0, r1, c0, c1 = window
        # The extent too: beyond it lookups land on the border, which moves with it.
        where = np.array([*self.base, *self.shape, *window], np.int64)
        digest = hashlib.blake2b(np.float64(self.cell).tobytes(), digest_size=16)
        digest.update(where.tobytes())
        digest.update(self._grid[r0 : r1 + 1, c0 : c1 + 1].tobytes())
        if self._owner is not None:
            digest.update(self._owner[r0 : r1 + 1, c0 : c1 + 1].tobytes())
        return digest.digest()

    @property
    def lo(self) -> np.ndarray:
        return (self.base - 0.5) * self.cell

    @property
    def hi(self) -> np.ndarray:
        return (self.base + np.array(self.shape) - 0.5) * self.cell

    def cells(self, xz: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        ij = lattice(xz, self.cell) - self.base
        inside = (
            (ij[:, 0] >= 0)
            & (ij[:, 1] >= 0)
            & (ij[:, 0] < self.shape[0])
            & (ij[:, 1] < self.shape[1])
        )
        return ij[:, 0], ij[:, 1], inside

    def add(self, points: np.ndarray, owner: int | np.ndarray = NO_OWNER) -> None:
        """Raise the field with LDraw-space points (of `owner`: one, or one per point)."""
        if not len(points):
            return
        i, j, inside = self.cells(points[:, [0, 2]])
        self._raise(i[inside], j[inside], -points[inside, 1], _select(owner, inside))

    def add_cells(
        self, ij: np.ndarray, heights: np.ndarray, owner: int | np.ndarray = NO_OWNER
    ) -> None:
        """Raise the field at global cell indices."""
        local = ij - self.base
        inside = (
            (local[:, 0] >= 0)
            & (local[:, 1] >= 0)
            & (local[:, 0] < self.shape[0])
            & (local[:, 1] < self.shape[1])
        )
        self._raise(local[inside, 0], local[inside, 1], heights[inside], _select(owner, inside))

    def _raise(
        self, i: np.ndarray, j: np.ndarray, heights: np.ndarray, owner: int | np.ndarray
    ) -> None:
        """top[i, j] = max(top[i, j], heights); with owners, a cell's owner becomes that of
        the point that raised it (of equal heights, the one there first).

        Works on flat indices into the contiguous `_grid`: `np.maximum.at` with one index
        array is about 9x faster than with an (i, j) pair (numpy 2.4), and this is most of
        the time it takes to build the Stalingrad scene's height fields."""
        self._raise_flat((i + 1) * self._grid.shape[1] + (j + 1), heights, owner)

    def _raise_flat(self, flat: np.ndarray, heights: np.ndarray, owner: int | np.ndarray) -> None:
        """`_raise` at flat indices into `_grid` (its cell (i, j) is `top`'s (i - 1, j - 1))."""
        grid = self._grid.reshape(-1)  # a view: `_grid` is always a C-contiguous array
        if self._owner is None:
            np.maximum.at(grid, flat, heights)
            return
        if np.ndim(owner):
            owner = np.asarray(owner)
            if len(owner) and owner.min() != owner.max():
                for kind in np.unique(owner):
                    mine = owner == kind
                    self._raise_flat(flat[mine], heights[mine], int(kind))
                return
            owner = int(owner[0]) if len(owner) else NO_OWNER
        before = grid[flat]
        np.maximum.at(grid, flat, heights)
        raised = grid[flat] > before
        self._owner.reshape(-1)[flat[raised]] = owner

    def add_model(
        self,
        model: Model,
        index: np.ndarray | None = None,
        ceiling: float | None = None,
        owners: np.ndarray | None = None,
    ) -> None:
        """Raise the field with the selected instances of a model.

        With a `ceiling` (a height, up), only what reaches below it counts: a pasted cell
        whose lowest point lies above it, or a sampled point above it, is left out (a roof
        over a figure that settles, not a wall that it stands in).  `owners`: the owner of
        each selected instance (for a field that keeps owners).
        """
        sel = np.arange(model.n_instances) if index is None else np.asarray(index)
        if owners is not None and self._owner is not None:
            for owner in np.unique(owners):  # one owner at a time: a plain maximum per cell
                self._add_model(model, sel[owners == owner], ceiling, int(owner))
        else:
            self._add_model(model, sel, ceiling, NO_OWNER)

    def _add_model(self, model: Model, sel: np.ndarray, ceiling: float | None, who: int) -> None:
        """`add_model` of instances `sel`, all of owner `who`."""
        for li in np.unique(model.leaf[sel]):
            geometry = model.leaves[li].geometry
            t = model.transform[sel[model.leaf[sel] == li]]
            pasted = _pasteable(t, self.cell)
            if pasted.any():
                self._paste(
                    geometry_cells(geometry, self.cell, self.cache), t[pasted], ceiling, who
                )
            rest = t[~pasted]
            if len(rest):
                r = rest[:, :3, :3]
                vertical = (np.abs(r[:, 1, [0, 2]]).max(1) < 1e-9) & (
                    np.abs(r[:, [0, 2], 1]).max(1) < 1e-9
                )
                for side, chosen in (
                    ("top", vertical & (r[:, 1, 1] > 0)),
                    ("bottom", vertical & (r[:, 1, 1] < 0)),
                    ("all", ~vertical),
                ):
                    pts = thinned_samples(geometry, side, self.cell / 2, self.cache)
                    if len(pts) and chosen.any():
                        sub = rest[chosen]
                        moved = np.matmul(pts[None], sub[:, :3, :3].transpose(0, 2, 1))
                        moved = (moved + sub[:, None, :3, 3]).reshape(-1, 3)
                        if ceiling is not None:
                            moved = moved[-moved[:, 1] <= ceiling]
                        self.add(moved, who)

    def _paste(
        self,
        leaf_cells: tuple[np.ndarray, np.ndarray, np.ndarray],
        chosen: np.ndarray,
        ceiling: float | None,
        who: int,
    ) -> None:
        """Raise the field by a leaf's cells (`geometry_cells`) for each `_pasteable`
        transform in `chosen`, all of owner `who` (see `add_model` for `ceiling`).

        Instances that turn the same way share their turned cells, as flat indices into
        `_grid`; each instance only adds its own offset (this is what most of a scene's
        height field is built from: baseplates, walls, floors)."""
        cells, top, bottom = leaf_cells
        turns = chosen[:, [0, 2]][:, :, [0, 2]].round().astype(np.int64)  # (k, 2, 2)
        shift = np.round(chosen[:, [0, 2], 3] / self.cell).astype(np.int64) - self.base + 1
        up = chosen[:, 1, 1] > 0
        width = self._grid.shape[1]
        kinds, group = np.unique(
            np.column_stack([turns.reshape(-1, 4), up]), axis=0, return_inverse=True
        )
        for g, kind in enumerate(kinds):
            mine = group.reshape(-1) == g
            turned = cells @ kind[:4].reshape(2, 2).T  # (n, 2), grid rows and columns
            y = chosen[mine, 1, 3, None]
            heights = (top if kind[4] else -bottom)[None] - y
            if ceiling is not None:
                lows = (bottom if kind[4] else -top)[None] - y
                heights = np.where(lows <= ceiling, heights, EMPTY)
            at = shift[mine]  # (m, 2): where each instance's cell (0, 0) lands in `_grid`
            low, high = at + turned.min(0), at + turned.max(0)
            whole = np.all((low >= 1) & (high <= np.array(self.shape)), axis=1)
            if whole.any():  # every cell inside the field: no per-cell test
                flat = (turned[:, 0] * width + turned[:, 1])[None] + (
                    at[whole, 0] * width + at[whole, 1]
                )[:, None]
                self._raise_flat(flat.reshape(-1), heights[whole].reshape(-1), who)
            if not whole.all():
                placed = turned[None] + at[~whole, None] - 1 + self.base
                self.add_cells(placed.reshape(-1, 2), heights[~whole].reshape(-1), who)

    def eroded(self) -> HeightField:
        """This field with every cell lowered to the lowest of its 3×3 neighbourhood: each
        raised area shrinks by a cell all round.  A stud (12 LDU across) then fits the hole
        of the same size that should take it, which the cells of the full field, shared by
        the stud's rim and the hole's, never let through."""
        out = HeightField.__new__(HeightField)
        out.__dict__.update(self.__dict__)
        grid = self._grid
        low = grid.copy()
        rows, cols = grid.shape
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                shifted = np.full_like(grid, EMPTY)
                shifted[max(di, 0) : rows + min(di, 0), max(dj, 0) : cols + min(dj, 0)] = grid[
                    max(-di, 0) : rows + min(-di, 0), max(-dj, 0) : cols + min(-dj, 0)
                ]
                np.minimum(low, shifted, out=low)
        out._grid = low
        out.top = low[1:-1, 1:-1]
        return out

    def lift(self, probe: Probe, x: float, z: float) -> float | None:
        """How far up (scene +y) the probe's points, moved by (x, 0, z), must go to rest on
        the field; None if nothing lies below them."""
        highest = self._need(probe, x, z).max(initial=EMPTY)
        return None if highest == EMPTY else float(highest)

    def _need(self, probe: Probe, x: float, z: float) -> np.ndarray:
        """Per point: the rise that brings it onto its cell's top (EMPTY: nothing below)."""
        i = self._grid_index(probe.x, float(x), probe.x_range, 0)
        j = self._grid_index(probe.z, float(z), probe.z_range, 1)
        return self._grid[i, j] + probe.y

    def _grid_index(
        self, values: np.ndarray, offset: float, extent: tuple[float, float], axis: int
    ) -> np.ndarray:
        """Rows (axis 0) or columns (axis 1) of `_grid` for values + offset; those off the
        field go to its empty border.  The lattice is monotonic, so the extremes of the
        values tell whether any needs clipping (the usual answer is no)."""
        start = self.base[axis] - 1
        index = np.floor((values + offset) / self.cell + 0.5).astype(np.int64) - start
        low = math.floor((extent[0] + offset) / self.cell + 0.5) - start
        high = math.floor((extent[1] + offset) / self.cell + 0.5) - start
        if low < 0 or high > self.shape[axis] + 1:
            np.clip(index, 0, self.shape[axis] + 1, out=index)
        if self._read is not None and len(values):  # the index lies in low..high, clipped
            read, last = self._read, self.shape[axis] + 1
            read[2 * axis] = min(read[2 * axis], min(max(low, 0), last))
            read[2 * axis + 1] = max(read[2 * axis + 1], max(min(high, last), 0))
        return index

    def contacts(
        self, probe: Probe, x: float, z: float, lift: float, tolerance: float = 1.0
    ) -> np.ndarray:
        """x-z of the probe's points, moved by (x, 0, z), that touch the field when lifted by
        `lift`."""
        touching = self._need(probe, x, z) >= lift - tolerance
        # (n, 2) in column order, as numpy's [:, [0, 2]] gives: sums over it (a mean) then
        # add up in the same order as they did when the moved points were built whole.
        return np.array([probe.x[touching] + x, probe.z[touching] + z]).T

    def resting(
        self, probe: Probe, x: float, z: float, tolerance: float = 1.0
    ) -> tuple[float, np.ndarray, np.ndarray, tuple[float, float], float] | None:
        """The probe, moved by (x, 0, z), lowered onto the field: None if nothing is below
        it, else (lift as in `lift`; x-z of the points that touch, within `tolerance`; the
        owners of the cells they touch (NO_OWNER in a field without owners); the heights of
        the lowest and the highest surface touched; the height of the lowest point with
        nothing at all below it, +inf if none)."""
        i = self._grid_index(probe.x, float(x), probe.x_range, 0)
        j = self._grid_index(probe.z, float(z), probe.z_range, 1)
        top = self._grid[i, j]
        need = top + probe.y
        lift = float(need.max(initial=EMPTY))
        if lift == EMPTY:
            return None
        touching = need >= lift - tolerance
        xz = np.column_stack([probe.x[touching] + x, probe.z[touching] + z])
        if self._owner is None:
            owners = np.full(len(xz), NO_OWNER, np.int32)
        else:
            owners = self._owner[i[touching], j[touching]]
        void = top == EMPTY
        overhang = float((lift - probe.y[void]).min()) if void.any() else np.inf
        touched = top[touching]
        return lift, xz, owners, (float(touched.min()), float(touched.max())), overhang

    def any_support(self, polygon: np.ndarray, allowed: np.ndarray | None = None) -> bool:
        """Whether anything lies in the x-z box of `polygon`; with `allowed` (a table of
        booleans by owner, its last entry for NO_OWNER), anything of an allowed owner."""
        lo, hi = polygon.min(0), polygon.max(0)
        i0, j0, _ = self.cells(lo[None])
        i1, j1, _ = self.cells(hi[None])
        i0, j0 = max(int(i0[0]), 0), max(int(j0[0]), 0)
        rows, cols = slice(i0, int(i1[0]) + 1), slice(j0, int(j1[0]) + 1)
        found = np.isfinite(self.top[rows, cols])
        if allowed is not None and self.owner is not None:
            found &= allowed[self.owner[rows, cols]]
        return bool(found.any())


def _pasteable(t: np.ndarray, cell: float) -> np.ndarray:
    """Instances that are upright or upside down, turned by a multiple of 90° about the
    vertical, unscaled, and moved by whole cells."""
    r = t[:, :3, :3]
    near_int = np.all(np.abs(r - np.round(r)) < 1e-9, axis=(1, 2))
    vertical = (
        (np.abs(np.abs(r[:, 1, 1]) - 1) < 1e-9)
        & (np.abs(r[:, 1, [0, 2]]).max(1) < 1e-9)
        & (np.abs(r[:, [0, 2], 1]).max(1) < 1e-9)
    )
    flat = r[:, [0, 2]][:, :, [0, 2]]
    permutation = np.abs(np.abs(np.linalg.det(flat)) - 1) < 1e-9
    steps = t[:, [0, 2], 3] / cell
    whole = np.all(np.abs(steps - np.round(steps)) < 1e-6, axis=1)
    return near_int & vertical & permutation & whole


def _select(owner: int | np.ndarray, mask: np.ndarray) -> int | np.ndarray:
    """The owners of the points `mask` keeps: one owner for all, or one per point."""
    return np.asarray(owner)[mask] if np.ndim(owner) else owner
