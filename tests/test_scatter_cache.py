"""A settled scatter's pieces are kept in the disk cache and replayed when nothing they depend
on changed: the composed scene is the same as one settled afresh, and what lands later (a
second scatter) lands on the replayed pieces exactly as on settled ones.  A `settle: true`
placement's drop is kept the same way, until what lies under it changes."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import write_scene

from ldscene.scene import load_scene, scatter
from ldscene.scene.heightfield import HeightField
from ldscene.scene.resting import Shape
from ldscene.scene.scatter import _cached_pieces

SCENE = """
place:
  floor: {{part: 3867, color: 72}}
  wall: {{part: 3001, color: 4, at: [{wall_x}, 0, 0], repeat: {{count: 3, step: [0, 24, 0]}}}}
scatter:
  rubble:
    parts: [3001, 3003, 3024]
    color: 71
    count: 20
    area: {{rect: [[-60, -40], [60, 40]]}}
    settle: true
  snow:
    parts: [3024, 3070b]
    color: 15
    count: {snow}
    area: {{rect: [[-60, -40], [60, 40]]}}
    settle: true
"""


def compose(tmp_path, use_cache: bool, wall_x: int = 0, snow: int = 15):
    path = write_scene(tmp_path, SCENE.format(wall_x=wall_x, snow=snow))
    model = load_scene(path, use_cache=use_cache).model
    return model.transform.copy(), model.leaf.copy(), model.colour.copy()


@pytest.fixture
def counts(monkeypatch, tmp_path) -> dict[str, int]:
    """A fresh disk cache, and counts of the pieces settled and the scatters replayed."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    found = {"settled": 0, "replayed": 0}
    settle, replay = Shape.settle, scatter._Settling.replay

    def settling(self, *args, **kwargs):
        found["settled"] += 1
        return settle(self, *args, **kwargs)

    def replaying(self, pieces):
        found["replayed"] += 1
        return replay(self, pieces)

    monkeypatch.setattr(Shape, "settle", settling)
    monkeypatch.setattr(scatter._Settling, "replay", replaying)
    return found


def reset(counts: dict[str, int]) -> None:
    counts.update(settled=0, replayed=0)


def same(a, b) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_a_scene_composed_again_replays_its_scatters(tmp_path, counts, monkeypatch):
    fresh = compose(tmp_path, use_cache=False)
    assert counts == {"settled": counts["settled"], "replayed": 0}
    assert counts["settled"] >= 35  # every piece settled (and attempts that found no rest)
    first = compose(tmp_path, use_cache=True)
    assert same(first, fresh)
    reset(counts)
    built = []  # the world's height field: read back, not built again
    add_model = HeightField.add_model
    monkeypatch.setattr(
        HeightField, "add_model", lambda self, *a, **k: built.append(1) or add_model(self, *a, **k)
    )
    again = compose(tmp_path, use_cache=True)
    assert counts == {"settled": 0, "replayed": 2} and built == []
    assert same(again, fresh)


def test_a_changed_scatter_lands_on_the_replayed_one_as_on_settled_pieces(tmp_path, counts):
    """One more snow piece: the rubble is replayed, the snow's earlier attempts are reused
    (its count decides how many attempts are made, not where one lands) and only the new
    piece settles; the scene is the one a fresh compose makes."""
    compose(tmp_path, use_cache=True)
    reset(counts)
    changed = compose(tmp_path, use_cache=True, snow=16)
    assert counts["replayed"] == 1 and 1 <= counts["settled"] < 5
    assert same(changed, compose(tmp_path, use_cache=False, snow=16))


def test_ground_that_moved_under_the_area_settles_the_pieces_again(tmp_path, counts):
    before = compose(tmp_path, use_cache=True)
    reset(counts)
    moved = compose(tmp_path, use_cache=True, wall_x=20)
    assert counts["replayed"] == 0 and counts["settled"] >= 20
    assert not same(moved, before)
    assert same(moved, compose(tmp_path, use_cache=False, wall_x=20))


WIDE = """
place:
  floor: {{part: 3867, color: 72}}
  wall: {{part: 3001, color: 4, at: [{wall_x}, 0, -120], repeat: {{count: 3, step: [0, 24, 0]}}}}
scatter:
  rubble:
    parts: [3001, 3003, 3024]
    color: 71
    count: 40
    area: {{rect: [[-150, -150], [150, 150]]}}
    settle: true
"""


def test_an_edit_settles_again_only_the_attempts_whose_ground_changed(tmp_path, counts):
    """After an edit (a wall in one corner of the area moved), the scatter reuses each attempt
    whose cells hold the values it read before: only those near the wall settle again, and
    the scene is the one a fresh compose makes, bit for bit."""

    def wide(use_cache: bool, wall_x: int):
        path = write_scene(tmp_path, WIDE.format(wall_x=wall_x))
        model = load_scene(path, use_cache=use_cache).model
        return model.transform.copy(), model.leaf.copy(), model.colour.copy()

    fresh = wide(False, -110)
    everything = counts["settled"]
    before = wide(True, -120)  # records its attempts
    reset(counts)
    moved = wide(True, -110)
    assert counts["replayed"] == 0
    assert 0 < counts["settled"] < everything / 2
    assert same(moved, fresh)
    assert not np.array_equal(moved[0][-40:], before[0][-40:])  # some pieces landed elsewhere


@pytest.mark.unit
def test_a_malformed_cache_entry_is_a_miss():
    pieces = {"choice": np.zeros(2), "colour": np.zeros(2), "transform": np.zeros((2, 4, 4))}
    pieces["steep"] = np.array([False, True])
    assert [piece.steep for piece in _cached_pieces(pieces, 2)] == [False, True]
    assert _cached_pieces({**pieces, "steep": np.zeros(3, bool)}, 2) is None
    assert _cached_pieces(pieces, 3) is None  # not the count asked for
    assert _cached_pieces(None, 2) is None
    assert _cached_pieces({"choice": np.zeros(2)}, 2) is None
    assert _cached_pieces({**pieces, "transform": np.zeros((2, 3, 4))}, 2) is None


@pytest.mark.unit
def test_a_malformed_attempts_entry_is_a_miss():
    from ldscene.scene.attempts import Attempts, Rest

    attempts = Attempts()
    rest = Rest(np.eye(3), np.array([1.0, 2.0]), 5.0, steep=True)
    attempts.add(3, True, (1, 2, 3, 4), bytes(range(16)), rest)
    attempts.add(7, False, (5, 6, 7, 8), bytes(16), 2)
    entry = attempts.to_entry()
    back = Attempts.from_entry(entry)
    assert back.numbers == [3, 7] and back.windows == attempts.windows
    assert back.stricts == [True, False]
    assert back.digests == attempts.digests and back.outcomes[1] == 2
    assert np.array_equal(back.outcomes[0].rotation, np.eye(3)) and back.outcomes[0].height == 5.0
    assert back.outcomes[0].steep
    assert Attempts.from_entry(None) is None
    assert Attempts.from_entry({**entry, "digest": np.zeros((2, 8), np.uint8)}) is None
    assert Attempts.from_entry({**entry, "window": np.zeros((2, 3))}) is None
    assert Attempts.from_entry({k: v for k, v in entry.items() if k != "xz"}) is None


SETTLING = """
place:
  floor: {{part: 3867, color: 72}}
  stack: {{part: 3001, color: 4, repeat: {{count: {stack}, step: [0, 24, 0]}}}}
  far: {{part: 3003, color: 1, at: [{far}, 8, 120]}}
  crate: {{part: 3003, color: 6, at: [10, 300, 10], settle: true}}
  lid: {{part: 3022, color: 15, at: [10, 400, 10], yaw: 30, settle: true}}
"""


def test_settled_placements_are_kept_until_what_is_under_them_changes(tmp_path, monkeypatch):
    from ldscene.scene.landing import Landing

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    drops = []
    drop = Landing._drop
    monkeypatch.setattr(Landing, "_drop", lambda self, *a: drops.append(1) or drop(self, *a))

    def heights(stack: int, use_cache: bool = True, far: int = -120):
        path = write_scene(tmp_path, SETTLING.format(stack=stack, far=far))
        scene = load_scene(path, use_cache=use_cache)
        return [scene.entry_model(name).transform[0, 1, 3] for name in ("crate", "lid")]

    fresh = heights(2, use_cache=False)
    assert len(drops) == 2
    drops.clear()
    assert heights(2) == fresh and len(drops) == 2  # settled, and kept
    drops.clear()
    assert heights(2) == fresh and drops == []  # taken from the cache
    assert heights(2, far=-100) == fresh and drops == []  # an edit elsewhere: still kept
    higher = heights(3)  # one brick more under them: settled again, 24 LDU higher
    assert len(drops) == 2 and higher == heights(3, use_cache=False)
    assert np.allclose(np.subtract(fresh, higher), 24)


@pytest.mark.slow  # whole scenes or real models: seconds (the fast loop stays under a minute)
def test_a_scene_composed_again_needs_no_convex_hulls(tmp_path):
    """The scatter's piece shapes come from the cache too: a second compose, in a fresh
    interpreter, does not import scipy.spatial (0.4 s of each run)."""
    path = write_scene(tmp_path, SCENE.format(wall_x=0, snow=15))
    code = (
        "import sys; from ldscene.scene import load_scene; "
        f"load_scene({str(path)!r}); print('scipy.spatial' in sys.modules)"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    runs = [
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
        )
        for _ in range(2)
    ]
    assert [run.stdout.strip() for run in runs] == ["True", "False"], runs[1].stderr


@pytest.mark.unit
def test_a_shape_kept_in_the_cache_comes_back_whole():
    rng = np.random.default_rng(2)
    shape = Shape(
        rng.normal(size=3),
        rng.normal(size=(40, 3)),
        rng.normal(size=(40, 3)),
        rng.normal(size=(12, 3)),
        rng.normal(size=(12, 3)),
        rng.normal(size=(5, 4)),
        12.5,
    )
    (back,) = Shape.from_entry(Shape.to_entry(shape))
    for name in (*Shape._FIELDS, "radius"):
        assert np.array_equal(getattr(back, name), getattr(shape, name))
    assert Shape.from_entry(Shape.to_entry(None)) == (None,)
    entry = Shape.to_entry(shape)
    for broken in (
        None,
        {**entry, "faces": np.zeros((0, 4))},
        {**entry, "normals": entry["normals"][:3]},
        {k: v for k, v in entry.items() if k != "radius"},
        {**entry, "centre": entry["centre"].astype(np.float32)},
    ):
        assert Shape.from_entry(broken) is None
