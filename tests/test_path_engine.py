"""The path engine (Mitsuba 3 on the CPU's LLVM variant, OIDN): colours, materials, light,
determinism, denoising, framing shared with the raster engine, and its errors.

Renders are small (a few thousand pixels) with few samples, so each takes a second or two.
"""

from __future__ import annotations

import colorsys
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import tiny_scene, write
from PIL import Image

from ldscene.cli import cli
from ldscene.errors import LdsceneError
from ldscene.ldraw import load_model
from ldscene.render import ModelRenderer, RenderOptions, View
from ldscene.render.engines import EngineSettings, PathSettings, open_renderer
from ldscene.render.path import setup
from ldscene.render.path.renderer import PathRenderer

pytestmark = pytest.mark.slow  # renders, windows or whole scenes: seconds each

SMALL = dict(width=160, height=120)
TRANS_NEON_ORANGE = 38  # LDConfig: VALUE #FF800D ALPHA 128


def model_file(folder: Path, lines: list[str], name: str = "m.ldr") -> Path:
    return write(folder, name, "0 test\n" + "\n".join(lines) + "\n")


def brick(colour: int, x: float = 0, y: float = 0, z: float = 0, part: str = "3001.dat") -> str:
    return f"1 {colour} {x} {y} {z} 1 0 0 0 1 0 0 0 1 {part}"


def path_render(path: Path, view: View, samples: int = 8, seed: int = 0, **options) -> np.ndarray:
    opts = RenderOptions(**{**SMALL, "ground": True, **options})
    with PathRenderer(load_model(path), opts, PathSettings(samples=samples, seed=seed)) as r:
        return r.render_array(view)


def hsv(rgb) -> tuple[float, float, float]:
    return colorsys.rgb_to_hsv(*(np.asarray(rgb, float) / 255.0))


def hue_distance(a: float, b: float) -> float:
    d = abs(a - b) * 360.0
    return min(d, 360.0 - d)


# ---------------------------------------------------------------------------- materials
@pytest.mark.parametrize("engine", ["path", "raster"])
def test_trans_orange_in_front_of_white_is_orange(tmp_path, engine):
    # A trans-neon-orange 2x4 brick in front of a white wall of bricks (LDraw +Z is away from
    # a front camera), on a white background; both engines.
    wall = [brick(15, x, y, 60) for x in (-80, 0, 80) for y in (0, -24, 24)]
    path = model_file(tmp_path, [brick(TRANS_NEON_ORANGE), *wall])
    opts = RenderOptions(**SMALL, background=(1.0, 1.0, 1.0))
    with open_renderer(EngineSettings.parse(engine, samples=8), load_model(path), opts) as r:
        img = r.render_array(View.named("front"))
    h, w, _ = img.shape
    patch = img[int(h * 0.47) : int(h * 0.58), int(w * 0.4) : int(w * 0.6), :3]
    hue, sat, _ = hsv(patch.reshape(-1, 3).mean(axis=0))
    ref_hue, ref_sat, _ = hsv((0xFF, 0x80, 0x0D))
    assert hue_distance(hue, ref_hue) <= 15.0, (hue * 360, ref_hue * 360)
    assert sat >= 0.5 * ref_sat, (sat, ref_sat)


def test_a_trans_orange_panel_is_orange_not_yellow(tmp_path):
    """One sheet (two interfaces, where a hollow brick's walls have four) in front of white:
    the tone curve used to roll red off while green still climbed, turning it yellow (40°
    here, 48° on Ice Station Odyssey's dome, against LDConfig's 28°)."""
    wall = [brick(15, x, y, 60) for x in (-80, 0, 80) for y in (0, -24, 24)]
    panel = brick(TRANS_NEON_ORANGE, 0, 0, 0, "4865b.dat")
    opts = dict(ground=False, background=(1.0, 1.0, 1.0))
    img = path_render(model_file(tmp_path, [panel, *wall]), View.named("front"), **opts)
    pixels = img[..., :3].reshape(-1, 3).astype(float)
    coloured = pixels[pixels.max(axis=1) - pixels.min(axis=1) > 60]  # the panel, not the wall
    assert len(coloured) > 200
    hue, sat, _ = hsv(coloured.mean(axis=0))
    ref_hue, ref_sat, _ = hsv((0xFF, 0x80, 0x0D))
    assert hue_distance(hue, ref_hue) <= 8.0, (hue * 360, ref_hue * 360)
    assert sat >= 0.5 * ref_sat, (sat, ref_sat)


def test_glass_shows_the_background_behind_it_and_is_see_through_with_alpha(tmp_path):
    """Rays through glass reached the studio's grey dome: trans-clear showed grey over any
    background, and was opaque with --transparent.  The see-through passes put the
    background there, and its share into alpha."""
    path = model_file(tmp_path, [brick(47)])  # Trans_Clear
    view = View.named("front")
    magenta = (1.0, 0.0, 1.0)
    rgb = path_render(path, view, ground=False, background=magenta)[..., :3].astype(float)
    h, w, _ = rgb.shape
    face = rgb[int(h * 0.45) : int(h * 0.6), int(w * 0.35) : int(w * 0.65)].reshape(-1, 3)
    red, green, blue = face.mean(axis=0)
    assert red > green + 60 and blue > green + 60, (red, green, blue)  # magenta, not grey
    rgba = path_render(path, view, ground=False, transparent=True)
    alpha = rgba[int(h * 0.45) : int(h * 0.6), int(w * 0.35) : int(w * 0.65), 3]
    assert np.median(alpha) < 200, np.median(alpha)
    assert rgba[0, 0, 3] == 0  # still nothing where there is no model


def test_tinted_glass_with_a_transparent_background_keeps_its_tint(tmp_path):
    """With --transparent, trans-red glass lost its tint with the light it lets through: near
    black (14, 1, 0) at a stud, a dark block over white.  Over the --background, the image
    now shows the glass as the opaque render does."""
    path = model_file(tmp_path, [brick(36)])
    images = {}
    for transparent in (False, True):
        img = path_render(path, View.named("iso"), samples=8, transparent=transparent)
        images[transparent] = img.astype(float)
    cut = images[True]
    alpha = cut[..., 3:] / 255.0
    background = np.array(RenderOptions().background) * 255.0  # sRGB, as the image
    over = cut[..., :3] * alpha + background * (1.0 - alpha)
    glass = (cut[..., 3] > 20) & (images[False][..., 0] > images[False][..., 1] + 30)
    assert glass.sum() > 300
    red, opaque = over[glass][:, 0], images[False][..., 0][glass]  # the red channel
    assert abs(red.mean() - opaque.mean()) < 10, (red.mean(), opaque.mean())  # was 122 to 144
    dark, opaque_dark = np.percentile(red, 5), np.percentile(opaque, 5)
    assert dark > 0.85 * opaque_dark, (dark, opaque_dark)  # was 62 to 106: black studs


@pytest.mark.parametrize("background", [(0.0, 0.0, 0.0), (0.125, 0.376, 0.753)])
def test_the_floor_is_no_lighter_than_a_dark_background(tmp_path, background):
    """The floor's albedo had a floor of 0.02 a channel: on black it showed as a grey slab
    (33, 32, 32), and on a blue background with a red channel over the background's."""
    path = model_file(tmp_path, [brick(4)])
    img = path_render(path, View.named("iso"), background=background).astype(float)
    h, w, _ = img.shape
    floor = img[int(h * 0.9) :, : w // 6, :3].reshape(-1, 3)  # in front, away from the brick
    expected = np.round(np.asarray(background) * 255)
    assert (floor.mean(axis=0) <= expected + 3).all(), (floor.mean(axis=0), expected)


def test_the_floor_fades_smoothly_out_of_focus(tmp_path):
    """Through a lens the floor's far edge, where it fades into the background, was grain
    (salt and pepper, still at 64 samples): the fade was worked out from each pixel's
    position, a mix of lens samples.  Out of focus, it is now smoother than in focus."""
    from conftest import write_scene

    from ldscene.render.command import scene_view
    from ldscene.scene.compose import load_scene

    text = (
        "units: stud\nplace:\n"
        + "".join(
            f"  {n}: {{part: 3001, color: {c}, at: [0, 0, {z}]}}\n"
            for n, c, z in (
                ("a", "Red", 0),
                ("b", "Yellow", -6),
                ("c", "Blue", -12),
                ("d", "Green", -18),
            )
        )
        + "cameras:\n  far: {lat: 15, lon: 20, target: a, focus: d, aperture: 2}\n"
        "  sharp: {lat: 15, lon: 20, target: a}\n"
    )
    scene = load_scene(write_scene(tmp_path, text))
    grain = {}
    for name in ("far", "sharp"):
        view = scene_view(scene.camera(name), scene.model)
        opts = RenderOptions(width=160, height=120, ground=True)
        with PathRenderer(scene.model, opts, PathSettings(samples=8)) as renderer:
            grey = renderer.render_array(view)[..., :3].astype(float).mean(axis=-1)
        bands = [np.abs(np.diff(grey[y : y + 8], axis=1)).mean() for y in range(0, 40, 4)]
        grain[name] = max(bands)  # the upper third: the floor's far edge
    assert grain["far"] < grain["sharp"], grain  # was 10.2 against 4.9


def test_glow_in_the_dark_keeps_its_colour(tmp_path):
    """Glow_In_Dark_Opaque (21, #E0FFB0) glows, but still reads as pale green, not a white
    blob."""
    img = path_render(model_file(tmp_path, [brick(21)]), View.named("front"), ground=False)
    h, w, _ = img.shape
    face = img[int(h * 0.45) : int(h * 0.6), int(w * 0.4) : int(w * 0.6), :3]
    hue, sat, _ = hsv(face.reshape(-1, 3).mean(axis=0))
    assert hue_distance(hue, hsv((0xE0, 0xFF, 0xB0))[0]) <= 25.0 and sat >= 0.25, (hue, sat)


def test_a_white_baseplate_stands_out_from_the_floor(tmp_path):
    plate = brick(15, 0, 0, 0, "3811.dat")
    img = path_render(model_file(tmp_path, [plate, brick(4, 0, -24, 0)]), View.named("iso"))
    h, w, _ = img.shape
    on_plate = img[int(h * 0.6) : int(h * 0.7), int(w * 0.45) : int(w * 0.55), :3].mean()
    floor = img[int(h * 0.93) :, int(w * 0.4) : int(w * 0.6), :3].mean()
    assert on_plate > floor + 15, (on_plate, floor)


@pytest.mark.parametrize("engine", ["path", "raster"])
def test_milky_white_hides_a_dark_wall_that_trans_clear_shows(tmp_path, engine):
    # LDConfig's ALPHA is opacity: Milky White (ALPHA 240) is nearly opaque, Trans-Clear
    # (ALPHA 128) clear; each in front of a black wall.
    wall = [brick(0, x, y, 60) for x in (-80, 0, 80) for y in (0, -24, 24)]
    faces = {}
    for colour in (15, 79, 47):
        path = model_file(tmp_path, [brick(colour), *wall], f"m{colour}.ldr")
        with open_renderer(
            EngineSettings.parse(engine, samples=8), load_model(path), RenderOptions(**SMALL)
        ) as r:
            img = r.render_array(View.named("front"))
        h, w, _ = img.shape
        patch = img[int(h * 0.47) : int(h * 0.58), int(w * 0.4) : int(w * 0.6), :3]
        faces[colour] = float(patch.mean())
    assert faces[79] > 0.7 * faces[15], faces
    assert faces[47] < 0.65 * faces[79], faces


def test_chrome_is_brighter_and_more_contrasted_than_grey(tmp_path):
    # Chrome_Silver (383) and Light_Bluish_Grey (71) have similar LDConfig values.
    def stats(colour: int) -> tuple[float, float]:
        path = model_file(tmp_path, [brick(colour)], f"c{colour}.ldr")
        white = (1.0, 1.0, 1.0)  # the mask below leaves out the background by its colour
        img = path_render(path, View.named("iso"), samples=16, ground=False, background=white)
        img = img.astype(float)
        body = img[..., 3] == 255
        luma = img[..., :3].mean(axis=-1)[body & (np.abs(img[..., :3] - 255).max(-1) > 3)]
        return float(np.percentile(luma, 99)), float(luma.std())

    chrome_peak, chrome_spread = stats(383)
    grey_peak, grey_spread = stats(71)
    assert chrome_peak > grey_peak, (chrome_peak, grey_peak)
    assert chrome_spread > 1.3 * grey_spread, (chrome_spread, grey_spread)


def test_speckle_and_glitter_show_grains(tmp_path):
    # Speckle_Black_Copper (75) against plain black (0); Glitter_Trans_Clear (117) against
    # Trans_Clear (47): a close-up of a brick's top shows grains only with the finish.
    def spread(colour: int) -> float:
        tile, plate = brick(colour, 0, 0, 0, "3070b.dat"), brick(0, 0, 8, 0, "3022.dat")
        path = model_file(tmp_path, [tile, plate], f"g{colour}.ldr")
        view = View.look("close", (0, -60, 0.01), (0, 0, 0), fov=30)
        img = path_render(path, view, samples=16, ground=False).astype(float)
        h, w, _ = img.shape
        face = img[h // 2 - 15 : h // 2 + 15, w // 2 - 15 : w // 2 + 15, :3].mean(axis=-1)
        return float(face.std())

    assert spread(75) > 2.0 * spread(0) + 2.0, (spread(75), spread(0))
    assert spread(117) > spread(47) + 2.0, (spread(117), spread(47))


def test_luminous_part_lights_its_neighbour(tmp_path):
    # A 1x1 glow-in-the-dark brick (LUMINANCE 15) standing on a dark 6x6 plate, against the
    # same colour without the glow (a direct colour of the same value): the plate around it
    # is brighter.
    def plate_brightness(colour: str) -> float:
        path = model_file(
            tmp_path,
            [brick(72, 0, 0, 0, "3958.dat"), f"1 {colour} 0 -8 0 1 0 0 0 1 0 0 0 1 3005.dat"],
            f"glow{colour}.ldr",
        )
        img = path_render(path, View.named("top"), samples=16, ground=False).astype(float)
        h, w, _ = img.shape
        ring = np.zeros((h, w), bool)
        ring[h // 2 - 20 : h // 2 + 20, w // 2 - 20 : w // 2 + 20] = True
        ring[h // 2 - 11 : h // 2 + 11, w // 2 - 11 : w // 2 + 11] = False  # not the brick
        return float(img[..., :3][ring].mean())

    glowing = plate_brightness("21")
    plain = plate_brightness(str(0x2E0FFB0))  # Glow_In_Dark_Opaque's VALUE #E0FFB0, no glow
    assert glowing > plain + 5.0, (glowing, plain)


@pytest.mark.parametrize("ground", [True, False])
def test_a_view_from_below_shows_the_underside_not_the_floor_or_the_lamp(tmp_path, ground):
    """From below, the floor (seen from underneath) would hide the model: the view has none;
    and the studio's softbox above, which such a view can see, shows as background."""
    path = model_file(tmp_path, [brick(4)])
    background = (0.9, 0.91, 0.92)
    img = path_render(path, View.named("bottom"), ground=ground, background=background)
    h, w, _ = img.shape
    centre = img[h // 2 - 10 : h // 2 + 10, w // 2 - 10 : w // 2 + 10, :3].astype(float)
    assert centre[..., 0].mean() > 25 and centre[..., 0].mean() > centre[..., 2].mean() + 10
    expected = np.round(np.asarray(background) * 255)
    corners = img[[0, 0, -1, -1], [0, -1, 0, -1], :3].astype(float)
    assert np.abs(corners - expected).max() <= 1, corners


def test_daylight_turns_over_for_a_view_from_below(tmp_path):
    """The studio turns upside down for a view from below; daylight did not, and the
    underside was in the sun's shadow: a red brick's underside came out near black."""
    from ldscene.render.description import LightPreset

    path = model_file(tmp_path, [brick(4)])
    reds = []
    for name in ("iso", "bottom"):
        opts = RenderOptions(**{**SMALL, "ground": True})
        settings = PathSettings(samples=8, light=LightPreset.DAYLIGHT)
        with PathRenderer(load_model(path), opts, settings) as renderer:
            img = renderer.render_array(View.named(name)).astype(float)
        red = (img[..., 0] > img[..., 2] + 20) & (img[..., 0] > img[..., 1] + 20)
        reds.append(img[red][:, 0].mean())
    assert reds[1] > 0.6 * reds[0], reds


def test_a_long_lens_sees_the_model_not_the_softbox(tmp_path):
    """A camera far out (a long lens) on the softbox's side stood behind the studio's softbox,
    which hid part of the floor (drawn as background there, a curved edge across the picture);
    the softbox now stays beyond the camera, and the floor shows all across."""
    path = model_file(tmp_path, [brick(4)])
    background = (0.9, 0.91, 0.92)
    view = View(name="long", latitude=50.0, longitude=-40.0, fov=5.0)
    rgb = path_render(path, view, background=background)[..., :3].astype(float)
    assert (rgb[..., 0] > rgb[..., 2] + 40).sum() > 0.1 * rgb.shape[0] * rgb.shape[1]
    left = rgb[:, : rgb.shape[1] // 8]
    hidden = (np.abs(left - np.round(np.asarray(background) * 255)).max(axis=-1) <= 1).sum()
    assert hidden == 0, hidden


# ---------------------------------------------------------------------------- determinism
def test_same_seed_same_png_bytes(tmp_path):
    path = model_file(tmp_path, [brick(4), brick(TRANS_NEON_ORANGE, 0, -24, 0)])
    outputs = []
    for name in ("a.png", "b.png"):
        out = tmp_path / name
        args = ["render", str(path), "-o", str(out), "--engine", "path", "--samples", "4"]
        result = CliRunner().invoke(cli, [*args, "--width", "96", "--height", "72", "-q"])
        assert result.exit_code == 0, result.output
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


def test_seeds_65536_apart_give_other_images(tmp_path):
    """Pass seeds were seed * 65536 + pass, modulo 2^32: seeds 0 and 65536 gave the same
    bytes.  Seeds below 65536 keep their images."""
    from ldscene.render.path.renderer import pass_seed

    assert [pass_seed(s, 3) for s in (0, 1, 7)] == [3, 65539, 7 * 65536 + 3]
    assert len({pass_seed(s, k) for s in (0, 65536, 131072, 2**31 - 65536) for k in range(4)}) == 16
    path = model_file(tmp_path, [brick(383)])
    view = View(name="iso")
    images = [path_render(path, view, samples=2, seed=s, width=48, height=36) for s in (0, 65536)]
    assert not np.array_equal(*images)


def test_denoising_lowers_the_seed_to_seed_difference(tmp_path):
    path = model_file(tmp_path, [brick(4), brick(14, 0, -24, 20), brick(383, 50, 0, 0)])
    view = View.named("iso")

    def difference(denoise: bool) -> float:
        images = []
        for seed in (1, 2):
            opts = RenderOptions(**SMALL, ground=True)
            settings = PathSettings(samples=4, seed=seed, denoise=denoise)
            with PathRenderer(load_model(path), opts, settings) as r:
                images.append(r.render_array(view)[..., :3].astype(float))
        return float(np.abs(images[0] - images[1]).mean())

    noisy, clean = difference(False), difference(True)
    assert clean < 0.6 * noisy, (clean, noisy)


# ---------------------------------------------------------------------------- composition
@pytest.mark.parametrize("ortho", [False, True])
def test_both_engines_frame_a_view_alike(tmp_path, ortho):
    path = model_file(tmp_path, [brick(4), brick(1, 40, -24, 0, "3003.dat")])
    model = load_model(path)
    view = View.named("iso")

    def options() -> RenderOptions:
        return RenderOptions(**SMALL, ground=False, transparent=True, ortho=ortho)

    with ModelRenderer(model, options()) as raster:
        a = raster.render_array(view)[..., 3] > 128
    with PathRenderer(model, options()) as path_r:
        b = path_r.render_array(view)[..., 3] > 128

    def box(mask: np.ndarray) -> np.ndarray:
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        return np.array([rows[0], rows[-1], cols[0], cols[-1]])

    assert np.abs(box(a) - box(b)).max() <= 2, (box(a), box(b))
    assert (a & b).sum() > 0.95 * min(a.sum(), b.sum())


def test_transparent_background_keeps_the_shadow(tmp_path):
    path = model_file(tmp_path, [brick(4, 0, 0, 0, "3003.dat"), brick(4, 0, -24, 0, "3003.dat")])
    img = path_render(path, View.named("iso"), samples=8, transparent=True)
    alpha = img[..., 3].astype(int)
    for y, x in ((0, 0), (0, -1), (-1, 0), (-1, -1)):  # no shadow: at most the floor's noise
        assert alpha[y, x] <= 8, alpha[y, x]
    opaque = alpha == 255
    shadow = (alpha > 20) & (alpha < 235) & (img[..., :3].max(axis=-1) < 40)
    assert opaque.sum() > 500  # the bricks
    assert shadow.sum() > 100  # their shadow on the floor: black, kept as partial alpha


def test_depth_of_field_blurs_what_is_out_of_focus(tmp_path):
    near, far = brick(4, 0, 0, -150), brick(1, 0, 0, 250)
    path = model_file(tmp_path, [near, far])
    eye, target = (0, -80, -450), (0, 0, 0)

    def sharpness(aperture: float | None) -> float:
        view = View.look(
            "dof", eye, target, fov=40, focus=(0, 0, -150) if aperture else None, aperture=aperture
        )
        img = path_render(path, view, samples=16, ground=False).astype(float).mean(axis=-1)
        far_part = img[: img.shape[0] // 2]  # the far brick is in the upper half
        return float(np.abs(np.diff(far_part, axis=1)).mean())

    assert sharpness(1.4) < 0.8 * sharpness(None)


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "args, message",
    [
        (["--engine", "pathtracer"], "unknown render engine"),
        (["--engine", "path", "--light", "moonlight"], "unknown light preset"),
        (["--engine", "path", "--device", "tpu"], "unknown path-engine device"),
        (["--engine", "path", "--samples", "0"], "samples per pixel"),
    ],
)
def test_cli_bad_engine_options_are_one_line(tmp_path, args, message):
    path = model_file(tmp_path, [brick(4)])
    out = tmp_path / "never.png"
    result = CliRunner().invoke(cli, ["render", str(path), "-o", str(out), *args])
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not out.exists() and not list(tmp_path.glob(".*"))


def test_a_model_of_glass_only_renders(tmp_path):
    """A canopy or a glass brick on its own: the path engine used to refuse it."""
    path = model_file(tmp_path, [brick(TRANS_NEON_ORANGE), brick(47, 0, -24, 0)])
    img = path_render(path, View.named("front"), ground=False, background=(1.0, 1.0, 1.0))
    h, w, _ = img.shape
    hue, sat, _ = hsv(
        img[int(h * 0.6) : int(h * 0.7), int(w * 0.4) : int(w * 0.6), :3].mean((0, 1))
    )
    assert hue_distance(hue, hsv((0xFF, 0x80, 0x0D))[0]) <= 15.0 and sat > 0.4, (hue, sat)


def test_aperture_without_focus_is_a_scene_error(tmp_path):
    scene = write(
        tmp_path,
        "dof.yaml",
        "place:\n  b: {part: 3001, color: Red}\ncameras:\n  c: {lat: 20, aperture: 2.8}\n",
    )
    result = CliRunner().invoke(cli, ["render", str(scene), "--engine", "path"])
    assert result.exit_code == 1
    assert "dof.yaml:4:" in result.output and "aperture: but no focus" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_no_llvm_library_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(setup, "_LIB_DIRS", (str(tmp_path),))
    monkeypatch.delenv("DRJIT_LIBLLVM_PATH", raising=False)
    (tmp_path / "libLLVM-15.so.1").write_bytes(b"")  # too old: Mitsuba crashes with it
    with pytest.raises(LdsceneError, match="no usable LLVM library"):
        setup._pin_llvm()
    monkeypatch.setenv("DRJIT_LIBLLVM_PATH", str(tmp_path / "missing.so"))
    with pytest.raises(LdsceneError, match="does not exist"):
        setup._pin_llvm()


def test_llvm_versions_are_read_from_file_names():
    assert setup.llvm_version("/usr/lib/x86_64-linux-gnu/libLLVM-15.so.1") == 15
    assert setup.llvm_version("/usr/lib/x86_64-linux-gnu/libLLVM.so.19.1") == 19
    assert setup.llvm_version("/opt/homebrew/opt/llvm/lib/libLLVM.18.dylib") == 18
    assert setup.llvm_version("/usr/lib/libLLVMSupport.a") == 0


def test_png_is_an_image_of_the_asked_size(tmp_path):
    path = model_file(tmp_path, [brick(4)])
    out = tmp_path / "p.jpg"
    args = ["render", str(path), "-o", str(out), "--engine", "path", "--samples", "2"]
    result = CliRunner().invoke(cli, [*args, "--width", "80", "--height", "60", "-q"])
    assert result.exit_code == 0, result.output
    assert Image.open(out).size == (80, 60)


# ---------------------------------------------------------------------------- other commands
def test_turntable_with_the_path_engine(tmp_path):
    path = model_file(tmp_path, [brick(4), brick(383, 0, -24, 0, "3003.dat")])
    out = tmp_path / "spin.gif"
    args = ["turntable", str(path), "-o", str(out), "--engine", "path", "--samples", "2"]
    result = CliRunner().invoke(cli, [*args, "--frames", "3", "--width", "64", "--height", "48"])
    assert result.exit_code == 0, result.output
    gif = Image.open(out)
    assert gif.n_frames == 3
    frames = []
    for i in range(3):
        gif.seek(i)
        frames.append(np.asarray(gif.convert("RGB"), int))
    assert np.abs(frames[0] - frames[1]).mean() > 1.0  # the camera turned


def test_post_stills_are_path_traced_unless_asked_for_a_draft(tmp_path):
    scene = tiny_scene(tmp_path)
    size = ["--width", "96", "--height", "72", "--samples", "2", "--image-format", "png"]

    def post(folder: str, *extra: str) -> np.ndarray:
        args = ["post", str(scene), "-o", str(tmp_path / folder), "--turntable", "none", "-q"]
        result = CliRunner().invoke(cli, [*args, *size, *extra])
        assert result.exit_code == 0, result.output
        return np.asarray(Image.open(tmp_path / folder / "01-overview.png"), int)

    photo, draft = post("photo"), post("draft", "--engine", "raster")
    out = tmp_path / "overview.png"
    args = ["render", str(scene), "--camera", "overview", "--engine", "path", "-o", str(out)]
    result = CliRunner().invoke(cli, [*args, *size[:6], "-q"])
    assert result.exit_code == 0, result.output
    assert np.array_equal(photo, np.asarray(Image.open(out), int))
    assert np.abs(photo - draft).mean() > 3.0


def test_missing_mitsuba_or_oidn_is_one_line_before_any_work(tmp_path):
    # A Python where importlib finds no such package (as on platforms without their wheels).
    path = model_file(tmp_path, [brick(4)])
    code = (
        "import importlib.util, sys\n"
        "find, gone = importlib.util.find_spec, sys.argv[1]\n"
        "importlib.util.find_spec = lambda n, *a: None if n == gone else find(n, *a)\n"
        "from ldscene.cli import main\n"
        f"sys.argv = ['ldscene', 'render', {str(path)!r}, '--engine', 'path', '-o', "
        f"{str(tmp_path / 'x.png')!r}, '--width', '64', '--height', '48']\n"
        "main()\n"
    )
    for missing, message in (("mitsuba", "needs Mitsuba 3"), ("pyoidn", "needs Intel Open")):
        done = subprocess.run(
            [sys.executable, "-c", code, missing], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 1, done.stderr
        assert message in done.stderr and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.png").exists()


def test_scene_camera_with_focus_and_aperture_renders(tmp_path):
    scene = write(
        tmp_path,
        "dof.yaml",
        "place:\n"
        "  near: {part: 3001, color: Red}\n"
        "  far: {part: 3001, color: Blue, at: [0, 0, -20]}\n"
        "cameras:\n"
        "  close: {position: [0, 3, 8], look_at: near, focus: near, aperture: 1.4}\n",
    )
    out = tmp_path / "dof.png"
    args = ["render", str(scene), "--engine", "path", "--samples", "4", "-o", str(out)]
    result = CliRunner().invoke(cli, [*args, "--width", "96", "--height", "72", "-q"])
    assert result.exit_code == 0, result.output
    img = np.asarray(Image.open(out), int)
    assert img.shape == (72, 96, 3)
    centre = img[30:50, 38:58]
    assert (centre[..., 0] - centre[..., 2]).mean() > 40  # the red brick in focus, centred


def test_a_focus_behind_a_later_camera_stops_before_the_first_image(tmp_path, monkeypatch):
    """--all-cameras with a camera whose focus is behind it: refused before any camera is
    traced (it was found only after tracing the cameras before it), and no image written."""
    scene = write(
        tmp_path,
        "dof.yaml",
        "place:\n"
        "  near: {part: 3001, color: Red}\n"
        "  far: {part: 3001, color: Blue, at: [0, 0, -20]}\n"
        "cameras:\n"
        "  good: {position: [0, 3, 8], look_at: near}\n"
        "  bad: {lat: 20, lon: 0, target: near, focus: [0, 0, 200], aperture: 2}\n",
    )
    traced = []
    monkeypatch.setattr(PathRenderer, "render_array", lambda self, view: traced.append(view))
    args = [
        "render",
        str(scene),
        "--engine",
        "path",
        "--all-cameras",
        "-o",
        str(tmp_path / "x.png"),
    ]
    result = CliRunner().invoke(cli, [*args, "--samples", "2", "--width", "64", "--height", "48"])
    assert result.exit_code == 1
    assert "camera 'bad': its focus point is behind it" in result.output, result.output
    assert traced == [] and not list(tmp_path.glob("*.png"))


def test_ctrl_c_while_path_tracing_is_one_line_and_no_image(tmp_path):
    """Mitsuba turns a Ctrl-C inside its render into a RuntimeError: it still ends as
    `interrupted`, exit 130, no traceback and no image."""
    import signal
    import time

    path = model_file(tmp_path, [brick(4)])
    out = tmp_path / "long.png"
    command = [sys.executable, "-m", "ldscene", "render", str(path), "--engine", "path"]
    command += ["--samples", "65536", "--width", "64", "--height", "48", "-o", str(out)]
    run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(10)  # past loading and Mitsuba's start: inside its render loop
        assert run.poll() is None, run.communicate()
        run.send_signal(signal.SIGINT)
        _, stderr = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 130, stderr
    assert "Traceback" not in stderr and stderr.strip().splitlines()[-1] == "interrupted"
    assert not out.exists() and not list(tmp_path.glob(".*"))


def test_a_ctrl_c_that_mitsuba_caught_ends_the_render():
    """Mitsuba catches SIGINT inside its render, logs it and returns as usual: the renderer's
    check after each pass turns that log line into the KeyboardInterrupt it was."""
    from ldscene.render.path.interrupt import MITSUBA_INTERRUPT, raise_if_interrupted
    from ldscene.render.path.setup import start

    start()
    import mitsuba as mi

    raise_if_interrupted(mi)  # nothing caught yet: no error
    mi.Log(mi.LogLevel.Warn, f"{MITSUBA_INTERRUPT}, winding down..")
    with pytest.raises(KeyboardInterrupt):
        raise_if_interrupted(mi)
    raise_if_interrupted(mi)  # reported once


def test_no_gpu_is_one_plain_line(tmp_path):
    """--device cuda without a GPU: what is missing, not Dr.Jit's internals."""
    from ldscene.render.path.setup import _has_cuda_driver

    if _has_cuda_driver():
        pytest.skip("this machine has a CUDA driver: --device cuda may work here")
    out = tmp_path / "x.png"
    result = CliRunner().invoke(
        cli, ["render", "3001", "--engine", "path", "--device", "cuda", "-o", str(out)]
    )
    assert result.exit_code == 1
    assert "cannot use the GPU: no CUDA GPU or driver found" in result.output
    assert "jit_" not in result.output and not out.exists()


def test_an_orthographic_view_says_it_drops_depth_of_field(tmp_path):
    """--ortho on a camera with an aperture rendered it sharp without a word."""
    path = model_file(tmp_path, [brick(4)])
    view = View(name="d", focus=(0.0, 0.0, 0.0), aperture=2.0)
    for ortho, expected in ((True, 1), (False, 0)):
        opts = RenderOptions(**{**SMALL, "ortho": ortho})
        with PathRenderer(load_model(path), opts, PathSettings(samples=1)) as renderer:
            renderer.render_array(view)
            notes = [w for w in renderer.warnings if "has no depth of field" in w]
        assert len(notes) == expected, renderer.warnings


def test_a_tiny_image_is_not_darkened_by_the_denoiser(tmp_path):
    """Open Image Denoise turned a 1x1 trans-red render nearly black (12, 17, 13); an image
    with a side under DENOISE_MIN_SIDE is left as traced."""
    path = model_file(tmp_path, [brick(36)])
    images = []
    for denoise in (True, False):
        opts = RenderOptions(width=1, height=1, ground=True)
        settings = PathSettings(samples=4, denoise=denoise)
        with PathRenderer(load_model(path), opts, settings) as renderer:
            images.append(renderer.render_array(View()))
    assert np.array_equal(*images)
    assert images[0][..., :3].mean() > 100, images[0]
