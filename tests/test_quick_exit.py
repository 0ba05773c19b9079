"""`ldscene render` ends with os._exit once done (ldscene/quick_exit.py): what the normal exit
does that matters must still happen: output flushed, cache written, the same exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_process, write
from PIL import Image

from ldscene.quick_exit import exit_status


def test_exit_status_is_that_of_sys_exit(capsys):
    assert exit_status(None) == 0
    assert exit_status(0) == 0
    assert exit_status(130) == 130
    assert exit_status("stopped") == 1
    assert capsys.readouterr().err == "stopped\n"


def test_failed_render_still_exits_1_with_one_line(tmp_path):
    run = run_process("render", str(tmp_path / "missing.ldr"), "-o", str(tmp_path / "a.png"))
    assert run.returncode == 1
    assert len(run.stderr.strip().splitlines()) == 1 and "no such file" in run.stderr
    assert not (tmp_path / "a.png").exists()


@pytest.mark.slow
def test_render_flushes_output_and_writes_its_cache_before_leaving(tmp_path):
    model = write(tmp_path, "brick.ldr", "1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat")
    out, cache = tmp_path / "brick.png", tmp_path / "cache"
    run = subprocess.run(
        [sys.executable, "-m", "ldscene", "render", str(model), "-o", str(out)]
        + ["--width", "64", "--height", "48"],
        capture_output=True,
        text=True,
        env=dict(os.environ, XDG_CACHE_HOME=str(cache)),
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"wrote {out}")  # a pipe: block-buffered until flushed
    assert Image.open(out).size == (64, 48)
    # The meshes are written by a background thread while the model renders.
    meshes = Path(cache, "ldscene", "render-meshes")
    assert meshes.is_dir() and any(meshes.iterdir())
