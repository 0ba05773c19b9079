"""How big a model or part would get, counted before anything is built.

Nesting multiplies: a part that references a primitive a million times, or sub-files that each
use the next ten times over twenty levels, would exhaust memory or run for minutes long before
anything failed.  Counts are worked out per file once (Python integers: exact however large)
from the parsed files, and a load stops with one line when a model would place more than
`max_instances()` parts (`LDSCENE_MAX_INSTANCES`, the scenes' variable) or one part would hold
more than `max_triangles()` triangles and lines (`LDSCENE_MAX_TRIANGLES`).  The defaults are
far above any real model: the largest OMR set places ~7,500 parts, the largest parts hold a
few hundred thousand triangles.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from ldscene.errors import LimitError
from ldscene.ldraw.library import Source
from ldscene.ldraw.resolver import FileKind

INSTANCES_ENV = "LDSCENE_MAX_INSTANCES"
DEFAULT_MAX_INSTANCES = 1_000_000
TRIANGLES_ENV = "LDSCENE_MAX_TRIANGLES"
DEFAULT_MAX_TRIANGLES = 5_000_000


def _positive(env: str, default: int, what: str) -> int:
    text = os.environ.get(env, "").strip()
    if not text:
        return default
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        value = 0
    if value < 1:
        raise LimitError(
            f"{env}={text!r} is not a positive whole number",
            hint=f"set it to the most {what}, e.g. {env}={default * 5}",
        )
    return value


def max_instances() -> int:
    """Parts a model or scene may place: `LDSCENE_MAX_INSTANCES`, else the default.  The one
    reader of the variable: `scene/limits.py` uses it (this side must not import the scene
    package, which would load scipy into every model load)."""
    return _positive(INSTANCES_ENV, DEFAULT_MAX_INSTANCES, "parts a model or scene may place")


def max_triangles() -> int:
    """Triangles and lines one part may hold: `LDSCENE_MAX_TRIANGLES`, else the default."""
    return _positive(TRIANGLES_ENV, DEFAULT_MAX_TRIANGLES, "triangles and lines one part may hold")


def _size(count: int) -> str:
    return f"{count:,}" if count < 10**15 else f"about 10^{len(str(count)) - 1}"


Edges = Callable[[str], dict[str, int]]


def total_of(start: str, own: Callable[[str], int], uses: Edges, memo: dict[str, int]) -> int:
    """own(key) + sum of uses(key)[child] x total(child), for `start`, memoised in `memo`.  A
    child met again on the current path (a cycle, which the caller's own walk reports) counts
    0; the walk is iterative, as nesting may be deep."""
    on_path: set[str] = set()
    children_of: dict[str, dict[str, int]] = {}
    stack: list[tuple[str, bool]] = [(start, False)]
    while stack:
        key, done = stack.pop()
        if key in memo:
            continue
        if done:
            on_path.discard(key)
            children = children_of.pop(key)
            memo[key] = own(key) + sum(n * memo.get(c, 0) for c, n in children.items())
            continue
        on_path.add(key)
        stack.append((key, True))
        children_of[key] = uses(key)  # asked once: the walk comes back to it when done
        stack.extend((c, False) for c in children_of[key] if c not in memo and c not in on_path)
    return memo[start]


def _counted(sources) -> dict[str, int]:
    counts: dict[str, int] = {}
    for source in sources:
        if source is not None:
            counts[source.key] = counts.get(source.key, 0) + 1
    return counts


class PartSizes:
    """Triangles and lines each leaf file expands to, counted before it is built."""

    def __init__(self, files) -> None:
        self.files = files
        self.memo: dict[str, int] = {}
        self.sources: dict[str, Source] = {}

    def check(self, source: Source, variant: Callable[[Source | None], Source | None]) -> None:
        """Raise `LimitError` when `source` would expand past `max_triangles()`."""

        def record(key: str):
            return self.files.record(self.sources[key])

        def uses(key: str) -> dict[str, int]:
            children = [variant(c) for c in record(key).children]
            for child in children:
                if child is not None:
                    self.sources.setdefault(child.key, child)
            return _counted(children)

        def own(key: str) -> int:
            parsed = record(key).parsed
            return len(parsed.triangles) + len(parsed.edges) + len(parsed.cond_lines)

        self.sources.setdefault(source.key, source)
        total = total_of(source.key, own, uses, self.memo)
        limit = max_triangles()
        if total > limit:
            raise LimitError(
                f"part would expand to {_size(total)} triangles and lines, over the limit of "
                f"{limit:,} (its sub-files repeat or nest too often)",
                path=self.files.record(source).display,
                hint=f"if it is meant to, raise the limit: {TRIANGLES_ENV}={total}"
                if total < 10**15
                else "fix the file: no part needs that many",
            )


def check_instances(files, root: Source, view: Callable) -> None:
    """Raise `LimitError` when the model under `root` would place more than `max_instances()`
    parts.  `view(record) -> (parsed, children)` is the flattener's view of a model file."""
    sources: dict[str, Source] = {root.key: root}

    def is_model(key: str) -> bool:  # the root is walked as a model whatever its header says
        return key == root.key or files.kind(sources[key]) is FileKind.MODEL

    def uses(key: str) -> dict[str, int]:
        if not is_model(key):
            return {}
        _, children = view(files.record(sources[key]))
        models = [c for c in children if c is not None and files.kind(c) is FileKind.MODEL]
        for child in models:
            sources.setdefault(child.key, child)
        return _counted(models)

    def own(key: str) -> int:
        if not is_model(key):
            return 1
        parsed, children = view(files.record(sources[key]))
        has_own = len(parsed.triangles) or len(parsed.edges) or len(parsed.cond_lines)
        leaves = [c for c in children if c is not None and files.kind(c) != "model"]
        return int(bool(has_own)) + len(leaves)

    total = total_of(root.key, own, uses, {})
    limit = max_instances()
    if total > limit:
        raise LimitError(
            f"model would place {_size(total)} parts, over the limit of {limit:,} "
            "(its sub-models repeat or nest too often)",
            path=files.record(root).display,
            hint=f"if it is meant to, raise the limit: {INSTANCES_ENV}={total}"
            if total < 10**15
            else "fix the file: no model needs that many",
        )
