"""LDraw colours as physically based materials (glTF metallic-roughness, OBJ/MTL)."""

from __future__ import annotations

from dataclasses import dataclass

from ldscene.appearance import appearance, linear_to_srgb, srgb_to_linear
from ldscene.ldraw.colours import Colour, ColourTable


@dataclass(frozen=True)
class Material:
    code: int
    name: str
    rgb: tuple[float, float, float]  # sRGB 0..1
    alpha: float
    metallic: float
    roughness: float
    emissive: tuple[float, float, float]  # sRGB 0..1: luminous colours glow in their colour
    double_sided: bool
    clarity: float = 0.0  # the share of light it lets through (`Appearance.clarity`)

    @property
    def transparent(self) -> bool:
        return self.alpha < 1.0


def material_for(colours: ColourTable, code: int, double_sided: bool = False) -> Material:
    colour: Colour = colours.get(int(code))
    look = appearance(colour)
    metallic, roughness = look.metallic, look.roughness
    r, g, b = colour.rgb
    # The raster engine's rule (render/raster/materials.py), in linear light: a faint
    # LUMINANCE still shows.
    glow = min(1.0, 0.35 + 2.0 * look.luminance) if look.glows else 0.0
    emissive = linear_to_srgb(srgb_to_linear(colour.rgb) * glow)
    name = colour.name.replace(" ", "_")
    if double_sided:
        name += "_two_sided"
    return Material(
        int(code),
        name,
        (r, g, b),
        float(colour.alpha),
        metallic,
        roughness,
        tuple(float(c) for c in emissive),
        double_sided,
        look.clarity,
    )
