"""Screen-space ambient occlusion for the raster engine: contact shading in crevices.

Two full-screen passes after the opaque geometry and before the glass (whose depth must not
count, and through which the crevices behind it must not show): shaders/ao.frag reads the
depth buffer and writes how open each output pixel is into a one-channel texture, and
shaders/ao_apply.frag blurs that over 4x4 output pixels and multiplies it into the image drawn
so far (each supersampled pixel by its output pixel's), in linear light.  No normal buffer and
no extra geometry pass, so the cost does not grow with the model.
"""

from __future__ import annotations

import os

import numpy as np
from OpenGL.GL import (
    GL_BLEND,
    GL_CLAMP_TO_EDGE,
    GL_COLOR_ATTACHMENT0,
    GL_COLOR_BUFFER_BIT,
    GL_CULL_FACE,
    GL_DEPTH_TEST,
    GL_DRAW_FRAMEBUFFER,
    GL_FRAGMENT_SHADER,
    GL_FRAMEBUFFER_SRGB,
    GL_LINEAR,
    GL_ONE,
    GL_ONE_MINUS_SRC_ALPHA,
    GL_R8,
    GL_RED,
    GL_SRC_COLOR,
    GL_TEXTURE0,
    GL_TEXTURE1,
    GL_TEXTURE_2D,
    GL_TEXTURE_MAG_FILTER,
    GL_TEXTURE_MIN_FILTER,
    GL_TEXTURE_WRAP_S,
    GL_TEXTURE_WRAP_T,
    GL_TRIANGLES,
    GL_TRUE,
    GL_UNSIGNED_BYTE,
    GL_VERTEX_SHADER,
    GL_ZERO,
    glActiveTexture,
    glBindFramebuffer,
    glBindTexture,
    glBindVertexArray,
    glBlendFuncSeparate,
    glClear,
    glClearColor,
    glDeleteFramebuffers,
    glDeleteProgram,
    glDeleteTextures,
    glDeleteVertexArrays,
    glDepthMask,
    glDisable,
    glDrawArrays,
    glEnable,
    glFramebufferTexture2D,
    glGenFramebuffers,
    glGenTextures,
    glGenVertexArrays,
    glGetUniformLocation,
    glTexImage2D,
    glTexParameteri,
    glUniform1f,
    glUniform1i,
    glUniform2f,
    glUniformMatrix4fv,
    glUseProgram,
    glViewport,
)
from OpenGL.GL.shaders import compileProgram, compileShader

SHADER_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "shaders")

#: World radius (LDU) of the neighbourhood that occludes: one and a half studs' pitch, so the
#: gaps between bricks, inside corners, the courtyard under a wall-walk and the floor around a
#: model darken, while a brick's side next to the floor does not turn black.
RADIUS = 30.0
#: How strongly occluders darken (tuned by eye on a lone brick, the castle and the rubble).
STRENGTH = 0.6


def _program(vertex: str, fragment: str) -> int:
    def source(name: str) -> str:
        with open(os.path.join(SHADER_DIR, name), encoding="utf-8") as handle:
            return handle.read()

    return compileProgram(
        compileShader(source(vertex), GL_VERTEX_SHADER),
        compileShader(source(fragment), GL_FRAGMENT_SHADER),
        validate=False,
    )


class AmbientOcclusion:
    """The compiled passes and their one-channel target; one per GL context."""

    def __init__(self) -> None:
        self._occlusion = _program("ao.vert", "ao.frag")
        self._apply = _program("ao.vert", "ao_apply.frag")
        self._vao = glGenVertexArrays(1)  # core profile: a draw needs a bound vertex array
        self._texture = glGenTextures(1)
        self._framebuffer = glGenFramebuffers(1)
        self._size: tuple[int, int] | None = None

    def _target(self, width: int, height: int) -> None:
        """The open-ness texture, (re)allocated at the output size."""
        if self._size == (width, height):
            return
        glBindTexture(GL_TEXTURE_2D, self._texture)
        glTexImage2D(GL_TEXTURE_2D, 0, GL_R8, width, height, 0, GL_RED, GL_UNSIGNED_BYTE, None)
        for parameter, value in (
            (GL_TEXTURE_MIN_FILTER, GL_LINEAR),
            (GL_TEXTURE_MAG_FILTER, GL_LINEAR),
            (GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE),
            (GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE),
        ):
            glTexParameteri(GL_TEXTURE_2D, parameter, value)
        glBindFramebuffer(GL_DRAW_FRAMEBUFFER, self._framebuffer)
        glFramebufferTexture2D(
            GL_DRAW_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, self._texture, 0
        )
        self._size = (width, height)

    def measure(
        self, depth_texture: int, depth_size: tuple[int, int], stride: int, projection: np.ndarray
    ) -> None:
        """Find how open each output pixel (depth_size // stride) is; leaves the draw
        framebuffer and the viewport changed."""
        width, height = depth_size[0] // stride, depth_size[1] // stride
        self._target(width, height)
        glDisable(GL_DEPTH_TEST)
        glDisable(GL_CULL_FACE)
        glDepthMask(False)
        glDisable(GL_BLEND)
        glBindVertexArray(self._vao)
        glActiveTexture(GL_TEXTURE0)
        glBindTexture(GL_TEXTURE_2D, depth_texture)

        glBindFramebuffer(GL_DRAW_FRAMEBUFFER, self._framebuffer)
        glViewport(0, 0, width, height)
        glClearColor(1.0, 1.0, 1.0, 1.0)
        glClear(GL_COLOR_BUFFER_BIT)
        glUseProgram(self._occlusion)
        self._set(self._occlusion, "depth_map", 0)
        inverse = np.linalg.inv(projection).astype(np.float32)
        glUniformMatrix4fv(
            glGetUniformLocation(self._occlusion, "inverse_projection"), 1, GL_TRUE, inverse
        )
        glUniform2f(glGetUniformLocation(self._occlusion, "size"), *map(float, depth_size))
        self._set(self._occlusion, "stride", stride)
        self._set(self._occlusion, "pixel_scale", float(projection[1, 1]) * depth_size[1] / 2)
        self._set(self._occlusion, "ortho", int(abs(projection[3, 3] - 1.0) < 1e-9))
        self._set(self._occlusion, "radius", RADIUS)
        self._set(self._occlusion, "strength", STRENGTH)
        glDrawArrays(GL_TRIANGLES, 0, 3)
        self._finish()

    def apply(self, target: int, size: tuple[int, int], depth_texture: int, stride: int) -> None:
        """Darken framebuffer `target` (of `size`: the output size times `stride`, the
        supersampling factor) by the last `measure`; `depth_texture` (which must not be
        attached to `target`) tells the background."""
        width, height = size
        glDisable(GL_DEPTH_TEST)
        glDepthMask(False)
        glBindVertexArray(self._vao)
        glActiveTexture(GL_TEXTURE0)
        glBindTexture(GL_TEXTURE_2D, depth_texture)
        glBindFramebuffer(GL_DRAW_FRAMEBUFFER, target)
        glViewport(0, 0, width, height)
        glEnable(GL_FRAMEBUFFER_SRGB)  # multiply in linear light
        glEnable(GL_BLEND)
        # colour: image * open; alpha (transparent backgrounds): the floor's contact shadow
        # adds coverage as its shadow does, a + (1 - a) * (1 - open).
        glBlendFuncSeparate(GL_ZERO, GL_SRC_COLOR, GL_ONE, GL_ONE_MINUS_SRC_ALPHA)
        glUseProgram(self._apply)
        glActiveTexture(GL_TEXTURE1)
        glBindTexture(GL_TEXTURE_2D, self._texture)
        self._set(self._apply, "open_map", 1)
        self._set(self._apply, "depth_map", 0)
        self._set(self._apply, "stride", stride)
        assert self._size is not None
        glUniform2f(glGetUniformLocation(self._apply, "out_size"), *map(float, self._size))
        glDrawArrays(GL_TRIANGLES, 0, 3)
        glDisable(GL_BLEND)
        glDisable(GL_FRAMEBUFFER_SRGB)
        glBindTexture(GL_TEXTURE_2D, 0)
        self._finish()

    @staticmethod
    def _finish() -> None:
        glActiveTexture(GL_TEXTURE0)
        glBindTexture(GL_TEXTURE_2D, 0)
        glBindVertexArray(0)
        glUseProgram(0)
        glEnable(GL_DEPTH_TEST)
        glDepthMask(True)

    @staticmethod
    def _set(program: int, name: str, value: int | float) -> None:
        location = glGetUniformLocation(program, name)
        (glUniform1i if isinstance(value, int) else glUniform1f)(location, value)

    def delete(self) -> None:
        glDeleteFramebuffers(1, [self._framebuffer])
        glDeleteTextures(1, [self._texture])
        glDeleteVertexArrays(1, [self._vao])
        glDeleteProgram(self._occlusion)
        glDeleteProgram(self._apply)
