"""Bad LDraw input found by fuzzing (issue #13): each gives warnings or one clear error, never a
traceback, wrong numbers or shifted line numbers.  Every test is a minimal reproducer."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli, write

from ldscene.errors import LdsceneError
from ldscene.ldraw import load_model
from ldscene.ldraw.colours import parse_colour_line
from ldscene.ldraw.library import Library
from ldscene.ldraw.parser import parse_lines, split_lines

TRIANGLE = "3 {c} 0 0 0 10 0 0 0 10 0"


def parsed(*lines: str):
    return parse_lines(list(lines), "t.ldr")


@pytest.mark.parametrize("company", [[], ["3 4 0 0 0 1 0 0 0 1 x"]])
def test_a_fractional_colour_is_refused_whatever_the_other_lines(company: list[str]) -> None:
    # The bulk path used to read 4.9 as 4 unless another line sent the file down the slow path.
    result = parsed(TRIANGLE.format(c="4.9"), *company)
    assert len(result.triangles) == 0
    assert any("colour '4.9'" in message for _, message in result.warnings)


@pytest.mark.parametrize("company", [[], ["2 4 0 0 0 1 x 0"]])
def test_a_colour_code_too_large_for_int64_is_a_warning(company: list[str]) -> None:
    lines = [TRIANGLE.format(c="99999999999999999999"), "2 99999999999999999999 0 0 0 1 1 1"]
    result = parsed(*lines, *company)  # used to raise OverflowError or give -9223372036854775808
    assert len(result.triangles) == 0 and len(result.edges) == 0
    assert sum("colour '99999999999999999999'" in m for _, m in result.warnings) == 2


def test_whole_numbers_written_as_floats_are_the_same_colour_on_both_paths() -> None:
    fast = parsed(TRIANGLE.format(c="4.0"))
    slow = parsed(TRIANGLE.format(c="4.0"), "3 4 0 0 0 1 0 0 0 1 x")
    assert fast.triangle_colours.tolist() == [4] and slow.triangle_colours.tolist() == [4]


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e400", "1e300"])
def test_non_finite_or_huge_coordinates_drop_the_line(value: str) -> None:
    result = parsed(
        f"3 4 0 0 0 10 0 0 0 {value} 0",
        f"1 4 0 0 0 1 0 0 0 1 0 0 0 {value} 3001.dat",
        TRIANGLE.format(c=4),
    )
    assert len(result.triangles) == 1 and len(result.refs.names) == 0
    assert [n for n, _ in result.warnings] == [1, 2]
    assert all(f"{value!r} where a number" in m for _, m in result.warnings)


def test_form_feeds_and_nel_do_not_shift_line_numbers() -> None:
    text = "0 title\n0 a\fcomment\n0 another\x85comment\n0 x\u2028y\n3 4 0 0 0 1 0 0 0 1 bad\n"
    lines = split_lines(text)
    assert len(lines) == 5
    result = parse_lines(lines, "t.ldr")
    assert [n for n, _ in result.warnings] == [5]
    assert split_lines("a\r\nb\rc\nd") == ["a", "b", "c", "d"]


def test_drawing_lines_before_a_late_file_line_are_warned(tmp_path: Path) -> None:
    model = write(
        tmp_path,
        "late.mpd",
        "0 early comment\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n"
        "3 4 0 0 0 1 0 0 0 1 0\n0 FILE main.ldr\n1 1 0 0 0 1 0 0 0 1 0 0 0 1 sub.ldr\n"
        "0 FILE sub.ldr\n1 16 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n",
    )
    loaded = load_model(model)
    # An MPD (main.ldr places its block sub.ldr): the MPD rules ignore the early lines.
    assert int(loaded.part_mask().sum()) == 1
    (warning,) = [w for w in loaded.warnings if "0 FILE" in w]
    assert warning.startswith(f"{model.resolve()}:2: ") and "and 1 more" in warning


@pytest.mark.parametrize(
    "edge", ["EDGE", "EDGE --5", "EDGE #zz", "EDGE 99999999999999999999", "EDGE 4.5", "EDGE 0x12"]
)
def test_colour_lines_with_bad_edges_still_define_the_colour(edge: str) -> None:
    colour = parse_colour_line(f"!COLOUR Mine CODE 500 VALUE #112233 {edge}")
    assert colour is not None and colour.code == 500
    assert colour.edge_rgb == (0.2, 0.2, 0.2)


@pytest.mark.parametrize("code", ["99999999999999999999", "4.9", "-3", "x", ""])
def test_colour_lines_with_bad_codes_are_ignored(code: str) -> None:
    assert parse_colour_line(f"!COLOUR Mine CODE {code} VALUE #112233 EDGE 0") is None


def test_bad_colour_lines_in_a_model_load(tmp_path: Path) -> None:
    model = write(
        tmp_path,
        "colours.ldr",
        "0 !COLOUR A CODE 500 VALUE #112233 EDGE --5\n0 !COLOUR B CODE 501 VALUE #112233 EDGE\n"
        "0 !COLOUR C CODE 99999999999999999999 VALUE #1 EDGE #zz\n"
        "1 500 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n",
    )
    loaded = load_model(model)
    colour = loaded.colours.get(int(loaded.colour[0]))  # the file's own 500
    assert colour.rgb == pytest.approx((0x11 / 255, 0x22 / 255, 0x33 / 255))


def test_info_json_is_strict_json_even_when_placements_overflow(tmp_path: Path) -> None:
    blocks = []
    for level in range(40):  # each level scales by 1e10: 1e400 overflows to infinity
        child = f"l{level + 1}.ldr" if level < 39 else "3001.dat"
        blocks.append(f"0 FILE l{level}.ldr\n1 16 0 0 0 1e10 0 0 0 1e10 0 0 0 1e10 {child}\n")
    model = write(tmp_path, "huge.mpd", "".join(blocks))
    done = run_cli("info", str(model), "--json")
    assert done.returncode == 0, done.stderr
    stats = json.loads(done.stdout, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
    assert stats["parts"] == 0 and stats["bbox"]["min"] is None
    assert "too large" in done.stderr and "Traceback" not in done.stderr


def test_a_damaged_library_member_is_one_clear_error(tmp_path: Path, library_path: Path) -> None:
    archive = tmp_path / "lib.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as handle:
        handle.write(library_path / "LDConfig.ldr", "ldraw/LDConfig.ldr")
        handle.writestr("ldraw/parts/broken.dat", "0 Broken\n3 16 0 0 0 1 0 0 0 1 0\n")
    data = bytearray(archive.read_bytes())
    at = data.index(b"0 Broken")
    data[at + 2] ^= 0x20  # the CRC no longer matches
    archive.write_bytes(bytes(data))
    model = write(tmp_path, "uses.ldr", "1 4 0 0 0 1 0 0 0 1 0 0 0 1 broken.dat\n")
    with pytest.raises(LdsceneError, match="cannot read a referenced file"):
        load_model(model, library=Library(archive), use_cache=False)


def test_python_warnings_become_our_one_line_warnings(tmp_path: Path) -> None:
    # A part's triangle's unknown colour is found when the mesh is coloured: a Python warning.
    # (A model file's own lines are checked where they are read, with their line numbers.)
    write(
        tmp_path, "odd.dat", "0 odd\n0 !LDRAW_ORG Unofficial_Part\n3 123456 0 0 0 10 0 0 0 0 10\n"
    )
    model = write(tmp_path, "odd.ldr", "1 16 0 0 0 1 0 0 0 1 0 0 0 1 odd.dat\n")
    done = run_cli("render", str(model), "-o", str(tmp_path / "odd.png"), "--width", "64")
    assert done.returncode == 0, done.stderr
    assert "warning: unknown colour code 123456" in done.stderr
    assert "UserWarning" not in done.stderr and ".py:" not in done.stderr


def test_an_unknown_colour_is_reported_where_a_line_places_it(tmp_path: Path) -> None:
    model = write(
        tmp_path,
        "odd.ldr",
        "0 odd\n"
        "1 123456 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n"
        "1 123456 0 -24 0 1 0 0 0 1 0 0 0 1 3001.dat\n",
    )
    done = run_cli("info", str(model))
    assert done.returncode == 0, done.stderr
    (line,) = [line for line in done.stderr.splitlines() if "123456" in line]
    assert line == f"warning: {model}:2: unknown colour code 123456: drawn in magenta"


def test_library_parts_by_name(tmp_path: Path) -> None:
    done = run_cli("info", "3626bp01", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["parts"] == 1
    assert json.loads(run_cli("info", "3001.dat", "--json").stdout)["triangles"] > 0
    missing = run_cli("info", str(tmp_path / "nosuchpart"))
    assert missing.returncode == 1 and "no library part of that name" in missing.stderr
    assert "looked in" in missing.stderr and "Traceback" not in missing.stderr


@pytest.mark.slow
def test_render_a_library_part_by_name(tmp_path: Path) -> None:
    out = tmp_path / "brick.png"
    done = run_cli("render", "3001", "-o", str(out), "--width", "80", "--height", "60", "-q")
    assert done.returncode == 0, done.stderr
    assert out.stat().st_size > 500


def _nested(levels: int, fan: int, leaf: str, header: str = "") -> str:
    blocks = []
    for level in range(levels):
        child = f"l{level + 1}.ldr" if level < levels - 1 else leaf
        refs = "".join(f"1 16 {i} 0 0 1 0 0 0 1 0 0 0 1 {child}\n" for i in range(fan))
        blocks.append(f"0 FILE l{level}.ldr\n{header}{refs}")
    return "".join(blocks)


def test_exponential_sub_models_stop_before_placing_anything(tmp_path: Path) -> None:
    model = write(tmp_path, "bomb.mpd", _nested(20, 10, "3001.dat"))  # 10^20 bricks
    done = run_cli("info", str(model))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "would place about 10^20 parts" in done.stderr


def test_the_instance_limit_can_be_raised(tmp_path: Path, monkeypatch) -> None:
    model = write(tmp_path, "many.mpd", _nested(3, 10, "3001.dat"))  # 1,000 bricks
    monkeypatch.setenv("LDSCENE_MAX_INSTANCES", "999")
    with pytest.raises(LdsceneError, match=r"1,000 parts.*LDSCENE_MAX_INSTANCES=1000"):
        load_model(model)
    monkeypatch.setenv("LDSCENE_MAX_INSTANCES", "1000")
    assert int(load_model(model).part_mask().sum()) == 1000


def test_a_part_that_repeats_a_primitive_too_often_stops_early(tmp_path: Path, monkeypatch) -> None:
    part = _nested(4, 10, "stud.dat", "0 !LDRAW_ORG Part\n").replace("l0.ldr", "l0.dat")
    model = write(
        tmp_path, "part.mpd", "0 FILE main.ldr\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 l0.dat\n" + part
    )
    monkeypatch.setenv("LDSCENE_MAX_TRIANGLES", "100000")  # 10^4 studs: 960,000 elements
    with pytest.raises(LdsceneError, match=r"960,000 triangles and lines.*MAX_TRIANGLES=960000"):
        load_model(model, use_cache=False)
    monkeypatch.setenv("LDSCENE_MAX_TRIANGLES", "960000")
    assert load_model(model, use_cache=False).leaves[0].geometry.n_triangles > 0
    monkeypatch.setenv("LDSCENE_MAX_TRIANGLES", "lots")
    with pytest.raises(LdsceneError, match="not a positive whole number"):
        load_model(model, use_cache=False)


def test_a_root_with_a_primitive_header_is_counted_as_the_model_it_is_walked_as(
    tmp_path: Path,
) -> None:
    # Fuzzer finding: the count took such a root for one primitive, the walk placed 10^20.
    text = "0 FILE top.ldr\n0 !LDRAW_ORG Primitive\n1 16 0 0 0 1 0 0 0 1 0 0 0 1 l0.ldr\n"
    model = write(tmp_path, "top.mpd", text + _nested(20, 10, "3001.dat"))
    with pytest.raises(LdsceneError, match="would place about 10"):
        load_model(model)


def test_models_and_scenes_share_one_instance_limit(monkeypatch) -> None:
    from ldscene.ldraw import limits as model_limits
    from ldscene.scene import limits as scene_limits

    monkeypatch.setenv("LDSCENE_MAX_INSTANCES", "1234")
    assert model_limits.max_instances() == scene_limits.max_instances() == 1234
    monkeypatch.delenv("LDSCENE_MAX_INSTANCES")
    assert model_limits.max_instances() == scene_limits.max_instances()


@pytest.mark.parametrize(
    "text",
    [
        "# Notes\n\nSome prose, 3 lines of it.\n- a list item\n",  # a README renamed .ldr
        '+8wf"VY@Mqc!3NT:0\n1x}t.dE323@(1M\nPR\\mK)`] LbU[$d\n',  # random text
    ],
)
def test_text_that_is_not_ldraw_is_refused_with_one_line(tmp_path, text: str) -> None:
    """A text file none of whose lines is an LDraw line is an error, not an empty model;
    a file of LDraw comments alone is still a (empty) model."""
    bad = tmp_path / "notes.ldr"
    bad.write_text(text)
    result = run_cli("info", str(bad))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "not an LDraw file" in result.stderr.strip().splitlines()[-1]
    comments = write(tmp_path, "comments.ldr", "0 just a title\n0 // a comment\n")
    assert load_model(comments).n_instances == 0


@pytest.mark.slow  # a child process
@pytest.mark.parametrize("command", ["info", "parts"])
def test_a_device_is_refused_not_read_forever(command: str) -> None:
    """/dev/zero never ends: reading it filled memory until the process was killed (here a
    child process, its memory capped, so that a regression fails instead of swapping)."""
    import resource
    import subprocess
    import sys

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))

    result = subprocess.run(
        [sys.executable, "-m", "ldscene", command, "/dev/zero"],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=cap,
    )
    assert result.returncode == 1
    assert "/dev/zero: not a regular file" in result.stderr and "Traceback" not in result.stderr


def test_placements_that_multiply_out_past_the_coordinate_limit_are_left_out(
    tmp_path: Path,
) -> None:
    """Each line's 1e9 is within the limit, three nested ones (1e27) are not: that placement
    is left out with a warning instead of a 4e46 LDU box and single-precision overflow."""
    model = write(
        tmp_path,
        "ovf.mpd",
        "0 FILE main.ldr\n1 4 0 0 0 1e9 0 0 0 1e9 0 0 0 1e9 a.ldr\n"
        "1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n"
        "0 FILE a.ldr\n1 16 0 0 0 1e9 0 0 0 1e9 0 0 0 1e9 b.ldr\n"
        "0 FILE b.ldr\n1 16 0 0 0 1e9 0 0 0 1e9 0 0 0 1e9 3001.dat\n",
    )
    loaded = load_model(model)
    assert loaded.n_instances == 1 and np.allclose(loaded.transform[0], np.eye(4))
    # At the line that multiplies out too far: a.ldr's reference to b.ldr, line 5 of the file.
    assert any("ovf.mpd:5: 1 placement too large" in w for w in loaded.warnings), loaded.warnings


def test_a_colour_line_that_defines_nothing_is_warned_at_its_own_line(tmp_path: Path) -> None:
    """VALUE #GGHHII: the warning was only 'unknown colour code 800' where 800 is used."""
    model = write(
        tmp_path,
        "badc.ldr",
        "0 t\n0 !COLOUR Bad CODE 800 VALUE #GGHHII EDGE #000000\n"
        "1 800 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n",
    )
    warnings = load_model(model).warnings
    assert any("badc.ldr:2: a !COLOUR line needs a name, CODE" in w for w in warnings), warnings


# --------------------------------------------------------------- from the stop-30 input review
def test_data_lines_are_read_with_any_spacing(tmp_path) -> None:
    """`0<tab>!:` and `0  !:` lines of a `0 !DATA` image were dropped (only `0 !:` was read),
    and the texture then 'could not be read'."""
    import base64
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGBA", (4, 4), (255, 0, 0, 255)).save(out, "PNG")
    encoded = base64.b64encode(out.getvalue()).decode()
    write(
        tmp_path,
        "d.mpd",
        "0 FILE main.ldr\n0 main\n"
        "0 !TEXMAP START PLANAR -40 0 -40 40 0 -40 -40 0 40 img.png\n"
        "0 !: 4 16 -40 0 -40 40 0 -40 40 0 40 -40 0 40\n"
        "0 !TEXMAP FALLBACK\n4 4 -40 0 -40 40 0 -40 40 0 40 -40 0 40\n0 !TEXMAP END\n"
        f"0 NOFILE\n0 !DATA img.png\n0\t!: {encoded[:16]}\n0  !:{encoded[16:]}\n",
    )
    model = load_model(tmp_path / "d.mpd", use_cache=False)
    assert not model.warnings, model.warnings
    geom = model.leaves[0].geometry
    assert geom.textured and geom.images() == [base64.b64decode(encoded)]


def test_byte_order_marks_mid_file_are_not_part_of_a_line(tmp_path) -> None:
    """Files joined with `copy /b` keep each one's BOM: it hid the `0 FILE` after it (b.ldr
    was 'missing') and dropped the drawing line it started, without a word."""
    bom = b"\xef\xbb\xbf"
    (tmp_path / "joined.mpd").write_bytes(
        b"0 FILE a.ldr\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 b.ldr\n"
        + bom
        + b"0 FILE b.ldr\n1 1 0 0 0 1 0 0 0 1 0 0 0 1 3003.dat\n"
        + bom
        + b"1 2 50 0 0 1 0 0 0 1 0 0 0 1 3003.dat\n"
    )
    model = load_model(tmp_path / "joined.mpd", use_cache=False)
    assert not model.missing and not model.warnings
    assert sorted(int(c) for c in model.colour) == [1, 2]  # b.ldr's brick and line 5's


def test_an_unknown_colour_of_a_model_files_own_lines_names_the_line(tmp_path) -> None:
    write(
        tmp_path,
        "col.ldr",
        "0 colours\n3 9998 0 -100 0 10 -100 0 0 -100 10\n2 9997 0 0 0 1 1 1\n"
        "1 9999 200 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n",
    )
    model = load_model(tmp_path / "col.ldr", use_cache=False)
    unknown = sorted(w for w in model.warnings if "unknown colour code" in w)
    assert [w.split(": ", 1)[0].rsplit(":", 1)[1] for w in unknown] == ["2", "3", "4"], unknown


def test_one_latin1_byte_does_not_garble_the_utf8_names_of_other_lines(tmp_path) -> None:
    write(tmp_path, "Café.ldr", "0 sub\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 3003.dat\n")
    (tmp_path / "mixed.ldr").write_bytes(
        b"0 Main \xa9 2010\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 Caf\xc3\xa9.ldr\n"
    )
    model = load_model(tmp_path / "mixed.ldr", use_cache=False)
    assert not model.missing, model.missing
    assert model.title == "Main © 2010"


def test_a_file_line_without_a_name_is_a_warning_not_a_lost_model(tmp_path) -> None:
    write(tmp_path, "n.mpd", "0 FILE main.ldr\n0 FILE\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n")
    model = load_model(tmp_path / "n.mpd", use_cache=False)
    assert len(model.leaves) == 1  # the brick stays in main.ldr
    assert any(":2: '0 FILE' without a name" in w for w in model.warnings), model.warnings


def test_a_second_data_block_of_a_name_is_a_warning(tmp_path) -> None:
    write(
        tmp_path,
        "two.mpd",
        "0 FILE main.ldr\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n"
        "0 !DATA a.png\n0 !: AAAA\n0 !DATA A.png\n0 !: BBBB\n",
    )
    model = load_model(tmp_path / "two.mpd", use_cache=False)
    assert any(":5: a second '0 !DATA A.png' block" in w for w in model.warnings), model.warnings


def test_a_referenced_file_that_draws_nothing_is_a_warning_at_the_reference(tmp_path) -> None:
    write(tmp_path, "empty.ldr", "")
    write(tmp_path, "text.ldr", "hello world\n")
    write(
        tmp_path,
        "m.ldr",
        "0 m\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n1 1 0 0 0 1 0 0 0 1 0 0 0 1 text.ldr\n"
        "1 1 0 0 0 1 0 0 0 1 0 0 0 1 empty.ldr\n",
    )
    model = load_model(tmp_path / "m.ldr", use_cache=False)
    assert any("m.ldr:3: 'text.ldr'" in w and "has no LDraw lines" in w for w in model.warnings)
    assert any("m.ldr:4: 'empty.ldr'" in w and "is empty" in w for w in model.warnings)
    assert len(model.leaves) == 1


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_its_mark_is_read(tmp_path, codec) -> None:
    """Saved without a byte-order mark, it was 'not a text file (binary data)'."""
    text = "0 sixteen\r\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\r\n"
    (tmp_path / "u.ldr").write_bytes(text.encode(codec))
    model = load_model(tmp_path / "u.ldr", use_cache=False)
    assert model.title == "sixteen" and len(model.colour) == 1


def test_a_link_that_leads_nowhere_says_so(tmp_path) -> None:
    (tmp_path / "a.ldr").symlink_to("b.ldr")
    (tmp_path / "b.ldr").symlink_to("a.ldr")  # a loop
    (tmp_path / "gone.ldr").symlink_to("missing.ldr")
    for name in ("a.ldr", "gone.ldr"):
        done = run_cli("render", str(tmp_path / name), "-o", str(tmp_path / "x.png"))
        assert done.returncode == 1, done.stderr
        assert (
            "a symbolic link that leads nowhere" in done.stderr and "Traceback" not in done.stderr
        )


def test_links_that_loop_inside_a_library_folder_are_no_crash(tmp_path, library) -> None:
    """Two parts linked to each other in a library folder ended `ldscene library`, `info` and
    `render --library` in a traceback (OSError: Too many levels of symbolic links, while the
    folder was indexed), and a link to a folder above would have been followed for ever."""
    import shutil

    root = tmp_path / "lib"
    (root / "parts").mkdir(parents=True)
    shutil.copy(library.root / "LDConfig.ldr", root / "LDConfig.ldr")
    shutil.copy(library.root / "parts" / "3001.dat", root / "parts" / "3001.dat")
    (root / "parts" / "y.dat").symlink_to("x.dat")
    (root / "parts" / "x.dat").symlink_to("y.dat")
    (root / "parts" / "up").symlink_to("..")
    done = run_cli("library", "--library", str(root))
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    model = write(tmp_path, "m.ldr", "1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n")
    done = run_cli("info", str(model), "--library", str(root))
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    looped = write(tmp_path, "l.ldr", "1 4 0 0 0 1 0 0 0 1 0 0 0 1 x.dat\n")
    done = run_cli("info", str(looped), "--library", str(root))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "l.ldr:1: 'x.dat'" in done.stderr and "symbolic links" in done.stderr, done.stderr
