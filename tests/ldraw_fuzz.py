"""Mutated LDraw files for fuzzing the LDraw reader (tests/test_fuzz_ldraw.py and
benchmarks/fuzz_ldraw.py).

Seeds are real files: library parts, sub-parts, primitives and textured stickers, and small
official models (OMR).  A case is one seed with one to four mutations: truncation, a token
replaced by a hostile value (huge, non-finite, fractional, hex, empty, odd characters), lines
inserted (drawing lines with random token counts, BFC, `!COLOUR`, `FILE`/`NOFILE`, `!TEXMAP`,
`!:`, `!DATA`), lines deleted, duplicated or swapped, bytes that break the encoding, and MPD
references that recurse, nest deeply or fan out.  The promise checked for every case: a model
(whose `info --json` is strict JSON) or one `LdsceneError` line, within a time bound.
"""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import strategies as st

from ldscene.ldraw.library import Library
from ldscene.ldraw.loader import load_model
from ldscene.ldraw.stats import model_stats

OMR = Path(__file__).resolve().parents[2] / "shared" / "models" / "omr"
LIBRARY_SEEDS = (
    "parts/3001.dat",
    "parts/3626bp01.dat",
    "parts/s/3001s01.dat",
    "parts/13710a.dat",
    "parts/003441a.dat",
    "parts/3039.dat",
    "p/stud.dat",
    "p/4-4cyli.dat",
    "p/4-4edge.dat",
)
OMR_SEEDS = ("1180-1 - Space Port.mpd", "6814-1 - Ice Tunnelator.mpd", "6246 - Crocodile Cage.mpd")

HOSTILE_VALUES = (
    "99999999999999999999",
    "-99999999999999999999",
    "9223372036854775808",
    "1e400",
    "-1e400",
    "1e308",
    "1e300",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "4.9",
    "-1",
    "0x",
    "0xFFFFFFFFFFFFFFFFFFFF",
    "0x2FF0000",
    "--5",
    "",
    "1_000",
    "١٢",  # Arabic-Indic digits: int() accepts them
    "\u00a0",
    "\x0c",
    "\x85",
    "#zz",
    "16" * 200,
    "../../../../etc/passwd",
    "/etc/passwd",
    "C:\\x.dat",
)

INSERTED_LINES = (
    "0 BFC INVERTNEXT",
    "0 BFC CERTIFY CW",
    "0 BFC NOCLIP",
    "0 BFC CLIP",
    "0 BFC CCW",
    "0 BFC NOCERTIFY",
    "0 STEP",
    "0 NOFILE",
    "0 FILE",
    "0 FILE sub.ldr",
    "0 !DATA img.png",
    "0 !: iVBORw0KGgo=",
    "0 !: 3 16 0 0 0 1 0 0 0 1 0",
    "0 !: ",
    "0 !COLOUR X CODE 5000 VALUE #123456 EDGE --5",
    "0 !COLOUR X CODE 4.9 VALUE #12 EDGE",
    "0 !COLOUR X CODE 99999999999999999999 VALUE #123456 EDGE 99999999999999999999",
    "0 !COLOUR X CODE 16 VALUE #123456 EDGE 16 ALPHA 1e9 MATERIAL GLITTER VALUE #FFFFFF",
    "0 !TEXMAP START PLANAR 0 0 0 1 0 0 0 1 0 img.png",
    "0 !TEXMAP NEXT CYLINDRICAL 0 0 0 0 1 0 1 0 0 nan img.png",
    "0 !TEXMAP START SPHERICAL 0 0 0 0 0 0 0 0 0 0 0 ../x.png",
    "0 !TEXMAP FALLBACK",
    "0 !TEXMAP END",
    "0 !LDRAW_ORG Part",
    "0 !LDRAW_ORG Primitive",
    "1 16 0 0 0 1 0 0 0 1 0 0 0 1 sub.ldr",
    "1 16 0 0 0 0 0 0 0 0 0 0 0 0 3001.dat",
    "1 16 0 0 0 -1 0 0 0 1 0 0 0 1 3001.dat",
    "1 16 0 0 0 1e200 0 0 0 1e200 0 0 0 1e200 sub.ldr",
    "1 16 0 0 0 1 0 0 0 1 0 0 0 1",
    "1 16 0 0 0 1 0 0 0 1 0 0 0 1 missing-part.dat",
    "1 16 0 0 0 1 0 0 0 1 0 0 0 1 ../../../../etc/passwd",
    "2 24 0 0 0 1 1 1",
    "3 16 0 0 0 1 0 0 0 1 0",
    "4 16 0 0 0 1 0 0 1 1 0 0 1 0",
    "5 24 0 0 0 1 0 0 0 1 0 1 1 0",
    "6 16 0 0 0",
    "1",
    "3",
)

ENCODING_BREAKS = (b"\xff", b"\xc3(", b"\x85", b"\x0c", b"\r", b"\xef\xbb\xbf", b"\x1a", b"\x00")


def _read_seed(library: Library, rel: str) -> str:
    return library.read(rel).decode("utf-8", "replace") if rel in library.index else ""


def seed_files(library: Library) -> list[str]:
    """Real LDraw texts to mutate (library files by index key, small OMR models)."""
    seeds = [_read_seed(library, rel) for rel in LIBRARY_SEEDS]
    seeds += [
        (OMR / name).read_text("utf-8", "replace") for name in OMR_SEEDS if (OMR / name).exists()
    ]
    return [seed for seed in seeds if seed]


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").split("\n")


@st.composite
def _mutate(draw, text: str) -> str:
    lines = _lines(text)
    kind = draw(
        st.sampled_from(
            [
                "token",
                "insert",
                "delete",
                "duplicate",
                "swap",
                "truncate",
                "recurse",
                "fan",
                "random",
            ]
        )
    )
    at = draw(st.integers(0, max(len(lines) - 1, 0)))
    if kind == "token" and lines[at].split():
        tokens = lines[at].split()
        index = draw(st.integers(0, len(tokens) - 1))
        tokens[index] = draw(st.sampled_from(HOSTILE_VALUES) | st.text(max_size=8))
        lines[at] = " ".join(tokens)
    elif kind == "insert":
        lines.insert(at, draw(st.sampled_from(INSERTED_LINES)))
    elif kind == "delete" and lines:
        del lines[at : at + draw(st.integers(1, 5))]
    elif kind == "duplicate" and lines:
        lines[at:at] = lines[at : at + 1] * draw(st.integers(1, 50))
    elif kind == "swap" and len(lines) > 1:
        other = draw(st.integers(0, len(lines) - 1))
        lines[at], lines[other] = lines[other], lines[at]
    elif kind == "truncate":
        return "\n".join(lines)[: draw(st.integers(0, len(text)))]
    elif kind == "recurse":  # a block that references itself, or a cycle of two
        lines = [
            "0 FILE a.ldr",
            "1 16 0 0 0 1 0 0 0 1 0 0 0 1 b.ldr",
            *lines,
            "0 FILE b.ldr",
            "1 16 0 0 0 1 0 0 0 1 0 0 0 1 " + draw(st.sampled_from(["a.ldr", "b.ldr"])),
        ]
    elif kind == "fan":  # deep or wide nesting of sub-models
        depth, fan = draw(st.integers(1, 60)), draw(st.integers(1, 12))
        for level in range(depth):
            child = f"n{level + 1}.ldr" if level < depth - 1 else "3001.dat"
            lines += [f"0 FILE n{level}.ldr"]
            lines += [f"1 16 {i} 0 0 1 0 0 0 1 0 0 0 1 {child}" for i in range(fan)]
        lines = ["0 FILE top.ldr", "1 16 0 0 0 1 0 0 0 1 0 0 0 1 n0.ldr", *lines]
    elif kind == "random":
        width = draw(st.integers(0, 20))
        head = draw(st.sampled_from(["0", "1", "2", "3", "4", "5"]))
        words = draw(
            st.lists(
                st.sampled_from(HOSTILE_VALUES + ("0", "1", "16", "24")),
                min_size=width,
                max_size=width,
            )
        )
        lines.insert(at, " ".join([head, *words]))
    return "\n".join(lines)


@st.composite
def ldraw_cases(draw, seeds: list[str]) -> tuple[str, bytes]:
    """(file suffix, bytes) of a mutated seed."""
    text = draw(st.sampled_from(seeds))
    for _ in range(draw(st.integers(1, 4))):
        text = draw(_mutate(text))
    data = text.encode("utf-8")
    if draw(st.integers(0, 9)) == 0:  # an encoding break somewhere
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from(ENCODING_BREAKS)) + data[at:]
    elif draw(st.integers(0, 29)) == 0:
        data = text.encode(draw(st.sampled_from(["utf-16", "latin-1", "cp1252"])), "replace")
    if draw(st.booleans()):
        data = data.replace(b"\n", b"\r\n")
    suffix = draw(st.sampled_from([".ldr", ".mpd", ".dat"]))
    return suffix, data


def read_model(library: Library, use_cache: bool = True):
    """The reader under test: load, then the numbers `info --json` prints, as strict JSON."""

    def read(path: Path) -> str:
        model = load_model(path, library=library, use_cache=use_cache)
        return json.dumps(model_stats(model), allow_nan=False)

    return read
