"""The raster engine's look (issue #12): glass colour, white under the tone curve, ambient
occlusion, glitter, the default floor.  Small renders of real library parts on llvmpipe."""

from __future__ import annotations

import colorsys

import numpy as np
from conftest import run_cli, write
from PIL import Image

from ldscene.ldraw import load_model
from ldscene.render import RenderOptions, View, render_model
from ldscene.render.options import DEFAULT_BACKGROUND

SIZE = dict(width=240, height=180, aa=2)
TRANS_NEON_ORANGE = (0xFF, 0x80, 0x0D)  # LDConfig: colour 38


def render(path, view: str = "front", **options) -> np.ndarray:
    (image,) = render_model(load_model(path), [View.named(view)], RenderOptions(**SIZE | options))
    return np.asarray(image)[..., :3].astype(int)


def hsv(rgb) -> tuple[float, float, float]:
    return colorsys.rgb_to_hsv(*(np.asarray(rgb, float) / 255))


def hue_distance(a: float, b: float) -> float:
    d = abs(a - b) % 1.0
    return 360 * min(d, 1 - d)


def brick(folder, colour: int, name: str = "brick.ldr"):
    return write(folder, name, f"0 brick\n1 {colour} 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n")


def centre_patch(img: np.ndarray, y: float = 0.6) -> np.ndarray:
    h, w, _ = img.shape
    return img[int(h * y) - 3 : int(h * y) + 3, w // 2 - 6 : w // 2 + 6].reshape(-1, 3)


def test_trans_orange_shows_its_colour_on_white_and_on_dark(tmp_path):
    path = brick(tmp_path, 38)
    ref_hue, ref_sat, _ = hsv(TRANS_NEON_ORANGE)
    for background in ((1.0, 1.0, 1.0), (0.12, 0.12, 0.12)):
        img = render(path, background=background)
        hue, sat, _ = hsv(centre_patch(img).mean(axis=0))
        assert hue_distance(hue, ref_hue) <= 15, (background, hue * 360, ref_hue * 360)
        assert sat >= ref_sat / 2, (background, sat, ref_sat)


def test_trans_orange_in_front_of_black_bricks_stays_orange(tmp_path):
    """The light glass sends back was 1 - transmit per channel: orange's complement, so
    trans-orange in front of a black brick read a dull olive brown (116, 78, 12)."""
    wall = "".join(f"1 0 {x} 0 60 1 0 0 0 1 0 0 0 1 3001.dat\n" for x in (-80, 0, 80))
    path = write(tmp_path, "m.ldr", f"0 m\n1 38 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n{wall}")
    ref_hue, _, _ = hsv(TRANS_NEON_ORANGE)
    for background in ((1.0, 1.0, 1.0), (0.0, 0.0, 0.0)):
        img = render(path, background=background)
        rgb = centre_patch(img, 0.5).mean(axis=0)
        hue, sat, _ = hsv(rgb)
        assert hue_distance(hue, ref_hue) <= 15, (background, hue * 360, ref_hue * 360)
        assert hue * 360 <= ref_hue * 360 + 5, (background, rgb)  # not towards olive
        assert sat > 0.5 and rgb.max() > 180, (background, rgb)  # orange, not brown


def test_chrome_silver_reads_light_not_black(tmp_path):
    """Chrome reflects the studio; its sides reflected a near-black floor, and a Chrome_Silver
    brick (#CECECE) came out darker than a Light_Bluish_Grey (#A0A5A9) plastic one."""
    means = {}
    for code in (383, 71):  # Chrome_Silver, Light_Bluish_Grey
        img = render(brick(tmp_path, code, f"b{code}.ldr"), "iso", background=(0.0, 0.0, 0.0))
        part = img.max(axis=2) > 8  # the brick (and the faint floor shadow is black on black)
        means[code] = float(img[part].mean())
    assert means[383] > 0.9 * means[71], means


def test_white_top_face_is_below_250_and_stands_out_of_the_background(tmp_path):
    img = render(brick(tmp_path, 15), "top", edges=False)
    top = centre_patch(img, 0.5)
    background = np.round(np.asarray(DEFAULT_BACKGROUND) * 255)
    assert top.max() < 250, top.max()
    assert np.abs(top.mean(axis=0) - background).max() > 6, (top.mean(axis=0), background)
    assert top.min() > 200, top.min()  # still white, not grey


def test_ambient_occlusion_darkens_a_face_next_to_a_wall(tmp_path):
    # A red brick's top face runs along a blue wall of stacked bricks behind it, seen without
    # shadows: only the ambient occlusion can darken the strip by the wall.
    wall = "".join(f"1 1 60 {-24 * i} 0 1 0 0 0 1 0 0 0 1 3001.dat\n" for i in range(4))
    path = write(tmp_path, "wall.ldr", f"0 wall\n1 4 0 0 0 0 0 1 0 1 0 -1 0 0 3001.dat\n{wall}")
    view = View("behind", 35.0, -90.0)  # the wall stands behind the brick
    on, off = (
        np.asarray(
            render_model(
                load_model(path),
                [view],
                RenderOptions(
                    **SIZE | dict(width=320, edges=False, shadows=False, ambient_occlusion=ao)
                ),  # fmt: skip
            )[0]
        )[..., :3].astype(int)
        for ao in (True, False)
    )
    red = (off[..., 0] > 120) & (off[..., 1] < 60) & (off[..., 2] < 60)
    blue = (off[..., 2] > 80) & (off[..., 0] < 60)
    red_px, blue_px = np.argwhere(red), np.argwhere(blue)
    gap = np.sqrt(((red_px[:, None, :] - blue_px[None, :, :]) ** 2).sum(axis=2)).min(axis=1)
    luma = np.array([0.2126, 0.7152, 0.0722])
    ratio = (on[red] @ luma) / np.maximum(off[red] @ luma, 1)
    near, far = ratio[gap < 6].mean(), ratio[gap > 30].mean()
    assert near < 0.92, near  # the strip along the wall darkens ...
    assert far > 0.97, far  # ... the open side hardly does


def test_glitter_and_speckle_differ_from_their_plain_colours(tmp_path):
    # 114 Glitter_Trans_Dark_Pink vs 37 Trans_Dark_Pink; 132 Speckle_Black_Silver vs 0 Black.
    for grains, plain in ((114, 37), (132, 0)):
        a = render(brick(tmp_path, grains, "a.ldr"), "iso")
        b = render(brick(tmp_path, plain, "b.ldr"), "iso")
        changed = np.abs(a - b).max(axis=2) > 30
        assert changed.mean() > 0.02, (grains, changed.mean())


def test_models_get_a_floor_with_a_shadow_by_default(tmp_path):
    # With a transparent background the floor's shadow is what covers pixels beside the model.
    path = brick(tmp_path, 4)
    covered = {}
    for name, args in (("floor", ()), ("none", ("--no-ground",))):
        out = tmp_path / f"{name}.png"
        done = run_cli("render", str(path), "-o", str(out), "--width", "240", "--height", "180",
                       "--transparent", "-q", *args)  # fmt: skip
        assert done.returncode == 0, done.stderr
        covered[name] = int((np.asarray(Image.open(out))[..., 3] > 0).sum())
    assert covered["floor"] > covered["none"] + 500, covered


def test_milky_white_is_nearly_opaque_and_trans_clear_is_clear(tmp_path):
    """LDConfig's ALPHA is honoured: Milky White (ALPHA 240) lets little of a black wall
    behind it through, Trans-Clear (ALPHA 128) most of it."""

    def face(colour: int) -> float:
        model = (
            f"0 brick before a black wall\n1 {colour} 0 0 -40 1 0 0 0 1 0 0 0 1 3003.dat\n"
            "1 0 0 0 0 3 0 0 0 3 0 0 0 1 3001.dat\n"
        )
        img = render(write(tmp_path, f"wall{colour}.ldr", model), edges=False, shadows=False)
        return float(centre_patch(img, 0.4).mean())

    white, milky, clear = face(15), face(79), face(47)
    assert milky > 0.8 * white, (milky, white)
    assert clear < 0.65 * milky, (clear, milky)


def test_a_flattening_placement_keeps_its_colour(tmp_path):
    """A singular matrix that flattens a flat primitive along its own normal (a disc's y row
    all zero) is legal LDraw: the disc is drawn in its colour, not black."""
    path = write(tmp_path, "flat.ldr", "0 flat disc\n1 4 0 0 0 20 0 0 0 0 0 0 0 20 4-4disc.dat\n")
    img = render(path, "top", edges=False)
    red, green, blue = centre_patch(img, 0.5).mean(axis=0)
    assert red > 120 and red > 2 * green and red > 2 * blue, (red, green, blue)


def test_a_view_from_below_the_floor_shows_no_floor(tmp_path):
    """From below, the floor's shadow fell across the brick's sides and its contact shading
    smeared a dark band over them; such a view now has no floor, as in the path engine."""
    path = brick(tmp_path, 4)
    for view in ("bottom", View("low", -20.0, 30.0)):
        views = [View.named(view) if isinstance(view, str) else view]
        floor, none = (
            np.asarray(render_model(load_model(path), views, RenderOptions(**SIZE, ground=g))[0])
            for g in (True, False)
        )
        # (the shadow map, fitted to the floor too, moves a few edge pixels by a level)
        assert np.abs(floor.astype(int) - none).max() <= 2, view


def test_a_transparent_image_laid_over_the_background_is_the_render(tmp_path):
    """--transparent: laid over its --background as browsers and editors do it (in sRGB
    values), the image is the opaque render, glass and the floor's shadow included. Alpha
    taken as linear coverage made trans-orange muddy tan and the shadow twice as dark;
    over white the shadow still darkens the floor about as a render on white does."""
    model = write(
        tmp_path,
        "glass.ldr",
        "1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n1 231 0 0 -40 1 0 0 0 1 0 0 0 1 3001.dat\n",
    )

    def image(name: str, *args: str) -> np.ndarray:
        out = tmp_path / f"{name}.png"
        done = run_cli("render", str(model), "-o", str(out), "--width", "240", "--height",
                       "180", "-q", *args)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return np.asarray(Image.open(out)).astype(float)

    for background in ("#e6e8eb", "#203040"):
        opaque = image("opaque", "--background", background)
        clear = image("clear", "--background", background, "--transparent")
        alpha = clear[..., 3:] / 255
        rgb = np.array([int(background[i : i + 2], 16) for i in (1, 3, 5)], float)
        laid = clear[..., :3] * alpha + rgb * (1 - alpha)
        assert np.abs(laid - opaque).max() <= 1.0, (background, np.abs(laid - opaque).max())
        assert (alpha < 0.99).mean() > 0 and (alpha == 0).mean() > 0.2  # clear around it
    on_white = image("white", "--background", "#ffffff")
    clear = image("clear_white", "--background", "#e6e8eb", "--transparent")
    alpha = clear[..., 3] / 255
    floor = (alpha > 0.05) & (alpha < 0.5) & (on_white[..., :3].min(axis=-1) < 250)
    laid = clear[..., :3] * alpha[..., None] + 255 * (1 - alpha[..., None])
    darkening = 255 - laid[floor].mean(axis=-1)
    expected = 255 - on_white[floor].mean(axis=-1)
    assert floor.sum() > 200
    assert abs(darkening.mean() - expected.mean()) < 0.25 * expected.mean() + 2


def test_contact_shading_stays_off_glass_and_off_a_floor_seen_edge_on(tmp_path):
    """Crevices behind glass showed through it as dark dashes (the occlusion was multiplied
    into the finished image, glass and all), and in a view from the front the floor towards
    the horizon drew a grey line across the whole image (its depth too coarse, seen edge-on,
    for contact shading)."""
    behind = write(
        tmp_path,
        "behind.ldr",
        "1 21 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n1 4 0 0 60 1 0 0 0 1 0 0 0 1 3001.dat\n",
    )
    shaded = render(behind, "front", width=512, height=384)
    plain = render(behind, "front", width=512, height=384, ambient_occlusion=False)
    glass = np.abs(shaded - plain).max(axis=-1)
    assert np.percentile(glass, 99.5) <= 3, np.percentile(glass, 99.5)

    lone = brick(tmp_path, 14)
    shaded = render(lone, "front", width=1024, height=768, ground=True)
    plain = render(lone, "front", width=1024, height=768, ground=True, ambient_occlusion=False)
    edge = np.abs(shaded[:, :8] - plain[:, :8]).max()  # far from the brick: floor, sky
    assert edge <= 2, edge
