"""Studio lighting that follows the camera around the model.

A key light from the camera's upper left casts the (soft-filtered) shadows, a fill light from
the right keeps shadowed sides readable, and the shader adds a sky/ground ambient, so no side
is ever pitch black.  Intensities are calibrated so that a face turned to the key light shows
about its LDConfig colour: a top face lands near 100 %, a front face near 80 %, a side near
50 % of the colour's linear value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ldscene.render.camera import direction

#: The BRDF's diffuse term is intensity * (1 - 0.04) * (1 - F) / pi per unit cos.
_DIFFUSE = 0.96 * 0.96 / math.pi


@dataclass(frozen=True)
class LightRig:
    key_azimuth: float = -40.0  # degrees, relative to the camera's longitude (left is negative)
    key_elevation: float = 50.0
    key_strength: float = 0.95  # diffuse factor at normal incidence
    fill_azimuth: float = 60.0
    fill_elevation: float = 15.0
    fill_strength: float = 0.35
    ambient: float = 0.35  # sky ambient; the floor gives 45 % of it

    @property
    def key_intensity(self) -> float:
        return self.key_strength / _DIFFUSE

    @property
    def fill_intensity(self) -> float:
        return self.fill_strength / _DIFFUSE


def directional_pose(towards_light: np.ndarray) -> np.ndarray:
    """Pose of a pyrender directional light shining against `towards_light`."""
    z = towards_light / np.linalg.norm(towards_light)
    helper = np.array([0.0, 1.0, 0.0]) if abs(z[1]) < 0.99 else np.array([1.0, 0.0, 0.0])
    x = np.cross(helper, z)
    x /= np.linalg.norm(x)
    pose = np.eye(4)
    pose[:3, :3] = np.stack([x, np.cross(z, x), z], axis=1)
    return pose


def light_poses(
    rig: LightRig, longitude: float, centre: np.ndarray, scale: float
) -> tuple[np.ndarray, np.ndarray, float]:
    """(key pose, fill pose, fill intensity) for a camera at `longitude`."""
    key = directional_pose(direction(longitude + rig.key_azimuth, rig.key_elevation))
    distance = 50.0 * max(scale, 1e-3)
    fill = np.eye(4)
    fill[:3, 3] = centre + direction(longitude + rig.fill_azimuth, rig.fill_elevation) * distance
    return key, fill, rig.fill_intensity * distance**2
