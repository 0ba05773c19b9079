"""Scene axes ↔ LDraw axes, and the 4×4 transforms the composer multiplies.

Scene files use y-up axes: x to the right, y up (ground at y = 0), z towards the viewer
(the front of a part or minifig faces +z).  LDraw uses x right, -y up, -z towards the viewer.
The two differ by a half turn about x, ``F = diag(1, -1, -1)``: a proper rotation, so
handedness and angle signs survive.  A scene point p maps to ``F @ p``; a scene rotation R to
``F @ R @ F``.  Scene rotations are in degrees, right-handed about the scene axes; `yaw` turns
about +y (counter-clockwise seen from above).
"""

from __future__ import annotations

import numpy as np

#: Scene → LDraw axis flip (its own inverse).
FLIP = np.diag([1.0, -1.0, -1.0])


def to_ldraw_point(point: np.ndarray) -> np.ndarray:
    """Scene coordinates (y up) → LDraw coordinates (-y up). Works on (..., 3) arrays."""
    return np.asarray(point, float) * np.array([1.0, -1.0, -1.0])


def to_scene_point(point: np.ndarray) -> np.ndarray:
    """LDraw coordinates → scene coordinates (the same flip)."""
    return to_ldraw_point(point)


def rot_x(degrees: float) -> np.ndarray:
    c, s = _cos_sin(degrees)
    return np.array([[1.0, 0, 0], [0, c, -s], [0, s, c]])


def rot_y(degrees: float) -> np.ndarray:
    c, s = _cos_sin(degrees)
    return np.array([[c, 0, s], [0, 1.0, 0], [-s, 0, c]])


def rot_z(degrees: float) -> np.ndarray:
    c, s = _cos_sin(degrees)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]])


def _cos_sin(degrees: float) -> tuple[float, float]:
    """cos and sin with exact values at multiples of 90° (so exports stay clean)."""
    rad = np.radians(degrees)
    c, s = float(np.cos(rad)), float(np.sin(rad))
    c = round(c) if abs(c - round(c)) < 1e-12 else c
    s = round(s) if abs(s - round(s)) < 1e-12 else s
    return c + 0.0, s + 0.0


def euler_scene(rx: float, ry: float, rz: float) -> np.ndarray:
    """Scene rotation for `rotate: [rx, ry, rz]`: first about x, then y, then z (fixed axes)."""
    return rot_z(rz) @ rot_y(ry) @ rot_x(rx)


def ldraw_rotation(scene_rotation: np.ndarray) -> np.ndarray:
    """A 3×3 scene rotation expressed in LDraw axes."""
    return FLIP @ scene_rotation @ FLIP


def matrix(rotation: np.ndarray | None = None, translation=None) -> np.ndarray:
    """A 4×4 affine transform from a 3×3 rotation and a translation (same axes)."""
    out = np.eye(4)
    if rotation is not None:
        out[:3, :3] = rotation
    if translation is not None:
        out[:3, 3] = translation
    return out


def scene_transform(at_scene, rotation_scene: np.ndarray) -> np.ndarray:
    """The LDraw-space 4×4 transform for a placement given in scene axes."""
    return matrix(ldraw_rotation(rotation_scene), to_ldraw_point(at_scene))


def apply(transform: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Apply a 4×4 transform to (..., 3) points."""
    return points @ transform[:3, :3].T + transform[:3, 3]
