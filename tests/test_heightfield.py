"""The height field's fast paths against plain formulas: instances pasted cell by cell
(`HeightField._paste`) and points added in bulk must raise the same cells, to the same
heights and owners, as a per-cell maximum over the same cells and points would."""

from __future__ import annotations

import numpy as np

from ldscene.ldraw.loader import load_model
from ldscene.scene import transforms as tf
from ldscene.scene.heightfield import EMPTY, NO_OWNER, HeightField, geometry_cells, lattice


class _World:
    def __init__(self, part, transforms):
        self.leaves = part.leaves
        self.leaf = np.zeros(len(transforms), np.int64)
        self.transform = np.array(transforms, float)
        self.n_instances = len(transforms)


def _expected(part, transforms, owners, field: HeightField):
    """The field `add_model` should build: each instance's cells (its leaf's cells turned and
    moved), raised one instance at a time in order with a plain per-cell maximum; a cell's
    owner is the first to reach its final height."""
    cells, top, bottom = geometry_cells(part.leaves[0].geometry, field.cell)
    heights = np.full(field.shape, EMPTY)
    owner = np.full(field.shape, NO_OWNER, np.int32)
    order = sorted(range(len(transforms)), key=lambda k: owners[k])  # add_model: by owner
    for k in order:
        t = transforms[k]
        turn = t[[0, 2]][:, [0, 2]].round().astype(np.int64)
        up = t[1, 1] > 0
        placed = cells @ turn.T + np.round(t[[0, 2], 3] / field.cell).astype(np.int64)
        h = (top if up else -bottom) - t[1, 3]
        for (i, j), value in zip(placed - field.base, h, strict=True):
            if 0 <= i < field.shape[0] and 0 <= j < field.shape[1] and value > heights[i, j]:
                heights[i, j], owner[i, j] = value, owners[k]
    return heights, owner


def test_pasted_instances_raise_the_cells_a_per_cell_maximum_does(library):
    part = load_model("3001.dat", library=library)  # brick 2 x 4
    transforms = []
    for k, yaw in enumerate((0, 90, 180, 270)):
        for flip in (False, True):
            rotation = tf.rot_y(yaw)
            if flip:  # upside down
                rotation = rotation @ np.diag([1.0, -1.0, -1.0])
            # whole cells apart, some overlapping, the last ones half outside the field
            at = np.array([20.0 * k - 70, -24.0 * flip, 10.0 * k - 30 + 40 * flip])
            transforms.append(tf.matrix(rotation, at))
    transforms.append(tf.matrix(np.eye(3), np.array([96.0, -8.0, 0.0])))  # over the edge
    owners = np.array([k % 3 for k in range(len(transforms))], np.int32)
    world = _World(part, transforms)
    field = HeightField(np.array([-80.0, -60.0]), np.array([100.0, 60.0]), owners=True)
    field.add_model(world, owners=owners)  # type: ignore[arg-type]
    heights, owner = _expected(part, world.transform, owners, field)
    assert np.isfinite(field.top).sum() > 500  # the bricks cover many cells
    assert np.array_equal(field.top, heights)
    assert np.array_equal(field.owner, owner)


def test_points_added_in_bulk_keep_only_those_inside_the_field():
    field = HeightField(np.array([-10.0, -10.0]), np.array([10.0, 10.0]), owners=True)
    rng = np.random.default_rng(3)
    points = rng.uniform(-20, 20, (500, 3))
    field.add(points, owner=4)
    ij = lattice(points[:, [0, 2]], field.cell) - field.base
    inside = ((ij >= 0) & (ij < np.array(field.shape))).all(1)
    expected = np.full(field.shape, EMPTY)
    np.maximum.at(expected, (ij[inside, 0], ij[inside, 1]), -points[inside, 1])
    assert 0 < inside.sum() < len(points)
    assert np.array_equal(field.top, expected)
    assert np.array_equal(field.owner == 4, np.isfinite(expected))
    assert np.isinf(field._grid[0]).all() and np.isinf(field._grid[:, -1]).all()  # border


def test_a_snapshot_restores_the_same_field_and_nothing_else():
    field = HeightField(np.array([-20.0, -20.0]), np.array([20.0, 20.0]), owners=True)
    field.add(np.random.default_rng(5).uniform(-25, 25, (300, 3)), owner=2)
    snapshot = field.snapshot()
    copy = HeightField(np.array([-20.0, -20.0]), np.array([20.0, 20.0]), owners=True)
    assert copy.restore(snapshot)
    assert copy.fingerprint() == field.fingerprint()
    wider = HeightField(np.array([-22.0, -20.0]), np.array([20.0, 20.0]), owners=True)
    plain = HeightField(np.array([-20.0, -20.0]), np.array([20.0, 20.0]))
    empty = plain.fingerprint()
    for other, bad in (
        (wider, snapshot),  # another extent
        (plain, snapshot),  # a field without owners
        (plain, None),
        (plain, {"shape": snapshot["shape"], "grid": np.zeros(9, np.uint8), "owner": []}),
    ):
        before = other.fingerprint()
        assert not other.restore(bad)
        assert other.fingerprint() == before
    assert plain.fingerprint() == empty


def test_a_watched_window_holds_every_cell_a_lookup_reads():
    """A settling attempt is reused when the cells it read are unchanged (scene/attempts.py),
    so the window `watch` notes must hold all of them: refilling every cell outside it, the
    border included, changes no answer, for probes inside the field, across its edge and
    wholly off it."""
    from ldscene.scene.heightfield import Probe

    rng = np.random.default_rng(3)
    field = HeightField(np.array([-100.0, -80.0]), np.array([100.0, 80.0]), owners=True)
    field.add(rng.uniform([-100, -40, -80], [100, 0, 80], (4000, 3)), rng.integers(0, 5, 4000))
    for _ in range(40):
        probe = Probe(rng.uniform([-15, 0, -15], [15, 10, 15], (60, 3)))
        x, z = rng.uniform(-130, 130), rng.uniform(-110, 110)
        field.watch()
        answers = (field.resting(probe, x, z), field.lift(probe, x, z), field._need(probe, x, z))
        r0, r1, c0, c1 = field.watched()
        digest = field.window_digest((r0, r1, c0, c1))
        grid, owner = field._grid.copy(), field._owner.copy()
        outside = np.ones(grid.shape, bool)
        outside[r0 : r1 + 1, c0 : c1 + 1] = False
        field._grid[outside] = rng.uniform(-50, 10, outside.sum())
        field._owner[outside] = rng.integers(0, 5, outside.sum())
        again = (field.resting(probe, x, z), field.lift(probe, x, z), field._need(probe, x, z))
        assert repr(again) == repr(answers)
        assert field.window_digest((r0, r1, c0, c1)) == digest
        field._grid[...], field._owner[...] = grid, owner


def test_the_world_field_kept_per_owner_is_the_field_built_at_once(library, tmp_path, monkeypatch):
    """The composer keeps the world's field per owner (top-level entry) so that after an edit
    only the entries that changed are built again (`Landing._build_field`): the parts raised
    into the field in owner order give the heights and owners one `add_model` gives, ties
    included, built or read back."""
    from ldscene.ldraw.cache import DiskCache
    from ldscene.scene.landing import Landing

    part = load_model("3001.dat", library=library)
    transforms, owners = [], []
    for k in range(12):  # side by side and overlapping at equal heights: ties between owners
        rotation = tf.rot_y(30.0 * k) if k % 4 == 3 else tf.rot_y(90.0 * (k % 2))  # some sampled
        at = np.array([10.0 * (k % 6) - 30, 0.0, 20.0 * (k // 6)])
        transforms.append(tf.matrix(rotation, at))
        owners.append((5 * k) % 4)
    owners = np.array(owners, np.int32)
    lo, hi = np.array([-80.0, -60.0]), np.array([80.0, 60.0])
    cache = DiskCache(tmp_path / "cache")
    built = []
    add_model = HeightField.add_model
    monkeypatch.setattr(
        HeightField, "add_model", lambda self, *a, **k: built.append(1) or add_model(self, *a, **k)
    )
    for moved, parts_built in ((None, [4, 0]), (1, [1, 0])):
        if moved is not None:  # an edit: owner 1's instances move by a stud
            transforms = [t.copy() for t in transforms]
            for k in np.flatnonzero(owners == moved):
                transforms[k][0, 3] += 20.0
        world = _World(part, transforms)
        expected = HeightField(lo, hi, owners=True)
        add_model(expected, world, owners=owners)  # type: ignore[arg-type]
        assert len(np.unique(expected.owner[np.isfinite(expected.top)])) == 4
        for parts in parts_built:  # built (only the parts that changed), then read back whole
            built.clear()
            field = HeightField(lo, hi, cache=cache, owners=True)
            everything = np.arange(len(transforms))
            Landing._build_field(field, world, everything, owners)  # type: ignore[arg-type]
            assert np.array_equal(field._grid, expected._grid)
            assert np.array_equal(field._owner, expected._owner)
            assert len(built) == parts
