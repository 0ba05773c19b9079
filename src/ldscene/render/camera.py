"""Camera placement: LDraw-to-GL axes, view directions and tight automatic framing.

LDraw is right-handed with -Y up and the model's front facing -Z.  GL (and pyrender) want +Y
up with the camera looking down -Z, so world space here is LDraw rotated 180 degrees about X
(flip Y and Z): still right-handed, the model's front faces +Z, and a "front" camera sits on
+Z looking at it, with LDraw +X to the right.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ldscene.errors import LdsceneError
from ldscene.render.options import RenderOptions, View

#: LDraw space -> GL world space (a proper rotation: det = +1).
LDRAW_TO_GL = np.diag([1.0, -1.0, -1.0, 1.0])


def to_gl(transforms: np.ndarray) -> np.ndarray:
    """LDraw-space 4x4 transforms (N, 4, 4) -> GL world-space poses."""
    return np.einsum("ij,njk->nik", LDRAW_TO_GL, np.asarray(transforms, np.float64))


def view_axes(latitude: float, longitude: float) -> np.ndarray:
    """Camera rotation (3x3, columns = camera right, up, backward) in GL world space.

    The camera sits at elevation `latitude` and has turned `longitude` from the front towards
    the model's right.  Its right vector stays horizontal, so top and bottom views have the
    model's front at the bottom of the image (top) or at the top (bottom).
    """
    lat, lon = math.radians(latitude), math.radians(longitude)
    back = np.array([math.sin(lon) * math.cos(lat), math.sin(lat), math.cos(lon) * math.cos(lat)])
    right = np.array([math.cos(lon), 0.0, -math.sin(lon)])
    up = np.cross(back, right)
    return np.stack([right, up / np.linalg.norm(up), back], axis=1)


def direction(azimuth: float, elevation: float) -> np.ndarray:
    """Unit vector (GL world) towards a light at `azimuth` from the front, `elevation` up."""
    az, el = math.radians(azimuth), math.radians(elevation)
    return np.array([math.sin(az) * math.cos(el), math.sin(el), math.cos(az) * math.cos(el)])


@dataclass(frozen=True)
class Framing:
    """A framed camera: pose (4x4, GL), projection parameters and clip planes."""

    pose: np.ndarray
    ortho: bool
    yfov: float  # radians, perspective only
    xmag: float  # half extents, orthographic only
    ymag: float
    znear: float
    zfar: float

    @property
    def position(self) -> np.ndarray:
        return self.pose[:3, 3]

    @property
    def forward(self) -> np.ndarray:
        return -self.pose[:3, 2]

    def make_camera(self, aspect: float):
        """The pyrender camera for this framing (imports pyrender)."""
        import pyrender

        if self.ortho:
            return pyrender.OrthographicCamera(self.xmag, self.ymag, self.znear, self.zfar)
        return pyrender.PerspectiveCamera(self.yfov, self.znear, self.zfar, aspect)


def frame_points(
    points: np.ndarray,
    view: View,
    aspect: float,
    fov_degrees: float,
    ortho: bool,
    margin: float,
    extra_points: np.ndarray | None = None,
) -> Framing:
    """Place the camera so that every point of `points` (N, 3, GL world) is in frame.

    Perspective framing is exact: for each image axis the camera offset and distance solve
    the two extreme frustum-plane constraints in closed form, then the larger distance wins.
    `margin` is the free border on each side as a fraction of the image size.  `extra_points`
    (a ground plane) only widen the clip range.
    """
    pts = np.asarray(points, np.float64).reshape(-1, 3)
    view = _orbit_camera(view, aspect, fov_degrees, ortho, margin)
    if view.eye is not None:
        return _fixed_camera(pts, view, aspect, fov_degrees, ortho, extra_points)
    axes = view_axes(view.latitude, view.longitude)
    local = pts @ axes  # columns: u (right), v (up), w (towards camera)
    u, v, w = local[:, 0], local[:, 1], local[:, 2]
    scale = max(float(np.ptp(local, axis=0).max()), 1e-6)
    keep = 1.0 - 2.0 * margin
    yfov = math.radians(fov_degrees)

    if ortho:
        cx, cy = (u.max() + u.min()) / 2, (v.max() + v.min()) / 2
        half_w = max((u.max() - u.min()) / 2, 1e-6 * scale) / keep
        half_h = max((v.max() - v.min()) / 2, 1e-6 * scale) / keep
        ymag = max(half_h, half_w / aspect)
        xmag = ymag * aspect
        cz = w.max() + 0.5 * scale
    else:
        tan_v = math.tan(yfov / 2) * keep
        tan_h = math.tan(yfov / 2) * aspect * keep
        a, b = (u + tan_h * w).max(), (-u + tan_h * w).max()
        c, d = (v + tan_v * w).max(), (-v + tan_v * w).max()
        cx, cy = (a - b) / 2, (c - d) / 2
        cz = max((a + b) / (2 * tan_h), (c + d) / (2 * tan_v))
        xmag = ymag = 0.0

    pose = np.eye(4)
    pose[:3, :3] = axes
    pose[:3, 3] = axes @ np.array([cx, cy, cz])
    depth = cz - w
    far = depth.max()
    if extra_points is not None and len(extra_points):
        far = max(far, float((cz - np.asarray(extra_points, np.float64) @ axes[:, 2]).max()))
    near = max(depth.min(), 0.0)
    znear = max(near * 0.9 - 1e-3 * scale, 1e-4 * far, 1e-3)
    zfar = far * 1.05 + 1e-3 * scale
    return Framing(pose, ortho, yfov, xmag, ymag, znear, zfar)


def box_corners(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The 8 corners (8, 3) of the axis-aligned box from `lo` to `hi`."""
    lo, hi = np.asarray(lo, np.float64), np.asarray(hi, np.float64)
    pick = np.array([[i >> 2 & 1, i >> 1 & 1, i & 1] for i in range(8)], bool)
    return np.where(pick, hi, lo)


def orbit_distance(
    corners: np.ndarray,
    target: np.ndarray,
    axes: np.ndarray,
    aspect: float,
    fov_degrees: float,
    ortho: bool = False,
    margin: float = 0.0,
) -> float:
    """How far from `target` a camera with `axes` (GL, columns right, up, back) stands so
    that every point of `corners` (GL) is in the image, `margin` of it free on each side.
    The target stays at the image centre: each point bounds the distance through the
    frustum plane it would cross first."""
    local = (np.asarray(corners, np.float64).reshape(-1, 3) - target) @ axes
    u, v, w = np.abs(local[:, 0]), np.abs(local[:, 1]), local[:, 2]
    keep = 1.0 - 2.0 * margin
    tan_v = math.tan(math.radians(fov_degrees) / 2) * keep
    tan_h = tan_v * aspect
    if ortho:  # the image's size follows the distance (see _fixed_camera), not the depth
        distance = max(float((u / tan_h).max()), float((v / tan_v).max()), float(w.max()) + 1.0)
    else:
        distance = float(np.maximum(w + u / tan_h, w + v / tan_v).max())
    return max(distance, 1.0)


def fitted_view(view: View, options: RenderOptions) -> View:
    """A view that fits a box (`View.fit`) as the fixed camera it is in `options`' image."""
    fov = view.fov if view.fov is not None else options.fov
    ortho = view.ortho if view.ortho is not None else options.ortho
    return _orbit_camera(view, options.width / options.height, fov, ortho, options.margin)


def _orbit_camera(
    view: View, aspect: float, fov_degrees: float, ortho: bool, margin: float
) -> View:
    """`view`, when an orbit about its target fitting its box, as a fixed camera for
    `aspect`; any other view as it is."""
    if view.eye is not None or view.target is None or view.fit is None:
        return view
    flip = LDRAW_TO_GL[:3, :3]
    lo, hi = (np.asarray(corner, np.float64) for corner in view.fit)  # type: ignore[union-attr]
    corners = box_corners(lo, hi)
    target = flip @ np.asarray(view.target, np.float64)
    axes = view_axes(view.latitude, view.longitude)
    distance = orbit_distance(corners @ flip, target, axes, aspect, fov_degrees, ortho, margin)
    eye = flip @ (target + distance * axes[:, 2])
    up = flip @ axes[:, 1]
    return replace(view, eye=tuple(map(float, eye)), up=tuple(map(float, up)))


def _fixed_camera(
    pts: np.ndarray,
    view: View,
    aspect: float,
    fov_degrees: float,
    ortho: bool,
    extra_points: np.ndarray | None,
) -> Framing:
    """A camera placed by eye/target/up (LDraw axes); only the clip planes are automatic."""
    flip = LDRAW_TO_GL[:3, :3]
    eye = flip @ np.asarray(view.eye, np.float64)
    target = flip @ np.asarray(view.target, np.float64)
    up = flip @ np.asarray(view.up if view.up is not None else (0.0, -1.0, 0.0), np.float64)
    back = eye - target
    back /= np.linalg.norm(back)
    right = np.cross(up, back)
    if np.linalg.norm(right) < 1e-9:  # looking along `up`: any horizontal right vector
        right = np.cross(np.array([0.0, 0.0, -1.0]), back)
    right /= np.linalg.norm(right)
    axes = np.stack([right, np.cross(back, right), back], axis=1)
    pose = np.eye(4)
    pose[:3, :3] = axes
    pose[:3, 3] = eye
    depth = (eye - pts) @ back
    if extra_points is not None and len(extra_points):
        depth = np.concatenate([depth, (eye - np.asarray(extra_points, np.float64)) @ back])
    far = max(float(depth.max()), 1e-3)
    zfar = far * 1.05 + 1.0
    znear = max(float(depth[depth > 0].min()) * 0.9 if (depth > 0).any() else 1.0, zfar * 1e-4)
    yfov = math.radians(fov_degrees)
    distance = float(np.linalg.norm(eye - target))
    ymag = distance * math.tan(yfov / 2)
    return Framing(pose, ortho, yfov, ymag * aspect, ymag, znear, zfar)


def orbit_views(
    frame_points: np.ndarray,
    frames: int,
    options: RenderOptions,
    latitude: float = 30.0,
    start_longitude: float = 45.0,
) -> list[View]:
    """`frames` fixed cameras around the model's centre, one distance for all of them, so the
    model turns without changing size (turntables, both engines).

    `frame_points` are GL world points (ModelMeshes.frame_points).  For each direction the
    smallest distance that keeps every point inside the frustum (less the margin) is solved
    in closed form; the largest over all frames is used.
    """
    if frames < 1:
        raise LdsceneError(f"a turntable needs at least one frame, not {frames}")
    View.angles(latitude, start_longitude)  # the one check of view angles: finite, in range
    pts = np.asarray(frame_points, np.float64).reshape(-1, 3)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    centre = (lo + hi) / 2
    keep = 1.0 - 2.0 * options.margin
    tan_v = math.tan(math.radians(options.fov) / 2) * keep
    tan_h = tan_v * options.width / options.height
    longitudes = [start_longitude + 360.0 * i / frames for i in range(frames)]
    distance = 0.0
    for lon in longitudes:
        axes = view_axes(latitude, lon)
        local = (pts - centre) @ axes  # u right, v up, w towards the camera
        u, v, w = np.abs(local[:, 0]), np.abs(local[:, 1]), local[:, 2]
        distance = max(distance, float((w + np.maximum(u / tan_h, v / tan_v)).max()))
    distance = max(distance, 1e-3)
    flip = LDRAW_TO_GL[:3, :3]  # its own inverse
    target = flip @ centre
    views = []
    for i, lon in enumerate(longitudes):
        eye_gl = centre + distance * view_axes(latitude, lon)[:, 2]
        up = (
            (0.0, -1.0, 0.0)
            if abs(latitude) < 89.99
            else tuple(flip @ view_axes(latitude, lon)[:, 1])
        )
        views.append(View.look(f"turn{i:03d}", flip @ eye_gl, target, up, fov=options.fov))
    return views
