"""The LDraw format layer: library lookup, parsing, colours, geometry, flattening.

Nothing here imports rendering code.
"""

from ldscene.ldraw.colours import Colour, ColourTable
from ldscene.ldraw.geometry import PartGeometry
from ldscene.ldraw.library import Library, find_library
from ldscene.ldraw.loader import load_model
from ldscene.ldraw.model import Leaf, MissingReference, Model

__all__ = [
    "Colour",
    "ColourTable",
    "Leaf",
    "Library",
    "MissingReference",
    "Model",
    "PartGeometry",
    "find_library",
    "load_model",
]
