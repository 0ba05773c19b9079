"""The key light's shadow map for `LdRenderer` (a mixin over pyrender's Renderer).

The map is fitted tightly to the model in light space, skips lines, glass and faces turned
away from the light, and is sampled with hardware-filtered PCF (see glrenderer.py's docstring).
Imported only after `ldscene.render.raster.gl.import_pyrender()`.
"""

from __future__ import annotations

import numpy as np
import pyrender
from OpenGL.GL import (
    GL_BACK,
    GL_CLAMP_TO_BORDER,
    GL_COMPARE_REF_TO_TEXTURE,
    GL_CULL_FACE,
    GL_FLOAT,
    GL_LEQUAL,
    GL_LESS,
    GL_LINEAR,
    GL_POLYGON_OFFSET_FILL,
    GL_TEXTURE0,
    GL_TEXTURE_2D,
    GL_TEXTURE_COMPARE_FUNC,
    GL_TEXTURE_COMPARE_MODE,
    glActiveTexture,
    glBindTexture,
    glBindVertexArray,
    glCullFace,
    glDepthFunc,
    glEnable,
    glFlush,
    glPolygonOffset,
    glTexParameteri,
    glViewport,
)
from pyrender.constants import GLTF, ProgramFlags, RenderFlags

from ldscene.render.raster.materials import GLASS_LINES, LINES, SHADOW_CATCHER
from ldscene.render.raster.pyrender_adapter import bind, texture_id, unbind


def make_shadow_texture(size: int):
    """A depth texture the shader samples with hardware comparison (2x2 bilinear PCF)."""
    sampler = pyrender.Sampler(
        magFilter=GL_LINEAR, minFilter=GL_LINEAR, wrapS=GL_CLAMP_TO_BORDER, wrapT=GL_CLAMP_TO_BORDER
    )
    return pyrender.Texture(
        width=size, height=size, source_channels="D", data_format=GL_FLOAT, sampler=sampler
    )


def switch_program(current, program, V: np.ndarray, P: np.ndarray) -> None:
    """Unbind `current` (if any), bind `program` and give it the camera matrices."""
    if current is not None:
        unbind(current)
    bind(program)
    program.set_uniform("V", V)
    program.set_uniform("P", P)


class ShadowPass:
    """LdRenderer's key-light shadow map: a light camera fitted to the model, a depth-only
    pass over opaque faces turned to the light (without a primitive's indices past its
    `shadow_count`: stud tubes, and studs when drawn fast), and hardware depth comparison
    (PCF)."""

    def _shadow_pass(self, scene, light_node) -> None:
        light = light_node.light
        self._configure_shadow_mapping_viewport(light, RenderFlags.NONE)
        glEnable(GL_POLYGON_OFFSET_FILL)
        glPolygonOffset(2.0, 2.0)
        V, P = self._get_light_cam_matrices(scene, light_node, RenderFlags.NONE)
        # Only faces towards the light: for closed parts the map is the same, for half the work.
        glEnable(GL_CULL_FACE)
        glCullFace(GL_BACK)
        current = None
        for node in scene.mesh_nodes:
            mesh = node.mesh
            material = mesh.primitives[0].material
            if (
                not mesh.is_visible
                or mesh.is_transparent
                or material.name in (LINES, GLASS_LINES, SHADOW_CATCHER)
            ):
                continue
            pose = self._pose(scene, node)
            for primitive in mesh.primitives:
                if primitive.mode != GLTF.TRIANGLES:
                    continue
                program = self._program_for(primitive, RenderFlags.NONE, ProgramFlags.NONE)
                if program is not current:
                    switch_program(current, program, V, P)
                    current = program
                self._uniform(program, "M", pose, "m4")
                count = getattr(primitive, "shadow_count", None)
                if count != 0:
                    self._draw_call(primitive, count)
        glBindVertexArray(0)
        if current is not None:
            unbind(current)
        glPolygonOffset(1.0, 1.0)
        glFlush()

    def _get_light_cam_matrices(self, scene, light_node, flags):
        """Orthographic light camera fitted to `shadow_points` in light space."""
        pose = scene.get_pose(light_node).copy()
        points = self.shadow_points
        if points is None or not len(points):
            return super()._get_light_cam_matrices(scene, light_node, flags)
        rot = pose[:3, :3]
        local = points @ rot  # light-space coordinates (x, y, z towards the light)
        lo, hi = local.min(axis=0), local.max(axis=0)
        centre = (lo + hi) / 2
        span = max(float((hi - lo).max()), 1e-6)
        pad = 0.05 * span
        pose[:3, 3] = rot @ np.array([centre[0], centre[1], hi[2] + pad])
        xmag = (hi[0] - lo[0]) / 2 * 1.02 + 1e-6
        ymag = (hi[1] - lo[1]) / 2 * 1.02 + 1e-6
        znear, zfar = pad * 0.5, (hi[2] - lo[2]) + 2 * pad
        P = np.array(
            [
                [1 / xmag, 0, 0, 0],
                [0, 1 / ymag, 0, 0],
                [0, 0, 2 / (znear - zfar), (zfar + znear) / (znear - zfar)],
                [0, 0, 0, 1],
            ]
        )
        return np.linalg.inv(pose), P

    def _configure_shadow_mapping_viewport(self, light, flags):
        super()._configure_shadow_mapping_viewport(light, flags)
        size = light.shadow_texture.width
        glViewport(0, 0, size, size)
        glDepthFunc(GL_LESS)

    def _update_context(self, scene, flags):
        super()._update_context(scene, flags)
        for texture in self._shadow_textures:
            texid = texture_id(texture)
            if texid is not None and texid not in self._compare_ready:
                glActiveTexture(GL_TEXTURE0)
                glBindTexture(GL_TEXTURE_2D, texid)
                glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_COMPARE_MODE, GL_COMPARE_REF_TO_TEXTURE)
                glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_COMPARE_FUNC, GL_LEQUAL)
                glBindTexture(GL_TEXTURE_2D, 0)
                self._compare_ready.add(texid)
