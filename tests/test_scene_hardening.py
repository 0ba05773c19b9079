"""Issue #13, the scene side: bad scene files, bad render options and writes that must fail
with one clear line (file:line:column where a file is at fault), quickly, leaving nothing
half-written.  Each case is the minimal reproducer of a fuzzing finding."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import run_cli, write_scene

from ldscene.errors import LdsceneError
from ldscene.scene.compose import read_spec


def spec_error(tmp_path: Path, text: str) -> LdsceneError:
    path = write_scene(tmp_path, text)
    with pytest.raises(LdsceneError) as info:
        read_spec(path)
    return info.value


# -- numbers: NaN, infinities and huge values, one check per kind (numbers, lengths) ----------
NON_FINITE = [
    ("place:\n  b: {part: 3001, yaw: .nan}\n", 2, 24, "yaw of place 'b' is nan"),
    ("place:\n  b: {part: 3001, rotate: [0, .inf, 0]}\n", 2, 31, "rotate of place 'b' is inf"),
    ("place:\n  b: {part: 3001, at: [.nan, 0, 0]}\n", 2, 24, "nan is not a finite length"),
    ("place:\n  b: {part: 3001, at: [0, 1e999 studs, 0]}\n", 2, 27, "not a finite length"),
    ("place:\n  b: {part: 3001, at: [0, 1.0e+300, 0]}\n", 2, 27, "too long"),
    ("place:\n  b: {part: 3001, at: [0, 1e300 m, 0]}\n", 2, 27, "too long"),
    (
        "place:\n  b: {part: 3001, repeat: {count: 2, step: [-.inf, 0, 0]}}\n",
        2,
        45,
        "not a finite length",
    ),
    ("models:\n  m:\n    minifig: {pose: {head: .nan}}\n", 3, 28, "head of pose of model"),
    ("models:\n  m:\n    minifig: {pose: {left_arm: -.inf}}\n", 3, 32, "is -inf"),
    ("cameras:\n  c: {lat: .nan}\n", 2, 12, "lat of camera 'c' is nan"),
    ("cameras:\n  c: {lon: .inf}\n", 2, 12, "lon of camera 'c' is inf"),
    ("cameras:\n  c: {distance: .nan}\n", 2, 17, "not a finite length"),
    ("cameras:\n  c: {distance: 0}\n", 2, 17, "must be more than 0"),
    ("cameras:\n  c: {fov: .nan}\n", 2, 12, "fov of camera 'c' is nan"),
    ("cameras:\n  c: {target: [0, .nan, 0]}\n", 2, 19, "not a finite length"),
    ("cameras:\n  c: {position: [.inf, 0, 0], look_at: [0, 0, 0]}\n", 2, 18, "not a finite"),
    ("cameras:\n  c: {position: [1, 0, 0], look_at: [0, 0, .nan]}\n", 2, 44, "not a finite"),
    ("cameras:\n  c: {focus: [0, 0, .nan], aperture: 4}\n", 2, 21, "not a finite"),
    ("cameras:\n  c: {focus: [0, 0, 0], aperture: .nan}\n", 2, 35, "aperture of camera"),
    (
        "scatter:\n  s: {parts: [{part: 3024, weight: .nan}], count: 1,"
        " area: {rect: [[0, 0], [1, 1]]}}\n",
        2,
        36,
        "weight of parts item 1",
    ),
    (
        "scatter:\n  s: {parts: [{part: 3024, weight: 1.0e+308}, {part: 3023, weight: 1.0e+308}],"
        " count: 1, area: {rect: [[0, 0], [1, 1]]}}\n",
        2,
        36,
        "between 0 and 1e+09",
    ),
    (
        "scatter:\n  s: {parts: [3024], count: 1, spacing: .nan, area: {rect: [[0, 0], [1, 1]]}}\n",
        2,
        41,
        "spacing of scatter 's'",
    ),
    (
        "scatter:\n  s: {parts: [3024], count: 1, yaw: [0, .inf],"
        " area: {rect: [[0, 0], [1, 1]]}}\n",
        2,
        41,
        "yaw of scatter 's' is inf",
    ),
    ("scatter:\n  s: {parts: [3024], count: 1, area: {rect: [[0, .nan], [1, 1]]}}\n", 2, 50, "nan"),
    ("render:\n  background: [.nan, 0, 0]\n", 2, 16, "background of render: is nan"),
    (
        "place:\n  b: {part: 3001, yaw: 1" + "0" * 400 + "}\n",
        2,
        24,
        "number with 401 characters is too large",
    ),
]


@pytest.mark.parametrize(
    "text,line,column,needle", NON_FINITE, ids=[str(i) for i in range(len(NON_FINITE))]
)
def test_non_finite_and_huge_numbers_are_refused_where_they_are(
    tmp_path, text, line, column, needle
):
    err = spec_error(tmp_path, text)
    assert (err.line, err.column) == (line, column), str(err)
    assert needle in str(err)


def test_a_nan_yaw_through_the_cli_is_one_line_exit_1(tmp_path):
    path = write_scene(tmp_path, "place:\n  b: {part: 3001, yaw: .nan}\n")
    result = run_cli("info", str(path))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: {path}:2:24: yaw of place 'b' is nan: it must be a finite number "
        "(write an ordinary number)"
    ]
    assert "Traceback" not in result.stderr and result.stdout == ""


# -- YAML: control characters, nesting, alias bombs, odd scalars ------------------------------
def _alias_bomb(levels: int = 12) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    return "\n".join(lines) + f"\nplace: *a{levels - 1}\n"


YAML_CASES = [
    ("place:\n  b: {part: '30\x01'}\n", 2, 16, "character U+0001 is not allowed"),
    ("place:\n  b: {part: 3001\x00}\n", 2, 17, "character U+0000 is not allowed"),
    ("a: " + "[" * 5000 + "]" * 5000 + "\n", 1, 103, "nest more than 100 levels"),
    ("a: &a [*a]\n", 1, 4, "nest more than 100 levels"),
    (_alias_bomb(), 1, 34, "more than 200,000 values"),
    ("scene: {title: !!timestamp foo}\n", 1, 16, "unreadable value 'foo': not a valid timestamp"),
    ("seed: 2001-02-30\n", 1, 7, "not a valid timestamp"),
    ("seed: !!int '" + "9" * 5000 + "'\n", 1, 7, "not a valid int"),
    ('scene: {title: "\\ud800"}\n', 1, 16, "U+D800"),
    ('place:\n  "\\udfff": {part: 3001}\n', 2, 3, "U+DFFF"),
    ("seed: !!python/object/apply:os.system [ls]\n", 1, 7, "tag !!python/object/apply:os.system"),
]


@pytest.mark.parametrize(
    "text,line,column,needle", YAML_CASES, ids=[str(i) for i in range(len(YAML_CASES))]
)
def test_hostile_yaml_is_one_error_quickly(tmp_path, text, line, column, needle):
    start = time.perf_counter()
    err = spec_error(tmp_path, text)
    assert time.perf_counter() - start < 2.0
    assert (err.line, err.column) == (line, column), str(err)
    assert needle in str(err)


def test_an_alias_bomb_through_the_cli_stops_within_seconds(tmp_path):
    path = write_scene(tmp_path, _alias_bomb(14))  # 10^14 values if expanded
    start = time.perf_counter()
    result = run_cli("info", str(path))
    assert time.perf_counter() - start < 20
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "more than 200,000 values" in result.stderr and "Traceback" not in result.stderr


def test_ordinary_aliases_and_merge_keys_still_work(tmp_path):
    path = write_scene(
        tmp_path,
        "place:\n"
        "  a: &brick {part: 3001, color: 4, at: [0, 0, 0]}\n"
        "  b: {<<: *brick, at: [40, 0, 0]}\n",
    )
    spec = read_spec(path)
    assert [p.part for p in spec.place] == ["3001", "3001"]
    assert spec.place[1].at.tolist() == [40.0, 0.0, 0.0]
