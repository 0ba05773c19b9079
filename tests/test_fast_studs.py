"""Fast-draw studs (LDraw's 8-sided `p/8/stud*.dat`): engine substitution, cache and `--studs`."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import write

from ldscene.cli import cli
from ldscene.ldraw import load_model
from ldscene.ldraw.flatten import FEW_INSTANCES
from ldscene.ldraw.stats import bounding_box, model_stats
from ldscene.ldraw.studs import StudStyle, stud_stretch
from ldscene.render import RenderOptions, View, render_model
from ldscene.render.studs import (
    FAST_BELOW_PX,
    LOGO_FROM_PX,
    stud_pixels,
    stud_rule,
)


def counts(model) -> tuple[int, int, int]:
    stats = model_stats(model)
    return stats["triangles"], stats["lines"], stats["cond_lines"]


def test_fast_studs_replace_each_stud_by_the_8_sided_primitive(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    # Two top studs and one underside tube (stud4.dat) around one triangle of its own.
    write(
        tmp_path,
        "plate.dat",
        "0 test plate\n0 Name: plate.dat\n0 !LDRAW_ORG Part\n0 BFC CERTIFY CCW\n"
        "1 16 10 0 0 1 0 0 0 1 0 0 0 1 stud.dat\n"
        "1 16 -10 0 0 1 0 0 0 1 0 0 0 1 stud.dat\n"
        "1 16 0 8 0 1 0 0 0 -1 0 0 0 1 stud4.dat\n"
        "3 16 0 0 0 20 0 0 0 0 20\n",
    )
    plate = write(tmp_path, "plate.ldr", "1 4 0 0 0 1 0 0 0 1 0 0 0 1 plate.dat\n")

    def saving(name: str) -> np.ndarray:
        full = write(tmp_path, "full.ldr", f"1 4 0 0 0 1 0 0 0 1 0 0 0 1 {name}\n")
        fast = write(tmp_path, "fast.ldr", f"1 4 0 0 0 1 0 0 0 1 0 0 0 1 8\\{name}\n")
        return np.subtract(counts(load_model(full)), counts(load_model(fast)))

    assert (saving("stud.dat") > 0).all()  # fewer triangles, lines and conditional lines
    # A stud placed directly in a model is drawn fast too.
    bare = write(tmp_path, "bare.ldr", "1 4 0 0 0 1 0 0 0 1 0 0 0 1 stud.dat\n")
    fast_bare = counts(load_model(bare, studs=StudStyle.FAST))
    assert fast_bare == counts(load_model(tmp_path / "fast.ldr"))
    expected = 2 * saving("stud.dat") + saving("stud4.dat")
    full, fast = load_model(plate), load_model(plate, studs=StudStyle.FAST)
    assert tuple(np.subtract(counts(full), counts(fast))) == tuple(expected)
    assert not full.fast_studs and fast.fast_studs


def test_fast_studs_keep_a_real_brick_in_shape(tmp_path):
    brick = write(tmp_path, "brick.ldr", "1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n")
    full, fast = load_model(brick), load_model(brick, studs=StudStyle.FAST)
    assert counts(fast)[0] < 0.8 * counts(full)[0]  # studs are most of a brick's triangles
    for a, b in zip(bounding_box(full), bounding_box(fast), strict=True):
        np.testing.assert_allclose(a, b)


def test_fast_and_full_studs_are_cached_apart(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    brick = write(tmp_path, "brick.ldr", "1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n")
    fast_cold = counts(load_model(brick, studs=StudStyle.FAST))
    full_after_fast = counts(load_model(brick))
    fast_warm = counts(load_model(brick, studs=StudStyle.FAST))
    assert fast_warm == fast_cold
    assert full_after_fast == counts(load_model(brick, use_cache=False))
    assert full_after_fast[0] > fast_cold[0]


def test_a_rule_decides_from_the_instance_origins(tmp_path):
    far = write(
        tmp_path,
        "far.ldr",
        "1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n1 1 2000 0 1500 1 0 0 0 1 0 0 0 1 3001.dat\n",
    )
    seen = []

    def rule(origins: np.ndarray, stretch: float) -> StudStyle:
        seen.append(origins.copy())
        assert stretch == 1.0
        return StudStyle.FAST

    model = load_model(far, studs=rule, use_cache=False)
    assert model.fast_studs and model.studs is StudStyle.FAST
    # Two instances: their origins, then the corners of their boxes (see test_stud_logos.py).
    np.testing.assert_allclose(seen[0][:2], [[0, 0, 0], [2000, 0, 1500]])
    assert not load_model(
        far, studs=lambda origins, stretch: StudStyle.FULL, use_cache=False
    ).fast_studs
    # Many instances: the origins alone, before any geometry is built.
    many = write(
        tmp_path,
        "many.ldr",
        "".join(f"1 4 {40 * i} 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n" for i in range(FEW_INSTANCES + 1)),
    )
    seen.clear()
    load_model(many, studs=rule, use_cache=False)
    np.testing.assert_allclose(seen[0], [[40 * i, 0, 0] for i in range(FEW_INSTANCES + 1)])


def test_stud_stretch_is_how_much_a_part_s_xz_plane_is_widened():
    turn = np.array([[0, 0, 1], [0, 1, 0], [-1, 0, 0]], float)
    mirror = np.diag([-1.0, 1, 1])
    assert stud_stretch(np.array([turn, mirror])) == 1.0
    assert stud_stretch(np.empty((0, 3, 3))) == 1.0
    assert stud_stretch(np.array([turn, 3 * turn])) == pytest.approx(3)
    # the part's z axis (turned onto x) stretched 2: its studs 2 wider; y (their height) not
    assert stud_stretch(np.array([turn @ np.diag([1.0, 5, 2])])) == pytest.approx(2)
    assert stud_stretch(np.array([np.diag([1.0, 17, 1])])) == 1.0  # an LSynth hose segment
    shear = np.array([[1, 0, 2], [0, 1, 0], [0, 0, 1]], float)  # z into x: (1, 0, 1) by 2.414
    assert stud_stretch(shear[None]) == pytest.approx(1 + math.sqrt(2))
    assert stud_stretch(np.array([0.5 * turn])) == 1.0  # smaller parts: studs no wider


def test_a_scaled_up_part_gets_studs_for_its_size(tmp_path):
    """A model that places a brick 20 times its size: its studs come out 20 times wider, so
    `auto` draws them full where a brick of plain size would get fast-draw studs."""
    lines = (
        "1 4 0 0 0 {s} 0 0 0 {s} 0 0 0 {s} 3001.dat\n1 1 3000 0 2000 1 0 0 0 1 0 0 0 1 3001.dat\n"
    )
    views = [View.named("iso")]
    opts = RenderOptions(width=320, height=240)
    plain = load_model(
        write(tmp_path, "plain.ldr", lines.format(s=1)), studs=stud_rule("auto", opts, views)
    )
    big = load_model(
        write(tmp_path, "big.ldr", lines.format(s=20)), studs=stud_rule("auto", opts, views)
    )
    assert plain.studs is StudStyle.FAST
    assert big.studs is StudStyle.FULL
    seen = []
    load_model(
        tmp_path / "big.ldr", studs=lambda points, stretch: seen.append(stretch) or StudStyle.FULL
    )
    assert seen == [pytest.approx(20)]


def test_rods_and_hoses_stretched_along_their_length_do_not_widen_studs(tmp_path):
    """King's Castle's chain links (4-4cyli.dat placed 48 long) and Cafe Corner's LSynth hose
    segments (stretched along y) made `auto` take them for enlarged parts: logo studs, 3x the
    time and memory of fast-draw ones, on studs a few pixels wide."""
    lines = (
        "1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n1 1 3000 0 2000 1 0 0 0 1 0 0 0 1 3001.dat\n"
        "1 0 100 0 0 1 0 0 0 48 0 0 0 1 4-4cyli.dat\n1 0 200 0 0 1 0 0 0 17 0 0 0 1 3062b.dat\n"
    )
    views = [View.named("iso")]
    opts = RenderOptions(width=320, height=240)
    model = load_model(write(tmp_path, "m.ldr", lines), studs=stud_rule("auto", opts, views))
    assert model.studs is StudStyle.FAST


def test_stud_pixels_follow_image_size_and_distance():
    origins = np.array([[0, 0, 0], [1000, -400, 800]], float)
    iso = [View.named("iso")]
    small = stud_pixels(origins, RenderOptions(width=400, height=300), iso)
    large = stud_pixels(origins, RenderOptions(width=800, height=600), iso)
    assert small == pytest.approx(large / 2, rel=1e-6)
    wider = stud_pixels(origins * 2, RenderOptions(width=800, height=600), iso)
    assert wider < large  # a bigger model is framed from further away
    # One part, or a fixed scene camera, can come arbitrarily close: never fast by default.
    assert stud_pixels(origins[:1], RenderOptions(), iso) == math.inf
    fixed = [View.look("cam", (0, -100, -500), (0, 0, 0))]
    assert stud_pixels(origins, RenderOptions(), fixed) == math.inf


def test_stud_pixels_match_a_rendered_stud(tmp_path):
    """The estimate bounds a real stud's width from above, and not loosely."""
    # Three bare studs in a row, seen from the top: the middle one, straight under the camera,
    # shows just its 12 LDU wide top disc.
    path = write(
        tmp_path,
        "row.ldr",
        "".join(f"1 4 {x} 0 0 1 0 0 0 1 0 0 0 1 stud.dat\n" for x in (-300, 0, 300)),
    )
    model = load_model(path)
    opts = RenderOptions(width=800, height=400, aa=1, edges=False, shadows=False)
    (image,) = render_model(model, [View.named("top")], opts)
    rgb = np.asarray(image)[..., :3].astype(int)
    red = (rgb[..., 0] - rgb[..., 2]) > 60
    columns = np.flatnonzero(red[:, 200:600].any(axis=0))
    measured = columns.max() - columns.min() + 1
    estimate = stud_pixels(model.transform[:, :3, 3], opts, [View.named("top")])
    assert measured > 8  # the stud is big enough to measure
    assert measured <= estimate * 1.1
    assert estimate <= measured * 1.25


def test_auto_rule_uses_the_threshold():
    origins = np.array([[0, 0, 0], [3000, -600, 2000]], float)
    views = [View.named("iso")]
    opts_small, opts_huge = (
        RenderOptions(width=320, height=240),
        RenderOptions(width=8000, height=6000),
    )
    assert stud_pixels(origins, opts_small, views) < FAST_BELOW_PX
    assert stud_pixels(origins, opts_small, views, 2.0) == pytest.approx(
        2 * stud_pixels(origins, opts_small, views)
    )
    assert FAST_BELOW_PX <= stud_pixels(origins, opts_huge, views) < LOGO_FROM_PX
    assert stud_rule("auto", opts_small, views)(origins, 1.0) is StudStyle.FAST
    assert stud_rule("auto", opts_huge, views)(origins, 1.0) is StudStyle.FULL
    assert stud_rule("fast", opts_huge, views) is StudStyle.FAST
    assert stud_rule("full", opts_small, views) is StudStyle.FULL
    assert stud_rule("auto", None, None) is StudStyle.FULL  # a scene: views not known yet
    assert stud_rule("fast", None, None) is StudStyle.FAST


def _render_far_bricks(folder: Path, *extra: str) -> str:
    """`ldscene render` of two bricks 3,600 LDU apart (tiny studs at 96x72), its output."""
    far = write(
        folder,
        "far.ldr",
        "1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n1 1 3000 0 2000 1 0 0 0 1 0 0 0 1 3001.dat\n",
    )
    out = folder / "far.png"
    args = ["render", str(far), "-o", str(out), "--width", "96", "--height", "72", "--timings"]
    result = CliRunner().invoke(cli, [*args, *extra])
    assert result.exit_code == 0, result.output
    assert out.is_file()
    return result.output


def test_cli_studs_option(tmp_path):
    assert "studs: fast-draw" in _render_far_bricks(tmp_path)  # studs ~1 px: auto, fast-draw
    assert "studs: full" in _render_far_bricks(tmp_path, "--studs", "full")
    result = CliRunner().invoke(cli, ["render", str(tmp_path / "far.ldr"), "--studs", "round"])
    assert result.exit_code == 2 and "round" in result.output


@pytest.mark.slow  # a 4000x3000 render; test_auto_rule_uses_the_threshold is the unit rule
@pytest.mark.integration
def test_cli_studs_auto_picks_full_studs_in_a_big_image(tmp_path):
    big = ("--width", "4000", "--height", "3000", "--aa", "1")
    assert "studs: full" in _render_far_bricks(tmp_path, *big)


def test_fast_studs_look_the_same_when_small(tmp_path):
    path = write(tmp_path, "brick.ldr", "1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n")
    opts = RenderOptions(width=96, height=72)
    (full,) = render_model(load_model(path), [View.named("iso")], opts)
    (fast,) = render_model(load_model(path, studs=StudStyle.FAST), [View.named("iso")], opts)
    diff = np.abs(np.asarray(full).astype(int) - np.asarray(fast).astype(int))
    assert diff.mean() < 1.0, diff.mean()


def test_fast_draws_circles_no_wider_than_a_stud_8_sided(tmp_path):
    # The same cylinder primitive placed at a pin hole's radius (also turned 45 degrees), a
    # little wider and much wider: only the first two come from p/8/.
    write(
        tmp_path,
        "round.dat",
        "0 test round part\n0 Name: round.dat\n0 !LDRAW_ORG Part\n0 BFC CERTIFY CCW\n"
        "1 16 0 0 0 8 0 0 0 4 0 0 0 8 4-4cyli.dat\n"
        "1 16 0 0 0 5.6569 0 5.6569 0 4 0 -5.6569 0 5.6569 4-4cyli.dat\n"
        "1 16 0 0 0 9 0 0 0 4 0 0 0 9 4-4cyli.dat\n"
        "1 16 0 0 0 40 0 0 0 4 0 0 0 40 4-4cyli.dat\n",
    )
    part = write(tmp_path, "round.ldr", "1 4 0 0 0 1 0 0 0 1 0 0 0 1 round.dat\n")
    full_one = counts(
        load_model(write(tmp_path, "a.ldr", "1 4 0 0 0 1 0 0 0 1 0 0 0 1 4-4cyli.dat\n"))
    )
    coarse_one = counts(
        load_model(write(tmp_path, "b.ldr", "1 4 0 0 0 1 0 0 0 1 0 0 0 1 8\\4-4cyli.dat\n"))
    )
    assert coarse_one[0] < full_one[0]
    assert counts(load_model(part)) == tuple(4 * np.array(full_one))
    fast = counts(load_model(part, studs=StudStyle.FAST))
    assert fast == tuple(2 * np.array(coarse_one) + 2 * np.array(full_one))
    for a, b in zip(
        bounding_box(load_model(part)),
        bounding_box(load_model(part, studs=StudStyle.FAST)),
        strict=True,
    ):
        np.testing.assert_allclose(a, b, atol=1e-3)


def test_fast_draws_a_technic_brick_with_fewer_triangles_than_fast_studs_alone(
    tmp_path, monkeypatch
):
    import ldscene.ldraw.expand as expand

    brick = write(tmp_path, "technic.ldr", "1 4 0 0 0 1 0 0 0 1 0 0 0 1 3700.dat\n")
    fast = counts(load_model(brick, studs=StudStyle.FAST, use_cache=False))
    monkeypatch.setattr(expand, "COARSE_RADIUS", 0.0)  # studs only, as before
    studs_only = counts(load_model(brick, studs=StudStyle.FAST, use_cache=False))
    assert fast[0] < 0.9 * studs_only[0]  # the pin hole's circles are 8-sided too
    assert fast[2] < studs_only[2]
