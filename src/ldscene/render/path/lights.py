"""Light presets for the path engine, placed relative to the camera like the raster rig.

- studio: a soft white dome, bright overhead and darker towards the horizon (the fill), plus
  one large spherical softbox above the camera's left (the key): soft shadows, contact
  darkening, and highlights and reflections that make gloss and chrome read.
- daylight: a sun (crisp shadows, warm) from the upper left and a blue sky dome.

Intensities are in units where an unshadowed white top face reflects a radiance of about 1;
`film.EXPOSURE` then maps that just under the tone curve's shoulder, so whites never clip.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ldscene.render.camera import direction
from ldscene.render.description import LightPreset


@dataclass(frozen=True)
class Lighting:
    emitters: dict[str, dict[str, Any]]
    #: Irradiance (linear RGB) an unoccluded upward-facing floor receives: the ground's
    #: brightness with no shadow on it, for the ground's albedo and the shadow catcher.
    open_irradiance: np.ndarray
    #: A light that is a shape (centre, radius: the studio's softbox sphere), which camera
    #: rays can hit: it is left out of the picture, which shows the background there.
    lamp: tuple[np.ndarray, float] | None = None


def _rgb(value) -> dict[str, Any]:
    return {"type": "rgb", "value": [float(v) for v in np.broadcast_to(value, 3)]}


#: Rows (elevation) and columns of the environment maps; they vary with elevation only.
DOME_ROWS, DOME_COLUMNS = 64, 8


#: The softbox's distance from the model's centre, at least, in camera distances.
LAMP_BEYOND_CAMERA = 1.6


def dome(zenith, horizon, below) -> tuple[np.ndarray, np.ndarray]:
    """A latitude-longitude environment map (linear RGB) blending `horizon` into `zenith`
    with the sine of the elevation, `below` under the horizon; and the irradiance it gives an
    upward-facing surface.  A dome with a darker horizon gives chrome and gloss something to
    reflect (a constant one makes chrome look flat grey) and lights top faces more than sides,
    as a studio's overhead light does."""
    zenith, horizon, below = (np.asarray(c, np.float64) for c in (zenith, horizon, below))
    elevation = np.pi / 2 - (np.arange(DOME_ROWS) + 0.5) / DOME_ROWS * np.pi  # row 0: zenith
    up = np.clip(np.sin(elevation), 0.0, 1.0)[:, None]
    rows = np.where(elevation[:, None] > 0, horizon + (zenith - horizon) * up, below)
    image = np.repeat(rows[:, None, :], DOME_COLUMNS, axis=1).astype(np.float32)
    # E = integral over the upper hemisphere of L cos(zenith angle) = 2 pi int L sin(e) cos(e)
    step = np.pi / 2 / 512
    fine = (np.arange(512) + 0.5) * step  # midpoints
    radiance = horizon[None] + (zenith - horizon)[None] * np.sin(fine)[:, None]
    weights = np.sin(fine) * np.cos(fine) * step
    irradiance = 2 * np.pi * (radiance * weights[:, None]).sum(axis=0)
    return image, irradiance


def lighting(
    preset: LightPreset,
    longitude: float,
    centre: np.ndarray,
    scale: float,
    below: bool = False,
    camera_distance: float = 0.0,
) -> Lighting:
    """The emitters of `preset` for a camera at `longitude` (degrees) looking at a model
    centred at `centre` (GL world) with bounding-box diagonal `scale`.  `below`: the camera
    looks up from under a view without floor, and the studio turns upside down with it (its
    dome's bright zenith and its softbox below), as a photographer would light that side;
    daylight turns over the same way (its sky and sun), or the underside is in shadow."""
    if preset is LightPreset.DAYLIGHT:
        sky, sky_irradiance = dome((0.22, 0.34, 0.62), (0.55, 0.62, 0.72), (0.12, 0.11, 0.10))
        sun = np.array([1.0, 0.93, 0.82]) * math.pi * 0.85
        elevation = 42.0
        if below:
            sky = np.ascontiguousarray(sky[::-1])
        towards = direction(longitude - 55.0, -elevation if below else elevation)
        return Lighting(
            {
                "sky": {"type": "envmap", "bitmap": sky},
                "sun": {
                    "type": "directional",
                    "direction": [*map(float, -towards)],
                    "irradiance": _rgb(sun),
                },
            },  # fmt: skip
            sky_irradiance + sun * math.sin(math.radians(elevation)),
        )
    environment, ambient = dome((0.75, 0.75, 0.75), (0.22, 0.22, 0.22), (0.08, 0.08, 0.08))
    key = math.pi * 0.75  # irradiance at normal incidence
    elevation = -50.0 if below else 50.0
    if below:
        environment = np.ascontiguousarray(environment[::-1])
    # The softbox keeps its angular size (so its light) wherever it is, and stays beyond a
    # far camera (a narrow view, a long lens): its near side (0.65 of its distance from the
    # centre) then never comes between the camera and the model.
    distance = max(4.0 * max(scale, 1.0), LAMP_BEYOND_CAMERA * camera_distance)
    radius = 0.35 * distance
    sin2 = (radius / distance) ** 2
    position = np.asarray(centre, np.float64) + direction(longitude - 40.0, elevation) * distance
    return Lighting(
        {
            "environment": {"type": "envmap", "bitmap": environment},
            "key": {
                "type": "sphere",
                "center": [*map(float, position)],
                "radius": float(radius),
                "emitter": {"type": "area", "radiance": _rgb(key / (math.pi * sin2))},
            },
        },
        ambient + key * math.sin(math.radians(abs(elevation))),
        (position, float(radius)),
    )
