"""`ldscene view` shows the input again when its files change (render/live.py): a change is
loaded once it has settled, in a thread; a failure is one line and the files are watched on;
files a reload names are watched from then on."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from ldscene.errors import LdsceneError
from ldscene.render.live import Reloader

pytestmark = pytest.mark.unit


def touch(path: Path, text: str, when: float) -> None:
    path.write_text(text)
    os.utime(path, (when, when))  # distinct times, however coarse the file system's clock


def finished(reloader: Reloader):
    deadline = time.monotonic() + 10
    while (result := reloader.take()) is None:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    return result


def test_a_settled_change_reloads_once_and_new_files_are_watched(tmp_path):
    scene, model = tmp_path / "scene.yaml", tmp_path / "wall.ldr"
    touch(scene, "a", 1000)
    touch(model, "m", 1000)
    loads = []

    def load():
        loads.append(scene.read_text())
        if scene.read_text() == "broken":
            raise LdsceneError("bad line", path=str(scene), line=3)
        return scene.read_text(), [scene, model] if "wall" in scene.read_text() else [scene]

    reloader = Reloader(load, [scene])
    assert not reloader.poll() and reloader.take() is None  # nothing changed
    touch(scene, "b", 2000)
    assert not reloader.poll()  # changed since the last look: maybe still being written
    assert reloader.poll() and reloader.busy  # the same at the next look: load it
    assert finished(reloader).value == "b" and not reloader.busy
    assert not reloader.poll() and not reloader.poll() and loads == ["b"]

    touch(scene, "broken", 3000)
    reloader.poll()
    assert reloader.poll()
    failed = finished(reloader)
    assert failed.value is None and failed.error.endswith("scene.yaml:3: bad line")
    assert not reloader.poll() and not reloader.poll()  # not again until the next change

    touch(scene, "wall", 4000)  # the scene now names a model file
    reloader.poll()
    assert reloader.poll() and finished(reloader).value == "wall"
    assert reloader.files == (scene, model)
    touch(model, "m2", 5000)  # which is watched from then on
    reloader.poll()
    assert reloader.poll() and finished(reloader).value == "wall"
    assert loads == ["b", "broken", "wall", "wall"]


def test_any_failure_is_one_line_and_a_deleted_file_is_a_change(tmp_path):
    path = tmp_path / "m.ldr"
    touch(path, "x", 1000)

    def load():
        return path.read_text(), [path]  # FileNotFoundError once it is gone

    reloader = Reloader(load, [path])
    path.unlink()
    reloader.poll()
    assert reloader.poll()
    result = finished(reloader)
    assert result.value is None and result.error.startswith("FileNotFoundError: ")
    assert "\n" not in result.error
