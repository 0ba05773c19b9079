"""A pyrender `Renderer` tuned for LDraw scenes on software GL (llvmpipe) and GPUs alike.

Imported only after `ldscene.render.raster.gl.import_pyrender()` (it imports pyrender and OpenGL).
Differences from pyrender's stock renderer, each for speed or correctness:

- the offscreen framebuffer has no multisampling (pyrender hard-codes 4x MSAA, 2-3x slower
  on llvmpipe); callers supersample instead;
- one lean forward pass: programs, camera and lights are bound once per program, not once
  per primitive; faces get glPolygonOffset so edge lines never z-fight with them;
- conditional lines are line primitives whose vertices carry their control points; the
  vertex shader (shaders/mesh.vert) keeps only those that are silhouettes from the eye;
- a line primitive is drawn only as far as some instance can still show its lines (they are
  sorted largest first and fade out when tiny: lines.py);
- shaders/mesh.frag is compiled once per kind of surface (`surface_kind`), so llvmpipe's
  compiles, which a cold start waits for, hold only the code each draws;
- opaque nodes are drawn near to far (by the centre of their instances), so that llvmpipe's
  early depth test skips shading what nearer parts hide (6 % of a Falcon render's CPU);
- transparent nodes are drawn after opaque ones, back to front by their real centres, with
  depth writes off and correct alpha for transparent-background output;
- the key light's shadow map is fitted tightly to the model in light space, skips lines,
  glass, stud tubes (and studs under fast-draw studs: shadows.py) and faces turned away
  from the light, and is
  sampled with hardware-filtered PCF
  (4 taps instead of pyrender's 36; one per pixel, interleaved, when supersampled by 2);
- per draw, only what changed is sent: uniform locations are looked up once, repeated uniform
  values and GL states are skipped, programs are chosen once per kind of primitive, node poses
  are read once per frame (pyrender pays ~15 PyOpenGL calls per draw, most of a GPU's frame);
- only the colour buffer is read back, and with `reduce = 2` (2x2 supersampling) it is first
  box-filtered to the output size on the GL side by a linear blit: a quarter of the pixels
  to read and no downsampling on the CPU.
"""

from __future__ import annotations

import os

import numpy as np
import pyrender
from OpenGL.GL import (
    GL_ALIASED_LINE_WIDTH_RANGE,
    GL_BACK,
    GL_BLEND,
    GL_COLOR_BUFFER_BIT,
    GL_CULL_FACE,
    GL_DEPTH_BUFFER_BIT,
    GL_FALSE,
    GL_FILL,
    GL_FRAMEBUFFER_SRGB,
    GL_FRONT_AND_BACK,
    GL_ONE,
    GL_ONE_MINUS_SRC_ALPHA,
    GL_POLYGON_OFFSET_FILL,
    GL_SRC1_COLOR,
    GL_SRC_ALPHA,
    GL_TEXTURE0,
    GL_TRUE,
    GL_UNSIGNED_INT,
    glActiveTexture,
    glBindVertexArray,
    glBlendFuncSeparate,
    glClear,
    glClearColor,
    glColorMask,
    glCullFace,
    glDepthMask,
    glDisable,
    glDrawArraysInstanced,
    glDrawElementsInstanced,
    glEnable,
    glFlush,
    glGetFloatv,
    glGetUniformLocation,
    glLineWidth,
    glPolygonMode,
    glPolygonOffset,
    glUniform1f,
    glUniform1i,
    glUniform3fv,
    glUniform4fv,
    glUniformMatrix4fv,
)
from pyrender.constants import GLTF, ProgramFlags, RenderFlags
from pyrender.shader_program import ShaderProgramCache

from ldscene.appearance import CLEAR_OPACITY
from ldscene.render.raster.framebuffers import Framebuffers
from ldscene.render.raster.lines import SHADER_DEFINES, drawn_segments
from ldscene.render.raster.materials import GLASS_LINES, LINES, SHADOW_CATCHER
from ldscene.render.raster.pyrender_adapter import bind, program_id, unbind
from ldscene.render.raster.shadows import ShadowPass, switch_program

SHADER_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "shaders")

_UNSET = object()
_NO_FLAKES = (np.zeros(4, np.float32), 1.0)  # materials made elsewhere (textured prints)

#: What a draw draws (its blending and depth writes; the program follows `surface_kind`).
MODE_SURFACE, MODE_LINES, MODE_CATCHER = 0, 1, 2
#: Texture unit of a printed (TEXMAP) surface's image; the shadow map takes the first ones.
PRINT_TEXTURE_UNIT = 8


class _ProgramCache(ShaderProgramCache):
    """pyrender's program cache, plus #defines that hold for every program of a renderer and
    the kind of surface the program being chosen draws (`surface_kind`)."""

    def __init__(self, shader_dir: str) -> None:
        super().__init__(shader_dir=shader_dir)
        self.defines: dict[str, float] = {**SHADER_DEFINES, "CLEAR_OPACITY": CLEAR_OPACITY}
        self.kind: str | None = None

    def get_program(self, vertex_shader, fragment_shader, geometry_shader=None, defines=None):
        merged = {**(defines or {}), **self.defines}
        if self.kind is not None:
            merged[self.kind] = 1
        return super().get_program(vertex_shader, fragment_shader, geometry_shader, merged)


def surface_kind(primitive) -> str | None:
    """Which part of shaders/mesh.frag a surface needs: "GLASS" (transparent parts), "CATCHER"
    (the floor's shadow catcher), or None for opaque plastic (and for lines)."""
    material = primitive.material
    if material.name == SHADOW_CATCHER:
        return "CATCHER"
    if material.alphaMode == "BLEND" and primitive.color_0 is None:
        return "GLASS"
    return None


class LdRenderer(ShadowPass, Framebuffers, pyrender.Renderer):
    """pyrender's renderer with the changes listed in the module docstring."""

    def __init__(self, width: int, height: int, line_width: float = 1.0):
        super().__init__(width, height)
        self._program_cache = _ProgramCache(shader_dir=SHADER_DIR)
        self.line_width = line_width
        self.node_centres: dict = {}  # node -> world centre, for sorting transparent nodes
        self._instance_centres: dict = {}  # node -> mean of its instances' origins (local)
        self.shadow_points: np.ndarray | None = None  # world points the shadow map must cover
        self._compare_ready: set[int] = set()
        self._line_range = None
        self.reduce = 1  # 2: offscreen images come back box-filtered to half size (see above)
        self._locations: dict[tuple[int, str], int] = {}
        self._uniform_values: dict[tuple[int, str], object] = {}
        self._programs: dict[tuple, object] = {}  # a primitive's kind (see _program_for)
        self._max_lights: dict[int, list[int]] = {}
        self._gl_state: dict[int, object] = {}
        self._frame_poses: dict = {}
        self._small_fb = self._small_cb = None
        self._depth_texture: int | None = None  # the main framebuffer's depth, for AO
        self.ambient_occlusion = True  # offscreen images get contact shading (ambient.py)
        self._ambient = None
        self._depth_only = False  # drawing the glass's depth for its lines (colour writes off)
        self._line_view = (np.eye(4), 1.0)  # this frame's P @ V and line_pixels (lines.py)

    @property
    def shadow_interleave(self) -> bool:
        """One PCF tap per pixel, interleaved over 2x2 blocks (see shaders/mesh.frag).

        Only right when the image is afterwards box-downsampled by an even factor.
        """
        return "SHADOW_INTERLEAVE" in self._program_cache.defines

    @shadow_interleave.setter
    def shadow_interleave(self, on: bool) -> None:
        if on:
            self._program_cache.defines["SHADOW_INTERLEAVE"] = 1
        else:
            self._program_cache.defines.pop("SHADOW_INTERLEAVE", None)
        self._programs.clear()

    # ------------------------------------------------------------------ cheap per-draw state
    def _program_for(self, primitive, flags, program_flags):
        """pyrender's program for a primitive, chosen once per kind of primitive.

        pyrender's choice depends only on the primitive's vertex attributes and mode, its
        material's textures and class, and the flags; making it costs ~100 us (a GL query
        included), which a first view paid for each of a large model's ~2,000 draws.
        """
        material = primitive.material
        kind = surface_kind(primitive) if program_flags & ProgramFlags.USE_MATERIAL else None
        key = (
            primitive.buf_flags,
            primitive.mode == GLTF.POINTS,
            material.tex_flags,
            type(material),
            int(flags),
            int(program_flags),
            kind,
        )
        program = self._programs.get(key)
        if program is None:
            self._program_cache.kind = kind
            try:
                program = self._programs[key] = self._get_primitive_program(
                    primitive, flags, program_flags
                )
            finally:
                self._program_cache.kind = None
        return program

    def _compute_max_n_lights(self, flags):
        """pyrender's light limits for `flags`, found once (it queries GL on every call)."""
        found = self._max_lights.get(int(flags))
        if found is None:
            found = self._max_lights[int(flags)] = super()._compute_max_n_lights(flags)
        return found

    def _uniform(self, program, name: str, value, kind: str) -> None:
        """Set a uniform of the bound program unless it already holds `value`.

        kind: "m4" (4x4 matrix, row-major), "i", "f", "v3" or "v4".
        """
        key = (program_id(program), name)
        plain = value.tobytes() if isinstance(value, np.ndarray) else value
        if self._uniform_values.get(key, _UNSET) == plain:
            return
        loc = self._locations.get(key)
        if loc is None:
            loc = self._locations[key] = glGetUniformLocation(program_id(program), name)
        if kind == "m4":
            glUniformMatrix4fv(loc, 1, GL_TRUE, np.asarray(value, np.float32))
        elif kind == "i":
            glUniform1i(loc, value)
        elif kind == "f":
            glUniform1f(loc, value)
        elif kind == "v3":
            glUniform3fv(loc, 1, np.asarray(value, np.float32))
        else:
            glUniform4fv(loc, 1, np.asarray(value, np.float32))
        self._uniform_values[key] = plain

    def _set_state(self, cap: int, on: bool) -> None:
        """glEnable/glDisable, skipped when the capability is already so (this pass)."""
        if self._gl_state.get(cap) is not on:
            (glEnable if on else glDisable)(cap)
            self._gl_state[cap] = on

    def _pose(self, scene, node) -> np.ndarray:
        """A node's world pose, read once per frame (pyrender walks the scene graph)."""
        pose = self._frame_poses.get(node)
        if pose is None:
            pose = self._frame_poses[node] = scene.get_pose(node)
        return pose

    def _forget_programs(self) -> None:
        self._programs.clear()
        self._locations.clear()
        self._uniform_values.clear()

    def delete(self):
        self._forget_programs()
        if self._ambient is not None:
            self._ambient.delete()
            self._ambient = None
        super().delete()

    # ------------------------------------------------------------------ passes
    def render(self, scene, flags, seg_node_map=None):
        self._frame_poses = {}
        self._update_context(scene, flags)
        key = scene.directional_light_nodes
        if flags & RenderFlags.SHADOWS_DIRECTIONAL and key:
            self._shadow_pass(scene, next(iter(sorted(key, key=lambda n: n.name or ""))))
        result = self._lean_forward_pass(scene, flags)
        cam = scene.main_camera_node.camera
        self._latest_znear, self._latest_zfar = cam.znear, cam.zfar
        return result

    def _classify(self, scene, cam_pos):
        opaque, lines, catchers, glass, glass_lines = [], [], [], [], []
        for node in scene.mesh_nodes:
            mesh = node.mesh
            if not mesh.is_visible:
                continue
            name = mesh.primitives[0].material.name
            if name == LINES:
                lines.append(node)
            elif name == GLASS_LINES:
                glass_lines.append(node)
            elif name == SHADOW_CATCHER:
                catchers.append(node)
            elif mesh.is_transparent:
                glass.append(node)
            else:
                opaque.append(node)

        def distance(node):
            centre = self.node_centres.get(node)
            if centre is None:
                centre = scene.get_pose(node)[:3, 3]
            return -float(np.linalg.norm(centre - cam_pos))

        # Every order is total, by the node names the model renderer gives (its batch order):
        # the scene keeps nodes in a set, and coplanar faces or lines drawn in another order
        # change pixels, so the same command would not write the same image twice.
        glass.sort(key=lambda n: (distance(n), n.name or ""))  # far to near
        opaque.sort(key=lambda n: (self._nearness(scene, n, cam_pos), n.name or ""))
        for group in (lines, glass_lines):
            group.sort(key=lambda n: (n.mesh.primitives[0].tangents is not None, n.name or ""))
        return opaque, lines, catchers, glass, glass_lines

    def _nearness(self, scene, node, cam_pos) -> float:
        """Distance from the eye to the centre of a node's instances."""
        local = self._instance_centres.get(node)
        if local is None:
            poses = node.mesh.primitives[0].poses
            local = np.zeros(3) if poses is None else poses[:, :3, 3].mean(axis=0)
            self._instance_centres[node] = local
        pose = self._pose(scene, node)
        return float(np.linalg.norm(pose[:3, :3] @ local + pose[:3, 3] - cam_pos))

    def _lean_forward_pass(self, scene, flags):
        self._configure_forward_pass_viewport(flags)
        glEnable(GL_FRAMEBUFFER_SRGB)  # shaders output linear light; GL encodes and blends
        glClearColor(*scene.bg_color)
        glClear(GL_COLOR_BUFFER_BIT | GL_DEPTH_BUFFER_BIT)
        glEnable(GL_POLYGON_OFFSET_FILL)
        glPolygonOffset(1.0, 1.0)
        glLineWidth(self._clamped_line_width())
        glPolygonMode(GL_FRONT_AND_BACK, GL_FILL)

        V, P = self._get_camera_matrices(scene)
        cam_pos = scene.get_pose(scene.main_camera_node)[:3, 3]
        opaque, lines, catchers, glass, glass_lines = self._classify(scene, cam_pos)
        texel = 1.0
        # Output pixels per unit at clip w = 1 (perspective) or anywhere (orthographic).
        line_pixels = float(P[1, 1]) * self.viewport_height / 2 / self.reduce
        self._line_view = (P @ V, line_pixels)
        for ln in scene.directional_light_nodes:
            if ln.light.shadow_texture is not None:
                texel = 1.0 / ln.light.shadow_texture.width

        current = None
        self._gl_state = {}

        def draw(primitive, pose, node, mode: int) -> None:
            nonlocal current
            program = self._program_for(primitive, flags, ProgramFlags.USE_MATERIAL)
            if program is not current:
                switch_program(current, program, V, P)
                program.set_uniform("cam_pos", cam_pos)
                program.set_uniform("shadow_texel", float(texel))
                program.set_uniform("line_pixels", line_pixels)
                self._reset_active_textures()
                self._bind_lighting(scene, program, node, flags)
                current = program
            self._draw(primitive, pose, program, mode)

        def draw_nodes(nodes, mode: int) -> None:
            for node in nodes:
                pose = self._pose(scene, node)
                for primitive in node.mesh.primitives:
                    draw(primitive, pose, node, mode)

        draw_nodes(opaque, MODE_SURFACE)
        draw_nodes(lines, MODE_LINES)
        draw_nodes(catchers, MODE_CATCHER)
        if self.ambient_occlusion and flags & RenderFlags.OFFSCREEN:
            # Between the opaque geometry (and the floor, which catches contact shading too)
            # and the glass, which is seen with the occlusion behind it.
            glBindVertexArray(0)
            if current is not None:
                unbind(current)
                current = None
            self._shade_occlusion(P)
            self._gl_state = {}
            glEnable(GL_FRAMEBUFFER_SRGB)  # the occlusion's passes turn it off
        draw_nodes(glass, MODE_SURFACE)
        if glass_lines:
            # The lines of transparent parts show only on their near side: the glass's depth
            # first (colour writes off), then the lines against it.
            glColorMask(GL_FALSE, GL_FALSE, GL_FALSE, GL_FALSE)
            self._depth_only = True
            draw_nodes(glass, MODE_SURFACE)
            self._depth_only = False
            glColorMask(GL_TRUE, GL_TRUE, GL_TRUE, GL_TRUE)
            draw_nodes(glass_lines, MODE_LINES)
        glBindVertexArray(0)
        if current is not None:
            unbind(current)
        glDepthMask(GL_TRUE)
        glDisable(GL_BLEND)
        glDisable(GL_FRAMEBUFFER_SRGB)
        glFlush()
        if flags & RenderFlags.OFFSCREEN:
            return self._read_main_framebuffer(scene, flags)
        return None

    def _draw(self, primitive, pose, program, mode: int) -> None:
        self._uniform(program, "M", pose, "m4")
        material = primitive.material
        if material.baseColorTexture is not None:  # a print: render/raster/textures.py
            glActiveTexture(GL_TEXTURE0 + PRINT_TEXTURE_UNIT)
            bind(material.baseColorTexture)
            self._uniform(program, "material.base_color_texture", PRINT_TEXTURE_UNIT, "i")
        if mode != MODE_LINES:
            self._uniform(program, "material.emissive_factor", material.emissiveFactor, "v3")
            self._uniform(program, "material.base_color_factor", material.baseColorFactor, "v4")
            self._uniform(program, "material.metallic_factor", material.metallicFactor, "f")
            self._uniform(program, "material.roughness_factor", material.roughnessFactor, "f")
            flakes, flake_size = getattr(material, "ldscene_flakes", _NO_FLAKES)
            self._uniform(program, "material.flakes", flakes, "v4")
            self._uniform(program, "material.flake_size", flake_size, "f")
        blend = material.alphaMode == "BLEND" or mode in (MODE_CATCHER, MODE_LINES)
        # The floor writes depth for contact shading (and glass in its depth-only pass).
        writes_depth = self._depth_only or not blend or mode == MODE_CATCHER
        if blend:
            # Glass: colour = its light + behind * its transmittance (the shader's second
            # output); lines and the floor: ordinary "over".  Alpha: coverage, "over".
            glass = mode == MODE_SURFACE
            if self._gl_state.get("glass_blend") is not glass:
                source = (
                    (GL_ONE, GL_SRC1_COLOR) if glass else (GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA)
                )
                glBlendFuncSeparate(*source, GL_ONE, GL_ONE_MINUS_SRC_ALPHA)
                self._gl_state["glass_blend"] = glass
        self._set_state(GL_BLEND, blend)
        if self._gl_state.get("depth_mask") is not writes_depth:
            glDepthMask(GL_TRUE if writes_depth else GL_FALSE)
            self._gl_state["depth_mask"] = writes_depth
        if self._gl_state.get("cull") is None:
            glCullFace(GL_BACK)
            self._gl_state["cull"] = True
        self._set_state(GL_CULL_FACE, not (mode == MODE_CATCHER or material.doubleSided))
        fade = getattr(primitive, "fade", None)
        if mode == MODE_LINES and fade is not None:
            segments = drawn_segments(fade, primitive.poses, pose, *self._line_view)
            if segments:
                self._draw_call(primitive, 2 * segments)
        else:
            self._draw_call(primitive)

    @staticmethod
    def _draw_call(primitive, count: int | None = None) -> None:
        """Draw a bound-or-not primitive (its first `count` indices or vertices, default all);
        leaves its vertex array bound (the next one replaces it, and each pass unbinds at its
        end)."""
        bind(primitive)
        n_instances = 1 if primitive.poses is None else len(primitive.poses)
        if primitive.indices is not None:
            count = primitive.indices.size if count is None else count
            glDrawElementsInstanced(primitive.mode, count, GL_UNSIGNED_INT, None, n_instances)
        else:
            count = len(primitive.positions) if count is None else count
            glDrawArraysInstanced(primitive.mode, 0, count, n_instances)

    def _clamped_line_width(self) -> float:
        if self._line_range is None:
            try:
                self._line_range = tuple(glGetFloatv(GL_ALIASED_LINE_WIDTH_RANGE))
            except Exception:
                self._line_range = (1.0, 1.0)
        lo, hi = self._line_range
        return float(min(max(self.line_width, lo), hi))
