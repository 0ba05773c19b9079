"""Exporters: a loaded `Model` to glTF/GLB, OBJ, STL or LDraw MPD, chosen by file extension."""

from __future__ import annotations

from pathlib import Path

from ldscene.errors import LdsceneError
from ldscene.exchange.mesh import UNITS
from ldscene.ldraw.model import Model
from ldscene.render.images import check_format

#: Extension → what it writes (for help texts and errors).
FORMATS = {
    ".glb": "binary glTF 2.0",
    ".gltf": "glTF 2.0 (JSON, buffer embedded)",
    ".obj": "Wavefront OBJ + .mtl",
    ".stl": "binary STL (Z up)",
    ".mpd": "LDraw multi-part document",
    ".ldr": "LDraw multi-part document",
}


#: Units of each mesh format when none are asked for: glTF's own unit is the metre, and
#: slicers read STL as millimetres (an STL in LDU printed 2.5 times too large).
DEFAULT_UNITS = {".glb": "m", ".gltf": "m", ".obj": "ldu", ".stl": "mm"}


def export_model(model: Model, out: Path | str, units: str | None = None, library=None) -> Path:
    """Write `model` to `out` in the format its extension names; returns the path written.

    `units` (ldu, mm, cm, m) applies to the mesh formats (default: metres for glTF,
    millimetres for STL, LDU for OBJ); LDraw output is always in LDU.
    """
    out = Path(out)
    suffix = out.suffix.lower()
    check_format(out, FORMATS, "export", f"cannot export to {suffix or 'a file without extension'}")
    units = units or DEFAULT_UNITS.get(suffix, "ldu")
    if units not in UNITS:
        raise LdsceneError(f"unknown units {units!r}", hint="use one of " + ", ".join(UNITS))
    if suffix == ".glb":
        from ldscene.exchange.gltf import write_glb

        write_glb(model, out, units)
    elif suffix == ".gltf":
        from ldscene.exchange.gltf import write_gltf

        write_gltf(model, out, units)
    elif suffix == ".obj":
        from ldscene.exchange.obj import write_obj

        write_obj(model, out, units)
    elif suffix == ".stl":
        from ldscene.exchange.stl import write_stl

        write_stl(model, out, units)
    else:
        from ldscene.exchange.mpd import write_mpd

        write_mpd(model, out, library)
    return out


__all__ = ["DEFAULT_UNITS", "FORMATS", "UNITS", "export_model"]
