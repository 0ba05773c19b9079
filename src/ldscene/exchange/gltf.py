"""glTF 2.0 export (.glb binary or .gltf with the buffer embedded as a data URI).

Instancing: every part is stored once (one POSITION/NORMAL accessor per leaf, one index
accessor per colour group) and placed by one node per instance.  Meshes differ only by
material, so a part used in five colours costs five tiny mesh records, not five copies of its
vertices.  The node tree mirrors the sub-model structure (group nodes carry no transform; each
instance node carries its full LDraw placement).  A root node converts LDraw's -Y-up frame to
glTF's +Y-up frame (front of the model towards +Z) and scales to the requested units: metres by
default, glTF's own unit (1 LDU = 0.4 mm).

- EXT_mesh_gpu_instancing, where it cuts the file by at least `INSTANCING_SAVING`: a mesh
  placed at least `INSTANCING_MIN` times under one sub-model node by plain rotations and scales
  becomes one node whose placements are TRANSLATION, ROTATION and SCALE accessors (40 bytes each
  instead of a ~150-byte node).  Mirrored and sheared placements keep their own nodes (the
  extension's TRS cannot express them).  The extension must then be listed as required (a
  viewer without it would draw one copy), so it is used only where it pays: the official models
  and the bundled scenes are 0-5 % smaller with it (part geometry dominates), and keep plain
  nodes; a field of thousands of small parts is several times smaller.
- Glass (transparent colours): KHR_materials_transmission with KHR_materials_ior (1.58,
  polycarbonate, as the path engine), opaque coverage: the light passes, the colour tints it;
  milky, opal and glow-in-the-dark colours pass less (`Appearance.clarity`, the path engine's).
- Luminous colours emit their colour (the raster engine's rule: 0.35 + 2 x LUMINANCE, at most 1).
- Printed parts (TEXMAP): textured primitives with TEXCOORD_0, the image composited over the
  part's colour embedded as PNG (one per image and colour).
"""

from __future__ import annotations

import base64
import json
import struct
from pathlib import Path
from typing import IO, Any

import numpy as np

from ldscene import __version__
from ldscene.appearance import srgb_to_linear
from ldscene.atomic import write_atomic
from ldscene.exchange.materials import Material, material_for
from ldscene.exchange.mesh import (
    UNITS,
    check_nonempty,
    frame,
    instances_by_leaf,
    leaf_buffers,
)
from ldscene.ldraw.colours import resolve_codes
from ldscene.ldraw.geometry import turn_normals
from ldscene.ldraw.model import Model
from ldscene.render.textured import composite, leaf_pieces

_FLOAT, _UINT16, _UINT32 = 5126, 5123, 5125
_CLAMP_TO_EDGE = 33071
#: Placements of one mesh under one node from which EXT_mesh_gpu_instancing makes the file
#: smaller (below it, the accessors' JSON outweighs the nodes it saves).
INSTANCING_MIN = 4
#: The share of the file that EXT_mesh_gpu_instancing must save to be used (see the docstring).
INSTANCING_SAVING = 0.10
#: Index of refraction of transparent bricks (polycarbonate), as in render/path/materials.py.
GLASS_IOR = 1.58
_ARRAY_BUFFER, _ELEMENT_ARRAY_BUFFER = 34962, 34963
_TRIANGLES = 4


class _Builder:
    """Accumulates the binary buffer and the JSON lists of a glTF document."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.size = 0
        self.doc: dict[str, Any] = {
            "asset": {"version": "2.0", "generator": f"ldscene {__version__}"},
            "buffers": [],
            "bufferViews": [],
            "accessors": [],
            "materials": [],
            "meshes": [],
            "nodes": [],
            "scenes": [],
            "scene": 0,
        }

    def _view(self, data: bytes, target: int | None) -> int:
        pad = (-self.size) % 4
        if pad:
            self.chunks.append(b"\0" * pad)
            self.size += pad
        view = {"buffer": 0, "byteOffset": self.size, "byteLength": len(data)}
        if target is not None:
            view["target"] = target
        self.chunks.append(data)
        self.size += len(data)
        self.doc["bufferViews"].append(view)
        return len(self.doc["bufferViews"]) - 1

    def vec3(self, values: np.ndarray) -> int:
        data = np.ascontiguousarray(values, np.float32)
        view = self._view(data.tobytes(), _ARRAY_BUFFER)
        accessor = {
            "bufferView": view,
            "componentType": _FLOAT,
            "count": len(data),
            "type": "VEC3",
            "min": data.min(axis=0).tolist(),
            "max": data.max(axis=0).tolist(),
        }
        self.doc["accessors"].append(accessor)
        return len(self.doc["accessors"]) - 1

    def floats(self, values: np.ndarray, kind: str, target: int | None = _ARRAY_BUFFER) -> int:
        """A float accessor of VEC2/VEC3/VEC4 rows (instancing attributes: no target)."""
        data = np.ascontiguousarray(values, np.float32)
        view = self._view(data.tobytes(), target)
        self.doc["accessors"].append(
            {"bufferView": view, "componentType": _FLOAT, "count": len(data), "type": kind}
        )
        return len(self.doc["accessors"]) - 1

    def image(self, png: bytes) -> int:
        """An embedded PNG and a texture sampling it (clamped at its borders)."""
        doc = self.doc
        doc.setdefault("images", []).append(
            {"bufferView": self._view(png, None), "mimeType": "image/png"}
        )
        doc.setdefault("samplers", [{"wrapS": _CLAMP_TO_EDGE, "wrapT": _CLAMP_TO_EDGE}])
        doc.setdefault("textures", []).append({"sampler": 0, "source": len(doc["images"]) - 1})
        return len(doc["textures"]) - 1

    def indices(self, values: np.ndarray, n_vertices: int) -> int:
        kind, dtype = (_UINT16, np.uint16) if n_vertices < 65535 else (_UINT32, np.uint32)
        data = np.ascontiguousarray(values.ravel(), dtype)
        view = self._view(data.tobytes(), _ELEMENT_ARRAY_BUFFER)
        self.doc["accessors"].append(
            {"bufferView": view, "componentType": kind, "count": len(data), "type": "SCALAR"}
        )
        return len(self.doc["accessors"]) - 1

    def node(self, **fields: Any) -> int:
        self.doc["nodes"].append({k: v for k, v in fields.items() if v is not None})
        return len(self.doc["nodes"]) - 1

    @property
    def binary(self) -> bytes:
        data = b"".join(self.chunks)
        return data + b"\0" * ((-len(data)) % 4)


def _material_json(m: Material, texture: int | None = None) -> dict[str, Any]:
    """A material; with `texture`, its base colour is that texture (already over the colour)."""
    base = [*map(float, srgb_to_linear(m.rgb)), 1.0]
    pbr: dict[str, Any] = {
        "baseColorFactor": base,
        "metallicFactor": m.metallic,
        "roughnessFactor": m.roughness,
    }
    out: dict[str, Any] = {"name": m.name, "pbrMetallicRoughness": pbr}
    if texture is not None:
        pbr["baseColorFactor"] = [1.0, 1.0, 1.0, 1.0]
        pbr["baseColorTexture"] = {"index": texture}
        out["name"] += "_printed"
    if m.transparent:  # glass: transmitted light, tinted by the base colour; milky less
        out["extensions"] = {
            "KHR_materials_transmission": {"transmissionFactor": m.clarity},
            "KHR_materials_ior": {"ior": GLASS_IOR},
        }
    if m.double_sided:
        out["doubleSided"] = True
    if any(m.emissive):
        out["emissiveFactor"] = [float(c) for c in srgb_to_linear(m.emissive)]
    return out


def _png(rgba: np.ndarray) -> bytes:
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.fromarray(rgba[..., :3] if rgba[..., 3].min() == 255 else rgba).save(out, "PNG")
    return out.getvalue()


def _trs(transforms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Translations (N, 3), unit quaternions (N, 4, x y z w) and scales (N, 3) of placements
    that `is_trs` accepts and do not mirror."""
    linear = transforms[:, :3, :3]
    scale = np.linalg.norm(linear, axis=1)  # column lengths
    r = linear / scale[:, None, :]
    # Shepperd's method, vectorised: pick the largest of w, x, y, z to divide by.
    t = np.stack(
        [
            1 + r[:, 0, 0] + r[:, 1, 1] + r[:, 2, 2],
            1 + r[:, 0, 0] - r[:, 1, 1] - r[:, 2, 2],
            1 - r[:, 0, 0] + r[:, 1, 1] - r[:, 2, 2],
            1 - r[:, 0, 0] - r[:, 1, 1] + r[:, 2, 2],
        ],
        1,
    )
    pick = t.argmax(axis=1)
    s = 2 * np.sqrt(np.maximum(t[np.arange(len(t)), pick], 1e-12))
    q = np.empty((len(t), 4))  # w, x, y, z
    a, b, c = (r[:, 2, 1] - r[:, 1, 2]), (r[:, 0, 2] - r[:, 2, 0]), (r[:, 1, 0] - r[:, 0, 1])
    d, e, f = (r[:, 0, 1] + r[:, 1, 0]), (r[:, 0, 2] + r[:, 2, 0]), (r[:, 1, 2] + r[:, 2, 1])
    rows = {
        0: (s / 4, a / s, b / s, c / s),
        1: (a / s, s / 4, d / s, e / s),
        2: (b / s, d / s, s / 4, f / s),
        3: (c / s, e / s, f / s, s / 4),
    }
    for k, values in rows.items():
        sel = pick == k
        q[sel] = np.stack([v[sel] for v in values], 1)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    q *= np.where(q[:, :1] < 0, -1.0, 1.0)  # w >= 0: one of the two equal quaternions
    return transforms[:, :3, 3], q[:, [1, 2, 3, 0]], scale


def is_trs(transform: np.ndarray, tolerance: float = 5e-3) -> bool:
    """Whether a 4×4 matrix decomposes into translation·rotation·scale (glTF's rule): an
    affine matrix whose linear part has orthogonal, non-zero columns (negative scale allowed).
    The tolerance accepts the rounded matrices LDraw files are full of (cosines to 3-4 digits);
    real shears (flexed parts) and flattened (zero-scale) placements fail it."""
    if not np.allclose(transform[3], (0.0, 0.0, 0.0, 1.0)):
        return False
    linear = transform[:3, :3]
    gram = linear.T @ linear
    scale = np.sqrt(np.maximum(np.diag(gram), 1e-300))
    off = gram / np.outer(scale, scale) - np.eye(3)
    return bool(np.all(np.abs(off) < tolerance)) and bool(np.all(scale > 1e-9))


def _matrix(transform: np.ndarray) -> list[float] | None:
    """glTF stores matrices column-major; identity is left out."""
    if np.allclose(transform, np.eye(4)):
        return None
    return [float(v) for v in transform.T.ravel()]


class _Leaf:
    """One leaf's vertex data in the buffer: plain triangles by (colour, two-sided) group, and
    textured pieces; `placed` makes a copy moved by a sheared placement."""

    def __init__(self, b: _Builder, geometry, transform: np.ndarray | None = None) -> None:
        buf = leaf_buffers(geometry.untextured())
        self.groups = np.unique(
            np.stack([buf.colours, buf.two_sided.astype(np.int64)], 1), axis=0
        ).reshape(-1, 2)
        masks = [(buf.colours == c) & (buf.two_sided == bool(t)) for c, t in self.groups]
        self.pieces = leaf_pieces(geometry, back_faces=False) if geometry.textured else []
        self.images = geometry.images() if self.pieces else []
        self.names = [str(n) for n in geometry.texture_names]
        flip = transform is not None and np.linalg.det(transform[:3, :3]) < 0

        def place(points: np.ndarray, normals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            if transform is None:
                return points, normals
            turned = turn_normals(normals, transform[None, :3, :3])[0]
            return points @ transform[:3, :3].T + transform[:3, 3], turned

        def faces(indices: np.ndarray) -> np.ndarray:
            return indices[:, ::-1] if flip else indices

        self.plain: list[tuple[int, int, int]] = []  # (position, normal, indices) accessors
        if len(self.groups):
            points, normals = place(buf.positions, buf.normals)
            pos, nrm = b.vec3(points), b.vec3(normals)
            self.plain = [(pos, nrm, b.indices(faces(buf.indices[m]), len(points))) for m in masks]
        self.textured: list[tuple[int, int, int, int]] = []  # + texture coordinates
        for piece in self.pieces:
            points, normals = place(piece.positions, piece.normals)
            self.textured.append(
                (
                    b.vec3(points),
                    b.vec3(normals),
                    b.floats(piece.uvs, "VEC2"),
                    b.indices(faces(piece.faces.astype(np.int64)), len(points)),
                )
            )

    def resolved(self, colour: int) -> tuple[int, ...]:
        """The concrete colour of each primitive, placed in `colour`."""
        codes = np.concatenate([self.groups[:, 0], [p.code for p in self.pieces]]).astype(np.int64)
        return tuple(int(c) for c in resolve_codes(codes, colour))


def build(
    model: Model, units: str = "m", instancing: bool | None = None
) -> tuple[dict[str, Any], bytes]:
    """The glTF JSON document and its binary buffer for `model`; `instancing` None: with
    EXT_mesh_gpu_instancing only where it saves `INSTANCING_SAVING` of the file."""
    doc, data, saving = _build(model, units, bool(instancing))
    if instancing is None and saving > INSTANCING_SAVING * (len(json.dumps(doc)) + len(data)):
        doc, data, _ = _build(model, units, True)
    return doc, data


def _build(model: Model, units: str, instancing: bool) -> tuple[dict[str, Any], bytes, int]:
    """The document, its buffer, and the bytes EXT_mesh_gpu_instancing would save (an
    estimate from the plain nodes it would replace) when not `instancing`."""
    check_nonempty(model)
    saving = 0
    b = _Builder()
    materials: dict[tuple[int, bool, str], int] = {}
    textures: dict[tuple[str, int], int] = {}
    meshes: dict[tuple[int, tuple[int, ...]], int] = {}

    def material(code: int, double_sided: bool, image: tuple[str, bytes] | None = None) -> int:
        key = (int(code), bool(double_sided), image[0] if image else "")
        if key not in materials:
            tex = None
            if image is not None:
                if (image[0], code) not in textures:
                    colour = model.colours.get(int(code))
                    rgba = composite(image[1], colour.rgb, colour.alpha)
                    textures[image[0], code] = b.image(_png(rgba))
                tex = textures[image[0], code]
            found = material_for(model.colours, int(code), bool(double_sided))
            b.doc["materials"].append(_material_json(found, tex))
            materials[key] = len(b.doc["materials"]) - 1
        return materials[key]

    def mesh(name: str, data: _Leaf, resolved: tuple[int, ...]) -> int:
        """A mesh record: one primitive per colour group and per textured piece of a leaf."""
        primitives = [
            {
                "attributes": {"POSITION": pos, "NORMAL": nrm},
                "indices": idx,
                "mode": _TRIANGLES,
                "material": material(resolved[g], bool(data.groups[g, 1])),
            }
            for g, (pos, nrm, idx) in enumerate(data.plain)
        ]
        for k, (pos, nrm, uv, idx) in enumerate(data.textured):
            piece = data.pieces[k]
            image = (data.names[piece.image], data.images[piece.image])
            primitives.append(
                {
                    "attributes": {"POSITION": pos, "NORMAL": nrm, "TEXCOORD_0": uv},
                    "indices": idx,
                    "mode": _TRIANGLES,
                    "material": material(resolved[len(data.plain) + k], piece.two_sided, image),
                }
            )
        b.doc["meshes"].append({"name": name, "primitives": primitives})
        return len(b.doc["meshes"]) - 1

    # Group nodes mirroring the sub-model chains; instance nodes attach to their chain's node.
    root = b.node(name=model.name or "model", matrix=[float(v) for v in frame(units).T.ravel()])
    children: dict[int, list[int]] = {root: []}
    chain_nodes: dict[tuple[str, ...], int] = {(): root}

    def chain_node(chain: tuple[str, ...]) -> int:
        if chain not in chain_nodes:
            parent = chain_node(chain[:-1])
            node = b.node(name=chain[-1])
            children[parent].append(node)
            children[node] = []
            chain_nodes[chain] = node
        return chain_nodes[chain]

    for leaf_index, instances in instances_by_leaf(model).items():
        leaf = model.leaves[leaf_index]
        # The leaf's shared vertices, written at its first placement that can share them (a
        # leaf only ever placed sheared has none: they were dead weight in the file).
        data: _Leaf | None = None
        shared: dict[tuple[int, tuple[str, ...]], list[int]] = {}  # (mesh, chain) → instances
        for i in instances:
            transform = model.transform[i]
            chain = tuple(model.paths[int(model.path[i])]) if len(model.paths) else ()
            if is_trs(transform):
                data = data or _Leaf(b, leaf.geometry)
                resolved = data.resolved(int(model.colour[i]))
                key = (leaf_index, resolved)
                if key not in meshes:
                    meshes[key] = mesh(leaf.name, data, resolved)
                if np.linalg.det(transform[:3, :3]) > 0:
                    shared.setdefault((meshes[key], chain), []).append(int(i))
                    continue
                node = b.node(
                    name=f"{leaf.name} #{int(i)}", mesh=meshes[key], matrix=_matrix(transform)
                )
            else:
                # Sheared placements (flexed or skewed parts) cannot be a glTF node matrix:
                # this instance gets its own vertices, already placed.
                own = _Leaf(b, leaf.geometry, transform)
                baked = mesh(leaf.name, own, own.resolved(int(model.colour[i])))
                node = b.node(name=f"{leaf.name} #{int(i)}", mesh=baked)
            children[chain_node(chain)].append(node)
        for (mesh_index, chain), placed in shared.items():
            parent = chain_node(chain)
            if not instancing or len(placed) < INSTANCING_MIN:
                for i in placed:
                    matrix = _matrix(model.transform[i])
                    name = f"{leaf.name} #{i}"
                    children[parent].append(b.node(name=name, mesh=mesh_index, matrix=matrix))
                    if len(placed) >= INSTANCING_MIN:  # 40 buffer bytes instead of the node
                        saving += len(json.dumps(b.doc["nodes"][-1])) - 40
                if len(placed) >= INSTANCING_MIN:
                    saving -= 600  # its node, accessors and buffer views
                continue
            t, q, scale = _trs(model.transform[placed])
            attributes = {
                "TRANSLATION": b.floats(t, "VEC3", None),
                "ROTATION": b.floats(q, "VEC4", None),
            }
            if not np.allclose(scale, 1.0, atol=1e-4):
                attributes["SCALE"] = b.floats(scale, "VEC3", None)
            extension = {"EXT_mesh_gpu_instancing": {"attributes": attributes}}
            name = f"{leaf.name} x{len(placed)}"
            children[parent].append(b.node(name=name, mesh=mesh_index, extensions=extension))

    for node, kids in children.items():
        if kids:
            b.doc["nodes"][node]["children"] = kids
    b.doc["scenes"] = [{"name": model.name or "model", "nodes": [root]}]
    b.doc["asset"]["extras"] = {
        "units": units,
        "unit_scale_per_ldu": UNITS[units],
        "source_axes": "LDraw -Y up, converted to +Y up",
    }
    used = sorted(
        {ext for m in b.doc["materials"] for ext in m.get("extensions", {})}
        | {ext for n in b.doc["nodes"] for ext in n.get("extensions", {})}
    )
    if used:
        b.doc["extensionsUsed"] = used
    if "EXT_mesh_gpu_instancing" in used:
        b.doc["extensionsRequired"] = ["EXT_mesh_gpu_instancing"]
    b.doc = {k: v for k, v in b.doc.items() if v != []}
    data = b.binary
    b.doc["buffers"] = [{"byteLength": len(data)}]
    return b.doc, data, saving


def write_glb(model: Model, out: Path, units: str = "m") -> None:
    doc, data = build(model, units)
    text = json.dumps(doc, separators=(",", ":")).encode()
    text += b" " * ((-len(text)) % 4)
    total = 12 + 8 + len(text) + 8 + len(data)

    def write(handle: IO[bytes]) -> None:
        handle.write(struct.pack("<4sII", b"glTF", 2, total))
        handle.write(struct.pack("<I4s", len(text), b"JSON"))
        handle.write(text)
        handle.write(struct.pack("<I4s", len(data), b"BIN\0"))
        handle.write(data)

    write_atomic(out, write, "the export")


def write_gltf(model: Model, out: Path, units: str = "m") -> None:
    """Text glTF, buffer embedded as base64 so the export stays one file."""
    doc, data = build(model, units)
    doc["buffers"][0]["uri"] = (
        "data:application/octet-stream;base64," + base64.b64encode(data).decode()
    )
    text = json.dumps(doc, indent=1).encode()
    write_atomic(out, lambda handle: handle.write(text), "the export")
