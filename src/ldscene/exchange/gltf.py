"""glTF 2.0 export (.glb binary or .gltf with the buffer embedded as a data URI).

Instancing: every part is stored once (one POSITION/NORMAL accessor per leaf, one index
accessor per colour group) and placed by one node per instance.  Meshes differ only by
material, so a part used in five colours costs five tiny mesh records, not five copies of its
vertices.  The node tree mirrors the sub-model structure (group nodes carry no transform; each
instance node carries its full LDraw placement).  A root node converts LDraw's -Y-up frame to
glTF's +Y-up frame (front of the model towards +Z) and scales to the requested units.

EXT_mesh_gpu_instancing is not used: it needs translation/rotation/scale per instance, which
cannot express LDraw's mirrored or sheared placements, and not every viewer supports it.
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
    normal_matrices,
    resolve_colours,
)
from ldscene.ldraw.model import Model

_FLOAT, _UINT16, _UINT32 = 5126, 5123, 5125
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

    def _view(self, data: bytes, target: int) -> int:
        pad = (-self.size) % 4
        if pad:
            self.chunks.append(b"\0" * pad)
            self.size += pad
        view = {"buffer": 0, "byteOffset": self.size, "byteLength": len(data), "target": target}
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


def _material_json(m: Material) -> dict[str, Any]:
    base = [*map(float, srgb_to_linear(m.rgb)), m.alpha]
    out: dict[str, Any] = {
        "name": m.name,
        "pbrMetallicRoughness": {
            "baseColorFactor": base,
            "metallicFactor": m.metallic,
            "roughnessFactor": m.roughness,
        },
    }
    if m.transparent:
        out["alphaMode"] = "BLEND"
    if m.double_sided:
        out["doubleSided"] = True
    if any(m.emissive):
        out["emissiveFactor"] = [float(c) for c in srgb_to_linear(m.emissive)]
    return out


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


def build(model: Model, units: str = "ldu") -> tuple[dict[str, Any], bytes]:
    """The glTF JSON document and its binary buffer for `model`."""
    check_nonempty(model)
    b = _Builder()
    materials: dict[tuple[int, bool], int] = {}
    meshes: dict[tuple[int, tuple[int, ...]], int] = {}

    def material(code: int, double_sided: bool) -> int:
        key = (int(code), bool(double_sided))
        if key not in materials:
            b.doc["materials"].append(_material_json(material_for(model.colours, *key)))
            materials[key] = len(b.doc["materials"]) - 1
        return materials[key]

    def mesh(
        name: str, groups: np.ndarray, resolved: tuple[int, ...], pos: int, nrm: int, idx: list[int]
    ) -> int:
        """A mesh record: one primitive per (colour, two-sided) group of a leaf."""
        primitives = [
            {
                "attributes": {"POSITION": pos, "NORMAL": nrm},
                "indices": idx[g],
                "mode": _TRIANGLES,
                "material": material(resolved[g], bool(groups[g, 1])),
            }
            for g in range(len(groups))
        ]
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
        buf = leaf_buffers(leaf.geometry)
        position = b.vec3(buf.positions)
        normal = b.vec3(buf.normals)
        groups = np.unique(np.stack([buf.colours, buf.two_sided.astype(np.int64)], 1), axis=0)
        masks = [(buf.colours == c) & (buf.two_sided == bool(t)) for c, t in groups]
        group_indices = [b.indices(buf.indices[m], len(buf.positions)) for m in masks]

        for i in instances:
            resolved = tuple(int(c) for c in resolve_colours(groups[:, 0], int(model.colour[i])))
            transform = model.transform[i]
            if is_trs(transform):
                key = (leaf_index, resolved)
                if key not in meshes:
                    meshes[key] = mesh(leaf.name, groups, resolved, position, normal, group_indices)
                node = b.node(
                    name=f"{leaf.name} #{int(i)}", mesh=meshes[key], matrix=_matrix(transform)
                )
            else:
                # Sheared placements (flexed or skewed parts) cannot be a glTF node matrix:
                # this instance gets its own vertices, already placed.
                linear = transform[:3, :3]
                placed = buf.positions @ linear.T + transform[:3, 3]
                normals = buf.normals @ normal_matrices(transform[None])[0].T
                normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)
                flip = np.linalg.det(linear) < 0
                idx = [
                    b.indices(buf.indices[m][:, ::-1] if flip else buf.indices[m], len(placed))
                    for m in masks
                ]
                baked = mesh(leaf.name, groups, resolved, b.vec3(placed), b.vec3(normals), idx)
                node = b.node(name=f"{leaf.name} #{int(i)}", mesh=baked)
            chain = tuple(model.paths[int(model.path[i])]) if len(model.paths) else ()
            children[chain_node(chain)].append(node)

    for node, kids in children.items():
        if kids:
            b.doc["nodes"][node]["children"] = kids
    b.doc["scenes"] = [{"name": model.name or "model", "nodes": [root]}]
    b.doc["asset"]["extras"] = {
        "units": units,
        "unit_scale_per_ldu": UNITS[units],
        "source_axes": "LDraw -Y up, converted to +Y up",
    }
    b.doc = {k: v for k, v in b.doc.items() if v != []}
    data = b.binary
    b.doc["buffers"] = [{"byteLength": len(data)}]
    return b.doc, data


def write_glb(model: Model, out: Path, units: str = "ldu") -> None:
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

    write_atomic(out, write)


def write_gltf(model: Model, out: Path, units: str = "ldu") -> None:
    """Text glTF, buffer embedded as base64 so the export stays one file."""
    doc, data = build(model, units)
    doc["buffers"][0]["uri"] = (
        "data:application/octet-stream;base64," + base64.b64encode(data).decode()
    )
    text = json.dumps(doc, indent=1).encode()
    write_atomic(out, lambda handle: handle.write(text))
