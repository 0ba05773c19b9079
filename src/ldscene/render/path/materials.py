"""Appearances -> Mitsuba 3 BSDFs (plain dicts for `mitsuba.load_dict`).

- Solid ABS: `roughplastic`, a diffuse base under a glossy dielectric coat (IOR 1.54, GGX),
  which gives plastic its subtle clear-coat highlight.  Rubber is the same, much rougher.
- Transparent colours: a smooth `dielectric` (polycarbonate, IOR 1.58) whose transmission is
  tinted.  A ray crosses four interfaces through a hollow brick (two walls), so each
  interface carries the fourth root of the colour's transmission: the brick as a whole shows
  LDConfig's colour in front of white.
- Chrome and metal: `roughconductor` tinted by the colour; pearlescent and matte metallic
  blend such a conductor into the plastic by their metallic share.
- Glitter and speckle: grains from a random texture of the colour's FRACTION, in the grain
  colour (a conductor for glitter, plastic for speckle), mapped by world position.
- Luminous colours (LUMINANCE): the surface also emits its colour.
- Printed parts (TEXMAP): plastic whose diffuse colour is a bitmap of the image over the colour.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ldscene.appearance import Appearance, Finish, srgb_to_linear

PLASTIC_IOR = 1.54
GLASS_IOR = 1.58
#: Texels on a side of the grain texture; grains are one texel, mapped at their LDraw size.
GRAIN_TEXELS = 256
#: Emitted radiance per unit of LDConfig LUMINANCE (0..1), times the colour: glow-in-the-dark
#: colours (LUMINANCE 15) glow about as bright as a lit white face, so that they keep their
#: colour and shape under the lights (80 made shapeless white blobs) and light what is close.
GLOW_RADIANCE = 32.0
#: LDraw units per unit of LDConfig's grain SIZE/MINSIZE: LDConfig's sizes make 1-3 LDU
#: grains, coarser than real speckle and glitter look at brick scale.
GRAIN_SCALE = 0.5

Dict = dict[str, Any]


def _rgb(value) -> Dict:
    return {"type": "rgb", "value": [float(v) for v in value]}


def _alpha(roughness: float) -> float:
    """GGX alpha from perceptual roughness (squared, as glTF and Disney define it)."""
    return max(float(roughness) ** 2, 1e-3)


def plastic(rgb, roughness: float) -> Dict:
    return {
        "type": "roughplastic",
        "distribution": "ggx",
        "alpha": _alpha(roughness),
        "int_ior": PLASTIC_IOR,
        "diffuse_reflectance": _rgb(rgb),
    }


def conductor(rgb, roughness: float) -> Dict:
    return {
        "type": "roughconductor",
        "distribution": "ggx",
        "alpha": _alpha(roughness),
        "material": "none",  # a perfect reflector, tinted
        "specular_reflectance": _rgb(rgb),
    }


def glass_tint(rgb) -> np.ndarray:
    """Per-interface transmission that makes four interfaces show `rgb` (linear)."""
    return np.clip(np.asarray(rgb, np.float64), 0.0, 1.0) ** 0.25


def glass(rgb) -> Dict:
    return {
        "type": "dielectric",
        "int_ior": GLASS_IOR,
        "ext_ior": 1.0,
        "specular_transmittance": _rgb(glass_tint(rgb)),
    }


def grain_texture(look: Appearance) -> Dict:
    """A repeating texture: 1 where a grain is, 0 elsewhere, seeded by the colour code."""
    rng = np.random.default_rng(abs(look.code) + 1)
    grains = (rng.random((GRAIN_TEXELS, GRAIN_TEXELS, 1)) < look.flake_fraction).astype(np.float32)
    return {"type": "bitmap", "data": grains, "filter_type": "nearest", "raw": True}


def see_through(look: Appearance) -> Dict:
    """A transparent appearance's surface: glass, blended with plastic of its colour where
    it lets only part of the light through (milky, opal, glow-in-the-dark: `clarity`)."""
    if look.clarity >= 1.0:
        return glass(look.base)
    return {
        "type": "blendbsdf",
        "weight": look.clarity,
        "bsdf_0": {"type": "twosided", "bsdf": plastic(look.base, look.roughness)},
        "bsdf_1": glass(look.base),
    }


#: A surface that reflects nothing: what hides the background in the see-through passes.
BLACK: Dict = {"type": "diffuse", "reflectance": _rgb((0.0, 0.0, 0.0))}


def glass_only(look: Appearance) -> Dict:
    """A transparent appearance's glass alone, its share as in `see_through`, the rest
    black: the see-through passes count only light that comes through the glass (the plastic
    share of a milky or glow-in-the-dark part reflects, it does not show what is behind)."""
    if look.clarity >= 1.0:
        return glass(look.base)
    black = {"type": "twosided", "bsdf": BLACK}
    return {
        "type": "blendbsdf",
        "weight": look.clarity,
        "bsdf_0": black,
        "bsdf_1": glass(look.base),
    }


def bsdf(look: Appearance) -> Dict:
    """The Mitsuba BSDF dict for one appearance."""
    if look.finish is Finish.GLASS:
        return see_through(look)
    if look.finish is Finish.GLITTER:
        base = see_through(look) if look.transparent else plastic(look.base, look.roughness)
        flakes = {"type": "twosided", "bsdf": conductor(look.flake_rgb or look.base, 0.25)}
        weight = grain_texture(look)
        return {"type": "blendbsdf", "weight": weight, "bsdf_0": base, "bsdf_1": flakes}
    if look.transparent:  # chrome or metal glass (rare): glass is what shows
        return see_through(look)
    if look.finish in (Finish.CHROME, Finish.METAL):
        surface = conductor(look.base, look.roughness)
    elif look.finish in (Finish.PEARLESCENT, Finish.MATTE_METALLIC):
        surface = {
            "type": "blendbsdf",
            "weight": look.metallic,
            "bsdf_0": plastic(look.base, look.roughness),
            "bsdf_1": conductor(look.base, look.roughness),
        }
    elif look.finish is Finish.SPECKLE:
        surface = {
            "type": "blendbsdf",
            "weight": grain_texture(look),
            "bsdf_0": plastic(look.base, look.roughness),
            "bsdf_1": conductor(look.flake_rgb or look.base, 0.3),
        }
    else:  # plastic, rubber
        surface = plastic(look.base, look.roughness)
    return {"type": "twosided", "bsdf": surface}


def textured_bsdf(look: Appearance, image: np.ndarray) -> Dict:
    """A printed surface: the appearance with its base colour read from `image` (H, W, 4)
    sRGB uint8, already composited over the colour).  Glass keeps its plain look."""
    if look.transparent or look.finish in (Finish.CHROME, Finish.METAL):
        return bsdf(look)
    linear = srgb_to_linear(image[..., :3].astype(np.float64) / 255.0).astype(np.float32)
    surface = plastic(look.base, look.roughness)
    surface["diffuse_reflectance"] = {
        "type": "bitmap",
        "data": linear,
        "raw": True,
        "wrap_mode": "clamp",  # a print does not repeat beyond its borders (LDraw, glTF)
    }
    return {"type": "twosided", "bsdf": surface}


def needs_texcoords(look: Appearance) -> bool:
    return look.finish in (Finish.GLITTER, Finish.SPECKLE)


def grain_texcoords(look: Appearance, positions: np.ndarray, normals: np.ndarray) -> np.ndarray:
    """(V, 2) texture coordinates for grains of the colour's smallest size: each vertex is
    projected along its normal's dominant axis (a box mapping, no seams on flat faces)."""
    size = max(float(look.flake_size[0]) * GRAIN_SCALE, 0.25)
    axis = np.argmax(np.abs(normals), axis=1)
    keep = np.array([[1, 2], [0, 2], [0, 1]])[axis]  # the two other axes
    uv = np.take_along_axis(positions, keep, axis=1)
    return (uv / (size * GRAIN_TEXELS)).astype(np.float32)


def emitter(look: Appearance) -> Dict | None:
    """An area emitter for luminous colours, else None."""
    if not look.glows:
        return None
    radiance = np.asarray(look.base) * GLOW_RADIANCE * look.luminance
    return {"type": "area", "radiance": _rgb(radiance)}
