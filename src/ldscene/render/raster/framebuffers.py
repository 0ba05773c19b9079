"""Framebuffers and read-back for `LdRenderer` (a mixin over pyrender's Renderer).

pyrender hard-codes 4x MSAA (2-3x slower on llvmpipe); this keeps one sample and supersamples
instead, box-filtering 2x2 on the GL side by a linear blit before reading the colour back.
Imported only after `ldscene.render.raster.gl.import_pyrender()`.
"""

from __future__ import annotations

import numpy as np
from OpenGL.GL import (
    GL_COLOR_ATTACHMENT0,
    GL_COLOR_BUFFER_BIT,
    GL_DEPTH_ATTACHMENT,
    GL_DEPTH_COMPONENT,
    GL_DEPTH_COMPONENT24,
    GL_DRAW_FRAMEBUFFER,
    GL_FRAMEBUFFER,
    GL_LINEAR,
    GL_NEAREST,
    GL_READ_FRAMEBUFFER,
    GL_RENDERBUFFER,
    GL_RGBA,
    GL_SRGB8_ALPHA8,
    GL_TEXTURE_2D,
    GL_TEXTURE_MAG_FILTER,
    GL_TEXTURE_MIN_FILTER,
    GL_UNSIGNED_BYTE,
    GL_UNSIGNED_INT,
    glBindFramebuffer,
    glBindRenderbuffer,
    glBindTexture,
    glBlitFramebuffer,
    glDeleteFramebuffers,
    glDeleteRenderbuffers,
    glDeleteTextures,
    glFramebufferRenderbuffer,
    glFramebufferTexture2D,
    glGenFramebuffers,
    glGenRenderbuffers,
    glGenTextures,
    glReadPixels,
    glRenderbufferStorage,
    glTexImage2D,
    glTexParameteri,
    glViewport,
)


def _colour_framebuffer(width: int, height: int) -> tuple[int, int]:
    """A new framebuffer (left bound for drawing) with an sRGB colour renderbuffer: both names."""
    colour = glGenRenderbuffers(1)
    glBindRenderbuffer(GL_RENDERBUFFER, colour)
    glRenderbufferStorage(GL_RENDERBUFFER, GL_SRGB8_ALPHA8, width, height)
    framebuffer = glGenFramebuffers(1)
    glBindFramebuffer(GL_DRAW_FRAMEBUFFER, framebuffer)
    glFramebufferRenderbuffer(GL_DRAW_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_RENDERBUFFER, colour)
    return framebuffer, colour


class Framebuffers:
    """LdRenderer's framebuffers: a single-sampled sRGB colour buffer with a depth texture
    (read by ambient occlusion), a half-size one that 2x2 supersampled images are blitted
    into, and the read-back of the colour buffer only."""

    def _shade_occlusion(self, P: np.ndarray) -> None:
        """Ambient occlusion from the depth of the opaque geometry and the floor, multiplied
        into what is drawn so far: before the glass, whose depth must not count and through
        which the crevices behind it must not show as smudges on its face."""
        from ldscene.render.raster.ambient import AmbientOcclusion

        if self._ambient is None:
            self._ambient = AmbientOcclusion()
        self._ambient.measure(self._depth_texture, self._main_fb_dims, self.reduce, P)
        # The image is the main framebuffer: its depth texture is detached meanwhile.
        glBindFramebuffer(GL_DRAW_FRAMEBUFFER, self._main_fb)
        glFramebufferTexture2D(GL_DRAW_FRAMEBUFFER, GL_DEPTH_ATTACHMENT, GL_TEXTURE_2D, 0, 0)
        self._ambient.apply(self._main_fb, self._main_fb_dims, self._depth_texture, self.reduce)
        glBindFramebuffer(GL_DRAW_FRAMEBUFFER, self._main_fb)
        glFramebufferTexture2D(
            GL_DRAW_FRAMEBUFFER, GL_DEPTH_ATTACHMENT, GL_TEXTURE_2D, self._depth_texture, 0
        )
        glViewport(0, 0, *self._main_fb_dims)

    def _configure_main_framebuffer(self):
        if self._main_fb is not None and (self.viewport_width, self.viewport_height) != tuple(
            self._main_fb_dims
        ):
            self._delete_main_framebuffer()
        if self._main_fb is not None:
            return
        w, h = self.viewport_width, self.viewport_height
        # Depth is a texture, so that the ambient occlusion pass can read it.
        self._depth_texture = glGenTextures(1)
        glBindTexture(GL_TEXTURE_2D, self._depth_texture)
        glTexImage2D(
            GL_TEXTURE_2D,
            0,
            GL_DEPTH_COMPONENT24,
            w,
            h,
            0,
            GL_DEPTH_COMPONENT,
            GL_UNSIGNED_INT,
            None,
        )
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST)
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST)
        glBindTexture(GL_TEXTURE_2D, 0)
        self._main_fb, self._main_cb = _colour_framebuffer(w, h)
        glFramebufferTexture2D(
            GL_DRAW_FRAMEBUFFER, GL_DEPTH_ATTACHMENT, GL_TEXTURE_2D, self._depth_texture, 0
        )
        self._main_fb_ms = self._main_fb  # no multisampling: we supersample instead
        self._main_fb_dims = (w, h)

    def _small_framebuffer(self, width: int, height: int) -> int:
        """The half-size colour framebuffer that 2x2 supersampled images are resolved into."""
        if self._small_fb is None:
            self._small_fb, self._small_cb = _colour_framebuffer(width, height)
        return self._small_fb

    def _delete_main_framebuffer(self):
        if self._small_fb is not None:
            glDeleteFramebuffers(1, [self._small_fb])
            glDeleteRenderbuffers(1, [self._small_cb])
            self._small_fb = self._small_cb = None
        if self._main_fb is not None:
            glDeleteFramebuffers(1, [self._main_fb])
        if self._main_cb is not None:
            glDeleteRenderbuffers(1, [self._main_cb])
        if self._depth_texture is not None:
            glDeleteTextures(1, [self._depth_texture])
            self._depth_texture = None
        self._main_fb = self._main_cb = self._main_db = None
        self._main_fb_ms = self._main_cb_ms = self._main_db_ms = None
        self._main_fb_dims = (None, None)

    def _read_main_framebuffer(self, scene, flags):
        width, height = self._main_fb_dims
        glBindFramebuffer(GL_READ_FRAMEBUFFER, self._main_fb)
        if self.reduce == 2:
            width, height = width // 2, height // 2
            glBindFramebuffer(GL_DRAW_FRAMEBUFFER, self._small_framebuffer(width, height))
            # sRGB conversion is off (GL_FRAMEBUFFER_SRGB disabled): the blit averages the
            # stored values, as a CPU box filter of the read-back image would.  Each output
            # pixel centre falls between four source pixels, so GL_LINEAR is a 2x2 box.
            glBlitFramebuffer(
                0, 0, 2 * width, 2 * height, 0, 0, width, height, GL_COLOR_BUFFER_BIT, GL_LINEAR
            )
            glBindFramebuffer(GL_READ_FRAMEBUFFER, self._small_fb)
        data = glReadPixels(0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE)
        image = np.frombuffer(data, np.uint8).reshape(height, width, 4)
        glBindFramebuffer(GL_FRAMEBUFFER, 0)
        return np.flip(image, axis=0), None
