"""Minifig stances and `settle: true` on placed entries, against the real LDraw library.

Heights are measured the way `ldscene info --json` reports them: per-entry bounding boxes in
LDraw axes (-y up), so an entry's lowest point is its box's largest y.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli, run_process, write_scene

from ldscene.errors import LdsceneError
from ldscene.scene import load_scene
from ldscene.scene import minifig as fig
from ldscene.scene import spec as sp
from ldscene.scene import transforms as tf
from ldscene.scene.bounds import model_samples
from ldscene.scene.heightfield import HeightField
from ldscene.scene.schema import scene_schema, validate


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("swing", [30, 90, 180, -45])
def test_an_arm_swings_about_its_own_pin(side, swing):
    # The pin is the arm's own x axis through the shoulder: its points stay where they are at
    # rest, so the arm stays in its socket however far it swings.
    rest, posed = fig._rest_arm(side), fig._posed_arm(side, swing)
    pin = np.array([[x, 0.0, 0.0, 1.0] for x in (-6.0, 0.0, 6.0)])
    assert np.allclose(pin @ posed.T, pin @ rest.T, atol=1e-9)
    # The hand keeps its distance from the pin: it turns about it, it does not drift.
    hand_rest = fig.hand_transform(side, 0.0)[:3, 3]
    hand = fig.hand_transform(side, swing)[:3, 3]
    axis = rest[:3, :3] @ [1.0, 0.0, 0.0]
    axis /= np.linalg.norm(axis)
    shoulder = fig.SHOULDER[side]

    def off_axis(p):
        d = p - shoulder
        return np.linalg.norm(d - (d @ axis) * axis), d @ axis

    # (to 0.01 LDU: 973c01.dat's tilt, which the arms copy, is rounded to 0.985 and 0.17)
    assert np.allclose(off_axis(hand), off_axis(hand_rest), atol=0.01)


def test_a_swing_turns_the_hand_forward_and_up():
    hand = fig.hand_transform("right", 90.0)
    assert hand[2, 3] < -15  # in front of the figure (LDraw -z)
    assert -hand[1, 3] > fig.hand_transform("right", 0.0)[1, 3] * -1  # higher than at rest


# -- stances -----------------------------------------------------------------------------------

STANCE_NAMES = ("stand", "sit", "kneel", "lie_front", "lie_back", "lie_side")


def info_boxes(path: Path) -> dict[str, dict]:
    """`ldscene info --json`'s per-entry boxes, as scene heights: {name: {"low", "high"}}
    (LDraw's y is down, so an entry's lowest point is its box's largest y)."""
    result = run_cli("info", str(path), "--json")
    assert result.returncode == 0, result.stderr
    models = json.loads(result.stdout)["models"]
    return {
        name: {"low": -entry["bbox"]["max"][1], "high": -entry["bbox"]["min"][1]}
        for name, entry in models.items()
    }


def _figures(stance_of: dict[str, str], extra: str = "") -> str:
    models = "\n".join(
        f"  {name}: {{minifig: {{stance: {stance}, torso: {{color: Dark_Green}}, "
        f"hat: {{part: 87998, color: Dark_Green}}}}}}"
        for name, stance in stance_of.items()
    )
    return f"models:\n{models}\n{extra}"


def _by_part(model, name: str) -> np.ndarray:
    return model.transform[
        [i for i in range(model.n_instances) if model.leaves[model.leaf[i]].name == name]
    ]


@pytest.fixture(scope="module")
def on_the_ground(tmp_path_factory) -> tuple[Path, object]:
    """Every stance placed at y = 0 on nothing, one stud grid apart."""
    folder = tmp_path_factory.mktemp("stances")
    place = "\n".join(
        f"  {name}: {{model: {name}, at: [{120 * i}, 0, 0]}}" for i, name in enumerate(STANCE_NAMES)
    )
    path = write_scene(folder, _figures({n: n for n in STANCE_NAMES}, f"place:\n{place}\n"))
    return path, load_scene(path)


def test_every_stance_rests_on_the_ground_at_its_origin(on_the_ground):
    path, scene = on_the_ground
    boxes = info_boxes(path)
    for name in STANCE_NAMES:
        assert boxes[name]["low"] == pytest.approx(0.0, abs=1e-3), name  # neither floats nor sinks
    # How tall each stance stands: lying figures are low, kneeling and sitting ones between.
    assert boxes["stand"]["high"] > boxes["kneel"]["high"] > boxes["sit"]["high"]
    for name in ("lie_front", "lie_back", "lie_side"):
        assert boxes[name]["high"] < 70, name


def test_a_seated_figure_sits_54_ldu_above_its_seat_with_the_legs_forward(on_the_ground):
    _, scene = on_the_ground
    model = scene.entry_model("sit")
    torso = _by_part(model, "973.dat")[0]
    # Its origin is the seat: the torso 54 LDU above it, and 18 LDU behind the stud holes
    # in the legs, which the origin is under.
    assert np.allclose(torso[:3, 3], [120, -54, 18])
    for name in ("3816b.dat", "3817b.dat"):
        leg = _by_part(model, name)[0]
        assert np.allclose(leg[:3, :3], [[1, 0, 0], [0, 0, 1], [0, -1, 0]])  # as 3815c02.dat


def test_lying_figures_lie_flat_and_face_the_way_they_fell(on_the_ground):
    _, scene = on_the_ground
    for name, face in (("lie_back", -1), ("lie_front", 1), ("lie_side", None)):
        torso = _by_part(scene.entry_model(name), "973.dat")[0]
        up = torso[:3, :3] @ [0, -1, 0]  # the torso's own up (LDraw -y) ...
        assert abs(up[1]) < 0.2, name  # ... lies nearly level
        front = torso[:3, :3] @ [0, 0, -1]
        if face is not None:
            assert front[1] * face > 0.95, name  # face up (LDraw -y) or down
        else:
            assert abs(front[1]) < 0.05 and front[2] < -0.95  # still facing the viewer
    # The kneeling figure keeps its upper body nearly upright.
    torso = _by_part(scene.entry_model("kneel"), "973.dat")[0]
    assert (torso[:3, :3] @ [0, -1, 0])[1] < -0.95


def test_an_unknown_stance_is_an_error_with_a_suggestion(tmp_path):
    path = write_scene(
        tmp_path,
        "models:\n  a: {minifig: {stance: kneal}}\nplace:\n  a: {model: a}\n",
    )
    with pytest.raises(LdsceneError) as caught:
        load_scene(path)
    err = caught.value
    assert (err.line, err.column) == (2, 25)
    assert "unknown stance 'kneal'" in str(err) and "did you mean 'kneel'" in str(err)
    out = tmp_path / "out.mpd"
    result = run_cli("export", str(path), "-o", str(out))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "scene.yaml:2:25" in result.stderr and not out.exists()


def test_the_schema_knows_the_stances_and_settle():
    defs = scene_schema()["$defs"]
    assert defs["minifig"]["properties"]["stance"]["enum"] == list(sp.STANCES)
    assert defs["placement"]["properties"]["settle"] == {
        **defs["placement"]["properties"]["settle"],
        "type": "boolean",
    }
    assert validate({"models": {"a": {"minifig": {"stance": "sit"}}}}) == []
    assert validate({"models": {"a": {"minifig": {"stance": "squat"}}}})


# -- settle: true on placed entries -------------------------------------------------------------

#: A stud stands 4 LDU above its brick's top face; `info` boxes include the studs.
STUD = 4.0


def test_a_seated_figure_settles_onto_a_1x2_brick(tmp_path):
    # Dropped from above the brick, it comes down until the brick's studs are in the holes
    # in the back of its legs: its lowest point (the back of the thighs) on the brick's top
    # face, its torso 54 LDU above that.
    path = write_scene(
        tmp_path,
        _figures(
            {"sitter": "sit"},
            """place:
  brick: {part: 3004, color: Red, at: [40, "1 brick", -20]}
  sitter: {model: sitter, at: [40, 200, -20], settle: true}
""",
        ),
    )
    boxes = info_boxes(path)
    brick_top = boxes["brick"]["high"] - STUD
    assert boxes["sitter"]["low"] == pytest.approx(brick_top, abs=1.0)
    torso = _by_part(load_scene(path).entry_model("sitter"), "973.dat")[0]
    assert -torso[1, 3] == pytest.approx(brick_top + 54, abs=1.0)


@pytest.fixture(scope="module")
def settled(tmp_path_factory) -> tuple[Path, object]:
    """Kneeling and lying figures dropped onto a 32 × 32 baseplate, on and off its studs."""
    folder = tmp_path_factory.mktemp("settled")
    column = {"kneel": -250, "lie_front": -130, "lie_back": 0, "lie_side": 250}
    place = ["  base: {part: 3811, color: Light_Bluish_Grey}"]
    for name, x in column.items():
        for j, (dx, dz) in enumerate([(0, 0), (10, 10), (3, 7)]):
            place.append(
                f"  {name}_{j}: {{model: {name}, at: [{x + dx}, 80, {-200 + 150 * j + dz}], "
                f"yaw: {15 * j}, settle: true}}"
            )
    path = write_scene(folder, _figures({n: n for n in column}, "place:\n" + "\n".join(place)))
    return path, load_scene(path)


@pytest.mark.slow
def test_kneeling_and_lying_figures_settle_onto_a_baseplate(settled):
    path, scene = settled
    boxes = info_boxes(path)
    top = boxes["base"]["high"]  # the stud tops
    field = HeightField(np.array([-330.0, -330.0]), np.array([330.0, 330.0]), cell=1.0)
    field.add(model_samples(scene.entry_model("base"), 0.5))
    for name, box in boxes.items():
        if name == "base":
            continue
        # Within 1 LDU of the baseplate's top, not below it (a round head may dip a little
        # between studs, never into them) ...
        assert top - 1.0 <= box["low"] <= top + 1.0, (name, box["low"], top)
        # ... and nowhere inside the baseplate: no point of the figure lies below the
        # baseplate's surface in its column (studs included; 1 LDU grid).
        points = model_samples(scene.entry_model(name), 0.5)
        i, j, inside = field.cells(points[:, [0, 2]])
        sunk = field.top[i[inside], j[inside]] + points[inside, 1]
        assert sunk.max() <= 0.5, (name, sunk.max())


def test_a_standing_figure_settles_into_studs_only_where_its_feet_fit(tmp_path):
    path = write_scene(
        tmp_path,
        _figures(
            {"guy": "stand"},
            """place:
  base: {part: 3811, color: 72}
  on_grid: {model: guy, at: [0, 50, 10], settle: true}      # feet over studs
  off_grid: {model: guy, at: [65, 50, 3], settle: true}     # feet between them
""",
        ),
    )
    boxes = info_boxes(path)
    top_face = boxes["base"]["high"] - STUD
    assert boxes["on_grid"]["low"] == pytest.approx(top_face, abs=0.5)  # plugged in, as built
    assert boxes["off_grid"]["low"] == pytest.approx(top_face + STUD, abs=0.5)  # on the studs


#: Everything here stands on the stud grid, so each settles into the studs below it.
SETTLE = """
models:
  stack:
    group:
      bottom: {part: 3001, color: 4}
      crate: {part: 3005, color: 6, at: [10, 100, 10], settle: true}
place:
  base: {part: 3811, color: 72}
  ramp: {part: 3001, color: 1, at: [60, 24, 0]}       # a 2 x 4 brick on the base
  roof: {part: 3036, color: 0, at: [-50, 150, 10]}    # a plate high above 'under'
  under: {part: 3005, color: 4, at: [-50, 0, 10], settle: true}
  lifted: {part: 3003, color: 2, at: [60, 10, 0], settle: true}   # starts inside 'ramp'
  tower: {part: 3005, color: 14, at: [-150, 300, 10], repeat: {count: 3, step: [0, 30, 0]},
          settle: true}
  crates: {model: stack, at: [140, 0, 0], settle: true}
  pair:
    at: [0, 200, 100]
    settle: true
    group:
      a: {part: 3001, color: 4}
      b: {part: 3001, color: 4, at: [0, 40, 0], settle: true}
"""


def test_settle_works_on_parts_groups_models_and_repeats(tmp_path):
    path = write_scene(tmp_path, SETTLE)
    boxes = info_boxes(path)
    top_face = boxes["base"]["high"] - STUD
    brick = 24.0
    # Under a roof it settles on the ground, not on the roof.
    assert boxes["under"]["low"] == pytest.approx(top_face, abs=0.5)
    # Put into a brick, it comes out on top of it (studs in its tubes).
    assert boxes["lifted"]["low"] == pytest.approx(top_face + brick, abs=0.5)
    # A repeat's copies settle one by one, each onto the one before: a tower of three.
    assert boxes["tower"]["low"] == pytest.approx(top_face, abs=0.5)
    assert boxes["tower"]["high"] == pytest.approx(top_face + 3 * brick + STUD, abs=0.5)
    # Inside a model the crate settles on the model's own brick; the model settles whole.
    assert boxes["crates"]["low"] == pytest.approx(top_face, abs=0.5)
    assert boxes["crates"]["high"] == pytest.approx(top_face + 2 * brick + STUD, abs=0.5)
    # A group member settles on its group first, then the group comes down as one.
    assert boxes["pair"]["low"] == pytest.approx(top_face, abs=0.5)
    assert boxes["pair"]["high"] == pytest.approx(top_face + 2 * brick + STUD, abs=0.5)


def test_repeat_copies_settled_onto_each_other_sideways_get_a_warning(tmp_path):
    # Apples 1.5 studs apart hung on each other's stems, up to 100 LDU above the brick; a
    # vertical step (the tower above) stacks copies on purpose and says nothing.
    apples = (
        "place:\n  ground: {part: 3811}\n"
        "  counter: {part: 3009, at: [0, 24, 10]}\n"
        "  apples: {part: 33051, color: 4, at: [-50, 60, 10],\n"
        "           repeat: {count: 4, step: [30, 0, 0]}, settle: true}\n"
    )
    scene = load_scene(write_scene(tmp_path, apples))
    (warning,) = [w for w in scene.model.warnings if "copies resting on each other" in w]
    assert ":5:" in warning and "place 'apples' has copies resting on each other" in warning
    spaced = load_scene(
        write_scene(tmp_path, apples.replace("step: [30, 0, 0]", "step: [40, 0, 0]"))
    )
    assert not [w for w in spaced.model.warnings if "copies resting" in w]
    tower = load_scene(write_scene(tmp_path, SETTLE))
    assert not [w for w in tower.model.warnings if "copies resting" in w]


def test_settle_with_nothing_below_is_an_error_and_writes_nothing(tmp_path):
    path = write_scene(
        tmp_path,
        """place:
  base: {part: 3811, color: 72}
  lost: {part: 3001, at: [1000, 50, 0], settle: true}
""",
    )
    with pytest.raises(LdsceneError) as caught:
        load_scene(path)
    err = caught.value
    assert (err.line, err.column) == (3, 49)
    assert "place 'lost': nothing below it to settle on" in str(err)
    out = tmp_path / "out.mpd"
    result = run_cli("export", str(path), "-o", str(out))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and "scene.yaml:3:49" in result.stderr
    assert not out.exists()


def test_settle_inside_a_model_settles_onto_the_model_itself(tmp_path):
    err_path = write_scene(
        tmp_path,
        """models:
  squad:
    group:
      a: {model: guy, settle: true}
  guy: {minifig: {}}
place:
  base: {part: 3811, color: 72}
  squad: {model: squad}
""",
    )
    with pytest.raises(LdsceneError) as caught:
        load_scene(err_path)
    assert (caught.value.line, caught.value.column) == (4, 31)
    assert "settle the model where it is placed" in str(caught.value)


@pytest.mark.slow  # whole child processes (or a worker pool): the full suite runs it
def test_settled_scenes_export_the_same_bytes_in_every_process(tmp_path, settled):
    path, _ = settled
    outputs = []
    for k in range(2):
        out = tmp_path / f"out{k}.mpd"
        result = run_process("export", str(path), "-o", str(out))
        assert result.returncode == 0, result.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


@pytest.mark.unit
def test_a_figures_corners_are_deduplicated_as_numpy_unique_does():
    from ldscene.scene.minifig import _unique_rows

    rng = np.random.default_rng(7)
    corners = rng.integers(-20, 20, (400, 3)) * 0.5
    points = corners[rng.integers(0, 400, 3000)] @ tf.rot_y(33.0).T + 1.25
    assert np.array_equal(_unique_rows(points), np.unique(points, axis=0))
    assert len(_unique_rows(points)) < len(points)


ROWER = """units: mm
models:
  rower:
    minifig:
      stance: sit
      pose: {left_arm: ARM, right_arm: ARM}
      hold:
        left: {part: 2542, color: Reddish_Brown}
        right: {part: 2542, color: Reddish_Brown}
place:
  water: {part: 3811, color: Blue}
  boat:
    group:
      hull: {part: 2626, color: White, at: [0, 30, 0], settle: true}
      seat: {part: 3004, color: Reddish_Brown, at: [0, 30, 0], settle: true, yaw: 90}
      rower: {model: rower, at: [0, 60, 0], settle: true}
"""


@pytest.mark.slow  # seconds of work: the full suite keeps it
def test_a_figure_held_up_by_what_it_holds_gets_a_warning_naming_its_line(tmp_path):
    """Oars pointing down into the hull keep the rower off the seat: it rests there, as a rigid
    figure would, and a warning says why and what to change; raised arms clear the hull."""
    low = load_scene(write_scene(tmp_path, ROWER.replace("ARM", "70"), "low.yaml"), use_cache=False)
    held = [w for w in low.model.warnings if "rests on what it holds" in w]
    assert len(held) == 1 and held[0].startswith(f"{tmp_path / 'low.yaml'}:16:"), held
    high = load_scene(
        write_scene(tmp_path, ROWER.replace("ARM", "100"), "high.yaml"), use_cache=False
    )
    assert not [w for w in high.model.warnings if "rests on what it holds" in w]
    # Without the warning's cause the torso sits lower: on the seat, not on the oars.
    lows = [_by_part(s.entry_model("boat"), "973.dat")[0][1, 3] for s in (low, high)]
    assert lows[1] - lows[0] > 12, lows  # LDraw y grows downwards


@pytest.mark.slow  # three scenes composed uncached (9 s)
def test_a_figure_seated_on_a_chairs_back_gets_a_warning_naming_its_line(tmp_path):
    """Placed at a minifig chair's origin, a seated figure settles onto the chair's back; a
    warning says the seat lies half a stud in front.  Turned, the chair's front is where
    the figure faces; placed half a stud forward, it sits on the seat, lower, and is not
    warned about."""
    chairs = """place:
  ground: {part: 3811, color: Light_Bluish_Grey}
  chair: {part: 4079, color: Red, yaw: YAW}
  sitter: {model: sitter, at: [AT], yaw: YAW, settle: true}
"""
    warned, heights = [], []
    for k, (yaw, at) in enumerate([(0, "0, 60, 0"), (0, "0, 60, 10"), (90, "0, 60, 0")]):
        text = _figures({"sitter": "sit"}, chairs.replace("YAW", str(yaw)).replace("AT", at))
        path = write_scene(tmp_path, text, f"chair{k}.yaml")
        scene = load_scene(path, use_cache=False)
        warned.append([w for w in scene.model.warnings if "a chair's back?" in w])
        heights.append(-_by_part(scene.entry_model("sitter"), "973.dat")[0][1, 3])
    assert len(warned[0]) == 1 and warned[0][0].startswith(f"{tmp_path / 'chair0.yaml'}:6:")
    assert "LDU higher than it would sit half a stud forward" in warned[0][0]
    assert warned[1] == [] and heights[0] - heights[1] > 30, heights  # on the seat
    assert len(warned[2]) == 1 and heights[2] == pytest.approx(heights[0], abs=0.5)


def test_a_kneeling_figure_holding_a_broom_down_kneels_upright_and_is_warned(tmp_path):
    """A broom held down and forward laid the kneeling figure on its back (what it held tipped
    it 50 degrees): what a figure holds now only lifts it, as far as it reaches below the
    body, and a warning names the hold: line and the fix."""
    text = (
        "models:\n"
        "  plain: {minifig: {stance: kneel, pose: {right_arm: 45}}}\n"
        "  sweeper:\n"
        "    minifig:\n"
        "      stance: kneel\n"
        "      pose: {right_arm: 45}\n"
        "      hold: {right: {part: 4332, color: Brown}}\n"
        "place:\n"
        "  plain: {model: plain}\n"
        "  sweeper: {model: sweeper, at: [0, 0, 6]}\n"
    )
    path = write_scene(tmp_path, text, "sweep.yaml")
    scene = load_scene(path, use_cache=False)
    plain, sweeper = (_by_part(scene.entry_model(n), "973.dat")[0] for n in ("plain", "sweeper"))
    assert np.allclose(plain[:3, :3], sweeper[:3, :3], atol=1e-6)  # the same kneel, not tipped
    lift = sweeper[1, 3] - plain[1, 3]  # LDraw y grows downwards: the broom holds it up
    assert lift < -12, lift
    held = [w for w in scene.model.warnings if "what it holds reaches" in w]
    assert len(held) == 1 and held[0].startswith(f"{path}:7:"), scene.model.warnings
    assert f"{-lift:.0f} LDU below its body" in held[0]
    boxes = info_boxes(path)
    assert boxes["sweeper"]["low"] == pytest.approx(0.0, abs=1e-3)  # the broom on the ground


def test_a_standing_figure_holding_a_spear_into_the_ground_is_warned(tmp_path):
    """A standing figure stands on its feet whatever it holds: a spear held down went 12 LDU
    into the baseplate without a word, while the same hold on a kneeling figure warned. A
    torch, which ends above the feet, is no warning."""
    text = (
        "models:\n"
        "  spear: {minifig: {hold: {right: {part: 4497, color: Brown}}}}\n"
        "  torch: {minifig: {hold: {right: {part: 3959, color: Black}}}}\n"
        "place:\n"
        "  floor: {part: 3811, color: Green}\n"
        "  spearman: {model: spear, at: [8, 0, 0]}\n"
        "  torchman: {model: torch, at: [-8, 0, 0]}\n"
    )
    path = write_scene(tmp_path, text, "spear.yaml")
    scene = load_scene(path, use_cache=False)
    held = [w for w in scene.model.warnings if "what it holds reaches" in w]
    assert len(held) == 1 and held[0].startswith(f"{path}:2:"), scene.model.warnings
    assert "LDU below its feet, into what it stands on" in held[0]


def test_a_held_part_resting_on_a_neighbour_names_the_neighbour(tmp_path):
    """Two astronauts settled side by side: the second's scanner came down on the first's
    helmet, and the warning told the builder to raise the arms; it now names the neighbour
    it rests on and says to move it away."""
    text = (
        "models:\n"
        "  astronaut:\n"
        "    minifig:\n"
        "      hat: {part: 769, color: Trans_Clear}\n"
        "      pose: {right_arm: 60, left_arm: 10}\n"
        "      hold: {right: {part: 30035, color: Light_Bluish_Grey}}\n"
        "place:\n"
        "  ground: {part: 3811}\n"
        "  lead: {model: astronaut, at: [-40, 0, 20], yaw: 30, settle: true}\n"
        "  second: {model: astronaut, at: [30, 0, -10], yaw: -45, settle: true}\n"
    )
    scene = load_scene(write_scene(tmp_path, text, "crew.yaml"), use_cache=False)
    held = [w for w in scene.model.warnings if "rests on what it holds" in w]
    assert len(held) == 1 and "place 'second' rests on" in held[0], held
    assert "what it holds rests on place 'lead'" in held[0]
    assert "(move it away from place 'lead', or raise the arms" in held[0]


def test_hips_with_a_skirt_to_the_ground_take_the_legs_place(tmp_path):
    """36036 "Minifig Hips and Skirt" in hips: got default legs too, which stuck out through
    the front of the skirt. A skirt to the ground now takes the legs' place: the figure
    stands on its hem; legs given as well, or sitting and kneeling, are errors."""
    text = (
        "models:\n"
        "  woman: {minifig: {hips: {part: 36036, color: Red}, torso: {color: White}}}\n"
        "place:\n"
        "  woman: {model: woman}\n"
    )
    path = write_scene(tmp_path, text, "skirt.yaml")
    scene = load_scene(path, use_cache=False)
    names = {leaf.name for leaf in scene.entry_model("woman").leaves}
    assert "36036.dat" in names and not names & {"3816b.dat", "3817b.dat"}, names
    assert info_boxes(path)["woman"]["low"] == pytest.approx(0.0, abs=0.5)  # on its hem
    cases = {
        "legs: {color: Blue}": ("skirt.yaml:2:", "in the legs' place"),
        "stance: kneel": ("skirt.yaml:2:", "it has no legs to kneel on"),
    }
    for extra, (where, message) in cases.items():
        bad = text.replace("torso: {color: White}", f"torso: {{color: White}}, {extra}")
        with pytest.raises(LdsceneError) as caught:
            load_scene(write_scene(tmp_path, bad, "skirt.yaml"), use_cache=False)
        assert where in str(caught.value) and message in str(caught.value), str(caught.value)


def test_a_lying_figure_held_up_by_its_legs_on_rubble_is_warned(tmp_path):
    """A wounded figure settled onto rubble came to rest on one tilted brick under its legs,
    its torso 26 LDU above the bricks, without a word. The same figure on flat ground is no
    warning."""
    text = (
        "units: stud\n"
        "models:\n"
        "  wounded: {minifig: {stance: lie_back}}\n"
        "  heap:\n"
        "    group:\n"
        "      a: {part: 3004, at: [0, '1 brick', 0]}\n"
        "      b: {part: 3004, at: [2, '1 brick', 0]}\n"
        "      c: {part: 3005, at: [1, '2 bricks', 0], rotate: [0, 30, 20]}\n"
        "      d: {part: 3010, at: [0, '1 brick', 2], yaw: 15}\n"
        "place:\n"
        "  ground: {part: 3811}\n"
        "  heap: {model: heap, at: [2, 0, 0]}\n"
        "  patient: {model: wounded, at: [3, 5, 1], yaw: 90, settle: true}\n"
        "  resting: {model: wounded, at: [-8, 5, 1], yaw: 90, settle: true}\n"
    )
    path = write_scene(tmp_path, text, "rubble.yaml")
    scene = load_scene(path, use_cache=False)
    said = [w for w in scene.model.warnings if "lies with its body" in w]
    assert len(said) == 1 and said[0].startswith(f"{path}:13:"), scene.model.warnings
    assert "place 'patient' lies with its body" in said[0]
