"""The LDraw parser on small handwritten files: lines, blocks, codes, drawing lines, BFC."""

from __future__ import annotations

import numpy as np
import pytest

from ldscene.ldraw.parser import colour_code, parse_lines, split_blocks, split_lines

pytestmark = pytest.mark.unit

PART = """0 A test brick
0 Name: test.dat
0 !LDRAW_ORG Part UNOFFICIAL
0 BFC CERTIFY CCW
1 16 0 0 0 1 0 0 0 1 0 0 0 1 stud.dat
0 BFC INVERTNEXT
1 4 0 -4 0 1 0 0 0 1 0 0 0 1 box5.dat
2 24 0 0 0 10 0 0
3 16 0 0 0 10 0 0 0 0 10
4 0x2FF8000 0 0 0 10 0 0 10 0 10 0 0 10
5 24 0 0 0 0 -4 0 1 0 0 -1 0 0
"""


def test_lines_split_on_cr_lf_only() -> None:
    assert split_lines("a\r\nb\rc\nd\x0ce\u0085f\n") == ["a", "b", "c", "d\x0ce\u0085f"]
    assert split_lines("") == []


@pytest.mark.parametrize(
    ("token", "code"), [("4", 4), ("4.0", 4), ("4e0", 4), ("0x2FF8000", 0x2FF8000)]
)
def test_colour_codes_that_read(token: str, code: int) -> None:
    assert colour_code(token) == code


@pytest.mark.parametrize("token", ["-1", "4.5", "0x6000000", "nan", "inf"])
def test_colour_codes_that_do_not(token: str) -> None:
    with pytest.raises(ValueError):
        colour_code(token)


def test_a_small_part_is_read_whole() -> None:
    part = parse_lines(split_lines(PART), "test.dat")
    assert part.title == "A test brick" and part.is_part_by_header and part.certified
    assert part.refs is not None
    assert part.refs.names == ["stud.dat", "box5.dat"] and part.refs.lines == [5, 7]
    assert part.refs.colour.tolist() == [16, 4]
    assert part.refs.invert.tolist() == [False, True]
    assert part.refs.matrix[1][:3, 3].tolist() == [0.0, -4.0, 0.0]
    assert part.edges.shape == (1, 2, 3) and part.edge_colours.tolist() == [24]
    # one triangle and one quad (two triangles)
    assert part.triangles.shape == (3, 3, 3) and part.n_quads == 1
    assert part.triangle_colours.tolist() == [16, 0x2FF8000, 0x2FF8000]
    assert part.triangle_lines.tolist() == [9, 10, 10]
    assert part.cond_lines.shape == (1, 4, 3) and part.cond_colours.tolist() == [24]
    assert part.warnings == []


@pytest.mark.parametrize(
    "first, title",
    [
        ("0 Steps of the temple", "Steps of the temple"),  # was taken for a STEP
        ("0 Filet stand", "Filet stand"),
        ("0 STEP", ""),
        ("0 BFC CERTIFY CCW", ""),
        ("0 !LDRAW_ORG Part", ""),
        ("0 Name: x.ldr", ""),
        ("0 ROTATION CONFIG 0 0", ""),  # LDCad's, first in the Crocodile Cage
        ("0 Rotation station", "Rotation station"),
        ("0 MLCAD HIDE 1 0 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat", ""),
    ],
)
def test_the_first_line_is_the_title_unless_it_is_a_meta_command(first: str, title: str) -> None:
    assert parse_lines([first, "1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat"], "x.ldr").title == title


def test_mpd_blocks_know_where_their_lines_start_and_stray_lines_are_reported() -> None:
    text = (
        "3 16 0 0 0 1 0 0 0 1 0\n"
        "0 FILE main.ldr\n"
        "1 16 0 0 0 1 0 0 0 1 0 0 0 1 sub.ldr\n"
        "0 NOFILE\n"
        "0 FILE sub.ldr\n"
        "2 24 0 0 0 1 1 1\n"
    )
    notes: list[tuple[int, str]] = []
    blocks = split_blocks(text, notes)
    assert [(b.name, b.first_line) for b in blocks] == [
        ("main.ldr", 3),
        ("sub.ldr", 6),
    ]  # after `0 FILE`
    assert [number for number, _ in notes] == [1]
    assert "outside any '0 FILE' block is ignored" in notes[0][1]
    assert split_blocks("1 16 0 0 0 1 0 0 0 1 0 0 0 1 a.dat\n")[0].first_line == 1


def test_a_bad_drawing_line_is_a_warning_with_its_line_and_the_rest_is_kept() -> None:
    lines = split_lines("3 16 0 0 0 1 0 0 0 1 0\n3 16 0 0 nan 1 0 0 0 1 0\n2 24 0 0 0 1 1 1\n")
    result = parse_lines(lines, "bad.dat")
    assert len(result.triangles) == 1 and len(result.edges) == 1
    assert [line for line, _ in result.warnings] == [2]
    assert np.isfinite(result.triangles).all()


@pytest.mark.parametrize(
    ("corners", "area"),
    [
        ("0 0 0 20 0 0 20 0 20 0 0 20", 400.0),  # convex: split along a-c as ever
        ("0 0 0 40 0 20 0 0 40 10 0 20", 600.0),  # an arrowhead, its reflex corner last
        ("10 0 20 0 0 0 40 0 20 0 0 40", 600.0),  # the same, its reflex corner first
        ("0 0 0 20 0 0 0 0 20 20 0 20", 400.0),  # a bow-tie: edges b-c and d-a cross
        ("0 0 0 20 0 20 20 0 0 0 0 20", 400.0),  # a bow-tie: edges a-b and c-d cross
    ],
)
def test_quads_keep_their_shape_concave_or_bow_tie(corners: str, area: float) -> None:
    """Out-of-spec quads are drawn as LDView draws them: an arrowhead keeps its notch, a
    bow-tie becomes the square of its corners; both halves face the same way."""
    parsed = parse_lines(["0 BFC CERTIFY CCW", f"4 16 {corners}"], "q.dat")
    tris = parsed.triangles.astype(np.float64)
    normals = np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0])
    assert np.allclose(np.abs(normals[:, 1]) / 2, [area / 2, area / 2])
    assert normals[0, 1] * normals[1, 1] > 0
    assert parsed.n_quads == 1 and parsed.triangle_lines.tolist() == [2, 2]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-16-le"])
def test_utf16_with_its_mark_is_read(encoding: str) -> None:
    """Windows editors save "Unicode" as UTF-16 with a byte-order mark: it was refused as
    binary data."""
    from ldscene.ldraw.parser import decode_text

    text = "0 Ünïcode\r\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\r\n"
    raw = text.encode(encoding)
    if encoding != "utf-16":  # these codecs write no mark of their own
        raw = "\ufeff".encode(encoding) + raw
    assert decode_text(raw, "m.ldr") == text


@pytest.mark.parametrize("token", ["\uff10", "1_0", "\u0661"])
def test_numbers_are_written_as_ldraw_writes_them(token: str) -> None:
    """Python's float() reads fullwidth and Arabic-Indic digits and '1_0'; LDraw tools do not,
    and numpy's bulk path did not either: such a line is dropped with a warning, on every
    line type and for colour codes too."""
    parsed = parse_lines(
        [
            f"1 4 {token} 0 0 1 0 0 0 1 0 0 0 1 3001.dat",
            f"3 4 {token} 0 0 1 0 0 0 1 0",
            f"2 {token} 0 0 0 1 0 0",
            "3 4 0 0 0 1 0 0 0 1 0",
        ],
        "m.ldr",
    )
    assert len(parsed.refs.names) == 0 and len(parsed.triangles) == 1 and len(parsed.edges) == 0
    assert sorted(number for number, _ in parsed.warnings) == [1, 2, 3]
