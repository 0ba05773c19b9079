"""`ldscene view`: a real window on a virtual X server (Xvfb), driven like a user would.

Needs Xvfb, ImageMagick's `import` and xdotool (CI installs them: see .ci/run).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from conftest import tiny_scene, write
from PIL import Image

pytestmark = pytest.mark.slow  # renders, windows or whole scenes: seconds each

WINDOW = ("--width", "320", "--height", "240")


def brick(folder: Path) -> Path:
    return write(folder, "brick.ldr", "0 brick\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n")


@pytest.fixture(scope="module")
def xdisplay():
    """A private Xvfb server; yields its DISPLAY string."""
    for tool in ("Xvfb", "import", "xdotool"):
        assert shutil.which(tool), f"{tool} is needed for the viewer tests (see .ci/run)"
    # -displayfd: Xvfb picks a free display itself and writes its number once it listens.
    # Picking one here raced with the other pytest-xdist worker: both could choose the same
    # number, the second Xvfb failed, and both workers' viewers shared one server, where one
    # test's 'q' closed the other's window (window ids repeat across clients).
    # -noreset: by default Xvfb resets when its last client leaves, and a viewer that connects
    # during that reset is refused ("Cannot connect"), which made the next test flaky.
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "640x480x24", "-nolisten", "tcp",
         "-noreset"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        pass_fds=(write_end,),
    )  # fmt: skip
    os.close(write_end)
    with os.fdopen(read_end) as numbers:
        number = numbers.readline().strip()  # empty when Xvfb failed before listening
    assert number.isdigit() and server.poll() is None, "Xvfb did not start"
    yield f":{number}"
    server.terminate()
    server.wait(10)


def env_with(display: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    env["PYOPENGL_PLATFORM"] = "egl"  # the viewer must drop it by itself
    if display is not None:
        env["DISPLAY"] = display
    return env


def ldscene(*args: str) -> list[str]:
    return [sys.executable, "-m", "ldscene", *args]


def release_keys(display: str) -> None:
    """Release q and Escape in the X server: one held down there (a quit whose release went to
    a window already gone) is repeated into every later window, which closes at once."""
    subprocess.run(["xdotool", "keyup", "q", "Escape"], env=env_with(display), capture_output=True)


def open_viewer(display: str, folder: Path, path: Path) -> subprocess.Popen:
    """`ldscene view PATH` in a small window on `display`, run from `folder`, output piped."""
    release_keys(display)
    return subprocess.Popen(
        ldscene("view", str(path), *WINDOW),
        cwd=folder,
        env=env_with(display),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def screen(display: str, folder: Path) -> np.ndarray:
    shot = folder / "screen.png"
    subprocess.run(
        ["import", "-display", display, "-window", "root", str(shot)],
        check=True,
        capture_output=True,
        timeout=20,
    )
    return np.asarray(Image.open(shot).convert("RGB")).astype(int)


def find_window(display: str, proc: subprocess.Popen, timeout: float = 40.0) -> str:
    env = env_with(display)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        found = subprocess.run(
            ["xdotool", "search", "--name", "ldscene"], env=env, capture_output=True, text=True
        )
        if found.stdout.strip():
            return found.stdout.split()[0]
        time.sleep(0.2)
    raise AssertionError("the viewer window did not appear")


def title(display: str, window: str) -> str:
    return subprocess.run(
        ["xdotool", "getwindowname", window],
        env=env_with(display),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def wait_title(display: str, window: str, text: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        name = title(display, window)
        if text in name:
            return name
        time.sleep(0.1)
    raise AssertionError(f"{text!r} never showed in the title {name!r}")


def press(display: str, window: str, *keys: str) -> None:
    for k in keys:
        subprocess.run(["xdotool", "key", "--window", window, k], env=env_with(display), check=True)
        time.sleep(0.15)


@contextmanager
def viewer(display: str, folder: Path, path: Path):
    """`open_viewer`, killed at the end if it is still running (a failed test)."""
    proc = open_viewer(display, folder, path)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def quit_viewer(display: str, window: str, proc: subprocess.Popen) -> tuple[str, str]:
    """Press q: the viewer must exit 0 with no traceback.  Its (stdout, stderr).

    The viewer closes its window on the key's press; xdotool, sending the release to a window
    that may be gone by then, fails (BadWindow) and leaves q held down in the X server, whose
    key repeat then closed every later viewer on that display.  The release goes anywhere."""
    env = env_with(display)
    subprocess.run(["xdotool", "key", "--window", window, "q"], env=env, capture_output=True)
    release_keys(display)  # the window may have gone between press and release
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    return out, err


def model_pixels(img: np.ndarray, background=(255, 255, 255)) -> np.ndarray:
    return (np.abs(img - np.array(background)) > 30).any(axis=-1)


def test_window_shows_scene_keys_work_and_q_quits(xdisplay, tmp_path):
    scene = tiny_scene(tmp_path)
    with viewer(xdisplay, tmp_path, scene) as proc:
        window = find_window(xdisplay, proc)
        name = wait_title(xdisplay, window, "1: overview")
        assert "Tiny test scene" in name and "tiny.yaml" in name
        # The model is drawn: coloured pixels in the middle of the window (top-left at 0,0).
        # Wait for a finished frame: on a busy machine a screenshot can catch one mid-draw.
        deadline = time.monotonic() + 20
        while True:
            middle = screen(xdisplay, tmp_path)[60:180, 80:240]
            drawn = model_pixels(middle).mean() > 0.2
            r, g, b = (middle[..., k] for k in range(3))
            red_and_blue = ((r > 120) & (g < 80) & (b < 80)).any() and ((b > 120) & (r < 100)).any()
            if (drawn and red_and_blue) or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        assert drawn
        assert red_and_blue

        press(xdisplay, window, "2")
        wait_title(xdisplay, window, "2: side")
        press(xdisplay, window, "e", "h")
        wait_title(xdisplay, window, "edges off, shadows off")
        press(xdisplay, window, "s")
        wait_title(xdisplay, window, "saved renders/tiny-view.png")
        shot = np.asarray(Image.open(tmp_path / "renders" / "tiny-view.png").convert("RGB"))
        assert shot.shape == (240, 320, 3)
        assert model_pixels(shot.astype(int)).mean() > 0.05
        out, _ = quit_viewer(xdisplay, window, proc)
    assert "wrote renders/tiny-view.png" in out


def test_a_screenshot_key_that_cannot_save_keeps_the_window(xdisplay, tmp_path):
    """`s` with renders/ taken by a file closed the viewer (exit 1): the session was lost."""
    scene = tiny_scene(tmp_path)
    (tmp_path / "renders").write_text("a file, not a folder")
    with viewer(xdisplay, tmp_path, scene) as proc:
        window = find_window(xdisplay, proc)
        wait_title(xdisplay, window, "1: overview")
        press(xdisplay, window, "s")
        wait_title(xdisplay, window, "screenshot failed")
        assert proc.poll() is None  # still open
        press(xdisplay, window, "2")
        wait_title(xdisplay, window, "2: side")
        out, err = quit_viewer(xdisplay, window, proc)
    assert "cannot write the image" in out + err


def test_the_window_shows_the_scene_again_when_its_file_changes(xdisplay, tmp_path):
    """A builder edits the scene while looking at it: the window loads it again and says so;
    a broken edit is reported in one line and the last good model stays; the fix loads."""
    scene = tiny_scene(tmp_path)
    text = scene.read_text()

    def colours_until(want_red: bool, want_yellow: bool) -> tuple[bool, bool]:
        deadline = time.monotonic() + 30
        while True:
            middle = screen(xdisplay, tmp_path)[40:200, 60:260]
            r, g, b = (middle[..., k] for k in range(3))
            red = bool(((r > 120) & (g < 80) & (b < 80)).sum() > 50)
            yellow = bool(((r > 150) & (g > 130) & (b < 90)).sum() > 50)
            if (red, yellow) == (want_red, want_yellow) or time.monotonic() > deadline:
                return red, yellow
            time.sleep(0.3)

    with viewer(xdisplay, tmp_path, scene) as proc:
        window = find_window(xdisplay, proc)
        wait_title(xdisplay, window, "1: overview")
        assert colours_until(True, False) == (True, False)
        scene.write_text(text.replace("color: Red", "color: Yellow"))
        wait_title(xdisplay, window, "reloaded", timeout=40)
        assert colours_until(False, True) == (False, True)
        scene.write_text(text.replace("place:", "place:\n  broken: {part: 3001"))
        wait_title(xdisplay, window, "reload failed", timeout=40)
        assert colours_until(False, True) == (False, True)  # the last good model stays
        scene.write_text(text)
        wait_title(xdisplay, window, "reloaded", timeout=40)
        assert colours_until(True, False) == (True, False)
        _, err = quit_viewer(xdisplay, window, proc)
    failed = [line for line in err.splitlines() if line.startswith("reload failed: ")]
    assert len(failed) == 1 and "tiny.yaml:" in failed[0] and "YAML" in failed[0], err


def test_sigterm_closes_cleanly(xdisplay, tmp_path):
    with viewer(xdisplay, tmp_path, brick(tmp_path)) as proc:
        window = find_window(xdisplay, proc)
        wait_title(xdisplay, window, "brick.ldr")
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Traceback" not in err


def test_camera_starts_at_any_scene_camera_or_any_named_view(xdisplay, tmp_path):
    """--camera c11 was 'unknown' (only nine cameras were kept, for the keys), and a model's
    --camera bottom too, though render --view bottom works."""
    cameras = "".join(f"  c{i}: {{lat: {5 * i}, lon: {10 * i}}}\n" for i in range(1, 12))
    scene = write(tmp_path, "ten.yaml", f"place:\n  b: {{part: 3001}}\ncameras:\n{cameras}")
    for path, camera in ((scene, "c11"), (brick(tmp_path), "bottom")):
        shot = tmp_path / f"{camera}.png"
        release_keys(xdisplay)
        done = subprocess.run(
            ldscene(
                "view",
                str(path),
                *WINDOW,
                "--camera",
                camera,
                "--screenshot",
                str(shot),
                "--exit-after",
                "0",
            ),  # fmt: skip
            env=env_with(xdisplay),
            capture_output=True,
            text=True,
            timeout=90,
        )
        assert done.returncode == 0, done.stderr
        assert shot.is_file()
    done = subprocess.run(
        ldscene("view", str(scene), *WINDOW, "--camera", "c12"),
        env=env_with(xdisplay),
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert done.returncode == 1 and "unknown camera 'c12'" in done.stderr and "c11" in done.stderr


def test_screenshot_matches_offscreen_render(xdisplay, tmp_path):
    """--screenshot/--exit-after: the window's pixels are those `ldscene render` writes (same
    background, floor, studs, edges and lights)."""
    path = brick(tmp_path)
    shot = tmp_path / "shot.png"
    release_keys(xdisplay)
    done = subprocess.run(
        ldscene("view", str(path), *WINDOW, "--screenshot", str(shot), "--exit-after", "0"),
        env=env_with(xdisplay),
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert done.returncode == 0, done.stderr
    rendered = tmp_path / "render.png"
    done = subprocess.run(
        # the window draws no ambient occlusion (a full-screen pass per frame); all else matches
        ldscene("render", str(path), "-o", str(rendered), *WINDOW, "--aa", "1", "--no-ao", "-q"),
        env=env_with(None),
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert done.returncode == 0, done.stderr
    a = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    b = np.asarray(Image.open(rendered).convert("RGB")).astype(int)
    assert a.shape == b.shape == (240, 320, 3)
    assert model_pixels(a).mean() > 0.2
    assert np.abs(a - b).mean() < 4  # same meshes, materials, lights and framing


def test_no_display_is_one_line_error(tmp_path):
    path = brick(tmp_path)
    for display, words in ((None, "DISPLAY is not set"), (":987", "cannot connect")):
        done = subprocess.run(
            ldscene("view", str(path)),
            env=env_with(display),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 1
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:") and words in lines[0], lines


def test_command_modules_import_without_gl():
    code = (
        "import sys, ldscene.post, ldscene.render.turntable, ldscene.render.raster.viewer\n"
        "bad = [m for m in ('pyrender', 'OpenGL', 'pyglet') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
