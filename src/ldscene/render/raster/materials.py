"""LDraw colours -> physically based materials (linear colour space, our shaders' conventions).

LDConfig gives sRGB values; the shaders light in linear space and encode the result with the
exact sRGB curve, so a surface lit at full strength shows exactly its LDConfig colour.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from ldscene.appearance import appearance
from ldscene.ldraw.colours import Colour

#: Material name marking the ground shadow catcher (the shader draws only its shadow).
SHADOW_CATCHER = "ldscene:shadow-catcher"
#: Material name for line primitives (vertex colours, unlit).
LINES = "ldscene:lines"
#: ... and for the lines of transparent parts, drawn after the glass so that only the lines
#: on a part's near side show (not those seen through it).
GLASS_LINES = "ldscene:glass-lines"


NO_FLAKES = (0.0, 0.0, 0.0, 0.0)


@dataclass(frozen=True)
class MaterialSpec:
    """What the shader needs for one colour."""

    name: str
    base: tuple[float, float, float, float]  # linear RGB + alpha
    metallic: float
    roughness: float
    emissive: tuple[float, float, float]  # linear
    flakes: tuple[float, float, float, float] = NO_FLAKES  # linear rgb, share of the surface
    flake_size: float = 1.0  # LDU: the smallest grains (the shader draws one size)

    @property
    def transparent(self) -> bool:
        return self.base[3] < 1.0


def material_spec(colour: Colour) -> MaterialSpec:
    """PBR parameters for an LDraw colour: finish, transparency and glow."""
    look = appearance(colour)
    base = np.asarray(look.base)
    alpha = look.alpha  # LDConfig's own: 128 for trans colours, 240 for glow-in-the-dark
    emissive = np.zeros(3)
    if look.glows:
        emissive = base * min(1.0, 0.35 + 2.0 * look.luminance)
    return MaterialSpec(
        name=f"ldraw:{colour.code}",
        base=(*map(float, base), alpha),
        metallic=look.metallic,
        roughness=look.roughness,
        emissive=tuple(map(float, emissive)),
        flakes=(*map(float, look.flake_rgb), look.flake_fraction) if look.flake_rgb else NO_FLAKES,
        flake_size=float(min(look.flake_size)),
    )


@cache
def _cached_material(spec: MaterialSpec):
    import pyrender

    material = pyrender.MetallicRoughnessMaterial(
        name=spec.name,
        baseColorFactor=np.array(spec.base, np.float32),
        metallicFactor=spec.metallic,
        roughnessFactor=spec.roughness,
        emissiveFactor=np.array(spec.emissive, np.float32),
        alphaMode="BLEND" if spec.transparent else "OPAQUE",
        doubleSided=False,
    )
    material.ldscene_flakes = (np.array(spec.flakes, np.float32), spec.flake_size)
    return material


def pyrender_material(colour: Colour):
    """The (shared, cached) pyrender material for an LDraw colour."""
    return _cached_material(material_spec(colour))


def line_material(on_glass: bool = False):
    """Material for line primitives (of a transparent part: `on_glass`); the shader draws
    their vertex colour unlit."""
    name = GLASS_LINES if on_glass else LINES
    return _cached_material(MaterialSpec(name, (0.0, 0.0, 0.0, 1.0), 1.0, 1.0, (1.0, 1.0, 1.0)))


def shadow_catcher_material(strength: float = 0.45):
    """Material for the ground plane: transparent except where the key light is blocked."""
    return _cached_material(
        MaterialSpec(SHADOW_CATCHER, (0.0, 0.0, 0.0, strength), 0.0, 1.0, (0.0, 0.0, 0.0))
    )
