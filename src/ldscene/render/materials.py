"""LDraw colours -> physically based materials (linear colour space, our shaders' conventions).

LDConfig gives sRGB values; the shaders light in linear space and encode the result with the
exact sRGB curve, so a surface lit at full strength shows exactly its LDConfig colour.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from ldscene.ldraw.colours import Colour

#: finish -> (metallic, roughness)
FINISH_PBR: dict[str, tuple[float, float]] = {
    "": (0.0, 0.35),  # ABS plastic: a soft gloss
    "chrome": (1.0, 0.12),
    "metal": (0.85, 0.3),
    "pearlescent": (0.45, 0.3),
    "matte_metallic": (0.6, 0.55),
    "rubber": (0.0, 0.9),
    "glitter": (0.0, 0.3),
    "speckle": (0.3, 0.45),
    "material": (0.0, 0.35),
}

#: Material name marking the ground shadow catcher (the shader draws only its shadow).
SHADOW_CATCHER = "ldscene:shadow-catcher"
#: Material name for line primitives (vertex colours, unlit).
LINES = "ldscene:lines"


def srgb_to_linear(rgb: np.ndarray | tuple[float, ...]) -> np.ndarray:
    c = np.clip(np.asarray(rgb, np.float64), 0.0, 1.0)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(rgb: np.ndarray | tuple[float, ...]) -> np.ndarray:
    c = np.clip(np.asarray(rgb, np.float64), 0.0, 1.0)
    return np.where(c <= 0.0031308, c * 12.92, 1.055 * c ** (1 / 2.4) - 0.055)


@dataclass(frozen=True)
class MaterialSpec:
    """What the shader needs for one colour."""

    name: str
    base: tuple[float, float, float, float]  # linear RGB + alpha
    metallic: float
    roughness: float
    emissive: tuple[float, float, float]  # linear

    @property
    def transparent(self) -> bool:
        return self.base[3] < 1.0


def material_spec(colour: Colour) -> MaterialSpec:
    """PBR parameters for an LDraw colour: finish, transparency and glow."""
    metallic, roughness = FINISH_PBR.get(colour.finish, FINISH_PBR[""])
    base = srgb_to_linear(colour.rgb)
    alpha = float(np.clip(colour.alpha, 0.0, 1.0))
    if alpha < 1.0:
        roughness = min(roughness, 0.15)  # transparent plastic is glossy
        # LDConfig's alpha 128 reads too milky when lit; keep parts clearly see-through.
        alpha = min(alpha, 0.6)
    emissive = np.zeros(3)
    if colour.luminance > 0.0:
        emissive = base * min(1.0, 0.35 + 2.0 * colour.luminance)
    return MaterialSpec(
        name=f"ldraw:{colour.code}",
        base=(*map(float, base), alpha),
        metallic=metallic,
        roughness=roughness,
        emissive=tuple(map(float, emissive)),
    )


@cache
def _cached_material(spec: MaterialSpec):
    import pyrender

    return pyrender.MetallicRoughnessMaterial(
        name=spec.name,
        baseColorFactor=np.array(spec.base, np.float32),
        metallicFactor=spec.metallic,
        roughnessFactor=spec.roughness,
        emissiveFactor=np.array(spec.emissive, np.float32),
        alphaMode="BLEND" if spec.transparent else "OPAQUE",
        doubleSided=False,
    )


def pyrender_material(colour: Colour):
    """The (shared, cached) pyrender material for an LDraw colour."""
    return _cached_material(material_spec(colour))


def line_material():
    """Material for LINES primitives: the shader draws their vertex colour unlit."""
    return _cached_material(MaterialSpec(LINES, (0.0, 0.0, 0.0, 1.0), 1.0, 1.0, (1.0, 1.0, 1.0)))


def shadow_catcher_material(strength: float = 0.45):
    """Material for the ground plane: transparent except where the key light is blocked."""
    return _cached_material(
        MaterialSpec(SHADOW_CATCHER, (0.0, 0.0, 0.0, strength), 0.0, 1.0, (0.0, 0.0, 0.0))
    )
