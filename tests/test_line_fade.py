"""Lines that fade out entirely are not drawn at all (render/raster/lines.py): the prefix of
sorted segments a view draws holds every segment the shader would show, and the image is the
same byte for byte as drawing them all."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from conftest import OMR

from ldscene.ldraw import load_model
from ldscene.ldraw.studs import StudStyle
from ldscene.render import RenderOptions, View, render_model
from ldscene.render.meshes import conditional_lines
from ldscene.render.raster import lines
from ldscene.render.raster.gl import import_pyrender
from ldscene.render.raster.lines import (
    CONDITIONAL_SCALE,
    LINE_FADE_FROM,
    FadeOrder,
    drawn_segments,
)


def perspective(fovy: float, aspect: float, near: float, far: float) -> np.ndarray:
    f = 1 / np.tan(np.radians(fovy) / 2)
    return np.array(
        [
            [f / aspect, 0, 0, 0],
            [0, f, 0, 0],
            [0, 0, (far + near) / (near - far), 2 * far * near / (near - far)],
            [0, 0, -1, 0],
        ]
    )


def random_poses(rng: np.random.Generator, n: int, spread: float) -> np.ndarray:
    poses = np.tile(np.eye(4), (n, 1, 1))
    for pose in poses:
        q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
        pose[:3, :3] = q * rng.uniform(0.5, 2.0, size=3)  # rotated, stretched, maybe mirrored
        pose[:3, 3] = rng.uniform(-spread, spread, size=3)
    return poses


def shown_edges(keys, poses, node, PV, line_pixels) -> np.ndarray:
    """Per sorted edge segment: does any instance draw it (shaders/mesh.vert's rule)?"""
    world = node @ poses
    w = np.maximum((PV @ world[:, :, 3].T)[3], 1e-6)
    scale = np.linalg.norm(world[:, :3, :3] @ np.full(3, 1 / np.sqrt(3)), axis=1)
    pixels = keys[None, :] * (scale * line_pixels / w)[:, None]
    return (pixels > LINE_FADE_FROM).any(axis=0)


def shown_conditional(cond, poses, node, PV, line_pixels) -> np.ndarray:
    world = node @ poses
    ends = np.concatenate([cond[:, :2], np.ones((len(cond), 2, 1))], axis=2)  # (C, 2, 4)
    w = np.einsum("j,njk,cek->nce", PV[3], world, ends)  # (N, C, 2)
    own = np.linalg.norm(
        np.einsum("nij,cj->nci", world[:, :3, :3], cond[:, 1] - cond[:, 0]), axis=2
    )
    pixels = own * CONDITIONAL_SCALE * line_pixels / np.maximum(w.mean(axis=2), 1e-6)
    return (pixels > LINE_FADE_FROM).any(axis=0)


@pytest.mark.parametrize("seed", range(6))
def test_the_drawn_prefix_holds_every_line_the_shader_shows(seed):
    rng = np.random.default_rng(seed)
    P = perspective(30, 4 / 3, 10, 10_000)
    V = np.eye(4)
    V[2, 3] = -rng.uniform(300, 3000)  # the camera looks down -z from this far away
    PV, line_pixels = P @ V, P[1, 1] * 768 / 2
    node = np.eye(4)
    poses = random_poses(rng, 40, 200)

    indices = rng.integers(0, 60, size=(80, 2))
    sizes = rng.choice([2.0, 8.0, 17.0, 40.0, 90.0], size=60).astype(np.float32)
    sizes[indices[:, 1]] = sizes[indices[:, 0]]  # a segment's ends share an outline
    indices = indices[np.argsort(-sizes[indices[:, 0]], kind="stable")]  # as LeafMesh has them
    fade = FadeOrder.of_edges(sizes, indices)
    assert (np.diff(fade.keys) <= 0).all()
    count = drawn_segments(fade, poses, node, PV, line_pixels)
    shown = shown_edges(fade.keys, poses, node, PV, line_pixels)
    assert not shown[count:].any()  # nothing the shader shows is left out ...
    assert count == 0 or shown[:count].any()  # ... and the prefix is not all waste

    cond = rng.uniform(-30, 30, size=(50, 4, 3))
    cond[:, 1] = cond[:, 0] + rng.normal(size=(50, 3)) * rng.choice([0.5, 2, 6, 20], size=(50, 1))
    lines = conditional_lines(SimpleNamespace(cond_lines=cond, cond_colours=np.zeros(50)))
    cond = lines["cond"]
    fade = FadeOrder.of_conditional(cond, lines["cond_lengths"])
    assert (np.diff(fade.keys) <= 0).all()
    count = drawn_segments(fade, poses, node, PV, line_pixels)
    shown = shown_conditional(cond.astype(np.float64), poses, node, PV, line_pixels)
    assert not shown[count:].any()


def test_far_away_lines_are_all_dropped_and_near_ones_all_kept():
    P = perspective(30, 4 / 3, 1, 1e6)
    sizes = np.array([17.0, 17.0, 90.0, 90.0], np.float32)
    fade = FadeOrder.of_edges(sizes, np.array([[2, 3], [0, 1]]))  # largest first
    poses = np.eye(4)[None]
    for distance, expected in ((1e5, 0), (100, 2)):
        V = np.eye(4)
        V[2, 3] = -distance
        assert drawn_segments(fade, poses, np.eye(4), P @ V, P[1, 1] * 384) == expected


def test_skipping_faded_lines_changes_no_pixel(monkeypatch):
    model = load_model(OMR / "6879-1 - Blizzard Baron.mpd", studs=StudStyle.FAST)
    options = RenderOptions(width=400, height=300)
    drawn, total = [], []

    def counting(fade, *rest):
        drawn.append(lines.drawn_segments(fade, *rest))
        total.append(len(fade.keys))
        return drawn[-1]

    import_pyrender()  # the GL platform is chosen before anything imports the renderer
    monkeypatch.setattr("ldscene.render.raster.glrenderer.drawn_segments", counting)
    (culled,) = render_model(model, [View.named("iso")], options)
    assert sum(drawn) < 0.8 * sum(total)  # at this size many outlines fade out
    monkeypatch.setattr(
        "ldscene.render.raster.glrenderer.drawn_segments", lambda fade, *rest: len(fade.keys)
    )
    (everything,) = render_model(model, [View.named("iso")], options)
    assert np.array_equal(np.asarray(culled), np.asarray(everything))


def test_outline_sizes_are_per_connected_outline_and_leaves_keep_lines_largest_first(tmp_path):
    from conftest import write

    from ldscene.render.meshes import outline_sizes, prepare_leaves

    square = np.array([[0, 0, 0], [10, 0, 0], [10, 0, 10], [0, 0, 10]], np.float32)
    vertices = np.concatenate([square, square * 3 + 100])
    ring = np.array([[0, 1], [1, 2], [2, 3], [3, 0]])
    sizes = outline_sizes(vertices, np.concatenate([ring, ring + 4]))
    np.testing.assert_allclose(sizes, [10 * np.sqrt(2)] * 4 + [30 * np.sqrt(2)] * 4, rtol=1e-6)

    model = load_model(write(tmp_path, "b.ldr", "1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n"))
    (leaf,) = prepare_leaves(model, [0], use_cache=False).values()
    keys = leaf.edge_outlines[leaf.edge_indices[:, 0]]
    assert (np.diff(keys) <= 0).all() and keys[0] > 2 * keys[-1]  # brick outline, then studs
    lengths = np.linalg.norm(leaf.cond[:, 1] - leaf.cond[:, 0], axis=1)
    assert len(lengths) and (np.diff(lengths) <= 1e-6).all()  # conditional lines: longest first


def test_a_light_edge_on_a_dark_colour_is_drawn_half_way_to_the_face(library):
    """Black's LDConfig edge is mid-grey #808080: a dark model's small parts read as a grey
    wireframe (the Giant Truck's cab).  A line in an edge colour lighter than its face goes
    half-way from the face to it; a dark edge on a light colour (White's #333333) is kept."""
    from ldscene.appearance import srgb_to_linear
    from ldscene.ldraw.loader import library_colours
    from ldscene.render.meshes import LIGHT_EDGE_SHARE, line_rgb, linear_rgb

    table = library_colours(library)
    white_edge = -16  # White's edge colour (code -c-1)
    rgb = line_rgb(table, np.array([-1, -16, 0]))
    face = srgb_to_linear(table.get(0).rgb)
    edge = srgb_to_linear(table.get(-1).rgb)
    assert np.allclose(rgb[0], face + LIGHT_EDGE_SHARE * (edge - face), atol=1e-6)
    assert np.allclose(rgb[1], linear_rgb(table, np.array([white_edge]))[0])
    assert np.allclose(rgb[2], face)  # a line in the colour itself: as it is
