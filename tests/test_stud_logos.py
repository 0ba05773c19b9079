"""Logo studs (LDraw's `p/stud-logo4.dat` family): substitution, cache, `auto` and a render."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import tiny_scene, write

from ldscene.errors import LdsceneError
from ldscene.inputs import load_input
from ldscene.ldraw import load_model
from ldscene.ldraw.stats import bounding_box, model_stats
from ldscene.ldraw.studs import StudStyle, variant_names
from ldscene.render import RenderOptions, View, render_model
from ldscene.render.studs import LOGO_FROM_PX, stud_pixels, stud_rule


def counts(model) -> tuple[int, int, int]:
    stats = model_stats(model)
    return stats["triangles"], stats["lines"], stats["cond_lines"]


def bare(tmp_path, name: str) -> tuple[int, int, int]:
    """Counts of one file placed on its own, drawn as it is."""
    path = write(tmp_path, "bare.ldr", f"1 4 0 0 0 1 0 0 0 1 0 0 0 1 {name}\n")
    return counts(load_model(path, use_cache=False))


def vertices(model) -> np.ndarray:
    """The distinct triangle corners of a one-leaf model's leaf."""
    (leaf,) = model.leaves
    return np.unique(leaf.geometry.triangles.reshape(-1, 3).astype(np.float64), axis=0)


def distance_to(points: np.ndarray, cloud: np.ndarray) -> np.ndarray:
    """Each point's distance to the nearest point of `cloud`."""
    return np.array([np.sqrt(((cloud - p) ** 2).sum(axis=1).min()) for p in points])


def test_logo_variants_are_looked_up_best_first():
    assert variant_names("p/stud.dat", StudStyle.LOGO)[:2] == ("stud-logo4.dat", "stud-logo3.dat")
    assert variant_names("p/stud2.dat", StudStyle.LOGO)[0] == "stud2-logo4.dat"
    assert variant_names("p/stud-logo4.dat", StudStyle.LOGO) == ()  # a logo stud already
    assert variant_names("p/stud.dat", StudStyle.FAST) == ("8/stud.dat",)
    assert variant_names("p/stud.dat", StudStyle.FULL) == ()
    assert variant_names("p/4-4cyli.dat", StudStyle.LOGO) == ()


def test_logo_studs_replace_the_studs_that_have_a_logo_variant(tmp_path):
    # A solid stud, an open stud, and an underside tube (stud4.dat, no logo variant).
    write(
        tmp_path,
        "plate.dat",
        "0 test plate\n0 Name: plate.dat\n0 !LDRAW_ORG Part\n0 BFC CERTIFY CCW\n"
        "1 16 10 0 0 1 0 0 0 1 0 0 0 1 stud.dat\n"
        "1 16 -10 0 0 1 0 0 0 1 0 0 0 1 stud2.dat\n"
        "1 16 0 8 0 1 0 0 0 -1 0 0 0 1 stud4.dat\n",
    )
    plate = write(tmp_path, "plate.ldr", "1 4 0 0 0 1 0 0 0 1 0 0 0 1 plate.dat\n")
    full = load_model(plate, use_cache=False)
    logo = load_model(plate, studs=StudStyle.LOGO, use_cache=False)
    assert logo.studs is StudStyle.LOGO and not logo.fast_studs
    expected = (
        np.subtract(bare(tmp_path, "stud-logo4.dat"), bare(tmp_path, "stud.dat"))
        + np.subtract(bare(tmp_path, "stud2-logo4.dat"), bare(tmp_path, "stud2.dat"))
        + counts(full)
    )
    assert counts(logo) == tuple(expected)
    # The `--studs` word and the older keyword name the same style.
    assert counts(load_model(plate, studs="logo", use_cache=False)) == counts(logo)
    assert load_model(plate, studs=StudStyle.LOGO, use_cache=False).studs is StudStyle.LOGO


def test_a_logo_brick_draws_the_logo_primitive_on_each_stud(tmp_path):
    brick = write(tmp_path, "brick.ldr", "1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n")
    full = load_model(brick, use_cache=False)
    logo = load_model(brick, studs=StudStyle.LOGO, use_cache=False)
    per_stud = np.subtract(bare(tmp_path, "stud-logo4.dat"), bare(tmp_path, "stud.dat"))
    assert counts(logo) == tuple(np.add(counts(full), 8 * per_stud))
    assert counts(logo)[0] > 10 * counts(full)[0] // 2  # the logos are most of the triangles
    # logo4.dat's own vertices, lifted onto the stud at (30, 0, 10), are in the brick.
    mark = load_model(write(tmp_path, "mark.ldr", "1 4 0 0 0 1 0 0 0 1 0 0 0 1 logo4.dat\n"))
    lifted = vertices(mark) + [30, -3.8, 10]
    assert len(lifted) > 100
    assert distance_to(lifted, vertices(logo)).max() < 1e-3
    assert distance_to(lifted, vertices(full)).max() > 0.1
    for a, b in zip(bounding_box(full), bounding_box(logo), strict=True):
        np.testing.assert_allclose(a, b)  # the logo stays inside the stud's height


def test_logo_full_and_fast_studs_are_cached_apart(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    brick = write(tmp_path, "brick.ldr", "1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n")
    cold = {style: counts(load_model(brick, studs=style, use_cache=False)) for style in StudStyle}
    assert len(set(cold.values())) == 3
    for style in (StudStyle.FULL, StudStyle.LOGO, StudStyle.FAST, StudStyle.LOGO, StudStyle.FULL):
        assert counts(load_model(brick, studs=style)) == cold[style], style


def test_auto_picks_logo_studs_for_a_close_up(tmp_path):
    brick = write(tmp_path, "brick.ldr", "1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n")
    iso = [View.named("iso")]
    close = stud_rule("auto", RenderOptions(width=1024, height=768), iso)
    assert load_model(brick, studs=close).studs is StudStyle.LOGO
    # One part is framed by its box, not its single origin: a baseplate thumbnail is fast-draw.
    plate = write(tmp_path, "plate.ldr", "1 2 0 0 0 1 0 0 0 1 0 0 0 1 3811.dat\n")
    assert load_model(plate, studs=stud_rule("auto", RenderOptions(320, 240), iso)).fast_studs
    far = write(
        tmp_path,
        "far.ldr",
        "1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n1 1 3000 0 2000 1 0 0 0 1 0 0 0 1 3001.dat\n",
    )
    for size, style in (((96, 72), StudStyle.FAST), ((4000, 3000), StudStyle.FULL)):
        assert load_model(far, studs=stud_rule("auto", RenderOptions(*size), iso)).studs is style
    # A big model (200 bricks on a 1000 LDU grid) stays full at the default size.
    grid = "".join(
        f"1 4 {x * 100} 0 {z * 50} 1 0 0 0 1 0 0 0 1 3001.dat\n"
        for x in range(10)
        for z in range(20)
    )
    big = write(tmp_path, "big.ldr", grid)
    assert load_model(big, studs=stud_rule("auto", RenderOptions(), iso)).studs is StudStyle.FULL


def test_the_auto_estimate_for_one_part_matches_its_render(tmp_path):
    """A 1x1 brick's box, not its origin, frames the estimate: a close and not a loose bound."""
    path = write(tmp_path, "one.ldr", "1 4 0 0 0 1 0 0 0 1 0 0 0 1 3005.dat\n")
    seen = []
    model = load_model(path, studs=lambda points, stretch: seen.append(points) or StudStyle.FULL)
    assert len(seen[0]) == 1 + 8  # the origin and its box's corners
    opts = RenderOptions(width=400, height=400, aa=1, edges=False, shadows=False)
    (image,) = render_model(model, [View.named("top")], opts)
    red = np.asarray(image)[..., 0].astype(int) - np.asarray(image)[..., 2].astype(int) > 60
    width = np.ptp(np.flatnonzero(red.any(axis=0))) + 1  # the brick's 20 LDU top
    measured = width * 12 / 20
    estimate = stud_pixels(seen[0], opts, [View.named("top")])
    assert measured * 0.99 <= estimate <= measured * 1.5


def test_choosing_again_reports_problems_once(tmp_path):
    write(
        tmp_path,
        "odd.dat",
        "0 odd part\n0 Name: odd.dat\n0 !LDRAW_ORG Part\n"
        "1 16 0 0 0 1 0 0 0 1 0 0 0 1 stud.dat\n1 16 0 0 0 1 0 0 0 1 0 0 0 1 nothere.dat\n",
    )
    path = write(tmp_path, "odd.ldr", "1 4 0 0 0 1 0 0 0 1 0 0 0 1 odd.dat\n")
    for style in StudStyle:
        model = load_model(path, studs=lambda points, stretch, style=style: style, use_cache=False)
        assert model.studs is style
        assert [m.name for m in model.missing] == ["nothere.dat"]


def test_stud_rule_choices():
    iso = [View.named("iso")]
    assert stud_rule("logo", RenderOptions(), iso) is StudStyle.LOGO
    assert stud_rule("logo", None, None) is StudStyle.LOGO  # a scene may ask for logos
    assert stud_rule("auto", None, None) is StudStyle.FULL
    origins = np.array([[0, 0, 0], [40, 0, 0]], float)
    assert stud_pixels(origins, RenderOptions(width=800, height=600), iso) >= LOGO_FROM_PX
    assert (
        stud_rule("auto", RenderOptions(width=800, height=600), iso)(origins, 1.0) is StudStyle.LOGO
    )
    with pytest.raises(LdsceneError, match="unknown stud choice"):
        stud_rule("round", None, None)
    assert StudStyle.FAST.label == "fast-draw" and StudStyle.LOGO.label == "logo"


def test_a_scene_takes_a_stud_style(tmp_path):
    scene = tiny_scene(tmp_path)
    full = load_input(scene, use_cache=False).model
    logo = load_input(scene, use_cache=False, studs=StudStyle.LOGO).model
    assert full.studs is StudStyle.FULL and logo.studs is StudStyle.LOGO
    assert counts(logo)[0] > 5 * counts(full)[0]
    rule = stud_rule("auto", RenderOptions(), [View.named("iso")])
    assert load_input(scene, use_cache=False, studs=rule).model.studs is StudStyle.FULL


def test_logo_studs_show_on_a_close_up(tmp_path):
    path = write(tmp_path, "one.ldr", "1 4 0 0 0 1 0 0 0 1 0 0 0 1 3005.dat\n")
    opts = RenderOptions(width=240, height=240, shadows=False)  # a logo stud's shadow differs
    top = [View.named("top")]
    (full,) = render_model(load_model(path), top, opts)
    (logo,) = render_model(load_model(path, studs=StudStyle.LOGO), top, opts)
    full, logo = np.asarray(full)[..., :3].astype(int), np.asarray(logo)[..., :3].astype(int)
    diff = np.abs(full - logo).max(axis=2)
    # The stud is the middle 12/20 of the brick's top, which fills the frame.
    yy, xx = np.mgrid[:240, :240]
    radius = np.hypot(yy - 119.5, xx - 119.5)
    on_stud, off_stud = diff[radius < 50], diff[radius > 90]
    assert (on_stud > 40).mean() > 0.05, (on_stud > 40).mean()  # the letters' outlines
    assert (off_stud > 40).mean() < 0.01  # the rest of the brick is the same
