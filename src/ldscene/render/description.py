"""What to draw, independent of the engine that draws it.

A `RenderDescription` is built once per model and read by both engines: the instanced meshes
(one per leaf and resolved colour, `meshes.ModelMeshes`; textured triangles apart,
`textured.TexturedMesh`), each colour's `Appearance`, the
ground plane, the background, and the camera framing of a view.  Both engines frame a view
through `framing`, so the raster and the path-traced image show the same composition.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ldscene.appearance import Appearance, appearance
from ldscene.choice import Choice
from ldscene.errors import LdsceneError
from ldscene.ldraw.model import Model
from ldscene.progress import Progress
from ldscene.render.camera import Framing, frame_points
from ldscene.render.meshes import ModelMeshes, build_model_meshes
from ldscene.render.options import RenderOptions, View
from ldscene.render.textured import TexturedMesh, textured_meshes


class Engine(Choice):
    """The two renderers: rasterised previews (OpenGL) and path-traced photos (Mitsuba 3)."""

    __what__ = "render engine"
    RASTER = "raster"
    PATH = "path"


class LightPreset(Choice):
    """Lighting for the path engine: a soft studio or a sunny day."""

    __what__ = "light preset"
    STUDIO = "studio"
    DAYLIGHT = "daylight"


@dataclass(frozen=True)
class GroundPlane:
    """A square floor just under the model (GL world: y up), wide enough for long shadows."""

    y: float
    centre: tuple[float, float]  # x, z
    half: float  # half the side length
    footprint: float  # radius of the model's footprint around `centre`

    @property
    def corners(self) -> np.ndarray:
        cx, cz = self.centre
        h = self.half
        return np.array(
            [[cx - h, self.y, cz - h], [cx - h, self.y, cz + h], [cx + h, self.y, cz + h],
             [cx + h, self.y, cz - h]],
            np.float32,
        )  # fmt: skip


def ground_plane(bounds: np.ndarray) -> GroundPlane:
    """The floor under a model with GL-world bounds `bounds` (2, 3)."""
    lo, hi = np.asarray(bounds, np.float64)
    height = hi[1] - lo[1]
    footprint = 0.5 * float(np.hypot(hi[0] - lo[0], hi[2] - lo[2]))
    half = 0.5 * max(hi[0] - lo[0], hi[2] - lo[2]) + 1.5 * height + 1.0
    centre = (float((lo[0] + hi[0]) / 2), float((lo[2] + hi[2]) / 2))
    return GroundPlane(float(lo[1] - 0.05), centre, float(half), max(footprint, 1.0))


class RenderDescription:
    """One model, ready for any engine: geometry, appearances, ground and framing."""

    def __init__(self, meshes: ModelMeshes, options: RenderOptions) -> None:
        self.meshes = meshes
        if meshes.empty and not self.textured:
            raise LdsceneError(
                "nothing to render: the model has no visible geometry",
                path=meshes.model.label,
            )
        self.options = options
        self._appearances: dict[int, Appearance] = {}

    def appearance(self, code: int) -> Appearance:
        """The look of resolved colour `code` (negative codes: an edge colour)."""
        found = self._appearances.get(code)
        if found is None:
            found = self._appearances[code] = appearance(self.meshes.model.colours.get(code))
        return found

    @cached_property
    def ground(self) -> GroundPlane | None:
        return ground_plane(self.meshes.bounds) if self.options.ground else None

    def ground_seen(self, frame: Framing) -> GroundPlane | None:
        """The floor a view shows: none from below it, where it would hide the model (its
        underside is all a camera there sees) and its shadow would fall on nothing."""
        ground = self.ground
        if ground is not None and frame.position[1] <= ground.y:
            return None
        return ground

    @cached_property
    def textured(self) -> list[TexturedMesh]:
        """The model's textured triangles, grouped by leaf, image, colour and mirroring."""
        poses = np.asarray(self.meshes.poses, np.float64).reshape(-1, 4, 4)
        mirrored = np.linalg.det(poses[:, :3, :3]) < 0  # the GL axes keep handedness
        return textured_meshes(self.meshes.model, mirrored)

    @property
    def centre(self) -> np.ndarray:
        return self.meshes.bounds.mean(axis=0)

    @property
    def scale(self) -> float:
        """The diagonal of the model's bounding box (GL world units, LDU)."""
        return float(np.linalg.norm(self.meshes.bounds[1] - self.meshes.bounds[0]))

    def framing(self, view: View) -> Framing:
        """The camera for `view`: auto-framed on the model, or the view's fixed camera."""
        opts = self.options
        fov = view.fov if view.fov is not None else opts.fov
        ortho = view.ortho if view.ortho is not None else opts.ortho
        return frame_points(
            self.meshes.frame_points,
            view,
            opts.width / opts.height,
            fov,
            ortho,
            opts.margin,
            self.ground.corners if self.ground is not None else None,
        )


def describe(
    model: Model | ModelMeshes,
    options: RenderOptions,
    progress: Progress | None = None,
    use_cache: bool = True,
) -> tuple[RenderDescription, float]:
    """What every engine's renderer starts from: the description of `model` (its meshes
    built unless given) and the seconds the meshes took."""
    start = time.perf_counter()
    meshes = (
        model
        if isinstance(model, ModelMeshes)
        else build_model_meshes(model, progress, use_cache=use_cache)
    )
    seconds = time.perf_counter() - start
    return RenderDescription(meshes, options), seconds
