"""Named scene cameras, resolved to LDraw axes: orbit (lat, lon, distance) or position/look_at.

Orbit angles, in the scene's y-up terms: `lat` is the elevation above the ground plane
(90 = straight down), `lon` the turn around the vertical axis; lon 0 looks from the front
(+z in scene axes, -z in LDraw), lon 90 from the right (+x).  The default distance fits
the target's box (or the scene's) into the image, the target at its centre.
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
        """(eye, target, up) in LDraw axes for a scene with this bounding box, in an image of
        width / height `aspect` (an automatic distance fits the box to it)."""
        lo, hi = self.fit_box(bbox_min, bbox_max)
        target = self.target if self.target is not None else (lo + hi) / 2
        if self.kind is CameraKind.LOOK:
            assert self.position is not None
            eye = np.asarray(self.position, float)
            up = UP if abs(np.dot(_unit(target - eye), UP)) < 0.999 else np.array([0, 0, -1.0])
            return eye, np.asarray(target, float), up
        lat, lon = np.radians(self.lat or 0.0), np.radians(self.lon or 0.0)
        direction = np.array([np.cos(lat) * np.sin(lon), -np.sin(lat), -np.cos(lat) * np.cos(lon)])
        distance = self.distance
        if distance is None:
            from ldscene.render.camera import LDRAW_TO_GL, box_corners, orbit_distance, view_axes
            from ldscene.render.options import RenderOptions

            flip = LDRAW_TO_GL[:3, :3]
            axes = view_axes(self.lat or 0.0, self.lon or 0.0)
            corners = box_corners(lo, hi) @ flip
            margin = RenderOptions.margin  # as the render frames it
            distance = orbit_distance(corners, flip @ target, axes, aspect, self.fov, False, margin)
        up = UP if abs(self.lat or 0.0) < 89.9 else _overhead_up(self.lat or 0.0, self.lon or 0.0)
        return target + distance * direction, np.asarray(target, float), up

    def fit_box(self, bbox_min, bbox_max) -> tuple[np.ndarray, np.ndarray]:
        """The box an automatic distance frames: the target entry's (`fit`), else the
        scene's."""
        if self.fit is not None and self.kind is CameraKind.ORBIT:
            return np.asarray(self.fit[0], float), np.asarray(self.fit[1], float)
        return np.asarray(bbox_min, float), np.asarray(bbox_max, float)


def _overhead_up(lat: float, lon: float) -> np.ndarray:
    """The image's up (LDraw axes) for a view from straight above or below, where the world's
    up no longer fixes it: as the render's own views have it (`view_axes`), the model's front
    at the bottom of a top view and at the top of a bottom view."""
    from ldscene.render.camera import LDRAW_TO_GL, view_axes

    return LDRAW_TO_GL[:3, :3] @ view_axes(lat, lon)[:, 1]


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n else v
