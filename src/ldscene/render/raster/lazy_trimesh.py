"""Let `import pyrender` skip most of trimesh until something really uses it.

pyrender imports trimesh at module level, which imports scipy: about 0.3 s of a render's
start-up.  Rendering uses one trimesh module, `trimesh.transformations` (numpy only, for node
poses); the rest serves `Mesh.from_trimesh` and `Scene.bounds`, which ldscene never calls.

`defer_trimesh()` loads `trimesh.transformations` on its own under a stand-in `trimesh`
package.  The first access to any other attribute of the stand-in imports the real package
(re-using the submodules already loaded) and answers from it; an `import trimesh` after that
gets the real package.  So code that does need trimesh still works, only later.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType


class _DeferredTrimesh(ModuleType):
    """The `trimesh` package with only `transformations` loaded."""

    def __getattr__(self, name: str):  # called only for attributes the stand-in lacks
        if name.startswith("__"):
            raise AttributeError(name)
        real = sys.modules.get("trimesh")
        if real is None or real is self:
            sys.modules.pop("trimesh", None)
            real = importlib.import_module("trimesh")
        return getattr(real, name)


def defer_trimesh() -> None:
    """Install the stand-in, unless trimesh is imported already or not installed."""
    if "trimesh" in sys.modules:
        return
    spec = importlib.util.find_spec("trimesh")
    if spec is None or not spec.submodule_search_locations:
        return
    stand_in = _DeferredTrimesh("trimesh")
    stand_in.__spec__ = spec
    stand_in.__path__ = list(spec.submodule_search_locations)
    stand_in.__file__ = spec.origin
    stand_in.__package__ = "trimesh"
    sys.modules["trimesh"] = stand_in
    try:
        stand_in.transformations = importlib.import_module("trimesh.transformations")
    except Exception:  # an unexpected trimesh layout: import it the normal way
        for name in [n for n in sys.modules if n == "trimesh" or n.startswith("trimesh.")]:
            del sys.modules[name]


def trimesh_deferred() -> bool:
    """Whether the real trimesh package has not been imported (for tests)."""
    return isinstance(sys.modules.get("trimesh"), _DeferredTrimesh)
