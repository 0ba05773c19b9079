"""`ldscene turntable`: frames around a model, rendered by worker processes, as GIF/WebP/MP4."""

from __future__ import annotations

import importlib.util
import math

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import write
from PIL import Image, ImageSequence

from ldscene.cli import cli
from ldscene.ldraw import load_model
from ldscene.render.camera import LDRAW_TO_GL, orbit_views
from ldscene.render.options import DEFAULT_BACKGROUND, RenderOptions
from ldscene.render.turntable import render_frames, write_animation

TINY = ("--width", "96", "--height", "72", "--aa", "1", "-q")


@pytest.fixture()
def bricks(tmp_path):
    return write(
        tmp_path,
        "bricks.ldr",
        """0 two bricks
1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat
1 1 10 -24 0 1 0 0 0 1 0 0 0 1 3003.dat
""",
    )


def frames_of(path) -> list[np.ndarray]:
    with Image.open(path) as im:
        return [np.asarray(f.convert("RGB")).astype(int) for f in ImageSequence.Iterator(im)]


def test_gif_has_one_frame_per_step_and_they_differ(bricks, tmp_path):
    out = tmp_path / "out" / "spin.gif"
    result = CliRunner().invoke(
        cli, ["turntable", str(bricks), "-o", str(out), "--frames", "6", "--fps", "10", *TINY]
    )
    assert result.exit_code == 0, result.output
    frames = frames_of(out)
    assert len(frames) == 6
    assert frames[0].shape == (72, 96, 3)
    for a, b in zip(frames, frames[1:] + frames[:1]):
        assert np.abs(a - b).mean() > 1.0  # the model turned between frames
    with Image.open(out) as im:
        assert im.info["loop"] == 0 and im.info["duration"] == 100
    # the background keeps exactly the default colour (GIF palettes must not shift it)
    assert (frames[0][0, 0] == np.round(np.asarray(DEFAULT_BACKGROUND) * 255)).all()
    assert sorted(p.name for p in out.parent.iterdir()) == ["spin.gif"]  # no temp files


def test_webp_animation(bricks, tmp_path):
    out = tmp_path / "spin.webp"
    result = CliRunner().invoke(
        cli, ["turntable", str(bricks), "-o", str(out), "--frames", "4", *TINY]
    )
    assert result.exit_code == 0, result.output
    with Image.open(out) as im:
        assert im.format == "WEBP" and im.n_frames == 4


def test_parallel_workers_render_the_same_frames(bricks):
    model = load_model(bricks)
    options = RenderOptions(width=80, height=60, aa=1)
    serial = render_frames(model, 4, options, jobs=1)
    parallel = render_frames(model, 4, options, jobs=2)
    assert len(serial) == len(parallel) == 4
    for a, b in zip(serial, parallel):
        diff = np.abs(np.asarray(a).astype(int) - np.asarray(b).astype(int)).max(axis=-1)
        # llvmpipe's threads may round a handful of pixels differently
        assert (diff > 0).mean() < 0.02


def test_orbit_keeps_one_distance_and_the_model_in_frame():
    rng = np.random.default_rng(1)
    points = rng.uniform([-100, -20, -40], [100, 20, 40], (200, 3))
    options = RenderOptions(width=160, height=120, fov=30)
    views = orbit_views(points, 12, options, latitude=20)
    assert len(views) == 12
    target = np.array(views[0].target)
    distances = [np.linalg.norm(np.array(v.eye) - target) for v in views]
    assert np.ptp(distances) < 1e-6
    assert [round(v.longitude) % 360 for v in views[:3]] == [45, 75, 105]
    flip = LDRAW_TO_GL[:3, :3]
    tan_v = math.tan(math.radians(30) / 2)
    for view in views:  # every point projects inside the image
        eye, look = flip @ np.array(view.eye), flip @ np.array(view.target)
        back = (eye - look) / np.linalg.norm(eye - look)
        right = np.cross([0, 1, 0], back)
        right /= np.linalg.norm(right)
        up = np.cross(back, right)
        rel = points - eye
        depth = -(rel @ back)
        assert (depth > 0).all()
        assert (np.abs(rel @ up) / depth <= tan_v + 1e-9).all()
        assert (np.abs(rel @ right) / depth <= tan_v * 160 / 120 + 1e-9).all()


def test_bad_outputs_are_one_line_errors(bricks, tmp_path):
    runner = CliRunner()
    for args, words in (
        (["-o", str(tmp_path / "spin.avi")], "unsupported animation format"),
        (["-o", str(tmp_path / "spin.gif"), "--frames", "0"], "--frames"),
        (["-o", str(tmp_path / "spin.gif"), "--jobs", "0"], "--jobs"),
    ):
        result = runner.invoke(cli, ["turntable", str(bricks), *args, *TINY])
        assert result.exit_code == 1, result.output
        assert words in result.output and "Traceback" not in result.output
    assert not list(tmp_path.glob("spin*"))


def test_mp4_needs_imageio_ffmpeg_or_writes_one(bricks, tmp_path):
    out = tmp_path / "spin.mp4"
    result = CliRunner().invoke(
        cli, ["turntable", str(bricks), "-o", str(out), "--frames", "3", *TINY]
    )
    if importlib.util.find_spec("imageio_ffmpeg") is None:
        assert result.exit_code == 1
        assert "imageio-ffmpeg" in result.output and "pip install" in result.output
        assert not out.exists()
    else:
        assert result.exit_code == 0, result.output
        assert out.read_bytes()[4:8] == b"ftyp"


def test_write_animation_atomic_and_checked(tmp_path):
    images = [Image.new("RGB", (8, 8), (i * 40, 0, 0)) for i in range(3)]
    path = write_animation(images, tmp_path / "a.gif", fps=5)
    assert len(frames_of(path)) == 3
    with pytest.raises(Exception, match="--fps 0 is outside"):
        write_animation(images, tmp_path / "b.gif", fps=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.gif"]


def test_an_odd_sized_mp4_frame_is_padded_with_its_own_edge():
    """yuv420p needs even sizes: the padding row and column were black."""
    from ldscene.render.turntable import even_sized

    frame = np.full((121, 161, 3), (200, 30, 30), np.uint8)
    padded = even_sized(frame)
    assert padded.shape == (122, 162, 3)
    assert (padded == (200, 30, 30)).all()
    assert even_sized(frame[:120, :160]).shape == (120, 160, 3)


def test_an_animation_s_real_frame_time_is_what_is_reported(bricks, tmp_path):
    """--fps 100 in a GIF plays at 50 fps (it keeps hundredths, at least 2), and 12 fps
    is 80 ms a frame: the length said was the one asked for."""
    from ldscene.render.turntable import frame_seconds

    assert frame_seconds(".gif", 100) == pytest.approx(0.02)
    assert frame_seconds(".gif", 12) == pytest.approx(0.08)
    assert frame_seconds(".webp", 12) == pytest.approx(0.083)
    assert frame_seconds(".mp4", 100) == pytest.approx(0.01)
    images = [Image.new("RGB", (8, 8), (i * 40, 0, 0)) for i in range(3)]
    assert Image.open(write_animation(images, tmp_path / "a.gif", 100)).info["duration"] == 20
    out = tmp_path / "spin.gif"
    result = CliRunner().invoke(
        cli,
        ["turntable", str(bricks), "-o", str(out), "--frames", "1", "--fps", "100", *TINY[:-1]],
    )
    assert result.exit_code == 0, result.output
    assert "note: .gif frames last 20 ms: 50 fps, not 100" in result.output
    assert "(1 frame, " in result.output and "0.02 s long" in result.output


@pytest.mark.slow  # whole child processes (worker pools): the full suite runs it
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_no_cache_turntables_and_posts_write_no_cache(tmp_path, jobs):
    """turntable --no-cache wrote a render-meshes pack (its help: 'do not read or write the
    on-disk geometry cache'), in this process or for its workers; post too."""
    from conftest import run_process

    model = write(tmp_path, "b.ldr", "0 b\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n")
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    small = ("--frames", "2", "--width", "64", "-j", jobs, "--no-cache")
    done = run_process("turntable", str(model), "-o", str(tmp_path / "s.gif"), *small, env=env)
    assert done.returncode == 0, done.stderr
    post = ("post", str(model), "-o", str(tmp_path / "kit"), "--engine", "raster", "--width",
            "64", "--height", "48", *small)  # fmt: skip
    done = run_process(*post, env=env)
    assert done.returncode == 0, done.stderr
    assert not list((tmp_path / "cache").rglob("*.pack"))
