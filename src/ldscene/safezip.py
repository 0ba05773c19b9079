"""Unpack a zip archive safely: the one routine every extraction goes through.

An archive is checked whole before anything is written: member names that would land outside
the target (`../`, absolute names, drive letters), symlink and other special entries, a file
that clashes with a folder of the same name, and sizes that look like a zip bomb (a total
beyond `MAX_TOTAL_BYTES` or an entry inflating more than `MAX_RATIO` times).  Any of them is
one `LdsceneError` naming the entry; nothing is written.  The caller unpacks into a fresh
folder and renames it into place, so a failure half-way leaves nothing half-installed.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

from ldscene.errors import LdsceneError

#: The official complete.zip inflates to ~430 MB (2025); ten times that is refused.
MAX_TOTAL_BYTES = 4 << 30
#: LDraw text compresses ~5x (at most ~20x in complete.zip); a bomb compresses ~1000x.
MAX_RATIO = 200
MAX_ENTRIES = 1_000_000

_DRIVE = re.compile(r"^[A-Za-z]:")


def _bad(archive: Path, entry: str, why: str) -> LdsceneError:
    return LdsceneError(
        f"unsafe zip entry {entry!r}: {why}",
        path=str(archive),
        hint="nothing was installed; use the official complete.zip from ldraw.org",
    )


def safe_name(archive: Path, info: zipfile.ZipInfo) -> tuple[str, ...]:
    """The entry's path components, refused when it could land outside the target folder."""
    name = info.filename.replace("\\", "/")
    if name.startswith("/") or _DRIVE.match(name):
        raise _bad(archive, info.filename, "absolute path")
    parts = tuple(p for p in name.split("/") if p not in ("", "."))
    if ".." in parts:
        raise _bad(archive, info.filename, "'..' would write outside the target folder")
    if any("\0" in p or _DRIVE.match(p) for p in parts):
        raise _bad(archive, info.filename, "not a plain relative path")
    mode = info.external_attr >> 16  # Unix mode where the creator recorded one
    if stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        kind = "a symbolic link" if stat.S_ISLNK(mode) else "a special file"
        raise _bad(archive, info.filename, f"{kind}, not a plain file")
    return parts


def check_archive(
    archive: Path,
    infos: list[zipfile.ZipInfo],
    max_total: int = MAX_TOTAL_BYTES,
    max_ratio: float = MAX_RATIO,
) -> list[tuple[zipfile.ZipInfo, tuple[str, ...]]]:
    """Every file entry with its safe path components; raises on the first unsafe entry."""
    if len(infos) > MAX_ENTRIES:
        raise _bad(archive, f"({len(infos):,} entries)", f"more than {MAX_ENTRIES:,} entries")
    files: list[tuple[zipfile.ZipInfo, tuple[str, ...]]] = []
    folders: set[tuple[str, ...]] = set()
    seen: dict[tuple[str, ...], str] = {}
    total = 0
    for info in infos:
        parts = safe_name(archive, info)
        if not parts:
            continue
        key = tuple(p.lower() for p in parts)  # clashes on case-insensitive file systems too
        for depth in range(1, len(key)):
            folders.add(key[:depth])
        if info.is_dir():
            folders.add(key)
            continue
        if key in seen:
            raise _bad(archive, info.filename, f"a second entry for {seen[key]!r}")
        seen[key] = info.filename
        total += info.file_size
        if total > max_total:
            raise _bad(
                archive, info.filename, f"the archive inflates to more than {max_total:,} bytes"
            )
        if info.file_size > 1 << 20 and info.file_size > max_ratio * max(info.compress_size, 1):
            raise _bad(
                archive,
                info.filename,
                f"inflates {info.file_size / max(info.compress_size, 1):,.0f} times (a zip bomb?)",
            )
        files.append((info, parts))
    for info, _parts in files:
        key = tuple(p.lower() for p in _parts)
        if key in folders:
            raise _bad(archive, info.filename, "a file with the same name as a folder")
    return files


def extract(
    archive: Path,
    zf: zipfile.ZipFile,
    members: list[tuple[zipfile.ZipInfo, tuple[str, ...]]],
    target: Path,
    strip: int = 0,
    advance: Callable[[], object] | None = None,
) -> None:
    """Write checked `members` under the new folder `target`, dropping `strip` leading
    components; never follows a link and never writes a file twice."""
    target.mkdir(parents=True, exist_ok=False)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        for info, parts in members:
            inner = parts[strip:]
            if not inner:
                continue
            destination = target.joinpath(*inner)
            destination.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(destination, flags, 0o644)
            with zf.open(info) as src, os.fdopen(fd, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            if advance is not None:
                advance()
    except zlib.error as err:  # a member's compressed data is damaged (its CRC is read last)
        raise LdsceneError(
            f"cannot unpack {archive}: it is damaged ({err})",
            hint="nothing was installed; download the archive again",
        ) from None
    except (OSError, zipfile.BadZipFile, EOFError) as err:
        raise LdsceneError(
            f"cannot unpack {archive}: {getattr(err, 'strerror', None) or err}",
            hint="nothing was installed; check the disk space and the archive",
        ) from None
