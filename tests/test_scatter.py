"""Settled scatter rests like real bricks, and `on:`/`avoid:` say where it may land.

A settled piece ends held (its centre of mass over what it touches), tilted to what it lies
on, never hanging past an edge, and not inside what is under it or inside other pieces;
measured on the real part geometry (`scatter_geometry`).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import scatter_geometry as sg
from conftest import run_cli, run_process, write_scene

from ldscene.errors import LdsceneError
from ldscene.scene import load_scene

REPO = Path(__file__).resolve().parent.parent


def readme_scene() -> str:
    """The scene of README.md's "A scene file" section."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## A scene file") :]
    start = section.index("```yaml") + len("```yaml")
    return section[start : section.index("```", start)]


def indices(scene, *names: str) -> np.ndarray:
    return np.concatenate([np.arange(scene.entries[n].start, scene.entries[n].stop) for n in names])


def lowest(scene, name: str) -> np.ndarray:
    """The lowest point (scene y) of each instance of an entry."""
    points = sg.scene_points(scene.model, indices(scene, name))
    return np.array([p[:, 1].min() for p in points])


def test_the_checker_finds_pieces_inside_each_other(tmp_path):
    scene = load_scene(
        write_scene(
            tmp_path,
            """
place:
  a: {part: 3024, at: [0, 8, 0]}
  sunk: {part: 3024, at: [5, 14, 3]}            # 2 LDU into a
  c: {part: 3005, at: [40, 24, 0]}
  on_c: {part: 3005, at: [40, 48, 0]}           # stacked: c's stud in its hollow
  e: {part: 3005, at: [80, 24, 0]}
  beside_e: {part: 3005, at: [95.5, 24, 0]}     # 4.5 LDU into e's side
  g: {part: 3001, at: [200, 24, 0]}
  tilted: {part: 3024, at: [205, 32, 3], rotate: [30, 0, 10]}
""",
        )
    )

    def depth(a: str, b: str) -> float:
        return sg.pair_depth(scene.model, scene.entries[a].start, scene.entries[b].start)

    assert 1.8 < depth("a", "sunk") < 2.5
    assert depth("c", "on_c") < 0.5
    assert depth("e", "beside_e") > 1.5
    assert depth("g", "tilted") > 1.5


def test_tilted_pieces_fall_onto_a_face(tmp_path):
    # Dropped with up to 60 degrees of tilt onto a flat baseplate, bricks and plates end on
    # one of their faces (a real brick does not stay on its corner), on the baseplate's top
    # or its stud tops.
    scene = load_scene(
        write_scene(
            tmp_path,
            """
place:
  ground: {part: 3811, color: 71}
scatter:
  rubble:
    parts: [3004, 3010, 3023, 3024, 3062b, 3040b]
    count: 25
    area: {rect: [[-250, -250], [250, 250]]}
    spacing: 60
    tilt: 60
    settle: true
""",
        )
    )
    rotations = scene.model.transform[scene.entries["rubble"]][:, :3, :3]
    # Lying on a face: one of the piece's axes (or, for the slope, its sloped face's
    # normal) points straight down.
    vertical = np.abs(rotations[:, 1, :]).max(axis=1)
    names = [scene.model.leaves[i].name for i in scene.model.leaf[scene.entries["rubble"]]]
    square = np.array([n != "3040b.dat" for n in names])
    assert np.allclose(vertical[square], 1.0, atol=1e-6), vertical
    low = lowest(scene, "rubble")
    assert (low > -0.01).all() and (low < 4.01).all(), low
    assert (vertical < 0.999).sum() <= (~square).sum()  # only slopes on their slope


def test_pieces_stay_off_the_air_past_an_edge(tmp_path):
    # An area wider than the baseplate: pieces whose centre of mass would be past the edge
    # are not placed; none hangs below the baseplate's top outside it.
    scene = load_scene(
        write_scene(
            tmp_path,
            """
place:
  ground: {part: 3867, color: 2}                # 16 x 16 baseplate
scatter:
  rubble:
    parts: [3010, 3009, 3023, 3024]
    count: 80
    area: {near: ground, margin: 3}
    tilt: 40
    settle: true
""",
        )
    )
    model = scene.model
    rubble = indices(scene, "rubble")
    assert sg.hanging(model, rubble, indices(scene, "ground")) == []
    # A piece lying on the baseplate has its centre over it; one on other pieces may reach
    # a little further out, held by pieces that themselves overhang the edge.
    lo, hi, _ = sg.ground(model, indices(scene, "ground"))
    for k, points in zip(rubble, sg.scene_points(model, rubble), strict=True):
        centre = (points[:, [0, 2]].min(0) + points[:, [0, 2]].max(0)) / 2
        margin = 1.0 if points[:, 1].min() < 5 else 20.0
        assert np.all(centre >= lo[0] - margin) and np.all(centre <= hi[0] + margin), k


HEAP = """
place:
  ground: {{part: 3811, color: 71}}
{more}scatter:
  heap:
    parts: {parts}
    color: 14
    count: 100
    area: {{rect: [[-40, -40], [40, 40]]}}
    settle: true
"""


def heap_scene(tmp_path: Path, parts: str, more: str = ""):
    """100 pieces dropped on a 4 x 4 stud area of a baseplate (with `more` placed)."""
    return load_scene(write_scene(tmp_path, HEAP.format(parts=parts, more=more)))


@pytest.mark.slow  # 100 bricks settled (5 s)
def test_a_dense_scatter_makes_a_heap_not_a_tower(tmp_path):
    # A brick landing on the flat top of others is held there only where the heap around it
    # is no steeper than MAX_SLOPE; otherwise it tumbles on down.  Without that rule they
    # stacked into a column 21 bricks high, 5 times as high as the heap was wide.
    scene = heap_scene(tmp_path, "[3004]")
    at = scene.model.transform[scene.entries["heap"]][:, :3, 3]
    height = -at[:, 1].min()
    spread = np.percentile(np.hypot(at[:, 0], at[:, 2]), 90)
    assert height < 8 * 24  # a mound a few bricks high
    assert height / spread < math.tan(math.radians(55)), (height, spread)
    assert sg.hanging(scene.model, indices(scene, "heap"), indices(scene, "ground")) == []


@pytest.mark.slow  # 100 bricks settled (4 s)
def test_a_heap_does_not_climb_a_pole_beside_it(tmp_path):
    # Around a pole 12 bricks high the bricks heap up at its foot: a piece tumbling down the
    # heap goes neither through the pole nor up its side (they stacked against it to 224
    # LDU, and one slide carried a brick onto a roof truss in the Stalingrad scene).  Only
    # a brick dropped right over the pole can end on its top.
    pole = "  pole: {part: 3005, color: 0, at: [0, 24, 0], repeat: {count: 12, step: [0, 24, 0]}}\n"
    scene = heap_scene(tmp_path, "[3004, 3005]", pole)
    at = scene.model.transform[scene.entries["heap"]][:, :3, 3]
    beside = np.abs(at[:, [0, 2]]).max(axis=1) > 20  # not over the pole's top
    assert beside.sum() >= 95
    assert -at[beside, 1].min() < 150, np.sort(-at[beside, 1])[-5:]  # the pole is 288 high


OVER_FILLED = """
place:
  plate: {part: 3031, color: 1}
scatter:
  pile: {parts: [3005], color: 4, count: 40, area: {near: plate}, settle: true}
"""

# Two small heaps at opposite corners of a baseplate: their areas are 4 % of the box the
# pieces are drawn in, so most draws fall outside them.
TWO_CORNERS = """
place:
  ground: {part: 3811, color: 71}
scatter:
  heaps:
    parts: [3005, 3004]
    color: 14
    count: 80
    area: [{rect: [[-300, -300], [-220, -220]]}, {rect: [[220, 220], [300, 300]]}]
    settle: true
"""


WALL_TOPS = """
units: stud
seed: 4
place:
  ground: {part: 3811, color: 71}
  wall_a:
    part: 3001
    at: [-12, "1 brick", -14]
    repeat: [{count: 2, step: [4, 0, 0]}, {count: 3, step: [0, "1 brick", 0]}]
  wall_b:
    part: 3001
    at: [8, "1 brick", 14]
    repeat: [{count: 2, step: [4, 0, 0]}, {count: 3, step: [0, "1 brick", 0]}]
scatter:
  snow:
    parts: [3024, {part: 3023, weight: 0.5}]
    color: 15
    count: 14
    area: [{rect: [[-14, -15], [-6, -13]]}, {rect: [[6, 13], [14, 15]]}]
    on: [wall_a, wall_b]
    settle: true
"""


def _over_filled(scene) -> list[str]:
    return [w for w in scene.model.warnings if "over-filled" in w]


@pytest.mark.slow  # 120 pieces settled (5 s)
def test_an_over_filled_area_warns_and_draws_outside_it_do_not_count(tmp_path):
    # 40 bricks on a lone 4 x 4 plate: most find no place where the heap holds them, and are
    # left on its steep side, as a scatter must place its count; the builder is told.
    lone = load_scene(write_scene(tmp_path, OVER_FILLED))
    (warning,) = _over_filled(lone)
    assert "scatter 'pile'" in warning and "of its 40 pieces found no place" in warning
    assert warning.startswith(str(tmp_path / "scene.yaml") + ":5:")
    # Pieces that find no hold are drawn again for as many draws as fall inside the area.
    # Counting draws outside it too left a quarter of these on steep sides (and the
    # Stalingrad debris, in strips along its walls).
    corners = load_scene(write_scene(tmp_path, TWO_CORNERS))
    assert _over_filled(corners) == []
    # One snow plate of 14 left stacked on a wall top (2 studs wide: a plate on a plate there
    # tumbles off) is not worth a warning.
    wall_tops = load_scene(write_scene(tmp_path, WALL_TOPS))
    assert len(wall_tops.model.transform[wall_tops.entries["snow"]]) == 14
    assert _over_filled(wall_tops) == []


def test_readme_scene_rests_on_its_baseplate(tmp_path):
    scene = load_scene(write_scene(tmp_path, readme_scene()))
    snow = indices(scene, "snow")
    places = indices(scene, "ground", "wall", "sentry")
    assert sg.hanging(scene.model, snow, places) == []
    deepest = sg.penetrations(scene.model, snow)
    assert not deepest or deepest[0][0] <= 1.0, deepest[:3]


@pytest.mark.slow
def test_a_pile_does_not_pass_into_itself_or_what_is_under_it(tmp_path):
    # Many pieces in a small area pile up on a plate, a brick wall and each other.
    scene = load_scene(
        write_scene(
            tmp_path,
            """
place:
  floor: {part: 3036, color: 72, at: [0, 8, 0]}
  wall: {part: 3010, color: 4, at: [0, 32, -20], repeat: {count: 2, step: [0, 24, 0]}}
scatter:
  rubble:
    parts: [3004, 3005, 3023, 3024, 3022, 3040b]
    colors: [70, 72]
    count: 30
    area: {rect: [[-50, -50], [50, 50]]}
    tilt: 50
    settle: true
  snow:
    parts: [3024, 3070b, 3069b]
    color: 15
    count: 25
    area: {rect: [[-50, -50], [50, 50]]}
    settle: true
""",
        )
    )
    scattered = indices(scene, "rubble", "snow")
    deepest = sg.penetrations(scene.model, scattered)
    assert deepest and deepest[0][0] <= 1.0, deepest[:3]
    under = sg.penetrations(scene.model, scattered, indices(scene, "floor", "wall"))
    assert under and under[0][0] <= 1.0, under[:3]
    tops = lowest(scene, "snow")
    assert (tops > 8 - 0.5).all()  # nothing below the floor's top


AVOID = """
place:
  floor: {{part: 3867, color: 72}}
  statue: {{part: 3003, color: 4, at: [0, 24, 0], repeat: {{count: 3, step: [0, 24, 0]}}}}
  guards:
    group:
      left: {{model: guard, at: [-50, 0, 0]}}
      right: {{model: guard, at: [50, 0, 0]}}
models:
  guard:
    minifig: {{pose: {{left_arm: 90, right_arm: 90}}}}
scatter:
  snow:
    parts: [3024, 3070b]
    color: 15
    count: 60
    area: {{rect: [[-80, -30], [80, 30]]}}
    settle: true
{extra}
"""


@pytest.mark.slow  # whole scenes or real models: seconds (the fast loop stays under a minute)
def test_avoid_keeps_pieces_off_entries(tmp_path):
    def snow_on(extra: str) -> tuple[int, int]:
        """How many snow pieces touch the statue, and the guards."""
        folder = tmp_path / str(len(list(tmp_path.iterdir())))
        folder.mkdir()
        scene = load_scene(write_scene(folder, AVOID.format(extra=extra)))
        snow = indices(scene, "snow")
        return tuple(
            len({i for i, _ in sg.touching(scene.model, snow, indices(scene, name))})
            for name in ("statue", "guards")
        )

    statue, guards = snow_on("")
    assert statue > 0 and guards > 0  # without avoid:, snow lands on both
    assert snow_on("    avoid: [statue, guards]") == (0, 0)
    assert snow_on("    on: floor") == (0, 0)
    statue, guards = snow_on("    avoid: guards")
    assert statue > 0 and guards == 0


def test_on_names_what_pieces_may_rest_on(tmp_path):
    scene = load_scene(
        write_scene(
            tmp_path,
            """
place:
  floor: {part: 3867, color: 72}
  rubble: {part: 3001, color: 70, at: [0, 24, 0], repeat: {count: 3, step: [0, 0, 40]}}
scatter:
  debris: {parts: [3024], count: 30, area: {rect: [[-60, -30], [60, 110]]}, settle: true}
  snow:
    parts: [3024]
    color: 15
    count: 30
    area: {rect: [[-40, -20], [40, 100]]}
    on: [rubble, debris]
    settle: true
""",
        )
    )
    low = lowest(scene, "snow")
    # On the bricks (top 24) or on debris (itself on the floor, the bricks or debris), never
    # on the floor (top 0, stud tops 4).
    assert (low > 6).all(), low


@pytest.mark.parametrize(
    "extra, line, column, needles",
    [
        ("    avoid: [statue, gaurds]", 19, 21, ["'gaurds' is not a placed name", "'guards'"]),
        (
            "    on: [snow2]\n  snow2: {parts: [3024], count: 1, area: {near: floor}}",
            19,
            10,
            ["'snow2' is a later scatter entry"],
        ),
        ("    on: statue\n    area: {rect: [[200, 200], [220, 220]]}", 0, 0, ["area"]),
        ("    on: []", 19, 9, ["must be a list of entry names"]),
        ("    avoid: [3]", 19, 13, ["'3' is not a placed name"]),  # a number names `3:`
        ("    avoid: [3.5]", 19, 13, ["must hold entry names"]),
    ],
)
def test_on_and_avoid_errors(tmp_path, extra, line, column, needles):
    path = write_scene(tmp_path, AVOID.format(extra=extra))
    with pytest.raises(LdsceneError) as caught:
        load_scene(path)
    message = str(caught.value)
    for needle in needles:
        assert needle in message, message
    if line:
        assert (caught.value.line, caught.value.column) == (line, column), message


def test_nowhere_to_land_is_one_line_and_writes_nothing(tmp_path):
    # Only the statue may take the snow, and the area is far from it.
    text = AVOID.format(extra="    on: [statue]").replace(
        "area: {rect: [[-80, -30], [80, 30]]}", "area: {rect: [[100, 100], [140, 140]]}"
    )
    path = write_scene(tmp_path, text)
    out = tmp_path / "out.mpd"
    result = run_cli("export", str(path), "-o", str(out))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "scene.yaml:19:5:" in lines[0] and "nothing in its area" in lines[0], lines[0]
    assert not out.exists()


def test_on_needs_settle(tmp_path):
    text = AVOID.format(extra="    on: [floor]").replace("    settle: true\n", "")
    with pytest.raises(LdsceneError) as caught:
        load_scene(write_scene(tmp_path, text))
    assert "needs settle: true" in str(caught.value) and caught.value.line == 18


@pytest.mark.slow
def test_on_and_avoid_give_the_same_bytes_in_every_process(tmp_path):
    path = write_scene(tmp_path, AVOID.format(extra="    avoid: [guards]\n    tilt: 20"))
    outputs = []
    for name in ("a.mpd", "b.mpd"):
        result = run_process("export", str(path), "-o", str(tmp_path / name))
        assert result.returncode == 0, result.stderr
        outputs.append((tmp_path / name).read_bytes())
    assert outputs[0] == outputs[1]


@pytest.mark.slow  # the scatter settles ~1,850 pieces before it gives up (13 s)
def test_an_overfilled_tiny_area_fails_without_trying_every_draw(tmp_path, monkeypatch):
    """200 crates on one stud: the heap stops taking pieces after about 140, and the scatter
    went on drawing (12,200 settling attempts, over a minute) before it failed; it now stops once
    twice its recent rate could not place the pieces still missing."""
    from ldscene.scene import scatter

    attempts = []
    real = scatter._Settling.rest
    monkeypatch.setattr(
        scatter._Settling, "rest", lambda self, a: attempts.append(a.strict) or real(self, a)
    )
    path = write_scene(
        tmp_path,
        "place:\n  ground: {part: 3811}\nscatter:\n  crates:\n    parts: [30150]\n"
        "    count: 200\n    area: {rect: [[0, 0], [1, 1]]}\n    settle: true\n",
    )
    with pytest.raises(LdsceneError, match=r"placed only \d+ of 200 pieces"):
        load_scene(path, use_cache=False)
    assert attempts.count(True) == 5 * 200 + 50  # every strict draw is made, as before
    assert len(attempts) < 3000, len(attempts)


def test_a_settling_scatter_reports_its_progress(tmp_path):
    """A dense settling scatter takes seconds to minutes: `render` showed "loading" and no
    more all that time. Each placed piece is now reported, up to the whole count."""
    scene = write_scene(
        tmp_path,
        "place:\n  floor: {part: 3811, color: Green}\n"
        "scatter:\n  snow:\n    parts: [3024]\n    color: White\n    count: 12\n"
        "    area: {polygon: [[-60, -60], [60, -60], [60, 60], [-60, 60]]}\n"
        "    settle: true\n",
    )
    heard: list[tuple[str, float]] = []
    load_scene(scene, use_cache=False, progress=lambda stage, done: heard.append((stage, done)))
    assert [stage for stage, _ in heard] == ["placing scatter 'snow'"] * 12
    assert [done for _, done in heard] == [(i + 1) / 12 for i in range(12)]
