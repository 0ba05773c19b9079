"""The scene file's JSON Schema, shipped as package data (`ldscene schema` prints it).

The schema serves editors and external checks; `reader.read_scene` performs the same checks
itself with file positions and suggestions.  The file is generated from `format.py` (the one
definition of the format) by `python -m ldscene.scene.format_write`; a test keeps it current.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources


def schema_text() -> str:
    """The schema as shipped (JSON text)."""
    return resources.files("ldscene").joinpath("data/scene.schema.json").read_text("utf-8")


@lru_cache(maxsize=1)
def scene_schema() -> dict:
    """The schema as a dict."""
    return json.loads(schema_text())


def validate(document: object) -> list[str]:
    """Schema problems of a plain (JSON-like) scene document; needs `jsonschema`."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(scene_schema())
    return [
        f"{'/'.join(str(p) for p in err.absolute_path) or '(top)'}: {err.message}"
        for err in sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    ]
