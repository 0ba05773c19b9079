"""Scene fuzzing, shared by tests/test_fuzz_scene.py (a bounded run) and
benchmarks/fuzz_scene.py (thousands of cases).

Cases are mutations of real scenes (scenes/*.yaml and the scenes written in the tests):
truncations, hostile values put in place of real ones (NaN, infinities, huge numbers, wrong
types, YAML tags and aliases), stray characters (control characters, NUL, line separators,
lone surrogates), broken encodings, line shuffles, structural edits of the parsed document,
alias bombs and deep nesting.  The promise checked is only this: reading a case gives a `Scene`
(or a spec) or one `LdsceneError` of one printable line, never another exception, within a
time bound.
"""

from __future__ import annotations

import ast
import copy
import os
import signal
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml
from hypothesis import strategies as st

from ldscene.errors import LdsceneError

REPO = Path(__file__).resolve().parents[1]
SCENES = REPO / "scenes"

#: Values a fuzzed scene puts where a real value was (as YAML text).
HOSTILE = [
    ".nan",
    ".inf",
    "-.inf",
    "1.0e+308",
    "-1.0e+308",
    "1e999",
    "1e999 studs",
    "nan studs",
    "0",
    "-1",
    "-0",
    "0.5",
    "1",
    "3.5",
    "100000000",
    "1" + "0" * 30,
    "9" * 5000,
    "0x7fffffffffffffff",
    "~",
    "[]",
    "{}",
    "''",
    "'x'",
    "true",
    "[1, 2]",
    "[.nan, 0, 0]",
    "[0, 1e999, 0]",
    "[[0, 0], [0, 0]]",
    "{part: 3001}",
    "{model: nothing}",
    "2001-02-30",
    "!!binary AAAA",
    "!!python/object/apply:os.system [ls]",
    "!!set {a}",
    "*undefined",
    "&a [*a]",
    '"\\ud800"',
    '"\\x00"',
    "random",
    "-90",
    "91",
    "360",
    "1000000",
    "1e-300",
    '"2 bricks + 1e999 plates"',
    "[0, 0]",
    "[0, 0, 0, 0]",
    "Red",
    "#ff0000",
    "-5",
]
#: Ordinary values, so that more cases get past the reader into composition.
PLAIN = ["0", "1", "-1", "2.5", "45", "90", "-90", "360", "0.001", "1000", "100000", "7 studs"]
#: Characters a fuzzed scene gets inserted somewhere.
CHARS = [
    "\x00",
    "\x01",
    "\x1b",
    "\x7f",
    "\x85",
    "\u2028",
    "\u2029",
    "\ufeff",
    "\x0c",
    "\t",
    "\r",
    "\n",
    ":",
    "-",
    "[",
    "]",
    "{",
    "}",
    "&",
    "*",
    "!",
    "|",
    ">",
    "'",
    '"',
    "#",
    "%",
    "@",
    "`",
    "\ud800",
    "\U0001f600",
    "é",
]


def _parsed(texts: list[str]) -> list:
    values = []
    for text in texts:
        try:
            values.append(yaml.safe_load(text))
        except (yaml.YAMLError, ValueError):
            continue
    return values


#: Python values a structural edit puts into a parsed scene.
TREE_VALUES = _parsed(HOSTILE + PLAIN) + [None, -1, 10**8, 1e308, float("nan"), "x", [], {}]


def _alias_bomb(levels: int) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


def _test_scenes() -> list[str]:
    """The scene texts the tests write (string constants that read as scene mappings)."""
    found = []
    for path in sorted((REPO / "tests").glob("test_scene*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
                if not any(k in text for k in ("place:", "scatter:", "models:", "cameras:")):
                    continue
                try:
                    if isinstance(yaml.safe_load(text), dict):
                        found.append(text)
                except yaml.YAMLError:
                    continue
    return found


def seed_scenes(include_large: bool = True, compose_in: Path | None = None, library=None):
    """Real scenes to mutate: the shipped ones (Stalingrad only if `include_large`) and the
    tests' scenes that read without error, or with `compose_in` (a `case_folder`) that
    compose without error there."""
    from ldscene.scene.compose import load_scene
    from ldscene.scene.reader import read_scene
    from ldscene.scene.yamlload import loads

    shipped = sorted(SCENES.glob("*.yaml"))
    if not include_large:
        shipped = [p for p in shipped if "stalingrad" not in p.name]
    seeds = []
    for text in [p.read_text(encoding="utf-8") for p in shipped] + _test_scenes():
        try:  # a scene the tests write to see it refused is no seed
            if compose_in is None:
                read_scene(loads(text), "seed.yaml")
            else:
                (compose_in / "seed.yaml").write_text(text, encoding="utf-8")
                load_scene(compose_in / "seed.yaml", library)
        except LdsceneError:
            continue
        seeds.append(text)
    return seeds


# -- mutations: each takes the seed text and a Hypothesis `draw` -------------------------------
def _position(draw, n: int) -> int:
    """A position in 0..n, about uniform (Hypothesis favours the ends of a range)."""
    return draw(st.integers(0, 2**20)) % (n + 1)


def _truncate(text: str, draw) -> str:
    return text[: _position(draw, len(text))]


def _value(text: str, draw) -> str:
    """A hostile value in place of the value after one `key:` (or of one list item)."""
    lines = text.splitlines(keepends=True)
    spots = [i for i, line in enumerate(lines) if ": " in line or line.lstrip().startswith("- ")]
    if not spots:
        return text
    i = draw(st.sampled_from(spots))
    line = lines[i]
    cut = line.index(": ") + 2 if ": " in line else line.index("- ") + 2
    value = draw(st.sampled_from(HOSTILE + PLAIN) | st.text(max_size=12))
    lines[i] = line[:cut] + value + "\n"
    return "".join(lines)


def _flow_value(text: str, draw) -> str:
    """A hostile value in place of one number inside a flow collection (`[0, 1, 2]`)."""
    import re

    numbers = [m.span() for m in re.finditer(r"(?<=[\[, ])-?\d+(\.\d+)?(?=[\],}])", text)]
    if not numbers:
        return text
    start, end = draw(st.sampled_from(numbers))
    return text[:start] + draw(st.sampled_from(HOSTILE + PLAIN)) + text[end:]


def _character(text: str, draw) -> str:
    at = _position(draw, len(text))
    return text[:at] + draw(st.sampled_from(CHARS) | st.characters()) + text[at:]


def _lines(text: str, draw) -> str:
    lines = text.splitlines(keepends=True)
    if not lines:
        return text
    i = _position(draw, len(lines) - 1)
    op = draw(st.sampled_from(["drop", "twice", "indent", "dedent", "swap"]))
    if op == "drop":
        del lines[i]
    elif op == "twice":
        lines.insert(i, lines[i])
    elif op == "indent":
        lines[i] = "  " + lines[i]
    elif op == "dedent":
        lines[i] = lines[i][2:] if lines[i].startswith("  ") else lines[i].lstrip()
    else:
        j = _position(draw, len(lines) - 1)
        lines[i], lines[j] = lines[j], lines[i]
    return "".join(lines)


def _tree(text: str, draw) -> str:
    """Edit the parsed document: replace, drop or add an entry somewhere, then dump it."""
    try:
        doc = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError, RecursionError):  # PyYAML's own limits
        return text
    if not isinstance(doc, dict):
        return text
    containers: list = []

    def walk(node) -> None:
        if isinstance(node, (dict, list)) and len(containers) < 500:
            containers.append(node)
            for child in node.values() if isinstance(node, dict) else node:
                walk(child)

    walk(doc)
    target = draw(st.sampled_from(containers))
    # A hostile or plain value, or a copy of another part of the same scene (a placement
    # body where a camera was, a list of points where a number was, ...).
    value = copy.deepcopy(draw(st.sampled_from(TREE_VALUES) | st.sampled_from(containers)))
    keys = list(target) if isinstance(target, dict) else list(range(len(target)))
    op = draw(st.sampled_from(["set", "drop", "add"]))
    if op == "add" or not keys:
        if isinstance(target, dict):
            target[
                draw(
                    st.sampled_from(
                        [
                            "count",
                            "repeat",
                            "at",
                            "yaw",
                            "rotate",
                            "group",
                            "settle",
                            "area",
                            "part",
                            "model",
                            "x",
                            "on",
                        ]
                    )
                )
            ] = value
        else:
            target.append(value)
    elif op == "drop":
        del target[draw(st.sampled_from(keys))]
    else:
        target[draw(st.sampled_from(keys))] = value
    try:
        return yaml.safe_dump(doc, sort_keys=False)
    except (yaml.YAMLError, ValueError, TypeError, RecursionError):
        return text


def _hostile(text: str, draw) -> str:
    """A hostile document of its own (the seed would only add duplicate keys to it)."""
    return draw(
        st.sampled_from(
            [
                _alias_bomb(9) + "place: *a8\n",
                "deep: " + "[" * 3000 + "]" * 3000 + "\n",
                "deep: " + "{a: " * 300 + "1" + "}" * 300 + "\n",
                "place: &p {b: {part: 3001, repeat: {count: 100000, step: [1, 0, 0]}}}\n",
                "models:\n  m: {group: [{model: m}]}\nplace:\n  a: {model: m}\n",
                "place:\n  a: {part: 3001, repeat: [{count: 10000, step: [1, 0, 0]},"
                " {count: 10000, step: [0, 1, 0]}]}\n",
                "scatter:\n  s: {parts: [3001], count: 99999999, area: {rect: [[0, 0], [1, 1]]}}\n",
            ]
        )
    )


#: The mutations, as often as they should be drawn (most keep the scene readable in part).
MUTATIONS: list[Callable] = [  # not led by _truncate: Hypothesis draws the first more often
    *[_value] * 3,
    *[_flow_value] * 3,
    _character,
    _lines,
    *[_tree] * 2,
    _hostile,
    _truncate,
]


@st.composite
def scene_cases(draw, seeds: list[str]) -> bytes:
    """Bytes of one fuzzed scene file: a seed with one to three mutations, maybe re-encoded."""
    text = draw(st.sampled_from(seeds))
    for _ in range(draw(st.sampled_from([1] * 6 + [2] * 3 + [3]))):
        text = draw(st.sampled_from(MUTATIONS))(text, draw)
    encoding = draw(st.sampled_from(["utf-8"] * 17 + ["utf-16", "latin-1", "utf-8-sig"]))
    data = text.encode(encoding, errors="surrogatepass" if encoding == "utf-8" else "replace")
    if draw(st.integers(0, 19)) == 0 and data:  # one byte flipped
        at = _position(draw, len(data) - 1)
        data = data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
    return data


# -- the promise ------------------------------------------------------------------------------
class Hang(BaseException):
    """The time bound of a case ran out (a BaseException: no `except Exception` swallows it)."""


@dataclass
class Outcome:
    kind: str  # "ok", "error" (an LdsceneError), "crash" (anything else), "hang"
    detail: str = ""
    seconds: float = 0.0


def run_case(read: Callable[[Path], object], path: Path, bound_s: float) -> Outcome:
    """Read the scene at `path` with `read`, classify what happened (the alarm is SIGALRM)."""

    def alarm(signum, frame):
        raise Hang

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, bound_s)
    start = time.perf_counter()
    try:
        read(path)
        outcome = Outcome("ok")
    except LdsceneError as err:
        text = str(err)
        try:
            text.encode("utf-8")
            printable = "\n" not in text and "\r" not in text
        except UnicodeEncodeError:
            printable = False
        outcome = Outcome("error" if printable else "crash", text if printable else repr(text))
    except Hang:
        outcome = Outcome("hang", f"over {bound_s:g} s")
    except Exception as err:  # the promise is broken: report where
        last = traceback.extract_tb(err.__traceback__)[-1]
        where = f"{os.path.relpath(last.filename, REPO)}:{last.lineno}"
        outcome = Outcome("crash", f"{type(err).__name__}: {err} at {where}"[:300])
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    outcome.seconds = time.perf_counter() - start
    return outcome


def case_folder(base: Path) -> Path:
    """A folder for case files whose `models/` is the shipped scenes' (for `file:` entries)."""
    base.mkdir(parents=True, exist_ok=True)
    link = base / "models"
    if not link.exists():
        link.symlink_to(SCENES / "models", target_is_directory=True)
    return base
