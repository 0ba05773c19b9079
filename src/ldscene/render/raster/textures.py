"""Textured (TEXMAP) primitives for the raster engine: one instanced primitive per group of
`render/textured.py`, its image (already over the part's colour) as the base colour texture.

The shader samples it under `HAS_BASE_COLOR_TEX` (shaders/mesh.vert|frag) and decodes sRGB
there; the base colour factor keeps only the colour's alpha, so glass prints stay glass.
"""

from __future__ import annotations

import numpy as np

from ldscene.render.description import RenderDescription
from ldscene.render.raster.materials import material_spec

#: GL_CLAMP_TO_EDGE: a print does not wrap around at its borders.
_CLAMP = 33071


def add_textured(pyrender, scene, description: RenderDescription, poses: np.ndarray) -> None:
    """Add every textured group of `description` to the pyrender `scene`."""
    table = description.meshes.model.colours
    for k, group in enumerate(description.textured):
        spec = material_spec(table.get(group.code))
        texture = pyrender.Texture(
            # pyrender uploads images bottom row first (GL's v = 0 at the bottom); our
            # coordinates have (0, 0) at the image's top-left, as glTF and Mitsuba do.
            source=np.ascontiguousarray(group.rgba(table)[::-1]),
            source_channels="RGBA",
            sampler=pyrender.Sampler(wrapS=_CLAMP, wrapT=_CLAMP),
        )
        material = pyrender.MetallicRoughnessMaterial(
            name=f"ldraw-print:{group.code}:{k}",
            baseColorFactor=np.array([1.0, 1.0, 1.0, spec.base[3]], np.float32),
            baseColorTexture=texture,
            metallicFactor=spec.metallic,
            roughnessFactor=spec.roughness,
            emissiveFactor=np.array(spec.emissive, np.float32),
            alphaMode="BLEND" if spec.transparent else "OPAQUE",
            doubleSided=False,
        )
        primitive = pyrender.Primitive(
            group.positions,
            group.normals,
            texcoord_0=group.uvs,
            indices=group.faces,
            material=material,
            poses=poses[group.instances],
        )
        scene.add(pyrender.Mesh([primitive]), name=f"print{k:06d}")
