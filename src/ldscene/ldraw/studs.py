"""How studs are drawn: LDraw's own primitives, its 8-sided fast-draw ones, or its logo studs.

Parts draw their studs by referencing stud primitives (`p/stud.dat`, `p/stud2.dat`, ...), so
a style is a substitution made while a part is expanded (`expand.Expander`):

- `FULL`: the files as referenced (16-sided studs, flat tops).
- `FAST`: `p/8/<name>` where the library has it: 8 sides, as LDView's low-quality studs.
- `LOGO`: `p/<stem>-logo4.dat` (the 3D LEGO logo with rounded top, as LDView's "use logo
  studs" and LeoCAD draw it), else the next best logo variant the library has, else the file
  itself.  Today's library has logo variants of `stud.dat` and `stud2.dat`.

`load_model`'s `studs=` takes a style, or a rule that picks one from the instances' origins
(see `as_rule`); render/studs.py makes those rules for `--studs auto`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

import numpy as np


class StudStyle(enum.Enum):
    """How studs are drawn; the value is the `--studs` word."""

    FULL = "full"
    FAST = "fast"
    LOGO = "logo"

    @property
    def label(self) -> str:
        """A word for reports (`--timings`): full, fast-draw or logo."""
        return "fast-draw" if self is StudStyle.FAST else self.value


#: Logo variants of a stud primitive, best first: `stud.dat` → `stud-logo4.dat`, ...
#: (4: 3D, rounded top; 3: 3D, sharp top; 5: 3D, flattened; 2 and 1: flat outlines).
LOGO_SUFFIXES = ("-logo4", "-logo3", "-logo5", "-logo2", "-logo")

#: A rule picking a style from the (P, 3) instance origins and the largest factor by which an
#: instance's matrix widens its part's studs (`stud_stretch`).
StudRule = Callable[[np.ndarray, float], StudStyle]
#: What `load_model(studs=...)` takes: a style, its `--studs` word, or a rule.
Studs = StudStyle | str | StudRule


def is_stud_primitive(rel: str) -> bool:
    """True for a library-relative path (lower case) of a top-level stud primitive."""
    return rel.startswith("p/stud")


def is_tube(title: str) -> bool:
    """Whether a primitive with this title is an underside stud tube ("Stud Tube Open",
    "Stud Tube Solid", "Stud Duplo Tube", their fast-draw versions, ...): geometry inside a
    brick's hollow, which casts no shadow anyone sees."""
    words = title.lower()
    return words.startswith("stud") and "tube" in words and "top" not in words


def casts_no_shadow(title: str, style: StudStyle) -> bool:
    """Whether the raster engine's shadow map leaves out a primitive with this title: an
    underside stud tube always (`is_tube`), and under `FAST` every other stud primitive
    ("Stud", "Stud Open", ...) too.  `FAST` means studs under 12 px on screen, where a
    stud's shadow is a few pixels of soft grey beside it (measured on the Millennium Falcon
    and King's Castle: 0.1-0.2 % of pixels change by more than 16 levels, none visibly),
    for 0.1 s less of the Falcon's render."""
    words = title.lower()
    return is_tube(title) or (style is StudStyle.FAST and words.startswith("stud"))


#: Under `FAST`, circular primitives placed no wider than a Technic pin hole or a brick's
#: underside tube (radius 8 LDU about their axis, in the part's frame) are drawn from their
#: 8-sided versions in `p/8/` too.  `FAST` is chosen when studs (radius 6) come out under
#: 12 px wide, so a LDU is under a pixel and an 8-gon of radius 8 strays under 0.61 px.
COARSE_RADIUS = 8.0


def is_coarse_candidate(rel: str) -> bool:
    """True for a library-relative path (lower case) of a top-level primitive other than a
    stud, which may have an 8-sided version in `p/8/` (circles, cylinders, discs, rings)."""
    return rel.startswith("p/") and "/" not in rel[2:] and not is_stud_primitive(rel)


def coarse_name(rel: str) -> str:
    """The reference name of the 8-sided version of the primitive at `rel` ("p/4-4cyli.dat")."""
    return "8/" + rel[2:]


def variant_names(rel: str, style: StudStyle) -> tuple[str, ...]:
    """Reference names to look up, best first, for the stud primitive at `rel` ("p/stud.dat")
    under `style`; empty when the file is drawn as it is."""
    if style is StudStyle.FULL or not is_stud_primitive(rel):
        return ()
    name = rel[2:]  # relative to p/, as parts reference it
    if style is StudStyle.FAST:
        return ("8/" + name,)
    stem, dot, ext = name.rpartition(".")
    if "-logo" in stem:
        return ()
    return tuple(f"{stem}{suffix}{dot}{ext}" for suffix in LOGO_SUFFIXES)


def as_style(value: StudStyle | str) -> StudStyle:
    """A style from a style or a `--studs` word."""
    if isinstance(value, StudStyle):
        return value
    if isinstance(value, str):
        return StudStyle(value)
    raise TypeError(f"not a stud style: {value!r}")


def stud_stretch(matrices: np.ndarray) -> float:
    """The most that any of the (P, 3, 3) `matrices` widens a part's studs: lengthens a vector
    of the part's XZ plane, where its studs' discs lie (the largest singular value of the
    matrix's x and z columns; 1 for none).  A model may place a part scaled up, and its studs
    come out that much wider on screen; a flexible part or an LSynth hose segment stretched
    along its length (y) keeps its studs.  Rotations and mirrorings skip the eigen solve."""
    if not len(matrices):
        return 1.0
    across = matrices[:, :, [0, 2]]
    lengths = np.einsum("pij,pij->pj", across, across)
    scaled = across[~np.all(np.abs(lengths - 1.0) < 1e-6, axis=1)]
    if not len(scaled):
        return 1.0
    gram = np.einsum("pji,pjk->pik", scaled, scaled)
    return max(1.0, float(np.sqrt(np.linalg.eigvalsh(gram)[:, -1].max())))


def as_rule(value: Studs) -> StudStyle | StudRule:
    """`load_model`'s `studs=` as a style, or the rule that picks one."""
    if callable(value) and not isinstance(value, (StudStyle, str)):
        return value
    return as_style(value)
