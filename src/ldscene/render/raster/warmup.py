"""Get the GL side ready in a background thread while the meshes build.

A cold `ldscene render` spent about half a second before its first draw on GL work that does
not need the model: creating the EGL context and compiling the shaders, and Mesa's llvmpipe
compiles a shader variant per pipeline state at the first draw that uses it.  `GlWarmup` does
that, including one draw of a tiny scene with the real render's states, in a thread; GL calls
run in C without the GIL, so they overlap the mesh building.  The renderer then takes over the
warm context (`take`), or makes its own if warming failed or was not possible.
"""

from __future__ import annotations

import os
import threading

import numpy as np

from ldscene.render.options import RenderOptions

#: The warm-up's frame (even, for the 2x2 resolve), in supersampled pixels.
WARM_UP_FRAME = (64, 48)


class GlWarmup:
    """A GL context and an `LdRenderer` for `options`, prepared in a background thread.

    pyrender is imported here, in the caller's thread: an import holds the GIL nearly all the
    time, and one running beside the caller's Python work slowed both down more than it saved.
    The thread then only makes GL calls, which run in C without the GIL.
    """

    def __init__(self, options: RenderOptions, ambient: float = 0.35) -> None:
        from ldscene.render.raster.gl import import_pyrender

        import_pyrender()
        self.options = options
        self._ambient = ambient
        self._result: tuple | None = None
        self._thread = threading.Thread(target=self._run, name="ldscene-gl-warmup", daemon=True)
        if os.environ.get("PYOPENGL_PLATFORM", "").lower() == "egl":  # EGL contexts can move
            self._thread.start()

    def _run(self) -> None:
        try:
            platform, renderer = open_renderer(self.options)
            try:
                warm_up(renderer, self.options, self._ambient)
            finally:
                _release_current()
            self._result = (platform, renderer)
        except Exception:  # noqa: BLE001 - the renderer opens its own context and reports
            self._result = None

    def take(self, options: RenderOptions) -> tuple | None:
        """(platform, renderer), current in this thread, if prepared for these options."""
        if self._thread.is_alive():
            self._thread.join()
        result, self._result = self._result, None
        if result is None:
            return None
        platform, renderer = result
        _bind_gl_api()
        platform.make_current()
        if _key(options) != _key(self.options):
            renderer.delete()
            platform.delete_context()
            return None
        return platform, renderer

    def close(self) -> None:
        """Wait for the thread and free what it made, if nobody took it."""
        taken = self.take(self.options)
        if taken is not None:
            platform, renderer = taken
            try:
                renderer.delete()
            finally:
                platform.delete_context()


def _key(options: RenderOptions) -> tuple:
    return (options.width, options.height, options.aa, options.line_width)


def open_renderer(options: RenderOptions) -> tuple:
    """A current GL platform and an `LdRenderer` sized for `options` (supersampled)."""
    from ldscene.render.raster.gl import create_platform
    from ldscene.render.raster.glrenderer import LdRenderer

    w, h = options.width * options.aa, options.height * options.aa
    platform = create_platform(w, h)
    renderer = LdRenderer(w, h, line_width=options.line_width * options.aa)
    renderer.shadow_interleave = options.aa % 2 == 0  # downsample() averages 2x2 blocks
    renderer.reduce = 2 if options.aa == 2 else 1  # GL box-filters 2x2 supersampling
    return platform, renderer


def warm_up(renderer, options: RenderOptions, ambient: float) -> None:
    """Draw one triangle of each kind the real render draws, with the same flags."""
    import pyrender
    from pyrender.constants import RenderFlags

    from ldscene.ldraw.colours import Colour
    from ldscene.render.raster.materials import (
        line_material,
        pyrender_material,
        shadow_catcher_material,
    )
    from ldscene.render.raster.offscreen import conditional_line_primitive
    from ldscene.render.raster.shadows import make_shadow_texture

    scene = pyrender.Scene(
        bg_color=np.array([1.0, 1.0, 1.0, 1.0]), ambient_light=np.full(3, ambient)
    )
    tri = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], np.float32)
    normals = np.tile(np.array([0, 0, 1], np.float32), (3, 1))
    indices = np.array([[0, 1, 2]], np.uint32)
    poses = np.eye(4)[None]
    solid = Colour(0, "warm-up", (0.5, 0.5, 0.5), (0.2, 0.2, 0.2))
    glass = Colour(0, "warm-up glass", (0.5, 0.5, 0.5), (0.2, 0.2, 0.2), alpha=0.5)
    for colour in (solid, glass):
        prim = pyrender.Primitive(
            tri, normals, indices=indices, material=pyrender_material(colour), poses=poses
        )
        scene.add(pyrender.Mesh([prim]))
    if options.edges:
        colours = np.ones((3, 4), np.float32)
        prim = pyrender.Primitive(  # with outline sizes, as offscreen.py's edge lines
            tri[:2],
            color_0=colours[:2],
            texcoord_0=np.full((2, 2), 100.0, np.float32),
            indices=np.array([[0, 1]], np.uint32),
            material=line_material(),
            mode=1,
            poses=poses,
        )
        scene.add(pyrender.Mesh([prim]))
        if options.conditional_lines:
            line = np.array([[[0, 0, 0], [0, 1, 0], [1, 0, 1], [-1, 0, 1]]], np.float32)
            prim = conditional_line_primitive(pyrender, line, colours[:1], poses)
            scene.add(pyrender.Mesh([prim]))
    if options.ground:  # the floor's shadow catcher, as offscreen.py adds it
        prim = pyrender.Primitive(tri, normals, indices=indices, material=shadow_catcher_material())
        scene.add(pyrender.Mesh([prim]))
    key = pyrender.DirectionalLight(color=np.ones(3), intensity=1.0, name="key")
    if options.shadows:
        key.shadow_texture = make_shadow_texture(options.shadow_size)
    scene.add(key, name="key")
    scene.add(pyrender.PointLight(color=np.ones(3), intensity=1.0), pose=_pose([0, 0, 5]))
    camera = pyrender.PerspectiveCamera(yfov=0.5, znear=0.1, zfar=10.0)
    scene.main_camera_node = scene.add(camera, pose=_pose([0.3, 0.3, 3]))
    flags = RenderFlags.OFFSCREEN | RenderFlags.RGBA
    if options.shadows:
        flags |= RenderFlags.SHADOWS_DIRECTIONAL
    # Fitted shadow map: pyrender's own fit reads scene.bounds, which imports all of trimesh.
    renderer.shadow_points = tri
    # A small frame: llvmpipe's compiles depend on the pipeline states, not on the frame's
    # size, and a full-size one spent 0.09 s on pixels (clears, AO, blit, read-back).  The
    # real render reallocates its framebuffers at its own size.
    size = renderer.viewport_width, renderer.viewport_height
    renderer.viewport_width, renderer.viewport_height = WARM_UP_FRAME
    try:
        renderer.render(scene, flags)
    finally:
        renderer.viewport_width, renderer.viewport_height = size
    renderer.shadow_points = None
    renderer.node_centres.clear()


def _pose(position) -> np.ndarray:
    pose = np.eye(4)
    pose[:3, 3] = position
    return pose


def _release_current() -> None:
    """Detach this thread's EGL context so another thread can make it current."""
    from OpenGL.EGL import (
        EGL_NO_CONTEXT,
        EGL_NO_SURFACE,
        eglGetCurrentDisplay,
        eglMakeCurrent,
    )

    display = eglGetCurrentDisplay()
    if display:
        eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT)


def _bind_gl_api() -> None:
    """EGL's current API is per thread (default OpenGL ES): desktop GL, as the warm thread had."""
    if os.environ.get("PYOPENGL_PLATFORM", "").lower() == "egl":
        from OpenGL.EGL import EGL_OPENGL_API, eglBindAPI

        eglBindAPI(EGL_OPENGL_API)
