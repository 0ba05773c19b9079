"""`PathRenderer`: path-traced views of a model through Mitsuba 3, denoised and tone-mapped.

    with PathRenderer(model, options, PathSettings(samples=16)) as renderer:
        image = renderer.render(view)

The model is meshed and merged once; each view builds a Mitsuba scene (camera, lights that
follow it) around the same meshes and renders one sample per pixel per pass, so the progress
bar moves per sample and the result does not depend on how threads split the work: the same
seed on the same machine gives the same image, byte for byte.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ldscene.appearance import linear_to_srgb, srgb_to_linear
from ldscene.errors import LdsceneError
from ldscene.ldraw.model import Model
from ldscene.progress import Progress
from ldscene.render.camera import Framing
from ldscene.render.description import GroundPlane, describe
from ldscene.render.engines import MAX_SAMPLES, PathSettings
from ldscene.render.images import image_from_array, transparent_pixels
from ldscene.render.meshes import ModelMeshes
from ldscene.render.options import RenderOptions, View
from ldscene.render.path import film
from ldscene.render.path.interrupt import interrupt_watch, raise_if_interrupted
from ldscene.render.path.lights import lighting
from ldscene.render.path.materials import (
    BLACK,
    bsdf,
    emitter,
    glass_only,
    grain_texcoords,
    needs_texcoords,
    textured_bsdf,
)
from ldscene.render.path.setup import start
from ldscene.render.path.world import WorldMesh, world_meshes

#: Bounces: glass needs several (four interfaces per hollow brick, and what lies behind).
MAX_DEPTH = 12
#: The most radiance one sample may carry (a white top face in full light is about 1).
FIREFLY_CLAMP = 6.0
#: Images with a side shorter than this are not denoised: Open Image Denoise turned a 1x1
#: trans-red image nearly black (12, 17, 13 against 158, 148, 150) and shifted a 2x2 one by
#: 25 levels; from 4 px on it agrees with the noisy image.
DENOISE_MIN_SIDE = 4
#: The surface passes (Mitsuba AOVs) of each camera ray, for OIDN and compositing.
SURFACE_PASSES = "albedo:albedo,normal:sh_normal,position:position,depth:depth"
#: The unshadowed floor's brightness (display-linear) against the background's: a white
#: baseplate on a floor as light as the background all but vanished.
FLOOR_SHADE = 0.72
#: With --transparent, the floor's darkening below this share is dropped (not a shadow).
SHADOW_FLOOR = 0.1
#: The film a 35 mm camera has, for depth of field from an f-number (24 mm tall).
FILM_HEIGHT_MM = 24.0
#: LDraw units per millimetre.
LDU_PER_MM = 2.5


def check_view(view: View) -> None:
    """Depth of field needs both a focus point and an aperture."""
    if view.aperture is not None and view.focus is None:
        raise LdsceneError(
            f"camera '{view.name}' has an aperture but no focus",
            hint="add focus: a point [x, y, z] or the name of a placed entry",
        )
    if view.aperture is not None and not (math.isfinite(view.aperture) and view.aperture > 0):
        raise LdsceneError(f"camera '{view.name}': aperture must be an f-number above 0")


def focus_distance(view: View, frame: Framing) -> float | None:
    """How far in front of the camera `view`'s focus point lies (None: no depth of field)."""
    if view.aperture is None or view.focus is None:
        return None
    focus_gl = np.asarray(view.focus, np.float64) * np.array([1.0, -1.0, -1.0])
    distance = float(np.dot(focus_gl - frame.position, frame.forward))
    if distance <= 0:
        raise LdsceneError(
            f"camera '{view.name}': its focus point is behind it",
            hint="give it a focus in front of the camera, or no aperture",
        )
    return distance


@dataclass
class FilmLayers:
    """A view's averaged film: colour, albedo and normal of what the camera rays hit
    (premultiplied by coverage, the share of a pixel's samples that hit the model or the
    floor), and the mean position of those hits."""

    colour: np.ndarray  # (H, W, 3)
    coverage: np.ndarray  # (H, W)
    albedo: np.ndarray  # (H, W, 3)
    normal: np.ndarray  # (H, W, 3)
    position: np.ndarray  # (H, W, 3), GL world
    # The share of each pixel's light that comes through glass from behind the model (RGB,
    # tinted, premultiplied like the colour): where the background shows through; None for
    # a model without glass.
    see_through: np.ndarray | None = None


class Accumulator:
    """Sums one-sample-per-pixel passes: the path tracer's colour (R, G, B, A) and, for the
    same camera rays (same seed), the surface passes (albedo, normal, position, depth).

    Mitsuba counts a visible environment as a hit in A; with one sample a pass, depth > 0
    tells hits from misses exactly.  The passes come from a separate integrator: wrapping the
    path tracer in Mitsuba's `aov` integrator made each pass 2.5 times slower (Stalingrad,
    1200x900: 2.1 s against 0.84 s for the path tracer plus 0.11 s for the surfaces alone).
    The sums stay Dr.Jit tensors (a few milliseconds a pass; numpy copies took ~0.3 s).
    """

    def __init__(self, dr, lamp: tuple[np.ndarray, float] | None = None) -> None:
        self.dr = dr
        self.lamp = lamp  # a light's sphere (centre, radius) that counts as a miss
        self.colour = self.surface = self.hits = self.through = None
        self.passes = 0

    def add(self, colour, surface, seen=None) -> None:
        """One pass.  `seen`: the see-through passes of a model with glass (`SeeThrough`):
        the dome as glass shows it, taken out of the colour, and the share of light that
        comes through the glass, for the background to show there."""
        dr = self.dr
        hit = surface[..., 9] > 0
        if self.lamp is not None:
            centre, radius = self.lamp
            offset = [surface[..., 6 + i] - float(centre[i]) for i in range(3)]
            hit &= offset[0] ** 2 + offset[1] ** 2 + offset[2] ** 2 > (radius * 1.01) ** 2
        hit = dr.select(hit, 1.0, 0.0)
        colour = colour[..., :3]
        through = None
        if seen is not None:
            dome, white = seen
            colour = dr.maximum(colour - dome[..., :3], 0.0)
            through = dr.minimum(white[..., :3], 1.0) * hit[..., None]
        # Fireflies (rare paths through glass or off chrome that carry huge radiance) are
        # clamped, as Cycles' "clamp" does: a little energy lost for far less noise.
        colour = dr.minimum(colour, FIREFLY_CLAMP) * hit[..., None]
        surface = surface[..., :9] * hit[..., None]
        if self.passes:
            colour, surface, hit = colour + self.colour, surface + self.surface, hit + self.hits
            if through is not None:
                through = through + self.through
        dr.eval(colour, surface, hit, *([] if through is None else [through]))
        self.colour, self.surface, self.hits, self.through = colour, surface, hit, through
        self.passes += 1

    def layers(self) -> FilmLayers:
        assert self.passes
        colour = np.asarray(self.colour, np.float32) / self.passes
        surface = np.asarray(self.surface, np.float32)
        hits = np.asarray(self.hits, np.float32)
        return FilmLayers(
            colour=colour,
            coverage=hits / self.passes,
            albedo=surface[..., 0:3] / self.passes,  # premultiplied like the colour (OIDN)
            normal=surface[..., 3:6] / self.passes,
            position=surface[..., 6:9] / np.maximum(hits, 1.0)[..., None],
            see_through=None
            if self.through is None
            else np.asarray(self.through, np.float32) / self.passes,
        )


def pass_seed(seed: int, k: int) -> int:
    """Mitsuba's 32-bit seed for pass `k` of a render with `seed` (0..2^31-1): the seed's low
    16 bits and the pass, plus a multiplicative hash of its high bits, so that seeds 65,536
    apart no longer give the same image (the seeds below 65,536 are as they were)."""
    return (seed * MAX_SAMPLES + k + (seed >> 16) * 0x9E3779B1) % 2**32


class PathRenderer:
    """One model's merged meshes; renders any number of views with Mitsuba 3."""

    def __init__(
        self,
        model: Model | ModelMeshes,
        options: RenderOptions | None = None,
        settings: PathSettings | None = None,
        progress: Progress | None = None,
        use_cache: bool = True,
    ) -> None:
        self.options = options or RenderOptions(ground=True)
        self.options.validate()
        self.settings = settings or PathSettings()
        self.settings.validate()
        self.progress = progress
        self.timings: dict[str, float] = {}
        self.description, self.timings["mesh"] = describe(model, self.options, progress, use_cache)
        self.meshes = self.description.meshes
        self.variant = ""
        self.warnings: list[str] = []
        self._world: list[WorldMesh] | None = None
        self._mitsuba_shapes: dict[str, Any] | None = None
        self._see_shapes: dict[str, Any] | None = None

    def __enter__(self) -> PathRenderer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._world = None
        self._mitsuba_shapes = None
        self._see_shapes = None

    @property
    def gl(self) -> dict[str, str]:
        return {}

    # -------------------------------------------------------------- scene translation
    def _world_meshes(self) -> list[WorldMesh]:
        if self._world is None:
            self._world = world_meshes(self.description)
        return self._world

    def _shapes(self, mi) -> dict[str, Any]:
        """The model's Mitsuba meshes, built and uploaded once for every view."""
        if self._mitsuba_shapes is None:
            self._mitsuba_shapes = self._build_shapes(mi)
        return self._mitsuba_shapes

    def _build_shapes(self, mi) -> dict[str, Any]:
        shapes: dict[str, Any] = {}
        for i, mesh in enumerate(self._world_meshes()):
            look = self.description.appearance(mesh.code)
            printed = mesh.image is not None
            surface = textured_bsdf(look, mesh.image) if printed else bsdf(look)
            glow = emitter(look)
            name = f"printed{i}" if printed else f"colour{mesh.code}"
            shapes[f"mesh{i}"] = _mesh(mi, name, mesh, look, surface, glow)
        return shapes

    def _see_through_shapes(self, mi) -> dict[str, Any]:
        """The meshes of the see-through passes (`SeeThrough`): glass as it is, everything
        else black, hiding what is behind it; none for a model without glass."""
        if self._see_shapes is None:
            self._see_shapes = {}
            meshes = self._world_meshes()
            looks = [self.description.appearance(mesh.code) for mesh in meshes]
            glass = [look.transparent and mesh.image is None for mesh, look in zip(meshes, looks)]
            if any(glass):
                for i, (mesh, look) in enumerate(zip(meshes, looks)):
                    surface = glass_only(look) if glass[i] else BLACK
                    self._see_shapes[f"seen{i}"] = _mesh(mi, f"seen{i}", mesh, look, surface)
        return self._see_shapes

    def _see_through(self, mi, sensor: dict, ground: dict, light) -> SeeThrough | None:
        """The see-through scene of a view: its glass, everything else black, lit by the
        environment alone; None for a model without glass."""
        shapes = self._see_through_shapes(mi)
        if not shapes:
            return None
        dome = next(e["bitmap"] for e in light.emitters.values() if e["type"] == "envmap")
        blocking = {key: {**value, "bsdf": BLACK} for key, value in ground.items()}
        if light.lamp is not None:  # the softbox hides what is behind it, as in the picture
            centre, radius = light.lamp
            blocking["lamp"] = {
                "type": "sphere",
                "center": [*map(float, centre)],
                "radius": float(radius),
                "bsdf": BLACK,
            }
        scene = mi.load_dict(
            {
                "type": "scene",
                "integrator": {"type": "path", "max_depth": MAX_DEPTH},
                "sensor": sensor,
                **shapes,
                **blocking,
                **_tensors(mi, {"environment": {"type": "envmap", "bitmap": dome}}),
            }
        )
        return SeeThrough(mi, scene)

    def _ground(
        self, mi, ground: GroundPlane | None, open_irradiance: np.ndarray
    ) -> dict[str, Any]:
        """The floor, its albedo from `_floor_albedo`."""
        if ground is None:
            return {}
        albedo = self._floor_albedo(open_irradiance)
        to_world = (
            mi.ScalarTransform4f()
            .translate([ground.centre[0], ground.y, ground.centre[1]])
            .rotate([1, 0, 0], -90)
            .scale([film.floor_half(ground), film.floor_half(ground), 1])
        )
        return {
            "ground": {
                "type": "rectangle",
                "to_world": to_world,
                "bsdf": {"type": "diffuse", "reflectance": {"type": "rgb", "value": [*albedo]}},
            }
        }

    def _floor_albedo(self, open_irradiance: np.ndarray) -> np.ndarray:
        """The floor's albedo: unshadowed, a shade darker than the background it fades into
        (`FLOOR_SHADE`), so that white parts on it stand out as they do in the raster engine."""
        target = film.inverse_filmic(srgb_to_linear(self.options.background) * FLOOR_SHADE)
        return np.clip(target * math.pi / np.maximum(open_irradiance, 1e-6), 0.0, 0.8)

    def _sensor(self, mi, view: View, frame: Framing) -> dict[str, Any]:
        opts = self.options
        eye = frame.position
        look_at = mi.ScalarTransform4f().look_at(
            origin=[*map(float, eye)],
            target=[*map(float, eye + frame.forward)],
            up=[*map(float, frame.pose[:3, 1])],
        )
        film_dict = {
            "type": "hdrfilm",
            "width": opts.width,
            "height": opts.height,
            "rfilter": {"type": "box"},  # OIDN needs uncorrelated pixel noise
            "pixel_format": "rgba",
            "component_format": "float32",
        }
        # Rays need no depth buffer: clip planes well outside the framing keep the whole floor.
        clip = {"near_clip": float(frame.znear) * 0.01, "far_clip": float(frame.zfar) * 20.0}
        if frame.ortho:
            if view.aperture is not None:
                note = f"camera '{view.name}': an orthographic view has no depth of field"
                if note not in self.warnings:
                    self.warnings.append(note)
            return {
                "type": "orthographic",
                "to_world": look_at.scale([frame.xmag, frame.xmag, 1.0]),
                "film": film_dict,
                **clip,
            }
        sensor = {
            "type": "perspective",
            "fov_axis": "y",
            "fov": math.degrees(frame.yfov),
            "to_world": look_at,
            "film": film_dict,
            **clip,
        }
        distance = focus_distance(view, frame)
        if distance is not None:
            focal_mm = FILM_HEIGHT_MM / 2 / math.tan(frame.yfov / 2)
            sensor["type"] = "thinlens"
            sensor["aperture_radius"] = focal_mm / (2 * view.aperture) * LDU_PER_MM
            sensor["focus_distance"] = distance
        return sensor

    # -------------------------------------------------------------- per view
    def check_views(self, views: list[View]) -> None:
        """Refuse, before the first image, a view that no image of the batch could show
        (a focus point behind its camera), rather than after minutes of tracing the others."""
        for view in views:
            check_view(view)
            focus_distance(view, self.description.framing(view))

    def render_array(self, view: View) -> np.ndarray:
        """Render one view; (H, W, 4) uint8 RGBA, straight alpha."""
        check_view(view)
        begin = time.perf_counter()
        if not self.variant:
            self.variant = start(self.settings.device)
            self.timings["start"] = time.perf_counter() - begin
        import drjit as dr
        import mitsuba as mi

        interrupt_watch(mi)  # before the first pass: a Ctrl-C in it is noticed too
        begin = time.perf_counter()
        frame = self.description.framing(view)
        ground = self.description.ground_seen(frame)
        below = ground is None and frame.position[1] < self.description.centre[1]
        light = lighting(
            self.settings.light,
            view.longitude,
            self.description.centre,
            self.description.scale,
            below,
            float(np.linalg.norm(frame.position - self.description.centre)),
        )
        floor = self._ground(mi, ground, light.open_irradiance)
        scene = mi.load_dict(
            {
                "type": "scene",
                "integrator": {"type": "path", "max_depth": MAX_DEPTH},
                "sensor": self._sensor(mi, view, frame),
                **self._shapes(mi),
                **floor,
                **_tensors(mi, light.emitters),
            }
        )
        see = self._see_through(mi, self._sensor(mi, view, frame), floor, light)
        self.timings[f"translate:{view.name}"] = time.perf_counter() - begin

        begin = time.perf_counter()
        passes = self.settings.samples
        passes_of = mi.load_dict({"type": "aov", "aovs": SURFACE_PASSES})
        film_sum = Accumulator(dr, light.lamp)
        for k in range(passes):
            if self.progress:
                self.progress(f"path-tracing {view.name}", k / passes)
            seed = pass_seed(self.settings.seed, k)
            colour = mi.render(scene, spp=1, seed=seed)
            seen = None if see is None else see.render(mi, seed)
            film_sum.add(colour, mi.render(scene, integrator=passes_of, spp=1, seed=seed), seen)
            raise_if_interrupted(mi)
        layers = film_sum.layers()
        if self.progress:
            self.progress(f"path-tracing {view.name}", 1.0)
        self.timings[f"render:{view.name}"] = time.perf_counter() - begin

        begin = time.perf_counter()
        to_sensor = scene.sensors()[0].world_transform().inverse()
        image = self._develop(
            layers, ground, light.open_irradiance, view.aperture is not None, to_sensor
        )
        self.timings[f"denoise:{view.name}"] = time.perf_counter() - begin
        return image

    def _develop(
        self,
        layers: FilmLayers,
        ground: GroundPlane | None,
        open_irradiance: np.ndarray,
        through_lens: bool,
        to_sensor,
    ) -> np.ndarray:
        """Film layers -> RGBA uint8 (`ground`: the view's floor, if it has one)."""
        colour, coverage, position = layers.colour, layers.coverage, layers.position
        denoise = self.settings.denoise and min(coverage.shape) >= DENOISE_MIN_SIDE
        prepared: list[film.Guides] = []

        def guides() -> film.Guides:
            """OIDN's guide passes, prepared once for every image that needs them."""
            if not prepared:
                prepared.append(film.guides(layers.albedo, layers.normal, noisy=through_lens))
            return prepared[0]

        if denoise:
            colour = self._denoise(layers, through_lens, to_sensor, guides)
            if through_lens:
                coverage = film.denoise_coverage(coverage)
        straight = colour / np.maximum(coverage, 1e-4)[..., None]
        display = film.filmic(straight)
        through = None  # the share of the background that glass shows, straight
        if layers.see_through is not None:
            seen = layers.see_through
            if denoise:  # as noisy as the colour: the same denoiser
                seen = film.denoise(seen, guides())
            through = np.clip(seen / np.maximum(coverage, 1e-4)[..., None], 0.0, 1.0)
        if ground is None:
            visible = coverage
        else:
            where = position
            visible = film.floor_visibility(where, coverage, ground)
            if denoise and through_lens:  # each pixel's position mixes lens samples: noisy
                visible = film.denoise_coverage(visible)
        if self.options.transparent:
            floor = (ground, where) if ground else None
            return self._transparent(display, visible, floor, open_irradiance, through)
        background = srgb_to_linear(self.options.background)
        if through is not None:
            display = np.minimum(display + through * background, 1.0)
        mixed = display * visible[..., None] + background * (1.0 - visible[..., None])
        rgb = linear_to_srgb(mixed)
        out = np.empty((*rgb.shape[:2], 4), np.uint8)
        out[..., :3] = np.round(rgb * 255.0)
        out[..., 3] = 255
        return out

    def _denoise(self, layers: FilmLayers, through_lens: bool, to_sensor, guides) -> np.ndarray:
        """OptiX on a GPU (Mitsuba's CUDA variant), else Intel Open Image Denoise guided by
        `guides()`."""
        if self.variant.startswith("cuda") and not through_lens:
            import mitsuba as mi

            try:
                return film.denoise_optix(
                    mi, layers.colour, layers.albedo, layers.normal, to_sensor
                )
            except (RuntimeError, AttributeError, TypeError) as err:
                self.warnings.append(f"OptiX denoiser unavailable ({err}); used OIDN")
        return film.denoise(layers.colour, guides())

    def _transparent(
        self,
        display: np.ndarray,
        visible: np.ndarray,
        floor: tuple[GroundPlane, np.ndarray] | None,
        open_irradiance: np.ndarray,
        through: np.ndarray | None = None,
    ) -> np.ndarray:
        """Alpha output: the model opaque but where glass shows what is behind it (`through`:
        its share, which becomes transparency), the floor (the view's ground plane and each
        pixel's surface position) reduced to its shadow (black, alpha).

        Tinted glass lets each colour through in its own share, which one alpha cannot hold:
        the mean share becomes transparency and the rest of the tint stays in the colour, so
        that the image over the --background is the opaque render's, and near it over others
        (taking the whole tint out made trans-red glass black)."""
        share = through.mean(axis=-1) if through is not None else np.zeros_like(visible)
        if floor is None:
            model = visible
            shadow = np.zeros_like(visible)
        else:
            ground, where = floor
            height = where[..., 1] - ground.y
            model = visible * np.clip((height - 0.1) / 0.4, 0.0, 1.0)
            open_radiance = self._floor_albedo(open_irradiance) * open_irradiance / math.pi
            floor_open = film.filmic(open_radiance)
            lit = display.mean(axis=-1) / max(float(floor_open.mean()), 1e-4)
            # Below SHADOW_FLOOR the floor counts as unshadowed: the softbox's falloff across
            # the floor leaves up to about 9 % at its far corners.
            darkening = (1.0 - lit - SHADOW_FLOOR) / (1.0 - SHADOW_FLOOR)
            shadow = np.clip(darkening, 0.0, 1.0) * (visible - model) * (1.0 - share)
        background = srgb_to_linear(self.options.background)
        colour = display
        if through is not None:
            colour = display + (through - share[..., None]) * background
        premultiplied = np.maximum(colour * model[..., None], 0.0)
        alpha = np.clip(model * (1.0 - share) + shadow, 0.0, 1.0)
        over = premultiplied + (1.0 - alpha[..., None]) * background
        return transparent_pixels(linear_to_srgb(over), alpha, self.options.background)

    def render(self, view: View):
        """Render one view to a PIL image (RGBA with --transparent, else RGB)."""
        return image_from_array(self.render_array(view), self.options.transparent)


class SeeThrough:
    """A view's see-through scene (its glass; the rest of the model, the floor and the
    softbox black), rendered twice a pass with the main pass's seed: lit by the studio's
    dome, it is the dome as the picture shows it through glass (taken out of the colour);
    lit by a white dome, it is the share of light that comes through the glass, where the
    background is shown instead (and, with --transparent, made transparent).  Without it
    glass showed the grey dome behind it: trans-clear read smoky on any background, and
    was opaque on a transparent one."""

    def __init__(self, mi, scene) -> None:
        self.scene = scene
        self.params = mi.traverse(scene)
        self.dome = mi.TensorXf(self.params[ENVIRONMENT_DATA])
        self.white = mi.TensorXf(np.ones(self.dome.shape, np.float32))

    def render(self, mi, seed: int) -> tuple[Any, Any]:
        """(the dome through the glass, the share of white through it) for one pass."""
        dome = mi.render(self.scene, spp=1, seed=seed)
        self._light(self.white)
        white = mi.render(self.scene, spp=1, seed=seed)
        self._light(self.dome)
        return dome, white

    def _light(self, data) -> None:
        self.params[ENVIRONMENT_DATA] = data
        self.params.update()


ENVIRONMENT_DATA = "environment.data"


def _mesh(mi, name: str, mesh: WorldMesh, look, surface: dict, glow: dict | None = None):
    """One merged mesh as a Mitsuba shape with its BSDF (and emitter)."""
    props = mi.Properties()
    props["bsdf"] = mi.load_dict(_tensors(mi, surface))
    if glow is not None:
        props["emitter"] = mi.load_dict(glow)
    printed = mesh.image is not None
    uv = printed or needs_texcoords(look)
    shape = mi.Mesh(
        name,
        len(mesh.positions),
        len(mesh.faces),
        props=props,
        has_vertex_normals=True,
        has_vertex_texcoords=uv,
    )
    params = mi.traverse(shape)
    params["vertex_positions"] = mi.Float(mesh.positions.ravel())
    params["vertex_normals"] = mi.Float(mesh.normals.ravel())
    params["faces"] = mi.UInt32(mesh.faces.ravel())
    if uv:
        coords = mesh.texcoords if printed else grain_texcoords(look, mesh.positions, mesh.normals)
        params["vertex_texcoords"] = mi.Float(coords.ravel())
    params.update()
    return shape


def _tensors(mi, plugin: dict[str, Any]) -> dict[str, Any]:
    """A plugin dict with its numpy arrays as Mitsuba's types: an environment map's `bitmap`
    as a Bitmap, texture `data` as a tensor."""

    def convert(key: str, value: Any) -> Any:
        if isinstance(value, np.ndarray):
            return mi.Bitmap(value) if key == "bitmap" else mi.TensorXf(value)
        return _tensors(mi, value) if isinstance(value, dict) else value

    return {key: convert(key, value) for key, value in plugin.items()}
