"""On-disk cache of expanded part geometry and render meshes, shared by all runs and processes.

A run keeps its new entries in memory and writes them together as one *pack* file: a header,
an index of (key, offset, length, crc32) and the pickled entries.  One file per run, not one per
part: a cold Millennium Falcon render wrote about 500 entry files, whose system calls and GIL
hand-offs beside the load and the GL set-up cost 0.4 s.  A pack is written to a temporary file
and renamed into place, so readers never see half of one, and two processes writing at once
each leave a whole pack.  Every entry is checksummed: a corrupt one is a miss, and its rebuilt
copy goes into a newer pack, which wins.
"""

from __future__ import annotations

import atexit
import os
import pickle
import secrets
import shutil
import struct
import tempfile
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

#: Bump when the cached data's meaning changes; packs of other versions are then ignored.
FORMAT_VERSION = 6
_MAGIC = b"LDSP"
_HEADER = struct.Struct("<4sIQI")  # magic, version, index length, index crc32
PACK_SUFFIX = ".pack"

#: key -> (pack file, absolute offset, length, crc32)
Index = dict[str, tuple[Path, int, int, int]]


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "ldscene"


class DiskCache:
    """A folder of pack files of checksummed pickles, keyed by strings."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder) if folder is not None else cache_dir() / "geometry"
        self._index: Index | None = None
        self._pending: dict[str, Any] = {}  # put, not yet handed to a writer
        self._written: dict[str, Any] = {}  # handed to a writer: still served from memory
        self._writer: ThreadPoolExecutor | None = None
        self._writes: list[Future] = []
        self._exit_hook = False

    # ------------------------------------------------------------------ reading
    def get(self, key: str) -> Any | None:
        """The stored value, or None when absent, truncated or corrupt."""
        for held in (self._pending, self._written):
            if key in held:
                return held[key]
        entry = self._entries().get(key)
        if entry is None:
            return None
        path, offset, length, crc = entry
        try:
            with open(path, "rb") as handle:
                data = os.pread(handle.fileno(), length, offset)
            if len(data) != length or zlib.crc32(data) != crc:
                return None
            return pickle.loads(data)
        except Exception:  # noqa: BLE001 - a vanished pack or a bad pickle is a miss
            return None

    def _entries(self) -> Index:
        """The merged index of every pack in the folder, read once; newer packs win."""
        if self._index is None:
            packs = []
            for path in self.folder.glob("*" + PACK_SUFFIX):
                try:
                    packs.append((path.stat().st_mtime_ns, path.name, path))
                except OSError:
                    continue
            self._index = {}
            for *_, path in sorted(packs):
                self._index.update(read_index(path))
        return self._index

    # ------------------------------------------------------------------ writing
    def put_later(self, key: str, value: Any) -> None:
        """Keep an entry for the next pack: see `flush_later` and `flush`; whatever is left
        is written when the interpreter exits."""
        self._pending[key] = value
        if not self._exit_hook:
            atexit.register(self._write_pending_now)
            self._exit_hook = True

    def flush_later(self) -> None:
        """Write the pending entries as one pack in a background thread (pickling the arrays
        and one file write: the GIL is taken a few times, not per entry)."""
        if not self._pending:
            return
        entries, self._pending = self._pending, {}
        self._written.update(entries)
        if self._writer is None:
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ldscene-cache")
        self._writes.append(self._writer.submit(self._write, entries))

    def _write(self, entries: dict[str, Any]) -> None:
        path = write_pack(self.folder, entries)
        if path is not None and self._index is not None:
            self._index.update(read_index(path))
        for key in entries:  # served from the pack now (or rebuilt, if it could not be written)
            self._written.pop(key, None)

    def flush(self) -> None:
        """Write the pending entries and wait for every pack this cache has started."""
        self.flush_later()
        for write in self._writes:
            write.result()
        self._writes.clear()

    def put(self, key: str, value: Any) -> None:
        """Store one entry now, as a pack of its own."""
        self.put_later(key, value)
        self.flush()

    def _write_pending_now(self) -> None:
        # At interpreter exit thread pools no longer take work: write in this thread.
        entries, self._pending = self._pending, {}
        if entries:
            write_pack(self.folder, entries)


def read_index(path: Path) -> Index:
    """A pack's index with absolute offsets; empty if the pack is foreign, stale or damaged."""
    try:
        with open(path, "rb") as handle:
            header = handle.read(_HEADER.size)
            if len(header) != _HEADER.size:
                return {}
            magic, version, length, crc = _HEADER.unpack(header)
            if magic != _MAGIC or version != FORMAT_VERSION:
                return {}
            blob = handle.read(length)
        if len(blob) != length or zlib.crc32(blob) != crc:
            return {}
        rows = pickle.loads(blob)
    except Exception:  # noqa: BLE001 - an unreadable pack holds nothing we can trust
        return {}
    start = _HEADER.size + length
    return {key: (path, start + offset, size, check) for key, offset, size, check in rows}


def write_pack(folder: Path, entries: dict[str, Any]) -> Path | None:
    """Write `entries` as one pack, atomically; returns its path.  Failures (a read-only or
    full disk) are ignored, returning None: it is a cache."""
    rows, blobs, offset = [], [], 0
    for key, value in entries.items():
        blob = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        rows.append((key, offset, len(blob), zlib.crc32(blob)))
        blobs.append(blob)
        offset += len(blob)
    index = pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL)
    header = _HEADER.pack(_MAGIC, FORMAT_VERSION, len(index), zlib.crc32(index))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(header)
                handle.write(index)
                handle.writelines(blobs)
            path = folder / f"{os.getpid()}-{secrets.token_hex(6)}{PACK_SUFFIX}"
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        return None
    return path


def clear_cache() -> tuple[Path, int]:
    """Delete the whole cache folder; returns it and how many entries it held."""
    folder = cache_dir()
    packs = folder.rglob("*" + PACK_SUFFIX) if folder.exists() else []
    count = sum(len(read_index(path)) for path in packs)
    shutil.rmtree(folder, ignore_errors=True)
    return folder, count
