"""How long the edge lines at each vertex are, so the shader can fade lines that come out tiny.

A stud's outline is 16 segments of 2.4 LDU; a brick's joints are 8 LDU or longer.  On a
whole large model the studs' outlines turn into grey mush while the joints still read, so
shaders/mesh.vert fades each line by its length on screen (in pixels): an edge line vertex
carries the longest line that meets it, a conditional line its own length.
"""

from __future__ import annotations

import numpy as np


def line_extents(vertices: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """(V, 2) float32 texture coordinates: x is the longest indexed line (E, 2) that meets
    each vertex (V, 3), in model units; y is unused."""
    extents = np.zeros((len(vertices), 2), np.float32)
    if len(indices):
        ends = vertices[indices]  # (E, 2, 3)
        lengths = np.linalg.norm(ends[:, 1] - ends[:, 0], axis=1).astype(np.float32)
        np.maximum.at(extents[:, 0], indices[:, 0], lengths)
        np.maximum.at(extents[:, 0], indices[:, 1], lengths)
    return extents
