"""YAML reading that remembers where every key and value came from (file, line, column).

The scene file is read with `yaml.compose` (node tree with marks) and turned into plain
Python containers that also carry marks: `YMap` (a dict) and `YList` (a list).  Errors
anywhere downstream can then name `scene.yaml:42:5`, which is what makes them teachable.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ldscene.errors import LdsceneError


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


class _Loader(yaml.SafeLoader):
    """SafeLoader used only for its scalar resolution and merge-key (`<<`) handling."""


def _build(loader: _Loader, node: yaml.Node, path: str) -> Any:
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        result = YMap()
        result.mark = _mark(node)
        result.key_marks, result.value_marks, result.raw = {}, {}, {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise LdsceneError(
                    "a key must be a plain name, not a list or mapping",
                    path=path,
                    line=_mark(key_node).line,
                    column=_mark(key_node).column,
                )
            key = str(key_node.value)
            if key in result:
                first = result.key_marks[key]
                raise LdsceneError(
                    f"duplicate key '{key}' (first given on line {first.line})",
                    path=path,
                    line=_mark(key_node).line,
                    column=_mark(key_node).column,
                    hint="each name may appear once in a mapping: rename or merge them",
                )
            result[key] = _build(loader, value_node, path)
            result.key_marks[key] = _mark(key_node)
            result.value_marks[key] = _mark(value_node)
            result.raw[key] = value_node.value if isinstance(value_node, yaml.ScalarNode) else None
        return result
    if isinstance(node, yaml.SequenceNode):
        result_list = YList(_build(loader, item, path) for item in node.value)
        result_list.mark = _mark(node)
        result_list.item_marks = [_mark(item) for item in node.value]
        result_list.raw = [
            item.value if isinstance(item, yaml.ScalarNode) else None for item in node.value
        ]
        return result_list
    try:
        return loader.construct_object(node, deep=True)
    except yaml.YAMLError as err:
        raise LdsceneError(
            f"unreadable value: {err}", path=path, line=_mark(node).line, column=_mark(node).column
        ) from None


def loads(text: str, path: str = "<scene>") -> Any:
    """Parse YAML text into `YMap`/`YList`/scalars; syntax errors become `LdsceneError`."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        return _build(loader, node, path)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        problem = err.problem or "invalid YAML"
        context = f" {err.context}" if err.context else ""
        raise LdsceneError(
            f"YAML syntax error: {problem}{context}",
            path=path,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
            hint="check indentation, colons and quotes near this spot",
        ) from None
    except yaml.YAMLError as err:
        raise LdsceneError(f"YAML error: {err}", path=path) from None
    finally:
        loader.dispose()


def load(path: str | Path) -> Any:
    """Read and parse a YAML file (see `loads`)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise LdsceneError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise LdsceneError(f"{path}: cannot read ({err})") from None
    return loads(text, str(path))
