"""A leaner GPU upload of instanced primitives than pyrender's own.

pyrender's `Primitive` stores indices as float32 (and converts them back at upload), builds
the vertex buffer by repeated `np.hstack` and an extra flatten/astype copy, and makes about
25 GL calls per primitive through PyOpenGL's wrappers (about 20 us of Python each).  A large
model has ~1,000 primitives: that was half a second of a cold Millennium Falcon render.
`LeanPrimitive` keeps the same buffers, attribute locations and instancing layout (so
pyrender's programs and `LdRenderer` draw it unchanged), and uploads it with one interleaving
copy and raw GL entry points.

Imported only after `ldscene.render.raster.gl.import_pyrender()`.
"""

from __future__ import annotations

from ctypes import c_void_p

import numpy as np
import pyrender
from OpenGL.raw.GL.VERSION.GL_1_5 import glBindBuffer, glBufferData, glGenBuffers
from OpenGL.raw.GL.VERSION.GL_2_0 import glEnableVertexAttribArray, glVertexAttribPointer
from OpenGL.raw.GL.VERSION.GL_3_0 import glBindVertexArray, glGenVertexArrays
from OpenGL.raw.GL.VERSION.GL_3_3 import glVertexAttribDivisor

from ldscene.render.raster.lines import FadeOrder

GL_ARRAY_BUFFER = 0x8892
GL_ELEMENT_ARRAY_BUFFER = 0x8893
GL_STATIC_DRAW = 0x88E4
GL_FLOAT = 0x1406
GL_FALSE = 0

_IDENTITY = np.eye(4, dtype=np.float32)[None]


class LeanPrimitive(pyrender.Primitive):
    """A `pyrender.Primitive` with uint32 indices and a lean `_add_to_context`; line
    primitives may carry their segments' `FadeOrder` (see render/raster/lines.py), triangle
    primitives how many of their indices the shadow map draws (`shadow_count`, None: all;
    `LeafMesh.shadow_casting`)."""

    fade: FadeOrder | None = None
    shadow_count: int | None = None

    @property
    def indices(self):
        return self._indices

    @indices.setter
    def indices(self, value) -> None:
        self._indices = None if value is None else np.ascontiguousarray(value, np.uint32)

    def _attributes(self) -> list[np.ndarray]:
        """Vertex attributes in pyrender's location order (see `Primitive._add_to_context`)."""
        found = [self.positions, self.normals, self.tangents, self.texcoord_0, self.texcoord_1]
        return [a for a in (*found, self.color_0) if a is not None]

    def _add_to_context(self) -> None:
        if self._vaid is not None:
            raise ValueError("Mesh is already bound to a context")
        attributes = self._attributes()
        sizes = [a.shape[1] for a in attributes]
        vertices = np.empty((len(self.positions), sum(sizes)), np.float32)
        column = 0
        for attribute, size in zip(attributes, sizes, strict=True):
            vertices[:, column : column + size] = attribute
            column += size
        poses = _IDENTITY if self.poses is None else self.poses
        pose_data = np.ascontiguousarray(poses.transpose(0, 2, 1), np.float32)

        vao = np.zeros(1, np.uint32)
        glGenVertexArrays(1, vao)
        buffers = np.zeros(3 if self.indices is not None else 2, np.uint32)
        glGenBuffers(len(buffers), buffers)
        self._vaid = int(vao[0])
        self._buffers = [int(b) for b in buffers]
        glBindVertexArray(self._vaid)

        glBindBuffer(GL_ARRAY_BUFFER, self._buffers[0])
        glBufferData(GL_ARRAY_BUFFER, vertices.nbytes, _pointer(vertices), GL_STATIC_DRAW)
        stride, offset = 4 * vertices.shape[1], 0
        for location, size in enumerate(sizes):
            glVertexAttribPointer(location, size, GL_FLOAT, GL_FALSE, stride, c_void_p(offset))
            glEnableVertexAttribArray(location)
            offset += 4 * size

        glBindBuffer(GL_ARRAY_BUFFER, self._buffers[1])
        glBufferData(GL_ARRAY_BUFFER, pose_data.nbytes, _pointer(pose_data), GL_STATIC_DRAW)
        for column in range(4):  # the instance matrix: four vec4 attributes
            location = len(sizes) + column
            glEnableVertexAttribArray(location)
            glVertexAttribPointer(location, 4, GL_FLOAT, GL_FALSE, 64, c_void_p(16 * column))
            glVertexAttribDivisor(location, 1)

        if self.indices is not None:
            glBindBuffer(GL_ELEMENT_ARRAY_BUFFER, self._buffers[2])
            size, data = self.indices.nbytes, _pointer(self.indices)
            glBufferData(GL_ELEMENT_ARRAY_BUFFER, size, data, GL_STATIC_DRAW)
        glBindVertexArray(0)


def _pointer(array: np.ndarray) -> c_void_p:
    return c_void_p(array.ctypes.data)
