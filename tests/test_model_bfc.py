"""BFC statements in model files (INVERTNEXT, CLIP/NOCLIP) act on everything below them, as they
do inside parts (issue #13 item 2)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from conftest import write

from ldscene.ldraw import load_model

MODEL = """\
0 FILE main.ldr
0 BFC CERTIFY CCW
1 16 0 0 0 1 0 0 0 1 0 0 0 1 sub.ldr
1 16 100 0 0 -1 0 0 0 1 0 0 0 1 sub.ldr
0 BFC INVERTNEXT
1 16 200 0 0 -1 0 0 0 1 0 0 0 1 sub.ldr
0 BFC INVERTNEXT
1 16 300 0 0 1 0 0 0 1 0 0 0 1 sub.ldr
0 BFC INVERTNEXT
1 4 400 0 0 1 0 0 0 1 0 0 0 1 3001.dat
0 FILE sub.ldr
0 BFC CERTIFY CCW
1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat
0 BFC NOCLIP
1 4 0 -24 0 1 0 0 0 1 0 0 0 1 3001.dat
"""


def facing(model, i: int) -> float:
    """Signed volume of instance i's culled triangles as a renderer draws them: placed, with
    the winding flipped where the placement mirrors (as both engines do)."""
    geometry = model.leaves[model.leaf[i]].geometry
    transform = model.transform[i]
    tris = geometry.triangles[~geometry.two_sided].astype(np.float64)
    placed = tris @ transform[:3, :3].T + transform[:3, 3]
    if np.linalg.det(transform[:3, :3]) < 0:
        placed = placed[:, [0, 2, 1]]
    a, b, c = placed[:, 0], placed[:, 1], placed[:, 2]
    return float(np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6)


def test_invertnext_in_a_model_inverts_the_sub_model_mirrored_or_not(tmp_path: Path) -> None:
    model = load_model(write(tmp_path, "bfc.mpd", MODEL))
    clipped = [i for i in range(model.n_instances) if model.transform[i][1, 3] == 0]
    by_x = {round(model.transform[i][0, 3]): i for i in clipped}
    assert sorted(by_x) == [-400, -300, -200, -100, 0] or sorted(by_x) == [0, 100, 200, 300, 400]
    normal = facing(model, by_x[0])
    assert abs(normal) > 1000  # a brick's worth of volume
    mirrored = facing(model, by_x[100])
    assert np.isclose(mirrored, normal, rtol=1e-6)  # a mirror alone keeps the outside out
    assert np.isclose(facing(model, by_x[200]), -normal, rtol=1e-6)  # mirrored, inverted
    assert np.isclose(facing(model, by_x[300]), -normal, rtol=1e-6)  # inverted
    assert np.isclose(facing(model, by_x[400]), -normal, rtol=1e-6)  # a part inverted directly


def test_noclip_in_a_model_draws_what_follows_two_sided(tmp_path: Path) -> None:
    model = load_model(write(tmp_path, "bfc.mpd", MODEL))
    raised = [i for i in range(model.n_instances) if model.transform[i][1, 3] == -24]
    assert len(raised) == 4
    for i in raised:
        assert model.leaves[model.leaf[i]].geometry.two_sided.all()
    for i in range(model.n_instances):
        if model.transform[i][1, 3] == 0:
            assert not model.leaves[model.leaf[i]].geometry.two_sided.all()


def test_without_bfc_statements_models_keep_one_leaf_per_part(tmp_path: Path) -> None:
    plain = "\n".join(line for line in MODEL.splitlines() if "BFC" not in line) + "\n"
    model = load_model(write(tmp_path, "plain.mpd", plain))
    assert len(model.leaves) == 1 and model.n_instances == 9


CHAIN = """\
0 FILE main.ldr
0 BFC CERTIFY CCW
1 16 0 0 0 1 0 0 0 1 0 0 0 1 cert.ldr
1 16 100 0 0 1 0 0 0 1 0 0 0 1 wrapper.ldr
0 NOFILE
0 FILE wrapper.ldr
1 16 0 0 0 1 0 0 0 1 0 0 0 1 cert.ldr
0 NOFILE
0 FILE cert.ldr
0 BFC CERTIFY CCW
4 16 -20 -40 0 20 -40 0 20 0 0 -20 0 0
1 4 0 24 0 1 0 0 0 1 0 0 0 1 3001.dat
0 NOFILE
"""


def test_a_certified_model_under_an_uncertified_one_draws_its_own_lines_two_sided(tmp_path):
    """A model file culls only if it and every model file above it are certified; the parts
    it places still cull (a part is certified on its own)."""
    model = load_model(write(tmp_path, "chain.mpd", CHAIN))
    assert model.n_instances == 4
    for i in range(model.n_instances):
        leaf = model.leaves[model.leaf[i]]
        under_wrapper = model.transform[i][0, 3] == 100
        if leaf.is_part:
            assert not leaf.geometry.two_sided.any()
        else:  # cert.ldr's own quad
            assert leaf.geometry.two_sided.all() == under_wrapper
            assert leaf.geometry.two_sided.any() == under_wrapper
