"""LDraw's texture-mapping extension (`0 !TEXMAP`): which lines are textured, how, and with what.

The rules, as the LDraw spec states them and LeoCAD implements them:

- `0 !TEXMAP START <method> <numbers> <image.png> [GLOSSMAP <g.png>]` opens a textured region:
  its type 3/4 lines, and everything the type-1 lines in it draw, take the image; `0 !: <line>`
  lines count only here (tools without textures ignore them).  `0 !TEXMAP FALLBACK` starts what
  tools without textures draw instead (dropped when the image is found), `0 !TEXMAP END` closes
  the region.  `0 !TEXMAP NEXT <method> ...` textures the next type 1, 3 or 4 line only.
- Without a usable image (not found, not a PNG it can read, too large), or with a START or
  NEXT it cannot read, the region is drawn as a tool without textures draws it: its plain
  lines and its fallback, not its `0 !:` lines; a warning says why.
- Regions nest, across files too: the innermost projection wins, so a sub-file that maps its
  own texture keeps it inside a parent's region.
- The projection points are in the frame of the file that states them, so geometry of a
  sub-file is projected after it is placed into that file.
- PLANAR `p1 p2 p3`: u runs from p1 (0) to p2 (1), v from p1 (0) to p3 (1), each the projection
  on that edge over its squared length; (0, 0) is the image's top-left corner.
- CYLINDRICAL `p1 p2 p3 a`: axis from p2 (v = 0) to p1 (v = 1); p3 - p2 points at the image's
  centre column (u = 0.5); the image spans `a` degrees around the axis.
- SPHERICAL `p1 p2 p3 a b`: centre p1, p2 - p1 towards the image centre, p3 fixes the plane of
  the equator; the image spans `a` degrees of longitude and `b` of latitude.

In a model file, the model's own loose lines are printed as a part's are, and a part it
places in a region becomes a leaf of its own, printed where the model places it
(`model_views`, `Expander.printed`); a sub-model placed in a region is drawn plain, with a
warning.

Images come from the MPD file's `0 !DATA` blocks, the model's `textures/` folder, then the
library's `parts/textures/` and `p/textures/` (and their `unofficial/` twins).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ldscene.ldraw.library import Library, find_in_folder, normalise
from ldscene.ldraw.parser import LDrawFile

_METHODS = {"PLANAR": 9, "CYLINDRICAL": 10, "SPHERICAL": 11}
_LIBRARY_FOLDERS = (
    "parts/textures/",
    "p/textures/",
    "unofficial/parts/textures/",
    "unofficial/p/textures/",
)


@dataclass(frozen=True)
class Projection:
    """One `!TEXMAP START|NEXT` line: how points of its file map to image coordinates."""

    method: str  # PLANAR, CYLINDRICAL or SPHERICAL
    points: tuple[tuple[float, float, float], ...]  # p1, p2, p3 in the stating file's frame
    angles: tuple[float, ...]  # CYLINDRICAL: (a,); SPHERICAL: (a, b)
    image: str  # as written

    def uv(self, corners: np.ndarray) -> np.ndarray:
        """Texture coordinates (N, 3, 2) float32 of triangle corners (N, 3, 3)."""
        p = np.asarray(corners, np.float64).reshape(-1, 3)
        p1, p2, p3 = (np.asarray(q, np.float64) for q in self.points)
        if self.method == "PLANAR":
            du, dv = p2 - p1, p3 - p1
            u = (p - p1) @ du / max(du @ du, 1e-12)
            v = (p - p1) @ dv / max(dv @ dv, 1e-12)
        else:
            if self.method == "CYLINDRICAL":
                origin, up = p2, p1 - p2
                height = max(float(np.linalg.norm(up)), 1e-12)
                axis = up / height
                front = _unit(p3 - p2)
                side = _unit(np.cross(front, up))
            else:
                origin, front = p1, _unit(p2 - p1)
                axis = _unit(np.cross(front, p3 - p1))
                side = _unit(np.cross(axis, front))
            rel = p - origin
            along = rel @ axis
            flat = rel - along[:, None] * axis
            u = 0.5 + 0.5 * np.arctan2(flat @ side, flat @ front) / np.pi * (360.0 / self.angles[0])
            if self.method == "CYLINDRICAL":
                u = np.clip(u, 0.0, 1.0)
                v = along / height
            else:
                radius = np.maximum(np.linalg.norm(rel, axis=1), 1e-12)
                lat = np.arcsin(np.clip(along / radius, -1.0, 1.0))
                v = 0.5 - lat / np.pi * (180.0 / self.angles[1])
        uv = np.stack([u, v], -1).reshape(-1, 3, 2)
        if self.method != "PLANAR":
            # A triangle across the seam (u jumps by more than half the image) is unwrapped.
            span = uv[:, :, 0].max(axis=1) - uv[:, :, 0].min(axis=1)
            seam = (span > 0.5)[:, None] & (uv[:, :, 0] < 0.5)
            uv[:, :, 0] += seam
        return uv.astype(np.float32)


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 1e-12 else v


def parse_projection(body: str) -> Projection | str:
    """A `!TEXMAP START|NEXT ...` body → its projection; otherwise a message saying what is
    wrong with it."""
    words = body.split()
    method = words[2].upper() if len(words) > 2 else ""
    count = _METHODS.get(method)
    if count is None:
        return f"TEXMAP needs PLANAR, CYLINDRICAL or SPHERICAL, found '{method or 'nothing'}'"
    if len(words) < 3 + count + 1:
        return f"TEXMAP {method} needs {count} numbers and an image file name"
    try:
        numbers = [float(w) for w in words[3 : 3 + count]]
    except ValueError:
        return f"TEXMAP {method} has a value that is not a number"
    if not all(np.isfinite(numbers)):
        return f"TEXMAP {method} has a value that is not a finite number"
    if any(abs(angle) < 1e-9 for angle in numbers[9:]):
        return f"TEXMAP {method} needs angles other than 0"
    p1, p2, p3 = (np.array(numbers[i : i + 3]) for i in (0, 3, 6))
    # The axes a projection measures along: PLANAR p1-p2 and p1-p3; CYLINDRICAL the axis p2-p1
    # and p3-p2; SPHERICAL p2-p1 and the plane of p1, p2, p3.
    if method == "PLANAR":
        axes = [p2 - p1, p3 - p1]
    elif method == "CYLINDRICAL":
        axes = [p1 - p2, p3 - p2]
    else:
        axes = [p2 - p1, np.cross(p2 - p1, p3 - p1)]
    if any(float(np.abs(axis).max()) < 1e-9 for axis in axes):
        return f"TEXMAP {method} needs points that span it (some of them coincide or line up)"
    rest = body.split(None, 3 + count)[-1].strip()
    image = (
        rest[1 : rest.index('"', 1)]
        if rest.startswith('"') and '"' in rest[1:]
        else (rest.split()[0])
    )
    points = tuple(tuple(numbers[i : i + 3]) for i in (0, 3, 6))
    return Projection(method, points, tuple(numbers[9:]), image)  # type: ignore[arg-type]


@dataclass
class LineStates:
    """What TEXMAP makes of a file's drawing lines: drawn or not, and with which projection."""

    keep: dict[int, bool]
    projection: dict[int, int]  # line → index into `projections` (textured lines only)
    projections: list[Projection]
    warnings: list[tuple[int, str]]


def drawing_lines(parsed: LDrawFile) -> dict[int, bool]:
    """Each drawing line of a file (its number) and whether it can take a texture: types 1,
    3 and 4 can, and consume a `NEXT`; types 2 and 5 cannot."""
    lines = dict.fromkeys(parsed.edge_lines.tolist(), False)
    lines.update(dict.fromkeys(parsed.cond_line_numbers.tolist(), False))
    lines.update(dict.fromkeys(parsed.triangle_lines.tolist(), True))
    lines.update(dict.fromkeys(parsed.refs.lines if parsed.refs else [], True))
    return lines


def line_states(
    texmaps: list[tuple[int, str]],
    lines: dict[int, bool],
    image_problem,
) -> LineStates:
    """Decide each drawing line of a file with TEXMAP meta lines.

    `lines` maps each drawing line's number to whether it can take a texture (types 1, 3, 4:
    these consume a `NEXT`); `image_problem(name)` says why an image cannot be used, or None.
    """
    bang = {number for number, body in texmaps if body == "!:"}
    events = sorted((number, body) for number, body in texmaps if body != "!:")
    projections: list[Projection] = []
    problems: list[tuple[int, str]] = []
    # [projection index, in fallback, next only, its line]; index -1: a START or NEXT that
    # could not be read or whose image is not found, whose lines are drawn as a program that
    # knows no TEXMAP draws them (plain, its `0 !:` lines not at all, its fallback too)
    stack: list[list] = []
    keep: dict[int, bool] = {}
    projection: dict[int, int] = {}

    def meta(line: int, body: str) -> None:
        words = body.split()
        verb = words[1].upper() if len(words) > 1 else ""
        if verb in ("START", "NEXT"):
            parsed = parse_projection(body)
            if isinstance(parsed, str):
                problems.append((line, f"{parsed}: its lines are drawn without it"))
                parsed_index = -1
            elif problem := image_problem(parsed.image):
                problems.append((line, f"{problem}: drawn without it"))
                parsed_index = -1
            else:
                parsed_index = len(projections)
                projections.append(parsed)
            stack.append([parsed_index, False, verb == "NEXT", line])
        elif verb in ("FALLBACK", "END"):
            regions = [entry for entry in stack if not entry[2]]
            if not regions:
                problems.append((line, f"TEXMAP {verb} without a START before it is ignored"))
            elif verb == "FALLBACK":
                regions[-1][1] = True
            else:
                del stack[stack.index(regions[-1]) :]
        else:
            problems.append((line, f"unknown TEXMAP command '{verb or body}'"))

    at = 0
    for number in sorted(lines):
        while at < len(events) and events[at][0] < number:
            meta(*events[at])
            at += 1
        if not stack:
            keep[number] = number not in bang
            continue
        index, fallback, next_only, _ = stack[-1]
        if next_only and lines[number]:
            stack.pop()
        if index < 0:  # drawn as if there were no TEXMAP
            keep[number] = number not in bang
        elif next_only:
            keep[number] = True
            projection[number] = index
        else:
            keep[number] = not fallback
            if not fallback:
                projection[number] = index
    for event in events[at:]:  # after the last drawing line
        meta(*event)
    for _, _, next_only, line in stack:  # (a NEXT may be left for a reference in a view)
        if not next_only:
            message = "TEXMAP START has no END: its region runs to the end of the file"
            problems.append((line, message))
    return LineStates(keep, projection, projections, problems)


class FoundImage(NamedTuple):
    """A TEXMAP image as `find_image` found it."""

    key: str  # where it came from, as a unique text ("data:...", "fs:...", "lib:...")
    png: bytes
    library_path: str | None = None  # its library index key
    disk_path: Path | None = None  # the file it was read from, outside the library


def find_image(
    name: str,
    library: Library | None,
    folder: Path | None,
    data: dict[str, bytes] | None,
) -> FoundImage | None:
    """A TEXMAP image, or None if not found.

    Search order: the MPD file's `!DATA` blocks, the model folder's `textures/` (and the folder
    itself), then the library's texture folders.
    """
    key = normalise(name)
    if data and key in data:
        return FoundImage(f"data:{key}", data[key])
    if folder is not None:
        for sub in ("textures", ""):
            found = find_in_folder(folder / sub if sub else folder, key)
            if found is not None:
                try:
                    return FoundImage(f"fs:{found}", found.read_bytes(), None, found)
                except OSError:
                    return None
    if library is not None:
        for prefix in _LIBRARY_FOLDERS:
            rel = prefix + key
            if rel in library.index:
                return FoundImage(f"lib:{rel}", library.read(rel), rel)
    return None


#: The largest texture image used, in pixels (a print needs far fewer).
MAX_IMAGE_PIXELS = 4096 * 4096


def image_problem(name: str, found: FoundImage | None) -> str | None:
    """Why the TEXMAP image `name`, as `find_image` found it, cannot be used (for a warning),
    or None if it can."""
    if found is None:
        return f"texture image '{name}' not found"
    try:
        decode_image(found.png)
    except ValueError as error:
        return f"texture image '{name}' {error}"
    return None


@lru_cache(maxsize=64)
def decode_image(png: bytes) -> np.ndarray:
    """(H, W, 4) uint8 RGBA pixels of a texture image; ValueError says what is wrong."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(BytesIO(png)) as image:
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise ValueError(
                        f"is {width}x{height} pixels, over the {MAX_IMAGE_PIXELS:,} used "
                        "(scale it down)"
                    )
                return np.asarray(image.convert("RGBA"), np.uint8)
    except ValueError:
        raise
    except Exception as error:  # noqa: BLE001 - any fault of untrusted image data
        raise ValueError(
            f"cannot be read ({type(error).__name__}: save it again as a PNG)"
        ) from error


@dataclass
class ModelViews:
    """How a model file with TEXMAP lines is drawn (`model_views`)."""

    placed: LDrawFile  # what the file draws: the loose lines and references TEXMAP keeps
    children: list  # their resolved files, to match
    own: LDrawFile  # its loose lines, with the TEXMAP lines that apply to them
    printed: set[int]  # lines of the references a found image prints
    warnings: list[tuple[int, str]] = field(default_factory=list)  # (line, what is wrong)


def model_views(parsed: LDrawFile, children: list, image_problem) -> ModelViews:
    """A model file's lines split for the flattener: the references TEXMAP keeps (the
    textured region's where its image is found, else the fallback's) are placed as
    instances, those a found image prints listed in `printed` (the flattener gives each a
    leaf of its own, `Expander.printed`); its loose lines keep their TEXMAP lines, so the
    expander prints them as it does a part's.  `image_problem(name)` says why an image
    cannot be used, or None."""
    if not parsed.texmaps:
        return ModelViews(parsed, children, parsed, set())
    refs = parsed.refs
    ref_lines = list(refs.lines) if refs is not None else []
    lines = drawing_lines(parsed)
    states = line_states(parsed.texmaps, lines, image_problem)

    def kept(numbers) -> np.ndarray:
        return np.array([states.keep.get(n, True) for n in list(numbers)], bool)

    tri, edge = kept(parsed.triangle_lines), kept(parsed.edge_lines)
    cond = kept(parsed.cond_line_numbers)
    index = np.flatnonzero(kept(ref_lines))
    # The loose lines TEXMAP keeps are what the expander draws of `own`: here they say
    # whether the file draws any of its own.
    placed = replace(
        parsed,
        triangles=parsed.triangles[tri],
        triangle_colours=parsed.triangle_colours[tri],
        triangle_clip=parsed.triangle_clip[tri],
        triangle_lines=parsed.triangle_lines[tri],
        edges=parsed.edges[edge],
        edge_colours=parsed.edge_colours[edge],
        edge_lines=parsed.edge_lines[edge],
        cond_lines=parsed.cond_lines[cond],
        cond_colours=parsed.cond_colours[cond],
        cond_line_numbers=parsed.cond_line_numbers[cond],
        refs=None if refs is None else refs.take(index),
        texmaps=[],
    )
    printed = {n for n in ref_lines if n in states.projection}
    # A NEXT that takes a reference is the reference's: left out of the loose lines' view, so
    # that it does not take the next loose line instead.
    consuming = sorted(n for n, takes in lines.items() if takes)
    reference_lines = set(ref_lines)
    taken_by_refs = set()
    for number, body in parsed.texmaps:
        words = body.split()
        if len(words) > 1 and words[1].upper() == "NEXT":
            after = np.searchsorted(consuming, number, side="right")
            if after < len(consuming) and consuming[after] in reference_lines:
                taken_by_refs.add(number)
    own = replace(
        parsed,
        refs=None,
        texmaps=[(n, body) for n, body in parsed.texmaps if n not in taken_by_refs],
    )
    return ModelViews(placed, [children[i] for i in index], own, printed, states.warnings)
