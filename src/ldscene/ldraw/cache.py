"""On-disk cache of expanded part geometry, shared by all runs and processes.

Each entry is one file named by a hash of its key.  The payload is checksummed, so a truncated or
corrupt entry is detected and rebuilt; entries are written to a temporary file and renamed into
place, so two processes writing the same entry at once leave one whole copy, never a mix.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import struct
import tempfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

#: Bump when the cached data's meaning changes; older entries are then ignored.
FORMAT_VERSION = 5
_MAGIC = b"LDSC"
_HEADER = struct.Struct("<4sIQI")  # magic, version, payload length, crc32


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "ldscene"


class DiskCache:
    """A folder of checksummed pickles, keyed by strings."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder) if folder is not None else cache_dir() / "geometry"
        self.hits = 0
        self.misses = 0
        self._writer: ThreadPoolExecutor | None = None

    def _path(self, key: str) -> Path:
        digest = hashlib.sha1(f"{FORMAT_VERSION}\0{key}".encode()).hexdigest()
        return self.folder / f"{digest}.bin"

    def get(self, key: str) -> Any | None:
        """The stored value, or None when absent, stale in format, truncated or corrupt."""
        path = self._path(key)
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:
            self.misses += 1
            return None
        value = self._decode(data, key)
        if value is None:
            self.misses += 1
        else:
            self.hits += 1
        return value

    @staticmethod
    def _decode(data: bytes, key: str) -> Any | None:
        if len(data) < _HEADER.size:
            return None
        magic, version, length, crc = _HEADER.unpack_from(data)
        payload = memoryview(data)[_HEADER.size :]
        if magic != _MAGIC or version != FORMAT_VERSION or length != len(payload):
            return None
        if zlib.crc32(payload) != crc:
            return None
        try:
            stored_key, value = pickle.loads(payload)
        except Exception:  # noqa: BLE001 - any unpickling failure means a bad entry
            return None
        return value if stored_key == key else None

    def put_later(self, key: str, value: Any) -> None:
        """Store in a background thread (file writes release the GIL); see `flush`."""
        if self._writer is None:
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ldscene-cache")
        self._writer.submit(self.put, key, value)

    def flush(self) -> None:
        """Wait for writes queued by `put_later`."""
        if self._writer is not None:
            self._writer.shutdown(wait=True)
            self._writer = None

    def put(self, key: str, value: Any) -> None:
        """Store atomically; failures (read-only disk, full disk) are ignored: it is a cache."""
        path = self._path(key)
        payload = pickle.dumps((key, value), protocol=pickle.HIGHEST_PROTOCOL)
        header = _HEADER.pack(_MAGIC, FORMAT_VERSION, len(payload), zlib.crc32(payload))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(header)
                    handle.write(payload)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            pass


def clear_cache() -> tuple[Path, int]:
    """Delete the whole cache folder; returns it and how many entries it held."""
    folder = cache_dir()
    count = sum(1 for _ in folder.rglob("*.bin")) if folder.exists() else 0
    shutil.rmtree(folder, ignore_errors=True)
    return folder, count
