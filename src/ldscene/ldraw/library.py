"""Finding the LDraw parts library and looking files up in it, case-insensitively.

A library is a folder or a `complete.zip`-style archive (read in place).  Both are indexed once
by lower-cased relative path (``parts/s/3001s01.dat``), so each lookup is a dict probe.
"""

from __future__ import annotations

import contextlib
import json
import os
import zipfile
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path

from ldscene.errors import LibraryNotFoundError

#: Library folders searched, in order, for a referenced name (after the model's own folders).
SEARCH_FOLDERS = ("parts/", "p/", "models/", "unofficial/parts/", "unofficial/p/")

LIBRARY_HELP = (
    "point --library or LDRAWDIR at an LDraw library folder or complete.zip, "
    "or run `ldscene library install` to download the official one"
)


def normalise(name: str) -> str:
    """LDraw reference name → index key: lower case, `/` separators, no leading `./`."""
    key = name.strip().replace("\\", "/").lower()
    while key.startswith("./"):
        key = key[2:]
    return key


class SourceKind(Enum):
    LIB = "lib"  # a library file
    FS = "fs"  # a file on disk outside the library
    MPD = "mpd"  # a `0 FILE` block of an MPD file on disk


#: What LDraw files are called: parts and primitives `.dat`, models `.ldr`, multi-part `.mpd`.
LDRAW_SUFFIXES = (".dat", ".ldr", ".mpd")


def find_in_folder(folder: Path, key: str) -> Path | None:
    """The file `key` (lower case, may hold `/`, `.` and `..`) under `folder`, matched
    case-insensitively; None when it is not there or lies outside `folder`."""
    current = folder
    for part in key.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            current = current.parent
            continue
        try:
            entries = {e.lower(): e for e in os.listdir(current)}
        except OSError:
            return None
        if part not in entries:
            return None
        current = current / entries[part]
    if not current.is_file() or not current.resolve().is_relative_to(folder.resolve()):
        return None
    return current


@dataclass(frozen=True)
class SourceKey:
    """Which file a source is, as a value: equal keys mean the same file, whatever name,
    case or separators a reference used to reach it."""

    kind: SourceKind
    path: str  # LIB: the library index key ("parts/3001.dat"); FS, MPD: the resolved file path
    block: str = ""  # MPD: the block's normalised name
    own: bool = False  # the loose geometry (type 2-5 lines) a model file draws itself
    # Keys index every table of a load (hundreds of thousands of lookups for a large model):
    # the hash is computed once, not from four fields (one an Enum) on every lookup.
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash((self.kind.value, self.path, self.block, self.own)))

    def __hash__(self) -> int:
        return self._hash

    @classmethod
    def lib(cls, rel: str) -> SourceKey:
        return cls(SourceKind.LIB, normalise(rel))

    @classmethod
    def fs(cls, path: Path | str) -> SourceKey:
        return cls(SourceKind.FS, str(path))

    @classmethod
    def mpd(cls, path: Path | str, block: str) -> SourceKey:
        return cls(SourceKind.MPD, str(path), normalise(block))

    def own_lines(self) -> SourceKey:
        """The key of this model file's own loose geometry."""
        return replace(self, own=True)

    def container(self) -> SourceKey:
        """The file on disk that holds this source (an MPD block's file)."""
        return SourceKey.fs(self.path) if self.kind is SourceKind.MPD else self

    @property
    def folder(self) -> Path | None:
        """The folder of a file on disk (where its relative references and textures are)."""
        return None if self.kind is SourceKind.LIB else Path(self.path).parent

    def __str__(self) -> str:
        """The stable text form ("lib:parts/3001.dat", "mpd:/abs/file.mpd#sub.ldr"), written
        into disk-cache keys: changing it invalidates the cache."""
        text = f"{self.kind.value}:{self.path}" + (f"#{self.block}" if self.block else "")
        return text + ("#own" if self.own else "")


@dataclass(frozen=True)
class Source:
    """Where a referenced file was found."""

    key: SourceKey
    display: str  # human readable location
    is_part: bool | None  # True/False from the library folder; None: decide from the header


class Library:
    """An indexed LDraw library folder or zip archive."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.is_zip = self.root.is_file()
        self._zip: zipfile.ZipFile | None = None
        self._prefix = ""
        self.index: dict[str, str] = {}  # lower-case relative path → real member/file path
        self._fingerprint: str | None = None
        # Reference name → what `find` found: a large model asks ~14,000 times for a few
        # hundred names, and handing out the same Source lets dictionaries keyed by it
        # match by identity.
        self._found: dict[str, Source | None] = {}
        if self.is_zip:
            self._index_zip()
        else:
            self._index_folder()

    # -- indexing ---------------------------------------------------------------------------
    def _index_folder(self) -> None:
        """Every file under the root, by lower-cased relative path.  A folder reached twice
        (a symbolic link to a folder above it) is indexed once, and a link that loops or
        leads nowhere is indexed as a file: asked for, it is reported where it is used."""
        todo = [("", "")]  # (lower-case prefix, real prefix) relative to the root
        seen: set[tuple[int, int]] = set()
        while todo:
            low_prefix, real_prefix = todo.pop()
            folder = os.path.join(self.root, real_prefix)
            try:
                found = os.stat(folder)
                if (found.st_dev, found.st_ino) in seen:
                    continue
                seen.add((found.st_dev, found.st_ino))
                with os.scandir(folder) as listing:
                    entries = list(listing)
            except OSError:  # unreadable: its files are not there to find
                continue
            for entry in entries:
                name = entry.name
                try:
                    is_folder = entry.is_dir()
                except OSError:  # a symbolic link that loops
                    is_folder = False
                if is_folder:
                    todo.append((low_prefix + name.lower() + "/", real_prefix + name + "/"))
                else:
                    self.index[low_prefix + name.lower()] = real_prefix + name

    def _index_zip(self) -> None:
        try:
            self._zip = zipfile.ZipFile(self.root)
        except (zipfile.BadZipFile, OSError) as err:
            raise LibraryNotFoundError(
                f"{self.root} is not a readable zip archive ({err})", hint=LIBRARY_HELP
            ) from None
        names = self._zip.namelist()
        # The official complete.zip has one top folder "ldraw/"; accept a flat archive too.
        lowered = [n.lower() for n in names]
        if not any(n == "ldconfig.ldr" or n.startswith("parts/") for n in lowered):
            tops = {n.split("/", 1)[0] for n in lowered if "/" in n}
            if len(tops) == 1:
                self._prefix = tops.pop() + "/"
        cut = len(self._prefix)
        for name, low in zip(names, lowered):
            if not name.endswith("/") and low.startswith(self._prefix):
                self.index[low[cut:]] = name

    # -- queries ----------------------------------------------------------------------------
    def is_valid(self) -> bool:
        return "ldconfig.ldr" in self.index or any(k.startswith("parts/") for k in self.index)

    @property
    def n_parts(self) -> int:
        return sum(
            1
            for k in self.index
            if k.startswith("parts/") and k.endswith(".dat") and not k.startswith("parts/s/")
        )

    def find(self, name: str) -> Source | None:
        """Resolve a reference through the library folders in LDraw's usual order."""
        try:
            return self._found[name]
        except KeyError:
            found = self._found[name] = self._search(normalise(name))
            return found

    def _search(self, key: str) -> Source | None:
        for folder in SEARCH_FOLDERS:
            rel = folder + key
            if rel in self.index:
                is_part = None
                if folder.endswith("parts/"):
                    is_part = not key.startswith("s/")
                elif folder == "p/" or folder == "unofficial/p/":
                    is_part = False
                return Source(
                    SourceKey(SourceKind.LIB, rel), f"{self.root}/{self.index[rel]}", is_part
                )
        return None

    def find_named(self, name: str) -> Source | None:
        """A file named on the command line (`3001`, `3001.dat`, `s/3001s01.dat`): `find`,
        with `.dat` added to a name without a suffix."""
        found = self.find(name)
        if found is None and not Path(name).suffix:
            found = self.find(name + ".dat")
        return found

    def read(self, rel: str) -> bytes:
        """Bytes of the file at index key `rel`."""
        real = self.index[rel]
        if self._zip is not None:
            return self._zip.read(real)
        with open(os.path.join(self.root, real), "rb") as handle:
            return handle.read()

    def stat_key(self, rel: str) -> tuple[int, int]:
        """(size, mtime_ns) identifying a file's version, for the disk cache."""
        if self._zip is not None:
            info = self._zip.getinfo(self.index[rel])
            return info.file_size, info.CRC
        st = os.stat(os.path.join(self.root, self.index[rel]))
        return st.st_size, st.st_mtime_ns

    def fingerprint(self) -> str:
        """Identifies this library for cache keys (worked out once: every cache key uses it)."""
        if self._fingerprint is None:
            self._fingerprint = self._make_fingerprint()
        return self._fingerprint

    def _make_fingerprint(self) -> str:
        if self.is_zip:
            st = self.root.stat()
            return f"zip:{self.root.resolve()}:{st.st_size}:{st.st_mtime_ns}"
        return f"dir:{self.root.resolve()}"


# -- locating a library ---------------------------------------------------------------------


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(Path.home(), ".config")
    return Path(base) / "ldscene" / "config.yaml"


def data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(Path.home(), ".local", "share")
    return Path(base) / "ldscene"


def _config_lines() -> list[str]:
    try:
        return config_path().read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:  # absent or unreadable: no configuration
        return []


def _configured_library() -> Path | None:
    """`library: PATH` from the user's config file, read without a YAML dependency."""
    for line in _config_lines():
        key, _, value = line.partition(":")
        value = value.strip()
        if key.strip() == "library" and value:
            with contextlib.suppress(ValueError):
                value = json.loads(value) if value.startswith('"') else value
            return Path(os.path.expanduser(str(value).strip("'\"")))
    return None


def remember_library(folder: Path) -> Path:
    """Make `folder` the library the config file names (other settings kept); returns the
    config file."""
    from ldscene.atomic import write_atomic

    value = json.dumps(str(Path(folder).absolute()))  # a JSON string is a YAML string
    lines = [ln for ln in _config_lines() if ln.partition(":")[0].strip() != "library"]
    text = "\n".join([*lines, f"library: {value}"]) + "\n"
    path = config_path()
    write_atomic(path, lambda handle: handle.write(text.encode()), "the config file")
    _OPENED.clear()
    return path


def candidate_paths(explicit: Path | str | None = None) -> list[tuple[str, Path]]:
    """Where `find_library` looks, in order, as (origin, path): for a caller that can find out
    cheaply whether a library is unchanged (`ldscene search`'s stored index) before paying for
    `find_library`'s full index."""
    return _candidates(Path(explicit) if explicit is not None else None)


def _candidates(explicit: Path | None) -> list[tuple[str, Path]]:
    found: list[tuple[str, Path]] = []
    if explicit is not None:
        return [("--library", Path(explicit))]
    if os.environ.get("LDRAWDIR"):
        return [("LDRAWDIR", Path(os.environ["LDRAWDIR"]))]
    configured = _configured_library()
    if configured is not None:
        found.append((str(config_path()), configured))
    home = Path.home()
    for place in (home / "ldraw", home / ".ldraw", Path("/usr/share/ldraw"), data_dir() / "ldraw"):
        found.append(("default location", place))
    return found


def _open(path: Path) -> Library | None:
    if path.is_file() and zipfile.is_zipfile(path):
        library = Library(path)
        return library if library.is_valid() else None
    if path.is_dir():
        library = Library(path)
        if library.is_valid():
            return library
        inner = path / "ldraw"  # an unzipped complete.zip: the library is one folder down
        if inner.is_dir():
            library = Library(inner)
            return library if library.is_valid() else None
    return None


_OPENED: dict[str, Library] = {}


def find_library(explicit: Path | str | None = None) -> Library:
    """The library to use: --library, then $LDRAWDIR, then the config file, then usual places."""
    candidates = _candidates(Path(explicit) if explicit is not None else None)
    configured = ""  # what the config file names, when that is not a library
    for origin, path in candidates:
        path = Path(os.path.expanduser(str(path)))
        cache_key = str(path.resolve()) if path.exists() else str(path)
        if cache_key in _OPENED:
            return _OPENED[cache_key]
        library = _open(path)
        if library is not None:
            _OPENED[cache_key] = library
            return library
        what = "does not exist" if not path.exists() else "is not an LDraw library"
        if origin in ("--library", "LDRAWDIR"):
            raise LibraryNotFoundError(f"{origin} {path} {what}", hint=LIBRARY_HELP)
        if origin != "default location":  # the config file's: the user may have moved it
            configured = f": the config file {origin} names {path}, which {what}"
    if not configured and (keys := _config_keys()):
        # `librray: /path`: a key it does not know, so it names no library at all
        configured = (
            f": the config file {config_path()} has no library: key (it has "
            + ", ".join(f"{key}:" for key in keys)
            + ")"
        )
    raise LibraryNotFoundError(f"no LDraw library found{configured}", hint=LIBRARY_HELP)


def _config_keys() -> list[str]:
    """The keys the config file gives, as written (top-level `key:` lines)."""
    keys = []
    for line in _config_lines():
        key, colon, _ = line.partition(":")
        if colon and key.strip() and not line[:1].isspace() and not key.startswith("#"):
            keys.append(key.strip())
    return keys
