"""Rendering: the engine-neutral description and two engines, raster/ (OpenGL previews,
pyrender, headless EGL) and path/ (photo-real path tracing, Mitsuba 3).

Importing this package does not import pyrender or OpenGL; that happens on the first render.
"""

from ldscene.render.images import save_image
from ldscene.render.options import NAMED_VIEWS, RenderOptions, View
from ldscene.render.raster.offscreen import ModelRenderer, render_model, render_turntable

__all__ = [
    "NAMED_VIEWS",
    "ModelRenderer",
    "RenderOptions",
    "View",
    "render_model",
    "render_turntable",
    "save_image",
]
