"""The one atomic writer: never replaces a special file or a read-only one, never leaves its
temporary file behind, and removes the stale ones a killed run left."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from ldscene.atomic import STALE_AFTER_S, TEMP_MARK, write_atomic
from ldscene.errors import LdsceneError

pytestmark = pytest.mark.unit


def test_a_fifo_or_device_is_refused_and_left_alone(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    with pytest.raises(LdsceneError, match="special file"):
        write_atomic(fifo, lambda handle: handle.write(b"x"))
    assert fifo.is_fifo()
    with pytest.raises(LdsceneError, match="special file"):
        write_atomic("/dev/null", lambda handle: handle.write(b"x"))
    assert Path("/dev/null").is_char_device()
    assert os.listdir(tmp_path) == ["pipe.png"]


def test_a_read_only_file_is_refused_even_for_root(tmp_path: Path) -> None:
    target = tmp_path / "keep.obj"
    target.write_text("old")
    target.chmod(0o444)
    with pytest.raises(LdsceneError, match="read-only"):
        write_atomic(target, lambda handle: handle.write(b"new"))
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["keep.obj"]


def test_a_failed_write_leaves_nothing(tmp_path: Path) -> None:
    def fail(handle) -> None:
        handle.write(b"half")
        raise LdsceneError("stopped")

    with pytest.raises(LdsceneError, match="stopped"):
        write_atomic(tmp_path / "out.png", fail)
    assert os.listdir(tmp_path) == []


def test_stale_temporaries_of_killed_runs_are_removed(tmp_path: Path) -> None:
    stale = tmp_path / f".out.png{TEMP_MARK}abc123.png"
    fresh = tmp_path / f".other.png{TEMP_MARK}def456.png"  # maybe a live writer's: kept
    mine = tmp_path / ".notes.tmp"  # not ours: kept
    for path in (stale, fresh, mine):
        path.write_bytes(b"")
    past = time.time() - STALE_AFTER_S - 60
    os.utime(stale, (past, past))
    os.utime(mine, (past, past))
    write_atomic(tmp_path / "out.png", lambda handle: handle.write(b"png"))
    assert sorted(os.listdir(tmp_path)) == sorted([fresh.name, mine.name, "out.png"])
