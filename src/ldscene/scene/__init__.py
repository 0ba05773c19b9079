"""Scene files: YAML that places models, parts, minifigs and scattered pieces, plus cameras.

`load_scene(path)` reads, checks and composes a scene into one instanced `Model`; the format is
documented in docs/scene-format.md and its JSON Schema is `schema.scene_schema()`.
"""

from ldscene.scene.cameras import Camera
from ldscene.scene.compose import RenderDefaults, Scene, load_scene, read_spec

__all__ = ["Camera", "RenderDefaults", "Scene", "load_scene", "read_spec"]
