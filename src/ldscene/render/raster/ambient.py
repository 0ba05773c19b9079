"""Screen-space ambient occlusion for the raster engine: contact shading in crevices.

One full-screen pass after the opaque geometry (and the floor) and before the glass: it reads
the depth buffer and multiplies the colour buffer by how open each pixel is (shaders/ao.frag),
in linear light.  No normal buffer and no extra geometry pass: the only cost is the
full-screen pass itself, a few milliseconds on a GPU and tens of them on llvmpipe.
"""

from __future__ import annotations

import os

import numpy as np
from OpenGL.GL import (
    GL_BLEND,
    GL_CULL_FACE,
    GL_DEPTH_ATTACHMENT,
    GL_DEPTH_TEST,
    GL_DRAW_FRAMEBUFFER,
    GL_FRAGMENT_SHADER,
    GL_ONE,
    GL_ONE_MINUS_SRC_ALPHA,
    GL_SRC_COLOR,
    GL_TEXTURE0,
    GL_TEXTURE_2D,
    GL_TRIANGLES,
    GL_TRUE,
    GL_VERTEX_SHADER,
    GL_ZERO,
    glActiveTexture,
    glBindTexture,
    glBindVertexArray,
    glBlendFuncSeparate,
    glDeleteProgram,
    glDeleteVertexArrays,
    glDepthMask,
    glDisable,
    glDrawArrays,
    glEnable,
    glFramebufferTexture2D,
    glGenVertexArrays,
    glGetUniformLocation,
    glUniform1f,
    glUniform1i,
    glUniform2f,
    glUniformMatrix4fv,
    glUseProgram,
)
from OpenGL.GL.shaders import compileProgram, compileShader

SHADER_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "shaders")

#: World radius (LDU) of the neighbourhood that occludes: one and a half studs' pitch, so the
#: gaps between bricks, inside corners, the courtyard under a wall-walk and the floor around a
#: model darken, while a brick's side next to the floor does not turn black.
RADIUS = 30.0
#: How strongly occluders darken (tuned by eye on a lone brick, the castle and the rubble).
STRENGTH = 0.6


class AmbientOcclusion:
    """The compiled pass; one per GL context."""

    def __init__(self) -> None:
        def source(name: str) -> str:
            with open(os.path.join(SHADER_DIR, name), encoding="utf-8") as handle:
                return handle.read()

        self._program = compileProgram(
            compileShader(source("ao.vert"), GL_VERTEX_SHADER),
            compileShader(source("ao.frag"), GL_FRAGMENT_SHADER),
            validate=False,
        )
        self._vao = glGenVertexArrays(1)  # core profile: a draw needs a bound vertex array
        self._locations = {
            name: glGetUniformLocation(self._program, name)
            for name in (
                "depth_map",
                "inverse_projection",
                "size",
                "pixel_scale",
                "ortho",
                "radius",
                "strength",
            )
        }

    def apply(self, depth_texture: int, width: int, height: int, projection: np.ndarray) -> None:
        """Darken the bound draw framebuffer (sRGB writes on) from `depth_texture`, which is
        detached from it meanwhile so the pass does not read what it writes."""
        loc = self._locations
        ortho = abs(projection[3, 3] - 1.0) < 1e-9
        glFramebufferTexture2D(GL_DRAW_FRAMEBUFFER, GL_DEPTH_ATTACHMENT, GL_TEXTURE_2D, 0, 0)
        glDisable(GL_DEPTH_TEST)
        glDisable(GL_CULL_FACE)
        glDepthMask(False)
        glEnable(GL_BLEND)
        # colour: dst * open; alpha (transparent backgrounds): the floor's contact shadow adds
        # coverage as its shadow does, dst + (1 - dst) * (1 - open).
        glBlendFuncSeparate(GL_ZERO, GL_SRC_COLOR, GL_ONE, GL_ONE_MINUS_SRC_ALPHA)
        glUseProgram(self._program)
        glActiveTexture(GL_TEXTURE0)
        glBindTexture(GL_TEXTURE_2D, depth_texture)
        glUniform1i(loc["depth_map"], 0)
        inverse = np.linalg.inv(projection).astype(np.float32)
        glUniformMatrix4fv(loc["inverse_projection"], 1, GL_TRUE, inverse)
        glUniform2f(loc["size"], float(width), float(height))
        glUniform1f(loc["pixel_scale"], float(projection[1, 1]) * height / 2.0)
        glUniform1i(loc["ortho"], int(ortho))
        glUniform1f(loc["radius"], RADIUS)
        glUniform1f(loc["strength"], STRENGTH)
        glBindVertexArray(self._vao)
        glDrawArrays(GL_TRIANGLES, 0, 3)
        glBindVertexArray(0)
        glUseProgram(0)
        glBindTexture(GL_TEXTURE_2D, 0)
        glFramebufferTexture2D(
            GL_DRAW_FRAMEBUFFER, GL_DEPTH_ATTACHMENT, GL_TEXTURE_2D, depth_texture, 0
        )
        glEnable(GL_DEPTH_TEST)
        glDepthMask(True)

    def delete(self) -> None:
        glDeleteVertexArrays(1, [self._vao])
        glDeleteProgram(self._program)
