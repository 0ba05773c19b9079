"""Light presets for the path engine, placed relative to the camera like the raster rig.

- studio: a soft white environment (the fill, from every side) plus one large spherical
  softbox above the camera's left (the key): soft shadows, contact darkening, and a broad
  highlight in glossy and chrome parts.
- daylight: a sun (crisp shadows, warm) from the upper left and a blue sky.

Intensities are in units where an unshadowed white top face reflects a radiance of about 1;
`film.EXPOSURE` then maps that just under the tone curve's shoulder, so whites never clip.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ldscene.render.description import LightPreset
from ldscene.render.lights import direction


@dataclass(frozen=True)
class Lighting:
    emitters: dict[str, dict[str, Any]]
    #: Irradiance (linear RGB) an unoccluded upward-facing floor receives: the ground's
    #: brightness with no shadow on it, for the ground's albedo and the shadow catcher.
    open_irradiance: np.ndarray


def _rgb(value) -> dict[str, Any]:
    return {"type": "rgb", "value": [float(v) for v in np.broadcast_to(value, 3)]}


def lighting(preset: LightPreset, longitude: float, centre: np.ndarray, scale: float) -> Lighting:
    """The emitters of `preset` for a camera at `longitude` (degrees) looking at a model
    centred at `centre` (GL world) with bounding-box diagonal `scale`."""
    if preset is LightPreset.DAYLIGHT:
        sky = np.array([0.30, 0.40, 0.58])
        sun = np.array([1.0, 0.93, 0.82]) * math.pi * 0.85
        elevation = 42.0
        towards = direction(longitude - 55.0, elevation)
        return Lighting(
            {
                "sky": {"type": "constant", "radiance": _rgb(sky)},
                "sun": {
                    "type": "directional",
                    "direction": [*map(float, -towards)],
                    "irradiance": _rgb(sun),
                },
            },  # fmt: skip
            math.pi * sky + sun * math.sin(math.radians(elevation)),
        )
    ambient = 0.45
    key = math.pi * 0.8  # irradiance at normal incidence
    elevation = 50.0
    distance = 4.0 * max(scale, 1.0)
    radius = 0.35 * distance
    sin2 = (radius / distance) ** 2
    position = np.asarray(centre, np.float64) + direction(longitude - 40.0, elevation) * distance
    return Lighting(
        {
            "environment": {"type": "constant", "radiance": _rgb(ambient)},
            "key": {
                "type": "sphere",
                "center": [*map(float, position)],
                "radius": float(radius),
                "emitter": {"type": "area", "radiance": _rgb(key / (math.pi * sin2))},
            },
        },
        np.full(3, math.pi * ambient + key * math.sin(math.radians(elevation))),
    )
