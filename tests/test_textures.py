"""LDraw's TEXMAP extension on the real library: textured geometry, images, both engines."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import numpy as np
import pytest

from ldscene.ldraw.library import Library
from ldscene.ldraw.loader import load_model
from ldscene.ldraw.texmap import Projection, parse_projection


def _part(library_path: Path, name: str, **kw):
    model = load_model(library_path / "parts" / name, use_cache=False, **kw)
    return model, model.leaves[0].geometry


def _triangles(library_path: Path, name: str) -> int:
    """Triangles drawn by a library file loaded on its own."""
    model = load_model(library_path / name, use_cache=False)
    return sum(model.leaves[i].geometry.n_triangles for i in model.leaf)


def test_planar_sticker_takes_its_image_and_drops_the_fallback(library_path):
    model, geom = _part(library_path, "13710a.dat")
    assert geom.textured
    assert [str(n).rsplit("/", 1)[-1] for n in geom.texture_names] == ["13710a.png"]
    image = (library_path / "parts" / "textures" / "13710a.png").read_bytes()
    assert geom.images() == [image]
    # The `0 !:` copy of s\13710as02.dat is drawn, its FALLBACK copy is not: each once.
    expected = _triangles(library_path, "parts/s/13710as01.dat") + _triangles(
        library_path, "parts/s/13710as02.dat"
    )
    assert geom.n_triangles == expected
    textured = geom.texture >= 0
    assert textured.sum() == _triangles(library_path, "parts/s/13710as02.dat")
    # PLANAR: u from p1 to p2 (z from -66.3 to 61.145), v from p1 to p3 (x from -33 to 22).
    corners, uv = geom.triangles[textured].reshape(-1, 3), geom.uvs[textured].reshape(-1, 2)
    np.testing.assert_allclose(uv[:, 0], (corners[:, 2] + 66.3) / 127.445, atol=1e-5)
    np.testing.assert_allclose(uv[:, 1], (corners[:, 0] + 33.048) / 54.983, atol=1e-5)
    assert uv.min() > -1e-4 and uv.max() < 1 + 1e-4
    assert not model.warnings


def test_next_textures_only_the_next_line(library_path):
    _, geom = _part(library_path, "003441a.dat")
    box = _triangles(library_path, "p/box5-12.dat")
    assert geom.n_triangles == box + 2
    textured = geom.texture >= 0
    assert textured.sum() == 2  # the quad after `!TEXMAP NEXT`, not the box before it
    corner = np.flatnonzero(
        np.all(np.isclose(geom.triangles[textured].reshape(-1, 3), [-21, -0.25, 22]), axis=1)
    )
    np.testing.assert_allclose(geom.uvs[textured].reshape(-1, 2)[corner], [[0, 0]] * len(corner))


def test_missing_image_draws_the_fallback_and_says_so(library_path):
    # 61287p01.dat maps 61287p01rb.png, which this library does not ship.
    assert not (library_path / "parts" / "textures" / "61287p01rb.png").exists()
    model, geom = _part(library_path, "61287p01.dat")
    assert not geom.textured
    expected = _triangles(library_path, "parts/s/61287s01.dat") + _triangles(
        library_path, "parts/s/61287s02.dat"
    )
    assert geom.n_triangles == expected
    assert any("61287p01rb.png" in w and ":14:" in w for w in model.warnings)


def test_instanced_one_leaf_serves_every_placement(tmp_path, library_path):
    model_file = tmp_path / "two.ldr"
    model_file.write_text(
        "0 two stickers\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 13710a.dat\n"
        "1 1 100 0 0 -1 0 0 0 1 0 0 0 1 13710a.dat\n"
    )
    model = load_model(model_file, use_cache=False)
    assert len(model.leaves) == 1 and model.n_instances == 2
    assert model.leaves[0].geometry.textured


def _png(colour: tuple[int, int, int, int]) -> bytes:
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGBA", (4, 4), colour).save(out, "PNG")
    return out.getvalue()


def test_mpd_data_block_and_nested_projection(tmp_path, library_path):
    """An image from `0 !DATA`, projected onto a library sub-file placed inside the region."""
    encoded = base64.b64encode(_png((255, 0, 0, 255))).decode()
    (tmp_path / "m.mpd").write_text(
        "0 FILE main.ldr\n0 main\n1 16 0 0 0 1 0 0 0 1 0 0 0 1 flag.dat\n"
        "0 FILE flag.dat\n0 flag\n0 !LDRAW_ORG Part\n0 BFC CERTIFY CCW\n"
        "0 !TEXMAP START PLANAR 0 0 0 10 0 0 0 0 10 red.png\n"
        "1 16 0 0 0 10 0 0 0 1 0 0 0 10 4-4disc.dat\n"
        "0 !TEXMAP FALLBACK\n3 16 0 0 0 1 0 0 0 0 1\n0 !TEXMAP END\n"
        f"0 !DATA red.png\n0 !: {encoded[:20]}\n0 !: {encoded[20:]}\n"
    )
    model = load_model(tmp_path / "m.mpd", use_cache=False)
    geom = model.leaves[0].geometry
    assert geom.textured and (geom.texture >= 0).all()
    assert str(geom.texture_names[0]) == "data:red.png"
    assert geom.images() == [base64.b64decode(encoded)]
    # The disc (radius 10 after the 10x scale) projected in the part's frame: u = x / 10.
    corners = geom.triangles.reshape(-1, 3)
    np.testing.assert_allclose(geom.uvs.reshape(-1, 2)[:, 0], corners[:, 0] / 10, atol=1e-5)
    assert len(geom.triangles) == _triangles(library_path, "p/4-4disc.dat")  # no fallback


def test_projections_follow_the_spec():
    planar = parse_projection("!TEXMAP START PLANAR 0 0 0 2 0 0 0 0 4 a.png")
    assert isinstance(planar, Projection) and planar.image == "a.png"
    uv = planar.uv(np.array([[[0, 0, 0], [2, 0, 0], [1, 5, 4]]], float))
    np.testing.assert_allclose(uv[0], [[0, 0], [1, 0], [0.5, 1]])
    # CYLINDRICAL: axis p2 (v = 0) → p1 (v = 1); p3 - p2 is the image's centre column.
    cyl = parse_projection("!TEXMAP START CYLINDRICAL 0 10 0 0 0 0 0 0 -5 180 c.png")
    uv = cyl.uv(np.array([[[0, 0, -5], [0, 10, -5], [0, 5, -5]]], float))
    np.testing.assert_allclose(uv[0, :, 0], 0.5, atol=1e-6)
    np.testing.assert_allclose(uv[0, :, 1], [0, 1, 0.5], atol=1e-6)
    # Quarter turns either side of the centre column are the image's edges (a = 180).
    sides = cyl.uv(np.repeat(np.array([[5.0, 3, 0], [-5, 3, 0]])[:, None], 3, axis=1))
    assert sorted(np.round(sides[:, 0, 0], 3).tolist()) == [0.0, 1.0]
    # SPHERICAL: the point towards p2 is the image centre.
    sph = parse_projection("!TEXMAP START SPHERICAL 0 0 0 0 0 -10 10 0 0 360 180 s.png")
    uv = sph.uv(np.array([[[0, 0, -10], [0, -10, 0.0], [0, 10, 0.0]]], float))
    np.testing.assert_allclose(uv[0, 0], [0.5, 0.5], atol=1e-6)
    np.testing.assert_allclose(sorted(uv[0, 1:, 1]), [0, 1], atol=1e-6)
    for bad in ("!TEXMAP START PLANAR 0 0 x.png", "!TEXMAP START CONIC 1 2 3 x.png"):
        assert isinstance(parse_projection(bad), str)


def test_changed_image_rebuilds_the_cached_part(tmp_path, library_path):
    root = tmp_path / "lib"
    (root / "parts" / "textures").mkdir(parents=True)
    (root / "p").mkdir()
    shutil.copy(library_path / "LDConfig.ldr", root / "LDConfig.ldr")
    shutil.copy(library_path / "p" / "4-4disc.dat", root / "p" / "4-4disc.dat")
    (root / "parts" / "tex.dat").write_text(
        "0 textured\n0 Name: tex.dat\n0 !LDRAW_ORG Part\n0 BFC CERTIFY CCW\n"
        "0 !TEXMAP START PLANAR 0 0 0 1 0 0 0 0 1 tex.png\n"
        "1 16 0 0 0 1 0 0 0 1 0 0 0 1 4-4disc.dat\n0 !TEXMAP END\n"
    )
    image = root / "parts" / "textures" / "tex.png"
    image.write_bytes(_png((255, 0, 0, 255)))
    model_file = tmp_path / "m.ldr"
    model_file.write_text("0 m\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 tex.dat\n")

    def images() -> list[bytes]:
        model = load_model(model_file, library=Library(root), use_cache=True)
        return model.leaves[0].geometry.images()

    assert images() == [_png((255, 0, 0, 255))]
    assert images() == [_png((255, 0, 0, 255))]  # from the cache
    image.write_bytes(_png((0, 0, 255, 128)) + b"\0" * 7)  # another size: a new version
    assert images() == [_png((0, 0, 255, 128)) + b"\0" * 7]


def _print_pixels(path: Path) -> tuple[int, int]:
    """(strongly red pixels, distinct colours in 4-bit steps) of a rendered image."""
    from PIL import Image

    rgb = np.asarray(Image.open(path).convert("RGB")).astype(np.int32)
    red = (rgb[..., 0] > 150) & (rgb[..., 1] < 110) & (rgb[..., 2] < 110)
    distinct = len(np.unique((rgb >> 4).reshape(-1, 3), axis=0))
    return int(red.sum()), distinct


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["raster", "path"])
def test_sticker_from_above_shows_its_print_in_both_engines(tmp_path, library_path, engine):
    from conftest import run_cli

    source = (library_path / "parts" / "13710a.dat").read_text()
    (tmp_path / "plain.dat").write_text(source.replace("13710a.png", "no-such-image.png"))
    images = {}
    for name, part in (("printed", "13710a.dat"), ("plain", "plain.dat")):
        (tmp_path / f"{name}.ldr").write_text(f"0 {name}\n1 15 0 0 0 1 0 0 0 1 0 0 0 1 {part}\n")
        out = tmp_path / f"{name}-{engine}.png"
        done = run_cli(
            "render", str(tmp_path / f"{name}.ldr"), "--engine", engine, "--view", "top",
            "--width", "320", "--height", "240", "--samples", "8", "-o", str(out),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        images[name] = _print_pixels(out)
    (red, distinct), (plain_red, plain_distinct) = images["printed"], images["plain"]
    assert red > 0.01 * 320 * 240  # the red "E" of the EV3 print
    assert plain_red < 0.001 * 320 * 240  # the fallback is plain white
    assert distinct > 2 * plain_distinct


def test_render_workers_still_get_the_prints(tmp_path):
    """The slim meshes shipped to render workers keep what the textured groups need."""
    from ldscene.farm.tasks import portable_meshes
    from ldscene.render.description import RenderDescription
    from ldscene.render.meshes import build_model_meshes
    from ldscene.render.options import RenderOptions
    from ldscene.render.path.world import world_meshes

    model_file = tmp_path / "two.ldr"
    model_file.write_text(
        "0 two\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 13710a.dat\n1 1 100 0 0 -1 0 0 0 1 0 0 0 1 3001.dat\n"
    )
    meshes = build_model_meshes(load_model(model_file), use_cache=False)
    full = RenderDescription(meshes, RenderOptions())
    slim = RenderDescription(portable_meshes(meshes), RenderOptions())
    assert len(full.textured) == len(slim.textured) == 1
    assert slim.textured[0].instances.tolist() == full.textured[0].instances.tolist()
    counts = [[m.n_triangles for m in world_meshes(d)] for d in (full, slim)]
    assert counts[0] == counts[1]


def test_model_file_without_the_image_draws_its_fallback_once(tmp_path):
    """A TEXMAP in a model file whose image is missing: the model draws its FALLBACK, and the
    `0 !:` copy is not added."""
    (tmp_path / "m.ldr").write_text(
        "0 model\n0 !TEXMAP START PLANAR 0 0 0 1 0 0 0 0 1 any.png\n"
        "0 !: 1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n0 !: 3 4 0 0 0 1 0 0 0 0 1\n"
        "0 !TEXMAP FALLBACK\n1 1 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n0 !TEXMAP END\n"
        "1 14 40 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n"
    )
    model = load_model(tmp_path / "m.ldr", use_cache=False)
    assert sorted(model.colour.tolist()) == [1, 14]
    assert [leaf.name for leaf in model.leaves] == ["3001.dat"]  # no loose `!:` triangle


@pytest.mark.parametrize(
    "start, image, why",
    [
        ("PLANAR -40 0 -20 40 0 -20 -40 0 20 bad.png", b"not a png", "cannot be read"),
        ("PLANAR -40 0 -20 40 0 -20 -40 0 20 gone.png", None, "not found"),
        ("CYLINDRICAL 0 0 0 0 -10 0 10 0 0 0 bad.png", b"", "angles other than 0"),
        ("SPHERICAL 0 0 0 0 0 -10 10 0 0 0 0 bad.png", b"", "angles other than 0"),
        ("CYLINDRICAL 0 0 0 0 -10 0 10 0 0 bad.png", b"", "needs 10 numbers"),
        ("PLANAR nan 0 -20 40 0 -20 -40 0 20 bad.png", b"", "not a finite number"),
        ("PLANAR 0 0 0 0 0 0 0 0 0 bad.png", b"", "points that span it"),
        ("SPHERICAL 0 0 0 0 0 -10 0 0 -20 360 180 bad.png", b"", "points that span it"),
    ],
)
def test_a_region_without_a_usable_texture_is_drawn_as_without_texmap(tmp_path, start, image, why):
    """An image that is missing or cannot be read, or a START that cannot be read: a warning
    at its line, and the region drawn as a tool without textures draws it (its plain lines
    and its fallback, not its `0 !:` lines), never a crash or vanished geometry."""
    if image is not None:
        (tmp_path / "bad.png").write_bytes(image or _png((255, 0, 0, 255)))
    (tmp_path / "m.ldr").write_text(
        f"0 m\n0 !TEXMAP START {start}\n3 4 -40 0 -20 40 0 -20 -40 0 20\n"
        "0 !: 3 2 0 0 0 1 0 0 0 0 1\n0 !TEXMAP FALLBACK\n3 1 0 0 0 1 0 0 0 0 1\n"
        "0 !TEXMAP END\n"
    )
    model = load_model(tmp_path / "m.ldr", use_cache=False)
    assert [w for w in model.warnings if ":2: " in w and why in w], model.warnings
    own = model.leaves[0].geometry
    assert sorted(own.triangle_colours.tolist()) == [1, 4] and not own.textured


def test_a_region_without_end_and_a_stray_end_are_warned_about(tmp_path):
    """A START with no END silently swallowed the rest of the file (its fallback too)."""
    (tmp_path / "textures").mkdir()
    (tmp_path / "textures" / "t.png").write_bytes(_png((255, 255, 0, 255)))
    (tmp_path / "m.ldr").write_text(
        "0 m\n0 !TEXMAP END\n0 !TEXMAP START PLANAR -50 0 -50 50 0 -50 -50 0 50 t.png\n"
        "3 4 -40 0 -20 40 0 -20 -40 0 20\n0 !TEXMAP FALLBACK\n3 2 0 0 0 1 0 0 0 0 1\n"
    )
    warnings = load_model(tmp_path / "m.ldr", use_cache=False).warnings
    assert any(":2: TEXMAP END without a START" in w for w in warnings), warnings
    assert any(":3: TEXMAP START has no END" in w for w in warnings), warnings


def test_a_sub_file_in_a_sub_folder_finds_the_models_textures(tmp_path):
    """A sub-file in `sd/` printing `tex.png`: the image is in the main model's `textures/`."""
    (tmp_path / "textures").mkdir()
    (tmp_path / "sd").mkdir()
    (tmp_path / "textures" / "tex.png").write_bytes(_png((255, 255, 0, 255)))
    (tmp_path / "sd" / "inner.ldr").write_text(
        "0 inner\n0 !TEXMAP START PLANAR -50 0 -50 50 0 -50 -50 0 50 tex.png\n"
        "4 4 -50 0 -50 50 0 -50 50 0 50 -50 0 50\n0 !TEXMAP END\n"
    )
    (tmp_path / "top.ldr").write_text("0 top\n1 16 0 0 0 1 0 0 0 1 0 0 0 1 sd\\inner.ldr\n")
    model = load_model(tmp_path / "top.ldr", use_cache=False)
    assert not [w for w in model.warnings if "tex.png" in w], model.warnings
    assert any(leaf.geometry.textured for leaf in model.leaves)


def test_a_texture_image_on_disk_is_a_file_of_the_model(tmp_path):
    """A model's own texture image is one of its files: the viewer reloads when it changes,
    and render, like export, refuses to write over it."""
    from conftest import run_cli

    (tmp_path / "textures").mkdir()
    image = tmp_path / "textures" / "img.png"
    image.write_bytes(_png((255, 0, 0, 255)))
    (tmp_path / "m.ldr").write_text(
        "0 m\n0 !TEXMAP START PLANAR -40 0 -20 40 0 -20 -40 0 20 img.png\n"
        "3 4 -40 0 -20 40 0 -20 -40 0 20\n0 !TEXMAP END\n"
    )
    model = load_model(tmp_path / "m.ldr", use_cache=False)
    assert image.resolve() in {Path(f).resolve() for f in model.files}
    before = image.read_bytes()
    result = run_cli("render", str(tmp_path / "m.ldr"), "-o", str(image), "--width", "40")
    assert result.returncode == 1 and "over a file of the model" in result.stderr
    assert image.read_bytes() == before


def test_model_file_prints_its_own_lines_and_the_parts_it_places(tmp_path):
    """A TEXMAP in a model file prints the model's own loose lines (`0 !:` ones too) and the
    parts it places, as LDView does: each printed part is a leaf of its own, in the part's
    frame, whose print is the region's projection of where the model places it (turned and
    mirrored placements too); that NEXT takes no loose line, and the part stays a part."""
    encoded = base64.b64encode(_png((255, 0, 0, 255))).decode()
    turned = "0 0 1 0 1 0 -1 0 0"  # a quarter turn about y
    mirrored = "-1 0 0 0 1 0 0 0 1"
    (tmp_path / "m.mpd").write_text(
        "0 FILE main.ldr\n0 main\n"
        "0 !TEXMAP START PLANAR -40 -80 0 40 -80 0 -40 0 0 red.png\n"
        "0 !: 4 16 -40 -80 0 -40 0 0 40 0 0 40 -80 0\n"
        "0 !TEXMAP FALLBACK\n4 8 -40 -80 0 -40 0 0 40 0 0 40 -80 0\n0 !TEXMAP END\n"
        "0 !TEXMAP NEXT PLANAR 80 -8 -20 120 -8 -20 80 -8 20 red.png\n"
        f"1 15 100 0 0 {turned} 3068b.dat\n"
        "3 2 0 10 0 10 10 0 0 20 0\n"
        "0 !TEXMAP NEXT PLANAR 160 -8 -20 200 -8 -20 160 -8 20 red.png\n"
        f"1 14 180 0 0 {mirrored} 3068b.dat\n"
        "1 4 240 0 0 1 0 0 0 1 0 0 0 1 3068b.dat\n"
        f"0 NOFILE\n0 !DATA red.png\n0 !: {encoded}\n"
    )
    model = load_model(tmp_path / "m.mpd", use_cache=False)
    assert not [w for w in model.warnings if "TEXMAP" in w]
    own = next(leaf for leaf in model.leaves if not leaf.is_part).geometry
    assert own.n_triangles == 3  # the printed quad and the plain triangle; no fallback quad
    assert own.textured and sorted(own.texture.tolist()) == [-1, 0, 0]
    assert sorted(own.triangle_colours.tolist()) == [2, 16, 16]
    tiles = [i for i in range(model.n_instances) if model.leaves[model.leaf[i]].is_part]
    assert [model.leaves[model.leaf[i]].name for i in tiles] == ["3068b.dat"] * 3
    plain = model.leaves[model.leaf[tiles[2]]].geometry
    assert not plain.textured
    for i, x0 in zip(tiles[:2], (80, 160), strict=True):
        leaf = model.leaves[model.leaf[i]].geometry
        assert leaf.textured and (leaf.texture == 0).all()
        assert leaf.n_triangles == plain.n_triangles
        t = model.transform[i]
        placed = leaf.triangles.reshape(-1, 3) @ t[:3, :3].T + t[:3, 3]
        np.testing.assert_allclose(
            leaf.uvs.reshape(-1, 2)[:, 0], (placed[:, 0] - x0) / 40, atol=1e-4
        )
        np.testing.assert_allclose(
            leaf.uvs.reshape(-1, 2)[:, 1], (placed[:, 2] + 20) / 40, atol=1e-4
        )
        # the part's own frame: the same triangles as the plain tile, same winding
        np.testing.assert_allclose(
            np.sort(leaf.triangles.reshape(-1, 3), axis=0),
            np.sort(plain.triangles.reshape(-1, 3), axis=0),
            atol=1e-4,
        )
        np.testing.assert_allclose(
            np.cross(*(leaf.triangles[:, 1:] - leaf.triangles[:, :1]).transpose(1, 0, 2)).sum(0),
            np.cross(*(plain.triangles[:, 1:] - plain.triangles[:, :1]).transpose(1, 0, 2)).sum(0),
            atol=1e-2,
        )


def test_path_engine_print_does_not_repeat_beyond_its_borders(library_path):
    """Planar prints often cover more than their image (685p01's face: u from -0.43 to 1.38);
    outside it the part's colour shows, as in the raster engine and glTF (clamped edges of a
    transparent border), not copies of the face."""
    from ldscene.appearance import appearance
    from ldscene.render.path.materials import textured_bsdf

    model, geom = _part(library_path, "685p01.dat")
    assert geom.uvs[geom.texture >= 0].min() < -0.4
    image = np.zeros((4, 4, 4), np.uint8)
    surface = textured_bsdf(appearance(model.colours.get(14)), image)["bsdf"]
    assert surface["diffuse_reflectance"]["wrap_mode"] == "clamp"


@pytest.mark.slow
def test_every_textured_library_part_loads(library):
    """All library parts that start a TEXMAP: each is printed, or says which image is missing."""

    def starts(rel: str) -> bool:
        text = library.read(rel).upper()
        return b"!TEXMAP START" in text or b"!TEXMAP NEXT" in text

    names = [r for r in library.index if r.startswith("parts/") and r.endswith(".dat")]
    names = [r for r in names if not r.startswith("parts/s/") and starts(r)]  # parts, not subparts
    assert len(names) > 100
    printed = 0
    for rel in names:
        model = load_model(Path(library.root) / library.index[rel], use_cache=False)
        geoms = [model.leaves[i].geometry for i in set(model.leaf.tolist())]
        if any(g.textured for g in geoms):
            printed += 1
            for g in geoms:
                assert len(g.images()) == len(g.texture_names) and g.texture.max() < len(g.images())
        else:
            assert any("texture image" in w and "not found" in w for w in model.warnings), rel
    assert printed > 60


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["raster", "path"])
def test_a_part_made_only_of_print_renders(tmp_path, engine):
    """No plain triangle, no edge: the print alone frames the view and is drawn."""
    from conftest import run_cli
    from PIL import Image

    encoded = base64.b64encode(_png((255, 0, 0, 255))).decode()
    (tmp_path / "flag.mpd").write_text(
        "0 FILE main.ldr\n0 main\n1 16 0 0 0 1 0 0 0 1 0 0 0 1 flag.dat\n"
        "0 FILE flag.dat\n0 flag\n0 !LDRAW_ORG Part\n0 BFC CERTIFY CCW\n"
        "0 !TEXMAP START PLANAR -10 0 -10 10 0 -10 -10 0 10 red.png\n"
        "1 16 0 0 0 10 0 0 0 1 0 0 0 10 4-4disc.dat\n0 !TEXMAP END\n"
        f"0 !DATA red.png\n0 !: {encoded}\n"
    )
    out = tmp_path / "flag.png"
    done = run_cli(
        "render", str(tmp_path / "flag.mpd"), "--engine", engine, "--view", "top",
        "--width", "200", "--height", "150", "--samples", "4", "-o", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rgb = np.asarray(Image.open(out).convert("RGB")).astype(int)
    red = (rgb[..., 0] > 150) & (rgb[..., 1] < 80) & (rgb[..., 2] < 80)
    assert red.mean() > 0.25  # the red disc fills the auto-framed view


def test_exports_that_leave_prints_out_say_so(tmp_path):
    """An LDraw export keeps library parts' prints (by reference) but not the model's own
    TEXMAP lines; OBJ keeps none; glTF keeps them all, and STL (no colours) has nothing to say."""
    from conftest import run_cli

    encoded = base64.b64encode(_png((255, 0, 0, 255))).decode()
    (tmp_path / "m.mpd").write_text(
        "0 FILE main.ldr\n0 main\n"
        "0 !TEXMAP START PLANAR -20 0 -10 20 0 -10 -20 0 10 red.png\n"
        "1 15 0 0 0 1 0 0 0 1 0 0 0 1 3003.dat\n0 !TEXMAP END\n"
        f"0 !DATA red.png\n0 !: {encoded}\n"
    )
    notes = {}
    for suffix in (".mpd", ".obj", ".glb", ".stl"):
        result = run_cli("export", str(tmp_path / "m.mpd"), "-o", str(tmp_path / f"out{suffix}"))
        assert result.returncode == 0, result.stderr
        notes[suffix] = result.stderr
    assert "the TEXMAP prints of m.mpd are not kept in an LDraw export" in notes[".mpd"]
    assert "drawn plain in a .obj file" in notes[".obj"]
    assert "note" not in notes[".glb"]
    assert "note" not in notes[".stl"]  # an STL has no colour at all: no print to miss
    library_print = run_cli("export", "3622p06", "-o", str(tmp_path / "p.mpd"))
    assert library_print.returncode == 0 and "note" not in library_print.stderr
