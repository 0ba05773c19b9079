"""How big the outline each edge-line vertex belongs to is, so the shader can fade outlines that
come out tiny.

A stud's outline circle is 17 LDU across (its bounding box's diagonal); a brick's outline is
~90 LDU.  On a whole large model the studs' outlines turn into grey mush while the bricks'
still read, so shaders/mesh.vert fades each line by the size on screen of the connected
outline it belongs to.  The size is the outline's, not the segment's, so LDraw's 8-sided
fast-draw studs fade exactly like 16-sided ones.  Conditional lines (the silhouettes of
curved surfaces) are not connected to each other; the shader takes their own length, times
CONDITIONAL_SCALE (a stud's side silhouette is 4 LDU long).
"""

from __future__ import annotations

import numpy as np

from ldscene.ldraw.normals import connected_components


def outline_sizes(vertices: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """(V, 2) float32 texture coordinates: x is the bounding-box diagonal, in model units, of
    the connected outline of indexed lines (E, 2) that each vertex (V, 3) belongs to; y is
    unused."""
    sizes = np.zeros((len(vertices), 2), np.float32)
    if not len(indices):
        return sizes
    label = connected_components(len(vertices), indices[:, 0], indices[:, 1])
    n = int(label.max()) + 1
    lo = np.full((n, 3), np.inf)
    hi = np.full((n, 3), -np.inf)
    np.minimum.at(lo, label, vertices)
    np.maximum.at(hi, label, vertices)
    sizes[:, 0] = np.linalg.norm(hi - lo, axis=1)[label]
    return sizes
