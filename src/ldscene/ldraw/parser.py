"""Parse LDraw text (`.dat`, `.ldr`, `.mpd`) into numpy arrays per file.

Speed matters here: a large model touches thousands of files and hundreds of thousands of lines.
Each drawing line is only appended to a list while scanning; numbers are converted in bulk with
numpy afterwards, and a line-by-line validating path runs only when the bulk path finds a fault.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import warnings
from dataclasses import dataclass, field

import numpy as np

from ldscene.errors import ModelError
from ldscene.ldraw.library import normalise

#: How many numbers follow the colour on each drawing line type.
_NUMBERS = {2: 6, 3: 9, 4: 12, 5: 12}

#: The largest colour code a file may use: codes are stored as int32 (direct colours end at
#: 0x5FFFFFF; codes from 0x6000000 up are the loader's own for model-local `!COLOUR`s).
MAX_COLOUR_CODE = 0x5FFFFFF
#: The largest coordinate or matrix entry a file may use, in LDU (4,000 km): beyond that,
#: composed placements could overflow to infinity.
MAX_COORDINATE = 1e10

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """Lines as LDraw means them: split on CR LF, CR or LF only.  `str.splitlines` also
    splits on form feeds, U+0085 and other separators that may sit inside a comment, which
    would shift every later line number."""
    lines = _LINE_BREAK.split(text)
    if lines and not lines[-1]:
        lines.pop()
    return lines


def colour_code(token: str) -> int:
    """A colour code token (decimal, or 0x hex for direct colours) → int; ValueError when it
    is not a whole number in 0..MAX_COLOUR_CODE.  The one rule for colour codes: the bulk path
    (`valid_codes`) accepts exactly the same values."""
    _plain_number(token)
    if token[:2].lower() == "0x":
        code = int(token, 16)
    else:
        value = float(token)  # "4.0" and "4e0" are 4, as numpy's bulk reading sees them
        if not value.is_integer():
            raise ValueError(token)
        code = int(value)
    if not 0 <= code <= MAX_COLOUR_CODE:
        raise ValueError(token)
    return code


def valid_codes(values: np.ndarray) -> bool:
    """True when every value read in bulk is a colour code `colour_code` would accept."""
    return bool(((values >= 0) & (values <= MAX_COLOUR_CODE) & (values == np.floor(values))).all())


def valid_coordinates(values: np.ndarray) -> bool:
    """True when every coordinate or matrix entry is finite and within MAX_COORDINATE."""
    return bool(valid_coordinates_each(values).all())


def valid_coordinates_each(rows: np.ndarray) -> np.ndarray:
    """`valid_coordinates` of each row of (N, K) values: (N,) bool."""
    with np.errstate(invalid="ignore"):
        return (np.abs(rows) <= MAX_COORDINATE).all(axis=-1)  # False for NaN and inf too


@dataclass
class References:
    """The type-1 lines of a file, as parallel arrays."""

    names: list[str]
    lines: list[int]
    colour: np.ndarray  # (R,) int64
    matrix: np.ndarray  # (R, 4, 4) float64
    invert: np.ndarray  # (R,) bool: BFC INVERTNEXT preceded the line
    clip: np.ndarray  # (R,) bool: BFC CLIP state (False after NOCLIP)
    step: np.ndarray  # (R,) int32

    def take(self, index) -> References:
        """The references at `index` (positions), in that order."""
        index = np.asarray(index, np.int64)
        return References(
            [self.names[i] for i in index],
            [self.lines[i] for i in index],
            self.colour[index],
            self.matrix[index],
            self.invert[index],
            self.clip[index],
            self.step[index],
        )


@dataclass
class LDrawFile:
    """One parsed LDraw file (or one MPD block)."""

    name: str
    title: str = ""
    org_type: str = ""  # from `0 !LDRAW_ORG`: Part, Subpart, Primitive, Unofficial_Part, ...
    certified: bool = False
    refs: References | None = None
    triangles: np.ndarray = field(default_factory=lambda: np.zeros((0, 3, 3)))
    triangle_colours: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    triangle_clip: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    n_quads: int = 0
    # source line of each triangle / edge / conditional line (TEXMAP regions are line ranges)
    triangle_lines: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    edge_lines: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    cond_line_numbers: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    edges: np.ndarray = field(default_factory=lambda: np.zeros((0, 2, 3)))
    edge_colours: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    cond_lines: np.ndarray = field(default_factory=lambda: np.zeros((0, 4, 3)))
    cond_colours: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    # (line, `!COLOUR ...`), in order: a definition holds from its line on (flatten.py)
    colour_meta: list[tuple[int, str]] = field(default_factory=list)
    # (line, `!TEXMAP ...` or `!:`): a `0 !: <line>` is parsed as <line> and listed here too
    texmaps: list[tuple[int, str]] = field(default_factory=list)
    steps: int = 0
    # its `Author:` and `!LICENSE` lines (without the `0 `): an export keeps the attribution
    credits: list[str] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)  # (line, message)

    @property
    def is_part_by_header(self) -> bool:
        kind = self.org_type.lower().removeprefix("unofficial_")
        return kind in ("part", "shortcut")


@dataclass
class Block:
    """A block of an MPD file: a `0 FILE` model or part, or `0 !DATA` bytes."""

    name: str
    first_line: int  # 1-based line number of its first line in the container
    lines: list[str] | None = None
    data: bytes | None = None


def looks_binary(raw: bytes) -> bool:
    """Whether a file's bytes are binary data, not text: a NUL byte in its first 8 KiB."""
    return b"\0" in raw[:8192]


def decode_text(raw: bytes, path: str) -> str:
    """Bytes → text: UTF-8 (BOM or not), falling back line by line to Latin-1, or UTF-16 with
    its BOM (as Windows editors save "Unicode"); binary files are refused."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return _without_marks(raw.decode("utf-16"))
        except UnicodeDecodeError:
            raise ModelError(
                "not a text file: a UTF-16 mark, then bytes UTF-16 cannot hold",
                path=path,
                hint="save it again as UTF-8",
            ) from None
    if looks_binary(raw):
        utf16 = _utf16_without_mark(raw)
        if utf16 is not None:
            return utf16
        raise ModelError(
            "not a text file (binary data)", path=path, hint="give an LDraw .ldr, .mpd or .dat file"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:  # an old file, or files joined from two editors: line by line
        text = "\n".join(_decode_line(line) for line in raw.split(b"\n"))
    return _without_marks(text)


def _utf16_without_mark(raw: bytes) -> str | None:
    """The text of UTF-16 saved without its byte-order mark (some Windows tools): ASCII text
    with a NUL beside every character, after it (little-endian) or before it (big-endian);
    None for anything else."""
    head = raw[: min(len(raw), 4096) // 2 * 2]  # whole 2-byte characters
    for codec, zeros, text in (
        ("utf-16-le", head[1::2], head[0::2]),
        ("utf-16-be", head[0::2], head[1::2]),
    ):
        if zeros.count(0) >= 0.95 * len(zeros) and text.count(0) == 0:
            try:
                return _without_marks(raw.decode(codec))
            except UnicodeDecodeError:
                return None
    return None


def _without_marks(text: str) -> str:
    """`text` without byte-order marks: a file's own, and those left mid-file where files
    were joined (`copy /b a.ldr+b.ldr`), where one hid the line type of the line it starts."""
    return text.replace("\ufeff", "") if "\ufeff" in text else text


def _decode_line(raw: bytes) -> str:
    """One line of a file that is not all UTF-8: UTF-8 where it is (a file name), else
    Latin-1 (a comment's (c) sign saved by an old editor)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def split_blocks(text: str, notes: list[tuple[int, str]] | None = None) -> list[Block]:
    """Split MPD text into `0 FILE` / `0 !DATA` blocks; a plain file is one unnamed block.

    What the split leaves out is told in `notes` as (line number, warning): drawing lines
    that belong to no block (before the first `0 FILE`, after a `0 NOFILE`), which the MPD
    rules ignore, and `0 FILE` lines without a name (read as comments).  A file that draws
    before its first `0 FILE` line, and whose lines place none of its blocks, is a plain file
    whose `0 FILE ...` lines are comments ("0 File converted from LDD" in an .ldr), as LDView
    reads it."""
    lines = split_lines(text)
    blocks: list[Block] = []
    current: Block | None = None
    has_files = False
    stray: list[int] = []
    nameless: list[tuple[int, str]] = []
    drawn_first = False  # a drawing line before the first block
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if current is None and stripped[:1] in ("1", "2", "3", "4", "5"):
            stray.append(number)
            drawn_first = drawn_first or not has_files
        if stripped[:1] == "0":
            words = stripped.split(None, 2)
            head = words[1].upper() if len(words) > 1 else ""
            name = words[2].strip() if len(words) > 2 else ""
            if head in ("FILE", "!DATA") and not name:
                nameless.append(
                    (number, f"'0 {words[1]}' without a name is read as a comment; name the block")
                )
            elif head in ("FILE", "!DATA"):
                has_files = True
                current = Block(
                    name,
                    number + 1,
                    [] if head == "FILE" else None,
                    b"" if head == "!DATA" else None,
                )
                if head == "!DATA":
                    current.lines = []
                    current.data = b"\0"  # marker: decode below
                blocks.append(current)
                continue
            if head == "NOFILE":
                current = None
                continue
        if current is not None:
            current.lines.append(line)  # type: ignore[union-attr]
    if not has_files or (drawn_first and not _places_a_block(lines, blocks)):
        if notes is not None:
            notes.extend(nameless)
        return [Block("", 1, lines)]
    if notes is not None:
        if stray:
            more = f" (and {len(stray) - 1} more)" if len(stray) > 1 else ""
            notes.append(
                (
                    stray[0],
                    f"drawing line outside any '0 FILE' block is ignored{more}, as the MPD "
                    "rules say; move it into a '0 FILE' block",
                )
            )
        notes.extend(nameless)
    for block in blocks:
        if block.data is not None:
            block.data = _decode_data(block.lines or [])
            block.lines = None
    return blocks


def _places_a_block(lines: list[str], blocks: list[Block]) -> bool:
    """Whether some type-1 line of `lines` names one of the `blocks`."""
    names = {normalise(block.name) for block in blocks}
    for line in lines:
        stripped = line.strip()
        if stripped[:1] == "1":
            tokens = stripped.split(None, 14)
            if len(tokens) == 15 and normalise(tokens[14]) in names:
                return True
    return False


def _after_data_mark(line: str) -> str | None:
    """What follows `0 !:` on a stripped line (any spacing after the 0: a `!DATA` block's
    base64, or a TEXMAP's texture-only geometry line); None on any other line."""
    if line[:1] != "0":
        return None
    rest = line[1:].lstrip()
    return rest[2:].strip() if rest.startswith("!:") else None


def _decode_data(lines: list[str]) -> bytes:
    payload = []
    for line in lines:
        after = _after_data_mark(line.strip())
        if after is not None:
            payload.append(after)
    try:
        return base64.b64decode("".join(payload), validate=False)
    except (binascii.Error, ValueError):
        return b""


def _plain_number(token: str) -> None:
    """ValueError unless `token` is written as LDraw writes numbers: Python's own parsing also
    takes other scripts' digits ("１") and "1_000", which no other LDraw tool reads."""
    if not token.isascii() or "_" in token:
        raise ValueError(token)


def _float(token: str) -> float:
    _plain_number(token)
    value = float(token)
    if not math.isfinite(value) or abs(value) > MAX_COORDINATE:
        raise ValueError(token)
    return value


@dataclass
class _Bfc:
    """The BFC state while a file is read (LDraw's BFC extension)."""

    certify: bool | None = None  # None: no BFC statement seen before the first drawing line
    cw: bool = False
    clip: bool = True
    invert_next: bool = False

    def statement(self, options: list[str], drawn: bool) -> None:
        """Apply a `0 BFC ...` line's (upper-cased) options."""
        if "NOCERTIFY" in options:
            self.certify = False
        elif "CERTIFY" in options:
            if self.certify is None and not drawn:
                self.certify = True
            self.cw = "CW" in options
        else:
            if "CW" in options:
                self.cw = True
            if "CCW" in options:
                self.cw = False
        if "INVERTNEXT" in options:
            self.invert_next = True
        if "NOCLIP" in options:
            self.clip = False
        elif "CLIP" in options:
            self.clip = True


def _meta(result: LDrawFile, upper: str, rest: str, body: str, number: int) -> None:
    """A meta line other than BFC: steps, the part type, colours, TEXMAP, the MPD name."""
    if upper in ("STEP", "ROTSTEP"):  # MLCad's ROTSTEP ends a step and turns the view
        result.steps += 1
    elif upper == "!LDRAW_ORG":
        result.org_type = rest.split()[0] if rest.split() else ""
    elif upper == "!COLOUR":
        result.colour_meta.append((number, body))
    elif upper == "!TEXMAP":
        result.texmaps.append((number, body))
    elif upper == "NAME:" and not result.name:
        result.name = rest.strip()
    elif upper in ("AUTHOR:", "!LICENSE"):
        result.credits.append(body)


#: Meta commands that can open a file and are not its title line: LDraw's, and editors'
#: (MLCad, LPub, LDCad, LSynth) that some files start with.
_NOT_A_TITLE = frozenset(
    {"BFC", "NAME:", "AUTHOR:", "FILE", "NOFILE", "STEP", "ROTSTEP", "MLCAD", "LPUB", "LDCAD",
     "GHOST", "BUFEXCHG", "SYNTH", "PE_TEX_PATH", "PE_TEX_INFO"}
)  # fmt: skip


def parse_lines(lines: list[str], name: str, first_line: int = 1) -> LDrawFile:
    """Parse the lines of one file (or MPD block) into an `LDrawFile`."""
    result = LDrawFile(name)
    problems = result.warnings

    # Drawing lines collected as text per type, with per-line state for BFC.
    drawing: dict[str, list[str]] = {"2": [], "3": [], "4": [], "5": []}
    drawing_no: dict[str, list[int]] = {"2": [], "3": [], "4": [], "5": []}
    drawing_cw: dict[str, list[bool]] = {"3": [], "4": []}
    drawing_clip: dict[str, list[bool]] = {"3": [], "4": []}
    ref_text: list[str] = []
    ref_names: list[str] = []
    ref_lines: list[int] = []
    ref_invert: list[bool] = []
    ref_clip: list[bool] = []
    ref_step: list[int] = []

    bfc = _Bfc()
    drawn = False
    title_seen = False

    for offset, raw in enumerate(lines):
        line = raw.strip()
        if not line:
            continue
        kind = line[0]
        number = first_line + offset
        after = _after_data_mark(line) if kind == "0" else None
        if after is not None:
            result.texmaps.append((number, "!:"))  # texture-only geometry (see ldraw/texmap.py)
            line = after
            if not line:
                continue
            kind = line[0]
        if kind in "345" or kind == "2":
            if len(line) > 1 and line[1] not in " \t":
                problems.append((number, f"unknown line type '{line.split()[0]}'"))
                continue
            drawn = True
            bfc.invert_next = False  # a drawing line uses it up, as LDView reads it
            drawing[kind].append(line)
            drawing_no[kind].append(number)
            if kind in "34":
                drawing_cw[kind].append(bfc.cw)
                drawing_clip[kind].append(bfc.clip)
            continue
        if kind == "1" and (len(line) == 1 or line[1] in " \t"):
            drawn = True
            tokens = line.split(None, 14)
            if len(tokens) < 15 or not tokens[14].strip():
                problems.append((number, "type-1 line needs a colour, 12 numbers and a file name"))
                bfc.invert_next = False
                continue
            ref_text.append(" ".join(tokens[1:14]))
            ref_names.append(tokens[14].strip())
            ref_lines.append(number)
            ref_invert.append(bfc.invert_next)
            ref_clip.append(bfc.clip)
            ref_step.append(result.steps)
            bfc.invert_next = False
            continue
        if kind != "0":
            continue  # unknown line types are ignored, as the spec says
        # -- meta and comment lines ---------------------------------------------------------
        body = line[1:].strip()
        word, _, rest = body.partition(" ")
        upper = word.upper()
        if not title_seen and not drawn:  # the header's first comment that is no meta line
            editor_rotation = upper == "ROTATION" and rest.upper().startswith(("CONFIG", "CENTER"))
            if not (upper.startswith("!") or upper in _NOT_A_TITLE or editor_rotation):
                title_seen = True
                result.title = body
                continue
        if upper == "BFC":
            bfc.statement(rest.upper().split(), drawn)
        else:
            _meta(result, upper, rest, body, number)
    result.certified = bool(bfc.certify)

    _fill_drawing(result, drawing, drawing_no, drawing_cw, drawing_clip)
    result.refs = _references(
        ref_text, ref_names, ref_lines, ref_invert, ref_clip, ref_step, problems
    )
    return result


def _fromstring(text: str) -> np.ndarray | None:
    """Whitespace-separated numbers, or None when some token is not a number."""
    with warnings.catch_warnings():
        # numpy < 2.3 warns and stops early on a bad token; newer numpy raises ValueError.
        warnings.simplefilter("error", DeprecationWarning)
        try:
            return np.fromstring(text, sep=" ")
        except (ValueError, DeprecationWarning):
            return None


def _bulk_numbers(lines: list[str], kind: int) -> np.ndarray | None:
    """All numbers of `lines` as a (n, 2 + count) array, or None if any line is malformed."""
    width = 2 + _NUMBERS[kind]
    if not lines:
        return np.zeros((0, width))
    # A NaN after each line marks where it ends: a line one number short beside one with a
    # number too many would otherwise add up to the right count, shifted.
    joined = " nan ".join(lines) + " nan"
    if "0x" in joined or "0X" in joined:
        return None
    values = _fromstring(joined)
    if values is None:
        return None
    if values.size != (width + 1) * len(lines):
        return None
    values = values.reshape(len(lines), width + 1)
    if not np.isnan(values[:, width]).all():
        return None
    values = values[:, :width]
    if not (values[:, 0] == kind).all() or not valid_codes(values[:, 1]):
        return None
    if not valid_coordinates(values[:, 2:]):
        return None
    return values


def _line_by_line(
    lines: list[str], numbers: list[int], kind: int, problems: list[tuple[int, str]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validating slow path: returns (colours, coordinates, kept-mask) and records warnings."""
    count = _NUMBERS[kind]
    colours, coords, kept = [], [], []
    for line, number in zip(lines, numbers):
        tokens = line.split()
        if len(tokens) < count + 2:
            problems.append(
                (
                    number,
                    f"type-{kind} line needs a colour and {count} numbers, found "
                    + ("no colour" if len(tokens) < 2 else f"{len(tokens) - 2}")
                    + "; it is left out",
                )
            )
            kept.append(False)
            continue
        try:
            colour = colour_code(tokens[1])
            values = [_float(t) for t in tokens[2 : 2 + count]]
        except ValueError:
            problems.append((number, f"type-{kind} line {_bad_value(tokens[1 : 2 + count])}"))
            kept.append(False)
            continue
        colours.append(colour)
        coords.append(values)
        kept.append(True)
    return (
        np.array(colours, np.int64),
        np.array(coords, np.float64).reshape(-1, count),
        np.array(kept, bool),
    )


def _bad_value(tokens: list[str]) -> str:
    """What is wrong with a drawing line's colour-and-numbers tokens, for its warning."""
    try:
        colour_code(tokens[0])
    except ValueError:
        return (
            f"has colour {tokens[0][:20]!r}: a colour code is a whole number "
            f"from 0 to {MAX_COLOUR_CODE} (0x{MAX_COLOUR_CODE:X})"
        )
    for token in tokens[1:]:
        try:
            _float(token)
        except ValueError:
            return (
                f"has {token[:20]!r} where a number is expected "
                f"(finite, at most {MAX_COORDINATE:g} LDU)"
            )
    return "is malformed"


def _drawing_arrays(
    lines: list[str], numbers: list[int], kind: int, problems: list[tuple[int, str]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    bulk = _bulk_numbers(lines, kind)
    if bulk is not None:
        return bulk[:, 1].astype(np.int64), bulk[:, 2:], np.ones(len(lines), bool)
    return _line_by_line(lines, numbers, kind, problems)


def _facing(corners: np.ndarray, one: tuple, two: tuple) -> np.ndarray:
    """Whether the triangles of corners `one` and `two` of each quad (N, 4, 3) face alike (the
    dot product of their normals is not negative), by Binet-Cauchy:
    (u x v) . (w x z) = (u . w)(v . z) - (u . z)(v . w)."""
    u = corners[:, one[1]] - corners[:, one[0]]
    v = corners[:, one[2]] - corners[:, one[0]]
    w = corners[:, two[1]] - corners[:, two[0]]
    z = corners[:, two[2]] - corners[:, two[0]]

    def dot(x, y):
        return np.einsum("ij,ij->i", x, y)

    return dot(u, w) * dot(v, z) - dot(u, z) * dot(v, w) >= 0


def split_quads(quads: np.ndarray) -> np.ndarray:
    """(N, 4, 3) quads → (2N, 3, 3) triangles: every quad's first triangle, then every second.

    A quad (a, b, c, d) is split along a-c: (a, b, c) and (a, c, d).  The spec asks for convex
    quads, but files hold others, drawn as LDView does: a concave one (an arrowhead, its
    halves along a-c facing opposite ways) is split along b-d instead, (a, b, d) and
    (b, c, d), which keeps its shape; a bow-tie (two of its edges cross, so neither diagonal
    splits it) is drawn as the convex quad of its corners, (a, b, d, c) or (a, c, b, d).
    """
    first, second = quads[:, [0, 1, 2]], quads[:, [0, 2, 3]]
    if not len(quads):
        return np.concatenate([first, second])
    corners = quads.astype(np.float64)
    bad = ~_facing(corners, (0, 1, 2), (0, 2, 3))
    if bad.any():
        q = corners[bad]
        concave, abdc = _facing(q, (0, 1, 3), (1, 2, 3)), _facing(q, (0, 1, 3), (0, 3, 2))
        # Corner orders of the two halves: concave, bow-tie (a, b, d, c), bow-tie (a, c, b, d).
        orders = np.array([[[0, 1, 3], [1, 2, 3]], [[0, 1, 3], [0, 3, 2]], [[0, 2, 1], [0, 1, 3]]])
        order = orders[np.where(concave, 0, np.where(abdc, 1, 2))]
        halves = quads[bad][np.arange(len(order))[:, None, None], order]  # (M, 2, 3, 3)
        first, second = first.copy(), second.copy()
        first[bad], second[bad] = halves[:, 0], halves[:, 1]
    return np.concatenate([first, second])


def _fill_drawing(result: LDrawFile, drawing, drawing_no, drawing_cw, drawing_clip) -> None:
    problems = result.warnings
    tri_parts, colour_parts, clip_parts, cw_parts, line_parts = [], [], [], [], []
    for kind_text, kind in (("3", 3), ("4", 4)):
        colours, coords, kept = _drawing_arrays(
            drawing[kind_text], drawing_no[kind_text], kind, problems
        )
        cw = np.array(drawing_cw[kind_text], bool)[kept]
        clip = np.array(drawing_clip[kind_text], bool)[kept]
        numbers = np.array(drawing_no[kind_text], np.int64)[kept]
        points = coords.reshape(-1, kind, 3)
        if kind == 4:
            result.n_quads = len(points)
            points = split_quads(points)
            colours, cw, clip, numbers = (
                np.concatenate([a, a]) for a in (colours, cw, clip, numbers)
            )
        tri_parts.append(points)
        line_parts.append(numbers)
        colour_parts.append(colours)
        clip_parts.append(clip)
        cw_parts.append(cw)
    triangles = np.concatenate(tri_parts)
    cw = np.concatenate(cw_parts)
    if cw.any():  # CW-wound lines are turned counter-clockwise
        triangles[cw] = triangles[cw][:, [0, 2, 1]]
    result.triangles = triangles
    result.triangle_colours = np.concatenate(colour_parts)
    result.triangle_clip = np.concatenate(clip_parts)
    result.triangle_lines = np.concatenate(line_parts)

    colours, coords, kept = _drawing_arrays(drawing["2"], drawing_no["2"], 2, problems)
    result.edges, result.edge_colours = coords.reshape(-1, 2, 3), colours
    result.edge_lines = np.array(drawing_no["2"], np.int64)[kept]
    colours, coords, kept = _drawing_arrays(drawing["5"], drawing_no["5"], 5, problems)
    result.cond_lines, result.cond_colours = coords.reshape(-1, 4, 3), colours
    result.cond_line_numbers = np.array(drawing_no["5"], np.int64)[kept]


def _references(
    text: list[str],
    names: list[str],
    lines: list[int],
    invert: list[bool],
    clip: list[bool],
    step: list[int],
    problems: list[tuple[int, str]],
) -> References:
    count = len(text)
    values = None
    if count:
        joined = " ".join(text)
        if "0x" not in joined and "0X" not in joined:
            flat = _fromstring(joined)
            if flat is not None and flat.size == 13 * count:
                flat = flat.reshape(count, 13)
                if valid_codes(flat[:, 0]) and valid_coordinates(flat[:, 1:]):
                    values = flat
    keep = np.ones(count, bool)
    colours = np.zeros(count, np.int64)
    if values is None:
        values = np.zeros((count, 13))
        for i, (line, number) in enumerate(zip(text, lines)):
            tokens = line.split()
            try:
                colours[i] = colour_code(tokens[0])
                values[i, 1:] = [_float(t) for t in tokens[1:13]]
            except (ValueError, IndexError):
                problems.append((number, f"type-1 line {_bad_value(tokens[:13])}"))
                keep[i] = False
    else:
        colours = values[:, 0].astype(np.int64)
    matrix = np.zeros((count, 4, 4))
    matrix[:, :3, :3] = values[:, 4:13].reshape(count, 3, 3)
    matrix[:, :3, 3] = values[:, 1:4]
    matrix[:, 3, 3] = 1.0
    zero = keep & ~matrix[:, :3, :3].reshape(count, 9).any(axis=1)
    for i in np.flatnonzero(zero):
        problems.append((lines[i], f"type-1 line for '{names[i]}' has an all-zero matrix"))
    keep &= ~zero
    index = np.flatnonzero(keep)
    return References(
        names=[names[i] for i in index],
        lines=[lines[i] for i in index],
        colour=colours[index],
        matrix=matrix[index],
        invert=np.array(invert, bool)[index] if count else np.zeros(0, bool),
        clip=np.array(clip, bool)[index] if count else np.zeros(0, bool),
        step=np.array(step, np.int32)[index] if count else np.zeros(0, np.int32),
    )
