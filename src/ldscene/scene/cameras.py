"""Named scene cameras, resolved to LDraw axes: orbit (lat, lon, distance) or position/look_at.

Orbit angles, in the scene's y-up terms: `lat` is the elevation above the ground plane
(90 = straight down), `lon` the turn around the vertical axis; lon 0 looks from the front
(+z in scene axes, -z in LDraw), lon 90 from the right (+x).  The default distance frames
the target's bounding sphere in the field of view.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

DEFAULT_FOV = 30.0
DEFAULT_LAT = 30.0
DEFAULT_LON = 30.0
#: LDraw's up direction.
UP = np.array([0.0, -1.0, 0.0])


class CameraKind(str, Enum):
    """How a scene camera is placed."""

    ORBIT = "orbit"  # lat, lon and distance around a target
    LOOK = "look"  # from a position at a target (position: and look_at:)


@dataclass(frozen=True)
class Camera:
    """A resolved scene camera; all points in LDraw axes and units.

    `kind` is ORBIT (lat, lon, distance or None for automatic, target or None for the
    scene centre) or LOOK (position, target).  `fov` is the vertical field of view.
    `fit` is the box an automatic distance frames when the target is a placed name (that
    entry's box); otherwise the scene's box is framed.  `focus` and `aperture` (an f-number)
    give the path engine's image depth of field.
    """

    name: str
    kind: CameraKind
    fov: float = DEFAULT_FOV
    lat: float | None = None
    lon: float | None = None
    distance: float | None = None
    position: np.ndarray | None = None
    target: np.ndarray | None = None
    fit: tuple[np.ndarray, np.ndarray] | None = None
    focus: np.ndarray | None = None  # depth of field: the point in focus
    aperture: float | None = None  # and the lens's f-number

    def eye_target(
        self, bbox_min: np.ndarray, bbox_max: np.ndarray, aspect: float = 1.0
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(eye, target, up) in LDraw axes for a scene with this bounding box."""
        lo, hi = np.asarray(bbox_min, float), np.asarray(bbox_max, float)
        if self.fit is not None and self.kind is CameraKind.ORBIT:
            lo, hi = np.asarray(self.fit[0], float), np.asarray(self.fit[1], float)
        centre = (lo + hi) / 2
        target = self.target if self.target is not None else centre
        if self.kind is CameraKind.LOOK:
            assert self.position is not None
            eye = np.asarray(self.position, float)
            up = UP if abs(np.dot(_unit(target - eye), UP)) < 0.999 else np.array([0, 0, -1.0])
            return eye, np.asarray(target, float), up
        lat, lon = np.radians(self.lat or 0.0), np.radians(self.lon or 0.0)
        direction = np.array([np.cos(lat) * np.sin(lon), -np.sin(lat), -np.cos(lat) * np.cos(lon)])
        distance = self.distance
        if distance is None:
            distance = fit_distance(lo, hi, target, self.fov, aspect)
        up = UP if abs(self.lat or 0.0) < 89.9 else np.array([np.sin(lon), 0, -np.cos(lon)])
        return target + distance * direction, np.asarray(target, float), up


def fit_distance(
    lo: np.ndarray, hi: np.ndarray, target: np.ndarray, fov: float, aspect: float = 1.0
) -> float:
    """Distance at which the box's bounding sphere (about `target`) fills the view."""
    corners = np.array(
        [[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])]
    )
    radius = max(float(np.linalg.norm(corners - target, axis=1).max()), 1.0)
    half_v = np.radians(fov) / 2
    half_h = np.arctan(np.tan(half_v) * aspect)
    return radius / np.sin(min(half_v, half_h)) * 1.05


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n else v
