"""`ldscene library install`: fetch the official complete.zip, check it, unpack it.

The archive is checked whole (`safezip`) and unpacked into a fresh folder beside the target,
which is then renamed into place: an interrupted or refused install leaves the old library (or
nothing), never half a library.  The installed folder holds a marker (`MARKER`) with the
archive's SHA-256: installing the same archive again is skipped, a different one replaces the
old tree (renamed aside, then deleted with one `rmtree`), and a folder without the marker is
never replaced unless forced.  The folder is recorded in the user's config file, so the next
command finds it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ldscene.errors import LdsceneError
from ldscene.ldraw.library import Library, data_dir, remember_library
from ldscene.safezip import check_archive, extract

OFFICIAL_URL = "https://library.ldraw.org/library/updates/complete.zip"
#: Written into an installed library: what it was installed from.
MARKER = ".ldscene-library.json"
_WORK_PREFIX = ".ldscene-install-"
_STALE_S = 15 * 60


@dataclass
class Installed:
    folder: Path
    skipped: bool  # the same archive was already installed there
    replaced: bool  # an older ldscene-installed library was replaced
    config: Path | None  # the config file that now names `folder` (None: not recorded)


def _progress(total: int | None, description: str, enabled: bool):
    from rich.progress import BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TextColumn

    count = DownloadColumn() if description == "downloading" else MofNCompleteColumn()
    progress = Progress(
        TextColumn(description), BarColumn(), count, disable=not enabled, transient=True
    )
    return progress, progress.add_task(description, total=total)


def _download(url: str, target: Path, show: bool) -> None:
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(target, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            progress, task = _progress(total, "downloading", show)
            with progress:
                while chunk := response.read(1 << 20):
                    out.write(chunk)
                    progress.advance(task, len(chunk))
    except OSError as err:
        raise LdsceneError(
            f"cannot download {url} ({err})",
            hint="check the network, or pass --from a downloaded complete.zip",
        ) from None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _open_archive(archive: Path) -> Library:
    if not zipfile.is_zipfile(archive):
        raise LdsceneError(
            f"{archive} is not a zip archive", hint="give the official complete.zip from ldraw.org"
        )
    try:
        with zipfile.ZipFile(archive) as handle:
            check_archive(archive, handle.infolist())  # before anything reads an entry
    except (zipfile.BadZipFile, OSError) as err:
        raise LdsceneError(f"{archive} is not a readable zip archive ({err})") from None
    library = Library(archive)
    if "ldconfig.ldr" not in library.index or library.n_parts == 0:
        raise LdsceneError(
            f"{archive} does not hold an LDraw library (no LDConfig.ldr or parts/)",
            hint="give the official complete.zip from ldraw.org",
        )
    return library


def installed_marker(folder: Path) -> dict | None:
    """The marker of an ldscene-installed library folder, or None."""
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _check_target(target: Path, force: bool) -> dict | None:
    """Refuse a target that is a file, or a non-empty folder we did not install (unless
    forced); returns the marker of a library we installed there before."""
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise LdsceneError(
            "--to names a file, not a folder",
            path=str(target),
            hint="give a folder to install into",
        )
    if not target.exists():
        return None
    marker = installed_marker(target)
    if marker is None and any(target.iterdir()) and not force:
        raise LdsceneError(
            "the folder is not empty and holds no ldscene-installed library",
            path=str(target),
            hint="give an empty or new folder, or --force to replace what is there",
        )
    return marker


def _remove_stale_work(parent: Path) -> None:
    """Delete work folders of installs that were killed (older than a few minutes)."""
    now = time.time()
    with contextlib.suppress(OSError):
        for entry in parent.iterdir():
            if entry.name.startswith(_WORK_PREFIX) and now - entry.stat().st_mtime > _STALE_S:
                shutil.rmtree(entry, ignore_errors=True)


def install_library(
    source: str | None,
    target: Path | None = None,
    progress: bool = True,
    force: bool = False,
    remember: bool = True,
) -> Installed:
    """Install from a URL or local zip into `target` (default: the user data folder)."""
    target = Path(target).expanduser() if target is not None else data_dir() / "ldraw"
    target = target.absolute()
    marker = _check_target(target, force)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_work(target.parent)
        work = Path(tempfile.mkdtemp(prefix=_WORK_PREFIX, dir=target.parent))
    except OSError as err:
        raise LdsceneError(f"cannot write here ({err.strerror})", path=str(target)) from None
    try:
        source = source or OFFICIAL_URL
        if "://" in source:
            archive = work / "complete.zip"
            _download(source, archive, progress)
        else:
            archive = Path(source).expanduser()
            if not archive.is_file():
                raise LdsceneError(f"{archive} does not exist", hint="give a complete.zip path")
        checksum = _sha256(archive)
        if marker is not None and marker.get("sha256") == checksum and not force:
            return Installed(target, True, False, _remember(target, remember))
        library = _open_archive(archive)
        zf = library._zip  # noqa: SLF001
        assert zf is not None
        members = check_archive(archive, zf.infolist())
        prefix = tuple(p for p in library._prefix.split("/") if p)  # noqa: SLF001
        members = [
            (i, p) for i, p in members if tuple(x.lower() for x in p[: len(prefix)]) == prefix
        ]
        unpacked = work / "ldraw"
        bar, task = _progress(len(members), "unpacking", progress)
        with bar:
            extract(archive, zf, members, unpacked, len(prefix), lambda: bar.advance(task))
        info = {"sha256": checksum, "source": str(source), "installed": time.time()}
        (unpacked / MARKER).write_text(json.dumps(info), encoding="utf-8")
        replaced = target.exists()
        if replaced:
            os.replace(target, work / "previous")  # aside: the rmtree below removes it whole
        os.replace(unpacked, target)
        return Installed(
            target, False, replaced and marker is not None, _remember(target, remember)
        )
    except OSError as err:
        raise LdsceneError(f"cannot install ({err.strerror or err})", path=str(target)) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _remember(folder: Path, remember: bool) -> Path | None:
    return remember_library(folder) if remember else None
