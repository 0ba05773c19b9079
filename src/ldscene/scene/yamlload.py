"""YAML reading that remembers where every key and value came from (file, line, column).

The scene file is read with `yaml.compose` (node tree with marks) and turned into plain
Python containers that also carry marks: `YMap` (a dict) and `YList` (a list).  Errors
anywhere downstream can then name `scene.yaml:42:5`, which is what makes them teachable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ldscene.errors import LdsceneError
from ldscene.ldraw.parser import looks_binary

#: How deeply lists and mappings may nest (real scenes nest under 10; Python's recursion
#: limit would end a few hundred levels down with a traceback).
MAX_DEPTH = 100
#: How many values a scene may hold once YAML aliases are expanded (the Stalingrad scene has
#: about 1,400): an "alias bomb" of ten nested lists of ten aliases would otherwise expand to
#: billions and never finish.
MAX_VALUES = 200_000
#: Integers with more digits than this are refused (no count, seed or size needs them, and
#: Python refuses to print ones over 4,300 digits).
MAX_DIGITS = 18

_PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Mark:
    """A 1-based position in the scene file."""

    line: int
    column: int


NO_MARK = Mark(0, 0)


def _mark(node: yaml.Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


class YMap(dict):
    """A mapping read from YAML: keys are strings; marks and raw scalar text ride along."""

    mark: Mark
    key_marks: dict[str, Mark]
    value_marks: dict[str, Mark]
    raw: dict[str, str | None]

    def key_mark(self, key: str) -> Mark:
        return self.key_marks.get(key, self.mark)

    def value_mark(self, key: str) -> Mark:
        return self.value_marks.get(key, self.key_mark(key))

    def raw_text(self, key: str) -> str | None:
        """The value as written in the file (for part names YAML would turn into numbers)."""
        return self.raw.get(key)


class YList(list):
    """A sequence read from YAML, with the mark of each item."""

    mark: Mark
    item_marks: list[Mark]
    raw: list[str | None]

    def item_mark(self, index: int) -> Mark:
        return self.item_marks[index] if index < len(self.item_marks) else self.mark


class _Building:
    """What `_build` needs of a loader besides PyYAML's: the values it made so far, and merge
    keys (`<<`) resolved once per node."""

    def _start(self, path: str) -> None:
        self.path = path
        self.depth = 0
        self.values = 0
        self._merged: dict[int, int] = {}

    def merged_pairs(self, node: yaml.MappingNode) -> int:
        """Resolve `<<` merge keys (once per node: it rewrites the node) and return how many
        of its pairs came from them; they come first, so the node's own pairs override."""
        if id(node) not in self._merged:
            own = sum(1 for key, _ in node.value if key.tag != "tag:yaml.org,2002:merge")
            self.flatten_mapping(node)
            self._merged[id(node)] = len(node.value) - own
        return self._merged[id(node)]


class _Loader(_Building, yaml.SafeLoader):
    """SafeLoader used only for its scalar resolution and merge-key (`<<`) handling; it
    refuses documents nested deeper than `MAX_DEPTH` and counts the values `_build` makes."""

    def __init__(self, text: str, path: str) -> None:
        super().__init__(text)
        self._start(path)

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise _too_deep(self.path, _mark_of(self.peek_event().start_mark))
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _mark_of(mark: yaml.Mark) -> Mark:
    return Mark(mark.line + 1, mark.column + 1)


def _error(path: str, where: Mark, message: str, hint: str | None = None) -> LdsceneError:
    """An error at `where` in the scene file `path`."""
    return LdsceneError(message, path=path, line=where.line, column=where.column, hint=hint)


def _too_deep(path: str, where: Mark) -> LdsceneError:
    return _error(
        path,
        where,
        f"lists and mappings nest more than {MAX_DEPTH} levels deep",
        "a scene needs only a few levels; is a bracket unclosed, or an alias inside itself?",
    )


def _build(loader: _Loader, node: yaml.Node, path: str, depth: int = 0) -> Any:
    """Plain containers with marks from a node; aliases are expanded, so the value count and
    the depth are checked again here (an alias may repeat a node, or contain itself)."""
    loader.values += 1
    if loader.values > MAX_VALUES:
        raise _error(
            path,
            _mark(node),
            f"the scene holds more than {MAX_VALUES:,} values once its aliases (*name) are "
            "expanded",
            "aliases that repeat aliases multiply; write the repeated part once, "
            "as a models: entry placed with repeat:",
        )
    if depth > MAX_DEPTH:
        raise _too_deep(path, _mark(node))
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in _PLAIN_TAGS:
        raise _error(
            path,
            _mark(node),
            f"tag {node.tag.replace('tag:yaml.org,2002:', '!!')} is not supported here",
            "scene files use plain lists and mappings: remove the tag",
        )
    if isinstance(node, yaml.MappingNode):
        merged = loader.merged_pairs(node)
        result = YMap()
        result.mark = _mark(node)
        result.key_marks, result.value_marks, result.raw = {}, {}, {}
        own: set[str] = set()
        for index, (key_node, value_node) in enumerate(node.value):
            if not isinstance(key_node, yaml.ScalarNode):
                raise _error(
                    path,
                    _mark(key_node),
                    "a key must be a plain name, not a list or mapping",
                )
            key = str(key_node.value)
            if index >= merged and key in own:  # merged (`<<`) keys may be overridden
                first = result.key_marks[key]
                raise _error(
                    path,
                    _mark(key_node),
                    f"duplicate key '{key}' (first given on line {first.line})",
                    "each name may appear once in a mapping: rename or merge them",
                )
            _check_text(key, path, key_node)
            if index >= merged:
                own.add(key)
            result[key] = _build(loader, value_node, path, depth + 1)
            result.key_marks[key] = _mark(key_node)
            result.value_marks[key] = _mark(value_node)
            result.raw[key] = value_node.value if isinstance(value_node, yaml.ScalarNode) else None
        return result
    if isinstance(node, yaml.SequenceNode):
        result_list = YList(_build(loader, item, path, depth + 1) for item in node.value)
        result_list.mark = _mark(node)
        result_list.item_marks = [_mark(item) for item in node.value]
        result_list.raw = [
            item.value if isinstance(item, yaml.ScalarNode) else None for item in node.value
        ]
        return result_list
    where = _mark(node)
    try:
        value = loader.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, TypeError, AttributeError, OverflowError) as err:
        tag = str(node.tag).rsplit(":", 1)[-1]
        problem = err.problem if isinstance(err, yaml.MarkedYAMLError) else f"not a valid {tag}"
        raise _error(
            path,
            where,
            f"unreadable value {str(node.value)[:40]!r}: {problem}",
        ) from None
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**MAX_DIGITS:
        raise _error(
            path,
            where,
            f"number with {len(str(node.value))} characters is too large",
            f"whole numbers here have at most {MAX_DIGITS} digits",
        )
    if isinstance(value, str):
        _check_text(value, path, node)
    return value


def _check_text(text: str, path: str, node: yaml.Node) -> None:
    """Refuse a lone surrogate (a `"\\ud800"` escape): it cannot be printed or encoded."""
    found = _SURROGATE.search(text)
    if found:
        raise _error(
            path,
            _mark(node),
            f"text holds the invalid character U+{ord(found.group()):04X} (half a surrogate pair)",
            "write the character itself, or a \\U escape for it",
        )


def _reader_error(err: yaml.reader.ReaderError, text: str, path: str) -> LdsceneError:
    """A character YAML does not allow (control characters, NUL), with its line and column."""
    before = text[: err.position]
    line = before.count("\n") + 1
    column = err.position - (before.rfind("\n") + 1) + 1
    char = err.character if isinstance(err.character, int) else 0
    return LdsceneError(
        f"character U+{char:04X} is not allowed in a scene file",
        path=path,
        line=line,
        column=column,
        hint="YAML text cannot hold control characters or NUL: remove it",
    )


if yaml.__with_libyaml__:

    class _FastLoader(_Building, yaml.CSafeLoader):  # type: ignore[misc]
        """libyaml's parser and composer (C), with SafeLoader's resolution of scalars: the
        same nodes and marks as `_Loader`, ten times sooner (Stalingrad: 0.12 -> 0.01 s)."""

        def __init__(self, text: str, path: str) -> None:
            super().__init__(text)
            self._start(path)


#: YAML 1.2 floats in exponent form without a point or a sign (`1e2`, `1.5e2`), which YAML
#: 1.1 (PyYAML) reads as text: an editor that checks a scene against `ldscene schema`
#: reads them as numbers, and so does ldscene.
_EXPONENT_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$")
_LOADERS = (_Loader, _FastLoader) if yaml.__with_libyaml__ else (_Loader,)
for _loader in _LOADERS:
    _loader.add_implicit_resolver("tag:yaml.org,2002:float", _EXPONENT_FLOAT, list("-+.0123456789"))


def loads(text: str, path: str = "<scene>") -> Any:
    """Parse YAML text into `YMap`/`YList`/scalars; syntax errors become `LdsceneError`.

    With libyaml, a document is read by `_FastLoader` first; anything that goes wrong there
    (a syntax error, a document too deep or too big) is read again by `_Loader`, whose
    errors are the ones reported: its messages and positions, in one place."""
    if yaml.__with_libyaml__:
        try:
            loader = _FastLoader(text, path)
            try:
                node = loader.get_single_node()
                return None if node is None else _build(loader, node, path)
            finally:
                loader.dispose()
        except Exception:  # noqa: BLE001 - read again below, where errors are reported
            pass
    try:
        loader = _Loader(text, path)
    except yaml.reader.ReaderError as err:
        raise _reader_error(err, text, path) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        return _build(loader, node, path)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        problem = err.problem or "invalid YAML"
        if not err.context:
            said = problem
        elif err.context.startswith("while"):  # "... while parsing a block mapping"
            said = f"{problem} {err.context}"
        else:  # "expected a single document in the stream, but found another document"
            said = f"{err.context}, {problem}"
        if "another document" in problem:
            hint = "a scene file is one YAML document: remove the '---' line"
        elif "'\\t'" in problem:
            hint = "indent with spaces: YAML does not take tabs for indentation"
        else:
            hint = "check indentation, colons and quotes near this spot"
        raise LdsceneError(
            f"YAML syntax error: {said}",
            path=path,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
            hint=hint,
        ) from None
    except yaml.YAMLError as err:
        raise LdsceneError(f"YAML error: {err}", path=path) from None
    finally:
        loader.dispose()


def load(path: str | Path) -> Any:
    """Read and parse a YAML file (see `loads`)."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise LdsceneError("no such file", path=str(path), hint="check the path") from None
    except IsADirectoryError:
        raise LdsceneError("is a folder, not a scene file", path=str(path)) from None
    except OSError as err:
        raise LdsceneError(f"cannot read it: {err.strerror or err}", path=str(path)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        if looks_binary(data):
            raise LdsceneError(
                "not a text file (binary data)", path=str(path), hint="give a scene's .yaml file"
            ) from None
        raise LdsceneError(
            f"not UTF-8 text (byte {data[err.start]:#04x})",
            path=str(path),
            line=line,
            hint="save the scene file as UTF-8",
        ) from None
    return loads(text, str(path))
