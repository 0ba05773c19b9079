"""Blender Cycles, the path-traced peer of benchmarks/photo.py: renders one glTF scene to a PNG.

Run with the interpreter of the venv that benchmarks/cycles_setup.sh makes (bpy 5.0.1 needs
Python 3.11 and numpy<2, so it never enters ldscene's own environment):

    "${CYCLES_VENV:-$HOME/.cache/ldscene-bench/bpy-venv}/bin/python" \\
        benchmarks/cycles_render.py JOB.json

JOB.json (lengths in metres, glTF's +Y-up frame, the one `ldscene export --units m` writes):

    {"gltf": "scene.glb", "out": "out.png", "width": 1024, "height": 768,
     "samples": 16, "denoise": true,
     "camera": {"matrix": [[...4x4 row-major camera-to-world, OpenGL axes...]],
                "yfov_degrees": 30.0, "ortho": false, "ymag": 0.5},
     "light": "studio", "ground_y": 0.0, "background": [1.0, 1.0, 1.0]}

`camera.ymag` (orthographic half-height) is optional: without it an orthographic view keeps the
height the perspective one would have at the scene's centre.  `ground_y` may be null or left
out: the ground then touches the model's lowest point.

All of Blender's own chatter goes to stderr; stdout carries one line of JSON with the timings:
{"import_s", "render_s", "total_s", "bpy_import_s"}.  render_s covers Cycles' scene sync, BVH
build, sampling, OIDN and the PNG write; total_s the factory reset, glTF import, scene set-up
and render (not the `import bpy` itself, reported as bpy_import_s).

The file must not be called cycles.py: that name would shadow Blender's Cycles add-on.
"""

from __future__ import annotations

import json
import math
import os
import struct
import sys
import time
import warnings
from pathlib import Path
from typing import Any

#: The glTF importer's axis change (+Y up to +Z up): x_b = x, y_b = -z, z_b = y.
_GLTF_TO_BLENDER = ((1.0, 0.0, 0.0, 0.0), (0.0, 0.0, -1.0, 0.0), (0.0, 1.0, 0.0, 0.0))

# Studio light, the same place as ldscene's key light (render/raster/lights.py): relative to the
# camera's heading, 40 degrees to its left and 50 degrees up.
_KEY_AZIMUTH = -40.0
_KEY_ELEVATION = 50.0
_SUN_ANGLE = 8.0  # degrees: soft-edged shadows
_SUN_STRENGTH = 4.0  # W/m^2: a top face gets about its colour from the sun alone
_WORLD_FILL = 0.6  # the world's strength as a light; the camera sees it at 1.0

_OPAQUE_ROUGHNESS = 0.18  # ABS plastic: a soft highlight, as in the Mitsuba engine
_OPAQUE_IOR = 1.54
_TRANS_ROUGHNESS = 0.02
_TRANS_IOR = 1.58  # polycarbonate, the trans parts' plastic
_MAX_BOUNCES = 8  # as the Mitsuba path integrator's max depth


def srgb_to_linear(c: float) -> float:
    """The sRGB transfer function's inverse (the job gives the background in sRGB)."""
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def read_gltf_materials(path: Path) -> dict[str, dict[str, Any]]:
    """glTF material JSON by name, to learn which were alpha-blended: the importer only
    leaves that as a render-method hint on Blender's side."""
    data = path.read_bytes()
    if data[:4] == b"glTF":
        length, kind = struct.unpack_from("<II", data, 12)
        if kind != 0x4E4F534A:  # "JSON"
            raise ValueError(f"{path}: first GLB chunk is not JSON")
        doc = json.loads(data[20 : 20 + length])
    else:
        doc = json.loads(data)
    return {m.get("name", ""): m for m in doc.get("materials", [])}


def principled(material: Any) -> Any | None:
    """The Principled BSDF node of an imported material, if it has one."""
    if material.node_tree is None:
        return None
    for node in material.node_tree.nodes:
        if node.type == "BSDF_PRINCIPLED":
            return node
    return None


def use_nodes(block: Any) -> None:
    """Give a new world/material its node tree (`use_nodes` is deprecated in 5.0 but still
    needed there; quiet its warning, which would clutter the log)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        block.use_nodes = True


def set_input(node: Any, names: tuple[str, ...], value: Any) -> None:
    """Set the first socket of `names` that exists (socket names moved between versions)."""
    for name in names:
        socket = node.inputs.get(name)
        if socket is not None:
            socket.default_value = value
            return


def setup_materials(bpy: Any, gltf_materials: dict[str, dict[str, Any]]) -> None:
    """Plastic for opaque colours, refracting glass for transmitting (trans) ones; metals
    keep what the importer made of their metallic/roughness factors."""
    for material in bpy.data.materials:
        bsdf = principled(material)
        if bsdf is None:
            continue
        name = material.name
        spec = gltf_materials.get(name) or gltf_materials.get(name.rsplit(".", 1)[0], {})
        pbr = spec.get("pbrMetallicRoughness", {})
        glass = "KHR_materials_transmission" in spec.get("extensions", {})
        if glass or spec.get("alphaMode") == "BLEND":  # ldscene's glTF: transmission since #13
            rgba = pbr.get("baseColorFactor", [1.0, 1.0, 1.0, 1.0])
            # Light crosses two surfaces of a solid part; each tints once.
            tint = [math.sqrt(max(c, 0.0)) for c in rgba[:3]]
            if material.node_tree is not None:  # the importer links alpha in; glass has none
                for link in list(bsdf.inputs["Alpha"].links):
                    material.node_tree.links.remove(link)
            set_input(bsdf, ("Base Color",), (*tint, 1.0))
            set_input(bsdf, ("Alpha",), 1.0)
            set_input(bsdf, ("Transmission Weight", "Transmission"), 1.0)
            set_input(bsdf, ("IOR",), _TRANS_IOR)
            set_input(bsdf, ("Roughness",), _TRANS_ROUGHNESS)
            set_input(bsdf, ("Metallic",), 0.0)
            if hasattr(material, "surface_render_method"):
                material.surface_render_method = "DITHERED"
        elif pbr.get("metallicFactor", 0.0) < 0.5:
            set_input(bsdf, ("Roughness",), _OPAQUE_ROUGHNESS)
            set_input(bsdf, ("IOR",), _OPAQUE_IOR)


def scene_bounds(bpy: Any) -> tuple[Any, Any]:
    """World-space (min, max) corners of every mesh object, from their bounding boxes."""
    from mathutils import Vector

    lo = Vector((math.inf,) * 3)
    hi = Vector((-math.inf,) * 3)
    for obj in bpy.context.scene.objects:
        if obj.type != "MESH":
            continue
        for corner in obj.bound_box:
            p = obj.matrix_world @ Vector(corner)
            lo = Vector(map(min, lo, p))
            hi = Vector(map(max, hi, p))
    if lo.x > hi.x:
        raise SystemExit("the glTF file holds no meshes")
    return lo, hi


def add_camera(bpy: Any, job: dict[str, Any], centre: Any) -> Any:
    """The job's camera, moved from glTF's frame into Blender's like the importer moves the
    model.  Both conventions look down local -Z with +Y up, so only the world frame changes."""
    from mathutils import Matrix, Vector

    spec = job["camera"]
    pose = Matrix(spec["matrix"])
    convert = Matrix((*_GLTF_TO_BLENDER, (0.0, 0.0, 0.0, 1.0)))
    world = convert @ pose
    data = bpy.data.cameras.new("camera")
    data.sensor_fit = "VERTICAL"
    yfov = math.radians(float(spec.get("yfov_degrees", 30.0)))
    if spec.get("ortho"):
        data.type = "ORTHO"
        ymag = spec.get("ymag")
        if ymag is None:
            forward = -world.col[2].to_3d()
            depth = max((centre - world.translation).dot(forward), 1e-6)
            ymag = depth * math.tan(yfov / 2)
        data.ortho_scale = 2.0 * float(ymag)  # with a vertical fit: the full height
    else:
        data.angle_y = yfov
    camera = bpy.data.objects.new("camera", data)
    camera.matrix_world = world
    bpy.context.scene.collection.objects.link(camera)
    bpy.context.scene.camera = camera
    # Clip range: from just in front of the lens to past the ground plane's far edge.
    far = (Vector(world.translation) - centre).length
    data.clip_start = 1e-4
    data.clip_end = max(1e3, 100.0 * far)
    return camera


def add_studio_light(bpy: Any, camera: Any) -> None:
    """A sun from the camera's upper left (8 degree disc for soft shadows)."""
    from mathutils import Vector

    back = camera.matrix_world.col[2].to_3d()  # Blender frame: the camera's backward axis
    heading = math.degrees(math.atan2(back.x, -back.y)) if back.xy.length > 1e-6 else 0.0
    az = math.radians(heading + _KEY_AZIMUTH)
    el = math.radians(_KEY_ELEVATION)
    # glTF-frame direction towards the light, (sin az cos el, sin el, cos az cos el), in Blender.
    towards = Vector((math.sin(az) * math.cos(el), -math.cos(az) * math.cos(el), math.sin(el)))
    data = bpy.data.lights.new("sun", type="SUN")
    data.angle = math.radians(_SUN_ANGLE)
    data.energy = _SUN_STRENGTH
    sun = bpy.data.objects.new("sun", data)
    sun.rotation_euler = towards.to_track_quat("Z", "Y").to_euler()  # shines along its -Z
    bpy.context.scene.collection.objects.link(sun)


def add_world(bpy: Any, background: list[float]) -> None:
    """A constant world of the background colour: the backdrop at full strength, and a
    weaker (soft) fill light, so that the sun's shadows keep some contrast."""
    world = bpy.data.worlds.new("world")
    use_nodes(world)
    nodes, links = world.node_tree.nodes, world.node_tree.links
    node = nodes["Background"]
    node.inputs["Color"].default_value = (*background, 1.0)
    path = nodes.new("ShaderNodeLightPath")
    strength = nodes.new("ShaderNodeMath")  # camera ray ? 1 : _WORLD_FILL
    strength.operation = "MULTIPLY_ADD"
    strength.inputs[1].default_value = 1.0 - _WORLD_FILL
    strength.inputs[2].default_value = _WORLD_FILL
    links.new(path.outputs["Is Camera Ray"], strength.inputs[0])
    links.new(strength.outputs["Value"], node.inputs["Strength"])
    bpy.context.scene.world = world


def add_ground(bpy: Any, ground_z: float, lo: Any, hi: Any, colour: list[float]) -> None:
    """A matte floor under the model, wide enough to reach the horizon in a framed view."""
    size = max(50.0 * (hi - lo).length, 10.0)
    half = size / 2
    cx, cy = (lo.x + hi.x) / 2, (lo.y + hi.y) / 2
    mesh = bpy.data.meshes.new("ground")
    verts = [
        (cx - half, cy - half, ground_z),
        (cx + half, cy - half, ground_z),
        (cx + half, cy + half, ground_z),
        (cx - half, cy + half, ground_z),
    ]
    mesh.from_pydata(verts, [], [(0, 1, 2, 3)])
    material = bpy.data.materials.new("ground")
    use_nodes(material)
    bsdf = principled(material)
    set_input(bsdf, ("Base Color",), (*colour, 1.0))
    set_input(bsdf, ("Roughness",), 0.7)
    mesh.materials.append(material)
    ground = bpy.data.objects.new("ground", mesh)
    bpy.context.scene.collection.objects.link(ground)


def setup_cycles(bpy: Any, job: dict[str, Any]) -> None:
    """Cycles on the CPU at a fixed sample count; OIDN with albedo+normal when asked."""
    scene = bpy.context.scene
    scene.render.engine = "CYCLES"
    cycles = scene.cycles
    cycles.device = "CPU"
    cycles.samples = int(job["samples"])
    cycles.use_adaptive_sampling = False
    cycles.seed = 0
    cycles.max_bounces = _MAX_BOUNCES
    cycles.transmission_bounces = _MAX_BOUNCES
    cycles.use_denoising = bool(job.get("denoise", True))
    cycles.denoiser = "OPENIMAGEDENOISE"
    cycles.denoising_input_passes = "RGB_ALBEDO_NORMAL"
    # One-pixel box, the Mitsuba engine's reconstruction (its noise stays white for OIDN).
    cycles.pixel_filter_type = "BOX"
    cycles.filter_width = 1.0
    render = scene.render
    render.resolution_x = int(job["width"])
    render.resolution_y = int(job["height"])
    render.resolution_percentage = 100
    render.film_transparent = False
    render.image_settings.file_format = "PNG"
    render.image_settings.color_mode = "RGB"
    render.image_settings.color_depth = "8"
    render.filepath = str(Path(job["out"]).resolve())
    scene.display_settings.display_device = "sRGB"
    scene.view_settings.view_transform = job.get("view_transform", "AgX")
    scene.view_settings.look = "None"
    scene.view_settings.exposure = 0.0
    scene.view_settings.gamma = 1.0


def run(job: dict[str, Any]) -> dict[str, float]:
    """Build the scene and render it; returns the timings."""
    started = time.perf_counter()
    import bpy

    bpy_import_s = time.perf_counter() - started
    t0 = time.perf_counter()
    bpy.ops.wm.read_factory_settings(use_empty=True)
    gltf = Path(job["gltf"]).resolve()
    bpy.ops.import_scene.gltf(filepath=str(gltf))
    import_s = time.perf_counter() - t0

    setup_materials(bpy, read_gltf_materials(gltf))
    lo, hi = scene_bounds(bpy)
    centre = (lo + hi) / 2
    background = [srgb_to_linear(float(c)) for c in job.get("background", (1.0, 1.0, 1.0))]
    ground_y = job.get("ground_y")
    ground_z = lo.z if ground_y is None else float(ground_y)  # glTF y is Blender z
    camera = add_camera(bpy, job, centre)
    light = job.get("light", "studio")
    if light != "studio":
        raise SystemExit(f"unknown light {light!r} (only 'studio')")
    add_studio_light(bpy, camera)
    add_world(bpy, background)
    add_ground(bpy, ground_z, lo, hi, background)
    setup_cycles(bpy, job)

    Path(job["out"]).parent.mkdir(parents=True, exist_ok=True)
    t1 = time.perf_counter()
    bpy.ops.render.render(write_still=True)
    done = time.perf_counter()
    return {
        "import_s": round(import_s, 3),
        "render_s": round(done - t1, 3),
        "total_s": round(done - t0, 3),
        "bpy_import_s": round(bpy_import_s, 3),
    }


def main(argv: list[str]) -> int:
    """Parse the job, keep stdout for the one JSON line, render."""
    if len(argv) != 2:
        print(f"usage: {argv[0]} JOB.json", file=sys.stderr)
        return 2
    job = json.loads(Path(argv[1]).read_text())
    # Blender prints import and render progress on the C-level stdout: send it to stderr.
    sys.stdout.flush()
    stdout = os.dup(1)
    os.dup2(2, 1)
    timings = run(job)
    sys.stdout.flush()
    os.write(stdout, (json.dumps(timings) + "\n").encode())
    os.close(stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
