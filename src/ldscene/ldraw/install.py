"""`ldscene library install`: fetch the official complete.zip, check it, unpack it."""

from __future__ import annotations

import os
import shutil
import tempfile
import urllib.request
import zipfile
from pathlib import Path

from ldscene.errors import LdsceneError
from ldscene.ldraw.library import Library, data_dir

OFFICIAL_URL = "https://library.ldraw.org/library/updates/complete.zip"


def _progress(total: int | None, description: str, enabled: bool):
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

    progress = Progress(
        TextColumn(description), BarColumn(), DownloadColumn(), disable=not enabled, transient=True
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


def _verify(archive: Path) -> Library:
    if not zipfile.is_zipfile(archive):
        raise LdsceneError(
            f"{archive} is not a zip archive", hint="give the official complete.zip from ldraw.org"
        )
    library = Library(archive)
    if "ldconfig.ldr" not in library.index or library.n_parts == 0:
        raise LdsceneError(
            f"{archive} does not hold an LDraw library (no LDConfig.ldr or parts/)",
            hint="give the official complete.zip from ldraw.org",
        )
    bad = library._zip.testzip() if library._zip is not None else None  # noqa: SLF001
    if bad is not None:
        raise LdsceneError(f"{archive} is damaged (bad CRC in {bad})", hint="download it again")
    return library


def install_library(source: str | None, target: Path | None = None, progress: bool = True) -> Path:
    """Install from a URL or local zip into `target` (default: the user data folder).

    Unpacks beside the target and renames into place, so an interrupted install leaves the old
    library (or nothing), never half a library.  Returns the library folder.
    """
    target = Path(target) if target is not None else data_dir() / "ldraw"
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".ldscene-install-", dir=target.parent))
    try:
        source = source or OFFICIAL_URL
        if "://" in source:
            archive = work / "complete.zip"
            _download(source, archive, progress)
        else:
            archive = Path(source).expanduser()
            if not archive.is_file():
                raise LdsceneError(f"{archive} does not exist", hint="give a complete.zip path")
        library = _verify(archive)
        unpacked = work / "ldraw"
        members = [(rel, real) for rel, real in library.index.items()]
        bar, task = _progress(len(members), "unpacking", progress)
        with bar:
            for _rel, real in members:
                inner = real[len(library._prefix) :]  # noqa: SLF001
                destination = unpacked / inner
                destination.parent.mkdir(parents=True, exist_ok=True)
                with library._zip.open(real) as src, open(destination, "wb") as dst:  # noqa: SLF001
                    shutil.copyfileobj(src, dst)
                bar.advance(task)
        if target.exists():
            old = work / "previous"
            os.replace(target, old)
        os.replace(unpacked, target)
        return target
    finally:
        shutil.rmtree(work, ignore_errors=True)
