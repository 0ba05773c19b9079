"""`ldscene view`: an interactive window on a model or scene (pyrender's Viewer, on screen).

This module does the checks that must happen before any GL import: the on-screen viewer needs
GLX (PYOPENGL_PLATFORM unset), and a reachable X display.  The window itself lives in
`viewer_window`, imported only after those checks.  Offscreen rendering (EGL) and the viewer
cannot share a process: PyOpenGL fixes its platform on first import.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ldscene.errors import LdsceneError
from ldscene.render.options import DEFAULT_BACKGROUND, NAMED_VIEWS, View

if TYPE_CHECKING:
    import numpy as np

    from ldscene.inputs import LoadSettings

#: Views on the number keys when a model (or a scene without cameras) is viewed.
AUTO_VIEWS = ("iso", "front", "right", "back", "left", "top")

#: Keys, for --help and the on-screen hint.
KEY_HELP = (
    "mouse: left drag orbit, shift/middle drag pan, wheel/right drag zoom, ctrl drag roll; "
    "keys: 1-9 cameras, c print the camera as a scene cameras: entry, e edges, h shadows, "
    "a spin, s screenshot, z reset, f fullscreen, q/Esc quit"
)


@dataclass
class ViewerOptions:
    width: int = 1024
    height: int = 768
    edges: bool = True
    shadows: bool = True
    background: tuple[float, float, float] = DEFAULT_BACKGROUND
    ground: bool = True  # the shadow-catcher floor under a model
    fov: float = 30.0
    start: int = 0  # index into the views of the one shown first
    title: str = "ldscene"
    screenshot_dir: Path = Path("renders")
    screenshot_stem: str = "view"
    screenshot: Path | None = None  # save the view here, then (with exit_after) quit
    exit_after: float | None = None  # seconds after the first frame
    hint: bool = True
    extra: dict = field(default_factory=dict)
    # `c` prints the camera in these units (the scene's `units:`); None: a plain model, whose
    # lengths are then written with their unit ("12 studs") so they paste into any scene
    units: str | None = None
    camera_names: tuple[str, ...] = ()  # the scene's cameras: printed ones get new names


def _length(value: float, scale: float, decimals: int) -> str:
    text = f"{value / scale:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def camera_entry(
    name: str,
    eye: np.ndarray,
    target: np.ndarray,
    fov: float,
    units: str | None = None,
    right: np.ndarray | None = None,
) -> str:
    """A scene file's `cameras:` entry, one YAML line indented to paste under `cameras:`.

    `eye` and `target` are in the viewer's (GL) axes, which are the scene's axes (y up, z
    towards the viewer) in LDU.  Lengths are plain numbers in `units` (a scene's `units:`), or
    strings with a unit ("12.5 studs") when there is no scene.  `right`, the camera's x axis,
    tells whether the view is rolled, which a scene camera cannot say: a comment says so.
    """
    from ldscene.scene.units import unit_scale

    scale = unit_scale(units) if units else 20.0
    decimals = max(0, math.ceil(math.log10(scale * 2)))  # about 0.5 LDU or finer

    def point(values) -> str:
        if units:
            texts = [_length(float(v), scale, decimals) for v in values]
        else:
            texts = [f'"{_length(float(v), scale, decimals)} studs"' for v in values]
        return "[" + ", ".join(texts) + "]"

    fov_text = f"{fov:.1f}".rstrip("0").rstrip(".")
    line = f"  {name}: {{position: {point(eye)}, look_at: {point(target)}, fov: {fov_text}}}"
    notes = [f"units: {units}" if units else "scene axes, the model at the origin"]
    if right is not None:
        roll = math.degrees(math.asin(max(-1.0, min(1.0, float(right[1])))))
        if abs(roll) >= 1.0:
            notes.append(f"rolled {roll:.0f} degrees in the viewer: a scene camera stays level")
    return line + "  # " + "; ".join(notes)


def next_camera_name(taken: set[str] | tuple[str, ...] | list[str], count: int = 1) -> str:
    """`view_1`, `view_2`, ...: the first free name from the `count`-th on."""
    taken = set(taken)
    while f"view_{count}" in taken:
        count += 1
    return f"view_{count}"


def prepare_platform() -> None:
    """Make PyOpenGL use the windowing system (GLX), not a headless platform.

    `ldscene render` (and `ldscene.render.raster.gl`) default PYOPENGL_PLATFORM to egl; with
    egl set the pyglet window's GL calls fail in ways that hang.  The variable is dropped for
    this process; if OpenGL was already imported headless here, the viewer cannot run in this
    process.
    """
    platform = os.environ.get("PYOPENGL_PLATFORM", "").strip().lower()
    if "OpenGL" in sys.modules:
        current = getattr(sys.modules["OpenGL"], "platform", None)
        name = type(getattr(current, "PLATFORM", None)).__name__.lower()
        if platform in ("egl", "osmesa") or "egl" in name or "osmesa" in name:
            raise LdsceneError(
                "the viewer cannot open a window in a process that already rendered offscreen",
                hint="run `ldscene view` in its own process",
            )
    if platform and platform not in ("glx", "x11", "linux"):
        os.environ.pop("PYOPENGL_PLATFORM", None)


def check_display() -> str:
    """The X display name, or a one-line error when there is no usable display."""
    display = os.environ.get("DISPLAY", "")
    if sys.platform.startswith("linux") or "bsd" in sys.platform:
        if not display:
            raise LdsceneError(
                "no display: DISPLAY is not set, so no window can be opened",
                hint="use `ldscene render` for images, or run under xvfb-run",
            )
        libname = ctypes.util.find_library("X11") or "libX11.so.6"
        try:
            xlib = ctypes.CDLL(libname)
        except OSError:
            raise LdsceneError(
                "cannot open a window: the X11 client library (libX11) is not installed"
            ) from None
        xlib.XOpenDisplay.restype = ctypes.c_void_p
        xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
        xlib.XCloseDisplay.argtypes = [ctypes.c_void_p]
        handle = xlib.XOpenDisplay(display.encode())
        if not handle:
            raise LdsceneError(
                f"cannot connect to the X display {display!r}",
                hint="is the X server running and are you allowed to use it (xauth)?",
            )
        xlib.XCloseDisplay(handle)
    return display


def camera_names(scene) -> tuple[str, ...]:
    """The names of a scene's cameras (none for a plain model): `c` prints new ones."""
    return tuple(c.name for c in getattr(scene, "cameras", None) or [])


def input_views(scene, model) -> tuple[list[View], bool]:
    """The views the window offers: the scene's cameras (keys 1-9 reach the first nine), else
    the auto views; (views, auto)."""
    cameras = list(getattr(scene, "cameras", None) or [])
    if cameras:
        from ldscene.render.command import scene_view

        return [scene_view(camera, model) for camera in cameras], False
    return [View(name, *NAMED_VIEWS[name]) for name in AUTO_VIEWS], True


def screenshot_path(folder: Path, stem: str) -> Path:
    """`folder/<stem>-view.png`, or `-view-2.png`, ... so that no earlier screenshot is lost."""
    path = folder / f"{stem}-view.png"
    n = 2
    while path.exists():
        path = folder / f"{stem}-view-{n}.png"
        n += 1
    return path


def check_window(screenshot: Path | None, exit_after: float | None) -> None:
    """Before any GL work: the screenshot can be written, the delay makes sense, and a display
    (with GLX) is there."""
    if exit_after is not None and exit_after < 0:
        raise LdsceneError("--exit-after must be zero or more seconds")
    if screenshot is not None:
        from ldscene.render.images import check_output

        check_output(screenshot)
    prepare_platform()
    check_display()


def model_meshes(model):
    """The model's instanced meshes, or a one-line error when it has nothing visible."""
    from ldscene.render.meshes import build_model_meshes

    meshes = build_model_meshes(model)
    if meshes.empty:
        raise LdsceneError("nothing to show: the model has no visible geometry")
    return meshes


def run_viewer(model, views: list[View], options: ViewerOptions, echo=print, reloader=None) -> None:
    """Open the window and block until it is closed.  `reloader` (a `live.Reloader` giving
    (meshes, views, camera names)) shows the input again when its files change."""
    if not views:
        raise LdsceneError("nothing to look from: no views")
    check_window(options.screenshot, options.exit_after)
    meshes = model_meshes(model)
    try:
        from ldscene.render.raster import viewer_window
    except (ImportError, OSError) as err:
        raise LdsceneError(f"cannot open a window: OpenGL is unavailable: {err}") from None
    if options.exit_after is None:
        print(KEY_HELP, file=sys.stderr)
    viewer_window.show(meshes, views, options, echo, reloader)


def view_input(
    input_path: Path,
    camera: str | None = None,
    width: int = 1024,
    height: int = 768,
    edges: bool | None = None,
    shadows: bool = True,
    screenshot: Path | None = None,
    exit_after: float | None = None,
    load: LoadSettings | None = None,
    echo=print,
    on_loaded=None,
) -> None:
    """The whole of `ldscene view`: check, load, pick the start view, open the window."""
    from ldscene.imaging import MAX_SIDE
    from ldscene.inputs import LoadSettings, is_scene
    from ldscene.render.command import RenderRequest, build_options
    from ldscene.render.studs import stud_rule

    for label, value in (("width", width), ("height", height)):
        if not 64 <= value <= MAX_SIDE:
            raise LdsceneError(f"impossible window {label} {value}", hint=f"use 64..{MAX_SIDE}")
    check_window(screenshot, exit_after)  # before the (possibly long) load
    load = load or LoadSettings()
    load.check(input_path)
    # The window shows what `ldscene render` would: the same background, floor, edges and
    # studs (chosen, as there, for a model from its auto views before it loads); not its
    # ambient occlusion and supersampling, which would slow every frame.
    request = RenderRequest(input_path, width=width, height=height, edges=edges, shadows=shadows)
    scene_input = is_scene(input_path)
    studs = stud_rule(
        "auto",
        None if scene_input else build_options(request),
        None if scene_input else input_views(None, None)[0],
    )
    loaded = load.load(input_path, on_loaded, studs=studs)
    scene = loaded.scene
    views, auto = input_views(scene, loaded.model)

    def reload():
        """The input loaded again: (meshes, views, scene camera names), and its files."""
        again = load.load(input_path, on_loaded, studs=studs)
        views = input_views(again.scene, again.model)[0]
        shown = (model_meshes(again.model), views, camera_names(again.scene))
        return shown, again.model.read_from

    start = 0
    if camera is not None:
        names = [v.name for v in views]
        wanted = camera if camera in names else camera.strip().lower()
        if wanted not in names and auto and wanted in NAMED_VIEWS:
            views.append(View.named(wanted))  # a model: any of render's named views
            names.append(wanted)
        if wanted not in names:
            shown = names if not auto else list(NAMED_VIEWS)
            raise LdsceneError(f"unknown camera {camera!r}", hint="cameras: " + ", ".join(shown))
        start = names.index(wanted)
    options = ViewerOptions(
        width=width,
        height=height,
        shadows=shadows,
        start=start,
        screenshot=screenshot,
        exit_after=exit_after,
        screenshot_stem=input_path.stem,
    )
    look = build_options(request, scene)
    options.background, options.ground, options.edges = look.background, look.ground, look.edges
    if scene is not None:
        options.units = _scene_units(input_path, scene)
        options.camera_names = camera_names(scene)
    title = getattr(scene, "title", "") or ""
    options.title = (
        f"{title} ({input_path.name}) - ldscene" if title else f"{input_path.name} - ldscene"
    )
    from ldscene.render.live import Reloader

    files = loaded.model.read_from
    run_viewer(loaded.model, views, options, echo, Reloader(reload, files) if files else None)


def _scene_units(path: Path, scene) -> str:
    """The scene's `units:` (what its plain numbers mean), for the printed camera."""
    units = getattr(scene, "units", None)
    if isinstance(units, str):
        return units
    from ldscene.scene import read_spec

    try:
        return read_spec(path).units
    except LdsceneError:
        return "ldu"
