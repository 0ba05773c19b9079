"""How `--studs auto` draws studs: LDraw's 8-sided fast-draw studs when they come out small,
its logo studs when they come out big enough for the logo to read, full studs in between.

Studs are most of a model's triangles and edge lines, and a 16-sided stud a few pixels wide
looks the same as an 8-sided one: the 8-gon strays from the circle by 7.6 % of its radius,
under half a pixel on a stud drawn under 12 px wide.  `auto` therefore picks fast-draw studs when
every view is auto-framed and even the nearest stud comes out narrower than that.

Logo studs are LDraw's `stud-logo4.dat` family: 3D letters with edge and conditional lines,
about 1,200 triangles and 1,500 conditional lines more per stud (a 2x4 brick goes from 700
triangles to 10,400).  Looked at in renders, a logo under about 30 px wide is a dark smudge on
the stud's top, and from about 40 px on it reads as "LEGO", so `auto` picks logo studs when the
nearest stud comes out at least 40 px wide.

The choice is made from the instances' origins, before any part geometry is built (that is what
it saves); for a few instances, from the corners of their parts' boxes (see
`ldraw.flatten.Flattener`).  Parts reach past their origins, so the real framing is a little
wider than the one estimated here: the estimate errs towards full studs against fast ones, and
towards logo studs against full ones.
"""

from __future__ import annotations

import math

import numpy as np

from ldscene.errors import LdsceneError
from ldscene.ldraw.studs import StudRule, StudStyle
from ldscene.render.options import RenderOptions, View

STUD_CHOICES = ("auto", "full", "fast", "logo")

#: A stud's diameter in LDraw units.
STUD_DIAMETER = 12.0
#: Fast-draw studs below this on-screen diameter, in output pixels.
FAST_BELOW_PX = 12.0
#: Logo studs from this on-screen diameter on, in output pixels.
LOGO_FROM_PX = 40.0


def stud_pixels(
    points: np.ndarray, options: RenderOptions, views: list[View], stretch: float = 1.0
) -> float:
    """The widest a stud can come out (output pixels) in any of `views`, framed as the render
    frames `points` (LDraw units: the instances' origins, or the corners of their boxes), at
    the depth of the nearest corner of their bounding box, on a part enlarged `stretch` times
    (`ldraw.studs.stud_stretch`).  Infinite for a single point or a fixed camera."""
    from ldscene.render.camera import frame_points

    pts = np.asarray(points, np.float64).reshape(-1, 3)
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
        widest = max(widest, STUD_DIAMETER * stretch * per_unit)
    return widest


def auto_style(pixels: float) -> StudStyle:
    """`auto`'s style for studs that come out at most `pixels` wide."""
    if pixels < FAST_BELOW_PX:
        return StudStyle.FAST
    return StudStyle.LOGO if pixels >= LOGO_FROM_PX else StudStyle.FULL


def stud_rule(
    choice: str, options: RenderOptions | None, views: list[View] | None
) -> StudStyle | StudRule:
    """`load_model`'s (and `load_input`'s) `studs` argument for a `--studs` choice: a style, or
    for "auto" a rule that decides from the points the model spans (`stud_pixels`).  Without
    options and views (a scene, whose file sets them and whose cameras may come close) "auto"
    means full studs."""
    if choice not in STUD_CHOICES:
        raise LdsceneError(f"unknown stud choice {choice!r}", hint="use " + ", ".join(STUD_CHOICES))
    if choice != "auto":
        return StudStyle(choice)
    if options is None or views is None:
        return StudStyle.FULL
    return lambda points, stretch: auto_style(stud_pixels(points, options, views, stretch))
