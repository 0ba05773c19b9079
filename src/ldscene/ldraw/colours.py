"""LDraw colours: `!COLOUR` definitions from LDConfig.ldr and model files."""

from __future__ import annotations

import itertools
import math
import re
import warnings
from dataclasses import dataclass, field

import numpy as np

from ldscene.ldraw.geometry import EDGE_COLOUR, MAIN_COLOUR
from ldscene.ldraw.parser import colour_code

#: Shown for colour codes nobody defines: loud magenta, so the problem is visible.
UNKNOWN_RGB = (1.0, 0.0, 1.0)

#: LDraw's direct colours: 0x2RRGGBB is a solid colour, 0x3/0x4/0x5 are dithered forms.
DIRECT_COLOUR = 0x2000000
_LAST_DIRECT = 0x5FFFFFF
#: Codes from here up are handed to model files' own `!COLOUR` definitions (`ColourTable.define`).
PRIVATE_COLOUR_BASE = 0x6000000
_PRIVATE_CODES = itertools.count(PRIVATE_COLOUR_BASE)  # process-wide: see `define`

_FINISHES = ("CHROME", "PEARLESCENT", "RUBBER", "MATTE_METALLIC", "METAL")


@dataclass(frozen=True)
class Flakes:
    """The grains of a `MATERIAL GLITTER|SPECKLE` colour: their colour (sRGB 0..1), the share of
    the surface they cover, and their size range in LDraw units."""

    rgb: tuple[float, float, float]
    fraction: float
    min_size: float
    max_size: float


@dataclass(frozen=True)
class Colour:
    """One LDraw colour; RGB values are sRGB in 0..1."""

    code: int
    name: str
    rgb: tuple[float, float, float]
    edge_rgb: tuple[float, float, float]
    alpha: float = 1.0
    luminance: float = 0.0
    finish: str = ""  # "", chrome, pearlescent, rubber, matte_metallic, metal, glitter, speckle
    flakes: Flakes | None = None  # glitter and speckle grains

    @property
    def is_transparent(self) -> bool:
        return self.alpha < 1.0

    @property
    def rgba(self) -> tuple[float, float, float, float]:
        return (*self.rgb, self.alpha)


_HEX_RGB = re.compile(r"(?:#|0[xX])?([0-9a-fA-F]{6})")


def _hex_rgb(text: str) -> tuple[float, float, float]:
    """`#RRGGBB` (or `0xRRGGBB`) → sRGB 0..1; ValueError for anything else."""
    match = _HEX_RGB.fullmatch(text)
    if match is None:
        raise ValueError(text)
    digits = match.group(1)
    return tuple(int(digits[i : i + 2], 16) / 255.0 for i in (0, 2, 4))  # type: ignore[return-value]


def _edge_rgb(
    edge: str | None,
    code: int,
    rgb: tuple[float, float, float],
    table: ColourTable | ScopedColours | None,
) -> tuple[float, float, float]:
    """A `!COLOUR` line's EDGE: `#RRGGBB` or a colour code; grey when absent or malformed."""
    grey = (0.2, 0.2, 0.2)
    if edge is None:
        return grey
    try:
        if edge[:1] == "#" or (len(edge) == 8 and edge[:2].lower() == "0x"):
            return _hex_rgb(edge)
        edge_code = colour_code(edge)
    except ValueError:
        return grey
    if edge_code == code:
        return rgb
    if table is not None and edge_code in table:
        return table.get(edge_code).rgb
    return grey


def _byte(text: str | None, default: int) -> int:
    """ALPHA / LUMINANCE: a whole number 0..255, else `default`."""
    try:
        value = int(text or "")
    except ValueError:
        return default
    return min(max(value, 0), 255)


@dataclass
class ColourTable:
    """Colour code → `Colour`, with the LDraw rules for 16, 24, edge codes and direct colours."""

    colours: dict[int, Colour] = field(default_factory=dict)
    unknown: set[int] = field(default_factory=set)

    def copy(self) -> ColourTable:
        return ColourTable(dict(self.colours), set(self.unknown))

    def add_meta(self, text: str) -> None:
        """Add the definition in a `0 !COLOUR ...` meta line (the text after `0 `)."""
        colour = parse_colour_line(text, self)
        if colour is not None:
            self.colours[colour.code] = colour

    def define(self, colour: Colour) -> int:
        """A model file's own `!COLOUR` definition: the code to draw it with.

        A definition the table holds already (LDConfig's own) is drawn as its code; any other
        gets a private code above `PRIVATE_COLOUR_BASE` (the same one for the same
        definition), which the file's `ColourScope` sends its lines to from the definition's
        line on: elsewhere the code keeps LDConfig's meaning, or none.  Private codes are
        unique in the process, so tables of several loads (a scene's) merge without clashes.
        """
        if self.colours.get(colour.code) == colour:
            return colour.code
        for code, known in self.colours.items():
            if code >= PRIVATE_COLOUR_BASE and known == colour:
                return code
        private = next(_PRIVATE_CODES)
        self.colours[private] = colour
        return private

    def written_code(self, code: int) -> int:
        """`code` as the model's files write it: a private code's own (`define`)."""
        if code >= PRIVATE_COLOUR_BASE and code in self.colours:
            return self.colours[code].code
        return code

    def __contains__(self, code: int) -> bool:
        return code in self.colours or is_direct(code)

    def get(self, code: int) -> Colour:
        """The colour for `code`; negative codes ``-c-1`` give colour c's edge colour."""
        if code < 0:
            base = self.get(-code - 1)
            return Colour(code, f"{base.name} edge", base.edge_rgb, base.edge_rgb, 1.0)
        found = self.colours.get(code)
        if found is not None:
            return found
        if is_direct(code):
            return _direct_colour(code)
        if code not in self.unknown:
            self.unknown.add(code)
            warnings.warn(f"unknown colour code {code}: drawn in magenta", stacklevel=2)
        return Colour(code, f"Unknown {code}", UNKNOWN_RGB, (0.2, 0.2, 0.2))

    def name(self, code: int) -> str:
        return self.get(code).name


def is_direct(code: int) -> bool:
    """Whether `code` is a direct colour (its RGB in the code, no `!COLOUR` needed)."""
    return DIRECT_COLOUR <= code <= _LAST_DIRECT


def direct_code(rgb_hex: str) -> int:
    """The solid direct colour for six hex digits (`"ff8000"`)."""
    return DIRECT_COLOUR + int(rgb_hex, 16)


def edge_code(colour: np.ndarray | int) -> np.ndarray:
    """The code meaning "the edge colour of `colour`": `-c-1` for a concrete colour c (as
    `ColourTable.get` reads it); 16 and 24 give 24 (still symbolic: the edge colour of the
    colour inherited later, and an edge colour's edge is itself, like an already encoded
    `-c-1`). So resolving in two steps (a sub-file in a part, the part in a model) gives the
    same codes as resolving once."""
    colour = np.asarray(colour, np.int64)
    symbolic = (colour == MAIN_COLOUR) | (colour == EDGE_COLOUR)
    return np.where(symbolic, EDGE_COLOUR, np.where(colour < 0, colour, -colour - 1))


def resolve_codes(codes: np.ndarray, colour: np.ndarray | int) -> np.ndarray:
    """LDraw colour inheritance, the one rule: in `codes` placed in `colour`, 16 becomes the
    colour and 24 its edge colour (`edge_code`); other codes are concrete already.  `codes`
    and `colour` broadcast (expansion passes (1, n) codes and (k, 1) colours).  Placed in 16,
    the codes pass through as a read-only view (no copy)."""
    codes = np.asarray(codes)
    colour = np.asarray(colour, np.int64)
    if not (colour != MAIN_COLOUR).any():
        return np.broadcast_to(codes, np.broadcast_shapes(codes.shape, colour.shape))
    out = np.where(codes == MAIN_COLOUR, colour, codes)
    return np.where(codes == EDGE_COLOUR, edge_code(colour), out)


def _direct_colour(code: int) -> Colour:
    """A colour given by its code, as LDView reads them (only 0x2 is in the LDraw spec):
    0x2RRGGBB solid, 0x3RRGGBB transparent, 0x4RGBRGB two 12-bit colours dithered (their
    average), 0x5RGBxxx one 12-bit colour dithered with clear (transparent).  LDView's
    0x6xxxRGB is not read: codes from 0x6000000 up are the loader's own (parser.py)."""
    kind, value = code >> 24, code & 0xFFFFFF
    if kind in (2, 3):
        rgb = _hex_rgb(f"{value:06x}")
        name = f"#{value:06X}" if kind == 2 else f"#{value:06X} transparent"
        return Colour(code, name, rgb, (0.2, 0.2, 0.2), 1.0 if kind == 2 else 0.5)

    def expand(c: int) -> tuple[float, float, float]:
        return tuple(((c >> s) & 0xF) * 17 / 255.0 for s in (8, 4, 0))  # type: ignore[return-value]

    first, second = expand(value >> 12), expand(value & 0xFFF)
    if kind == 4:
        rgb = tuple((x + y) / 2 for x, y in zip(first, second))  # type: ignore[assignment]
        return Colour(code, f"Dithered 0x{code:X}", rgb, (0.2, 0.2, 0.2))
    return Colour(code, f"Dithered 0x{code:X} transparent", first, (0.2, 0.2, 0.2), 0.5)


_TOKEN = re.compile(r"\S+")


@dataclass(frozen=True)
class ScopedColours:
    """A colour table as the lines of one model file see it: through the remap of its local
    `!COLOUR` definitions so far (a later definition's EDGE may name an earlier one)."""

    table: ColourTable
    remap: dict[int, int]

    def __contains__(self, code: int) -> bool:
        return self.remap.get(code, code) in self.table

    def get(self, code: int) -> Colour:
        return self.table.get(self.remap.get(code, code))


def parse_colour_line(text: str, table: ColourTable | ScopedColours | None = None) -> Colour | None:
    """Parse `!COLOUR name CODE c VALUE v EDGE e [ALPHA a] [LUMINANCE l] [finish...]`."""
    tokens = _TOKEN.findall(text)
    if len(tokens) < 2 or tokens[0].upper() != "!COLOUR":
        return None
    name = tokens[1]
    upper = [t.upper() for t in tokens]

    def value_of(key: str) -> str | None:
        at = upper.index(key) + 1 if key in upper else len(tokens)
        return tokens[at] if at < len(tokens) else None

    try:
        code = colour_code(value_of("CODE") or "")
        rgb = _hex_rgb(value_of("VALUE") or "")
    except ValueError:
        return None
    edge_rgb = _edge_rgb(value_of("EDGE"), code, rgb, table)
    alpha = _byte(value_of("ALPHA"), 255) / 255.0
    luminance = _byte(value_of("LUMINANCE"), 0) / 255.0
    finish = ""
    for candidate in _FINISHES:
        if candidate in upper:
            finish = candidate.lower()
    flakes = None
    if "MATERIAL" in upper:
        at = upper.index("MATERIAL")
        material = upper[at + 1] if at + 1 < len(upper) else ""
        finish = {"GLITTER": "glitter", "SPECKLE": "speckle"}.get(material, "material")
        if finish != "material":
            flakes = _parse_flakes(tokens[at + 2 :], rgb)
    return Colour(code, name, rgb, edge_rgb, alpha, luminance, finish, flakes)


def _parse_flakes(tokens: list[str], base_rgb: tuple[float, float, float]) -> Flakes:
    """`VALUE #rrggbb FRACTION f [VFRACTION v] SIZE s | MINSIZE a MAXSIZE b` after MATERIAL."""
    fields: dict[str, str] = {}
    for key, value in zip(tokens[::2], tokens[1::2]):
        fields[key.upper()] = value
    try:
        rgb = _hex_rgb(fields["VALUE"]) if "VALUE" in fields else base_rgb
    except ValueError:
        rgb = base_rgb

    def number(key: str, default: float) -> float:
        try:
            value = float(fields.get(key, default))
        except ValueError:
            return default
        return value if math.isfinite(value) and value >= 0 else default

    fraction = min(number("FRACTION", 0.1), 1.0)
    size = number("SIZE", 1.0)
    low, high = number("MINSIZE", size), number("MAXSIZE", size)
    return Flakes(rgb, fraction, min(low, high), max(low, high))


def default_main_colours(table: ColourTable) -> None:
    """Make sure 16 and 24 exist even with a library whose LDConfig lacks them."""
    table.colours.setdefault(
        MAIN_COLOUR, Colour(MAIN_COLOUR, "Main_Colour", (1.0, 1.0, 0.5), (0.2, 0.2, 0.2))
    )
    table.colours.setdefault(
        EDGE_COLOUR, Colour(EDGE_COLOUR, "Edge_Colour", (0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
    )
