"""`ldscene info`, `library`, `cache` from the outside: exit codes, JSON, clear errors."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import OMR, run_cli, run_process, write


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return run_cli(*args, env=env)


def assert_clean_error(result: subprocess.CompletedProcess, *needles: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


def test_info_json_is_one_object_with_the_keys():
    result = run("info", str(OMR / "6879-1 - Blizzard Baron.mpd"), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    for key in ("parts", "unique_parts", "triangles", "lines", "cond_lines", "bbox", "missing"):
        assert key in data
    assert data["parts"] == 89 and data["missing"] == []
    assert data["file"] == str(OMR / "6879-1 - Blizzard Baron.mpd")
    # A scene's model has a made-up name; its file is the scene's own.
    scene = Path(__file__).resolve().parent.parent / "scenes" / "example.yaml"
    data = json.loads(run("info", str(scene), "--json").stdout)
    assert data["file"] == str(scene) and data["name"] == "example.ldr"


def test_info_human_summary():
    result = run("info", str(OMR / "6879-1 - Blizzard Baron.mpd"))
    assert result.returncode == 0
    assert "parts" in result.stdout and "triangles" in result.stdout and "studs" in result.stdout


def test_info_lists_the_colours_of_a_models_own_triangles(tmp_path):
    """A model's own loose triangles showed no colour: only placed parts' colours were listed.
    A sub-model's own lines in 16 take the colour it is placed in."""
    write(tmp_path, "sub.ldr", "0 Sub\n4 16 0 0 0 10 0 0 10 0 10 0 0 10\n")
    model = write(
        tmp_path,
        "m.ldr",
        "0 M\n3 4 0 0 0 10 0 0 0 10 0\n2 24 0 0 0 10 0 0\n"
        "1 14 0 0 0 1 0 0 0 1 0 0 0 1 sub.ldr\n1 1 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n",
    )
    result = run_cli("info", str(model), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["colours"] == {"1": "Blue", "4": "Red", "14": "Yellow"}


def test_missing_path_empty_and_binary_files(tmp_path):
    assert_clean_error(run("info", str(tmp_path / "nope.ldr")), "nope.ldr", "no such file")
    (tmp_path / "empty.ldr").write_text("")
    assert_clean_error(run("info", str(tmp_path / "empty.ldr")), "empty.ldr", "empty")
    (tmp_path / "image.ldr").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0")
    assert_clean_error(run("info", str(tmp_path / "image.ldr")), "not a text file")


def test_a_referenced_file_that_is_not_text_is_an_error_at_the_line_asking_for_it(tmp_path):
    write(
        tmp_path,
        "main.ldr",
        "0 main\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n1 4 0 -24 0 1 0 0 0 1 0 0 0 1 sub.ldr\n",
    )
    (tmp_path / "sub.ldr").write_bytes(b"\x7fELF\x02\x01\x01\0\0\0\0")
    assert_clean_error(
        run("info", str(tmp_path / "main.ldr")),
        f"main.ldr:3: 'sub.ldr' ({tmp_path / 'sub.ldr'}): not a text file",
    )


def test_missing_part_listed_by_name_and_strict_fails(tmp_path):
    path = write(
        tmp_path,
        "m.ldr",
        "0 M\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 zzz-missing.dat\n",
    )
    result = run("info", str(path), "--json")
    assert result.returncode == 0
    assert json.loads(result.stdout)["missing"] == ["zzz-missing.dat"]
    assert "zzz-missing.dat" in result.stderr and "m.ldr:3" in result.stderr
    assert_clean_error(run("info", str(path), "--strict"), "zzz-missing.dat")


def test_cycle_is_a_clean_error(tmp_path):
    write(tmp_path, "a.ldr", "0 A\n1 16 0 0 0 1 0 0 0 1 0 0 0 1 a.ldr\n")
    assert_clean_error(run("info", str(tmp_path / "a.ldr")), "cycle", "a.ldr")


def test_many_warnings_are_summarised(tmp_path):
    bad = "\n".join("3 4 0 0 0 1 0" for _ in range(500))
    path = write(tmp_path, "m.ldr", "0 Bad\n" + bad)
    result = run("info", str(path), "--json")
    assert result.returncode == 0
    assert len(result.stderr.splitlines()) < 10
    assert "more warnings (ldscene info --json lists them all)" in result.stderr
    import json

    listed = json.loads(result.stdout)["warnings"]  # all of them, each with its line
    assert len(listed) == 500 and "m.ldr:501: type-3 line needs a colour and 9" in listed[-1]


def test_no_library_gives_a_clear_way_out(tmp_path):
    path = write(tmp_path, "m.ldr", "0 M\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n")
    result = run("info", str(path), env={"LDRAWDIR": str(tmp_path / "none")})
    assert_clean_error(result, "LDRAWDIR", "library install")
    env = {
        "LDRAWDIR": "",
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "c"),
        "XDG_DATA_HOME": str(tmp_path / "d"),
    }
    assert_clean_error(run("info", str(path), env=env), "no LDraw library found")


def test_library_command_and_install_from_zip(tmp_path, library):
    result = run("library")
    assert result.returncode == 0 and "parts:" in result.stdout
    archive = tmp_path / "complete.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("ldraw/LDConfig.ldr", library.read("ldconfig.ldr"))
        out.writestr("ldraw/parts/3001.dat", library.read("parts/3001.dat"))
        out.writestr("ldraw/parts/s/3001s01.dat", library.read("parts/s/3001s01.dat"))
    env = {"XDG_DATA_HOME": str(tmp_path / "data"), "LDRAWDIR": ""}
    result = run("library", "install", "--from", str(archive), "-q", env=env)
    assert result.returncode == 0, result.stderr
    installed = tmp_path / "data" / "ldscene" / "ldraw"
    assert (installed / "parts" / "3001.dat").read_bytes() == library.read("parts/3001.dat")
    # Found with no LDRAWDIR, in the user data folder where install put it.
    shown = run("library", env={**env, "HOME": str(tmp_path)})
    assert shown.returncode == 0 and str(installed) in shown.stdout
    not_zip = write(tmp_path, "x.zip", "hello")
    assert_clean_error(
        run("library", "install", "--from", str(not_zip), "-q", env=env), "not a zip"
    )


@pytest.mark.slow  # whole scenes or real models: seconds (the fast loop stays under a minute)
def test_cache_clear(tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    assert (
        run_process("info", str(OMR / "6814-1 - Ice Tunnelator.mpd"), "--json", env=env).returncode
        == 0
    )
    assert run_process("search", "brick 2 x 4", env=env).returncode == 0  # its index too
    cached = [p for p in Path(tmp_path, "ldscene").rglob("*") if p.is_file()]
    assert any(p.suffix == ".pack" for p in cached) and any("search" in p.parts for p in cached)
    size = sum(p.stat().st_size for p in cached)
    result = run_process("cache", "clear", env=env)
    assert result.returncode == 0 and "removed" in result.stdout
    assert int(result.stdout.split()[1]) > 10  # "removed N cached entries, X MB in all, ..."
    assert f"{size / 1e6:.1f} MB in all" in result.stdout  # the search index counted
    assert not Path(tmp_path, "ldscene").exists()


def test_library_found_in_config_file_and_usual_places(tmp_path, library):
    import shutil

    home = tmp_path / "home"
    for place in ("configured", "home/ldraw"):
        folder = tmp_path / place
        (folder / "parts").mkdir(parents=True)
        shutil.copy(library.root / "LDConfig.ldr", folder / "LDConfig.ldr")
        shutil.copy(library.root / "parts" / "3001.dat", folder / "parts" / "3001.dat")
    env = {
        "LDRAWDIR": "",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    result = run("library", env=env)
    assert result.returncode == 0 and str(home / "ldraw") in result.stdout
    config = tmp_path / "config" / "ldscene" / "config.yaml"
    config.parent.mkdir(parents=True)
    config.write_text(f"library: {tmp_path / 'configured'}\n")
    result = run("library", env=env)
    assert result.returncode == 0 and str(tmp_path / "configured") in result.stdout
    # --library beats the config file and the usual places.
    result = run("library", "--library", str(library.root), env=env)
    assert result.returncode == 0 and str(library.root) in result.stdout
    # A configured library that has gone: the usual places still count, and with none
    # there the error names the config file and the folder it names.
    config.write_text(f"library: {tmp_path / 'gone'}\n")
    result = run("library", env=env)
    assert result.returncode == 0 and str(home / "ldraw") in result.stdout
    result = run("library", env={**env, "HOME": str(tmp_path / "empty-home")})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"the config file {config} names {tmp_path / 'gone'}, which does not exist" in (
        " ".join(result.stderr.split())
    )
    # A misspelt key named no library, and the error did not say why.
    config.write_text(f"librray: {library.root}\n")
    result = run("library", env={**env, "HOME": str(tmp_path / "empty-home")})
    assert result.returncode == 1
    assert f"the config file {config} has no library: key (it has librray:)" in (
        " ".join(result.stderr.split())
    )


def test_option_and_folder_errors_say_which_and_what_to_do(tmp_path):
    """'error: in: not a file', 'frame rate 0 is outside 0.5..100' and "cannot read colour
    'red2'" named neither the option nor a way out."""
    (tmp_path / "in").mkdir()
    model = write(tmp_path, "m.ldr", "0 m\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n")
    out = str(tmp_path / "x.gif")
    cases = [
        (("turntable", str(tmp_path / "in"), "-o", out), "is a folder, not an LDraw file"),
        (("turntable", str(model), "-o", out, "--fps", "0"), "--fps 0 is outside 0.5..100"),
        (("render", str(model), "-o", str(tmp_path / "x.png"), "--background", "red2"),
         "--background: cannot read colour 'red2'"),
    ]  # fmt: skip
    for args, words in cases:
        done = run(*args)
        assert done.returncode == 1 and words in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr
    assert "give one model" in run("info", str(tmp_path / "in")).stderr
    assert not (tmp_path / "x.gif").exists() and not (tmp_path / "x.png").exists()


def test_warnings_come_in_line_order(tmp_path):
    """They came as the loader met them (2, 9, 10, 4, 5, 3 ...): references first, then the
    drawing lines by kind."""
    path = write(
        tmp_path,
        "mal.ldr",
        "0 mal\n2 4 0 0 0 1 1\n3 4 0 0 0 1 0 0 0 1 x\n1 9999 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n"
        "5 4 0 0 0\n4 4 0 0 0 1 0 0\n",
    )
    result = run("info", str(path))
    lines = [int(line.split(":")[2]) for line in result.stderr.splitlines() if "mal.ldr:" in line]
    assert lines == [2, 3, 4, 5, 6], result.stderr
