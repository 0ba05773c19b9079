"""Facts of a flattened model: counts, bounding box, colours — what `ldscene info` reports."""

from __future__ import annotations

import numpy as np

from ldscene.ldraw.geometry import EDGE_COLOUR, MAIN_COLOUR
from ldscene.ldraw.model import Model


def distinct_corners(triangles: np.ndarray) -> np.ndarray:
    """Triangle corners without duplicates (points closer than 1/1024 LDU count as one)."""
    points = triangles.reshape(-1, 3).astype(np.float64)
    grid = np.round(points * 1024).astype(np.int64) + (1 << 20)
    keys = (grid[:, 0] << 42) | (grid[:, 1] << 21) | grid[:, 2]
    return points[np.unique(keys, return_index=True)[1]]


def _axis_aligned(rotation: np.ndarray) -> np.ndarray:
    """(k,) True where a 3×3 matrix has one non-zero per row and column (a signed permutation,
    possibly scaled): then a box's corners bound the transformed points exactly."""
    nonzero = np.abs(rotation) > 1e-9
    return (nonzero.sum(axis=1) == 1).all(axis=1) & (nonzero.sum(axis=2) == 1).all(axis=1)


def bounding_box(model: Model, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(min, max) over every triangle corner of the placed instances, in LDraw units.

    Exact: axis-aligned placements transform the leaf's box corners, any other placement its
    distinct corners.
    """
    low = np.full(3, np.inf)
    high = np.full(3, -np.inf)
    leaf = model.leaf if mask is None else model.leaf[mask]
    transform = model.transform if mask is None else model.transform[mask]
    order = np.argsort(leaf, kind="stable")
    leaf, transform = leaf[order], transform[order]
    starts = np.flatnonzero(np.r_[True, leaf[1:] != leaf[:-1]]) if len(leaf) else []
    ends = list(starts[1:]) + [len(leaf)]
    for start, end in zip(starts, ends):
        triangles = model.leaves[leaf[start]].geometry.triangles
        if not len(triangles):
            continue
        placed_transforms = transform[start:end]
        aligned = _axis_aligned(placed_transforms[:, :3, :3])
        corners = triangles.reshape(-1, 3)
        box_low, box_high = corners.min(axis=0), corners.max(axis=0)
        box = np.array(
            [[(box_low, box_high)[(i >> a) & 1][a] for a in range(3)] for i in range(8)], np.float64
        )
        for points, chosen in ((box, aligned), (None, ~aligned)):
            if not chosen.any():
                continue
            if points is None:
                points = distinct_corners(triangles)
            sub = placed_transforms[chosen]
            # One matrix product gives every instance's rotated points: (p, 3) @ (3, 3k).
            rotated = points @ sub[:, :3, :3].transpose(2, 1, 0).reshape(3, -1)
            shift = sub[:, :3, 3]
            low = np.minimum(low, (rotated.min(axis=0).reshape(3, -1).T + shift).min(axis=0))
            high = np.maximum(high, (rotated.max(axis=0).reshape(3, -1).T + shift).max(axis=0))
    return low, high


def model_stats(model: Model, mask: np.ndarray | None = None) -> dict:
    """The numbers `ldscene info --json` prints; `mask` restricts to some instances."""
    leaf = model.leaf if mask is None else model.leaf[mask]
    colour = model.colour if mask is None else model.colour[mask]
    is_part = np.array([x.is_part for x in model.leaves], bool)
    counts = np.array(
        [
            (x.geometry.n_triangles, len(x.geometry.edges), len(x.geometry.cond_lines))
            for x in model.leaves
        ],
        np.int64,
    ).reshape(-1, 3)
    part_instances = is_part[leaf] if len(leaf) else np.zeros(0, bool)
    low, high = bounding_box(model, mask)
    has_box = bool(np.isfinite(low).all() and np.isfinite(high).all())
    colours_used = sorted(
        {int(c) for c in colour[part_instances]}
        | _loose_colours(model, leaf, colour, part_instances)
    )
    return {
        "name": model.name,
        "file": None if model.source is None else str(model.source),  # a scene's: its .yaml
        "parts": int(part_instances.sum()),
        "unique_parts": len({model.leaves[i].listed[0] for i in np.unique(leaf[part_instances])}),
        "triangles": int(counts[leaf, 0].sum()) if len(leaf) else 0,
        "lines": int(counts[leaf, 1].sum()) if len(leaf) else 0,
        "cond_lines": int(counts[leaf, 2].sum()) if len(leaf) else 0,
        "bbox": {
            "min": [round(float(v), 4) for v in low] if has_box else None,
            "max": [round(float(v), 4) for v in high] if has_box else None,
        },
        "missing": sorted({m.name for m in model.missing}),
        # each reference to a missing file: who asked for it, where (one entry per line)
        "missing_refs": [
            {"name": m.name, "path": m.path, "line": m.line} for m in dict.fromkeys(model.missing)
        ],
        "colours": _colour_names(model, colours_used),
    }


def _loose_colours(
    model: Model, leaf: np.ndarray, colour: np.ndarray, part_instances: np.ndarray
) -> set[int]:
    """The face colours a model's own loose geometry shows (not a part's: a part is listed in
    the colour it is placed in): its triangles' codes, 16 as the instance's colour."""
    found: set[int] = set()
    pairs = {(int(a), int(b)) for a, b in zip(leaf[~part_instances], colour[~part_instances])}
    for index, instance_colour in pairs:
        for code in np.unique(model.leaves[index].geometry.triangle_colours).tolist():
            if code == MAIN_COLOUR:
                found.add(instance_colour)
            elif code >= 0 and code != EDGE_COLOUR:
                found.add(int(code))
    return found


def _colour_names(model: Model, codes: list[int]) -> dict[str, str]:
    """Code (as the files write it) → name; a code the model redefines for some of its lines
    names both colours ("Red / My_Pink")."""
    names: dict[str, list[str]] = {}
    for code in codes:
        found = names.setdefault(str(model.colours.written_code(code)), [])
        if model.colours.name(code) not in found:
            found.append(model.colours.name(code))
    return {code: " / ".join(found) for code, found in names.items()}


def parts_around(model: Model, point, margin: float = 1.0) -> np.ndarray:
    """Indices of the part instances whose box (in the part's own frame, shrunk by `margin`
    LDU) holds `point`: a camera there sees little but the inside of that part."""
    parts = np.flatnonzero(model.part_mask())
    if not len(parts):
        return parts
    boxes = np.zeros((len(model.leaves), 2, 3))
    solid = np.zeros(len(model.leaves), bool)
    for i in np.unique(model.leaf[parts]):
        triangles = model.leaves[i].geometry.triangles.reshape(-1, 3)
        if len(triangles):
            boxes[i] = triangles.min(axis=0) + margin, triangles.max(axis=0) - margin
            solid[i] = True
    parts = parts[solid[model.leaf[parts]]]
    parts = parts[np.abs(np.linalg.det(model.transform[parts, :3, :3])) > 1e-12]  # not flat
    transform = model.transform[parts]
    offset = (np.asarray(point, np.float64) - transform[:, :3, 3])[:, :, None]
    local = (np.linalg.inv(transform[:, :3, :3]) @ offset)[:, :, 0]
    low, high = boxes[model.leaf[parts], 0], boxes[model.leaf[parts], 1]
    return parts[((local > low) & (local < high)).all(axis=1)]
