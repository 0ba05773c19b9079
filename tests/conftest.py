"""Shared fixtures: the real LDraw library (installed the way a user would) and the OMR models.

Every test gets the library (`library_path`, exported as LDRAWDIR) unless it is marked
`unit`: unit tests build their own small LDraw files with `write` and need no library.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
OMR = SHARED / "models" / "omr"
COMPLETE_ZIP = SHARED / "ldraw" / "complete.zip"


def _library_dir(tmp_factory: pytest.TempPathFactory) -> Path:
    if os.environ.get("LDRAWDIR"):
        return Path(os.environ["LDRAWDIR"])
    target = tmp_factory.mktemp("ldraw-library")
    with zipfile.ZipFile(COMPLETE_ZIP) as archive:
        archive.extractall(target)
    return target / "ldraw"


@pytest.fixture(scope="session")
def library_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The LDraw library folder; exported as LDRAWDIR for the code under test."""
    path = _library_dir(tmp_path_factory)
    os.environ["LDRAWDIR"] = str(path)
    return path


@pytest.fixture(scope="session", autouse=True)
def isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Keep the on-disk cache of the test run away from the user's."""
    folder = tmp_path_factory.mktemp("xdg-cache")
    os.environ["XDG_CACHE_HOME"] = str(folder)
    return folder


@pytest.fixture(scope="session", autouse=True)
def isolated_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Keep the user's ldscene config (the library `library install` records) out of reach:
    a test that installs a library must not point the user's next command at a temporary
    folder."""
    folder = tmp_path_factory.mktemp("xdg-config")
    os.environ["XDG_CONFIG_HOME"] = str(folder)
    return folder


@pytest.fixture(autouse=True)
def _library_unless_unit(request: pytest.FixtureRequest) -> None:
    """The one explicit rule: tests not marked `unit` run with the library in place."""
    if request.node.get_closest_marker("unit") is None:
        request.getfixturevalue("library_path")


@pytest.fixture(scope="session")
def library(library_path: Path):
    from ldscene.ldraw.library import Library

    return Library(library_path)


def run_process(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    """`ldscene ARGS` in a child process, exactly as a user runs it, output captured: for what
    only a process shows (exit-time behaviour, signals, a fresh interpreter)."""
    return subprocess.run(
        [sys.executable, "-m", "ldscene", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=300,
    )


def run_cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    """`ldscene ARGS` run in this process through click's test runner, with what a child
    process would give back: exit code, stdout and stderr.  An exception that escapes the
    command (a bug, never a user mistake) comes back as exit code 1 and a `Traceback` on
    stderr, as Python would print it, so tests that refuse tracebacks still see it.  Much
    cheaper than `run_process` (no interpreter start or imports per call)."""
    import traceback

    from click.testing import CliRunner

    from ldscene.cli import cli

    previous = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        result = CliRunner().invoke(cli, list(args), env=env, prog_name="ldscene")
    finally:
        os.chdir(previous)
    stderr = result.stderr
    code = result.exit_code
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        assert result.exc_info is not None
        stderr += "Traceback (most recent call last):\n" + "".join(
            traceback.format_exception(*result.exc_info)
        )
        code = 1
    return subprocess.CompletedProcess(["ldscene", *args], code, result.stdout, stderr)


def write_scene(folder: Path, text: str, name: str = "scene.yaml") -> Path:
    """A scene file written as given (no stripping: line numbers in errors stay exact)."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def omr_models() -> list[Path]:
    return sorted(OMR.glob("*.mpd"))


def write(folder: Path, name: str, text: str) -> Path:
    """Write an LDraw fixture file with CRLF-free text (tests add CRLF/BOM themselves)."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.strip("\n") + "\n", encoding="utf-8")
    return path


TINY_SCENE = """
scene:
  title: Tiny test scene
  description: Two bricks on a plate.
units: stud
place:
  plate: {{part: 3020, color: Green}}
  red: {{part: 3001, color: Red, at: [0, "1 brick", 0]}}
  blue: {{part: 3003, color: Blue, at: [1, "2 bricks", 0]}}
cameras:
  overview: {{lat: 35, lon: 30}}
  {side}: {{lat: 0, lon: 90}}
"""


def tiny_scene(folder: Path, side_camera: str = "side") -> Path:
    """Two bricks on a plate with two cameras: a small, fast scene for command tests."""
    return write(folder, "tiny.yaml", TINY_SCENE.format(side=side_camera))
