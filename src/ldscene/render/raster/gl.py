"""Headless OpenGL platform selection and the lazy pyrender import.

PyOpenGL reads PYOPENGL_PLATFORM once, when it is first imported, so the choice happens here
before anything imports OpenGL or pyrender.  The default is EGL: on a machine with a GPU its
driver's EGL device, otherwise Mesa's software device (llvmpipe).  OSMesa works but leaks
memory on every draw call, so it is used only when asked for.  A user's PYOPENGL_PLATFORM
(and EGL_DEVICE_ID) always win.
"""

from __future__ import annotations

import contextlib
import os
import sys
from types import ModuleType

from ldscene.errors import LdsceneError
from ldscene.render.raster.lazy_trimesh import defer_trimesh
from ldscene.render.raster.pyrender_adapter import egl_device_extensions, use_fast_node_matrices
from ldscene.render.raster.transform_tree import networkx_stand_in

#: apt packages that provide headless EGL on Debian/Ubuntu.
APT_HINT = "install libegl1 libegl-mesa0 libgl1-mesa-dri libgl1 libopengl0 (Debian/Ubuntu)"

_MESA_SOFTWARE_EXT = "EGL_MESA_device_software"


def choose_platform() -> str:
    """Set PYOPENGL_PLATFORM (to "egl" unless the user set it) and return it."""
    platform = os.environ.get("PYOPENGL_PLATFORM", "").strip().lower()
    if not platform:
        if "OpenGL" in sys.modules:
            # Someone imported PyOpenGL already (e.g. an on-screen viewer): its choice stands.
            return "default"
        platform = "egl"
        os.environ["PYOPENGL_PLATFORM"] = platform
    return platform


def import_pyrender() -> ModuleType:
    """Import pyrender with a headless platform, turning missing GL libraries into one line."""
    platform = choose_platform()
    headless = platform in ("egl", "osmesa") and "pyrender" not in sys.modules
    if headless:
        _skip_pyrender_viewer()
        defer_trimesh()
    try:
        with networkx_stand_in() if headless else contextlib.nullcontext():
            import pyrender
    except (ImportError, OSError, AttributeError) as err:  # missing libEGL/libGL and friends
        hint = APT_HINT
        if platform == "osmesa":
            hint = "install libosmesa6, or unset PYOPENGL_PLATFORM"
        raise LdsceneError(
            f"offscreen rendering is unavailable: cannot load OpenGL ({platform}): {err}",
            hint=hint,
        ) from None
    use_fast_node_matrices()
    return pyrender


def _skip_pyrender_viewer() -> None:
    """Stand in for `pyrender.viewer`, which `import pyrender` loads eagerly.

    Its on-screen Viewer (pyglet, imageio: about 0.1 s to import, and libGL/libXrender to
    load) cannot run in a process whose PyOpenGL platform is headless anyway.
    """
    stub = ModuleType("pyrender.viewer")

    class Viewer:
        def __init__(self, *args, **kwargs) -> None:
            raise LdsceneError(
                "pyrender's on-screen viewer is unavailable in a headless (EGL/OSMesa) process"
            )

    stub.Viewer = Viewer  # type: ignore[attr-defined]
    sys.modules.setdefault("pyrender.viewer", stub)


def egl_device_index() -> int:
    """EGL device to render on: EGL_DEVICE_ID if set, else the first hardware device, else 0."""
    explicit = os.environ.get("EGL_DEVICE_ID")
    if explicit not in (None, ""):
        try:
            return int(explicit)
        except ValueError:
            raise LdsceneError(f"EGL_DEVICE_ID={explicit!r} is not a number") from None
    try:
        from pyrender.platforms import egl

        devices = egl.query_devices()
        for index, extensions in enumerate(egl_device_extensions(devices)):
            if _MESA_SOFTWARE_EXT.encode() not in extensions:
                return index
    except Exception:  # no device enumeration: let EGL pick its default
        pass
    return 0


def create_platform(width: int, height: int):
    """An initialised, current pyrender platform (GL context) of the chosen kind."""
    import_pyrender()
    platform = os.environ.get("PYOPENGL_PLATFORM", "egl").lower()
    try:
        if platform == "egl":
            from pyrender.platforms import egl

            index = egl_device_index()
            try:
                device = egl.get_device_by_index(index)
            except Exception:
                device = egl.get_default_device()
            ctx = egl.EGLPlatform(width, height, device=device)
        elif platform == "osmesa":
            from pyrender.platforms.osmesa import OSMesaPlatform

            ctx = OSMesaPlatform(width, height)
        else:
            from pyrender.platforms.pyglet_platform import PygletPlatform

            ctx = PygletPlatform(width, height)
        ctx.init_context()
        ctx.make_current()
    except LdsceneError:
        raise
    except Exception as err:
        raise LdsceneError(
            f"cannot create an OpenGL context ({platform}): {err}", hint=APT_HINT
        ) from None
    return ctx


def gl_info() -> dict[str, str]:
    """Vendor/renderer/version strings of the current context (shown by `render --timings`)."""
    from OpenGL import GL

    def text(name: int) -> str:
        value = GL.glGetString(name)
        return value.decode(errors="replace") if value else "?"

    return {
        "vendor": text(GL.GL_VENDOR),
        "renderer": text(GL.GL_RENDERER),
        "version": text(GL.GL_VERSION),
    }
