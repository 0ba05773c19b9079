"""The scene composer: units, transforms, groups, repeat, minifigs, scatter, errors, schema."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import run_cli, run_process
from PIL import Image

from ldscene.errors import LdsceneError
from ldscene.scene import load_scene, yamlload
from ldscene.scene import minifig as fig
from ldscene.scene import reader as rd
from ldscene.scene import transforms as tf
from ldscene.scene.bounds import model_samples
from ldscene.scene.heightfield import SPACING, HeightField
from ldscene.scene.schema import scene_schema, validate
from ldscene.scene.units import UnitError, parse_length

REPO = Path(__file__).resolve().parent.parent
SCENES = sorted((REPO / "scenes").glob("*.yaml"))


def write_scene(folder: Path, text: str, name: str = "scene.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(folder: Path, text: str) -> LdsceneError:
    path = write_scene(folder, text)
    with pytest.raises(LdsceneError) as caught:
        load_scene(path)
    return caught.value


def origin(scene, name: str) -> np.ndarray:
    """Scene-axes origins (y up) of an entry's instances."""
    return tf.to_scene_point(scene.model.transform[scene.entries[name]][:, :3, 3])


# -- units and axes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, ldu",
    [
        (12, 12.0),
        (2.5, 2.5),
        ("12 studs", 240.0),
        ("1 stud", 20.0),
        ("3 plates", 24.0),
        ("2 bricks", 48.0),
        ("40 ldu", 40.0),
        ("5 cm", 125.0),
        ("10 mm", 25.0),
        ("1 brick + 2 plates", 40.0),
        ("10 studs - 4", 196.0),
        ("-3 studs", -60.0),
        ("1.5stud", 30.0),
    ],
)
def test_lengths_convert_to_ldu(text, ldu):
    assert parse_length(text) == pytest.approx(ldu)


def test_plain_numbers_use_the_scene_unit():
    assert parse_length(3, "stud") == 60.0
    assert parse_length("2", "brick") == 48.0


@pytest.mark.parametrize(
    "text, needle",
    [
        ("12 stdus", "did you mean 'studs'"),
        ("twelve", "12 studs"),
        ("3 studs 4", "12 studs"),
    ],
)
def test_bad_lengths_teach(text, needle):
    with pytest.raises(UnitError) as caught:
        parse_length(text)
    assert needle in caught.value.hint


def test_scene_axes_are_y_up_and_rotations_survive_the_flip():
    assert list(tf.to_ldraw_point([1, 2, 3])) == [1, -2, -3]
    # yaw 90 turns +x towards -z (counter-clockwise seen from above)
    assert np.allclose(tf.rot_y(90) @ [1, 0, 0], [0, 0, -1])
    r = tf.euler_scene(10, 20, 30)
    ld = tf.ldraw_rotation(r)
    assert np.isclose(np.linalg.det(ld), 1.0)
    p = np.array([3.0, 4.0, 5.0])
    assert np.allclose(tf.to_ldraw_point(r @ p), ld @ tf.to_ldraw_point(p))


# -- composition -------------------------------------------------------------------------------


def test_parts_groups_and_repeat_compose(tmp_path):
    scene = load_scene(
        write_scene(
            tmp_path,
            """
units: stud
place:
  brick: {part: 3001, color: Red, at: [1, "1 brick", 2]}
  row:
    part: 3005
    at: [0, 0, 0]
    repeat: {count: 4, step: [2, 0, 0]}
  grid:
    part: 3024
    repeat: [{count: 3, step: [1, 0, 0]}, {count: 2, step: [0, 0, 1]}]
  squad:
    at: [10, 0, 0]
    yaw: 90
    color: 1
    group:
      a: {part: 3001, at: [2, 0, 0]}
      b:
        at: [0, 0, 3]
        group:
          c: {part: 3003, color: 4, at: [0, "1 plate", 0]}
""",
        )
    )
    model = scene.model
    assert list(scene.entries) == ["brick", "row", "grid", "squad"]
    assert np.allclose(origin(scene, "brick"), [[20, 24, 40]])
    assert model.colour[scene.entries["brick"]].tolist() == [4]
    assert np.allclose(origin(scene, "row")[:, 0], [0, 40, 80, 120])
    assert len(origin(scene, "grid")) == 6
    squad = origin(scene, "squad")
    # yaw 90 maps the group's +x to -z, its +z to +x
    assert np.allclose(squad[0], [200, 0, -40])
    assert np.allclose(squad[1], [200 + 60, 8, 0])
    assert model.colour[scene.entries["squad"]].tolist() == [1, 4]  # group colour inherited
    rot = model.transform[scene.entries["squad"]][0, :3, :3]
    assert np.allclose(rot, tf.ldraw_rotation(tf.rot_y(90)))
    leaf_names = {model.leaves[i].name for i in model.leaf}
    assert leaf_names == {"3001.dat", "3005.dat", "3024.dat", "3003.dat"}
    assert len(model.leaves) == len({leaf.name for leaf in model.leaves})  # merged by name


def test_colour_16_written_out_in_a_group_inherits_the_groups_colour(tmp_path):
    """As a model's `1 16 ...` line does: 16 and Main_Colour are "inherit", not a colour."""
    scene = load_scene(
        write_scene(
            tmp_path,
            """
place:
  g:
    color: Orange
    group:
      plain: {part: 3001}
      code: {part: 3001, color: 16, at: [60, 0, 0]}
      name: {part: 3001, color: Main_Colour, at: [120, 0, 0]}
      own: {part: 3001, color: Red, at: [180, 0, 0]}
  alone: {part: 3001, color: 16, at: [0, 0, 100]}
""",
        )
    )
    colours = scene.model.colour
    assert colours[scene.entries["g"]].tolist() == [25, 25, 25, 4]  # Orange, Red
    assert colours[scene.entries["alone"]].tolist() == [16]  # nothing to inherit from


def test_file_models_parts_path_and_reuse(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "post.ldr").write_text(
        "0 post\n1 16 0 0 0 1 0 0 0 1 0 0 0 1 3005.dat\n"
        "1 4 0 -24 0 1 0 0 0 1 0 0 0 1 3005.dat\n1 16 0 -48 0 1 0 0 0 1 0 0 0 1 myrock.dat\n"
    )
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "myrock.dat").write_text(
        "0 My Rock\n0 Name: myrock.dat\n0 !LDRAW_ORG Unofficial_Part\n"
        "1 16 0 0 0 1 0 0 0 1 0 0 0 1 3024.dat\n"
    )
    scene = load_scene(
        write_scene(
            tmp_path,
            """
models:
  post: {file: models/post.ldr}
  pair:
    group:
      - {model: post}
      - {model: post, at: [40, 0, 0]}
place:
  fence: {model: pair, color: 2}
  rock: {part: myrock}
""",
        )
    )
    assert scene.parts_path == [tmp_path / "parts"]
    fence = scene.entries["fence"]
    assert scene.model.n_instances == 7
    assert sorted(scene.model.colour[fence].tolist()) == [2, 2, 2, 2, 4, 4]  # 16 -> 2, 4 stays
    paths = {scene.model.paths[p] for p in scene.model.path[fence]}
    assert all(p[:3] == ("fence", "pair", "post") for p in paths)
    assert scene.entry_stats()["rock"]["parts"] == 1


@pytest.mark.slow  # whole scenes or real models: seconds (the fast loop stays under a minute)
def test_info_and_export_of_a_scene_agree(tmp_path):
    scene_path = REPO / "scenes" / "example.yaml"
    info = run_cli("info", str(scene_path), "--json")
    assert info.returncode == 0, info.stderr
    data = json.loads(info.stdout)
    spec = yaml.safe_load(scene_path.read_text())
    assert set(data["models"]) == set(spec["place"]) | set(spec["scatter"])
    for entry in data["models"].values():
        assert set(entry) == {"parts", "triangles", "bbox"} and entry["parts"] > 0
    assert sum(e["parts"] for e in data["models"].values()) == data["parts"]
    out = tmp_path / "example.mpd"
    exported = run_cli("export", str(scene_path), "-o", str(out))
    assert exported.returncode == 0, exported.stderr
    assert out.read_text().startswith("0 FILE")
    again = json.loads(run_cli("info", str(out), "--json").stdout)
    data.pop("models")
    assert again.pop("file") == str(out) and data.pop("file") == str(scene_path)
    assert again == data


# -- minifig -----------------------------------------------------------------------------------


def _minifig_scene(tmp_path: Path, pose: str = "{}", hold: str = "{}") -> object:
    return load_scene(
        write_scene(
            tmp_path,
            f"""
models:
  guy:
    minifig:
      hat: {{part: 3901, color: 6}}
      torso: {{part: 973, color: 28}}
      pose: {pose}
      hold: {hold}
place:
  guy: {{model: guy}}
""",
        )
    )


def _by_part(scene, name: str) -> np.ndarray:
    model = scene.model
    return model.transform[
        [i for i in range(model.n_instances) if model.leaves[model.leaf[i]].name == name]
    ]


def test_minifig_parts_sit_at_the_library_assembly_offsets(tmp_path, library_path):
    scene = _minifig_scene(tmp_path)
    torso = _by_part(scene, "973.dat")[0]
    assert np.allclose(torso[:3, 3], [0, -72, 0])  # feet on the ground: torso 72 LDU up
    assert np.allclose(_by_part(scene, "3626bp01.dat")[0][:3, 3], [0, -96, 0])
    assert np.allclose(_by_part(scene, "3901.dat")[0][:3, 3], [0, -96, 0])
    assert np.allclose(_by_part(scene, "3815b.dat")[0][:3, 3], [0, -40, 0])
    for leg in ("3816b.dat", "3817b.dat"):
        assert np.allclose(_by_part(scene, leg)[0][:3, 3], [0, -28, 0])
    # Arms and hands exactly as the library's own assembled torso 973c01.dat places them.
    lines = [
        line.split()
        for line in (library_path / "parts" / "973c01.dat").read_text().splitlines()
        if line.startswith("1 ")
    ]
    expected = {}
    for tokens in lines:
        m = np.eye(4)
        values = [float(v) for v in tokens[2:14]]
        m[:3, 3], m[:3, :3] = values[:3], np.reshape(values[3:], (3, 3))
        expected.setdefault(tokens[14].lower(), []).append(m)
    for name in ("3818.dat", "3819.dat"):
        got = np.linalg.inv(torso) @ _by_part(scene, name)[0]
        assert np.allclose(got, expected[name][0], atol=1e-3)
    hands = [np.linalg.inv(torso) @ t for t in _by_part(scene, "3820.dat")]
    for want in expected["3820.dat"]:
        assert any(np.allclose(h, want, atol=1e-3) for h in hands)
    # Assembled, not exploded: the figure is one 4-brick-tall body standing on y = 0.
    box = scene.entry_stats()["guy"]["bbox"]
    assert box["max"][1] == pytest.approx(0.0, abs=1e-3)
    assert -135 < box["min"][1] < -100
    assert box["max"][0] - box["min"][0] < 3.2 * 20  # about 3 studs across the hands


def test_minifig_pose_and_held_accessory(tmp_path):
    scene = _minifig_scene(
        tmp_path, "{right_arm: 90, left_leg: 90, head: 90}", "{right: {part: 30141, color: 0}}"
    )
    right_hand = min(_by_part(scene, "3820.dat"), key=lambda t: t[0, 3])  # right = -x
    # An arm swung forward 90 degrees holds the hand in front (-z in LDraw), at shoulder height
    # (shoulder pin at 72 - 9 = 63 LDU up; at rest the hand hangs 27 LDU lower than that).
    assert right_hand[2, 3] < -15 and abs(-right_hand[1, 3] - 63) < 12
    left_leg = _by_part(scene, "3817b.dat")[0]
    foot = left_leg[:3, :3] @ [0, 28, 0] + left_leg[:3, 3]
    assert foot[2] < -25 and abs(foot[1] - (-28)) < 1  # leg straight forward, sitting pose
    head = _by_part(scene, "3626bp01.dat")[0]
    assert np.allclose(head[:3, :3], tf.ldraw_rotation(tf.rot_y(90)))
    rifle = _by_part(scene, "30141.dat")[0]
    grip = right_hand[:3, :3] @ fig.GRIP_CENTRE + right_hand[:3, 3]
    assert np.allclose(rifle[:3, 3], grip)  # the rifle's handle is in the hand's hole


# -- scatter -----------------------------------------------------------------------------------

SCATTER = """
seed: {seed}
place:
  floor: {{part: 3036, color: 72, at: [0, 8, 0]}}      # 6 x 8 plate, top at y = 8
  block: {{part: 3001, color: 4, at: [0, 56, 0], rotate: [0, 90, 0]}}  # 2 bricks up
scatter:
  snow:
    parts: [3024]
    color: 15
    count: 40
    area: {{rect: [[-50, -70], [50, 70]]}}
    yaw: [0, 0]
    settle: true
  rubble:
    parts: [3023, 3024]
    colors: [71, 72]
    count: 20
    area: {{near: block, margin: 20}}
    tilt: 40
    settle: true
"""


def test_scatter_is_reproducible_byte_for_byte(tmp_path):
    for folder, seed in (("a", 3), ("b", 3), ("c", 4)):
        (tmp_path / folder).mkdir()
        write_scene(tmp_path / folder, SCATTER.format(seed=seed))
    a, b, c = (load_scene(tmp_path / f / "scene.yaml") for f in "abc")
    assert a.model.transform.tobytes() == b.model.transform.tobytes()
    assert a.model.colour.tobytes() == b.model.colour.tobytes()
    assert a.model.transform.tobytes() != c.model.transform.tobytes()
    for f in "ab":
        result = run_cli(
            "export", str(tmp_path / f / "scene.yaml"), "-o", str(tmp_path / f / "out.mpd")
        )
        assert result.returncode == 0, result.stderr
    assert (tmp_path / "a" / "out.mpd").read_bytes() == (tmp_path / "b" / "out.mpd").read_bytes()


@pytest.mark.slow  # whole child processes (or a worker pool): the full suite runs it
def test_settling_reads_the_height_cache_and_agrees(tmp_path):
    # The leaves' height-field samples are kept on disk; a run that reads them places every
    # piece exactly where a run that computed them did, and --no-cache writes none.
    write_scene(tmp_path, SCATTER.format(seed=6))
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    outputs = []
    scene = str(tmp_path / "scene.yaml")
    for name in ("first.mpd", "second.mpd"):
        result = run_process("export", scene, "-o", str(tmp_path / name), env=env)
        assert result.returncode == 0, result.stderr
        outputs.append((tmp_path / name).read_bytes())
        heights = sorted((tmp_path / "cache" / "ldscene" / "heightfield").glob("*.pack"))
        assert len(heights) == 1  # written by the first run, only read by the second
    assert outputs[0] == outputs[1]
    env = {"XDG_CACHE_HOME": str(tmp_path / "none")}
    args = ("export", scene, "-o", str(tmp_path / "x.mpd"), "--no-cache")
    assert run_process(*args, env=env).returncode == 0
    assert (tmp_path / "x.mpd").read_bytes() == outputs[0]
    assert not (tmp_path / "none" / "ldscene" / "heightfield").exists()


@pytest.mark.slow  # seconds of work: the full suite keeps it
@pytest.mark.parametrize("seed", [5, 8])
def test_settled_pieces_rest_on_what_is_below(tmp_path, seed):
    scene = load_scene(write_scene(tmp_path, SCATTER.format(seed=seed)))
    model = scene.model
    snow = origin(scene, "snow")
    sl = scene.entries["snow"]
    level = np.abs(model.transform[sl][:, 1, 1] - 1) < 1e-9  # lying flat (snow is not tilted)
    assert level.sum() >= 10  # much of the snow lies flat on the floor, the brick or snow
    # A 1x1 plate's origin is its top face, 8 LDU above its bottom.  A flat piece's bottom
    # lies on a surface: the floor plate (8) or its stud tops (12), the brick (56, 60), or
    # the stud tops (o + 4) of other snow; a stud can also sit inside the plate's hollow.
    bottoms = snow[level, 1] - 8
    surfaces = np.concatenate([[8, 12, 56, 60], snow[:, 1], snow[:, 1] + 4])
    on_flat = np.abs(bottoms[:, None] - surfaces[None]).min(axis=1) < 0.01
    assert on_flat.mean() >= 0.8, snow[level, 1]
    # The others lie on a tilted piece of snow, which holds them where it is highest (its
    # convex hull, over its studs): within 1 LDU above what is under them.
    for k, bottom in zip(np.flatnonzero(level)[~on_flat] + sl.start, bottoms[~on_flat]):
        under = model_samples(model, SPACING, np.arange(k))
        near = np.abs(under[:, [0, 2]] - model.transform[k, [0, 2], 3]).max(axis=1) < 10
        assert 0 <= bottom - (-under[near, 1]).max() < 1.0, k
    assert (bottoms >= 8 - 0.01).all()  # nothing sinks into the floor
    on_block = (np.abs(snow[:, 0]) < 10) & (np.abs(snow[:, 2]) < 30)
    assert on_block.any() and (snow[on_block, 1] - 8 >= 56 - 0.01).all()  # lies on the brick
    # Every settled piece, flat or tilted onto what is below it, touches it and does not
    # sink into it, against a height field (2 LDU cells) of everything placed before it:
    # its lowest point is within a cell and the contact tolerance (1 LDU) of that field's
    # top (a tilted piece's corner sits between samples).  Into the field shrunk by a
    # cell all round (`eroded`) nothing reaches more than 1 LDU: beside a taller piece a
    # cell's top is that piece's, and a piece resting next to it may reach under a cell's
    # width into that cell, which a height field counts as deep as the taller piece is high.
    for name in ("snow", "rubble"):
        sl = scene.entries[name]
        for k in range(sl.start, sl.stop):
            field = HeightField(np.array([-200.0, -200.0]), np.array([200.0, 200.0]))
            field.add(model_samples(model, SPACING, np.arange(k)))
            piece = model_samples(model, SPACING, np.array([k]))
            i, j, inside = field.cells(piece[:, [0, 2]])
            height = -piece[inside, 1]
            gap = height - field.top[i[inside], j[inside]]
            assert gap[np.isfinite(gap)].min() < 3.0, (name, k)
            sunk = height - field.eroded().top[i[inside], j[inside]]
            assert sunk[np.isfinite(sunk)].min() > -1.0, (name, k)


def test_scatter_over_a_list_of_areas_uses_their_union(tmp_path):
    scene = load_scene(
        write_scene(
            tmp_path,
            """
scatter:
  pebbles:
    parts: [3024]
    count: 60
    area:
      - {rect: [[-100, -100], [-60, -60]]}
      - {rect: [[60, 60], [100, 100]], y: 24}
""",
        )
    )
    at = origin(scene, "pebbles")
    first = (at[:, 0] >= -100) & (at[:, 0] <= -60) & (at[:, 2] >= -100) & (at[:, 2] <= -60)
    second = (at[:, 0] >= 60) & (at[:, 0] <= 100) & (at[:, 2] >= 60) & (at[:, 2] <= 100)
    assert (first ^ second).all()  # every piece in exactly one of the areas
    assert first.sum() > 10 and second.sum() > 10
    # Each piece stands on its area's y: a 1 x 1 plate's origin is its top face, 8 LDU up.
    assert np.allclose(at[first, 1], 8) and np.allclose(at[second, 1], 24 + 8)
    err = error_of(tmp_path, "scatter:\n  s: {parts: [3024], count: 1, area: []}\n")
    assert err.line == 2 and "empty list" in str(err)
    err = error_of(
        tmp_path,
        "scatter:\n  s:\n    parts: [3024]\n    count: 1\n    area:\n"
        "      - {rect: [[0, 0], [1, 1]]}\n      - {rectt: [[0, 0], [1, 1]]}\n",
    )
    assert err.line == 7 and "area 2" in str(err) and "rect" in str(err)


def test_a_triangle_seen_edge_on_from_above_samples_to_its_corners():
    """No x-z extent (a vertical sliver) gave NaN samples; its corners are its samples."""
    from ldscene.scene.bounds import sample_triangles

    sliver = np.array([[[0, 0, 0], [0, 5, 0], [0, 10, 0]], [[0, 0, 0], [9, 0, 0], [0, 0, 9]]])
    for spacing in (2.0, 1e9):
        points = sample_triangles(sliver.astype(float), spacing)
        assert np.isfinite(points).all()
        assert {0.0, 5.0, 10.0} <= set(points[:, 1].tolist())


def test_unsettled_pieces_stand_on_the_area_however_turned(tmp_path):
    """Without settle the lowest point of each piece, tilted or not, is at the area's y (a
    scatter of plates onto a baseplate at y = 0 no longer sinks them into it)."""
    scene = load_scene(
        write_scene(
            tmp_path,
            """
units: stud
place:
  ground: {part: 3811, color: 72}
scatter:
  snow: {parts: [3024, 3001, 3062b], color: 15, count: 30, area: {near: ground}, tilt: 60}
  raised: {parts: [3001], count: 5, area: {rect: [[-5, -5], [5, 5]], y: "1 brick"}}
""",
        )
    )
    for name, y in (("snow", 0.0), ("raised", 24.0)):
        for k in range(scene.entries[name].start, scene.entries[name].stop):
            points = model_samples(scene.model, 1.0, np.array([k]))
            assert abs(-points[:, 1].max() - y) < 0.5, (name, k)  # LDraw +y is down


def test_scatter_keys_that_contradict_each_other_are_errors(tmp_path):
    base = "place:\n  ground: {part: 3811}\n  statue: {part: 3001, at: [0, 24, 0]}\nscatter:\n"
    err = error_of(
        tmp_path,
        base + "  s: {parts: [3024], count: 1, area: {near: ground, y: 8}, settle: true}\n",
    )
    assert err.line == 5 and "y: of an area of scatter 's' has no effect with settle" in str(err)
    err = error_of(
        tmp_path,
        base + "  s:\n    parts: [3024]\n    count: 1\n    area: {near: ground}\n"
        "    settle: true\n    on: statue\n    avoid: [ground, statue]\n",
    )
    assert err.line == 11 and "'statue' is in both on: and avoid:" in str(err)
    (tmp_path / "folder").mkdir()
    err = error_of(tmp_path, "models:\n  m: {file: folder}\nplace:\n  a: {model: m}\n")
    assert err.line == 2 and "'folder' is a folder, not a file" in str(err)


def test_scatter_with_nothing_below_is_an_error(tmp_path):
    err = error_of(
        tmp_path,
        """
scatter:
  snow:
    parts: [3024]
    count: 5
    area: {rect: [[0, 0], ["5 studs", "5 studs"]]}
    settle: true
""",
    )
    assert err.line == 6 and "nothing to settle on" in str(err)


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, line, column, needles",
    [
        (
            "place:\n  mg42_crew:\n    part: 3001\n    postion: [0, 0, 0]\n",
            4,
            5,
            ["unknown key 'postion' in place 'mg42_crew'", "did you mean 'position'?"],
        ),
        (
            "place:\n  a: {part: 3001x, color: 4}\n",
            2,
            13,
            ["unknown part '3001x'", "3001 (Brick  2 x  4)"],
        ),
        (
            "models:\n  tank: {group: [{part: 3001}]}\nplace:\n  a: {model: tnak}\n",
            4,
            14,
            ["unknown model 'tnak'", "did you mean 'tank'?"],
        ),
        (
            'place:\n  a: {part: 3001, at: ["12 stdus", 0, 0]}\n',
            2,
            24,
            ["unknown unit 'stdus'", "did you mean 'studs'?"],
        ),
        (
            "scatter:\n  s: {parts: [3024], count: -5, area: {rect: [[0, 0], [9, 9]]}}\n",
            2,
            29,
            ["count of scatter 's' is -5"],
        ),
        (
            "place:\n  a: {part: 3001, repeat: {count: -1, step: [1, 0, 0]}}\n",
            2,
            35,
            ["repeat count", "-1"],
        ),
        (
            "models:\n  a: {group: {x: {model: b}}}\n  b: {group: {y: {model: a}}}\nplace:\n"
            "  p: {model: a}\n",
            3,
            26,
            ["model 'a' includes itself (a -> b -> a)"],
        ),
        ("place:\n  a: {part: 3001, color: Redd}\n", 2, 26, ["unknown colour 'Redd'", "'Red'"]),
        (
            "place:\n  a: {part: 3001, color: Flat Silver}\n",
            2,
            26,
            ["that is BrickLink's name", "LDraw's Pearl_Silver (179)"],
        ),
        ("place:\n  a: {part: 3001, color: no}\n", 2, 26, ["YAML reads yes, no, on and off"]),
        ('place:\n  a: {part: "parts/3001.dat"}\n', 2, 13, ["did you mean 3001 (Brick  2 x  4)"]),
        ("place:\n  a: {part: 3001, color: 4\n  b: 3\n", 3, 4, ["YAML syntax error"]),
        ("place:\n  a: {part: 3001}\n  a: {part: 3002}\n", 3, 3, ["duplicate key 'a'"]),
        ("place:\n  a: {part: 3001, model: x}\n", 2, 7, ["needs exactly one of"]),
        (
            "place:\n  a: {part: 3001}\ncameras:\n  c: {position: [0, 0, 9], look_at: nobody}\n",
            4,
            37,
            ["looks at 'nobody'"],
        ),
        ("scene: {title: x}\n", 1, 1, ["the scene places nothing", "add a place: section"]),
        ("place: {}\ncameras: {c: {lat: 30}}\n", 1, 8, ["the scene places nothing"]),
        ("place:\n  a: {part: 3001, at: [2, 2]}\n", 2, 23, ["got a list of 2 values"]),
        ("place:\n  a: {part: 3001, yaw: '20'}\n", 2, 24, ["without quotes or a unit"]),
        ('place:\n  a: {part: 3001, settle: "true"}\n', 2, 27, ["write settle: true without"]),
        (
            "place:\n  a: {part: 3001, repeat: {count: three, step: [1, 0, 0]}}\n",
            2,
            35,
            ["must be a whole number, got 'three' (write it in digits"],
        ),
        # Found only when the path engine reached that camera, after tracing the others.
        (
            "place:\n  a: {part: 3001}\ncameras:\n  z: {position: [0, 5, 30], look_at: [0, 0, 0], "
            "focus: [0, 0, 60], aperture: 2}\n",
            4,
            56,
            ["camera 'z' focuses on a point behind it"],
        ),
        # The schema says text; a list was accepted (and dropped).
        (
            "place:\n  a: {part: 3001, description: [1, 2]}\n",
            2,
            32,
            ["description of place 'a' must be text"],
        ),
        # A moved part's alias ("3005-x (~Moved to 3005ptx)") came before 3005 itself.
        ("place:\n  a: {part: 3005x}\n", 2, 13, ["did you mean 3005 (Brick  1 x  1), "]),
    ],
)
def test_errors_name_file_line_column_and_a_fix(tmp_path, text, line, column, needles):
    err = error_of(tmp_path, text)
    assert (err.line, err.column) == (line, column), str(err)
    assert str(err).startswith(f"{tmp_path / 'scene.yaml'}:{line}:{column}: ")
    for needle in needles:
        assert needle in str(err)


def test_cli_errors_exit_1_without_traceback_or_output(tmp_path):
    path = write_scene(tmp_path, "place:\n  crew:\n    part: 3001\n    postion: [0, 0, 0]\n")
    out = tmp_path / "out.mpd"
    for args in (["info", str(path), "--json"], ["export", str(path), "-o", str(out)]):
        result = run_cli(*args)
        assert result.returncode == 1
        assert "Traceback" not in result.stderr and result.stdout == ""
        assert "scene.yaml:4:5: unknown key 'postion'" in result.stderr
    assert not out.exists()


# -- schema ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", SCENES, ids=[p.name for p in SCENES])
def test_schema_validates_the_shipped_scenes(path):
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert validate(document) == []
    rd.read_scene(yamlload.load(path), path)  # and the reader accepts it too


def test_schema_rejects_what_the_reader_rejects():
    assert validate({"place": {"a": {"part": 3001, "postion": [0, 0, 0]}}})
    assert validate(
        {"scatter": {"s": {"parts": [3024], "count": -1, "area": {"rect": [[0, 0], [1, 1]]}}}}
    )
    assert (
        validate({"place": {"a": {"part": 3001, "at": ["12 studs", "1 brick + 1 plate", 0]}}}) == []
    )
    assert validate({"place": {"a": {"part": 3001, "at": ["twelve", 0, 0]}}})


def test_schema_command_prints_the_schema():
    result = run_cli("schema")
    assert result.returncode == 0
    assert json.loads(result.stdout) == scene_schema()


# -- cameras -----------------------------------------------------------------------------------


def test_a_camera_right_against_a_surface_is_warned_about(tmp_path):
    """An auto-framed camera whose eye came down just in front of another figure rendered one
    flat colour without a word: a view that is all one surface is now warned of."""
    scene = write_scene(
        tmp_path,
        "units: stud\nplace:\n  ground: {part: 3811, color: 71}\n"
        "  brick: {part: 3001, color: Red, at: [3, 0, 0]}\ncameras:\n"
        "  close: {position: [0.5, 0.25, 0.5], look_at: [0.5, 0, 0.6]}\n"
        "  good: {position: [0, 20, 40], look_at: [0, 0, 0]}\n",
    )
    out = tmp_path / "shot.png"
    result = run_cli("render", str(scene), "--all-cameras", "-o", str(out), "--width", "80",
                     "--height", "60")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "view 'close' is all one surface" in result.stderr
    assert "'good'" not in result.stderr


def test_a_camera_that_shows_nothing_is_warned_about(tmp_path):
    scene = write_scene(
        tmp_path,
        """
units: stud
place:
  ground: {part: 3811, color: 71}
cameras:
  away: {position: [0, 10, 30], look_at: [0, 10, 60]}
  good: {position: [0, 20, 40], look_at: [0, 0, 0]}
""",
    )
    out = tmp_path / "shot.png"
    args = (
        "render",
        str(scene),
        "--all-cameras",
        "-o",
        str(out),
        "--width",
        "80",
        "--height",
        "60",
    )
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    assert "view 'away' shows nothing of the model" in result.stderr
    assert "'good'" not in result.stderr
    assert (tmp_path / "shot-away.png").is_file() and (tmp_path / "shot-good.png").is_file()


def test_all_cameras_names_each_image_after_its_camera_even_one(tmp_path):
    """docs/scene-format.md: --all-cameras writes <scene>-<camera>.png; a scene with one
    camera got <scene>.png, which a script collecting <scene>-*.png missed."""
    scene = write_scene(
        tmp_path, "place:\n  b: {part: 3001}\ncameras:\n  only: {lat: 30, lon: 20}\n"
    )
    out = tmp_path / "out" / "shot.png"
    result = run_cli("render", str(scene), "--all-cameras", "-o", str(out), "--width", "40")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.parent.iterdir()) == ["shot-only.png"]


def test_a_camera_name_no_file_name_can_hold_names_an_image_all_the_same(tmp_path):
    """A camera 'Détail/ä' ended --all-cameras with a traceback (ValueError: invalid name)."""
    scene = write_scene(
        tmp_path,
        'place:\n  b: {part: 3001}\ncameras:\n  "Détail/ä": {lat: 30}\n  "a:b?": {lat: 10}\n',
    )
    out = tmp_path / "out" / "shot.png"
    result = run_cli("render", str(scene), "--all-cameras", "-o", str(out), "--width", "40")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.parent.iterdir()) == ["shot-Détail_ä.png", "shot-a_b_.png"]


def test_fov_replaces_a_scene_camera_s_own(tmp_path):
    """--fov was silently ignored with --camera (byte-identical images), while --ortho
    applied to scene cameras."""
    scene = write_scene(
        tmp_path, "place:\n  a: {part: 3001}\ncameras:\n  far: {lat: 15, lon: 20, distance: 300}\n"
    )
    shots = []
    for extra in ([], ["--fov", "60"], ["--fov", "30"]):
        out = tmp_path / f"shot{len(shots)}.png"
        result = run_cli("render", str(scene), "--camera", "far", "-o", str(out), "--width", "80",
                         *extra)  # fmt: skip
        assert result.returncode == 0, result.stderr
        shots.append(out.read_bytes())
    assert shots[1] != shots[0] and shots[2] == shots[0]  # 30: the camera's own (default) fov


def test_a_camera_inside_a_part_is_warned_about(tmp_path):
    """A scene camera moved into a wall renders that part's inside: a warning names the camera
    and the part, and a camera outside gets none."""
    scene = write_scene(
        tmp_path,
        """
units: stud
place:
  ground: {part: 3811, color: 71}
  wall: {part: 3010, color: Red, at: [0, "1 brick", 0], repeat: {count: 3, step: [0, "1 brick", 0]}}
  guy: {part: 3001, color: Blue, at: [6, "1 brick", 6]}
cameras:
  inside: {position: [1, 2, 0], look_at: guy}
  outside: {position: [5, 6, 30], look_at: guy}
""",
    )
    out = tmp_path / "shot.png"
    result = run_cli("render", str(scene), "--all-cameras", "-o", str(out), "--width", "40")
    assert result.returncode == 0, result.stderr
    assert "camera 'inside' stands inside part 3010.dat (in wall)" in result.stderr
    assert "'outside'" not in result.stderr


@pytest.mark.parametrize("width, height", [(60, 180), (180, 60), (120, 120)])
def test_a_camera_aimed_at_a_placed_name_fits_it_to_any_image_shape(tmp_path, width, height):
    """`target: guy` with no distance framed the brick for a square image: a portrait image
    cut it off at both sides.  Now the brick fills the image's narrower way, whole."""
    scene = write_scene(
        tmp_path,
        """
units: stud
place:
  ground: {part: 3811, color: 71}
  guy: {part: 3001, color: Red, at: [6, 0, 6]}
cameras:
  close: {lat: 15, lon: 0, fov: 20, target: guy}
""",
    )
    out = tmp_path / "shot.png"
    size = ("--width", str(width), "--height", str(height), "--aa", "1")
    result = run_cli("render", str(scene), "--camera", "close", "-o", str(out), *size)
    assert result.returncode == 0, result.stderr
    rgb = np.asarray(Image.open(out).convert("RGB")).astype(int)
    red = rgb[..., 0] > rgb[..., 1] + 60
    rows, columns = np.flatnonzero(red.any(axis=1)), np.flatnonzero(red.any(axis=0))
    assert columns.min() > 0 and columns.max() < width - 1  # nothing cut off at the sides
    assert rows.min() > 0 and rows.max() < height - 1
    filled = max((np.ptp(columns) + 1) / width, (np.ptp(rows) + 1) / height)
    assert filled > 0.75, filled  # and it is framed, not lost in the middle


def test_a_subpart_placed_as_a_part_is_warned_about(tmp_path):
    """s/3001s01.dat placed as a part was drawn but left out of the parts lists, silently."""
    scene = load_scene(
        write_scene(
            tmp_path,
            'place:\n  a: {part: "s/3001s01.dat", color: Red}\n  b: {part: 3001, at: [5, 0, 0]}\n',
        )
    )
    (warning,) = [w for w in scene.model.warnings if "not a part" in w]
    assert ":2:13: 's/3001s01.dat' in place 'a' is not a part" in warning
    assert "not counted in parts lists" in warning
    hose = load_scene(
        write_scene(tmp_path, "place:\n  h: {part: 756}\n  b: {part: 3001, at: [4, 0, 0]}\n")
    )
    (warning,) = [w for w in hose.model.warnings if "not a part" in w]
    assert "is not a part but a segment of a bent hose or cable" in warning


def test_a_figure_slot_given_a_part_that_is_no_figure_part_is_warned_about(tmp_path):
    """hat: 3001 put a brick on the figure's head without a word; what it holds may be
    anything, and real minifig parts (a helmet, hair) raise nothing."""
    scene = load_scene(
        write_scene(
            tmp_path,
            "models:\n  m:\n    minifig:\n      hat: {part: 3001, color: Red}\n"
            "      legs: {part: 3001}\n      hold: {right: {part: 3001}}\n"
            "  ok:\n    minifig:\n      hat: {part: 87998}\n"
            "place:\n  a: {model: m}\n  b: {model: ok, at: [4, 0, 0]}\n",
        )
    )
    warnings = [w for w in scene.model.warnings if "not a minifig part" in w]
    assert len(warnings) == 2, warnings  # the hat and the legs (once for both), not the hand
    assert ":4:12: minifig 'm' (hat): 3001 (Brick  2 x  4)" in warnings[0]
    assert "category is Brick" in warnings[0] and ":5:13:" in warnings[1]


def test_a_camera_aimed_at_a_target_inside_a_part_is_warned_about(tmp_path):
    """A camera aimed at a target with no distance stands where the image's framing puts it;
    the check skipped such cameras (they have no fixed position in the scene)."""
    scene = write_scene(
        tmp_path,
        "units: ldu\nplace:\n  guy: {part: 3001, color: Blue}\n"
        "  wall_a: {part: 3003, color: Red, at: [0, 0, 144]}\n"
        "cameras:\n  orb: {lat: 0, lon: 0, target: guy}\n",
    )
    out = tmp_path / "shot.png"
    size = ("--width", "200", "--height", "150")
    result = run_cli("render", str(scene), "--camera", "orb", "-o", str(out), *size)
    assert result.returncode == 0, result.stderr
    assert "camera 'orb' stands inside part 3003.dat (in wall_a)" in result.stderr


def test_cameras_resolve_to_ldraw_axes(tmp_path):
    scene = load_scene(
        write_scene(
            tmp_path,
            """
place:
  a: {part: 3001, at: [100, 24, 0]}
cameras:
  orbit: {lat: 30, lon: 90, fov: 40}
  fixed: {position: [0, 100, 300], look_at: a}
""",
        )
    )
    assert [c.name for c in scene.cameras] == ["orbit", "fixed"]
    assert scene.camera().name == "orbit"
    eye, target, up = scene.camera("orbit").eye_target([-10, -10, -10], [10, 10, 10])
    direction = (eye - target) / np.linalg.norm(eye - target)
    assert np.allclose(direction, [np.cos(np.radians(30)), -0.5, 0], atol=1e-9)  # from +x, above
    fixed = scene.camera("fixed")
    assert np.allclose(fixed.position, [0, -100, -300])
    assert np.allclose(fixed.target[[0, 2]], [100, 0])
    with pytest.raises(LdsceneError, match="did you mean 'orbit'"):
        scene.camera("orbitt")


@pytest.mark.parametrize("lat", [90, 89.95, -90])
@pytest.mark.parametrize("lon", [0, 30, 135])
@pytest.mark.parametrize("distance", [40.0, None])
def test_a_view_from_straight_above_is_turned_as_the_one_beside_it(lat, lon, distance):
    """An orbit camera at lat 90 (or 89.95) with a distance showed the scene turned 180
    degrees against lat 89.5 or `--view top`: its image's up pointed to the front."""
    from ldscene.scene.cameras import Camera, CameraKind

    def image_up(latitude: float) -> np.ndarray:
        camera = Camera("c", CameraKind.ORBIT, lat=latitude, lon=lon, distance=distance)
        eye, target, up = camera.eye_target(np.full(3, -10.0), np.full(3, 10.0))
        forward = (target - eye) / np.linalg.norm(target - eye)
        up = up - np.dot(up, forward) * forward
        return up / np.linalg.norm(up)

    beside = 89.5 if lat > 0 else -89.5
    assert np.dot(image_up(lat), image_up(beside)) > 0.99


def test_a_scene_model_names_the_files_it_was_read_from(tmp_path):
    """`ldscene view` watches these: the scene file and the model files it places, not the
    library's parts."""
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "wall.ldr").write_text("1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n")
    (tmp_path / "models" / "unused.ldr").write_text("1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n")
    path = tmp_path / "walls.yaml"
    path.write_text(
        "models:\n  wall: {file: models/wall.ldr}\n"
        "place:\n  a: {model: wall}\n  b: {model: wall, at: [40, 0, 0]}\n  c: {part: 3003}\n"
    )
    scene = load_scene(path)
    assert scene.model.files == tuple(
        sorted([path.resolve(), (tmp_path / "models/wall.ldr").resolve()])
    )


def test_focus_without_aperture_is_warned_of(tmp_path):
    """focus: with no aperture: was dropped without a word (everything sharp)."""
    path = write_scene(tmp_path, "place:\n  a: {part: 3001}\ncameras:\n  z: {lat: 20, focus: a}\n")
    warnings = load_scene(path).model.warnings
    assert [w for w in warnings if "has focus: but no aperture:" in w] == [
        f"{path}:4:23: camera 'z' has focus: but no aperture:, so the whole image is sharp "
        "(add aperture: an f-number (2.8 for a shallow depth of field))"
    ]
