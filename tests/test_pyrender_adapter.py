"""pyrender's private members are reached only through render/raster/pyrender_adapter.py.

The adapter's assumptions are checked against the installed pyrender here, so an upgrade that
renames one fails in this file rather than deep inside a render.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import re
from pathlib import Path

import pytest

from ldscene.render.raster import pyrender_adapter
from ldscene.render.raster.gl import import_pyrender

SRC = Path(__file__).resolve().parents[1] / "src" / "ldscene"
RASTER = SRC / "render" / "raster"

#: Modules whose classes subclass pyrender's, so `self._x` may be an inherited private member.
SUBCLASS_MODULES = {
    "glrenderer.py": "pyrender.renderer.Renderer",
    "shadows.py": "pyrender.renderer.Renderer",
    "framebuffers.py": "pyrender.renderer.Renderer",
    "upload.py": "pyrender.primitive.Primitive",
    "viewer_window.py": "pyrender.viewer.Viewer",
}


def _base_source(dotted: str) -> str:
    """The source of the module defining a pyrender class, read without importing it (the
    on-screen viewer cannot be imported in a headless process)."""
    module = dotted.rpartition(".")[0]
    package = Path(importlib.util.find_spec("pyrender").origin).parent
    return (package / (module.split(".", 1)[1] + ".py")).read_text()


@pytest.mark.parametrize("base", sorted(pyrender_adapter.SUBCLASS_INTERNALS))
def test_subclass_internals_exist_in_pyrender(base):
    source = _base_source(base)
    missing = [
        name
        for name in pyrender_adapter.SUBCLASS_INTERNALS[base]
        if not re.search(rf"\b{name}\b", source)
    ]
    assert not missing, f"{base} no longer has {missing}: update pyrender_adapter.py"


def test_adapter_reaches_exist_in_pyrender():
    import_pyrender()
    from pyrender.platforms import egl
    from pyrender.shader_program import ShaderProgram
    from pyrender.texture import Texture
    from pyrender.trackball import Trackball

    program = inspect.getsource(ShaderProgram)
    assert "def _bind" in program and "def _unbind" in program and "_program_id" in program
    assert "def _bind" in inspect.getsource(Texture) and "_texid" in inspect.getsource(Texture)
    assert "_n_target" in inspect.getsource(Trackball)
    assert callable(egl._get_egl_func)
    assert "_display" in inspect.getsource(egl.EGLDevice)


def _private_reaches(path: Path) -> list[tuple[int, str, str]]:
    """(line, owner, member) of each `owner._member` attribute access in a module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute) and re.fullmatch(r"_[a-z]\w*", node.attr):
            owner = ast.unparse(node.value)
            found.append((node.lineno, owner, node.attr))
    return found


def _own_members(path: Path) -> set[str]:
    """Private names a module defines itself: methods and attributes it assigns on self."""
    tree = ast.parse(path.read_text())
    names = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            for t in target.elts if isinstance(target, ast.Tuple) else [target]:
                if isinstance(t, ast.Attribute) and ast.unparse(t.value) == "self":
                    names.add(t.attr)
    return names


@pytest.mark.parametrize(
    "path", sorted(p for p in RASTER.glob("*.py") if p.name != "pyrender_adapter.py"), ids=str
)
def test_no_private_pyrender_reach_outside_the_adapter(path):
    base = SUBCLASS_MODULES.get(path.name)
    inherited = set(pyrender_adapter.SUBCLASS_INTERNALS.get(base, ()))
    # A subclass split over mixin modules (LdRenderer) owns what any of its modules defines.
    family = [RASTER / name for name, b in SUBCLASS_MODULES.items() if b == base and base]
    own = set().union(*(_own_members(p) for p in family or [path])) - inherited
    bad = []
    for line, owner, member in _private_reaches(path):
        if owner in ("self", "super()"):
            if member not in own and member not in inherited:
                bad.append(f"{path.name}:{line}: {owner}.{member} (not listed as inherited)")
        elif owner == "graph":  # transform_tree.DiGraph, ldscene's own
            continue
        else:
            bad.append(f"{path.name}:{line}: {owner}.{member}")
    assert not bad, "private pyrender members go through pyrender_adapter.py:\n" + "\n".join(bad)


def test_fast_node_matrices_equal_pyrenders_own():
    import_pyrender()
    import numpy as np
    from pyrender.node import Node

    def pyrenders(t, q, s):  # Node._m_from_tqs as pyrender writes it
        scale, rotation, translation = np.eye(4), np.eye(4), np.eye(4)
        scale[:3, :3] = np.diag(s)
        rotation[:3, :3] = Node._r_from_q(q)
        translation[:3, 3] = t
        return translation @ rotation @ scale

    assert Node._m_from_tqs is pyrender_adapter.node_matrix  # import_pyrender installed it
    rng = np.random.default_rng(7)
    cases = [
        (np.zeros(3), np.array([0.0, 0, 0, 1]), np.ones(3)),
        (np.ones(3), np.zeros(4), [2, 3, 4]),
    ]
    cases += [(rng.normal(size=3), rng.normal(size=4), rng.uniform(0.1, 3, 3)) for _ in range(50)]
    for t, q, s in cases:
        np.testing.assert_allclose(
            pyrender_adapter.node_matrix(t, q, s), pyrenders(t, q, s), atol=1e-12
        )
    node = Node(translation=[1, 2, 3], rotation=[0, 0, np.sin(0.5), np.cos(0.5)])
    np.testing.assert_allclose(node.matrix[:3, 3], [1, 2, 3])
    np.testing.assert_allclose(
        node.matrix[:2, :2], [[np.cos(1), -np.sin(1)], [np.sin(1), np.cos(1)]]
    )
