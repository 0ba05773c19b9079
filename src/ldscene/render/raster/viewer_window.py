"""The on-screen window behind `ldscene view`: pyrender's Viewer drawing with ldscene's renderer.

Imported only by `viewer.run_viewer`, after the platform and display checks (it imports
pyrender, pyglet and OpenGL).  The scene is built exactly as offscreen renders build it
(same instanced meshes, materials, lights and shaders), so what the window shows is what
`ldscene render` writes.  Unlike pyrender's Viewer it redraws only when something changed,
so an idle window costs no CPU.
"""

from __future__ import annotations

import math
import signal
import sys
import time

import numpy as np
import pyglet
import pyrender
from OpenGL.GL import (
    GL_BACK,
    GL_READ_FRAMEBUFFER,
    GL_RGB,
    GL_UNSIGNED_BYTE,
    glBindFramebuffer,
    glReadBuffer,
    glReadPixels,
)
from pyrender.constants import RenderFlags
from pyrender.trackball import Trackball

from ldscene.appearance import srgb_to_linear
from ldscene.errors import LdsceneError
from ldscene.render.camera import frame_points
from ldscene.render.images import save_image
from ldscene.render.live import Reloader
from ldscene.render.meshes import ModelMeshes
from ldscene.render.options import RenderOptions, View
from ldscene.render.raster.glrenderer import LdRenderer
from ldscene.render.raster.lights import LightRig, light_poses
from ldscene.render.raster.materials import GLASS_LINES, LINES
from ldscene.render.raster.offscreen import ModelRenderer
from ldscene.render.raster.pyrender_adapter import close_viewer, trackball_target
from ldscene.render.raster.shadows import make_shadow_texture
from ldscene.render.raster.viewer import (
    ViewerOptions,
    camera_entry,
    next_camera_name,
    screenshot_path,
)

key = pyglet.window.key


#: Seconds between looks at the files of the input, for a reload when one changed.
POLL_SECONDS = 0.4


def build_scene(meshes: ModelMeshes, options: ViewerOptions, renderer: LdRenderer):
    """A pyrender scene with the model's instanced meshes, built like the offscreen one."""
    rig = LightRig()
    scene = pyrender.Scene(
        bg_color=np.array([*srgb_to_linear(options.background), 1.0]),
        ambient_light=np.full(3, rig.ambient),
    )
    add_model(scene, meshes, options, renderer, rig)
    return scene, rig


def add_model(scene, meshes: ModelMeshes, options: ViewerOptions, renderer, rig) -> None:
    """Add the model's meshes to `scene`, built as offscreen renders build theirs."""
    render_options = RenderOptions(
        edges=True, shadows=options.shadows, background=options.background, ground=options.ground
    )
    holder = ModelRenderer(meshes, render_options, rig=rig)
    holder.add_meshes_to(scene, renderer, pyrender)  # so both windows draw the same meshes


class LdViewer(pyrender.Viewer):
    """pyrender's Viewer with ldscene's renderer, lights, named cameras and keys."""

    def __init__(
        self,
        meshes: ModelMeshes,
        views: list[View],
        options: ViewerOptions,
        echo=print,
        reloader: Reloader | None = None,
    ) -> None:
        self.ld_views = views
        self.ld_options = options
        self.ld_echo = echo
        self.ld_reloader = reloader
        self._next_poll = 0.0
        self.ld_edges = options.edges
        self.ld_shadows = options.shadows
        self.ld_current = min(max(options.start, 0), len(views) - 1)
        self.ld_renderer = LdRenderer(options.width, options.height)
        self._use_meshes(meshes)
        scene, self.ld_rig = build_scene(meshes, options, self.ld_renderer)
        self.ld_edge_nodes = _edge_nodes(scene)
        key_light = pyrender.DirectionalLight(
            color=np.ones(3), intensity=self.ld_rig.key_intensity, name="key"
        )
        key_light.shadow_texture = make_shadow_texture(2048)
        self.ld_key_node = scene.add(key_light, name="key")
        self.ld_fill_light = pyrender.PointLight(color=np.ones(3), intensity=1.0, name="fill")
        self.ld_fill_node = scene.add(self.ld_fill_light, name="fill")
        pose, target = self.view_pose(views[self.ld_current])
        self._targets = {self.ld_current: target}
        near, far = self._clip_range()
        camera = pyrender.PerspectiveCamera(
            yfov=math.radians(self.view_fov(views[self.ld_current])), znear=near, zfar=far
        )
        scene.add(camera, pose=pose, name="start")
        self._view_target = target
        self._dirty = True
        self._drawn = None
        self._first_frame_at: float | None = None
        self._shot_pending: str | None = None
        self._screenshot_done = False
        self._shot_by_key = False  # the pending screenshot was asked for with `s`
        self.ld_saved: list = []
        self.ld_printed: list[str] = []  # camera entries printed with `c`
        super().__init__(
            scene,
            viewport_size=(options.width, options.height),
            auto_start=False,
            window_title=options.title,
            view_center=target,
            refresh_rate=30.0,
            rotate_axis=np.array([0.0, 1.0, 0.0]),
            rotate_rate=math.pi / 6,
            shadows=options.shadows,
        )
        self._renderer = self.ld_renderer  # draw with ldscene's renderer and shaders

    def _use_meshes(self, meshes: ModelMeshes) -> None:
        """Take `meshes` as the model's: its centre and size, and the key light's fit."""
        self.ld_meshes = meshes
        lo, hi = meshes.bounds
        self.ld_centre = (lo + hi) / 2
        self.ld_size = max(float(np.linalg.norm(hi - lo)), 1.0)
        self.ld_renderer.shadow_points = np.array(
            [[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])]
        )

    def _clip_range(self) -> tuple[float, float]:
        """The camera's near and far planes for the model's size."""
        return self.ld_size * 0.002, self.ld_size * 40.0

    # ------------------------------------------------------------------ reloading
    def _poll_reload(self) -> None:
        """Look at the input's files now and then, and show what a finished reload made: the
        new model in place of the old, seen from where the camera is now."""
        reloader = self.ld_reloader
        if reloader is None:
            return
        result = reloader.take()
        if result is not None:
            if result.error is not None:
                print(f"reload failed: {result.error}", file=sys.stderr)
                self.show_message("reload failed: " + _short(result.error))
            else:
                self._show_model(*result.value)
                self.show_message("reloaded")
        now = time.monotonic()
        if now >= self._next_poll:
            self._next_poll = now + POLL_SECONDS
            if reloader.poll():
                self.show_message("reloading")

    def _show_model(self, meshes: ModelMeshes, views: list[View], cameras: tuple) -> None:
        scene = self.scene
        for node in list(scene.mesh_nodes):  # the renderer frees their GL buffers
            scene.remove_node(node)
        self.ld_renderer.node_centres.clear()
        self._use_meshes(meshes)
        add_model(scene, meshes, self.ld_options, self.ld_renderer, self.ld_rig)
        self.ld_edge_nodes = _edge_nodes(scene)
        self.ld_views = views
        self.ld_current = min(self.ld_current, len(views) - 1)
        self.ld_options.camera_names = cameras
        camera = self._camera_node.camera
        camera.znear, camera.zfar = self._clip_range()
        self._dirty = True

    # ------------------------------------------------------------------ cameras
    def view_fov(self, view: View) -> float:
        return view.fov if view.fov is not None else self.ld_options.fov

    def view_pose(self, view: View) -> tuple[np.ndarray, np.ndarray]:
        """Camera pose (GL) for a view framed like offscreen renders, and a point to orbit."""
        width, height = self.ld_options.width, self.ld_options.height
        if hasattr(self, "_viewport_size"):
            width, height = self.viewport_size
        framing = frame_points(
            self.ld_meshes.frame_points,
            view,
            width / max(height, 1),
            self.view_fov(view),
            False,
            0.04,
        )
        pose = framing.pose
        forward = -pose[:3, 2]
        if view.target is not None:
            target = np.array(view.target, float) * np.array([1.0, -1.0, -1.0])
        else:
            target = pose[:3, 3] + forward * float(np.dot(self.ld_centre - pose[:3, 3], forward))
        return pose, target

    def go_to(self, index: int) -> None:
        view = self.ld_views[index]
        pose, target = self.view_pose(view)
        self.ld_current = index
        self._default_camera_pose = pose
        self.viewer_flags["view_center"] = target
        self._camera_node.camera.yfov = math.radians(self.view_fov(view))
        self._reset_view()
        self.show_message()

    def _reset_view(self):
        target = self.viewer_flags["view_center"]
        self._camera_node.matrix = self._default_camera_pose
        self._trackball = Trackball(
            self._default_camera_pose, self.viewport_size, self.ld_size, target
        )
        self._dirty = True

    def camera_now(self) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
        """(eye, point looked at, vertical fov in degrees, right axis), in the viewer's axes
        (the scene's, in LDU)."""
        pose = self._trackball.pose
        eye = pose[:3, 3].copy()
        forward = -pose[:3, 2]
        target = np.asarray(trackball_target(self._trackball), float)
        distance = float(np.dot(target - eye, forward))
        if not distance > 1e-6 * self.ld_size:  # zoomed past the orbit point: look ahead
            distance = float(np.linalg.norm(self.ld_centre - eye)) or self.ld_size
        # the point straight ahead at the orbit point's distance (pans and rolls included)
        target = eye + forward * distance
        return eye, target, math.degrees(self._camera_node.camera.yfov), pose[:3, 0].copy()

    def print_camera(self) -> str:
        """Print the current camera as a `cameras:` entry for the scene file (key `c`)."""
        opts = self.ld_options
        name = next_camera_name([*opts.camera_names, *self.ld_printed], len(self.ld_printed) + 1)
        eye, target, fov, right = self.camera_now()
        text = camera_entry(name, eye, target, fov, opts.units, right)
        self.ld_printed.append(name)
        self.ld_echo(text)
        self.show_message(f"printed camera {name}")
        return text

    # ------------------------------------------------------------------ drawing
    def _render(self):
        scene = self.scene
        pose = self._trackball.pose.copy()
        self._camera_node.matrix = pose
        back = pose[:3, 2]
        longitude = math.degrees(math.atan2(back[0], back[2]))
        key_pose, fill_pose, fill_intensity = light_poses(
            self.ld_rig, longitude, self.ld_centre, self.ld_size
        )
        scene.set_pose(self.ld_key_node, key_pose)
        scene.set_pose(self.ld_fill_node, fill_pose)
        self.ld_fill_light.intensity = fill_intensity
        for node in self.ld_edge_nodes:  # edge lines and conditional lines
            node.mesh.is_visible = self.ld_edges
        flags = RenderFlags.NONE
        if self.ld_shadows:
            flags |= RenderFlags.SHADOWS_DIRECTIONAL
        self._renderer.render(scene, flags)

    def on_draw(self):
        if self._renderer is None:
            return
        self.switch_to()
        self.clear()
        self._render()
        if self._shot_pending is not None:
            target, self._shot_pending = self._shot_pending, None
            try:
                self._save_screenshot(target)
            except LdsceneError as err:
                if not self._shot_by_key:  # --screenshot: the run fails, as render does
                    raise
                self.ld_echo(f"error: {err}")  # a key press: the window stays, says so
                self.show_message("screenshot failed")
        if self._first_frame_at is None:
            self._first_frame_at = time.monotonic()

    def _save_screenshot(self, target: str) -> None:
        from PIL import Image

        width, height = self.get_framebuffer_size()
        glBindFramebuffer(GL_READ_FRAMEBUFFER, 0)  # the shadow pass left its own bound
        glReadBuffer(GL_BACK)
        data = glReadPixels(0, 0, width, height, GL_RGB, GL_UNSIGNED_BYTE)
        pixels = np.frombuffer(data, np.uint8).reshape(height, width, 3)[::-1]
        path = save_image(Image.fromarray(np.ascontiguousarray(pixels), "RGB"), target)
        self.ld_saved.append(path)
        self.show_message(f"saved {path}")
        self.ld_echo(f"wrote {path}")

    def show_message(self, text: str | None = None) -> None:
        """Show the state (camera, toggles) and `text` in the window title."""
        view = self.ld_views[self.ld_current]
        parts = [f"{self.ld_current + 1}: {view.name}"]
        if not self.ld_edges:
            parts.append("edges off")
        if not self.ld_shadows:
            parts.append("shadows off")
        if self.viewer_flags["rotate"]:
            parts.append("spinning")
        if text:
            parts.append(text)
        caption = f"{self.viewer_flags['window_title']}  [{', '.join(parts)}]"
        if getattr(self, "_context", None) is not None or getattr(self, "context", None):
            self.set_caption(caption)
        self._dirty = True

    def _state(self):
        return (
            self._trackball.pose.tobytes(),
            self.ld_edges,
            self.ld_shadows,
            tuple(self.viewport_size),
            self.viewer_flags["mouse_pressed"],
        )

    def tick(self, dt: float) -> None:
        """Timer: animation, reloads, automation, and a redraw only when needed."""
        if not self._is_active:
            return
        if self.viewer_flags["rotate"] and not self.viewer_flags["mouse_pressed"]:
            self._rotate()
        self._poll_reload()
        opts = self.ld_options
        reloading = self.ld_reloader is not None and self.ld_reloader.busy
        # --screenshot and --exit-after wait for a reload under way: its model is the one
        # the user asked to see.
        if self._first_frame_at is not None and not self._screenshot_done and not reloading:
            due = opts.exit_after if opts.exit_after is not None else 0.0
            if opts.screenshot is not None and time.monotonic() - self._first_frame_at >= due:
                self._shot_pending = str(opts.screenshot)
                self._shot_by_key = False
                self._screenshot_done = True
                self._dirty = True
        if (
            self._first_frame_at is not None
            and opts.exit_after is not None
            and not reloading
            and self._shot_pending is None
            and time.monotonic() - self._first_frame_at >= opts.exit_after
        ):
            self._should_close = True
        if self._should_close:
            self.on_close()
            return
        state = self._state()
        if self._dirty or state != self._drawn:
            self._dirty = False
            self._drawn = state
            self.draw(dt)

    # ------------------------------------------------------------------ events
    def on_resize(self, width, height):
        if self._renderer is None:
            return
        self._viewport_size = (width, height)
        self._trackball.resize(self._viewport_size)
        fw, fh = self.get_framebuffer_size()
        self._renderer.viewport_width, self._renderer.viewport_height = fw, fh
        self._dirty = True

    def on_expose(self):
        self._dirty = True

    def on_mouse_release(self, x, y, button, modifiers):
        super().on_mouse_release(x, y, button, modifiers)
        self._dirty = True  # draw the view where the drag ended

    def on_key_press(self, symbol, modifiers):
        if key._1 <= symbol <= key._9:
            index = symbol - key._1
            if index < len(self.ld_views):
                self.go_to(index)
        elif symbol == key.E:
            self.ld_edges = not self.ld_edges
            self.show_message()
        elif symbol == key.H:
            self.ld_shadows = not self.ld_shadows
            self.show_message()
        elif symbol == key.S:
            opts = self.ld_options
            self._shot_pending = str(screenshot_path(opts.screenshot_dir, opts.screenshot_stem))
            self._shot_by_key = True
            self._dirty = True
        elif symbol == key.Z:
            self.go_to(self.ld_current)
        elif symbol == key.C:
            self.print_camera()
        elif symbol in (key.Q, key.ESCAPE):
            self._should_close = True
        elif symbol in (key.A, key.F):
            super().on_key_press(symbol, modifiers)  # spin, fullscreen: pyrender's own
            self._message_text = None
            self.show_message()
        # pyrender's other keys (wireframe, normals, axes, lighting modes, file dialogs) do not
        # apply to ldscene's renderer and are ignored.
        return pyglet.event.EVENT_HANDLED

    def _init_and_start_app(self):
        from pyglet.gl import Config

        configs = [
            Config(
                sample_buffers=1,
                samples=4,
                depth_size=24,
                double_buffer=True,
                major_version=3,
                minor_version=3,
            ),
            Config(depth_size=24, double_buffer=True, major_version=3, minor_version=3),
        ]
        for config in configs:
            try:
                pyglet.window.Window.__init__(
                    self,
                    config=config,
                    resizable=True,
                    width=self._viewport_size[0],
                    height=self._viewport_size[1],
                    caption=self.viewer_flags["window_title"],
                )
                break
            except pyglet.window.NoSuchConfigException:
                continue
        else:
            raise LdsceneError("cannot open a window: no OpenGL 3.3 context on this display")
        fw, fh = self.get_framebuffer_size()
        self._renderer.viewport_width, self._renderer.viewport_height = fw, fh
        self.show_message()
        pyglet.clock.schedule_interval(self.tick, 1.0 / self.viewer_flags["refresh_rate"])
        self.switch_to()
        pyglet.app.run(None)  # draws are scheduled by tick(), only when something changed


def _edge_nodes(scene) -> list:
    """The scene's edge-line and conditional-line nodes (`e` shows or hides them)."""
    return [
        n for n in scene.mesh_nodes if n.mesh.primitives[0].material.name in (LINES, GLASS_LINES)
    ]


def _short(text: str, width: int = 90) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def show(
    meshes: ModelMeshes,
    views: list[View],
    options: ViewerOptions,
    echo=print,
    reloader: Reloader | None = None,
) -> None:
    """Open the viewer window; returns when it is closed (q, Esc, SIGINT/SIGTERM, --exit-after).
    With a `reloader`, the window shows the input again whenever its files change."""
    viewer = LdViewer(meshes, views, options, echo, reloader)

    def stop(signum, frame):  # a clean close from the terminal or a test harness
        close_viewer(viewer)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        viewer.start()
    except LdsceneError:
        raise
    except (pyglet.window.NoSuchDisplayException, pyglet.gl.ContextException) as err:
        raise LdsceneError(f"cannot open a window: {err}") from None
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
