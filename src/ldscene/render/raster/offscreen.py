"""Offscreen rendering of a model: scene set-up once, then any number of views, then images.

    with ModelRenderer(model, options) as renderer:
        images = [renderer.render(view) for view in views]

`render_model` wraps exactly that; `save_image` writes a PIL image atomically in the format
its suffix names.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from ldscene.appearance import srgb_to_linear
from ldscene.errors import LdsceneError
from ldscene.ldraw.model import Model
from ldscene.progress import Progress
from ldscene.render.camera import Framing
from ldscene.render.description import describe
from ldscene.render.images import image_from_array, transparent_pixels
from ldscene.render.meshes import (
    BatchKind,
    ModelMeshes,
    line_rgb,
    resolve_codes,
)
from ldscene.render.options import RenderOptions, View
from ldscene.render.raster.lights import LightRig, light_poses
from ldscene.render.raster.lines import FadeOrder
from ldscene.render.raster.materials import (
    line_material,
    pyrender_material,
    shadow_catcher_material,
)
from ldscene.render.raster.pyrender_adapter import upload_scene
from ldscene.render.raster.warmup import GlWarmup

#: Above this many transparent part instances, glass is drawn instanced (per batch) instead
#: of one sortable node per instance: per-node draw calls would cost more than they fix.
GLASS_NODE_LIMIT = 2000


class ModelRenderer:
    """Holds one GL context and one pyrender scene for a model; renders views on demand.

    Meshes are built and uploaded once; each view only moves the camera and lights (the
    vertex shader picks the conditional lines that are silhouettes from there).
    """

    def __init__(
        self,
        model: Model | ModelMeshes,
        options: RenderOptions | None = None,
        progress: Progress | None = None,
        rig: LightRig | None = None,
        use_cache: bool = True,
        warm: GlWarmup | None = None,
    ) -> None:
        self.options = options or RenderOptions()
        self._warm = warm  # a context prepared in the background, taken at the first render
        self.options.validate()
        self.progress = progress
        self.rig = rig or LightRig()
        self.timings: dict[str, float] = {}
        self.description, self.timings["mesh"] = describe(model, self.options, progress, use_cache)
        self.meshes = self.description.meshes
        self._platform = None
        self._renderer = None
        self._scene = None
        self._camera_node = None
        self._ground = None  # the floor's mesh, hidden in views from below it
        self.gl: dict[str, str] = {}  # GL vendor/renderer/version, once a context exists

    # -------------------------------------------------------------- context management
    def __enter__(self) -> ModelRenderer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Free GL resources; always called (renderers left alive break the next context)."""
        if self._platform is not None:
            try:
                self._platform.make_current()
                if self._renderer is not None:
                    self._renderer.delete()
            finally:
                try:
                    self._platform.delete_context()
                finally:
                    self._platform = None
                    self._renderer = None

    # -------------------------------------------------------------- set-up
    def _start(self) -> None:
        from ldscene.render.raster.gl import gl_info, import_pyrender

        pyrender = import_pyrender()
        from ldscene.render.raster.shadows import make_shadow_texture
        from ldscene.render.raster.warmup import open_renderer

        opts = self.options
        start = time.perf_counter()
        # The scene is Python objects until the upload: built before taking the context, it
        # overlaps the warm-up's last shader compiles (the wait of a small model's cold render).
        # The framebuffer is sRGB: clear with linear values so the image shows the colour asked.
        # Its colour is the image over the background either way; with a transparent one,
        # alpha starts at 0 and gathers coverage (parts, lines, the floor's shadow, contact
        # shading), from which `transparent_pixels` makes the image's alpha.
        bg = (*srgb_to_linear(opts.background), 0.0 if opts.transparent else 1.0)
        self._scene = pyrender.Scene(
            bg_color=np.array(bg, float), ambient_light=np.full(3, self.rig.ambient)
        )
        node_centres: dict = {}
        self._add_meshes(pyrender, node_centres)
        key = pyrender.DirectionalLight(
            color=np.ones(3), intensity=self.rig.key_intensity, name="key"
        )
        if opts.shadows:
            key.shadow_texture = make_shadow_texture(opts.shadow_size)
        self._key = self._scene.add(key, name="key")
        self._fill_light = pyrender.PointLight(color=np.ones(3), intensity=1.0, name="fill")
        self._fill = self._scene.add(self._fill_light, name="fill")
        lo, hi = self.meshes.bounds
        corners = np.array(
            [[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])]
        )
        taken = self._warm.take(opts) if self._warm is not None else None
        self._warm = None
        self._platform, self._renderer = taken or open_renderer(opts)
        self._renderer.ambient_occlusion = opts.ambient_occlusion
        self._renderer.node_centres.update(node_centres)
        self.gl = gl_info()
        self._renderer.shadow_points = corners
        # Upload every mesh now, once (pyrender would at the first draw): a view's time is then
        # only the view's own work.
        upload_scene(self._renderer, self._scene, self._flags())
        self.timings["setup"] = time.perf_counter() - start

    def _flags(self) -> int:
        from pyrender.constants import RenderFlags

        flags = RenderFlags.OFFSCREEN | RenderFlags.RGBA
        if self.options.shadows:
            flags |= RenderFlags.SHADOWS_DIRECTIONAL
        return flags

    def add_meshes_to(self, scene, renderer, pyrender) -> None:
        """Add the model's meshes to another window's `scene` drawn by `renderer` (the viewer),
        built exactly as this renderer builds its own."""
        self._scene, self._renderer = scene, renderer
        self._add_meshes(pyrender, renderer.node_centres)

    def _add_meshes(self, pyrender, node_centres: dict) -> None:
        """Add the model's meshes to `self._scene` (no GL calls: the upload comes later);
        the centre of each glass node, by which the renderer sorts them, goes into
        `node_centres`."""
        from ldscene.render.raster.upload import LeanPrimitive

        m = self.meshes
        table = m.model.colours
        scene = self._scene
        n_glass = sum(
            len(b.instances)
            for b in m.batches
            if b.kind is BatchKind.TRIANGLES and table.get(b.code).alpha < 1.0
        )
        glass_instanced = n_glass > GLASS_NODE_LIMIT
        total = len(m.batches)
        # Per leaf: its edge lines' outline sizes (as texture coordinates) and fade order,
        # its conditional lines' fade order.
        edge_fades: dict[int, tuple[np.ndarray, FadeOrder]] = {}
        cond_fades: dict[int, FadeOrder] = {}

        def edge_fade(leaf: int, lm) -> tuple[np.ndarray, FadeOrder]:
            if leaf not in edge_fades:
                sizes = np.zeros((len(lm.edge_outlines), 2), np.float32)
                sizes[:, 0] = lm.edge_outlines
                edge_fades[leaf] = sizes, FadeOrder.of_edges(lm.edge_outlines, lm.edge_indices)
            return edge_fades[leaf]

        def cond_fade(leaf: int, lm) -> FadeOrder:
            if leaf not in cond_fades:
                cond_fades[leaf] = FadeOrder.of_conditional(lm.cond, lm.cond_lengths)
            return cond_fades[leaf]

        for i, batch in enumerate(m.batches):
            if self.progress and i % 200 == 0:
                self.progress("uploading", i / max(total, 1))
            lm = m.leaves[batch.leaf]
            poses = m.poses[batch.instances]
            if batch.kind is BatchKind.TRIANGLES:
                positions, normals, indices = lm.surface(batch.tri_class, batch.mirrored)
                colour = table.get(batch.code)
                material = pyrender_material(colour)
                if material.alphaMode == "BLEND" and glass_instanced:
                    # Very many glass parts: instanced; batches sorted by their centre only.
                    prim = LeanPrimitive(
                        positions, normals, indices=indices, material=material, poses=poses
                    )
                    node = scene.add(pyrender.Mesh([prim]), name=f"{i:07d}")
                    centres = poses[:, :3, :3] @ lm.centre + poses[:, :3, 3]
                    node_centres[node] = centres.mean(axis=0)
                elif material.alphaMode == "BLEND":
                    # Glass: one node per instance so it can be sorted back to front.
                    prim = LeanPrimitive(positions, normals, indices=indices, material=material)
                    mesh = pyrender.Mesh([prim])
                    for j, pose in enumerate(poses):
                        node = scene.add(mesh, pose=pose, name=f"{i:07d}.{j:07d}")
                        node_centres[node] = pose[:3, :3] @ lm.centre + pose[:3, 3]
                else:
                    prim = LeanPrimitive(
                        positions, normals, indices=indices, material=material, poses=poses
                    )
                    prim.shadow_count = 3 * lm.shadow_casting[batch.tri_class]
                    scene.add(pyrender.Mesh([prim]), name=f"{i:07d}")
            elif self.options.edges:
                lines = line_material(on_glass=table.get(batch.code).alpha < 1.0)
                if lm.n_edges:
                    codes = resolve_codes(lm.edge_vertex_codes, batch.code)
                    sizes, fade = edge_fade(batch.leaf, lm)
                    prim = LeanPrimitive(
                        lm.edge_vertices,
                        color_0=_rgba(line_rgb(table, codes)),
                        texcoord_0=sizes,
                        indices=lm.edge_indices,
                        material=lines,
                        mode=1,
                        poses=poses,
                    )
                    prim.fade = fade
                    scene.add(pyrender.Mesh([prim]), name=f"{i:07d}")
                if self.options.conditional_lines and len(lm.cond):
                    fade = cond_fade(batch.leaf, lm)
                    rgba = _rgba(line_rgb(table, resolve_codes(lm.cond_codes, batch.code)))
                    prim = conditional_line_primitive(pyrender, lm.cond, rgba, poses, lines)
                    prim.fade = fade
                    scene.add(pyrender.Mesh([prim]), name=f"{i:07d}c")
        from ldscene.render.raster.textures import add_textured

        add_textured(pyrender, scene, self.description, m.poses)  # TEXMAP prints
        if self.options.ground:
            self._add_ground(pyrender)

    def _add_ground(self, pyrender) -> None:
        ground = self.description.ground
        assert ground is not None
        normals = np.tile(np.array([0.0, 1.0, 0.0], np.float32), (4, 1))
        prim = pyrender.Primitive(
            ground.corners,
            normals,
            indices=np.array([[0, 1, 2], [0, 2, 3]]),
            material=shadow_catcher_material(),
        )
        self._ground = pyrender.Mesh([prim])
        self._scene.add(self._ground, name="ground")

    # -------------------------------------------------------------- per view
    def framing(self, view: View) -> Framing:
        return self.description.framing(view)

    def render_array(self, view: View) -> np.ndarray:
        """Render one view; (H, W, 4) uint8 RGBA, straight alpha, at the output size."""
        if self._platform is None:
            self._start()
        opts = self.options
        start = time.perf_counter()
        scene = self._scene
        frame = self.framing(view)
        if self._camera_node is not None:
            scene.remove_node(self._camera_node)
        camera = frame.make_camera(opts.width / opts.height)
        self._camera_node = scene.add(camera, pose=frame.pose, name="camera")
        scene.main_camera_node = self._camera_node
        if self._ground is not None:
            self._ground.is_visible = self.description.ground_seen(frame) is not None
        centre = self.meshes.bounds.mean(axis=0)
        scale = float(np.linalg.norm(self.meshes.bounds[1] - self.meshes.bounds[0]))
        key_pose, fill_pose, fill_intensity = light_poses(self.rig, view.longitude, centre, scale)
        scene.set_pose(self._key, key_pose)
        scene.set_pose(self._fill, fill_pose)
        self._fill_light.intensity = fill_intensity
        self._platform.make_current()
        if self.progress:
            self.progress(f"rendering {view.name}", 0.0)
        color, _ = self._renderer.render(scene, self._flags())
        image = downsample(color, opts.aa // self._renderer.reduce)
        if opts.transparent:
            image = transparent_pixels(
                image[..., :3] / 255.0, image[..., 3] / 255.0, opts.background
            )
        self.timings[f"render:{view.name}"] = time.perf_counter() - start
        return image

    def render(self, view: View):
        """Render one view to a PIL image (RGBA with --transparent, else RGB)."""
        return image_from_array(self.render_array(view), self.options.transparent)


def _rgba(rgb: np.ndarray) -> np.ndarray:
    return np.concatenate([rgb, np.ones((len(rgb), 1), np.float32)], axis=1)


def conditional_line_primitive(
    pyrender, cond: np.ndarray, rgba: np.ndarray, poses: np.ndarray, material=None
):
    """Conditional lines (C, 4, 3) as an instanced line primitive that the vertex shader culls.

    Each end carries the whole line: `normals` the other end, `tangents` the first control
    point and x of the second, `texcoord_0` its y and z (pyrender uploads no other attributes).
    Only these primitives have tangents: shaders/mesh.vert takes them as conditional lines and
    keeps a line only where both control points fall on the same side of it on screen, LDraw's
    rule.
    """
    cond = np.asarray(cond, np.float32)
    p1, p2, c1, c2 = cond[:, 0], cond[:, 1], cond[:, 2], cond[:, 3]
    ends = np.stack([p1, p2], axis=1).reshape(-1, 3)
    others = np.stack([p2, p1], axis=1).reshape(-1, 3)
    control = np.repeat(np.concatenate([c1, c2], axis=1), 2, axis=0)  # (2C, 6)
    from ldscene.render.raster.upload import LeanPrimitive

    return LeanPrimitive(
        ends,
        normals=others,
        tangents=control[:, :4],
        texcoord_0=control[:, 4:],
        color_0=np.repeat(rgba, 2, axis=0),
        material=material or line_material(),
        mode=1,
        poses=poses,
    )


def downsample(color: np.ndarray, factor: int) -> np.ndarray:
    """Box-filter an RGBA uint8 image (colour over the background, coverage in alpha) by
    `factor`: the rounded mean of each block, channel by channel."""
    h, w = color.shape[0] // factor, color.shape[1] // factor
    c = color[: h * factor, : w * factor]
    if factor == 1:
        return np.ascontiguousarray(c)
    acc = np.zeros((h, w, 4), np.uint32)
    for i in range(factor):
        for j in range(factor):
            acc += c[i::factor, j::factor]
    n = factor * factor
    return ((acc + n // 2) // n).astype(np.uint8)


def render_model(
    model: Model,
    views: Sequence[View],
    options: RenderOptions | None = None,
    progress: Progress | None = None,
) -> list:
    """Render `views` of `model`; the model is meshed and uploaded once for all of them."""
    with ModelRenderer(model, options, progress) as renderer:
        return [renderer.render(view) for view in views]


def render_turntable(
    model: Model,
    frames: int,
    options: RenderOptions | None = None,
    latitude: float = 30.0,
    start_longitude: float = 45.0,
    progress: Progress | None = None,
) -> list:
    """`frames` images turning the camera once around the model at `latitude`.

    The framing is computed once for the widest view so the model does not pulse in size.
    """
    if frames < 1:
        raise LdsceneError(f"a turntable needs at least one frame, not {frames}")
    if not -90.0 <= latitude <= 90.0:
        raise LdsceneError(f"latitude {latitude:g} is outside -90..90 degrees")
    from ldscene.render.camera import orbit_views

    with ModelRenderer(model, options, progress) as renderer:
        views = orbit_views(
            renderer.meshes.frame_points, frames, renderer.options, latitude, start_longitude
        )
        return [renderer.render(view) for view in views]
