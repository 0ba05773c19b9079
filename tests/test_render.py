"""Offscreen renderer: pixels of small real-library fixtures, CLI errors, every OMR model.

Renders run on the CPU (Mesa llvmpipe through EGL) at small sizes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import OMR, omr_models, run_cli, write
from PIL import Image

from ldscene.cli import cli
from ldscene.errors import LdsceneError
from ldscene.ldraw import load_model
from ldscene.ldraw.normals import smooth_normals
from ldscene.render import ModelRenderer, RenderOptions, View, render_model, render_turntable
from ldscene.render.camera import frame_points, view_axes
from ldscene.render.images import save_image
from ldscene.render.meshes import extreme_points
from ldscene.render.options import DEFAULT_BACKGROUND
from ldscene.render.raster.offscreen import downsample

LDCONFIG_RED = np.array([0xB4, 0x00, 0x00])  # LDConfig.ldr: Red VALUE #B40000

SMALL = dict(width=200, height=150, aa=2)


def brick_file(folder: Path, colour: int = 4, name: str = "brick.ldr") -> Path:
    return write(folder, name, f"0 brick\n1 {colour} 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n")


def render_one(path: Path, view: str = "front", **options) -> np.ndarray:
    model = load_model(path)
    opts = RenderOptions(**{**SMALL, **options})
    (image,) = render_model(model, [View.named(view)], opts)
    return np.asarray(image)


def foreground(img: np.ndarray, background=DEFAULT_BACKGROUND, tolerance: int = 12) -> np.ndarray:
    if img.shape[-1] == 4:
        return img[..., 3] > 0
    rgb = np.round(np.asarray(background) * 255)
    return (np.abs(img[..., :3].astype(int) - rgb) > tolerance).any(axis=-1)


# ---------------------------------------------------------------------------- no GL at import
def test_import_does_not_load_gl():
    code = (
        "import sys, ldscene, ldscene.cli, ldscene.render, ldscene.render.command\n"
        "bad = [m for m in ('pyrender', 'OpenGL', 'pyglet') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.slow
def test_render_defers_trimesh_and_networkx_and_they_still_work_when_asked_for(tmp_path):
    # pyrender imports trimesh (and with it scipy: 0.3 s) for nothing a render uses, and
    # networkx (0.13 s) for its transform tree, which render/transform_tree.py provides.
    # A single `ldscene render` does not import the render farm either (0.05 s).
    path = brick_file(tmp_path)
    code = (
        "import sys\n"
        "from ldscene.ldraw import load_model\n"
        "from ldscene.render import RenderOptions, View, render_model\n"
        "from ldscene.render.raster.lazy_trimesh import trimesh_deferred\n"
        f"model = load_model({str(path)!r})\n"
        "(image,) = render_model(model, [View.named('iso')], RenderOptions(width=64, height=48))\n"
        "assert image.getbbox() is not None\n"
        "assert trimesh_deferred(), 'a render imported the trimesh package'\n"
        "from pathlib import Path\n"
        "from ldscene.render.command import RenderRequest, run_render\n"
        f"req = RenderRequest(Path({str(path)!r}), Path({str(tmp_path / 'cli.png')!r}), "
        "width=64, height=48, quiet=True)\n"
        "run_render(req)\n"  # the command's path, with its GL warm-up thread
        "assert trimesh_deferred(), 'the render command imported the trimesh package'\n"
        "assert 'networkx' not in sys.modules, 'a render imported networkx'\n"
        "from click.testing import CliRunner\n"
        "from ldscene.cli import cli\n"
        f"args = ['render', {str(path)!r}, '-o', {str(tmp_path / 'one.png')!r}, '-q', "
        "'--width', '64', '--height', '48']\n"
        "result = CliRunner().invoke(cli, args)\n"
        "assert result.exit_code == 0, result.output\n"
        "farm = [m for m in ('ldscene.farm.executor', 'ldscene.farm.batch') if m in sys.modules]\n"
        "assert not farm, f'a single render imported {farm}'\n"
        "import networkx\n"
        "assert networkx.shortest_path(networkx.path_graph(3), 0, 2) == [0, 1, 2]\n"
        "import pyrender, trimesh\n"
        "box = trimesh.creation.box()\n"  # first real use: the real package loads
        "assert not trimesh_deferred() and abs(box.volume - 1.0) < 1e-9\n"
        "assert isinstance(box, trimesh.Trimesh)\n"
        "assert pyrender.Mesh.from_trimesh(box).primitives\n"  # pyrender's own reference
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_transform_tree_gives_pyrender_nested_poses():
    from ldscene.render.raster.gl import import_pyrender

    pyrender = import_pyrender()
    scene = pyrender.Scene()
    outer = pyrender.Node(matrix=np.diag([2.0, 2.0, 2.0, 1.0]))
    inner = pyrender.Node(translation=[1.0, 0.0, 0.0])
    scene.add_node(outer)
    scene.add_node(inner, parent_node=outer)
    assert np.allclose(scene.get_pose(inner)[:3, 3], [2.0, 0.0, 0.0])  # scaled by its parent
    scene.set_pose(outer, np.eye(4))
    assert np.allclose(scene.get_pose(inner)[:3, 3], [1.0, 0.0, 0.0])
    scene.remove_node(outer)  # and its child with it
    assert not scene.nodes


# ---------------------------------------------------------------------------- pixels
def test_red_brick_front_is_lego_red_and_framed(tmp_path):
    img = render_one(brick_file(tmp_path), "front")
    h, w, _ = img.shape
    centre = img[int(h * 0.6), w // 2, :3].astype(int)  # the brick's front face
    assert np.abs(centre - LDCONFIG_RED).max() < 40, centre
    assert centre[0] > 3 * max(centre[1], centre[2], 1)
    mask = foreground(img)
    cols = np.flatnonzero(mask.any(axis=0))
    rows = np.flatnonzero(mask.any(axis=1))
    span = (cols[-1] - cols[0] + 1) / w
    assert span > 0.8, span  # fills most of the width ...
    assert cols[0] > 0 and cols[-1] < w - 1  # ... and stays inside the frame
    assert rows[0] > 0 and rows[-1] < h - 1


def test_transparent_part_shows_the_part_behind(tmp_path):
    # A red brick behind (LDraw +Z is away from a front camera) a clear or an opaque white one.
    text = (
        "0 glass\n1 {front} 0 0 -20 1 0 0 0 1 0 0 0 1 3001.dat\n"
        "1 4 0 0 60 1 0 0 0 1 0 0 0 1 3001.dat\n"
    )
    clear = write(tmp_path, "clear.ldr", text.format(front=47))  # Trans_Clear
    white = write(tmp_path, "white.ldr", text.format(front=15))
    a = render_one(clear, "front").astype(int)
    b = render_one(white, "front").astype(int)
    h, w, _ = a.shape
    pa, pb = a[int(h * 0.6), w // 2, :3], b[int(h * 0.6), w // 2, :3]
    assert pa[0] - pa[1] > 50, pa  # red shows through the clear brick
    assert abs(pb[0] - pb[1]) < 25, pb  # the white brick hides it


def test_transparent_background_has_alpha(tmp_path):
    img = render_one(brick_file(tmp_path), "iso", transparent=True)
    assert img.shape[-1] == 4
    for y, x in ((0, 0), (0, -1), (-1, 0), (-1, -1)):
        assert img[y, x, 3] == 0
    assert img[img.shape[0] // 2, img.shape[1] // 2, 3] == 255


def test_background_colour_is_exact(tmp_path):
    from PIL import Image

    args = ["-o", str(tmp_path / "bg.png"), "--width", "96", "--height", "72", "-q"]
    result = CliRunner().invoke(
        cli, ["render", str(brick_file(tmp_path)), *args, "--background", "#353c43"]
    )
    assert result.exit_code == 0, result.output
    corner = np.asarray(Image.open(tmp_path / "bg.png").convert("RGB"))[0, 0].astype(int)
    assert np.abs(corner - [0x35, 0x3C, 0x43]).max() <= 2, corner


def test_edges_darken_the_outline(tmp_path):
    path = brick_file(tmp_path, colour=15)  # white brick on white
    with_edges = render_one(path, "iso", edges=True).astype(int).sum(axis=-1)
    without = render_one(path, "iso", edges=False).astype(int).sum(axis=-1)
    assert (with_edges < 300).sum() > (without < 300).sum() + 100
    assert with_edges.mean() < without.mean()


def test_iso_and_front_differ(tmp_path):
    path = brick_file(tmp_path)
    iso, front = render_one(path, "iso"), render_one(path, "front")
    assert np.abs(iso.astype(int) - front.astype(int)).mean() > 10


def test_several_views_share_one_model(tmp_path, monkeypatch):
    from ldscene.render.raster import offscreen

    described = []
    real_describe = offscreen.describe
    monkeypatch.setattr(
        offscreen, "describe", lambda *a, **k: described.append(1) or real_describe(*a, **k)
    )
    model = load_model(brick_file(tmp_path))
    with ModelRenderer(model, RenderOptions(**SMALL)) as renderer:
        top = np.asarray(renderer.render(View.named("top")))
        left = np.asarray(renderer.render(View.named("left")))
        angled = np.asarray(renderer.render(View.angles(20, 200)))
    assert len(described) == 1  # the meshes are built once, for all three views
    assert {"render:top", "render:left"} <= renderer.timings.keys()
    assert top.shape == left.shape == angled.shape == (150, 200, 3)
    assert np.abs(top.astype(int) - left.astype(int)).mean() > 5


def test_turntable_frames_turn(tmp_path):
    model = load_model(brick_file(tmp_path))
    frames = render_turntable(model, 4, RenderOptions(width=96, height=72, aa=1))
    arrays = [np.asarray(f).astype(int) for f in frames]
    assert len(arrays) == 4
    assert np.abs(arrays[0] - arrays[1]).mean() > 3


def test_ground_shadow_catcher_darkens_the_floor(tmp_path):
    path = brick_file(tmp_path, colour=15)
    plain = render_one(path, "iso", transparent=True, edges=False)
    ground = render_one(path, "iso", transparent=True, edges=False, ground=True)
    # The shadow adds semi-transparent pixels outside the brick.
    assert (ground[..., 3] > 0).sum() > (plain[..., 3] > 0).sum()


def test_interleaved_shadow_taps_match_four_taps(tmp_path):
    # With aa 2 each pixel of a 2x2 block takes one of the four shadow taps; after the
    # downsample that must look like all four taps everywhere.
    model = load_model(brick_file(tmp_path, colour=15))
    opts = RenderOptions(**{**SMALL, "ground": True})
    with ModelRenderer(model, opts) as renderer:
        interleaved = np.asarray(renderer.render(View.named("iso"))).astype(int)
        assert renderer._renderer.shadow_interleave
        renderer._renderer.shadow_interleave = False
        four = np.asarray(renderer.render(View.named("iso"))).astype(int)
    diff = np.abs(interleaved - four)
    assert diff.mean() < 0.5 and np.percentile(diff, 99.5) <= 12, (diff.mean(), diff.max())
    assert (four.sum(axis=-1) < 600).sum() > 500  # there is a shadow to compare


def test_warm_context_gives_the_same_image(tmp_path):
    from ldscene.render.raster.warmup import GlWarmup

    model = load_model(brick_file(tmp_path))
    opts = RenderOptions(**SMALL)
    (cold,) = render_model(model, [View.named("iso")], opts)
    for warm_opts in (RenderOptions(**SMALL), RenderOptions(width=120, height=90, aa=2)):
        warm = GlWarmup(warm_opts)  # the second does not fit: the renderer makes its own
        with ModelRenderer(model, RenderOptions(**SMALL), warm=warm) as renderer:
            image = renderer.render(View.named("iso"))
        assert np.array_equal(np.asarray(image), np.asarray(cold))
    GlWarmup(opts).close()  # never taken: freed without a render


def test_the_warm_up_compiles_every_program_a_render_uses(tmp_path):
    """A cold render waits for llvmpipe's shader compiles: the warm-up thread makes them all
    (glass and the floor included), each kind of surface its own smaller program."""
    from ldscene.render.raster.warmup import GlWarmup

    # An opaque brick, a glass one beside it, a floor under both.
    model = load_model(
        write(
            tmp_path,
            "two.ldr",
            "1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n1 36 60 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n",
        )
    )
    opts = RenderOptions(**SMALL, ground=True)
    warm = GlWarmup(opts)
    with ModelRenderer(model, opts, warm=warm) as renderer:
        renderer._start()
        cache = renderer._renderer._program_cache
        before = dict(cache._program_cache)
        renderer.render(View.named("iso"))
        assert dict(cache._program_cache) == before  # nothing new to compile
    kinds = {frozenset(dict(key[1:]).keys() & {"GLASS", "CATCHER"}) for key in before}
    assert kinds >= {frozenset(), frozenset({"GLASS"}), frozenset({"CATCHER"})}


def test_nothing_visible_is_an_error(tmp_path):
    path = write(tmp_path, "empty.ldr", "0 nothing here\n0 // really\n")
    with pytest.raises(LdsceneError, match="nothing to render"):
        render_model(load_model(path), [View.named("iso")], RenderOptions(**SMALL))


# ---------------------------------------------------------------------------- CLI
def test_cli_renders_several_views(tmp_path):
    path = brick_file(tmp_path)
    out = tmp_path / "out" / "b.webp"
    result = CliRunner().invoke(
        cli,
        [
            "render",
            str(path),
            "-o",
            str(out),
            "--view",
            "iso",
            "--view",
            "top",
            "--width",
            "64",
            "--height",
            "48",
            "-q",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "b-iso.webp").is_file()
    assert (tmp_path / "out" / "b-top.webp").is_file()
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]


def test_lat_and_lon_turn_the_named_views(tmp_path):
    """--view front --lat 20 is one image: the front view raised (not front plus an extra
    view); two views turned alike keep their own names."""
    path = brick_file(tmp_path)
    size = ["--width", "64", "--height", "48", "-q"]

    def render(*args: str) -> list[str]:
        out = tmp_path / "-".join(args)
        out.mkdir()
        result = CliRunner().invoke(
            cli, ["render", str(path), "-o", str(out / "b.png"), *args, *size]
        )
        assert result.exit_code == 0, result.output
        return sorted(p.name for p in out.iterdir())

    assert render("--view", "front", "--lat", "20") == ["b.png"]
    raised = np.asarray(Image.open(tmp_path / "--view-front---lat-20" / "b.png"))
    assert render("--lat", "20", "--lon", "0") == ["b.png"]
    same = np.asarray(Image.open(tmp_path / "--lat-20---lon-0" / "b.png"))
    assert np.array_equal(raised, same)
    assert render("--view", "front") == ["b.png"]
    level = np.asarray(Image.open(tmp_path / "--view-front" / "b.png"))
    assert not np.array_equal(raised, level)
    assert render("--view", "front", "--view", "left", "--lat", "-15") == [
        "b-front_lat-15.png",
        "b-left_lat-15.png",
    ]
    turned = [View.named(v).turned(None, 10.0) for v in ("front", "iso")]
    assert [(v.latitude, v.longitude) for v in turned] == [(0.0, 10.0), (30.0, 10.0)]


def test_one_side_of_the_image_keeps_its_shape(tmp_path):
    """--width 160 alone wrote 160 x 1200 (and 160 x 480 for a turntable): one side keeps
    the shape of the scene's render size, else of 4:3."""
    from ldscene.render.command import image_size
    from ldscene.render.turntable import frame_size

    assert image_size(160, None) == (160, 120) and image_size(None, 90) == (120, 90)
    assert image_size(None, None) == (1600, 1200) and image_size(10, 20) == (10, 20)
    assert image_size(160, None, (320, 180)) == (160, 90)
    assert frame_size(None, None) == (640, 480) and frame_size(320, None) == (320, 240)
    out = tmp_path / "w.png"
    result = run_cli("render", str(brick_file(tmp_path)), "-o", str(out), "--width", "160", "-q")
    assert result.returncode == 0, result.stderr
    assert Image.open(out).size == (160, 120)


def test_cli_notes_options_the_engine_does_not_read(tmp_path):
    path = brick_file(tmp_path)
    small = ["--width", "64", "--height", "48", "-q"]
    runner = CliRunner()
    result = runner.invoke(
        cli, ["render", str(path), "-o", str(tmp_path / "b.jpg"), *small, "--samples", "4",
              "--no-denoise", "--transparent"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "note: --samples, --denoise/--no-denoise are for --engine path only; ignored" in (
        result.output
    )
    assert "note: a JPEG has no transparency; --transparent is ignored" in result.output
    # With --transparent, --background is the page the image is made for: not ignored.
    made_for = []
    for background in ("#102030", "#e6e8eb"):
        out = tmp_path / f"t{background[1:]}.png"
        result = runner.invoke(
            cli, ["render", str(path), "-o", str(out), *small, "--transparent",
                  "--background", background],
        )  # fmt: skip
        assert result.exit_code == 0 and "note:" not in result.output, result.output
        made_for.append(out.read_bytes())
    assert made_for[0] != made_for[1]
    # Defaults and the options the raster engine reads say nothing.
    result = runner.invoke(
        cli, ["render", str(path), "-o", str(tmp_path / "b.png"), *small, "--aa", "1",
              "--transparent"],
    )  # fmt: skip
    assert result.exit_code == 0 and "note:" not in result.output, result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--view", "sideways"], "unknown view"),
        (["--width", "0"], "impossible image width"),
        (["--height", "-5"], "impossible image height"),
        (["--width", "16385"], "impossible image width"),
        (["-o", "{tmp}/afile.txt/x.png"], "cannot write"),
        (["-o", "{tmp}/x.gif"], "unsupported image format"),
        (["--lat", "100"], "latitude"),
    ],
)
def test_cli_bad_input_is_one_line(tmp_path, args, message):
    path = brick_file(tmp_path)
    (tmp_path / "afile.txt").write_text("x")
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    out = tmp_path / "never.png"
    if "-o" not in args:
        args += ["-o", str(out)]
    result = CliRunner().invoke(cli, ["render", str(path), *args])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not out.exists()


def test_cli_empty_model_leaves_no_file(tmp_path):
    path = write(tmp_path, "empty.ldr", "0 nothing\n")
    out = tmp_path / "empty.png"
    result = CliRunner().invoke(cli, ["render", str(path), "-o", str(out), "-q"])
    assert result.exit_code == 1
    assert "nothing to render" in result.output
    assert not list(tmp_path.glob("*.png")) and not list(tmp_path.glob(".*"))


def test_cli_scene_of_empty_groups_names_the_scene(tmp_path):
    """A scene that places only an empty group: the error names the scene file, not the
    made-up name of the model it composes."""
    scene = write(tmp_path, "hall.yaml", "models:\n  g:\n    group: {}\nplace:\n  a: {model: g}\n")
    result = CliRunner().invoke(cli, ["render", str(scene), "-o", str(tmp_path / "h.png")])
    assert result.exit_code == 1
    assert f"{scene}: nothing to render" in result.output, result.output
    assert "hall.ldr" not in result.output


# ---------------------------------------------------------------------------- units
def test_a_failed_image_write_names_the_image_and_leaves_nothing(tmp_path, monkeypatch):
    """A full disk while the PNG is written: the error names the -o path (it named the
    hidden temporary file), and no file is left."""
    import errno

    from ldscene.render import images

    def full_disk(*args, **kwargs):
        def write(handle):
            handle.write(b"\x89PNG")
            raise OSError(errno.ENOSPC, "No space left on device")

        return write

    monkeypatch.setattr(images, "image_writer", full_disk)
    model = write(tmp_path, "m.ldr", "1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n")
    out = tmp_path / "out" / "shot.png"
    args = ["render", str(model), "-o", str(out), "--width", "32", "--height", "24"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert f"{out}: cannot write the image: No space left on device" in result.output
    assert "ldscene-tmp" not in result.output
    assert not list((tmp_path / "out").iterdir())


def test_transparent_output_keeps_a_dark_ground_shadow(tmp_path):
    """With --transparent the floor's shadow is dark coverage in alpha, whatever the
    background colour: laid over a dark forum theme it must not glow white."""
    from PIL import Image

    model = write(tmp_path, "b.ldr", "1 4 0 0 0 1 0 0 0 1 0 0 0 1 3003.dat\n")
    for background in ("#ffffff", "#000000"):
        out = tmp_path / f"t{background[1]}.png"
        args = ["render", str(model), "-o", str(out), "--transparent", "--background", background]
        result = CliRunner().invoke(cli, [*args, "--width", "200", "--height", "150"])
        assert result.exit_code == 0, result.output
        pixels = np.asarray(Image.open(out)).astype(int)
        shadow = (pixels[..., 3] > 10) & (pixels[..., 3] < 200)  # the floor's soft shadow
        assert shadow.sum() > 500
        assert pixels[shadow][:, :3].mean() < 40, pixels[shadow][:, :3].mean(axis=0)
        assert not pixels[pixels[..., 3] == 0][:, :3].any()  # clear is clear black


def test_a_one_pixel_render_of_the_model_is_not_taken_for_an_empty_view(tmp_path):
    model = write(tmp_path, "b.ldr", "1 4 0 0 0 1 0 0 0 1 0 0 0 1 3003.dat\n")
    args = ["render", str(model), "-o", str(tmp_path / "p.png"), "--width", "1", "--height", "1"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0 and "shows nothing" not in result.output


def test_save_image_formats_and_atomicity(tmp_path):
    from PIL import Image

    img = Image.new("RGBA", (8, 6), (255, 0, 0, 128))
    for suffix in (".png", ".jpg", ".webp"):
        path = save_image(img, tmp_path / f"a{suffix}")
        assert Image.open(path).size == (8, 6)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jpg", "a.png", "a.webp"]
    with pytest.raises(LdsceneError):
        save_image(img, tmp_path / "a.bmp")


def test_downsample_averages_every_channel():
    block = np.zeros((2, 2, 4), np.uint8)
    block[0, 0] = (200, 0, 0, 255)  # one covered red sample, three black uncovered
    block[1, 1] = (3, 0, 0, 0)
    out = downsample(block, 2)
    assert tuple(out[0, 0]) == (51, 0, 0, 64)


@pytest.mark.parametrize("ortho", [False, True])
@pytest.mark.parametrize("lat, lon", [(30, 45), (0, 0), (90, 0), (-40, 200), (10, -120)])
def test_framing_fits_every_point(lat, lon, ortho):
    rng = np.random.default_rng(7)
    points = rng.normal(size=(500, 3)) * [300, 50, 120] + [40, -10, 900]
    aspect, margin = 4 / 3, 0.05
    frame = frame_points(points, View("v", lat, lon), aspect, 30.0, ortho, margin)
    cam = frame.make_camera(aspect)
    proj = cam.get_projection_matrix(400, 300) @ np.linalg.inv(frame.pose)
    clip = np.c_[points, np.ones(len(points))] @ proj.T
    ndc = clip[:, :3] / clip[:, 3:4]
    assert np.abs(ndc[:, :2]).max() <= 1 - 2 * margin + 1e-6
    assert np.abs(ndc[:, :2]).max() > 1 - 2 * margin - 0.02  # tight on the binding axis
    assert (ndc[:, 2] > -1).all() and (ndc[:, 2] < 1).all()  # inside the clip range


def test_extreme_points_stand_in_for_the_hull():
    rng = np.random.default_rng(3)
    sphere = rng.normal(size=(4000, 3))
    sphere /= np.linalg.norm(sphere, axis=1, keepdims=True)
    points = (sphere * [40.0, 12.0, 20.0] + [5.0, -7.0, 30.0]).astype(np.float32)  # ellipsoid
    chosen = extreme_points(points)
    assert len(chosen) < 100
    assert (chosen[:, None] == points[None]).all(axis=2).any(axis=1).all()  # real points
    # Bounding box exact, also after a quarter turn (the usual LDraw placement).
    quarter = np.array([[0.0, 0, 1], [0, 1, 0], [-1, 0, 0]])
    for rot in (np.eye(3), quarter):
        turned, turned_chosen = points @ rot.T, chosen @ rot.T
        assert np.allclose(turned_chosen.min(axis=0), turned.min(axis=0))
        assert np.allclose(turned_chosen.max(axis=0), turned.max(axis=0))
    # In any direction the extent falls short by at most 4.7 % of the radius (40).
    directions = rng.normal(size=(500, 3))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    shortfall = (points @ directions.T).max(axis=0) - (chosen @ directions.T).max(axis=0)
    assert shortfall.min() >= 0 and shortfall.max() <= 0.047 * 40


def test_view_axes_are_upright():
    axes = view_axes(30, 45)
    assert axes[1, 1] > 0  # camera up points to GL +Y (LDraw -Y)
    assert np.allclose(axes.T @ axes, np.eye(3))
    front = view_axes(0, 0)
    assert np.allclose(front[:, 2], [0, 0, 1])  # front camera on GL +Z = LDraw -Z


@pytest.mark.parametrize("ortho", [False, True])
def test_conditional_line_shown_only_on_the_silhouette(tmp_path, ortho):
    # A vertical black line beside a brick; both control points lie in front of it (-z is the
    # front), one to its left and one to its right.  From the front they fall on opposite
    # sides of the line on screen (not a silhouette: hidden); from the right, on the same side.
    # (Conditional lines do not count for framing: a plate far behind widens the frame.)
    brick = "1 15 0 0 0 1 0 0 0 1 0 0 0 1 3005.dat\n1 15 120 0 200 1 0 0 0 1 0 0 0 1 3024.dat\n"
    line = "5 0 60 0 0 60 -60 0 80 0 -20 40 0 -20\n"
    plain = write(tmp_path, "plain.ldr", brick)
    with_line = write(tmp_path, "line.ldr", brick + line)

    def darkened(view: str) -> int:
        """Pixels that the line makes clearly darker."""
        before = render_one(plain, view, ortho=ortho, shadows=False)[..., :3].astype(int)
        after = render_one(with_line, view, ortho=ortho, shadows=False)[..., :3].astype(int)
        return int(((before - after).min(axis=-1) > 60).sum())

    assert darkened("front") == 0
    assert darkened("right") > 10


def test_smooth_normals_flat_cube_and_smooth_cylinder():
    import trimesh

    box = trimesh.creation.box()
    normals = smooth_normals(box.triangles)
    assert np.allclose(normals, np.repeat(box.face_normals[:, None], 3, axis=1), atol=1e-6)
    cyl = trimesh.creation.cylinder(radius=1, height=2, sections=16)
    normals = smooth_normals(cyl.triangles)
    side = np.abs(cyl.face_normals[:, 2]) < 0.5
    # Side corners are smoothed (radial), caps stay flat.
    radial = normals[side]
    assert np.abs(radial[..., 2]).max() < 1e-5
    assert not np.allclose(radial, np.repeat(cyl.face_normals[side][:, None], 3, axis=1))
    assert np.allclose(normals[~side][..., :2], 0, atol=1e-6)


@pytest.mark.parametrize("n, m", [(1, 0), (10, 4), (500, 400), (5000, 9000)])
def test_connected_components_match_scipy(n, m):
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components as scipy_components

    from ldscene.ldraw.normals import connected_components

    rng = np.random.default_rng(n + m)
    a, b = rng.integers(0, n, m), rng.integers(0, n, m)
    graph = coo_matrix((np.ones(m, np.int8), (a, b)), shape=(n, n))
    _, expected = scipy_components(graph, directed=False)
    np.testing.assert_array_equal(connected_components(n, a, b), expected)
    # A long chain, joined in the worst order for label propagation.
    chain = np.arange(n - 1)[::-1]
    np.testing.assert_array_equal(connected_components(n, chain, chain + 1), np.zeros(n))


def test_smooth_normals_hard_on_edge_lines():
    a = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0]], float)
    ang = np.radians(20)
    b = np.array([[1, 0, 0], [1 + np.cos(ang), 0, np.sin(ang)], [1, 1, 0]])
    tris = np.stack([a, b])
    soft = smooth_normals(tris)
    hard = smooth_normals(tris, np.array([[[1, 0, 0], [1, 1, 0]]], float))
    assert not np.allclose(soft[0, 1], [0, 0, 1])
    assert np.allclose(hard[0], [0, 0, 1])


# ---------------------------------------------------------------------------- real models
@pytest.mark.slow
@pytest.mark.parametrize("path", omr_models(), ids=lambda p: p.stem)
def test_omr_model_renders_framed(path):
    model = load_model(path)
    opts = RenderOptions(width=160, height=120, aa=1)
    (image,) = render_model(model, [View.named("iso")], opts)
    img = np.asarray(image)
    mask = foreground(img)
    assert mask.mean() > 0.05, "image is (nearly) blank"
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    assert rows[0] > 0 and cols[0] > 0 and rows[-1] < 119 and cols[-1] < 159
    assert (cols[-1] - cols[0]) > 0.6 * 160 or (rows[-1] - rows[0]) > 0.6 * 120


def test_platform_defaults_to_egl_and_respects_the_user():
    code = (
        "import os\n"
        "from ldscene.render.raster.gl import choose_platform\n"
        "print(choose_platform(), os.environ['PYOPENGL_PLATFORM'])\n"
    )
    env = {k: v for k, v in __import__("os").environ.items() if k != "PYOPENGL_PLATFORM"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.split() == ["egl", "egl"]
    env["PYOPENGL_PLATFORM"] = "osmesa"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.split() == ["osmesa", "osmesa"]


@pytest.mark.slow
def test_same_command_writes_the_same_png_bytes(tmp_path):
    # Separate processes: the scene's node set iterates in another order each time, and
    # coplanar faces drawn in another order used to change a few hundred pixels.
    model = OMR / "6080 - Kings Castle.mpd"
    outputs = []
    for name in ("a.png", "b.png"):
        out = tmp_path / name
        cmd = [sys.executable, "-m", "ldscene", "render", str(model), "-o", str(out), "-q"]
        done = subprocess.run([*cmd, "--width", "640", "--height", "480"], timeout=300)
        assert done.returncode == 0
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


def test_alpha_comes_from_ldconfig():
    from ldscene.ldraw.colours import Colour
    from ldscene.render.raster.materials import material_spec

    glow = Colour(21, "Glow_In_Dark_Opaque", (0.88, 1.0, 0.69), (0.72, 1.0, 0.3), 240 / 255)
    trans = Colour(47, "Trans_Clear", (0.99, 0.99, 0.99), (0.76, 0.76, 0.76), 128 / 255)
    assert material_spec(glow).base[3] == pytest.approx(240 / 255)
    assert material_spec(trans).base[3] == pytest.approx(128 / 255)


def test_an_aa_out_of_range_is_refused_before_any_note(tmp_path):
    """--aa 0 with the path engine said it was ignored, then failed the run for it."""
    out = tmp_path / "x.png"
    result = run_cli("render", "3001", "--engine", "path", "--aa", "0", "-o", str(out))
    assert result.returncode == 2 and "not in the range 1<=x<=8" in result.stderr
    assert "ignored" not in result.stderr and not out.exists()


@pytest.mark.slow  # a child process
@pytest.mark.parametrize("args", [["schema"], ["info", "--json", "3001"]])
def test_a_full_disk_under_stdout_is_one_line(args):
    """`ldscene schema > /dev/full` ended in an OSError traceback."""
    with open("/dev/full", "w") as full:
        run = subprocess.run(
            [sys.executable, "-m", "ldscene", *args],
            stdout=full, stderr=subprocess.PIPE, text=True, timeout=120,
        )  # fmt: skip
    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == [
        "error: cannot write the output: No space left on device"
    ]
