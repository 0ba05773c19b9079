"""Missing parts inside scenes: a `file:` model (or a `part:` from parts_path) that references
parts the library lacks reports them as the same file alone would, with file:line, in every
command, whatever the order of the scene's entries."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from conftest import run_cli, write

from ldscene.inputs import load_input

SMALL = """
0 Small model with a part that does not exist
1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat
1 1 0 -24 0 1 0 0 0 1 0 0 0 1 zzz-nosuchpart.dat
1 1 40 -24 0 1 0 0 0 1 0 0 0 1 zzz-nosuchpart.dat
"""

CUSTOM_PART = """
0 Custom part with a missing primitive
0 Name: custompart.dat
0 !LDRAW_ORG Unofficial_Part
1 16 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat
1 16 0 -24 0 1 0 0 0 1 0 0 0 1 zzz-nosuchprim.dat
"""

# A plain part placed first: the composer's model used to carry only the missing list of the
# first thing it loaded, so the file model's missing part was lost ("missing: none").
SCENE = """
units: stud
models:
  small: {file: small.ldr}
place:
  brick: {part: 3003, color: Red, at: [4, 0, 0]}
  custom: {part: custompart, color: Blue, at: [-8, 0, 0]}
  first: {model: small}
  second: {model: small, at: [0, 0, 8]}
"""


def make_scene(folder: Path) -> Path:
    write(folder, "small.ldr", SMALL)
    write(folder, "parts/custompart.dat", CUSTOM_PART)
    return write(folder, "scene.yaml", SCENE)


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return run_cli(*args, cwd=cwd)


def refs(model) -> set[tuple[str, str, int]]:
    return {(m.name, Path(m.path).name, m.line) for m in model.missing}


EXPECTED = {
    ("zzz-nosuchpart.dat", "small.ldr", 3),
    ("zzz-nosuchpart.dat", "small.ldr", 4),
    ("zzz-nosuchprim.dat", "custompart.dat", 5),
}


def test_scene_model_lists_every_missing_reference_once(tmp_path):
    scene = load_input(make_scene(tmp_path))
    # The file is placed twice but loaded once: each reference is listed once.
    assert refs(scene.model) == EXPECTED
    assert len(scene.model.missing) == len(EXPECTED)
    # The same references as the file alone gives.
    alone = load_input(tmp_path / "small.ldr")
    assert refs(alone.model) == {r for r in EXPECTED if r[1] == "small.ldr"}


def test_missing_part_of_a_later_file_is_not_lost(tmp_path):
    """Two files, each with its own missing part: both are reported."""
    make_scene(tmp_path)
    write(tmp_path, "other.ldr", "0 other\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 zzz-other.dat\n")
    path = write(
        tmp_path,
        "two.yaml",
        "models:\n  a: {file: small.ldr}\n  b: {file: other.ldr}\n"
        "place:\n  one: {model: a}\n  two: {model: b, at: [100, 0, 0]}\n",
    )
    names = {m.name for m in load_input(path).model.missing}
    assert names == {"zzz-nosuchpart.dat", "zzz-other.dat"}


def test_info_reports_file_and_line(tmp_path):
    make_scene(tmp_path)
    done = run("info", "scene.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "missing part" in done.stderr and "part(s)" not in done.stderr
    small = str(tmp_path / "small.ldr")
    assert f"zzz-nosuchpart.dat  (asked for by {small}:3, {small}:4)" in done.stderr
    custom = str(tmp_path / "parts" / "custompart.dat")
    assert f"zzz-nosuchprim.dat  (asked for by {custom}:5)" in done.stderr
    missing_row = [line for line in done.stdout.splitlines() if line.strip().startswith("missing")]
    assert missing_row and "zzz-nosuchpart.dat" in missing_row[0], done.stdout
    assert "none" not in missing_row[0]


def test_info_json_lists_missing_with_places(tmp_path):
    make_scene(tmp_path)
    done = run("info", "scene.yaml", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["missing"] == ["zzz-nosuchpart.dat", "zzz-nosuchprim.dat"]
    places = {(r["name"], Path(r["path"]).name, r["line"]) for r in data["missing_refs"]}
    assert places == EXPECTED


def test_plain_model_json_has_the_same_shape(tmp_path):
    make_scene(tmp_path)
    data = json.loads(run("info", "small.ldr", "--json", cwd=tmp_path).stdout)
    assert data["missing"] == ["zzz-nosuchpart.dat"]
    assert [(r["name"], r["line"]) for r in data["missing_refs"]] == [
        ("zzz-nosuchpart.dat", 3),
        ("zzz-nosuchpart.dat", 4),
    ]


def test_export_and_render_report_them(tmp_path):
    make_scene(tmp_path)
    small = str(tmp_path / "small.ldr")
    done = run("export", "scene.yaml", "-o", "out.mpd", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"(asked for by {small}:3, {small}:4)" in done.stderr
    assert (tmp_path / "out.mpd").is_file()
    done = run(
        "render", "scene.yaml", "-o", "out.png", "--width", "96", "--height", "64", "--aa", "1",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"(asked for by {small}:3, {small}:4)" in done.stderr
    assert "zzz-nosuchprim.dat" in done.stderr


def test_strict_names_the_file_and_line(tmp_path):
    make_scene(tmp_path)
    done = run("info", "scene.yaml", "--strict", cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith("error: ") and "missing part" in line and "(s)" not in line
    assert "custompart.dat:5" in line or "small.ldr:3" in line, line


def test_scene_without_missing_parts_says_none(tmp_path):
    path = write(tmp_path, "ok.yaml", "place:\n  b: {part: 3001, color: Red}\n")
    assert load_input(path).model.missing == []
    done = run("info", "ok.yaml", "--json", cwd=tmp_path)
    data = json.loads(done.stdout)
    assert data["missing"] == [] and data["missing_refs"] == []
    assert "missing part" not in done.stderr
