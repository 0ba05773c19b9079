"""When to draw studs with LDraw's 8-sided fast-draw primitives (`--studs auto`).

Studs are most of a model's triangles and edge lines, and a 16-sided stud a few pixels wide
looks the same as an 8-sided one: the 8-gon strays from the circle by 7.6 % of its radius,
under half a pixel on a stud drawn under 12 px wide.  `auto` therefore picks fast-draw studs when
every view is auto-framed and even the nearest stud comes out narrower than that.

The choice is made from the instances' origins, before any part geometry is built (that is what
it saves).  Parts reach past their origins, so the real framing is a little wider than the one
estimated here and the estimate errs towards full studs.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ldscene.errors import LdsceneError
from ldscene.render.options import RenderOptions, View

STUD_CHOICES = ("auto", "full", "fast")

#: A stud's diameter in LDraw units.
STUD_DIAMETER = 12.0
#: Fast-draw studs below this on-screen diameter, in output pixels.
FAST_BELOW_PX = 12.0


def stud_pixels(origins: np.ndarray, options: RenderOptions, views: list[View]) -> float:
    """The widest a stud can come out (output pixels) in any of `views`, framed as the render
    frames them, at the depth of the nearest corner of the origins' bounding box."""
    from ldscene.render.camera import frame_points

    pts = np.asarray(origins, np.float64).reshape(-1, 3)
    if len(pts) < 2 or any(view.eye is not None for view in views):
        return math.inf  # one part fills the frame; fixed cameras may come close
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    corners = np.array(
        [[x, -y, -z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])]
    )
    widest = 0.0
    for view in views:
        fov = view.fov if view.fov is not None else options.fov
        ortho = view.ortho if view.ortho is not None else options.ortho
        framing = frame_points(
            corners, view, options.width / options.height, fov, ortho, options.margin
        )
        if ortho:
            per_unit = options.height / (2 * framing.ymag)
        else:
            depth = (corners - framing.position) @ framing.forward
            nearest = float(depth.min())
            if nearest <= 0:
                return math.inf
            per_unit = options.height / (2 * nearest * math.tan(framing.yfov / 2))
        widest = max(widest, STUD_DIAMETER * per_unit)
    return widest


def fast_studs_rule(
    choice: str, options: RenderOptions | None, views: list[View] | None
) -> bool | Callable[[np.ndarray], bool]:
    """`load_model`'s `fast_studs` argument for a `--studs` choice: a bool, or for "auto" a
    rule that decides from the instances' origins.  Without options and views (a scene, whose
    file sets them and whose cameras may come close) "auto" means full studs."""
    if choice not in STUD_CHOICES:
        raise LdsceneError(f"unknown stud choice {choice!r}", hint="use auto, full or fast")
    if choice != "auto":
        return choice == "fast"
    if options is None or views is None:
        return False
    return lambda origins: stud_pixels(origins, options, views) < FAST_BELOW_PX
