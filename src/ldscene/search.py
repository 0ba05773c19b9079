"""`ldscene search`: find parts by description, number and category, and colours by name.

The library's part titles (the first line of each `parts/*.dat`), `!CATEGORY` and `!KEYWORDS`
lines and LDConfig.ldr's colours are read once into an index, stored as JSON in the cache
folder and keyed by what identifies the library's contents: the archive's size and time, or
the time of the `parts/` folders (which any added, removed or renamed part changes) and of
LDConfig.ldr.  A warm search then reads one file and never indexes the library itself.

Matching is on words: every word of the query must match a word of the title (or a prefix of
one: "slop" finds "Slope"), of the category or keywords, or the part number.  Sizes are one
word, so "2 x 2", "2x2" and "2 X 2" are the same and "2 x 2" does not find "2 x 24".
Results come number matches first, then ordinary parts before aliases, physical-colour
variants and `~` parts, then by how well the words match and by how short the title is
(the plain part before its patterned variants).
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import json
import os
import re
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from ldscene.errors import LdsceneError

#: The marks an LDraw title starts with for the library's own use: "~" moved, obsolete or
#: a sub-part, "=" an alias, "_" a physical colour, "|" a patterned alias.
_TITLE_MARKS = re.compile(r"^[~=_|]+\s*")


def plain_title(title: str) -> str:
    """A part's title without the library's marks ("=Dish 4 x 4 Inverted" -> "Dish 4 x 4
    Inverted"): what a parts list shows (a CSV cell starting with "=" is a formula to a
    spreadsheet), what a category is read from, what a title is recognised by."""
    return _TITLE_MARKS.sub("", title.strip())


#: Bump when the stored index's meaning changes; older files are then rebuilt.
INDEX_VERSION = 2
#: Bytes of a part file read for its header; the rest only when the header runs past them.
_HEAD_BYTES = 8192

_DIMENSION = re.compile(r"(\d)\s*x\s*(?=\d)")
_WORD = re.compile(r"[a-z0-9]+(?:[./][0-9]+[a-z0-9]*)*")
_SYNONYMS = {
    "gray": "grey",
    "minifigure": "minifig",
    "minifigures": "minifig",
    "figs": "fig",
    "colour": "color",
}
_PART_FOLDERS = ("parts/", "unofficial/parts/")

#: Kind of a part by its title's first character: LDraw marks aliases with "=", parts that
#: are another part in a fixed colour with "_", third-party parts with "|", and files not
#: meant to be picked from a list (obsolete, moved, sub-assemblies) with "~".
KIND_ORDER = {"part": 0, "third-party": 1, "alias": 1, "physical colour": 1, "hidden": 2}


def words(text: str) -> list[str]:
    """Lower-case words of a title or query; "2 x  4" is the one word "2x4"."""
    text = _DIMENSION.sub(r"\1x", text.lower().replace(".dat", " "))
    return [_SYNONYMS.get(w, w) for w in _WORD.findall(text)]


def clean_title(title: str) -> str:
    """LDraw pads sizes ("Brick  2 x  4"): one space between words."""
    return " ".join(title.split())


# -- the index --------------------------------------------------------------------------------


class PartInfo(NamedTuple):
    number: str  # the name a scene's `part:` takes: file name without .dat ("3001")
    title: str  # the description, as in the file (LDraw pads sizes)
    category: str  # !CATEGORY, else the title's first word (LDraw's rule)
    keywords: str  # !KEYWORDS lines joined with ", "
    unofficial: bool
    title_words: str  # `words(title)`, joined by spaces (worked out once, when indexing)
    other_words: str  # `words(category, keywords)` and the lower-case number

    @classmethod
    def make(cls, number: str, title: str, category: str, keywords: str, unofficial: bool):
        other = [*words(category + " " + keywords), number.lower()]
        return cls(
            number, title, category, keywords, unofficial, " ".join(words(title)), " ".join(other)
        )

    @property
    def kind(self) -> str:
        first = self.title[:1]
        if first == "~":
            return "hidden"
        return {"=": "alias", "_": "physical colour", "|": "third-party"}.get(first, "part")

    @property
    def moved(self) -> bool:
        return self.title.lower().startswith("~moved to")


class ColourInfo(NamedTuple):
    code: int
    name: str  # as LDConfig.ldr writes it: "Light_Bluish_Grey"
    rgb: str  # "#A0A5A9"
    alpha: float
    finish: str  # "solid", "transparent", "chrome", "metal", "pearlescent", "rubber", ...
    bricklink: str  # BrickLink's name, "" when it has none
    bricklink_id: int | None


def read_header(data: bytes) -> tuple[str, str, str, str]:
    """(title, category, keywords, !LDRAW_ORG) from the start of a part file."""
    text = data.decode("utf-8", "replace").lstrip("\ufeff")
    title = category = org = ""
    keywords: list[str] = []
    first = True
    for line in text.splitlines():
        body = line.strip()
        if not body:
            continue
        if body[0] != "0":
            break  # the header ends at the first drawing line
        rest = body[1:].strip()
        if first:
            title, first = rest, False
            continue
        upper = rest[:13].upper()
        if upper.startswith("!CATEGORY"):
            category = rest[9:].strip()
        elif upper.startswith("!KEYWORDS"):
            keywords.append(rest[9:].strip())
        elif upper.startswith("!LDRAW_ORG"):
            org = rest[10:].strip()
    if not category:
        category = (plain_title(title).split() or [""])[0]
    return title, category, ", ".join(keywords), org


def _header_complete(data: bytes) -> bool:
    """True when `data` reaches a drawing line (so the header is all there)."""
    return re.search(rb"(?m)^[ \t]*[1-5]\s", data) is not None


def _part_keys(library) -> list[str]:
    return sorted(
        key
        for key in library.index
        if key.endswith(".dat")
        for folder in _PART_FOLDERS
        if key.startswith(folder) and "/" not in key[len(folder) :]
    )


def build_index(library) -> tuple[list[PartInfo], list[ColourInfo]]:
    """Read every part's header and the library's colours (a few seconds from a cold disk)."""
    parts: list[PartInfo] = []
    for key in _part_keys(library):
        try:
            if library.is_zip:
                data = library.read(key)
            else:
                with open(os.path.join(library.root, library.index[key]), "rb") as handle:
                    data = handle.read(_HEAD_BYTES)
                    if len(data) == _HEAD_BYTES and not _header_complete(data):
                        data += handle.read()
        except (OSError, KeyError, zipfile.BadZipFile):
            continue
        title, category, keywords, org = read_header(data)
        if not title:
            continue
        number = key.rsplit("/", 1)[-1][:-4]
        unofficial = key.startswith("unofficial/") or org.lower().startswith("unofficial")
        parts.append(PartInfo.make(number, title, category, keywords, unofficial))
    return parts, library_colour_list(library)


def library_colour_list(library) -> list[ColourInfo]:
    from ldscene.bom import bricklink_colours
    from ldscene.ldraw.loader import library_colours

    bricklink = bricklink_colours()
    out = []
    for code, colour in sorted(library_colours(library).colours.items()):
        if code >= 0x2000000:
            continue
        finish = colour.finish or ("transparent" if colour.is_transparent else "solid")
        rgb = "#" + "".join(f"{round(v * 255):02X}" for v in colour.rgb)
        shop = bricklink.get(code)
        out.append(
            ColourInfo(
                code,
                colour.name,
                rgb,
                round(colour.alpha, 3),
                finish,
                shop[1] if shop else "",
                shop[0] if shop else None,
            )
        )
    return out


# -- where the library is and whether the stored index still describes it ---------------------


def _child(folder: Path, name: str) -> Path | None:
    """`folder/name`, matched case-insensitively (LDraw libraries come as "PARTS", "Parts")."""
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.lower() == name:
                    return Path(entry.path)
    except OSError:
        pass
    return None


def library_key(root: Path) -> str | None:
    """What identifies a library's parts and colours, from a few stat calls; None when `root`
    does not look like a library (then the full look-up decides)."""
    try:
        if root.is_file():
            st = root.stat()
            return f"zip:{root.resolve()}:{st.st_size}:{st.st_mtime_ns}"
        parts = _child(root, "parts")
        config = _child(root, "ldconfig.ldr")
        if parts is None or config is None:
            return None
        stamp = [f"dir:{root.resolve()}"]
        unofficial = _child(root, "unofficial")
        for folder in (parts, unofficial and _child(unofficial, "parts")):
            stamp.append(str(folder.stat().st_mtime_ns) if folder else "-")
        st = config.stat()
        stamp.append(f"{st.st_size}:{st.st_mtime_ns}")
        return ":".join(stamp)
    except OSError:
        return None


def locate_library(explicit: Path | str | None) -> Path | None:
    """The root `find_library` would open, found without indexing it; None when unsure."""
    from ldscene.ldraw.library import candidate_paths

    for _origin, path in candidate_paths(explicit):
        path = Path(os.path.expanduser(str(path)))
        if path.is_file():
            return path
        if path.is_dir():
            if library_key(path) is not None:
                return path
            inner = path / "ldraw"
            if inner.is_dir() and library_key(inner) is not None:
                return inner
            return None  # something odd there: let find_library decide (and explain)
    return None


def index_path(root: Path) -> Path:
    from ldscene.ldraw.cache import cache_dir

    digest = hashlib.sha1(str(Path(root).resolve()).encode()).hexdigest()[:16]
    return cache_dir() / "search" / f"index-{digest}.json"


@dataclass
class Index:
    parts: list[PartInfo]
    colours: list[ColourInfo]
    root: Path
    from_cache: bool


def load_index(library: Path | str | None = None, rebuild: bool = False) -> Index:
    """The part and colour index of the library `find_library(library)` opens."""
    root = locate_library(library)
    key = library_key(root) if root is not None else None
    if root is not None and key is not None and not rebuild:
        stored = _read_stored(index_path(root), key)
        if stored is not None:
            return Index(*stored, root, True)
    from ldscene.ldraw.library import Library, find_library

    # Opened afresh: find_library keeps the libraries it opened, with the index of that time.
    lib = Library(root) if root is not None and key is not None else None
    if lib is None or not lib.is_valid():
        lib = find_library(library)  # or its one-line error
    parts, colours = build_index(lib)
    key = library_key(lib.root)
    if key is not None:
        _store(index_path(lib.root), key, parts, colours)
    return Index(parts, colours, lib.root, False)


def _read_stored(path: Path, key: str) -> tuple[list[PartInfo], list[ColourInfo]] | None:
    try:
        data = json.loads(path.read_text("utf-8"))
        if data.get("version") != INDEX_VERSION or data.get("key") != key:
            return None
        parts = [PartInfo._make(row) for row in data["parts"]]
        colours = [ColourInfo._make(row) for row in data["colours"]]
    except (OSError, ValueError, TypeError, KeyError):
        return None  # absent, torn or from another version: rebuilt
    return parts, colours


def _store(path: Path, key: str, parts: list[PartInfo], colours: list[ColourInfo]) -> None:
    from ldscene.atomic import write_atomic

    data = {
        "version": INDEX_VERSION,
        "key": key,
        "parts": parts,
        "colours": colours,
    }
    payload = json.dumps(data, separators=(",", ":")).encode("utf-8")
    # A read-only cache folder: search still works, it only reads the library again.
    with contextlib.suppress(LdsceneError):
        write_atomic(path, lambda handle: handle.write(payload), "the search index")


# -- matching ---------------------------------------------------------------------------------


def _word_score(query: str, title: list[str], other: list[str]) -> int:
    """3: a title word (or its plural); 2: the start of one; 1: a category or keyword word (or
    the start of one); 0: nowhere."""
    if query in title or (query.endswith("s") and len(query) > 3 and query[:-1] in title):
        return 3  # "bricks" is "Brick" as much as "brick" is
    if any(_starts(word, query) for word in title):
        return 2
    if query in other or any(_starts(word, query) for word in other):
        return 1
    return 0


def _starts(word: str, query: str) -> bool:
    """A word starts with the query: any letters ("slop" → "slope"); a size only where the
    next dimension begins ("1x2" → "1x2x5", never "1x24"); never a bare number ("4" ≠ "45")."""
    if not word.startswith(query) or word == query:
        return False
    if query.isdigit():
        return False
    if query[0].isdigit() and "x" in query:
        return word[len(query)] == "x"
    return len(query) >= 2 and query[-1].isalpha()


@dataclass(frozen=True)
class PartHit:
    part: PartInfo
    # 3: the number itself, 2: a variant of it (3001p01, 3001a), 1: a longer number that
    # starts with the query (30018), 0: found by words
    number_match: int
    score: int


def find_parts(parts: list[PartInfo], query: str, category: str | None = None) -> list[PartHit]:
    """Parts matching every word of `query` (all parts of `category` when it is empty)."""
    wanted = words(query)
    number = query.strip().lower().removesuffix(".dat")
    single = " " not in number and bool(number)
    category_key = category.strip().lower() if category else None
    hits = []
    for part in parts:
        if category_key is not None:
            own = part.category.lower()
            if own != category_key and not own.startswith(category_key + " "):
                continue
        low = part.number.lower()
        number_match = 0
        if single:
            if low == number:
                number_match = 3
            elif len(number) >= 3 and low.startswith(number) and number[0].isalnum():
                variant = not (number[-1].isdigit() and low[len(number)].isdigit())
                number_match = 2 if variant else 1
        if part.moved and not number_match:
            continue  # "~Moved to 3001": only worth showing to someone who typed its number
        score = 0
        if number_match:
            score = 3 * len(wanted)
        elif wanted:
            if not all(w[:-1] in part.title_words or w in part.other_words for w in wanted):
                continue  # quick test: every match below needs the word (or all but its "s")
            title = part.title_words.split()
            other = part.other_words.split()
            for word in wanted:
                got = 3 if word == low else _word_score(word, title, other)
                if not got:
                    break
                score += got
            else:
                hits.append(PartHit(part, 0, score))
            continue
        elif category_key is None:
            continue
        hits.append(PartHit(part, number_match, score))
    hits.sort(key=_part_order)
    return hits


def _part_order(hit: PartHit) -> tuple:
    part = hit.part
    return (
        -hit.number_match,
        KIND_ORDER[part.kind],
        -hit.score,
        part.title_words.count(" "),
        natural(part.number),
    )


def natural(text: str) -> tuple:
    """Sort key putting "3001" before "3001p01" before "30010"."""
    return tuple(
        (0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.split(r"(\d+)", text.lower()) if t
    )


@dataclass(frozen=True)
class ColourHit:
    colour: ColourInfo
    score: int


def find_colours(colours: list[ColourInfo], query: str) -> list[ColourHit]:
    """Colours whose LDraw or BrickLink name has every word of `query`, or whose code it is;
    every colour for an empty query."""
    wanted = words(query)
    code = query.strip()
    hits = []
    for colour in colours:
        if code.isdigit() and int(code) == colour.code:
            hits.append(ColourHit(colour, 100))
            continue
        if not wanted:
            hits.append(ColourHit(colour, 0))
            continue
        # every word in one of its names: "pearl gold" is not Pearl_Yellow (BrickLink's
        # "Flat Dark Gold")
        best = 0
        for name, own in ((colour.name.replace("_", " "), True), (colour.bricklink, False)):
            names = words(name)
            scores = [_word_score(word, names, []) for word in wanted]
            if all(scores):  # the colour itself named exactly first (Red, not Rubber_Red)
                best = max(best, sum(scores) + (10 if own and names == wanted else 0))
        if best:
            hits.append(ColourHit(colour, best))
    name_words = {c.code: len(words(c.name.replace("_", " "))) for c in colours}
    hits.sort(key=lambda h: (-h.score, name_words[h.colour.code], h.colour.code))
    return hits


def categories(parts: list[PartInfo]) -> Counter:
    """Category → number of parts (not counting moved-part stubs)."""
    return Counter(p.category for p in parts if not p.moved and p.category)


def check_category(parts: list[PartInfo], category: str) -> None:
    """An error naming close categories when `category` selects no part at all."""
    key = category.strip().lower()
    known = categories(parts)
    lowered = {c.lower() for c in known}
    if key in lowered or any(c.startswith(key + " ") for c in lowered):
        return
    names = sorted(known)
    close = difflib.get_close_matches(category.strip().title(), names, n=3, cutoff=0.6)
    raise LdsceneError(
        f"unknown part category '{category}'",
        hint=("did you mean " + ", ".join(f"'{c}'" for c in close) + "?" if close else "")
        + ("; " if close else "")
        + "`ldscene search --categories` lists them",
    )
