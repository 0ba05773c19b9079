"""The one LDraw colour-inheritance rule (`ldraw.colours`), at unit level: no library needed."""

from __future__ import annotations

import numpy as np
import pytest

from ldscene.ldraw.colours import (
    DIRECT_COLOUR,
    PRIVATE_COLOUR_BASE,
    ColourTable,
    direct_code,
    edge_code,
    is_direct,
    parse_colour_line,
    resolve_codes,
)

pytestmark = pytest.mark.unit

CODES = np.array([16, 24, 4, 0x2FF8000], np.int32)


def test_placed_in_a_concrete_colour_16_takes_it_and_24_its_edge() -> None:
    assert resolve_codes(CODES, 2).tolist() == [2, -3, 4, 0x2FF8000]


def test_placed_in_16_the_codes_pass_through_unchanged_and_uncopied() -> None:
    out = resolve_codes(CODES, 16)
    assert out.tolist() == CODES.tolist()
    assert not out.flags.writeable  # a view: callers cannot change a part's geometry by it


def test_placed_in_24_both_become_the_inherited_edge_colour() -> None:
    # 16 -> "the edge colour of what this is placed in" (24); 24 -> the edge of an edge: itself
    assert resolve_codes(CODES, 24).tolist() == [24, 24, 4, 0x2FF8000]


def test_an_encoded_edge_colour_is_its_own_edge() -> None:
    assert resolve_codes(CODES, -5).tolist() == [-5, -5, 4, 0x2FF8000]
    assert edge_code(np.array([16, 24, -5, 7])).tolist() == [24, 24, -5, -8]


@pytest.mark.parametrize("outer", [16, 24, 1, 71, 0x2123456])
@pytest.mark.parametrize("inner", [16, 24, 4])
def test_two_steps_give_what_one_step_gives(inner: int, outer: int) -> None:
    """A sub-file placed in `inner` inside a part placed in `outer` (expansion, then meshing)
    resolves like the sub-file placed directly in `inner` resolved against `outer`."""
    two_steps = resolve_codes(resolve_codes(CODES, inner), outer)
    once = resolve_codes(CODES, int(resolve_codes(np.array([inner]), outer)[0]))
    assert two_steps.tolist() == once.tolist()


def test_codes_and_colours_broadcast_as_expansion_uses_them() -> None:
    colours = np.array([[16], [4], [24]])
    out = resolve_codes(np.array([[16, 24, 1]]), colours)
    assert out.tolist() == [[16, 24, 1], [4, -5, 1], [24, 24, 1]]


def test_direct_colours() -> None:
    assert direct_code("ff8000") == DIRECT_COLOUR + 0xFF8000 == 0x2FF8000
    assert is_direct(0x2000000) and is_direct(0x5FFFFFF)
    assert not is_direct(0x1FFFFFF) and not is_direct(0x6000000) and not is_direct(-1)
    table = ColourTable()
    assert table.get(0x2FF8000).rgb == (1.0, 128 / 255, 0.0)
    assert 0x2FF8000 in table and 12345 not in table


def test_the_edge_code_reads_back_as_the_edge_colour() -> None:
    table = ColourTable()
    table.add_meta("!COLOUR Red CODE 4 VALUE #C91A09 EDGE #333333")
    red = parse_colour_line("!COLOUR Red CODE 4 VALUE #C91A09 EDGE #333333")
    assert red is not None
    code = int(resolve_codes(np.array([24]), 4)[0])
    assert table.get(code).rgb == red.edge_rgb == (0.2, 0.2, 0.2)
    assert table.get(int(resolve_codes(np.array([16]), 4)[0])).rgb == red.rgb


def test_a_models_own_colour_is_drawn_through_a_private_code() -> None:
    """A file's `!COLOUR` that LDConfig holds as it is keeps its code; any other definition
    (a clash, or a code LDConfig lacks) gets a private code, the same for the same definition,
    that reads back as the code the file wrote."""
    table = ColourTable()
    table.add_meta("!COLOUR Red CODE 4 VALUE #C91A09 EDGE #333333")
    pink = parse_colour_line("!COLOUR Pink CODE 4 VALUE #FF00FF EDGE #000000", table)
    red = parse_colour_line("!COLOUR Red CODE 4 VALUE #C91A09 EDGE #333333", table)
    green = parse_colour_line("!COLOUR Green CODE 900 VALUE #00FF00 EDGE #000000", table)
    assert pink is not None and red is not None and green is not None
    assert table.define(red) == 4
    private, new = table.define(pink), table.define(green)
    assert private >= PRIVATE_COLOUR_BASE and new >= PRIVATE_COLOUR_BASE and private != new
    assert table.define(pink) == private  # the same definition again
    assert table.get(4).name == "Red" and table.get(private).name == "Pink"
    assert 900 not in table  # outside the file that defines it, 900 means nothing
    assert table.written_code(private) == 4 and table.written_code(new) == 900
    assert table.written_code(4) == 4


def test_direct_colours_read_as_ldview_reads_them():
    """0x2RRGGBB solid and 0x3RRGGBB transparent; 0x4RGBRGB averages two 12-bit colours,
    solid; 0x5RGBxxx is its first colour, transparent (forums.ldraw.org thread 12516)."""
    from ldscene.ldraw.colours import ColourTable

    table = ColourTable()
    solid, clear = table.get(0x2FF8000), table.get(0x3FF00FF)
    assert solid.rgb == pytest.approx((1.0, 128 / 255, 0.0)) and solid.alpha == 1.0
    assert clear.rgb == pytest.approx((1.0, 0.0, 1.0)) and clear.alpha < 1.0
    dither = table.get(0x4F00F00)  # red with red: red, solid
    assert dither.rgb == pytest.approx((1.0, 0.0, 0.0)) and dither.alpha == 1.0
    mixed = table.get(0x4F0000F)  # red with blue
    assert mixed.rgb == pytest.approx((0.5, 0.0, 0.5)) and mixed.alpha == 1.0
    glassy = table.get(0x50F0ABC)  # green, the rest ignored
    assert glassy.rgb == pytest.approx((0.0, 1.0, 0.0)) and glassy.alpha < 1.0
