"""How an LDraw colour looks, for any render engine: the one place that turns LDConfig's data
(value, alpha, luminance, finish, glitter and speckle grains) into material parameters.

Both engines read an `Appearance`: the raster engine takes its metallic/roughness factors, the
path engine builds physically based materials (plastic, glass, conductors, emitters) from it.
Colours are linear RGB; LDConfig's values are sRGB.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

from ldscene.ldraw.colours import Colour


class Finish(enum.Enum):
    """The kind of surface a colour is made of."""

    PLASTIC = "plastic"  # solid ABS
    GLASS = "glass"  # transparent colours (ALPHA < 255)
    CHROME = "chrome"
    METAL = "metal"
    PEARLESCENT = "pearlescent"
    MATTE_METALLIC = "matte_metallic"
    RUBBER = "rubber"
    GLITTER = "glitter"  # transparent with metallic flakes
    SPECKLE = "speckle"  # opaque with grains of a second colour


#: LDConfig finish keyword -> (Finish, metallic, roughness).  Roughness is GGX alpha-like
#: (perceptual, 0 = mirror); "metallic" blends towards a conductor tinted by the colour.
_FINISHES: dict[str, tuple[Finish, float, float]] = {
    "": (Finish.PLASTIC, 0.0, 0.35),
    "material": (Finish.PLASTIC, 0.0, 0.35),  # an unknown MATERIAL: plain plastic
    "chrome": (Finish.CHROME, 1.0, 0.12),
    "metal": (Finish.METAL, 0.85, 0.3),
    "pearlescent": (Finish.PEARLESCENT, 0.45, 0.3),
    "matte_metallic": (Finish.MATTE_METALLIC, 0.6, 0.55),
    "rubber": (Finish.RUBBER, 0.0, 0.9),
    "glitter": (Finish.GLITTER, 0.0, 0.3),
    "speckle": (Finish.SPECKLE, 0.3, 0.45),
}

#: Glass is glossy whatever its finish keyword says.
GLASS_ROUGHNESS = 0.15

#: LDConfig's ALPHA is opacity.  Trans colours (ALPHA 128) are clear glass, tinted; milky,
#: opal and glow-in-the-dark colours (ALPHA 200-240) let less and less light through.  The
#: share a part lets through (`Appearance.clarity`) is 1 up to this opacity, then falls
#: linearly to 0 at opacity 1: ALPHA 200 passes 48 %, ALPHA 240 13 %.
CLEAR_OPACITY = 0.55


def srgb_to_linear(rgb: np.ndarray | tuple[float, ...]) -> np.ndarray:
    c = np.clip(np.asarray(rgb, np.float64), 0.0, 1.0)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(rgb: np.ndarray | tuple[float, ...]) -> np.ndarray:
    c = np.clip(np.asarray(rgb, np.float64), 0.0, 1.0)
    return np.where(c <= 0.0031308, c * 12.92, 1.055 * c ** (1 / 2.4) - 0.055)


def _rgb(values) -> tuple[float, float, float]:
    return tuple(float(v) for v in values)  # type: ignore[return-value]


@dataclass(frozen=True)
class Appearance:
    """Engine-neutral material parameters of one LDraw colour."""

    code: int
    finish: Finish
    base: tuple[float, float, float]  # linear RGB
    alpha: float  # LDConfig's ALPHA / 255: 1 opaque
    metallic: float
    roughness: float
    luminance: float  # LDConfig's LUMINANCE / 255: 0 for colours that do not glow
    flake_rgb: tuple[float, float, float] | None = None  # linear; glitter/speckle grains
    flake_fraction: float = 0.0
    flake_size: tuple[float, float] = (1.0, 1.0)  # LDraw units

    @property
    def transparent(self) -> bool:
        return self.alpha < 1.0

    @property
    def clarity(self) -> float:
        """The share of light a transparent part lets through (see `CLEAR_OPACITY`)."""
        return float(np.clip((1.0 - self.alpha) / (1.0 - CLEAR_OPACITY), 0.0, 1.0))

    @property
    def glows(self) -> bool:
        return self.luminance > 0.0


def appearance(colour: Colour) -> Appearance:
    """The material parameters LDConfig implies for `colour`."""
    finish, metallic, roughness = _FINISHES.get(colour.finish, _FINISHES[""])
    alpha = float(np.clip(colour.alpha, 0.0, 1.0))
    if alpha < 1.0:
        roughness = min(roughness, GLASS_ROUGHNESS)
        if finish in (Finish.PLASTIC, Finish.RUBBER):
            finish = Finish.GLASS
    flakes = colour.flakes
    return Appearance(
        code=colour.code,
        finish=finish,
        base=_rgb(srgb_to_linear(colour.rgb)),
        alpha=alpha,
        metallic=metallic,
        roughness=roughness,
        luminance=float(max(colour.luminance, 0.0)),
        flake_rgb=_rgb(srgb_to_linear(flakes.rgb)) if flakes else None,
        flake_fraction=flakes.fraction if flakes else 0.0,
        flake_size=(flakes.min_size, flakes.max_size) if flakes else (1.0, 1.0),
    )
