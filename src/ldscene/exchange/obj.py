"""Wavefront OBJ export with a companion .mtl file (one object per placed part).

OBJ has no instancing, so every placement is written out in world space.  Axes: +Y up, the
model's front towards +Z (what Blender's and most tools' OBJ importers expect).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import numpy as np

from ldscene import __version__
from ldscene.atomic import atomic_path, check_target, write_atomic
from ldscene.exchange.materials import Material, material_for
from ldscene.exchange.mesh import (
    check_nonempty,
    frame,
    instances_by_leaf,
    leaf_buffers,
)
from ldscene.ldraw.colours import resolve_codes
from ldscene.ldraw.geometry import turn_normals
from ldscene.ldraw.model import Model


def _rows(line: str, values: np.ndarray) -> str:
    """Format each row of `values` with `line` (one % operation for all rows: fast)."""
    if not len(values):
        return ""
    return (line * len(values)) % tuple(values.ravel().tolist())


def _mtl(materials: dict[tuple[int, bool], Material]) -> str:
    out = [f"# ldscene {__version__}: LDraw colours as materials\n"]
    for m in materials.values():
        r, g, b = m.rgb
        out.append(
            f"\nnewmtl {m.name}\nKa 0 0 0\nKd {r:.4f} {g:.4f} {b:.4f}\n"
            f"Ks 0.2 0.2 0.2\nNs {max(1.0, (1.0 - m.roughness) * 500):.0f}\n"
            f"d {m.alpha:.3f}\nPr {m.roughness:.2f}\nPm {m.metallic:.2f}\n"
        )
        if any(m.emissive):
            out.append("Ke {:.4f} {:.4f} {:.4f}\n".format(*m.emissive))
        out.append("illum 2\n" if m.alpha >= 1.0 else "illum 4\n")
    return "".join(out)


def write_obj(model: Model, out: Path, units: str = "ldu") -> None:
    """Write `out` (.obj) and its .mtl next to it: `out`'s name with suffix .mtl, blanks made
    underscores (OBJ's `mtllib` separates file names by blanks)."""
    check_nonempty(model)
    out = Path(out)
    mtl_path = out.with_name(re.sub(r"\s", "_", out.stem) + ".mtl")
    materials: dict[tuple[int, bool], Material] = {}

    def write(handle: IO[bytes]) -> None:
        # Streamed leaf by leaf: a large model's OBJ runs to hundreds of megabytes.
        header = f"# ldscene {__version__}: {model.name}\n# units: {units}, +Y up\n"
        handle.write((header + f"mtllib {mtl_path.name}\n").encode())
        for chunk in _obj_chunks(model, frame(units, "y"), materials):
            handle.write(chunk.encode())

    # Both files or neither: the .obj is renamed into place only once its .mtl is written.
    check_target(mtl_path, "the material file")
    with atomic_path(out, "the export") as tmp:
        with open(tmp, "wb") as handle:
            write(handle)
        mtl = _mtl(materials).encode()
        write_atomic(mtl_path, lambda handle: handle.write(mtl), "the material file")


def _obj_chunks(
    model: Model, to_frame: np.ndarray, materials: dict[tuple[int, bool], Material]
) -> Iterator[str]:
    """OBJ text per leaf: its placed vertices, then one object per placement."""
    base = 1  # OBJ indices are 1-based and global
    for leaf_index, instances in instances_by_leaf(model).items():
        leaf = model.leaves[leaf_index]
        buf = leaf_buffers(leaf.geometry)
        n_vertices = len(buf.positions)
        world = to_frame[None] @ model.transform[instances]  # (I, 4, 4)
        positions = (
            np.einsum("nij,vj->nvi", world[:, :3, :3], buf.positions) + world[:, None, :3, 3]
        )
        normals = turn_normals(buf.normals, world[:, :3, :3])
        text = [
            # 7 significant digits: float32 precision in LDU and in metres alike
            _rows("v %.7g %.7g %.7g\n", positions.reshape(-1, 3)),
            _rows("vn %.6f %.6f %.6f\n", normals.reshape(-1, 3)),
        ]
        flips = np.linalg.det(world[:, :3, :3]) < 0
        groups = np.unique(np.stack([buf.colours, buf.two_sided.astype(np.int64)], 1), axis=0)
        masks = [(buf.colours == c) & (buf.two_sided == bool(t)) for c, t in groups]
        for n, i in enumerate(instances):
            text.append(f"o {leaf.name.replace(' ', '_')}#{int(i)}\n")
            resolved = resolve_codes(groups[:, 0], int(model.colour[i]))
            offset = base + n * n_vertices
            for g, mask in enumerate(masks):
                key = (int(resolved[g]), bool(groups[g, 1]))
                if key not in materials:
                    materials[key] = material_for(model.colours, *key)
                faces = buf.indices[mask] + offset
                if flips[n]:  # mirrored placement: keep the front face counter-clockwise
                    faces = faces[:, ::-1]
                text.append(f"usemtl {materials[key].name}\n")
                text.append(_rows("f %d//%d %d//%d %d//%d\n", np.repeat(faces, 2, axis=1)))
        base += len(instances) * n_vertices
        yield "".join(text)
