"""LDraw colours as physically based materials (glTF metallic-roughness, OBJ/MTL)."""

from __future__ import annotations

from dataclasses import dataclass

from ldscene.ldraw.colours import Colour, ColourTable

#: finish → (metallic, roughness).  Plastic is a fairly glossy dielectric.
FINISH_PBR: dict[str, tuple[float, float]] = {
    "": (0.0, 0.3),
    "chrome": (1.0, 0.08),
    "metal": (1.0, 0.35),
    "matte_metallic": (0.8, 0.55),
    "pearlescent": (0.5, 0.3),
    "rubber": (0.0, 0.9),
    "glitter": (0.0, 0.25),
    "speckle": (0.2, 0.4),
    "material": (0.0, 0.3),
}


@dataclass(frozen=True)
class Material:
    code: int
    name: str
    rgb: tuple[float, float, float]  # sRGB 0..1
    alpha: float
    metallic: float
    roughness: float
    emissive: tuple[float, float, float]  # sRGB 0..1, from LDraw LUMINANCE
    double_sided: bool

    @property
    def transparent(self) -> bool:
        return self.alpha < 1.0


def srgb_to_linear(value: float) -> float:
    """glTF colour factors are linear; LDraw values are sRGB."""
    if value <= 0.04045:
        return value / 12.92
    return ((value + 0.055) / 1.055) ** 2.4


def material_for(colours: ColourTable, code: int, double_sided: bool = False) -> Material:
    colour: Colour = colours.get(int(code))
    metallic, roughness = FINISH_PBR.get(colour.finish, FINISH_PBR[""])
    r, g, b = colour.rgb
    glow = colour.luminance
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
        (r * glow, g * glow, b * glow),
        double_sided,
    )
