"""Bill of materials: what parts, in which colours, how many; as a table, CSV or shop lists.

Only leaves the loader marks `is_part` are counted, so sub-parts and primitives never appear
and a minifigure counts as the real pieces its LDraw model is built from (torso, arms, hands,
hips, legs, head, ...).

Colour ids for the shops come from data files built from Rebrickable's colour list, whose
`external_ids` give each colour's LDraw and BrickLink numbers (Rebrickable API
`/api/v3/lego/colors/`, as stored in the public repository fjmoeller/flosrocketbricks,
`src/assets/ldr/lists/rebr_colors.json`), joined with the codes in LDraw's LDConfig.ldr:

* ``data/bricklink_colours.csv`` (ldraw_code, ldraw_name, bricklink_id, bricklink_name).
  BrickLink numbers its colours independently (LDraw 4 Red is BrickLink 5, 0 Black is 11,
  15 White is 1, 71 Light Bluish Gray is 86 ...).  LDraw's rubber colours are listed by
  Rebrickable only for Rubber_Black; the others are mapped to their base colour, following
  LDConfig's own rule that "rubber colours got their value from the corresponding solid or
  transparent colour" (BrickLink lists tyres and bands in the plain colour).
* ``data/rebrickable_colours.csv`` (ldraw_code, ldraw_name, rebrickable_id, rebrickable_name).
  Rebrickable ids equal LDraw codes for most solid colours.  Exceptions: most transparent
  colours (LDraw 37 Trans_Dark_Pink is Rebrickable 45, 38 → 57, 39 → 43, 41 → 143, 43 → 41,
  44 → 236, 45 → 230, 57 → 182), the opal, glitter and newer metallic colours (Rebrickable
  1000-1103), some newer solids (LDraw 326 Yellowish_Green → 158, 330 Olive_Green → 326,
  128 Dark_Nougat → 1067, 353 Coral → 1050, 370/371 → 1088/1089, 508-510 Fabuland → 1064,
  1012, 1077) and the rubber colours (mapped to the base colour).  The CSV spells them all out.

LDConfig colours with no verified equivalent are left out of the files and reported by the
`parts` command, never guessed; their rows get no BrickLink COLOR (any colour) and Rebrickable
colour 9999 ("[No Color/Any Color]").  Unmapped for BrickLink: 16, 24, 32 Trans_Black_IR_Lens,
147, 176, 200, 234, 293, 295, 367, 493-495, 507, 508, 10045-10047, 10049, 10351, 10366.
Unmapped for Rebrickable: 16, 24, 147, 176, 367, 493-495, 507, 10045-10047, 10049, 10351,
10366.

Part ids: LDraw file names without ``.dat``.  BrickLink mostly uses the same base numbers
(3001, 3626c).  LDraw printed and stickered variants (``973p01``, ``3626bp05``, ``3001d01``)
have BrickLink numbers of their own that LDraw does not record, so the BrickLink list names
the unprinted base part (973, 3626b) and the print must be chosen there by hand.  Assembly
suffixes (``c01``) are kept, and the "<set> - " prefix under which OMR files embed unofficial
parts ("6285 - 2528p31") is dropped for both shops.  Known gap: BrickLink sells a minifig
torso with arms and hands as one item (973pb..c01) while LDraw models count torso, arms and
hands separately.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import NamedTuple

import numpy as np

from ldscene.ldraw.colours import ColourTable, is_direct
from ldscene.ldraw.geometry import EDGE_COLOUR, MAIN_COLOUR
from ldscene.ldraw.model import Model
from ldscene.ldraw.resolver import is_assembly_piece
from ldscene.search import plain_title
from ldscene.wording import plural

#: Rebrickable's "[No Color/Any Color]".
REBRICKABLE_ANY_COLOUR = 9999

#: A printed (p..) or stickered (d.., dm3, dy0) variant of a part: its plain part's id.
_PRINTED = re.compile(r"^(?P<base>\d+[a-z]?)(?:p[0-9a-z]{2,4}|d[0-9a-z]{2,3})$")
_OMR_EMBEDDED = re.compile(r"^\d+(?:-\d+)? - (?P<part>\S+)$")


@dataclass(frozen=True)
class BomLine:
    part: str  # LDraw part id without .dat ("3001", "3626bp01")
    description: str
    colour: int  # LDraw colour code, as the model's files write it
    colour_name: str
    quantity: int
    own_colour: bool = False  # defined by the model's own `!COLOUR`: no shop colour for it
    own_part: bool = False  # not from the LDraw library (the model's or a parts_path file)


def part_id(name: str) -> str:
    """LDraw file name → part id: last path component, no `.dat`."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return base[:-4] if base.lower().endswith(".dat") else base


def shop_part_id(part: str) -> str:
    """Part id as shops know it: OMR files embed unofficial parts as "<set> - <part>"."""
    match = _OMR_EMBEDDED.match(part)
    return match.group("part") if match else part


def bricklink_part_id(part: str) -> str:
    """BrickLink item number for an LDraw part id: printed/stickered variants → base part."""
    part = shop_part_id(part)
    match = _PRINTED.match(part.lower())
    return match.group("base") if match else part


def bill_of_materials(model: Model) -> list[BomLine]:
    """One line per (part, colour), sorted by part id then colour code."""
    mask = model.part_mask()
    if not mask.any():
        return []
    pairs = np.stack([model.leaf[mask].astype(np.int64), model.colour[mask].astype(np.int64)], 1)
    unique, counts = np.unique(pairs, axis=0, return_counts=True)
    lines = []
    for (leaf_index, code), count in zip(unique.tolist(), counts.tolist(), strict=True):
        leaf = model.leaves[leaf_index]
        colour = model.colours.get(code)
        name = colour.name.replace("_", " ")
        file_name, title = leaf.listed
        description = plain_title(" ".join(title.split()))  # "Brick  2 x  4": padded
        written = model.colours.written_code(code)
        # A model's own colour that keeps LDConfig's name for its code (an older LDConfig's
        # value for Red) is that colour, as shops sell it.
        own_colour = written != code and colour.name != model.colours.get(written).name
        own = not leaf.from_library and leaf.listed_as is None  # not a library part's copy
        line = BomLine(part_id(file_name), description, written, name, count, own_colour, own)
        lines.append(line)
    # Two leaves can share a part id (same file found in two places): merge them.
    merged: dict[tuple[str, int, str], BomLine] = {}
    for line in lines:
        key = (line.part.lower(), line.colour, line.colour_name)
        if key in merged:
            earlier = merged[key]
            line = replace(
                line,
                quantity=earlier.quantity + line.quantity,
                own_part=earlier.own_part or line.own_part,
            )
        merged[key] = line
    return sorted(merged.values(), key=lambda b: (_natural(b.part), b.colour))


def _natural(text: str) -> tuple:
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text.lower()))


def total(lines: list[BomLine]) -> int:
    return sum(line.quantity for line in lines)


@cache
def _colour_map(file: str, id_column: str, name_column: str) -> dict[int, tuple[int, str]]:
    text = resources.files("ldscene").joinpath("data", file).read_text("utf-8")
    return {
        int(row["ldraw_code"]): (int(row[id_column]), row[name_column])
        for row in csv.DictReader(io.StringIO(text))
    }


def bricklink_colours() -> dict[int, tuple[int, str]]:
    """LDraw colour code → (BrickLink colour id, BrickLink name)."""
    return _colour_map("bricklink_colours.csv", "bricklink_id", "bricklink_name")


def rebrickable_colours() -> dict[int, tuple[int, str]]:
    """LDraw colour code → (Rebrickable colour id, Rebrickable name)."""
    return _colour_map("rebrickable_colours.csv", "rebrickable_id", "rebrickable_name")


def to_csv(lines: list[BomLine]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["part", "description", "colour_code", "colour_name", "quantity"])
    for b in lines:
        writer.writerow([b.part, b.description, b.colour, b.colour_name, b.quantity])
    return out.getvalue()


def _shop_colour(line: BomLine, table: dict[int, tuple[int, str]]) -> tuple[int, str] | None:
    """A shop's (id, name) for a line's colour; None for a colour the model defines itself."""
    return None if line.own_colour else table.get(line.colour)


def _unmapped(lines: list[BomLine], table: dict[int, tuple[int, str]]) -> list[tuple[int, str]]:
    return sorted({(b.colour, b.colour_name) for b in lines if _shop_colour(b, table) is None})


def _own(lines: list[BomLine]) -> list[str]:
    return sorted({shop_part_id(b.part) for b in lines if b.own_part}, key=_natural)


class ShopList(NamedTuple):
    """A shop's list as written: the shop, its colour table and how it lists a part in a
    colour it has none for; the text, how many rows (lots) it has, the LDraw colours it has
    no colour for, and the printed parts it lists as their plain part (BrickLink)."""

    shop: str
    table: dict[int, tuple[int, str]]
    no_colour: str
    text: str
    lots: int
    unmapped: list[tuple[int, str]]
    reduced: list[str] = []
    own_parts: list[str] = []  # parts not in the LDraw library: the shop may not know them


def _lots(
    lines: list[BomLine], table: dict[int, tuple[int, str]], item_of
) -> dict[tuple[str, int | None, int], int]:
    """Quantities by (the shop's item `item_of(part)`, the shop's colour or None, the LDraw
    colour where the shop has none): parts in colours the shop does not sell stay in a lot
    per colour (a red and a blue brick are not two bricks of any colour)."""
    lots: dict[tuple[str, int | None, int], int] = {}
    for b in lines:
        found = _shop_colour(b, table)
        key = (item_of(b.part), found[0], -1) if found else (item_of(b.part), None, b.colour)
        lots[key] = lots.get(key, 0) + b.quantity
    return lots


def to_rebrickable(lines: list[BomLine]) -> ShopList:
    """Rebrickable part-list CSV (Part,Color,Quantity)."""
    table = rebrickable_colours()
    lots = _lots(lines, table, shop_part_id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Part", "Color", "Quantity"])
    for (part, colour, _), quantity in lots.items():
        writer.writerow([part, REBRICKABLE_ANY_COLOUR if colour is None else colour, quantity])
    any_colour = f"in Rebrickable's 'any colour' ({REBRICKABLE_ANY_COLOUR})"
    unmapped = _unmapped(lines, table)
    return ShopList(
        "Rebrickable", table, any_colour, out.getvalue(), len(lots), unmapped, [], _own(lines)
    )


def to_bricklink(lines: list[BomLine]) -> ShopList:
    """BrickLink wanted-list XML (printed parts as their plain part: `bricklink_part_id`)."""
    table = bricklink_colours()
    lots = _lots(lines, table, bricklink_part_id)
    reduced = {shop_part_id(b.part) for b in lines}
    reduced = {part for part in reduced if bricklink_part_id(part) != part}
    root = ET.Element("INVENTORY")
    for (item, colour, _), quantity in lots.items():
        node = ET.SubElement(root, "ITEM")
        ET.SubElement(node, "ITEMTYPE").text = "P"
        ET.SubElement(node, "ITEMID").text = item
        if colour is not None:
            ET.SubElement(node, "COLOR").text = str(colour)
        ET.SubElement(node, "MINQTY").text = str(quantity)
    ET.indent(root)
    text = ET.tostring(root, encoding="unicode") + "\n"
    reduced_ids = sorted(reduced, key=_natural)
    unmapped = _unmapped(lines, table)
    return ShopList(
        "BrickLink", table, "without a colour", text, len(lots), unmapped, reduced_ids, _own(lines)
    )


def nearest_shop_colour(
    rgb: tuple[float, float, float], colours: ColourTable, table: dict[int, tuple[int, str]]
) -> int | None:
    """The LDraw code of the solid colour the shop sells that is nearest `rgb` (sRGB, 0..1):
    a direct colour (#2F6F3F) has no shop colour; this is the one to ask for.  Nearest in
    CIELAB (plain RGB distance calls a muted green Dark Grey)."""
    codes = [
        code
        for code in table
        if code in colours.colours
        and code not in (MAIN_COLOUR, EDGE_COLOUR)
        and colours.colours[code].alpha == 1.0
        and colours.colours[code].finish == ""
    ]
    if not codes:
        return None
    sold = _lab(np.array([colours.colours[code].rgb for code in codes]))
    distance = np.linalg.norm(sold - _lab(np.array([rgb])), axis=1)
    return codes[int(np.argmin(distance))]


def _lab(rgb: np.ndarray) -> np.ndarray:
    """(N, 3) sRGB in 0..1 → CIELAB (D65)."""
    from ldscene.appearance import srgb_to_linear

    xyz = srgb_to_linear(rgb) @ np.array(
        [[0.4124, 0.2126, 0.0193], [0.3576, 0.7152, 0.1192], [0.1805, 0.0722, 0.9505]]
    )
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack(
        [116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], axis=1
    )


def shop_warnings(shop: ShopList, colours: ColourTable) -> list[str]:
    """Warning lines for what a shop list could not say exactly: LDraw colours it has no
    colour for (a direct colour with the nearest one the shop sells), and printed parts given
    as plain parts."""
    lines = []
    shop_name = shop.shop
    if shop.unmapped:

        def described(code: int, name: str) -> str:
            if not is_direct(code):
                return f"{code} {name}"
            near = nearest_shop_colour(colours.get(code).rgb, colours, shop.table)
            if near is None:
                return name
            return f"{name} (nearest: {colours.get(near).name} {near})"

        listed = ", ".join(described(code, name) for code, name in shop.unmapped)
        lines.append(
            f"warning: no {shop_name} colour for LDraw colour(s) {listed}; "
            f"those parts are listed {shop.no_colour}"
        )
    if shop.reduced:
        lines.append(
            f"warning: the {shop_name} list gives "
            f"{plural(len(shop.reduced), 'printed or stickered part')} as their plain part, "
            f"without the print or sticker ({', '.join(shop.reduced)}): ldscene has no verified "
            "table of its ids for prints; change those lots by hand if you want them"
        )
    if shop.own_parts:
        lines.append(
            f"warning: {plural(len(shop.own_parts), 'part')} of the list "
            + (
                "is not an LDraw library part "
                if len(shop.own_parts) == 1
                else "are not LDraw library parts "
            )
            + f"({', '.join(shop.own_parts)}): {shop_name} may not know their ids; check those "
            "lots by hand"
        )
    return lines


def not_counted(missing: Iterable[str]) -> str:
    """What a parts list says of the parts the library does not have (by name), which it
    does not count; empty when there are none."""
    names = ", ".join(sorted(set(missing), key=_natural))
    return f"not counted, not in the library: {names}" if names else ""


def segments_note(model: Model) -> str:
    """What a parts list says of the segments of bent hoses and cables it does not count
    (`ldraw.resolver.is_assembly_piece`); empty when there are none."""
    counts: dict[str, int] = {}
    placed = np.bincount(model.leaf, minlength=len(model.leaves))
    for leaf, n in zip(model.leaves, placed.tolist()):
        if n and not leaf.is_part and is_assembly_piece(leaf.description):
            counts[part_id(leaf.name)] = counts.get(part_id(leaf.name), 0) + n
    if not counts:
        return ""
    listed = ", ".join(f"{part} x{n}" for part, n in sorted(counts.items()))
    return (
        f"not counted: {plural(sum(counts.values()), 'segment')} of bent hoses or cables "
        f"({listed}); add each hose or cable to the list by hand"
    )


def rich_table(lines: list[BomLine], title: str = "", missing: Iterable[str] = ()):
    """A `rich` table of the BOM with a total row; `missing`: names of parts the library does
    not have, which are not counted (said under the table)."""
    from rich.table import Table

    table = Table(title=title or None, caption=not_counted(missing) or None, show_footer=True)
    table.add_column("Part", footer="Total")
    table.add_column("Description")
    table.add_column("Colour", footer=plural(len(lines), "lot"))
    table.add_column("Qty", justify="right", footer=str(total(lines)))
    for b in lines:
        table.add_row(b.part, b.description, f"{b.colour_name} ({b.colour})", str(b.quantity))
    return table
