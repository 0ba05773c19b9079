"""Binary STL export: every placed triangle in world space, no colours.

STL has no units and no up axis; the convention of slicers and CAD tools is Z up, so the model
is turned LDraw -Y-up → +Z-up (front towards -Y) and scaled to the requested units:
millimetres unless asked otherwise, as slicers read STL.  Transparent and two-sided geometry
is written like the rest.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO

import numpy as np

from ldscene import __version__
from ldscene.atomic import write_atomic
from ldscene.exchange.mesh import check_nonempty, frame, instances_by_leaf
from ldscene.ldraw.model import Model

_RECORD = np.dtype([("normal", "<f4", (3,)), ("corners", "<f4", (3, 3)), ("attr", "<u2")])


def world_triangles(model: Model, to_frame: np.ndarray) -> Iterator[np.ndarray]:
    """(N, 3, 3) float64 triangles per leaf, every instance placed in the target frame,
    front faces counter-clockwise (mirrored placements have their corners swapped)."""
    for leaf_index, instances in instances_by_leaf(model).items():
        tris = model.leaves[leaf_index].geometry.triangles.astype(np.float64)
        world = to_frame[None] @ model.transform[instances]
        placed = np.einsum("nij,tkj->ntki", world[:, :3, :3], tris) + world[:, None, None, :3, 3]
        flips = np.linalg.det(world[:, :3, :3]) < 0
        placed[flips] = placed[flips][:, :, ::-1]
        yield placed.reshape(-1, 3, 3)


def _records(tris: np.ndarray) -> bytes:
    normals = np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0])
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    normals = np.divide(normals, length, out=np.zeros_like(normals), where=length > 1e-12)
    records = np.zeros(len(tris), _RECORD)
    records["normal"] = normals
    records["corners"] = tris
    return records.tobytes()


def write_stl(model: Model, out: Path, units: str = "mm") -> None:
    check_nonempty(model)
    count = sum(
        model.leaves[leaf].geometry.n_triangles * len(instances)
        for leaf, instances in instances_by_leaf(model).items()
    )
    header = f"ldscene {__version__} STL, units {units}, Z up: {model.name}".encode()[:80]

    def write(handle: IO[bytes]) -> None:
        handle.write(header.ljust(80, b" "))
        handle.write(np.uint32(count).tobytes())
        for tris in world_triangles(model, frame(units, "z")):
            handle.write(_records(tris))

    write_atomic(out, write, "the export")
