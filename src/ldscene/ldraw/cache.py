"""On-disk cache of expanded part geometry and render meshes, shared by all runs and processes.

A run keeps its new entries in memory and writes them together as one *pack* file: a header,
a JSON index of (key, offset, length, crc32) and the entries, each encoded by `codec` (JSON plus
raw numpy buffers: reading a pack cannot run code, unlike the pickles of format 6).  One file
per run, not one per part: a cold Millennium Falcon render wrote about 500 entry files, whose
system calls and GIL hand-offs beside the load and the GL set-up cost 0.4 s.  A pack is written
to a temporary file and renamed into place, so readers never see half of one, and two processes
writing at once each leave a whole pack; temporaries a killed run left behind are removed by
the next writer once they are `STALE_AFTER_S` old.  Every entry is checksummed, and anything
malformed (a bad checksum, an index of the wrong shape, an entry that does not decode) is a
miss, whose rebuilt copy goes into a newer pack, which wins (a pack's name starts with the time
it was written).  A folder is kept under `max_bytes()`: a pack's modification time is stamped
when a run reads from it, and a writer deletes packs of older format versions and then the
least recently used packs (`prune`).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import json
import os
import secrets
import shutil
import struct
import sys
import tempfile
import time
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ldscene.ldraw.codec import decode, encode

#: Bump when the cached data's meaning changes; packs of other versions are then ignored.
FORMAT_VERSION = 8
_MAGIC = b"LDSP"
_HEADER = struct.Struct("<4sIQI")  # magic, version, index length, index crc32
PACK_SUFFIX = ".pack"
TEMP_PREFIX = ".tmp-"
#: A temporary pack this old was left by a killed run (a live writer finishes in seconds).
STALE_AFTER_S = 15 * 60
#: The size a cache folder is kept under, in MB (`LDSCENE_CACHE_MB` changes it): after a
#: writer adds a pack, the least recently used packs go until the folder fits.
DEFAULT_MAX_MB = 1024
MAX_MB_ENV = "LDSCENE_CACHE_MB"

#: key -> (pack file, absolute offset, length, crc32)
Index = dict[str, tuple[Path, int, int, int]]


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "ldscene"


class DiskCache:
    """A folder of pack files of checksummed entries, keyed by strings."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder) if folder is not None else cache_dir() / "geometry"
        self._index: Index | None = None
        self._pending: dict[str, Any] = {}  # put, not yet handed to a writer
        self._written: dict[str, Any] = {}  # handed to a writer: still served from memory
        self._writer: ThreadPoolExecutor | None = None
        self._writes: list[Future] = []
        self._exit_hook = False
        self._used: set[Path] = set()  # packs this process read from (see `_mark_used`)

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
        data = bytearray(length)  # writable: the decoded arrays are views of it
        try:
            with open(path, "rb") as handle:
                handle.seek(offset)
                if handle.readinto(data) != length or zlib.crc32(data) != crc:
                    return None
            value = decode(data)
        except (OSError, ValueError):  # a vanished or unreadable pack, a bad entry: a miss
            return None
        self._mark_used(path)
        return value

    def _mark_used(self, path: Path) -> None:
        """Stamp a pack's modification time (once per process): `prune` deletes the packs
        used longest ago.  (Not the access time: reading every pack's index at start-up
        refreshes that, under Linux's default relatime, once a day.)"""
        if path not in self._used:
            self._used.add(path)
            with contextlib.suppress(OSError):
                os.utime(path)

    def _entries(self) -> Index:
        """The merged index of every pack in the folder, read once; newer packs win (by the
        time of writing their names start with, not their modification time: see `prune`)."""
        if self._index is None:
            packs = []
            with contextlib.suppress(OSError), os.scandir(self.folder) as entries:
                for entry in entries:  # an unreadable folder is an empty cache
                    if entry.name.endswith(PACK_SUFFIX) and not entry.name.startswith("."):
                        packs.append((entry.name, Path(entry.path)))
            self._index = {}
            for _, path in sorted(packs):
                self._index.update(read_index(path))
        return self._index

    def forget_index(self) -> None:
        """Read the folder's packs again at the next `get` (after the folder was cleared)."""
        self._index = None

    # ------------------------------------------------------------------ writing
    def put_later(self, key: str, value: Any) -> None:
        """Keep an entry for the next pack: see `flush_later` and `flush`; whatever is left
        is written when the interpreter exits."""
        self._pending[key] = value
        if not self._exit_hook:
            atexit.register(self._write_pending_now)
            self._exit_hook = True

    def flush_later(self) -> None:
        """Write the pending entries as one pack in a background thread (encoding the arrays
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


_OPEN: dict[Path, DiskCache] = {}


def open_cache(name: str) -> DiskCache:
    """The process's one `DiskCache` for the cache folder `name` ("geometry", ...): its
    packs' indexes are read once per process, not once per model load (a scene loads each
    of its files in a session of its own: the Stalingrad scene read every index 16 times)."""
    folder = cache_dir() / name  # XDG_CACHE_HOME may change between calls (tests do that)
    cache = _OPEN.get(folder)
    if cache is None:
        cache = _OPEN[folder] = DiskCache(folder)
    return cache


@functools.cache
def code_digest(sources: tuple[str, ...], versions: str) -> bytes:
    """A digest of `versions` (of the libraries the code uses) and of the source files
    `sources`: the key of a cached result carries the digest of the code that computed it,
    so that any change to that code makes it a miss."""
    digest = hashlib.blake2b(versions.encode())
    for source in sources:
        digest.update(Path(source).read_bytes())
    return digest.digest()


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
            size = os.fstat(handle.fileno()).st_size
        if len(blob) != length or zlib.crc32(blob) != crc:
            return {}
        rows = json.loads(blob)
    except (OSError, ValueError, struct.error):  # unreadable or not ours: holds nothing
        return {}
    start = _HEADER.size + length
    index: Index = {}
    for row in rows if isinstance(rows, list) else [None]:
        if not _good_row(row, size - start):
            return {}  # a pack whose index has the wrong shape is not trusted at all
        key, offset, count, check = row
        index[key] = (path, start + offset, count, check)
    return index


def _good_row(row: Any, room: int) -> bool:
    """An index row: [key, offset, length, crc32], the entry inside the pack."""
    if not isinstance(row, list) or len(row) != 4 or not isinstance(row[0], str):
        return False
    numbers = row[1:]
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in numbers):
        return False
    return row[1] + row[2] <= room and row[3] < 1 << 32


def write_pack(folder: Path, entries: dict[str, Any]) -> Path | None:
    """Write `entries` as one pack, atomically; returns its path.  Failures (a read-only or
    full disk) are ignored, returning None: it is a cache."""
    rows, blobs, offset = [], [], 0
    for key, value in entries.items():
        try:
            pieces = encode(value)
        except TypeError:  # not a cacheable value: left out, rebuilt next time
            continue
        crc, size = 0, 0
        for piece in pieces:
            crc = zlib.crc32(piece, crc)
            size += len(piece)
        rows.append((key, offset, size, crc))
        blobs.extend(pieces)
        offset += size
    index = json.dumps(rows, separators=(",", ":")).encode()
    header = _HEADER.pack(_MAGIC, FORMAT_VERSION, len(index), zlib.crc32(index))
    limit = max_bytes()
    if len(header) + len(index) + offset > limit:  # alone over the limit (0: keep no cache)
        prune(folder, limit)
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(folder)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=TEMP_PREFIX)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(header)
                handle.write(index)
                handle.writelines(blobs)
            name = f"{time.time_ns():020d}-{os.getpid()}-{secrets.token_hex(6)}{PACK_SUFFIX}"
            path = folder / name
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        return None
    prune(folder, limit, keep=path)
    return path


def max_bytes() -> int:
    """How large a cache folder may grow (`LDSCENE_CACHE_MB`, default `DEFAULT_MAX_MB`)."""
    text = os.environ.get(MAX_MB_ENV, "").strip()
    try:
        megabytes = float(text) if text else DEFAULT_MAX_MB
    except ValueError:
        megabytes = DEFAULT_MAX_MB  # a cache setting never stops a render, but is named
        if text not in _WARNED:
            _WARNED.add(text)
            print(
                f"warning: {MAX_MB_ENV}={text!r} is not a number of megabytes; "
                f"the cache keeps {DEFAULT_MAX_MB} MB",
                file=sys.stderr,
            )
    return int(max(megabytes, 0) * 1024 * 1024)


_WARNED: set[str] = set()  # LDSCENE_CACHE_MB values already warned of, once a process


def prune(folder: Path, limit: int, keep: Path | None = None) -> list[Path]:
    """Delete packs of an older format version (no run reads them again), then the least
    recently used packs (by modification time, which `DiskCache.get` stamps) until the
    folder's packs take at most `limit` bytes, never `keep`; returns the deleted ones.

    An entry a later run still needs is rebuilt into a new pack, and a reader whose pack
    went gets a miss.  Packs of a newer version (another ldscene sharing the cache) stay."""
    packs = []
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.endswith(PACK_SUFFIX) and not entry.name.startswith("."):
                with contextlib.suppress(OSError):
                    stat = entry.stat(follow_symlinks=False)
                    path = Path(entry.path)
                    packs.append((not _obsolete(path), stat.st_mtime_ns, stat.st_size, path))
    total = sum(pack[2] for pack in packs)
    deleted = []
    for current, _, size, path in sorted(packs):  # obsolete ones first, then the oldest used
        if total <= limit and current:
            break
        if keep is not None and path == keep:
            continue
        with contextlib.suppress(OSError):
            path.unlink()
            deleted.append(path)
            total -= size
    return deleted


def _obsolete(path: Path) -> bool:
    """Whether a pack was written by an older format version of this cache."""
    try:
        with open(path, "rb") as handle:
            header = handle.read(_HEADER.size)
        magic, version, _, _ = _HEADER.unpack(header)
    except (OSError, struct.error):
        return False
    return magic == _MAGIC and version < FORMAT_VERSION


def remove_stale_temporaries(folder: Path, now: float | None = None) -> None:
    """Delete temporary packs older than `STALE_AFTER_S` (a killed writer's), never a live
    writer's."""
    now = time.time() if now is None else now
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.startswith(TEMP_PREFIX):
                with contextlib.suppress(OSError):
                    if now - entry.stat(follow_symlinks=False).st_mtime > STALE_AFTER_S:
                        os.unlink(entry.path)


def clear_cache() -> tuple[Path, int, int]:
    """Delete the whole cache folder; returns it, how many pack entries it held and its size
    in bytes (the packs and everything else kept there, such as the part search index)."""
    folder = cache_dir()
    files = [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []
    count = sum(len(read_index(path)) for path in files if path.suffix == PACK_SUFFIX)
    size = 0
    for path in files:
        with contextlib.suppress(OSError):
            size += path.stat().st_size
    shutil.rmtree(folder, ignore_errors=True)
    for cache in _OPEN.values():
        cache.forget_index()
    return folder, count, size
