"""Exports write whole files or none, and never over the model they are made from."""

from __future__ import annotations

import os

import pytest
from conftest import run_cli, write


def test_obj_export_with_a_read_only_mtl_writes_nothing(tmp_path):
    model = write(tmp_path, "brick.ldr", "0 brick\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n")
    out = tmp_path / "out" / "brick.obj"
    out.parent.mkdir()
    mtl = out.with_suffix(".mtl")
    mtl.write_text("kept\n")
    os.chmod(mtl, 0o444)
    done = run_cli("export", str(model), "-o", str(out))
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert "brick.mtl" in done.stderr, done.stderr
    assert sorted(p.name for p in out.parent.iterdir()) == ["brick.mtl"]  # no .obj, no temps
    assert mtl.read_text() == "kept\n"


@pytest.mark.parametrize("command", ["export", "parts"])
def test_output_over_a_file_of_the_model_is_refused(tmp_path, command):
    """`-o` naming the input, or a file the input references, would destroy the model."""
    top = tmp_path / "top.ldr"
    sub = tmp_path / "sub.ldr"
    top.write_text("0 top\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 sub.ldr\n")
    sub.write_text("0 sub\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n")
    before = {path: path.read_bytes() for path in (top, sub)}
    through_new = tmp_path / "new" / ".." / "top.ldr"  # the writer would make new/
    for target in (top, sub, tmp_path / "." / "top.ldr", through_new):
        result = run_cli(command, str(top), "-o", str(target))
        assert result.returncode == 1, result.stdout + result.stderr
        assert "over a file of the model it is made from" in result.stderr
        assert "Traceback" not in result.stderr
    assert {path: path.read_bytes() for path in (top, sub)} == before
    assert not (tmp_path / "new").exists()
    assert run_cli(command, str(top), "-o", str(tmp_path / "out.ldr")).returncode == 0


@pytest.mark.slow  # renders, worker processes
@pytest.mark.parametrize("command", ["export", "parts", "render", "render -j 2", "render batch"])
def test_no_output_goes_among_the_ldraw_library_s_parts(tmp_path, library, command):
    """`parts 3001 --library L -o L/parts/3001.dat` wrote the table over the part itself.
    The library's parts/, p/ and LDConfig are refused on every path (a -j render and a
    batch too); its models/ folder, where users keep their own models, is not."""
    lib = tmp_path / "lib"
    (lib / "parts").mkdir(parents=True)
    (lib / "p").mkdir()
    (lib / "models").mkdir()
    (lib / "LDConfig.ldr").write_bytes(library.read("ldconfig.ldr"))
    part = lib / "parts" / "3001.dat"
    part.write_bytes(library.read("parts/3001.dat"))
    (lib / "parts" / "3003.dat").write_bytes(library.read("parts/3003.dat"))
    before = part.read_bytes()
    name, *extra = command.split()
    suffix = {"export": ".mpd", "parts": ".csv", "render": ".png"}[name]
    inputs = ["3001", "3003"] if extra == ["batch"] else ["3001"]
    options = ["-j", "2"] if extra == ["-j", "2"] else []
    targets = [part, lib / "p" / f"x{suffix}", lib / "LDConfig.ldr"]
    if extra == ["batch"]:  # a batch's -o folder
        targets = [lib / "parts" / "out/", lib / "p" / "out/"]
    for target in targets:
        args = [name, *inputs, "--library", str(lib), "-o", str(target), *options]
        result = run_cli(*args)
        assert result.returncode in (1, 2), result.stderr
        assert "Traceback" not in result.stderr
    assert part.read_bytes() == before
    assert sorted(p.name for p in lib.rglob("*")) == [
        "3001.dat",
        "3003.dat",
        "LDConfig.ldr",
        "models",
        "p",
        "parts",
    ]
    own = lib / "models" / f"mine{suffix}" if extra != ["batch"] else lib / "models" / "out/"
    result = run_cli(name, *inputs, "--library", str(lib), "-o", str(own), *options)
    assert result.returncode == 0, result.stderr


def test_export_write_errors_say_what_and_what_to_do(tmp_path):
    """The export's errors said 'the file' or 'the export' at random, and a folder, a path
    that cannot be made or an empty model gave no hint."""
    folder = tmp_path / "made"
    folder.mkdir()
    blocked = tmp_path / "afile"
    blocked.write_text("x")
    cases = [
        (str(folder), "cannot write the export: it is a folder", "give a file name in it"),
        (str(blocked / "x.glb"), "cannot write the export:", "check that its folder can be made"),
    ]
    for target, message, hint in cases:
        result = run_cli("export", "3001", "-o", target)
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert message in result.stderr and hint in result.stderr, result.stderr
    empty = write(tmp_path, "none.ldr", "0 none\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 nosuch.dat\n")
    result = run_cli("export", str(empty), "-o", str(tmp_path / "none.glb"))
    assert result.returncode == 1 and "none.ldr: nothing to export" in result.stderr
    assert "missing parts?" in result.stderr
