"""The on-disk cache: faster second run, same answers, corrupt entries rebuilt, safe writers."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import zlib

import numpy as np
from conftest import OMR

from ldscene.ldraw import load_model
from ldscene.ldraw.cache import _HEADER, DiskCache
from ldscene.ldraw.stats import model_stats

MODEL = OMR / "6246 - Crocodile Cage.mpd"


def test_second_run_reads_the_cache_and_agrees(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = model_stats(load_model(MODEL))
    entries = list(tmp_path.rglob("*.bin"))
    assert entries, "the first run writes entries"
    stamps = {p: p.stat().st_mtime_ns for p in entries}
    second = model_stats(load_model(MODEL))
    assert first == second
    assert {p: p.stat().st_mtime_ns for p in entries} == stamps  # read, not rewritten


def test_corrupt_and_truncated_entries_are_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    expected = model_stats(load_model(MODEL))
    entries = sorted(tmp_path.rglob("*.bin"))
    entries[0].write_bytes(entries[0].read_bytes()[:40])  # truncated
    data = bytearray(entries[1].read_bytes())
    data[-5] ^= 0xFF  # flipped bits
    entries[1].write_bytes(bytes(data))
    entries[2].write_bytes(b"garbage")
    assert model_stats(load_model(MODEL)) == expected


def test_a_render_leaves_the_cache_whole_behind(tmp_path):
    # `render` lets the cache writes run on beside the GL work; they must end before exit.
    cache = tmp_path / "cache"
    out = tmp_path / "cage.png"
    env = dict(os.environ, XDG_CACHE_HOME=str(cache))
    command = [sys.executable, "-m", "ldscene", "render", str(MODEL), "-o", str(out), "-q"]
    subprocess.run([*command, "--width", "64", "--height", "48"], env=env, check=True)
    entries = sorted((cache / "ldscene" / "geometry").glob("*.bin"))
    assert entries and out.is_file()
    stamps = {p: p.stat().st_mtime_ns for p in entries}
    for path in entries:  # every entry is complete: header, length and checksum agree
        data = path.read_bytes()
        magic, _, length, crc = _HEADER.unpack_from(data)
        assert magic == b"LDSC" and length == len(data) - _HEADER.size
        assert zlib.crc32(data[_HEADER.size :]) == crc
    subprocess.run([*command, "--width", "64", "--height", "48"], env=env, check=True)
    assert {p: p.stat().st_mtime_ns for p in entries} == stamps  # the second run reads them
    assert sorted((cache / "ldscene" / "geometry").glob("*.bin")) == entries  # none was missing


def test_no_cache_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    load_model(MODEL, use_cache=False)
    assert not list(tmp_path.rglob("*.bin"))


def test_stale_entry_is_not_trusted(tmp_path, library, monkeypatch):
    """A part edited after it was cached is rebuilt from the new file."""
    import shutil

    from ldscene.ldraw.library import Library

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    root = tmp_path / "lib"
    (root / "parts" / "s").mkdir(parents=True)
    shutil.copy(library.root / "LDConfig.ldr", root / "LDConfig.ldr")
    part = root / "parts" / "t.dat"
    part.write_text("0 T\n0 !LDRAW_ORG Part\n3 16 0 0 0 1 0 0 0 1 0\n")
    model = tmp_path / "m.ldr"
    model.write_text("0 M\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 t.dat\n")
    assert model_stats(load_model(model, library=Library(root)))["triangles"] == 1
    part.write_text(
        "0 T\n0 !LDRAW_ORG Part\n4 16 0 0 0 1 0 0 1 1 0 0 1 0\n3 16 0 0 0 1 0 0 0 1 0\n"
    )
    assert model_stats(load_model(model, library=Library(root)))["triangles"] == 3


def _writer(folder: str, seed: int) -> None:
    cache = DiskCache(folder)
    for _ in range(20):
        cache.put("shared-key", {"values": np.full(20000, seed)})


def test_concurrent_writers_leave_a_whole_entry(tmp_path):
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(str(tmp_path), s)) for s in (1, 2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    value = DiskCache(tmp_path).get("shared-key")
    assert value is not None
    assert len(set(value["values"].tolist())) == 1  # one writer's copy, never a mix
    assert not list(tmp_path.rglob(".tmp-*"))
