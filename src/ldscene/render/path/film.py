"""From radiance to a picture: denoising, the filmic tone curve, and the background.

The tone curve is the ACES filmic fit (Narkowicz 2015) on exposed linear radiance: highlights
roll off instead of clipping, so a white brick's lit top face stays below the background's
white.  The floor fades into the background with distance from the model, and with
`--transparent` only its shadow is kept, as alpha.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ldscene.render.description import GroundPlane

#: Linear radiance 1 (a white top face in full light) maps to about 0.84 (sRGB 237).
EXPOSURE = 1.15
#: The floor is fully visible out to this many footprint radii, gone beyond FADE_END.
FADE_START = 1.3
FADE_END = 3.0
#: Hits this close above the floor's plane (LDU) count as floor.
FLOOR_TOLERANCE = 0.5
#: Pixels of mirrored image around what a denoiser sees: at the image's own border OIDN
#: drifts in colour (a 333x111 render's bottom row by 12 levels of blue); mirrored context
#: brings the border to the interior's accuracy.
DENOISE_MARGIN = 8


#: Narkowicz's ACES fit, (a x^2 + b x) / (c x^2 + d x + e): `filmic` and its inverse.
_ACES = (2.51, 0.03, 2.43, 0.59, 0.14)


def _aces(x: np.ndarray) -> np.ndarray:
    a, b, c, d, e = _ACES
    return np.clip((x * (a * x + b)) / (x * (c * x + d) + e), 0.0, 1.0)


def filmic(linear: np.ndarray) -> np.ndarray:
    """ACES filmic approximation: exposed linear radiance (..., 3) -> display-linear 0..1.

    The curve is applied to each pixel's brightest channel and the pixel scaled by it, which
    keeps its hue: applied channel by channel, it turned a bright trans-neon-orange panel
    yellow (red rolls off while green still climbs)."""
    x = np.maximum(np.asarray(linear) * EXPOSURE, 0.0)
    peak = x.max(axis=-1, keepdims=True)
    return x * (_aces(peak) / np.maximum(peak, 1e-9))


def inverse_filmic(display: np.ndarray) -> np.ndarray:
    """Radiance that `filmic` maps to `display` (..., 3) (display-linear, below the curve's
    limit)."""
    y = np.clip(np.asarray(display, np.float64), 0.0, 0.999)
    peak = y.max(axis=-1, keepdims=True)
    a, b, c, d, e = _ACES
    # p (c x^2 + d x + e) = a x^2 + b x  ->  (a - c p) x^2 + (b - d p) x - e p = 0
    qa, qb, qc = a - c * peak, b - d * peak, -e * peak
    x = (-qb + np.sqrt(qb * qb - 4 * qa * qc)) / (2 * qa)
    return y * (x / np.maximum(peak, 1e-9)) / EXPOSURE


def _with_margin(image: np.ndarray) -> np.ndarray:
    """`image` (height, width, channels) mirrored DENOISE_MARGIN pixels out on every side."""
    m = DENOISE_MARGIN
    return np.ascontiguousarray(np.pad(image, ((m, m), (m, m), (0, 0)), mode="symmetric"))


def _without_margin(image: np.ndarray) -> np.ndarray:
    m = DENOISE_MARGIN
    return np.ascontiguousarray(image[m:-m, m:-m])


@dataclass(frozen=True)
class Guides:
    """The albedo and normal passes as Open Image Denoise takes them, prepared once for every
    image of a view they guide (the colour, the see-through share): with the mirrored margin,
    and, through a lens, denoised on their own (`cleaned`)."""

    albedo: np.ndarray
    normal: np.ndarray
    cleaned: bool


def guides(albedo: np.ndarray, normal: np.ndarray, noisy: bool = False) -> Guides:
    """The passes are noise-free where camera rays hit surfaces directly, but not through a
    lens (depth of field, `noisy`): then, as OIDN's documentation advises, they are denoised
    first on their own, or OIDN keeps their noise as if it were detail."""
    import pyoidn

    albedo = _with_margin(np.clip(albedo, 0.0, 1.0).astype(np.float32))
    normal = _with_margin(np.clip(normal, -1.0, 1.0).astype(np.float32))
    if noisy:
        albedo = pyoidn.denoise(albedo)
        normal = pyoidn.denoise(normal)
    return Guides(albedo, normal, noisy)


def denoise(colour: np.ndarray, guide: Guides) -> np.ndarray:
    """Intel Open Image Denoise with the albedo and normal passes, as OIDN recommends."""
    import pyoidn

    colour = _with_margin(np.asarray(colour, np.float32))
    filtered = pyoidn.denoise(colour, guide.albedo, guide.normal, hdr=True, clean_aux=guide.cleaned)
    return _without_margin(filtered)


def denoise_optix(mi, colour, albedo, normal, to_sensor) -> np.ndarray:
    """NVIDIA's OptiX denoiser through Mitsuba (CUDA variants), with the same guide passes;
    `to_sensor` turns the world-space normals into the camera's frame, as OptiX expects."""
    colour = _with_margin(np.asarray(colour, np.float32))
    height, width = colour.shape[:2]
    denoiser = mi.OptixDenoiser(input_size=[width, height], albedo=True, normals=True)
    result = denoiser(
        mi.TensorXf(colour),
        albedo=mi.TensorXf(_with_margin(np.clip(albedo, 0.0, 1.0).astype(np.float32))),
        normals=mi.TensorXf(_with_margin(np.clip(normal, -1.0, 1.0).astype(np.float32))),
        to_sensor=to_sensor,
    )
    return _without_margin(np.asarray(result, np.float32)[..., :3])


def floor_visibility(position: np.ndarray, coverage: np.ndarray, ground: GroundPlane) -> np.ndarray:
    """How much of each pixel's hit (0..1) stays visible: the floor (hits at its height)
    fades out between FADE_START and FADE_END footprint radii from the model's centre, the
    model never does; rays that hit nothing show the background."""
    begin, end = FADE_START * ground.footprint, FADE_END * ground.footprint
    r = np.hypot(position[..., 0] - ground.centre[0], position[..., 2] - ground.centre[1])
    t = np.clip((r - begin) / (end - begin), 0.0, 1.0)
    on_floor = np.clip(1.0 - (position[..., 1] - ground.y) / FLOOR_TOLERANCE, 0.0, 1.0)
    return coverage * (1.0 - on_floor * t * t * (3.0 - 2.0 * t))


def floor_half(ground: GroundPlane) -> float:
    """Half the side of the path engine's floor: past the end of the fade."""
    return max(ground.half, 1.1 * FADE_END * ground.footprint)


def denoise_coverage(coverage: np.ndarray) -> np.ndarray:
    """Smooth a lens-blurred coverage image (the share of each pixel's samples that hit
    something), which is as noisy as the colour where out-of-focus edges spread."""
    import pyoidn

    grey = _with_margin(np.repeat(coverage[..., None], 3, axis=-1).astype(np.float32))
    return np.clip(_without_margin(pyoidn.denoise(grey))[..., 0], 0.0, 1.0)
