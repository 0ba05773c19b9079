"""Scene lengths with units ("2 bricks + 1 plate") in LDraw units: no library."""

from __future__ import annotations

import pytest

from ldscene.scene.units import MAX_LENGTH, UnitError, parse_length, unit_scale

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "ldu"),
    [
        ("12 studs", 240.0),
        ("1 stud", 20.0),
        ("3 plates", 24.0),
        ("2 bricks", 48.0),
        ("5 cm", 125.0),
        ("4 mm", 10.0),
        ("1 brick + 2 plates", 40.0),
        ("10 studs - 4 ldu", 196.0),
        ("  -1.5e1  ", -15.0),
        (".5 m", 1250.0),
    ],
)
def test_strings_with_units(text: str, ldu: float) -> None:
    assert parse_length(text) == ldu


def test_a_bare_number_uses_the_default_unit() -> None:
    assert parse_length(3, "stud") == 60.0
    assert parse_length("3", "plate") == 24.0
    assert parse_length("2 + 1 ldu", "brick") == 49.0
    assert unit_scale(" Bricks ") == 24.0


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (True, "expected a length, got True"),
        (None, "expected a length, got None"),
        ({"a": 1}, "expected a length, got a mapping"),
        ([1], "expected a length, got a list"),
        ("", "empty length"),
        ("two studs", "cannot read length 'two studs'"),
        ("2 studs 3", "stuck at '3'"),
        ("1e400", "is not a finite length"),
        (10**400, "a huge number is not a finite length"),
        (MAX_LENGTH * 2, "is too long"),
    ],
)
def test_what_cannot_be_read_says_why(value: object, message: str) -> None:
    with pytest.raises(UnitError) as raised:
        parse_length(value)
    assert message in str(raised.value)
    assert raised.value.hint


def test_a_misspelt_unit_gets_a_did_you_mean() -> None:
    with pytest.raises(UnitError) as raised:
        parse_length("3 bircks")
    assert str(raised.value) == "unknown unit 'bircks'"
    assert raised.value.hint == "did you mean 'bricks'?"
    with pytest.raises(UnitError) as raised:
        unit_scale("parsec")
    assert raised.value.hint.startswith("use one of ldu, stud")
