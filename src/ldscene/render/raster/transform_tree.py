"""pyrender's scene graph without networkx.

`pyrender.scene` imports networkx (0.13 s, half of `import pyrender`) for one structure: the
tree of nodes under "world", where it adds and removes nodes and walks from a node up to the
root.  `networkx_stand_in()` lets pyrender bind this module's `DiGraph` and `shortest_path`
in place of networkx while it imports; `import networkx` works as usual afterwards.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Hashable, Iterator
from types import ModuleType


class DiGraph:
    """The child -> parent edges of pyrender's transform tree: each node has one parent."""

    def __init__(self) -> None:
        self._parent: dict[Hashable, Hashable | None] = {}

    def add_node(self, node: Hashable) -> None:
        self._parent.setdefault(node, None)

    def add_edge(self, child: Hashable, parent: Hashable) -> None:
        self.add_node(parent)
        self._parent[child] = parent

    def neighbors(self, node: Hashable) -> Iterator[Hashable]:
        """The node's parent, if it has one (a directed graph's successors)."""
        parent = self._parent[node]
        return iter(() if parent is None else (parent,))

    def remove_node(self, node: Hashable) -> None:
        del self._parent[node]


def shortest_path(graph: DiGraph, source: Hashable, target: Hashable) -> list[Hashable]:
    """The nodes from `source` up through its parents to `target` (the only path in a tree)."""
    path = [source]
    while path[-1] is not target and path[-1] != target:
        parent = graph._parent.get(path[-1])
        if parent is None:
            raise KeyError(f"no path from {source!r} to {target!r}")
        path.append(parent)
    return path


@contextlib.contextmanager
def networkx_stand_in() -> Iterator[None]:
    """While the block runs (pyrender's import), `import networkx` gives this module's tree."""
    if "networkx" in sys.modules:
        yield
        return
    stand_in = ModuleType("networkx", "ldscene's stand-in for pyrender's transform tree")
    stand_in.DiGraph = DiGraph  # type: ignore[attr-defined]
    stand_in.shortest_path = shortest_path  # type: ignore[attr-defined]
    sys.modules["networkx"] = stand_in
    try:
        yield
    finally:
        if sys.modules.get("networkx") is stand_in:
            del sys.modules["networkx"]
