"""Offscreen rendering of LDraw models (pyrender, headless EGL).

Importing this package does not import pyrender or OpenGL; that happens on the first render.
"""

from ldscene.render.offscreen import (
    ModelRenderer,
    render_model,
    render_turntable,
    save_image,
)
from ldscene.render.options import NAMED_VIEWS, RenderOptions, View

__all__ = [
    "NAMED_VIEWS",
    "ModelRenderer",
    "RenderOptions",
    "View",
    "render_model",
    "render_turntable",
    "save_image",
]
