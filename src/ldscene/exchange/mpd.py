"""Write a model (or a composed scene) as one LDraw MPD file, readable by LDView and LeoCAD.

A `Model` is flat: every instance carries its full placement and the chain of sub-model
names it was reached through.  The writer rebuilds one `0 FILE` block per distinct chain; each
block lists its own parts at their world placements, in STEP order, and references its child
blocks with the identity matrix.  The geometry is therefore exact, and the sub-model names and
grouping survive, but a sub-model placed N times under one parent becomes one block holding all
N copies (the flat model no longer knows the individual placements of a sub-model).

Library parts are referenced by name.  Leaves the library does not have (parts embedded in the
original MPD, loose triangles a model file draws itself, directly placed primitives when no
library is at hand) are written out as blocks of their own from their expanded geometry, so the
file stands alone.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ldscene import __version__
from ldscene.atomic import write_atomic
from ldscene.ldraw.colours import PRIVATE_COLOUR_BASE, Colour, ColourTable, is_direct
from ldscene.ldraw.geometry import EDGE_COLOUR, MAIN_COLOUR, PartGeometry
from ldscene.ldraw.model import Leaf, Model

_IDENTITY = "1 0 0 0 1 0 0 0 1"


def _num(value: float) -> str:
    """Compact LDraw number: up to 6 decimals, no trailing zeros, no '-0'; a value too small
    for 6 decimals keeps 6 significant digits (a part scaled by 1e-9 must not become 0), but
    under 1e-12 it is rounding noise (cos 90 degrees is 6e-17) and written as 0."""
    if 1e-12 <= abs(value) < 1e-3:
        return f"{value:.6g}"
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _nums(values: np.ndarray) -> str:
    return " ".join(_num(float(v)) for v in values)


def _colour_token(code: int, colours: ColourTable) -> str:
    """LDraw colour token; an 'edge colour of c' code becomes a direct colour."""
    if code < 0:
        r, g, b = (round(c * 255) for c in colours.get(code).rgb)
        return f"0x2{r:02X}{g:02X}{b:02X}"
    if is_direct(code):
        return f"0x{code:X}"
    return str(code)


def _ref_line(colour: str, transform: np.ndarray, name: str) -> str:
    t = transform
    return f"1 {colour} {_nums(t[:3, 3])} {_nums(t[:3, :3].ravel())} {name}"


def _colour_meta(colour: Colour) -> str:
    def hexrgb(rgb: tuple[float, float, float]) -> str:
        return "#" + "".join(f"{round(c * 255):02X}" for c in rgb)

    line = (
        f"0 !COLOUR {colour.name.replace(' ', '_')} CODE {colour.code} "
        f"VALUE {hexrgb(colour.rgb)} EDGE {hexrgb(colour.edge_rgb)}"
    )
    if colour.alpha < 1.0:
        line += f" ALPHA {round(colour.alpha * 255)}"
    if colour.luminance:
        line += f" LUMINANCE {round(colour.luminance * 255)}"
    if colour.finish in ("chrome", "pearlescent", "rubber", "matte_metallic", "metal"):
        line += " " + colour.finish.upper()
    if colour.finish in ("glitter", "speckle") and colour.flakes is not None:
        f = colour.flakes
        line += (
            f" MATERIAL {colour.finish.upper()} VALUE {hexrgb(f.rgb)} FRACTION {f.fraction:g}"
            f" MINSIZE {f.min_size:g} MAXSIZE {f.max_size:g}"
        )
    return line


def _geometry_lines(
    geometry: PartGeometry, colours: ColourTable, token: Callable[[int], str]
) -> list[str]:
    """Type 2/3/5 lines (plus BFC meta) reproducing an expanded geometry."""
    lines: list[str] = []
    clipped = ~geometry.two_sided
    if clipped.any():
        lines.append("0 BFC CERTIFY CCW")
    for keep, prefix in ((clipped, []), (~clipped, ["0 BFC NOCLIP"] if clipped.any() else [])):
        if not keep.any():
            continue
        lines += prefix
        for tri, code in zip(
            geometry.triangles[keep], geometry.triangle_colours[keep], strict=True
        ):
            lines.append(f"3 {token(int(code))} {_nums(tri.ravel())}")
    if clipped.any() and (~clipped).any():
        lines.append("0 BFC CLIP")
    for edge, code in zip(geometry.edges, geometry.edge_colours, strict=True):
        lines.append(f"2 {token(int(code))} {_nums(edge.ravel())}")
    for cond, code in zip(geometry.cond_lines, geometry.cond_colours, strict=True):
        lines.append(f"5 {token(int(code))} {_nums(cond.ravel())}")
    return lines


def _library_has(library, name: str) -> bool:
    if library is None:
        return True
    try:
        return library.find(name) is not None
    except Exception:  # noqa: BLE001 - an odd name is simply "not in the library"
        return False


def _standard_codes(library) -> set[int] | None:
    """Colour codes LDConfig.ldr defines, or None when there is no library to read."""
    if library is None:
        return None
    try:
        text = library.read("ldconfig.ldr").decode("utf-8", "replace")
    except Exception:  # noqa: BLE001
        return None
    table = ColourTable()
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("0 ") and "!COLOUR" in stripped.upper():
            table.add_meta(stripped[2:].strip())
    return set(table.colours)


class _Names:
    """Unique block names (LDraw names compare case-insensitively)."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def take(self, wanted: str, suffix: str = ".ldr") -> str:
        base = wanted.strip().replace("\\", "/").split("/")[-1] or "model"
        if base.lower().endswith(".mpd"):  # a block is one model: .ldr
            base = base[:-4] + ".ldr"
        stem = base
        if not base.lower().endswith((".ldr", ".dat")):
            base += suffix
        name, n = base, 2
        while name.lower() in self.used:
            root = stem.rsplit(".", 1)[0] if "." in stem else stem
            name = f"{root} ({n}){suffix}"
            n += 1
        self.used.add(name.lower())
        return name


def mpd_text(model: Model, library=None) -> str:
    """The MPD text for `model`.  `library` (a `Library`) decides which leaves are referenced
    by name; without one every part is assumed to be a library part."""
    names = _Names()
    for index in set(model.leaf.tolist()):  # a block of a library part's name would shadow it
        leaf = model.leaves[index]
        if _referenced_by_name(leaf, library):
            names.used.add(leaf.name.lower())
    main_name = model.name or "model.ldr"
    if main_name.lower().endswith(".dat"):  # a part given as the model: its block is a model
        main_name = main_name[:-4] + ".ldr"
    main = names.take(main_name)
    colours = model.colours
    leaf_block, inline = _inline_leaves(model, library, names)
    block_of, members, kids = _chain_blocks(model, main, names)
    first = _first_instances(members)
    renumber, custom_meta = _custom_colours(model, inline, library)

    def token(code: int) -> str:
        return _colour_token(renumber.get(int(code), int(code)), colours)

    out: list[str] = []
    for chain, block in block_of.items():
        if chain == ():  # the main model keeps its title and its author's credits
            out += _header(block, model.title or Path(block).stem, model.credits)
            out += custom_meta
        else:
            out += _header(block, _chain_title(model, chain) or Path(block).stem)
        out.append("0 BFC CERTIFY CCW")
        previous = None
        for step, _, line in _block_lines(model, chain, members, kids, first, block_of):
            if previous is not None and step != previous:
                out.append("0 STEP")
            previous = step
            if isinstance(line, str):  # a sub-model's block
                out.append(f"1 16 0 0 0 {_IDENTITY} {line}")
                continue
            leaf = model.leaves[int(model.leaf[line])]
            ref = leaf_block.get(int(model.leaf[line]), leaf.name)
            if leaf.inverted and ref == leaf.name:  # (a block of its own is written flipped)
                out.append("0 BFC INVERTNEXT")
            out.append(_ref_line(token(int(model.colour[line])), model.transform[line], ref))
        out += ["0 NOFILE", ""]

    for block, leaf in inline:
        out += _header(block, leaf.description or Path(block).stem, leaf.credits)
        if leaf.is_part:
            out.append("0 !LDRAW_ORG Unofficial_Part")
        out += _geometry_lines(leaf.geometry, colours, token)
        out += ["0 NOFILE", ""]
    return "\n".join(out)


def _header(block: str, title: str, credits: tuple[str, ...] = ()) -> list[str]:
    """A block's first lines; `credits` (`Author:`, `!LICENSE`) where the model had them, so
    that the export keeps the attribution a licence such as CC BY asks for."""
    authors = [f"0 {line}" for line in credits] or [f"0 Author: ldscene {__version__} export"]
    title = " ".join(title.split())  # one line, whatever the scene's title holds
    return [f"0 FILE {block}", f"0 {title}", f"0 Name: {block}", *authors]


def _inline_leaves(
    model: Model, library, names: _Names
) -> tuple[dict[int, str], list[tuple[str, Leaf]]]:
    """Leaves written as blocks of their own (not referenced from the library): leaf index ->
    block name, and (block, leaf) in order."""
    leaf_block: dict[int, str] = {}
    inline: list[tuple[str, Leaf]] = []
    for index in sorted(set(int(v) for v in model.leaf)):
        leaf = model.leaves[index]
        if _referenced_by_name(leaf, library):
            continue
        block = names.take(
            leaf.name if leaf.is_part else f"{Path(leaf.name).stem} geometry",
            ".dat" if leaf.is_part else ".ldr",
        )
        leaf_block[index] = block
        inline.append((block, leaf))
    return leaf_block, inline


def _referenced_by_name(leaf: Leaf, library) -> bool:
    """Whether the export names `leaf` as the library's file (a part, or a primitive placed
    directly) instead of writing its geometry as a block of its own."""
    library_file = leaf.is_part or leaf.name.lower().endswith(".dat")
    return library_file and leaf.from_library and _library_has(library, leaf.name)


_Chain = tuple[str, ...]


def _chain_blocks(
    model: Model, main: str, names: _Names
) -> tuple[dict[_Chain, str], dict[_Chain, list[int]], dict[_Chain, list[_Chain]]]:
    """One block per sub-model chain (its name, its instances, its child chains), children
    referenced from their parent chain's block; paths[0] is () for the main model."""
    chains = (
        [tuple(model.paths[int(p)]) for p in model.path]
        if len(model.paths)
        else [()] * model.n_instances
    )
    block_of: dict[_Chain, str] = {(): main}
    members: dict[_Chain, list[int]] = defaultdict(list)
    kids: dict[_Chain, list[_Chain]] = defaultdict(list)

    def ensure(chain: _Chain) -> None:
        if chain in block_of:
            return
        ensure(chain[:-1])
        block_of[chain] = names.take(chain[-1])
        kids[chain[:-1]].append(chain)

    for i, chain in enumerate(chains):
        ensure(chain)
        members[chain].append(i)
    return block_of, members, kids


def _chain_title(model: Model, chain: _Chain) -> str:
    """The title line of the sub-model a chain ends in, where the model knows it."""
    return model.sub_model_titles.get(chain[-1], "") if chain else ""


def _first_instances(members: dict[_Chain, list[int]]) -> dict[_Chain, int]:
    """The first instance under each chain, its sub-chains' included: where the line that
    placed it stood among its parent's (instances keep their files' line order)."""
    first: dict[_Chain, int] = {}
    for chain, rows in members.items():
        for depth in range(len(chain) + 1):
            head = chain[:depth]
            first[head] = min(first.get(head, rows[0]), rows[0])
    return first


def _block_lines(
    model: Model,
    chain: _Chain,
    members: dict[_Chain, list[int]],
    kids: dict[_Chain, list[_Chain]],
    first: dict[_Chain, int],
    block_of: dict[_Chain, str],
) -> list[tuple[int, int, int | str]]:
    """A block's lines as (step, order, instance or sub-model block name), in step order
    and, within a step, in the order of the model's lines.  A sub-model reference takes the
    step its line had, where the model knows it (`Model.chain_steps`), else the block's last."""
    rows = [(int(model.step[i]), i, i) for i in members.get(chain, [])]
    last = max((step for step, _, _ in rows), default=0)
    for child in kids.get(chain, []):
        rows.append((model.chain_steps.get(child, last), first[child], block_of[child]))
    return sorted(rows, key=lambda row: row[:2])


def _custom_colours(
    model: Model, inline: list[tuple[str, Leaf]], library
) -> tuple[dict[int, int], list[str]]:
    """Colours LDConfig does not define get a `!COLOUR` line in the main block.  The loader
    keeps a model's own definitions at private codes beyond LDraw's range; each is written
    under the code its file gave it where that is free, else under a free code from 20000.
    Returns (renumbering, the meta lines)."""
    colours = model.colours
    standard = _standard_codes(library)
    used = {int(c) for c in model.colour}
    for _, leaf in inline:
        g = leaf.geometry
        used |= {
            int(c) for c in np.concatenate([g.triangle_colours, g.edge_colours, g.cond_colours])
        }
    renumber: dict[int, int] = {}
    taken = used | (standard or set()) | set(colours.colours)
    free = 20000
    for code in sorted(c for c in used if c >= PRIVATE_COLOUR_BASE and c in colours.colours):
        written = colours.written_code(code)
        if written not in taken:  # the code its file gave it, where nothing else uses it
            renumber[code] = written
        else:
            while free in taken:
                free += 1
            renumber[code] = free
        taken.add(renumber[code])
    custom = sorted(
        c
        for c in used
        if c >= 0
        and not is_direct(c)
        and c in colours.colours
        and c not in (MAIN_COLOUR, EDGE_COLOUR)
        and c not in renumber  # private codes: written under their new numbers below
        and (standard is not None and c not in standard)
    )
    custom_meta = [_colour_meta(colours.get(c)) for c in custom]
    for old, new in renumber.items():
        written = colours.written_code(old)
        if written != new:  # say why a reader finds 20000 where the model wrote 4
            custom_meta.append(f"0 // {new}: the model's own colour {written} (a code taken)")
        custom_meta.append(_colour_meta(dataclasses.replace(colours.get(old), code=new)))
    return renumber, custom_meta


def renumbered_colours(model: Model, library=None) -> dict[int, int]:
    """The model's own colour definitions an MPD export writes under another code than its
    file gave them (the code is LDConfig's or another definition's): written code → new."""
    _, inline = _inline_leaves(model, library, _Names())
    renumber, _ = _custom_colours(model, inline, library)
    moved = {model.colours.written_code(old): new for old, new in renumber.items()}
    return {written: new for written, new in moved.items() if written != new}


def write_mpd(model: Model, out: Path, library=None) -> None:
    text = mpd_text(model, library).replace("\n", "\r\n").encode("utf-8")
    write_atomic(out, lambda handle: handle.write(text), "the export")
