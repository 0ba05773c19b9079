"""`ldscene view`'s `c` key: the current camera as a `cameras:` entry to paste into the scene.

The entry is checked twice: as text read back by the scene reader (no display needed), and in
a real window on Xvfb, where the printed camera, pasted into the scene, renders the view the
window showed.
"""

from __future__ import annotations

import subprocess
import time

import numpy as np
import pytest
from conftest import tiny_scene, write
from PIL import Image
from test_viewer import (  # noqa: F401  (xdisplay: the Xvfb fixture)
    WINDOW,
    env_with,
    find_window,
    ldscene,
    press,
    quit_viewer,
    viewer,
    wait_title,
    xdisplay,
)

from ldscene.render.raster.viewer import camera_entry, next_camera_name
from ldscene.scene import load_scene
from ldscene.scene.cameras import CameraKind

pytestmark = pytest.mark.slow  # renders, windows or whole scenes: seconds each


def paste(folder, scene_text: str, entry: str, name: str = "pasted.yaml"):
    """The scene with `entry` added under its `cameras:` (made when absent)."""
    text = scene_text.rstrip("\n") + "\n"
    if "\ncameras:" not in "\n" + text:
        text += "cameras:\n"
    return write(folder, name, text + entry.split("\n")[0] + "\n")


def test_entry_reads_back_as_the_same_camera(tmp_path):
    eye, target = np.array([245.3, 160.04, -400.0]), np.array([10.0, 12.0, -3.0])
    scene = "units: stud\nplace:\n  b: {part: 3001, color: Red}\n"
    entry = camera_entry("view_1", eye, target, 27.5, "stud")
    assert entry.startswith("  view_1: {position: [12.27, 8, -20], look_at: [0.5, 0.6, -0.15]")
    assert "fov: 27.5}" in entry and "# units: stud" in entry
    camera = load_scene(paste(tmp_path, scene, entry)).camera("view_1")
    assert camera.kind is CameraKind.LOOK and camera.fov == 27.5
    flip = np.array([1.0, -1.0, -1.0])  # the viewer's axes are the scene's; cameras are LDraw's
    assert np.allclose(camera.position, eye * flip, atol=0.2)
    assert np.allclose(camera.target, target * flip, atol=0.2)
    # in LDU: finer steps; with no scene (a plain model): lengths with their unit, which any
    # scene reads the same whatever its units:
    ldu = camera_entry("view_1", eye, target, 30.0, "ldu")
    assert "position: [245.3, 160, -400]" in ldu
    plain = camera_entry("view_1", eye, target, 30.0, None)
    assert '"12.27 studs"' in plain
    for units in ("ldu", "brick"):
        text = f"units: {units}\nplace:\n  b: {{part: 3001, color: Red}}\n"
        camera = load_scene(paste(tmp_path, text, plain, f"{units}.yaml")).camera("view_1")
        assert np.allclose(camera.position, eye * flip, atol=0.2)


def test_rolled_view_and_names():
    eye, target = np.array([0.0, 0.0, 100.0]), np.zeros(3)
    level = camera_entry("v", eye, target, 30.0, "ldu", right=np.array([1.0, 0.0, 0.0]))
    assert "rolled" not in level
    rolled = camera_entry("v", eye, target, 30.0, "ldu", right=np.array([0.9, 0.4359, 0.0]))
    assert "rolled 26 degrees" in rolled
    assert next_camera_name(["overview", "view_1", "view_2"]) == "view_3"
    assert next_camera_name(["overview"], 2) == "view_2"


def test_c_prints_the_window_camera(xdisplay, tmp_path):  # noqa: F811
    scene = tiny_scene(tmp_path)  # units: stud; cameras overview (lat 35, lon 30) and side
    with viewer(xdisplay, tmp_path, scene) as proc:
        window = find_window(xdisplay, proc)
        wait_title(xdisplay, window, "1: overview")
        time.sleep(0.5)
        press(xdisplay, window, "c")
        wait_title(xdisplay, window, "printed camera view_1")
        press(xdisplay, window, "2", "c")
        wait_title(xdisplay, window, "printed camera view_2")
        out, _ = quit_viewer(xdisplay, window, proc)
    lines = [line for line in out.splitlines() if line.startswith("  view_")]
    assert len(lines) == 2, out
    assert lines[0].startswith("  view_1: {position: [") and "# units: stud" in lines[0]

    # Pasted into the scene, the entries are cameras looking as the window did: the overview
    # camera's direction (lat 35, lon 30), and the side camera's (lat 0, lon 90)...
    pasted = paste(tmp_path, scene.read_text(), lines[0] + "\n")
    text = pasted.read_text() + lines[1] + "\n"
    pasted.write_text(text)
    loaded = load_scene(pasted)
    for name, lat, lon in (("view_1", 35, 30), ("view_2", 0, 90)):
        camera = loaded.camera(name)
        back = (camera.position - camera.target) * np.array([1.0, -1.0, -1.0])  # scene axes
        back /= np.linalg.norm(back)
        assert np.degrees(np.arcsin(back[1])) == pytest_approx(lat, 0.5), name
        assert np.degrees(np.arctan2(back[0], back[2])) == pytest_approx(lon, 0.5), name

    # ... and the printed camera renders what the window showed from the scene's own camera.
    def render(camera: str) -> np.ndarray:
        out = tmp_path / f"{camera}.png"
        done = subprocess.run(
            ldscene("render", str(pasted), "--camera", camera, "-o", str(out), *WINDOW, "-q"),
            env=env_with(None),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return np.asarray(Image.open(out).convert("RGB")).astype(int)

    original, printed = render("overview"), render("view_1")
    assert np.abs(original - printed).mean() < 3, np.abs(original - printed).mean()
    assert np.abs(original - render("view_2")).mean() > 10  # another camera: another image


def pytest_approx(value: float, tolerance: float):
    import pytest

    return pytest.approx(value, abs=tolerance)
