"""The geometry cache cannot run code, distrusts malformed packs and cleans up after killed runs."""

from __future__ import annotations

import json
import os
import pickle
import time
import zlib
from pathlib import Path

import numpy as np
from conftest import OMR

from ldscene.ldraw import load_model
from ldscene.ldraw.cache import (
    _HEADER,
    _MAGIC,
    FORMAT_VERSION,
    STALE_AFTER_S,
    DiskCache,
    read_index,
    write_pack,
)
from ldscene.ldraw.codec import decode, encode
from ldscene.ldraw.geometry import PartGeometry
from ldscene.ldraw.stats import model_stats

MODEL = OMR / "6246 - Crocodile Cage.mpd"


class _Alarm:
    def __reduce__(self):  # unpickling this would create a file: proof that code ran
        return (Path.touch, (Path(os.environ["XDG_CACHE_HOME"]) / "PWNED",))


def _pack(folder: Path, rows: object, body: bytes) -> Path:
    index = json.dumps(rows).encode()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "crafted.pack"
    path.write_bytes(
        _HEADER.pack(_MAGIC, FORMAT_VERSION, len(index), zlib.crc32(index)) + index + body
    )
    return path


def test_a_crafted_pickle_entry_is_a_miss_and_runs_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    blob = pickle.dumps(_Alarm())
    folder = tmp_path / "geometry"
    _pack(folder, [["key", 0, len(blob), zlib.crc32(blob)]], blob)
    cache = DiskCache(folder)
    assert "key" in cache._entries()  # the index is fine: the entry itself is refused
    assert cache.get("key") is None
    assert not (tmp_path / "PWNED").exists()


def test_crc_valid_indexes_of_the_wrong_shape_are_ignored(tmp_path):
    for rows in (
        {"a": 1},
        [["k", 0, 5]],
        [["k", -1, 1, 0]],
        [[1, 0, 1, 0]],
        [["k", 0, 99, 0]],
        [["k", 0, 1, 1 << 40]],
        "text",
        [["k", True, 1, 0]],
        [None],
    ):
        path = _pack(tmp_path / "geometry", rows, b"x")
        assert read_index(path) == {}, rows


def test_a_damaged_cache_gives_the_same_model(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    expected = model_stats(load_model(MODEL, use_cache=False))
    assert model_stats(load_model(MODEL)) == expected
    (pack,) = (tmp_path / "ldscene" / "geometry").glob("*.pack")
    data = bytearray(pack.read_bytes())
    rows = read_index(pack)
    for _, offset, length, _ in list(rows.values())[::3]:  # scribble inside every third entry
        data[offset + length // 2] ^= 0xFF
    pack.write_bytes(bytes(data))
    assert model_stats(load_model(MODEL)) == expected


def test_stale_temporaries_go_and_live_ones_stay(tmp_path):
    folder = tmp_path / "geometry"
    folder.mkdir()
    old, live = folder / ".tmp-killed", folder / ".tmp-writing"
    old.write_bytes(b"half a pack")
    live.write_bytes(b"being written")
    past = time.time() - STALE_AFTER_S - 60
    os.utime(old, (past, past))
    pack = write_pack(folder, {"k": np.arange(3)})
    assert pack is not None and pack.is_file()
    assert not old.exists() and live.exists()


def test_a_cache_folder_that_is_a_file_is_a_miss_not_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    (tmp_path / "ldscene").mkdir()
    (tmp_path / "ldscene" / "geometry").write_text("not a folder")
    assert model_stats(load_model(MODEL)) == model_stats(load_model(MODEL, use_cache=False))


def test_the_codec_keeps_every_field_of_the_geometry():
    geometry = PartGeometry.empty()
    geometry.triangles = np.arange(18, dtype=np.float32).reshape(2, 3, 3)
    geometry.texture = np.array([0, -1], np.int16)
    geometry.texture_names = np.array(["a.png"])
    value = {"geometry": geometry, 5: (1.5, "x", None, [True])}
    back = decode(bytearray(b"".join(bytes(p) for p in encode(value))))
    assert back[5] == (1.5, "x", None, [True])
    for name, array in vars(geometry).items():
        if isinstance(array, np.ndarray):
            got = getattr(back["geometry"], name)
            assert got.dtype == array.dtype and np.array_equal(got, array), name
    back["geometry"].triangles[0, 0, 0] = 7  # writable, like the arrays a pickle gave


def test_crafted_entries_that_name_other_classes_or_bad_arrays_do_not_decode():
    def blob(tree: object, tail: bytes = b"") -> bytearray:
        text = json.dumps(tree).encode()
        head = len(text).to_bytes(4, "little") + text
        return bytearray(head + bytes(-len(head) % 8) + tail)

    for tree in (
        {"c": "os.system", "f": [["command", "touch PWNED"]]},
        {"c": "ldscene.ldraw.geometry.PartGeometry", "f": [["triangles", "not an array"]]},
        {"a": ["|O", [1], 0]},
        {"a": ["<f4", [1000], 0]},
        {"a": ["<f4", [-1], 0]},
        {"a": ["zz", [1], 0]},
        {"d": [[[1, 2], 3]]},
        {"x": 1},
    ):
        try:
            decode(blob(tree, bytes(8)))
        except ValueError:
            continue
        raise AssertionError(f"decoded {tree}")
