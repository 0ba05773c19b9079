"""`ldscene library install`: recorded for the next command, skipped when unchanged, safe
against hostile archives (zip-slip, links, clashes, bombs) and never replacing a user's folder."""

from __future__ import annotations

import functools
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from ldscene.errors import LdsceneError
from ldscene.safezip import check_archive

PART_FILES = ("LDConfig.ldr", "parts/3001.dat", "parts/s/3001s01.dat", "p/stud.dat")


def small_library_zip(path: Path, library: Path, extra: dict[str, bytes] | None = None) -> Path:
    """A complete.zip-shaped archive with a few real library files (built at test time)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for rel in PART_FILES:
            archive.write(_real_file(library, rel), "ldraw/" + rel)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


@functools.cache
def _real_file(library: Path, rel: str) -> Path:
    """`rel` in the library whatever its case on disk (the library is walked once, not per
    archive: it holds tens of thousands of files)."""
    exact = library / rel
    if exact.is_file():
        return exact
    return next(
        p for p in library.rglob("*") if p.relative_to(library).as_posix().lower() == rel.lower()
    )


@pytest.fixture
def user_env(tmp_path: Path) -> dict[str, str]:
    """A fresh user: empty config and data folders, no LDRAWDIR."""
    env = dict(os.environ)
    env.pop("LDRAWDIR", None)
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    env["HOME"] = str(tmp_path / "home")
    return env


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ldscene", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_install_is_found_by_the_next_command_and_reinstall_is_skipped(
    tmp_path: Path, library_path: Path, user_env: dict[str, str]
) -> None:
    archive = small_library_zip(tmp_path / "a.zip", library_path)
    target = tmp_path / "lib"
    first = cli(user_env, "library", "install", "--from", str(archive), "--to", str(target), "-q")
    assert first.returncode == 0, first.stderr
    assert "installed the LDraw library" in first.stdout
    shown = cli(user_env, "library")
    assert shown.returncode == 0, shown.stderr
    assert f"LDraw library: {target}" in shown.stdout
    again = cli(user_env, "library", "install", "--from", str(archive), "--to", str(target), "-q")
    assert again.returncode == 0 and "already installed" in again.stdout


def test_a_different_archive_replaces_the_old_tree(
    tmp_path: Path, library_path: Path, user_env: dict[str, str]
) -> None:
    target = tmp_path / "lib"
    old = small_library_zip(tmp_path / "a.zip", library_path, {"ldraw/old-only.txt": b"old"})
    new = small_library_zip(tmp_path / "b.zip", library_path, {"ldraw/new-only.txt": b"new"})
    assert (
        cli(user_env, "library", "install", "--from", str(old), "--to", str(target)).returncode == 0
    )
    done = cli(user_env, "library", "install", "--from", str(new), "--to", str(target), "-q")
    assert done.returncode == 0, done.stderr
    assert "replaced" in done.stdout
    assert (target / "new-only.txt").exists() and not (target / "old-only.txt").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".ldscene-install-")]


def test_a_users_folder_or_file_is_never_replaced_without_force(
    tmp_path: Path, library_path: Path, user_env: dict[str, str]
) -> None:
    archive = small_library_zip(tmp_path / "a.zip", library_path)
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "holiday.jpg").write_bytes(b"precious")
    refused = cli(user_env, "library", "install", "--from", str(archive), "--to", str(folder))
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "--force" in refused.stderr
    assert (folder / "holiday.jpg").read_bytes() == b"precious"
    a_file = tmp_path / "notes.txt"
    a_file.write_text("keep me")
    refused = cli(user_env, "library", "install", "--from", str(archive), "--to", str(a_file))
    assert refused.returncode == 1 and "names a file" in refused.stderr
    assert a_file.read_text() == "keep me"
    forced = cli(
        user_env, "library", "install", "--from", str(archive), "--to", str(folder), "--force"
    )
    assert forced.returncode == 0, forced.stderr
    assert (folder / "LDConfig.ldr").exists() and not (folder / "holiday.jpg").exists()


def _link_entry(name: str, points_to: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, points_to.encode()


@pytest.mark.parametrize(
    "entry",
    [
        "../escaped.txt",
        "ldraw/../../escaped.txt",
        "/tmp/escaped-abs.txt",
        "C:/escaped.txt",
        "ldraw\\..\\..\\escaped.txt",
        "link",
        "clash",
    ],
)
def test_hostile_archives_write_nothing(
    tmp_path: Path, library_path: Path, user_env: dict[str, str], entry: str
) -> None:
    archive = small_library_zip(tmp_path / "evil.zip", library_path)
    with zipfile.ZipFile(archive, "a") as handle:
        if entry == "link":
            handle.writestr(*_link_entry("ldraw/parts/evil.dat", "/etc/passwd"))
        elif entry == "clash":
            handle.writestr("ldraw/parts/3001.dat/inner.dat", b"0 x\n")
        else:
            handle.writestr(entry, b"escaped")
    target = tmp_path / "out" / "lib"
    done = cli(user_env, "library", "install", "--from", str(archive), "--to", str(target), "-q")
    assert done.returncode == 1, done.stdout
    assert "unsafe zip entry" in done.stderr and "Traceback" not in done.stderr
    assert not target.exists()
    assert not list(tmp_path.rglob("escaped*")) and not Path("/tmp/escaped-abs.txt").exists()
    assert not (tmp_path / "config").exists()  # nothing recorded either


def test_zip_bombs_are_refused_before_inflating(tmp_path: Path, library_path: Path) -> None:
    archive = small_library_zip(tmp_path / "bomb.zip", library_path)
    with zipfile.ZipFile(archive, "a", zipfile.ZIP_DEFLATED) as handle:
        handle.writestr("ldraw/parts/zeros.dat", bytes(64 << 20))  # 64 MiB -> ~64 KiB
    with zipfile.ZipFile(archive) as handle, pytest.raises(LdsceneError, match="zip bomb"):
        check_archive(archive, handle.infolist())
    small = small_library_zip(tmp_path / "big.zip", library_path)
    with zipfile.ZipFile(small) as handle, pytest.raises(LdsceneError, match="inflates to more"):
        check_archive(small, handle.infolist(), max_total=1000)


@pytest.mark.slow
def test_the_official_archive_passes_the_checks() -> None:
    from conftest import COMPLETE_ZIP

    with zipfile.ZipFile(COMPLETE_ZIP) as handle:
        members = check_archive(COMPLETE_ZIP, handle.infolist())
    assert len(members) > 20_000


@pytest.mark.slow  # a child process
def test_a_damaged_archive_is_one_line(
    tmp_path: Path, library_path: Path, user_env: dict[str, str]
) -> None:
    """Bytes flipped inside a member's compressed data: zlib's error came out as a traceback."""
    archive = small_library_zip(tmp_path / "damaged.zip", library_path)
    with zipfile.ZipFile(archive) as handle:
        info = handle.getinfo("ldraw/parts/3001.dat")
    data = bytearray(archive.read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for at in range(start + 20, start + min(info.compress_size, 400) - 20):
        data[at] ^= 0x5A
    archive.write_bytes(bytes(data))
    target = tmp_path / "out" / "lib"
    done = cli(user_env, "library", "install", "--from", str(archive), "--to", str(target), "-q")
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "damaged" in done.stderr or "CRC" in done.stderr, done.stderr
    assert not target.exists()
