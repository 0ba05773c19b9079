"""Exporters: glTF/GLB, OBJ, STL and MPD written from real models and read back."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest
import trimesh
from click.testing import CliRunner

from ldscene.cli import cli
from ldscene.exchange import export_model
from ldscene.exchange.gltf import build
from ldscene.exchange.mesh import LDRAW_TO_Y_UP, LDRAW_TO_Z_UP
from ldscene.exchange.mpd import mpd_text
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
@pytest.mark.parametrize("suffix", [".glb", ".gltf"])
def test_gltf_round_trip_counts_and_bbox(buggy, tmp_path, suffix):
    out = export_model(buggy, tmp_path / f"buggy{suffix}")
    scene = trimesh.load(out)
    assert isinstance(scene, trimesh.Scene)
    assert scene_triangles(scene) == n_triangles(buggy)
    np.testing.assert_allclose(scene.bounds, converted_bbox(buggy, LDRAW_TO_Y_UP), atol=1e-3)
    assert [p.name for p in tmp_path.iterdir()] == [f"buggy{suffix}"]  # no temp files left


def test_gltf_units_mm_scale_by_0_4(buggy, tmp_path):
    scene = trimesh.load(export_model(buggy, tmp_path / "mm.glb", units="mm"))
    np.testing.assert_allclose(scene.bounds, converted_bbox(buggy, LDRAW_TO_Y_UP, 0.4), atol=1e-3)


def test_gltf_glb_container_is_valid(buggy, tmp_path):
    data = export_model(buggy, tmp_path / "b.glb").read_bytes()
    magic, version, length = struct.unpack("<4sII", data[:12])
    assert (magic, version, length) == (b"glTF", 2, len(data))
    json_length, kind = struct.unpack("<I4s", data[12:20])
    assert kind == b"JSON" and json_length % 4 == 0
    doc = json.loads(data[20 : 20 + json_length])
    assert doc["asset"]["version"] == "2.0"
    assert doc["asset"]["extras"]["units"] == "ldu"


def test_gltf_instances_share_vertex_data(library):
    model = hand_model(library, [4, 4, 1, 15], [translate(x * 10.0) for x in range(4)])
    doc, _ = build(model)
    positions = {p["attributes"]["POSITION"] for m in doc["meshes"] for p in m["primitives"]}
    assert len(positions) == 1  # one vertex buffer for the part, whatever its colours
    assert len(doc["meshes"]) == 3  # one mesh record per colour it is placed in
    instance_nodes = [n for n in doc["nodes"] if "mesh" in n]
    assert len(instance_nodes) == 4


def test_gltf_materials_follow_ldraw_finishes(library):
    # 4 Red, 47 Trans_Clear, 383 Chrome_Silver, 256 Rubber_Black
    model = hand_model(library, [4, 47, 383, 256], [translate(x * 10.0) for x in range(4)])
    doc, _ = build(model)
    by_name = {m["name"]: m for m in doc["materials"]}
    red = by_name["Red"]["pbrMetallicRoughness"]
    r, g, b = (round(c * 255) for c in model.colours.get(4).rgb)
    assert red["baseColorFactor"][0] == pytest.approx(((r / 255 + 0.055) / 1.055) ** 2.4)
    assert red["metallicFactor"] == 0.0 and "alphaMode" not in by_name["Red"]
    assert by_name["Trans_Clear"]["alphaMode"] == "BLEND"
    assert by_name["Trans_Clear"]["pbrMetallicRoughness"]["baseColorFactor"][3] < 1.0
    assert by_name["Chrome_Silver"]["pbrMetallicRoughness"]["metallicFactor"] == 1.0
    assert by_name["Rubber_Black"]["pbrMetallicRoughness"]["roughnessFactor"] >= 0.8


def test_gltf_y_up_puts_the_model_top_upwards(library, tmp_path):
    # a cube lifted 100 LDU (LDraw up is -Y) must end up at +100 in glTF
    model = hand_model(library, [4], [translate(0.0, -100.0, 0.0)])
    scene = trimesh.load(export_model(model, tmp_path / "up.glb"))
    assert scene.bounds[0][1] == pytest.approx(99.0)


def test_gltf_sheared_placement_is_baked(library, tmp_path):
    shear = np.eye(4)
    shear[0, 1] = 0.5  # x += 0.5 y: no translation·rotation·scale can express it
    model = hand_model(library, [4, 4], [translate(10.0), translate(-10.0) @ shear])
    doc, _ = build(model)
    instance_nodes = [n for n in doc["nodes"] if "mesh" in n]
    assert sum("matrix" in n for n in instance_nodes) == 1  # the sheared one has none
    scene = trimesh.load(export_model(model, tmp_path / "shear.glb"))
    np.testing.assert_allclose(scene.bounds, converted_bbox(model, LDRAW_TO_Y_UP), atol=1e-4)


# -- OBJ and STL -------------------------------------------------------------------------------
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


def test_stl_counts_and_z_up(buggy, tmp_path):
    out = export_model(buggy, tmp_path / "buggy.stl", units="mm")
    data = out.read_bytes()
    count = struct.unpack("<I", data[80:84])[0]
    assert count == n_triangles(buggy)
    assert len(data) == 84 + 50 * count
    mesh = trimesh.load(out, process=False)
    np.testing.assert_allclose(mesh.bounds, converted_bbox(buggy, LDRAW_TO_Z_UP, 0.4), atol=1e-3)


def test_mirrored_instances_keep_outward_faces(library, tmp_path):
    mirror = np.diag([-1.0, 1.0, 1.0, 1.0])
    model = hand_model(library, [4, 4], [translate(10.0), translate(-10.0) @ mirror])
    mesh = trimesh.load(export_model(model, tmp_path / "m.stl"), process=False)
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
    assert sorted(again.colour.tolist()) == sorted(model.colour.tolist())
    assert again.colours.get(900).name == "My_Green"


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
