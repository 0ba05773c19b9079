"""Edge and conditional lines that fade out when they come out tiny on screen.

A stud's outline circle is 17 LDU across (its bounding box's diagonal: see
`LeafMesh.edge_outlines`); a brick's outline is ~90 LDU.  On a whole large model the studs'
outlines turn into grey mush while the bricks' still read, so shaders/mesh.vert fades each
line by the size on screen of the connected outline it belongs to.  The size is the
outline's, not the segment's, so LDraw's 8-sided fast-draw studs fade exactly like 16-sided
ones.  Conditional lines (the silhouettes of curved surfaces) are not connected to each
other; the shader takes their own length, times CONDITIONAL_SCALE (a stud's side silhouette
is 4 LDU long).

A line that fades out entirely costs its vertex work all the same, and on software GL that
is one thread's work for millions of line ends.  So each line primitive keeps its segments
sorted largest first (`FadeOrder`), and a view draws only the prefix that some instance can
still show (`drawn_segments`): the same lines as drawing them all, a fraction of the work.
The fade's numbers live here and reach the shader as #defines (`SHADER_DEFINES`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Output pixels: an outline this small on screen is not drawn at all ...
LINE_FADE_FROM = 8.0
#: ... and one this big at full strength.
LINE_FADE_TO = 24.0
#: A conditional line fades like an outline this many times its own length.
CONDITIONAL_SCALE = 4.0
#: The fade's numbers for shaders/mesh.vert.
SHADER_DEFINES = {
    "LINE_FADE_FROM": LINE_FADE_FROM,
    "LINE_FADE_TO": LINE_FADE_TO,
    "CONDITIONAL_SCALE": CONDITIONAL_SCALE,
}
#: The shader's unit diagonal: an edge outline's scale is the instance matrix's stretch of it.
_DIAGONAL = np.full(3, 1 / np.sqrt(3))
#: Relative slack for the shader's float32 arithmetic: borderline lines are kept.
_SLACK = 1e-3


@dataclass(frozen=True)
class FadeOrder:
    """What `drawn_segments` knows of a line primitive whose segments come largest first (as
    `LeafMesh` keeps them).

    `keys` (descending) is each segment's outline size (edge lines) or own length (conditional
    lines); `reach` how far from the part's origin a conditional line's point can lie (their
    fade is taken at the line's middle, not at the origin)."""

    keys: np.ndarray
    conditional: bool
    reach: float = 0.0

    @classmethod
    def of_edges(cls, outlines: np.ndarray, indices: np.ndarray) -> FadeOrder:
        """Edge lines (E, 2), largest outline first, indexing vertices on outlines of sizes
        (V,) (`LeafMesh.edge_outlines`)."""
        keys = outlines[indices[:, 0]] if len(indices) else np.zeros(0, np.float32)
        return cls(keys, conditional=False)

    @classmethod
    def of_conditional(cls, cond: np.ndarray, lengths: np.ndarray) -> FadeOrder:
        """Conditional lines (C, 4, 3), longest first (ends, then control points), and their
        lengths (`LeafMesh.cond_lengths`)."""
        ends = np.asarray(cond[:, :2], np.float64)
        reach = float(np.sqrt((ends**2).sum(axis=2)).max()) if len(cond) else 0.0
        return cls(lengths, conditional=True, reach=reach)


def drawn_segments(
    fade: FadeOrder, poses: np.ndarray, node_pose: np.ndarray, PV: np.ndarray, line_pixels: float
) -> int:
    """How many of the sorted segments (a prefix) any instance at `poses` (N, 4, 4), placed
    by `node_pose`, draws at all under projection-times-view `PV`; shaders/mesh.vert drops
    the rest.  Conservative: a segment it might draw is counted.  (Called for every line
    primitive of every view, on the thread that feeds the GL: a few small array operations.)"""
    if not len(fade.keys) or not len(poses):
        return 0
    clip_w = (PV[3] @ node_pose) @ poses  # (N, 4): each instance's clip w, linear in a point
    linear = node_pose[:3, :3] @ poses[:, :3, :3]
    with np.errstate(divide="ignore", invalid="ignore"):
        if fade.conditional:
            # Smallest w at any point of the part, and the largest stretch of a length.
            w = clip_w[:, 3] - np.sqrt((clip_w[:, :3] ** 2).sum(axis=1)) * fade.reach
            if (w <= 1e-6).any():
                return len(fade.keys)
            stretch = np.sqrt((linear**2).sum(axis=(1, 2)))  # >= the largest singular value
            smallest = w / stretch * (LINE_FADE_FROM / (CONDITIONAL_SCALE * line_pixels))
        else:
            scale = np.sqrt(((linear @ _DIAGONAL) ** 2).sum(axis=1))
            smallest = np.maximum(clip_w[:, 3], 1e-6) / scale * (LINE_FADE_FROM / line_pixels)
        threshold = float(smallest.min())
    # NaN (a degenerate matrix) draws everything; a zero scale (infinity) draws nothing.
    if threshold != threshold:
        threshold = 0.0
    return int(np.searchsorted(-fade.keys, -threshold * (1 - _SLACK), side="left"))
