"""Every reach into pyrender's private members, in one place (issue #15 item 6).

pyrender (the `pyrender2` fork, pinned `>=0.2.2,<0.3`) has no public API for what the raster
engine needs: binding a program, primitive or texture by hand, a program's or texture's GL
name, the EGL device query, the trackball's target, closing the viewer from a signal handler.
Other modules call the functions here instead of touching `obj._member` themselves, and
`LdRenderer`, `LeanPrimitive` and `LdViewer` (subclasses of pyrender's classes) use only the
inherited private members listed in `SUBCLASS_INTERNALS`.  tests/test_pyrender_adapter.py checks
these assumptions against the installed pyrender, so an upgrade that breaks one fails there.
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np

#: pyrender's private members that ldscene's subclasses read, set or override, by base class.
SUBCLASS_INTERNALS: dict[str, tuple[str, ...]] = {
    # LdRenderer (glrenderer.py): framebuffers it reconfigures, the passes it replaces
    "pyrender.renderer.Renderer": (
        "_bind_lighting",
        "_compute_max_n_lights",
        "_configure_forward_pass_viewport",
        "_configure_main_framebuffer",
        "_configure_shadow_mapping_viewport",
        "_delete_main_framebuffer",
        "_get_camera_matrices",
        "_get_light_cam_matrices",
        "_get_primitive_program",
        "_read_main_framebuffer",
        "_reset_active_textures",
        "_update_context",
        # attributes set in Renderer.__init__ / _configure_main_framebuffer
        "_latest_zfar",
        "_latest_znear",
        "_main_cb",
        "_main_cb_ms",
        "_main_db",
        "_main_db_ms",
        "_main_fb",
        "_main_fb_dims",
        "_main_fb_ms",
        "_program_cache",
        "_shadow_textures",
    ),
    # LeanPrimitive (upload.py): the upload it replaces and the GL names it fills in
    "pyrender.primitive.Primitive": ("_add_to_context", "_vaid", "_buffers", "_indices"),
    # LdViewer (viewer_window.py): the viewer's state it drives
    "pyrender.viewer.Viewer": (
        "_camera_node",
        "_default_camera_pose",
        "_is_active",
        "_render",
        "_renderer",
        "_reset_view",
        "_rotate",
        "_should_close",
        "_trackball",
        "_viewport_size",
    ),
}


def bind(obj: Any) -> None:
    """Make a pyrender ShaderProgram, Primitive or Texture current (pyrender's `_bind`)."""
    obj._bind()


def unbind(obj: Any) -> None:
    """Undo `bind` (pyrender's `_unbind`)."""
    obj._unbind()


def program_id(program: Any) -> int:
    """The GL name of a pyrender ShaderProgram (for glGetUniformLocation and caches)."""
    return program._program_id


def texture_id(texture: Any) -> int | None:
    """The GL name of a pyrender Texture; None until it is uploaded."""
    return texture._texid


def upload_scene(renderer: Any, scene: Any, flags: int) -> None:
    """Upload every mesh, texture and shadow map of `scene` now (pyrender does it at the first
    draw, in `Renderer._update_context`)."""
    renderer._update_context(scene, flags)


def trackball_target(trackball: Any) -> Any:
    """The point a pyrender Trackball orbits (pyrender keeps it private)."""
    return trackball._n_target


def close_viewer(viewer: Any) -> None:
    """Ask a running pyrender Viewer to close at its next event-loop tick (safe from signals)."""
    viewer._should_close = True


def egl_device_extensions(devices: list) -> list[bytes]:
    """Each EGL device's extension string (empty where EGL cannot be asked)."""
    from pyrender.platforms import egl

    query = egl._get_egl_func("eglQueryDeviceStringEXT", ctypes.c_char_p)
    if query is None:
        return [b""] * len(devices)
    return [query(device._display, 0x3055) or b"" for device in devices]  # EGL_EXTENSIONS


#: transformations.quaternion_matrix's threshold below which a quaternion means no rotation.
_QUATERNION_EPS = float(np.finfo(float).eps) * 4.0


def node_matrix(translation: Any, quaternion: Any, scale: Any) -> np.ndarray:
    """A pyrender node's 4x4 matrix from its translation, rotation (quaternion x, y, z, w, as
    pyrender keeps it) and scale: pyrender's `Node._m_from_tqs` (T @ R @ S, the quaternion
    normalised, a near-zero one the identity), built in one array."""
    x, y, z, w = (float(v) for v in quaternion)
    sx, sy, sz = (float(v) for v in scale)
    tx, ty, tz = (float(v) for v in translation)
    n = x * x + y * y + z * z + w * w
    k = 0.0 if n < _QUATERNION_EPS else 2.0 / n
    return np.array(
        [
            [
                (1 - k * (y * y + z * z)) * sx,
                k * (x * y - z * w) * sy,
                k * (x * z + y * w) * sz,
                tx,
            ],
            [
                k * (x * y + z * w) * sx,
                (1 - k * (x * x + z * z)) * sy,
                k * (y * z - x * w) * sz,
                ty,
            ],
            [
                k * (x * z - y * w) * sx,
                k * (y * z + x * w) * sy,
                (1 - k * (x * x + y * y)) * sz,
                tz,
            ],
            [0.0, 0.0, 0.0, 1.0],
        ]
    )


def use_fast_node_matrices() -> None:
    """Make pyrender build node matrices with `node_matrix`.

    pyrender's own makes four 4x4 arrays, a quaternion matrix and two products per node,
    0.15 ms each, and a render's first frame asks for every node's pose once: measured on
    the Millennium Falcon's 999 nodes, 0.21 s that way against 0.06 s this way."""
    from pyrender.node import Node

    Node._m_from_tqs = staticmethod(node_matrix)
