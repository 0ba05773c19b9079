"""Expansion of a part into one geometry, on small handwritten files: sub-files placed by
their matrices, winding flipped by mirroring XOR `INVERTNEXT`, colours kept symbolic."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import write

from ldscene.ldraw.colours import ColourTable, default_main_colours
from ldscene.ldraw.expand import Expander
from ldscene.ldraw.flatten import Flattener
from ldscene.ldraw.model import Model
from ldscene.ldraw.resolver import Files

pytestmark = pytest.mark.unit

#: One triangle whose counter-clockwise normal points to -y (LDraw's up).
SUBPART = """
0 Half
0 Name: half.dat
0 !LDRAW_ORG Subpart UPDATE 2024-01
0 BFC CERTIFY CCW
3 16 0 0 0 10 0 0 0 0 10
2 24 0 0 0 10 0 0
"""

PART = """
0 Pair
0 Name: pair.dat
0 !LDRAW_ORG Part UPDATE 2024-01
0 BFC CERTIFY CCW
1 16 0 0 0 1 0 0 0 1 0 0 0 1 half.dat
1 4 100 0 0 -1 0 0 0 1 0 0 0 1 half.dat
0 BFC INVERTNEXT
1 16 0 -8 0 1 0 0 0 1 0 0 0 1 half.dat
0 BFC INVERTNEXT
1 16 0 -16 0 -1 0 0 0 1 0 0 0 1 half.dat
"""


def load(folder: Path) -> Model:
    write(folder, "half.dat", SUBPART)
    write(folder, "pair.dat", PART)
    root = write(folder, "model.ldr", "1 2 0 0 0 1 0 0 0 1 0 0 0 1 pair.dat")
    files = Files(None)
    colours = ColourTable()
    default_main_colours(colours)
    return Flattener(files, Expander(files), colours).flatten(files.open_root(root))


def normals(triangles: np.ndarray) -> np.ndarray:
    return np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])


def test_a_part_is_one_leaf_with_its_sub_files_placed(tmp_path: Path) -> None:
    model = load(tmp_path)
    assert len(model.leaves) == 1 and model.colour.tolist() == [2]
    geometry = model.leaves[0].geometry
    assert geometry.triangles.shape == (4, 3, 3) and geometry.edges.shape == (4, 2, 3)
    assert geometry.triangles[1, :, 0].tolist() == [100.0, 100.0, 90.0]  # mirrored, moved, rewound
    assert geometry.triangles[2:, 0, 1].tolist() == [-8.0, -16.0]


def test_winding_flips_on_mirroring_xor_invertnext(tmp_path: Path) -> None:
    up = np.sign(normals(load(tmp_path).leaves[0].geometry.triangles)[:, 1])
    # A mirror turns the triangle over and its rewinding turns it back: it faces up like the
    # plain one.  INVERTNEXT faces it down, mirrored or not (mirror XOR invert: no rewinding
    # of the mirrored, turned-over triangle).
    assert up.tolist() == [-1.0, -1.0, 1.0, 1.0]


def test_colours_stay_symbolic_until_placed(tmp_path: Path) -> None:
    geometry = load(tmp_path).leaves[0].geometry
    assert geometry.triangle_colours.tolist() == [16, 4, 16, 16]
    assert geometry.edge_colours.tolist() == [24, -5, 24, 24]
