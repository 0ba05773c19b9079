"""What the raster engine's shadow map leaves out: underside stud tubes (inside a brick's
hollow, their shadows are never seen, and they are a large share of a model's triangles), and
under fast-draw studs the studs themselves (a few pixels of soft shadow each)."""

from __future__ import annotations

import numpy as np
from conftest import write

from ldscene.ldraw import load_model
from ldscene.ldraw.studs import StudStyle, casts_no_shadow, is_tube
from ldscene.render import RenderOptions, View, render_model
from ldscene.render.meshes import prepare_leaves


def test_tube_titles():
    tubes = ["Stud Tube Open", "Stud Tube Solid", "Stud Duplo Tube", "Stud Tube Open (Fast-Draw)"]
    others = ["Stud", "Stud Open", "Duplo Tube and Stud Top", "Cylinder 1.0", "Technic Pin"]
    assert all(is_tube(title) for title in tubes)
    assert not any(is_tube(title) for title in others)


def test_what_casts_no_shadow():
    tube, stud, other = "Stud Tube Open (Fast-Draw)", "Stud Open (Fast-Draw)", "Cylinder 1.0"
    assert casts_no_shadow(tube, StudStyle.FULL) and casts_no_shadow(tube, StudStyle.FAST)
    assert casts_no_shadow(stud, StudStyle.FAST) and not casts_no_shadow(stud, StudStyle.FULL)
    assert not casts_no_shadow(stud, StudStyle.LOGO)
    assert not any(casts_no_shadow(other, style) for style in StudStyle)


def test_a_brick_knows_its_tube_triangles_and_puts_them_last(tmp_path):
    brick = load_model(write(tmp_path, "b.ldr", "1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n"))
    tube = load_model(write(tmp_path, "t.ldr", "1 4 0 0 0 1 0 0 0 1 0 0 0 1 stud4.dat\n"))
    geometry = brick.leaves[0].geometry
    assert geometry.shadowless_mask().sum() == 3 * len(tube.leaves[0].geometry.triangles)
    (leaf,) = prepare_leaves(brick, [0], use_cache=False).values()
    ((code, (_, _, indices)),) = leaf.surfaces.items()
    assert leaf.shadow_casting[code] == len(indices) - 3 * len(tube.leaves[0].geometry.triangles)


def test_fast_draw_studs_stay_out_of_the_shadow_map_too(tmp_path):
    brick = write(tmp_path, "b.ldr", "1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n")
    fast = load_model(brick, studs=StudStyle.FAST).leaves[0].geometry
    full = load_model(brick, studs=StudStyle.FULL).leaves[0].geometry

    def triangles(reference):
        line = f"1 4 0 0 0 1 0 0 0 1 0 0 0 1 {reference}\n"
        return len(load_model(write(tmp_path, "p.ldr", line)).leaves[0].geometry.triangles)

    fast_studs = 8 * triangles("8\\stud.dat") + 3 * triangles("8\\stud4.dat")
    assert fast.shadowless_mask().sum() == fast_studs
    assert full.shadowless_mask().sum() == 3 * triangles("stud4.dat")  # tubes only
    assert fast.shadowless_mask().sum() < len(fast.triangles)  # the brick's body casts


def test_the_shadow_map_skips_the_tubes_and_the_image_keeps_its_shadows(tmp_path, monkeypatch):
    from ldscene.render.raster.gl import import_pyrender

    import_pyrender()  # the GL platform is chosen before anything imports the renderer
    from ldscene.render.raster import glrenderer, shadows

    path = write(tmp_path, "two.ldr", "1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n")
    model = load_model(path, studs=StudStyle.FULL)
    drawn = {"shadow": 0, "main": 0}
    in_shadow = [False]
    draw_call = glrenderer.LdRenderer._draw_call
    shadow_pass = shadows.ShadowPass._shadow_pass

    def counting(primitive, count=None):
        if primitive.mode == 4:
            n = primitive.indices.size if count is None else count
            drawn["shadow" if in_shadow[0] else "main"] += n
        draw_call(primitive, count)

    def flagged(self, *args):
        in_shadow[0] = True
        try:
            return shadow_pass(self, *args)
        finally:
            in_shadow[0] = False

    monkeypatch.setattr(glrenderer.LdRenderer, "_draw_call", staticmethod(counting))
    monkeypatch.setattr(shadows.ShadowPass, "_shadow_pass", flagged)
    options = RenderOptions(width=160, height=120, ground=True)
    (image,) = render_model(model, [View.named("iso")], options)
    assert 0 < drawn["shadow"] < drawn["main"] - 3 * 200  # three tubes' worth fewer
    options.shadows = False
    (unshadowed,) = render_model(model, [View.named("iso")], options)
    difference = np.abs(np.asarray(image).astype(int) - np.asarray(unshadowed).astype(int))
    assert (difference.max(axis=-1) > 20).sum() > 100  # the brick still casts its shadow


def test_the_mesh_cache_tells_apart_meshes_that_differ_only_in_what_casts_shadows(tmp_path):
    from dataclasses import replace

    from ldscene.render.meshes import _leaf_key

    brick = load_model(write(tmp_path, "b.ldr", "1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n"))
    geometry = brick.leaves[0].geometry
    assert geometry.shadowless_mask().any()
    assert _leaf_key(geometry) != _leaf_key(replace(geometry, shadowless=np.zeros(0, bool)))
