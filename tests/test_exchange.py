"""Exporters: glTF/GLB, OBJ, STL and MPD written from real models and read back."""

from __future__ import annotations

import base64
import io
import json
import struct
from pathlib import Path

import numpy as np
import pytest
import trimesh
from click.testing import CliRunner
from conftest import write

from ldscene.cli import cli
from ldscene.exchange import export_model
from ldscene.exchange.gltf import build
from ldscene.exchange.mesh import LDRAW_TO_Y_UP, LDRAW_TO_Z_UP
from ldscene.exchange.mpd import mpd_text, renumbered_colours
from ldscene.ldraw import Leaf, Model, PartGeometry, find_library, load_model
from ldscene.ldraw.colours import ColourTable

OMR = Path(__file__).resolve().parent.parent.parent / "shared" / "models" / "omr"
BUGGY = OMR / "1180-1 - Space Port Moon Buggy.mpd"  # 29 parts, a minifig sub-model
TUNNELATOR = OMR / "6814-1 - Ice Tunnelator.mpd"  # 31 parts, nested sub-models

TINY_MPD = """0 FILE main.ldr
0 Tiny test
0 Name: main.ldr
0 !COLOUR My_Green CODE 900 VALUE #11AA22 EDGE #333333
0 BFC CERTIFY CCW
1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat
0 STEP
1 900 0 -24 0 1 0 0 0 1 0 0 0 1 3003.dat
1 1 40 0 0 -1 0 0 0 1 0 0 0 1 sub.ldr
1 14 -40 0 0 1 0 0 0 1 0 0 0 1 sub.ldr
0 NOFILE
0 FILE sub.ldr
0 Sub
0 Name: sub.ldr
0 BFC CERTIFY CCW
1 16 0 0 0 1 0 0 0 1 0 0 0 1 3024.dat
3 16 0 -10 0 10 -10 0 0 -10 10
4 2 0 -20 0 10 -20 0 10 -20 10 0 -20 10
2 24 0 -10 0 10 -10 0
1 16 0 0 0 1 0 0 0 1 0 0 0 1 4-4disc.dat
0 NOFILE
"""


@pytest.fixture(scope="module")
def library():
    return find_library()


@pytest.fixture(scope="module")
def buggy(library) -> Model:
    return load_model(BUGGY, library=library)


def world_points(model: Model) -> np.ndarray:
    """Every triangle corner of the model in LDraw space."""
    chunks = []
    for i in range(model.n_instances):
        tris = model.leaves[model.leaf[i]].geometry.triangles.reshape(-1, 3).astype(np.float64)
        if len(tris):
            t = model.transform[i]
            chunks.append(tris @ t[:3, :3].T + t[:3, 3])
    return np.concatenate(chunks)


def n_triangles(model: Model) -> int:
    return int(sum(model.leaves[i].geometry.n_triangles for i in model.leaf))


def bbox(points: np.ndarray) -> np.ndarray:
    return np.stack([points.min(axis=0), points.max(axis=0)])


def converted_bbox(model: Model, matrix: np.ndarray, scale: float = 1.0) -> np.ndarray:
    return bbox(world_points(model) @ matrix[:3, :3].T * scale)


def scene_triangles(scene: trimesh.Scene) -> int:
    return sum(
        len(scene.geometry[scene.graph[node][1]].faces) for node in scene.graph.nodes_geometry
    )


# -- hand-built models ------------------------------------------------------------------------
def cube_geometry(colour: int = 16) -> PartGeometry:
    """A closed unit cube (side 2 around the origin), counter-clockwise seen from outside."""
    corners = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], float)
    quads = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    tris = []
    for a, b, c, d in quads:
        tris += [(a, b, c), (a, c, d)]
    triangles = corners[np.array(tris)].astype(np.float32)
    # make every triangle face away from the centre (fix winding where needed)
    normal = np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
    inward = np.einsum("ij,ij->i", normal, triangles.mean(axis=1)) < 0
    triangles[inward] = triangles[inward][:, ::-1]
    geometry = PartGeometry.empty()
    geometry.triangles = triangles
    geometry.triangle_colours = np.full(len(triangles), colour, np.int32)
    geometry.two_sided = np.zeros(len(triangles), bool)
    return geometry


def colour_table(library) -> ColourTable:
    table = ColourTable()
    text = library.read("ldconfig.ldr").decode("utf-8")
    for line in text.splitlines():
        if "!COLOUR" in line:
            table.add_meta(line.strip()[2:])
    return table


def hand_model(library, colours: list[int], transforms: list[np.ndarray]) -> Model:
    leaves = [Leaf("cube.dat", "Test Cube", True, cube_geometry())]
    n = len(colours)
    return Model(
        name="hand.ldr",
        leaves=leaves,
        leaf=np.zeros(n, np.int32),
        colour=np.array(colours, np.int64),
        transform=np.array(transforms, float),
        path=np.zeros(n, np.int32),
        step=np.zeros(n, np.int32),
        paths=[()],
        colours=colour_table(library),
    )


def translate(x: float, y: float = 0.0, z: float = 0.0) -> np.ndarray:
    t = np.eye(4)
    t[:3, 3] = (x, y, z)
    return t


# -- glTF --------------------------------------------------------------------------------------
_COMPONENTS = {5126: np.float32, 5125: np.uint32, 5123: np.uint16}
_WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}


def read_gltf(path: Path) -> tuple[dict, bytes]:
    """A .glb or .gltf (buffer embedded) as its JSON document and binary buffer."""
    raw = path.read_bytes()
    if raw[:4] == b"glTF":
        (json_length,) = struct.unpack("<I", raw[12:16])
        doc = json.loads(raw[20 : 20 + json_length])
        return doc, raw[20 + json_length + 8 :]
    doc = json.loads(raw)
    return doc, base64.b64decode(doc["buffers"][0]["uri"].split(",", 1)[1])


def accessor(doc: dict, data: bytes, index: int) -> np.ndarray:
    a = doc["accessors"][index]
    view = doc["bufferViews"][a["bufferView"]]
    width = _WIDTH[a["type"]]
    values = np.frombuffer(
        data, _COMPONENTS[a["componentType"]], a["count"] * width, view.get("byteOffset", 0)
    )
    return values.reshape(a["count"], width)


def _quaternion_matrix(q: np.ndarray) -> np.ndarray:
    x, y, z, w = q
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


def gltf_triangles(doc: dict, data: bytes) -> np.ndarray:
    """Every triangle (N, 3, 3) of the scene in world space, read by the glTF rules (node
    matrices and EXT_mesh_gpu_instancing), independently of the exporter's code."""
    out = []

    def visit(index: int, parent: np.ndarray) -> None:
        node = doc["nodes"][index]
        local = np.eye(4)
        if "matrix" in node:
            local = np.array(node["matrix"], float).reshape(4, 4).T
        world = parent @ local
        if "mesh" in node:
            placements = [np.eye(4)]
            ext = node.get("extensions", {}).get("EXT_mesh_gpu_instancing")
            if ext:
                attrs = ext["attributes"]
                t = accessor(doc, data, attrs["TRANSLATION"])
                q = accessor(doc, data, attrs["ROTATION"])
                s = accessor(doc, data, attrs["SCALE"]) if "SCALE" in attrs else np.ones_like(t)
                placements = []
                for k in range(len(t)):
                    m = np.eye(4)
                    m[:3, :3] = _quaternion_matrix(q[k].astype(float)) * s[k]
                    m[:3, 3] = t[k]
                    placements.append(m)
            for prim in doc["meshes"][node["mesh"]]["primitives"]:
                points = accessor(doc, data, prim["attributes"]["POSITION"]).astype(float)
                faces = accessor(doc, data, prim["indices"]).reshape(-1, 3).astype(np.int64)
                for m in placements:
                    full = world @ m
                    out.append((points @ full[:3, :3].T + full[:3, 3])[faces])
        for child in node.get("children", []):
            visit(child, world)

    for root in doc["scenes"][doc.get("scene", 0)]["nodes"]:
        visit(root, np.eye(4))
    return np.concatenate(out)


@pytest.mark.parametrize("suffix", [".glb", ".gltf"])
def test_gltf_round_trip_counts_and_bbox_in_metres(buggy, tmp_path, suffix):
    out = export_model(buggy, tmp_path / f"buggy{suffix}")
    tris = gltf_triangles(*read_gltf(out))
    assert len(tris) == n_triangles(buggy)
    expected = converted_bbox(buggy, LDRAW_TO_Y_UP, 0.0004)  # glTF's unit: 1 LDU = 0.4 mm
    np.testing.assert_allclose(bbox(tris.reshape(-1, 3)), expected, atol=1e-6)
    assert [p.name for p in tmp_path.iterdir()] == [f"buggy{suffix}"]  # no temp files left


def test_gltf_without_instancing_reads_in_trimesh(buggy, tmp_path):
    """Viewers without EXT_mesh_gpu_instancing (trimesh) read a file that does not use it."""
    doc, data = build(buggy, units="ldu", instancing=False)
    assert "extensionsRequired" not in doc
    out = tmp_path / "plain.glb"
    write_glb_document(doc, data, out)
    scene = trimesh.load(out)
    assert scene_triangles(scene) == n_triangles(buggy)
    np.testing.assert_allclose(scene.bounds, converted_bbox(buggy, LDRAW_TO_Y_UP), atol=1e-3)


def write_glb_document(doc: dict, data: bytes, out: Path) -> None:
    text = json.dumps(doc).encode()
    text += b" " * ((-len(text)) % 4)
    head = struct.pack("<4sII", b"glTF", 2, 28 + len(text) + len(data))
    out.write_bytes(
        head + struct.pack("<I4s", len(text), b"JSON") + text
        + struct.pack("<I4s", len(data), b"BIN\0") + data
    )  # fmt: skip


def test_gltf_units_ldu_and_mm(buggy, tmp_path):
    for units, scale in (("ldu", 1.0), ("mm", 0.4)):
        tris = gltf_triangles(*read_gltf(export_model(buggy, tmp_path / "u.glb", units=units)))
        expected = converted_bbox(buggy, LDRAW_TO_Y_UP, scale)
        np.testing.assert_allclose(bbox(tris.reshape(-1, 3)), expected, atol=1e-3)


def test_gltf_glb_container_is_valid(buggy, tmp_path):
    data = export_model(buggy, tmp_path / "b.glb").read_bytes()
    magic, version, length = struct.unpack("<4sII", data[:12])
    assert (magic, version, length) == (b"glTF", 2, len(data))
    json_length, kind = struct.unpack("<I4s", data[12:20])
    assert kind == b"JSON" and json_length % 4 == 0
    doc = json.loads(data[20 : 20 + json_length])
    assert doc["asset"]["version"] == "2.0"
    assert doc["asset"]["extras"]["units"] == "m"


def test_gltf_instances_share_vertex_data(library):
    model = hand_model(library, [4, 4, 1, 15], [translate(x * 10.0) for x in range(4)])
    doc, _ = build(model)
    positions = {p["attributes"]["POSITION"] for m in doc["meshes"] for p in m["primitives"]}
    assert len(positions) == 1  # one vertex buffer for the part, whatever its colours
    assert len(doc["meshes"]) == 3  # one mesh record per colour it is placed in
    instance_nodes = [n for n in doc["nodes"] if "mesh" in n]
    assert len(instance_nodes) == 4  # under INSTANCING_MIN of each: plain nodes
    assert "extensionsUsed" not in doc


def test_gltf_gpu_instancing_where_it_saves_bytes(library, tmp_path):
    turn = np.eye(4)
    turn[:3, :3] = [[0, 0, -1], [0, 1, 0], [1, 0, 0]]  # a quarter turn about LDraw's y
    mirror = np.diag([-1.0, 1, 1, 1])
    placements = [translate(x * 10.0) @ (turn if x % 2 else np.eye(4)) for x in range(40)]
    model = hand_model(library, [4] * 41, [*placements, translate(0, 0, 50) @ mirror])
    doc, data = build(model, units="ldu", instancing=True)
    assert doc["extensionsRequired"] == ["EXT_mesh_gpu_instancing"]
    instanced = [n for n in doc["nodes"] if "extensions" in n]
    assert len(instanced) == 1  # the 40 plain placements in one node
    assert sum("mesh" in n and "extensions" not in n for n in doc["nodes"]) == 1  # the mirror
    tris = gltf_triangles(doc, data)
    assert len(tris) == n_triangles(model)
    np.testing.assert_allclose(
        bbox(tris.reshape(-1, 3)), converted_bbox(model, LDRAW_TO_Y_UP), atol=1e-4
    )
    sizes = []
    for instancing in (True, False):
        doc, data = build(model, instancing=instancing)
        sizes.append(len(json.dumps(doc, separators=(",", ":"))) + len(data))
    assert sizes[0] < 0.6 * sizes[1]


def test_gltf_gpu_instancing_only_where_it_pays(buggy, library):
    """By default the extension (which viewers must then support) is used only where it cuts
    the file by a tenth: not for an official set, whose part geometry dominates."""
    doc, _ = build(buggy)
    assert "extensionsRequired" not in doc and not any("extensions" in n for n in doc["nodes"])
    field = hand_model(library, [4] * 200, [translate(x * 10.0) for x in range(200)])
    doc, _ = build(field)
    assert doc["extensionsRequired"] == ["EXT_mesh_gpu_instancing"]


def test_gltf_glass_transmits_and_luminous_colours_emit(library):
    # 4 Red, 47 Trans_Clear, 383 Chrome_Silver, 256 Rubber_Black, 21 Glow_In_Dark_Opaque
    model = hand_model(library, [4, 47, 383, 256, 21], [translate(x * 10.0) for x in range(5)])
    doc, _ = build(model)
    by_name = {m["name"]: m for m in doc["materials"]}
    red = by_name["Red"]["pbrMetallicRoughness"]
    r, g, b = (round(c * 255) for c in model.colours.get(4).rgb)
    assert red["baseColorFactor"][0] == pytest.approx(((r / 255 + 0.055) / 1.055) ** 2.4)
    assert red["metallicFactor"] == 0.0 and "extensions" not in by_name["Red"]
    glass = by_name["Trans_Clear"]
    assert "alphaMode" not in glass  # light passes by transmission, not by blending
    assert glass["extensions"]["KHR_materials_transmission"]["transmissionFactor"] == 1.0
    assert glass["extensions"]["KHR_materials_ior"]["ior"] == pytest.approx(1.58)
    # Glow-in-the-dark (ALPHA 240) lets through as much as the path engine's: 13 %, not all
    milky = by_name["Glow_In_Dark_Opaque"]["extensions"]["KHR_materials_transmission"]
    assert milky["transmissionFactor"] == pytest.approx((1 - 240 / 255) / (1 - 0.55), abs=1e-3)
    assert set(doc["extensionsUsed"]) == {"KHR_materials_transmission", "KHR_materials_ior"}
    assert by_name["Chrome_Silver"]["pbrMetallicRoughness"]["metallicFactor"] == 1.0
    assert by_name["Rubber_Black"]["pbrMetallicRoughness"]["roughnessFactor"] >= 0.8
    glow = 0.35 + 2 * 15 / 255  # LUMINANCE 15, the raster engine's rule
    linear = [((c + 0.055) / 1.055) ** 2.4 for c in model.colours.get(21).rgb]
    emissive = by_name["Glow_In_Dark_Opaque"]["emissiveFactor"]
    np.testing.assert_allclose(emissive, np.array(linear) * glow, rtol=1e-6)
    assert "emissiveFactor" not in by_name["Red"]


def test_gltf_y_up_puts_the_model_top_upwards(library, tmp_path):
    # a cube lifted 100 LDU (LDraw up is -Y) must end up at +100 in glTF
    model = hand_model(library, [4], [translate(0.0, -100.0, 0.0)])
    scene = trimesh.load(export_model(model, tmp_path / "up.glb", units="ldu"))
    assert scene.bounds[0][1] == pytest.approx(99.0)


def test_gltf_sheared_placement_is_baked(library, tmp_path):
    shear = np.eye(4)
    shear[0, 1] = 0.5  # x += 0.5 y: no translation·rotation·scale can express it
    model = hand_model(library, [4, 4], [translate(10.0), translate(-10.0) @ shear])
    doc, _ = build(model)
    instance_nodes = [n for n in doc["nodes"] if "mesh" in n]
    assert sum("matrix" in n for n in instance_nodes) == 1  # the sheared one has none
    scene = trimesh.load(export_model(model, tmp_path / "shear.glb", units="ldu"))
    np.testing.assert_allclose(scene.bounds, converted_bbox(model, LDRAW_TO_Y_UP), atol=1e-4)
    # A part placed only sheared writes only its baked copy: every accessor is used
    only = hand_model(library, [4], [shear])
    doc, _ = build(only)
    used = {
        index
        for mesh in doc["meshes"]
        for primitive in mesh["primitives"]
        for index in [*primitive["attributes"].values(), primitive["indices"]]
    }
    assert used == set(range(len(doc["accessors"]))), (used, len(doc["accessors"]))


def test_gltf_of_a_printed_part_embeds_its_image(tmp_path, library_path):
    from PIL import Image

    model_file = tmp_path / "sticker.ldr"
    model_file.write_text("0 s\n1 15 0 0 0 1 0 0 0 1 0 0 0 1 13710a.dat\n")
    model = load_model(model_file)
    doc, data = read_gltf(export_model(model, tmp_path / "sticker.glb"))
    printed = [p for m in doc["meshes"] for p in m["primitives"] if "TEXCOORD_0" in p["attributes"]]
    assert len(printed) == 1
    uv = accessor(doc, data, printed[0]["attributes"]["TEXCOORD_0"])
    assert uv.min() > -1e-4 and uv.max() < 1 + 1e-4
    material = doc["materials"][printed[0]["material"]]
    texture = doc["textures"][material["pbrMetallicRoughness"]["baseColorTexture"]["index"]]
    image = doc["images"][texture["source"]]
    view = doc["bufferViews"][image["bufferView"]]
    png = data[view["byteOffset"] : view["byteOffset"] + view["byteLength"]]
    with Image.open(io.BytesIO(png)) as decoded:
        source = Image.open(library_path / "parts" / "textures" / "13710a.png")
        assert decoded.size == source.size  # the print itself (over the part's colour)
        assert len(decoded.getcolors(1 << 20)) > 100
    assert len(gltf_triangles(doc, data)) == n_triangles(model)


def _validator() -> Path | None:
    """Khronos' glTF validator (npm gltf-validator), where it is installed."""
    import os
    import shutil

    root = Path(__file__).resolve().parent.parent
    for folder in (os.environ.get("GLTF_VALIDATOR_DIR"), root / ".ci-node"):
        if folder and (Path(folder) / "node_modules" / "gltf-validator").is_dir():
            return Path(folder) if shutil.which("node") else None
    return None


@pytest.mark.skipif(_validator() is None, reason="npm's gltf-validator is not installed")
def test_khronos_validator_finds_no_errors_and_no_warnings(buggy, library, tmp_path):
    import subprocess

    sticker = tmp_path / "sticker.ldr"
    sticker.write_text("0 s\n1 15 0 0 0 1 0 0 0 1 0 0 0 1 13710a.dat\n")
    many = hand_model(library, [47] * 6 + [21, 383], [translate(x * 10.0) for x in range(8)])
    outputs = [
        export_model(buggy, tmp_path / "buggy.glb"),
        export_model(buggy, tmp_path / "buggy.gltf", units="ldu"),
        export_model(load_model(sticker), tmp_path / "sticker.glb"),
        export_model(many, tmp_path / "glass.glb"),
    ]
    script = (
        "const v = require('gltf-validator'); const fs = require('fs');"
        "(async () => { for (const f of process.argv.slice(1)) {"
        " const r = await v.validateBytes(new Uint8Array(fs.readFileSync(f)));"
        " console.log(JSON.stringify([f, r.issues.numErrors, r.issues.numWarnings,"
        " r.issues.messages.slice(0, 5)])); } })();"
    )
    done = subprocess.run(
        ["node", "-e", script, *map(str, outputs)],
        capture_output=True, text=True, cwd=_validator(), timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    reports = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(reports) == len(outputs)
    for name, errors, warnings, messages in reports:
        assert (errors, warnings) == (0, 0), (name, messages)


# -- OBJ and STL -------------------------------------------------------------------------------
def test_obj_names_its_material_file_without_blanks(buggy, tmp_path):
    # `mtllib my cage.mtl` reads as two files, "my" and "cage.mtl", to a strict OBJ reader.
    out = export_model(buggy, tmp_path / "my buggy.obj")
    (line,) = [line for line in out.read_text().splitlines() if line.startswith("mtllib")]
    assert line == "mtllib my_buggy.mtl"
    assert (tmp_path / "my_buggy.mtl").read_text().count("newmtl") >= 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["my buggy.obj", "my_buggy.mtl"]


def test_obj_counts(buggy, tmp_path):
    out = export_model(buggy, tmp_path / "buggy.obj")
    lines = out.read_text().splitlines()
    assert sum(line.startswith("f ") for line in lines) == n_triangles(buggy)
    assert sum(line.startswith("o ") for line in lines) == buggy.n_instances
    mtl = (tmp_path / "buggy.mtl").read_text()
    used = {line.split()[1] for line in lines if line.startswith("usemtl")}
    assert used <= {line.split()[1] for line in mtl.splitlines() if line.startswith("newmtl")}
    mesh = trimesh.load(out, process=False, force="mesh")
    assert len(mesh.faces) == n_triangles(buggy)
    np.testing.assert_allclose(mesh.bounds, converted_bbox(buggy, LDRAW_TO_Y_UP), atol=1e-3)


def test_obj_in_metres_keeps_every_triangle(buggy, tmp_path):
    """Vertices are written to float32 precision in any unit: at 4 decimals a metre-sized
    export rounded to 0.1 mm, merging vertices and flattening hundreds of triangles."""
    meshes = {}
    for units in ("ldu", "m"):
        out = export_model(buggy, tmp_path / f"buggy-{units}.obj", units=units)
        meshes[units] = trimesh.load(out, process=False, force="mesh")
    flat = {units: int((mesh.area_faces <= 0).sum()) for units, mesh in meshes.items()}
    assert flat["m"] == flat["ldu"], flat
    np.testing.assert_allclose(meshes["m"].vertices, meshes["ldu"].vertices * 0.0004, atol=1e-8)


def test_stl_counts_and_z_up(buggy, tmp_path):
    out = export_model(buggy, tmp_path / "buggy.stl", units="mm")
    data = out.read_bytes()
    count = struct.unpack("<I", data[80:84])[0]
    assert count == n_triangles(buggy)
    assert len(data) == 84 + 50 * count
    mesh = trimesh.load(out, process=False)
    np.testing.assert_allclose(mesh.bounds, converted_bbox(buggy, LDRAW_TO_Z_UP, 0.4), atol=1e-3)


def test_stl_is_in_millimetres_unless_asked(buggy, tmp_path):
    """Slicers read STL as millimetres: an STL in LDU printed 2.5 times too large."""
    mesh = trimesh.load(export_model(buggy, tmp_path / "b.stl"), process=False)
    np.testing.assert_allclose(mesh.bounds, converted_bbox(buggy, LDRAW_TO_Z_UP, 0.4), atol=1e-3)


def test_a_flattening_placement_keeps_its_normals_with_its_winding(tmp_path):
    """A brick placed with a zero y scale (det 0): the OBJ's normals fell back to the
    identity, skipping the export's own axis flip, and every face's normal opposed its
    winding."""
    path = write(tmp_path, "flat.ldr", "0 flat\n1 4 0 0 0 1 0 0 0 0 0 0 0 1 3001.dat\n")
    out = export_model(load_model(path), tmp_path / "flat.obj")
    text = out.read_text()
    positions = np.array(
        [line.split()[1:] for line in text.splitlines() if line.startswith("v ")], float
    )
    normals = np.array(
        [line.split()[1:] for line in text.splitlines() if line.startswith("vn ")], float
    )
    faces = [
        [int(corner.split("/")[0]) - 1 for corner in line.split()[1:]]
        for line in text.splitlines()
        if line.startswith("f ")
    ]
    checked = 0
    for a, b, c in faces:
        winding = np.cross(positions[b] - positions[a], positions[c] - positions[a])
        if np.linalg.norm(winding) < 1e-6:
            continue  # squashed to nothing
        assert np.dot(winding, normals[a] + normals[b] + normals[c]) > 0
        checked += 1
    assert checked > 50
    # and every normal is a unit vector (glTF requires it; the squashed sides had zeros)
    np.testing.assert_allclose(np.linalg.norm(normals, axis=1), 1.0, atol=1e-5)
    doc, data = read_gltf(export_model(load_model(path), tmp_path / "flat.glb"))
    for mesh in doc["meshes"]:
        for primitive in mesh["primitives"]:
            turned = accessor(doc, data, primitive["attributes"]["NORMAL"])
            np.testing.assert_allclose(np.linalg.norm(turned, axis=1), 1.0, atol=1e-5)


def test_mirrored_instances_keep_outward_faces(library, tmp_path):
    mirror = np.diag([-1.0, 1.0, 1.0, 1.0])
    model = hand_model(library, [4, 4], [translate(10.0), translate(-10.0) @ mirror])
    mesh = trimesh.load(export_model(model, tmp_path / "m.stl", units="ldu"), process=False)
    centres = mesh.triangles_center
    centre_of_cube = np.where(centres[:, :1] > 0, [10.0, 0, 0], [-10.0, 0, 0])
    outward = np.einsum("ij,ij->i", mesh.face_normals, centres - centre_of_cube)
    assert (outward > 0).all()


# -- MPD ---------------------------------------------------------------------------------------
def test_mpd_round_trip_real_model(library, tmp_path):
    model = load_model(TUNNELATOR, library=library)
    out = export_model(model, tmp_path / "tunnelator.mpd", library=library)
    text = out.read_text()
    for chain in model.paths[1:]:
        assert f"0 FILE {chain[-1]}" in text  # sub-models survive as blocks
    again = load_model(out, library=library)
    assert again.part_mask().sum() == model.part_mask().sum()
    assert n_triangles(again) == n_triangles(model)
    np.testing.assert_allclose(bbox(world_points(again)), bbox(world_points(model)), atol=1e-3)
    assert not again.missing


def test_mpd_export_keeps_the_step_of_each_sub_model_reference(library, tmp_path):
    """A sub-model's reference was written after all its parent's parts, in its last step:
    building instructions read from the export put the sub-assembly at the end."""
    source = write(
        tmp_path,
        "stepped.mpd",
        "0 FILE main.ldr\n0 Stepped\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n0 STEP\n"
        "1 16 0 -24 0 1 0 0 0 1 0 0 0 1 sub.ldr\n1 1 0 -48 0 1 0 0 0 1 0 0 0 1 3001.dat\n"
        "0 STEP\n1 2 0 -96 0 1 0 0 0 1 0 0 0 1 3001.dat\n"
        "0 FILE sub.ldr\n0 Sub assembly\n1 14 40 0 0 1 0 0 0 1 0 0 0 1 3003.dat\n0 STEP\n"
        "1 15 40 -24 0 1 0 0 0 1 0 0 0 1 3003.dat\n",
    )
    model = load_model(source, library=library)
    assert model.chain_steps == {("sub.ldr",): 1}
    main = mpd_text(model, library).split("0 NOFILE")[0].splitlines()
    body = [line.split()[1] if line.startswith("1 ") else line for line in main[5:]]
    assert body == ["4", "0 STEP", "16", "1", "0 STEP", "2"]
    assert main[1] == "0 Stepped"
    assert "0 FILE sub.ldr\n0 Sub assembly\n" in mpd_text(model, library)  # its own title
    again = load_model(export_model(model, tmp_path / "again.mpd", library=library), library)
    assert again.chain_steps == model.chain_steps
    assert again.step.tolist() == model.step.tolist()


def test_mpd_export_keeps_the_step_of_a_sub_model_that_only_groups_others(library, tmp_path):
    """A sub-model whose block holds only other sub-models had no step of its own and went
    to its parent's last step (the Falcon's subModel-112: step 69 of 92 became 76)."""
    source = write(
        tmp_path,
        "group.mpd",
        "0 FILE main.ldr\n0 main\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n0 STEP\n"
        "1 16 0 -24 0 1 0 0 0 1 0 0 0 1 group.ldr\n0 STEP\n"
        "1 2 0 -96 0 1 0 0 0 1 0 0 0 1 3001.dat\n"
        "0 FILE group.ldr\n0 group\n1 16 0 0 0 1 0 0 0 1 0 0 0 1 leaf.ldr\n"
        "0 FILE leaf.ldr\n0 leaf\n1 14 0 0 0 1 0 0 0 1 0 0 0 1 3003.dat\n",
    )
    model = load_model(source, library=library)
    assert model.chain_steps == {("group.ldr",): 1, ("group.ldr", "leaf.ldr"): 0}
    main = mpd_text(model, library).split("0 NOFILE")[0].splitlines()
    body = [line.split()[-1] if line.startswith("1 ") else line for line in main[5:]]
    assert body == ["3001.dat", "0 STEP", "group.ldr", "0 STEP", "3001.dat"]


def test_mpd_round_trip_loose_geometry_and_custom_colour(library, tmp_path):
    source = tmp_path / "tiny.mpd"
    source.write_text(TINY_MPD)
    model = load_model(source, library=library)
    text = mpd_text(model, library)
    assert "0 !COLOUR My_Green CODE 900" in text
    assert text.count("0 STEP") == 1
    out = export_model(model, tmp_path / "again.mpd", library=library)
    again = load_model(out, library=library)
    assert again.part_mask().sum() == model.part_mask().sum() == 4
    assert n_triangles(again) == n_triangles(model)
    np.testing.assert_allclose(bbox(world_points(again)), bbox(world_points(model)), atol=1e-4)

    def written(m):  # codes as the files write them (the loader's private ones differ)
        return sorted(m.colours.written_code(int(c)) for c in m.colour)

    assert written(again) == written(model)
    green = [int(c) for c in again.colour if again.colours.get(int(c)).name == "My_Green"]
    assert green and {again.colours.written_code(c) for c in green} == {900}


def test_mpd_export_keeps_a_local_redefinition_of_a_standard_code_local(library, tmp_path):
    """A model's own `!COLOUR` for code 4 holds from its line on: the export gives it a code
    of its own and leaves LDConfig's 4 alone, so parts above the definition stay red."""
    source = tmp_path / "local.ldr"
    source.write_text(
        "0 Local\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n"
        "0 !COLOUR Lime CODE 4 VALUE #00FF00 EDGE #000000\n"
        "1 4 0 -24 0 1 0 0 0 1 0 0 0 1 3001.dat\n3 4 0 0 0 10 0 0 0 0 10\n"
    )
    model = load_model(source, library=library)
    text = mpd_text(model, library)
    assert "CODE 4 " not in text
    again = load_model(export_model(model, tmp_path / "again.mpd", library=library), library)

    def names(m):  # of the parts' colours
        return sorted(m.colours.get(int(c)).name for c in m.colour[m.part_mask()])

    assert names(again) == names(model) == ["Lime", "Red"]
    # ... and says so, in the file and on the command line
    (new,) = renumbered_colours(model, library).values()
    assert f"0 // {new}: the model's own colour 4 (a code taken)" in text
    result = CliRunner().invoke(cli, ["export", str(source), "-o", str(tmp_path / "cli.mpd")])
    assert result.exit_code == 0, result.output
    assert f"cli.mpd writes the model's own colour 4 as {new}" in result.stderr


# -- command line ------------------------------------------------------------------------------
def test_cli_export(tmp_path):
    runner = CliRunner()
    result = runner.invoke(
        cli, ["export", str(BUGGY), "-o", str(tmp_path / "b.glb"), "--units", "mm"]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "b.glb").stat().st_size > 1000
    result = runner.invoke(cli, ["export", str(BUGGY), "-o", str(tmp_path / "b.fbx")])
    assert result.exit_code == 1
    assert "cannot export to .fbx" in result.output


@pytest.mark.parametrize("command", ["export", "turntable", "post"])
def test_a_missing_output_option_is_a_usage_error(command):
    """With click 8.5, `required=True` beside `default=None` no longer said -o was missing:
    `ldscene export 3001` ended in a TypeError traceback."""
    result = CliRunner().invoke(cli, [command, "3001"])
    assert result.exit_code == 2 and "Missing option '-o' / '--output'" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_export_says_it_leaves_out_missing_parts(tmp_path):
    model = tmp_path / "m.ldr"
    model.write_text(
        "0 t\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 nosuch.dat\n"
    )
    result = CliRunner().invoke(cli, ["export", str(model), "-o", str(tmp_path / "out.ldr")])
    assert result.exit_code == 0, result.output
    assert "out.ldr leaves out the missing part nosuch.dat" in result.stderr
    assert "nosuch" not in (tmp_path / "out.ldr").read_text()


def test_mpd_export_keeps_the_title_author_and_licence(library, tmp_path):
    """The export of a CC-licensed model kept neither its author nor its licence line, which
    such a licence asks to keep, and titled it from its file name."""
    text = mpd_text(load_model(BUGGY, library=library), library)
    head = text.splitlines()[:6]
    assert head[1] == "0 Moon Buggy"
    assert "0 Author: Tomas Kralicek [RabbiT_CZ]" in head
    assert any(line.startswith("0 !LICENSE Redistributable under CCAL") for line in head)
    assert "ldscene" not in "\n".join(head)


def test_mpd_export_keeps_the_author_and_licence_of_the_model_s_own_parts(library, tmp_path):
    """An MPD's own (unofficial) part was written out as 'Author: ldscene export', without
    its author and licence, which its CC licence asks to keep."""
    source = write(
        tmp_path,
        "own.mpd",
        "0 FILE main.ldr\n0 Main\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 mypart.dat\n"
        "0 FILE mypart.dat\n0 My Part\n0 Name: mypart.dat\n0 Author: Jane Doe [jdoe]\n"
        "0 !LICENSE Licensed under CC BY 4.0 : see CAreadme.txt\n0 !LDRAW_ORG Unofficial_Part\n"
        "3 16 0 0 0 10 0 0 0 0 10\n",
    )
    text = mpd_text(load_model(source, library=library), library)
    block = text[text.index("0 FILE mypart.dat") :]
    head = block.splitlines()[:6]
    assert "0 Author: Jane Doe [jdoe]" in head, head
    assert "0 !LICENSE Licensed under CC BY 4.0 : see CAreadme.txt" in head
    assert "ldscene" not in "\n".join(head)


def test_mpd_export_keeps_invertnext_before_a_part_a_model_places(library, tmp_path):
    """A model's `0 BFC INVERTNEXT` before a primitive it places (drawn inside out) was
    lost: the round trip turned 24 triangles of box.dat the other way."""
    source = write(
        tmp_path,
        "inv.ldr",
        "0 inv\n0 BFC CERTIFY CCW\n0 BFC INVERTNEXT\n1 4 0 0 0 10 0 0 0 10 0 0 0 10 box.dat\n"
        "1 1 40 0 0 10 0 0 0 10 0 0 0 10 box.dat\n",
    )
    model = load_model(source, library=library)
    text = mpd_text(model, library)
    assert "0 BFC INVERTNEXT\n1 4 0 0 0 10" in text.replace("\r", "")
    assert text.count("INVERTNEXT") == 1
    again = load_model(export_model(model, tmp_path / "again.mpd", library=library), library)
    assert sorted(leaf.inverted for leaf in again.leaves) == [False, True]

    def facing(m: Model) -> set:  # each triangle: where it is and which way it faces
        tris = world_points(m).reshape(-1, 3, 3)
        normal = np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0])
        normal /= np.linalg.norm(normal, axis=1, keepdims=True)
        return set(map(tuple, np.round(np.hstack([tris.mean(axis=1), normal]), 3).tolist()))

    assert facing(again) == facing(model)


def test_mpd_export_keeps_a_block_that_shadows_a_library_part(library, tmp_path):
    """An MPD block named 3001.dat is the model's own part, not the library's: the export
    wrote only a reference, so the re-read model drew LDConfig's brick instead."""
    source = tmp_path / "shadow.mpd"
    source.write_text(
        "0 FILE main.ldr\n1 4 0 -24 0 1 0 0 0 1 0 0 0 1 3001.dat\n0 NOFILE\n"
        "0 FILE 3001.dat\n0 my own 3001\n0 !LDRAW_ORG Unofficial_Part\n"
        "3 16 0 0 0 10 0 0 0 0 10\n"
    )
    model = load_model(source, library=library)
    again = load_model(export_model(model, tmp_path / "again.mpd", library=library), library)
    assert n_triangles(again) == n_triangles(model) == 1
    assert [leaf.description for leaf in again.leaves] == ["my own 3001"]


def test_mpd_export_keeps_glitter_and_speckle_definitions(library, tmp_path):
    source = tmp_path / "gl.ldr"
    source.write_text(
        "0 t\n0 !COLOUR Glit CODE 601 VALUE #FF0000 EDGE #000000 MATERIAL GLITTER VALUE #FFFFFF"
        " FRACTION 0.2 VFRACTION 0.1 SIZE 1\n"
        "0 !COLOUR Sp CODE 603 VALUE #112233 EDGE #000000 MATERIAL SPECKLE VALUE #FFFFFF"
        " FRACTION 0.4 MINSIZE 1 MAXSIZE 3\n"
        "1 601 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n1 603 0 -24 0 1 0 0 0 1 0 0 0 1 3001.dat\n"
    )
    model = load_model(source, library=library)
    again = load_model(export_model(model, tmp_path / "again.ldr", library=library), library)

    def looks(m):
        return sorted((c.name, c.finish, c.flakes) for c in map(m.colours.get, map(int, m.colour)))

    assert looks(again) == looks(model) and {f for _, f, _ in looks(model)} == {
        "glitter",
        "speckle",
    }


def test_a_scene_export_is_titled_with_the_scene_s_title(tmp_path):
    scene = tmp_path / "street.yaml"
    scene.write_text("scene:\n  title: |\n    Snowy\n    street\nplace:\n  b: {part: 3001}\n")
    out = tmp_path / "street.mpd"
    result = CliRunner().invoke(cli, ["export", str(scene), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text().splitlines()[1] == "0 Snowy street"


def test_mpd_export_keeps_tiny_numbers_rotstep_steps_and_a_title_after_editor_lines(
    library, tmp_path
):
    """A part scaled by 1e-9 came back with an all-zero matrix (6 fixed decimals) and was
    lost; MLCad's ROTSTEP did not end a step; a title after an editor's ROTATION line was
    replaced by the file name."""
    source = write(
        tmp_path,
        "tiny.ldr",
        '0 ROTATION CENTER 0 0 0 1 "Custom"\n0 Tiny things\n'
        "1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n0 ROTSTEP 0 45 0 ABS\n"
        "1 2 0 -100 0 1e-9 0 0 0 1e-9 0 0 0 1e-9 3001.dat\n"
        "1 1 0 -24 0 0 0 1 0 1 0 -1 0 0 3001.dat\n",
    )
    model = load_model(source, library=library)
    text = mpd_text(model, library)
    assert "0 Tiny things" in text.splitlines()[:3]
    assert " 1e-09 0 0 0 1e-09 0 0 0 1e-09 3001.dat" in text
    assert "e-1" not in text  # no rounding noise written (a turned part's zeros stay 0)
    again = load_model(export_model(model, tmp_path / "again.mpd", library=library), library)
    assert sorted(again.colour.tolist()) == [1, 2, 4] and not again.warnings
    assert again.step.tolist() == model.step.tolist() and sorted(set(model.step.tolist())) == [0, 1]


def test_mpd_export_of_a_part_or_a_sub_model_named_like_one_reads_back(library, tmp_path):
    """`export 3001 -o a.mpd` wrote a block '3001.dat' placing 3001.dat: a block shadows the
    library part of its name, so the file placed itself (a reference cycle).  No block takes
    the name of a library file the export references."""
    for name in ("3001", "3626bp01"):
        result = CliRunner().invoke(cli, ["export", name, "-o", str(tmp_path / f"{name}.mpd")])
        assert result.exit_code == 0, result.output
        again = load_model(tmp_path / f"{name}.mpd", library)
        assert [again.leaves[i].name for i in again.leaf] == [f"{name}.dat"]
    source = write(
        tmp_path,
        "shadow.mpd",
        "0 FILE main.ldr\n1 16 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n"
        "1 4 0 0 0 1 0 0 0 1 0 0 0 1 3003.dat\n"
        "0 FILE 3001.dat\n1 1 0 0 0 1 0 0 0 1 0 0 0 1 3003.dat\n",
    )  # a sub-model named like a library part, beside that part placed directly
    model = load_model(source, library)
    again = load_model(export_model(model, tmp_path / "again.mpd", library=library), library)
    assert sorted(again.colour.tolist()) == sorted(model.colour.tolist()) == [1, 4]
