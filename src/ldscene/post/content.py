"""What a post says: its figures, the parts summary, captions and file names."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

CREDIT = "LDraw.org Parts Library, CC BY 2.0"
LDRAW_URL = "https://library.ldraw.org"
LICENCE_URL = "https://creativecommons.org/licenses/by/2.0/"
#: External links the post may contain (everything else is a file in the folder).
EXTERNAL_LINKS = (LDRAW_URL, LICENCE_URL)


@dataclass
class Figure:
    file: str
    caption: str


@dataclass
class PostContent:
    title: str
    description: str
    figures: list[Figure]
    turntable: Figure | None
    total: int
    designs: int
    lots: int
    top_colours: list[tuple[str, str, int]]  # (name, #rrggbb, parts)
    lines: list = field(default_factory=list)  # BomLine
    #: What the parts list leaves out, a note each: the parts the library lacks
    #: (`bom.not_counted`), the segments of bent hoses (`bom.segments_note`).
    not_counted: list[str] = field(default_factory=list)
    parts_csv: str = "parts.csv"
    bricklink: str = "bricklink.xml"


def caption_for(name: str) -> str:
    """'street_corner' -> 'Street corner', 'mg42' -> 'MG42' (a camera name as a caption);
    a file name keeps its ' - ' separators and a set number its hyphen ('10179-1 - Millennium
    Falcon - UCS')."""
    parts = []
    for part in re.split(r"\s+-\s+", name):
        spaced = re.sub(r"_+|(?<!\d)-+|-+(?!\d)", " ", part)  # 10179-1 keeps its hyphen
        words = [
            w.upper() if re.search(r"\d", w) and re.search(r"[a-z]", w, re.I) else w
            for w in spaced.split()
        ]
        if words:
            parts.append(" ".join(words))
    if not parts:
        return "View"
    text = " - ".join(parts)
    return text[:1].upper() + text[1:]


#: Title lines that name no model: editors' defaults for an MPD's main block.
PLACEHOLDER_TITLES = frozenset(
    {"main", "main model", "model", "untitled", "untitled model", "new model", "unnamed"}
)


def kit_title(scene_title: str, model_title: str, input_path: Path) -> str:
    """The post's title: the scene's, else the model's title line (its spaces collapsed:
    LDraw pads sizes, "Brick  2 x  4") unless it is an editor's placeholder ("main") or the
    file's own name, else one made from the file name ("6080 - Kings Castle")."""
    scene = " ".join(scene_title.split())
    if scene:
        return scene
    model = " ".join(model_title.split())
    names = (input_path.name.lower(), input_path.stem.lower())
    if model and model.lower() not in PLACEHOLDER_TITLES and model.lower() not in names:
        return model
    return caption_for(input_path.stem)


def slug(name: str) -> str:
    """A camera name as part of a file name: 'Café Ü' -> 'cafe-u' (accents dropped, not the
    letters)."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-") or "view"


def parts_summary(model, lines) -> tuple[int, int, int, list[tuple[str, str, int]]]:
    """(total parts, distinct designs, lots, top five colours as (name, #hex, count))."""
    from ldscene import bom

    by_colour: dict[int, int] = {}
    for line in lines:
        by_colour[line.colour] = by_colour.get(line.colour, 0) + line.quantity
    top = []
    for code, count in sorted(by_colour.items(), key=lambda kv: (-kv[1], kv[0]))[:5]:
        colour = model.colours.get(code)
        rgb = "#" + "".join(f"{round(max(0.0, min(1.0, c)) * 255):02x}" for c in colour.rgb)
        top.append((colour.name.replace("_", " "), rgb, count))
    designs = len({line.part.lower() for line in lines})
    return bom.total(lines), designs, len(lines), top
