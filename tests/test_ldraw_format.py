"""The LDraw format rules, each on a small hand-written file, resolved against the real library."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import write

from ldscene.errors import ModelError
from ldscene.ldraw import load_model
from ldscene.ldraw.geometry import edge_of
from ldscene.ldraw.library import Library, find_library
from ldscene.ldraw.parser import parse_lines, split_blocks
from ldscene.ldraw.stats import model_stats

# A custom part: one CCW triangle facing +Z (seen from +Z it is counter-clockwise), one quad,
# one edge line and one conditional line.
PART = """0 Test plate
0 Name: tplate.dat
0 !LDRAW_ORG Unofficial_Part
0 BFC CERTIFY CCW
3 16 0 0 0 10 0 0 0 10 0
4 16 0 0 5 10 0 5 10 10 5 0 10 5
2 24 0 0 0 10 0 0
5 24 0 0 0 0 10 0 1 0 0 -1 0 0
"""


def triangle_normals(triangles: np.ndarray) -> np.ndarray:
    a, b, c = triangles[:, 0], triangles[:, 1], triangles[:, 2]
    normal = np.cross(b - a, c - a)
    return normal / np.linalg.norm(normal, axis=1, keepdims=True)


def test_tokens_tabs_crlf_bom_latin1(tmp_path):
    text = "0 Caf\xe9 model\r\n\r\n1\t4  0 0 0\t1 0 0 0 1 0 0 0 1 \ttplate.dat\r\n"
    (tmp_path / "m.ldr").write_bytes(b"\xef\xbb\xbf" + text.encode("latin-1"))
    write(tmp_path, "tplate.dat", PART)
    model = load_model(tmp_path / "m.ldr")
    assert model.n_instances == 1
    assert model.colour.tolist() == [4]
    assert model.leaves[0].name == "tplate.dat"


def test_type1_file_name_keeps_inner_spaces():
    parsed = parse_lines(["1 4 0 0 0 1 0 0 0 1 0 0 0 1   my sub model.ldr  "], "x")
    assert parsed.refs.names == ["my sub model.ldr"]


def test_counts_are_exact_on_a_hand_made_model(tmp_path):
    write(tmp_path, "tplate.dat", PART)
    write(
        tmp_path,
        "m.ldr",
        """0 Two plates
1 4 0 0 0 1 0 0 0 1 0 0 0 1 tplate.dat
1 1 100 -20 0 1 0 0 0 1 0 0 0 1 tplate.dat
3 2 0 0 0 1 0 0 0 1 0
""",
    )
    stats = model_stats(load_model(tmp_path / "m.ldr"))
    assert stats["parts"] == 2
    assert stats["unique_parts"] == 1
    assert stats["triangles"] == 2 * 3 + 1  # 1 triangle + 1 quad per part, plus one loose
    assert stats["lines"] == 2
    assert stats["cond_lines"] == 2
    assert stats["bbox"] == {"min": [0.0, -20.0, 0.0], "max": [110.0, 10.0, 5.0]}
    assert stats["missing"] == []


def test_mpd_blocks_with_spaces_and_symbols_and_data(tmp_path):
    write(
        tmp_path,
        "m.mpd",
        """0 FILE Main & Co's.ldr
0 Main
1 16 0 0 0 1 0 0 0 1 0 0 0 1 Sub Model & 'x'.ldr
1 14 50 0 0 1 0 0 0 1 0 0 0 1 Sub Model & 'x'.ldr
0 NOFILE
0 FILE Sub Model & 'x'.ldr
0 Sub
1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat
0 NOFILE
0 !DATA logo.png
0 !: iVBORw0KGgo=
""",
    )
    blocks = split_blocks((tmp_path / "m.mpd").read_text())
    assert [b.name for b in blocks] == ["Main & Co's.ldr", "Sub Model & 'x'.ldr", "logo.png"]
    assert blocks[2].data == b"\x89PNG\r\n\x1a\n"
    model = load_model(tmp_path / "m.mpd")
    assert model.n_instances == 2
    assert {model.leaves[i].name for i in model.leaf} == {"3001.dat"}
    assert ("Sub Model & 'x'.ldr",) in model.paths


def test_a_file_comment_in_a_plain_file_is_a_comment(tmp_path):
    """ "0 File converted from LDD" after a part made the .ldr an MPD: the part above it was
    dropped as outside any block.  A file that draws before its first 0 FILE line and places
    none of its blocks is a plain file, as LDView reads it; one that places a block stays an
    MPD (its stray line warned of and left out)."""
    head = "0 My house\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n"
    plain = write(
        tmp_path, "house.ldr", head + "0 File converted\n1 1 0 -24 0 1 0 0 0 1 0 0 0 1 3001.dat\n"
    )
    model = load_model(plain)
    assert sorted(model.colour.tolist()) == [1, 4] and not model.warnings
    mpd = write(
        tmp_path,
        "stray.mpd",
        head + "0 FILE main.ldr\n1 1 0 0 0 1 0 0 0 1 0 0 0 1 sub.ldr\n"
        "0 FILE sub.ldr\n1 2 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n",
    )
    model = load_model(mpd)
    assert model.colour.tolist() == [2]  # sub.ldr placed by main.ldr, in its own colour
    assert any(":2: drawing line outside any '0 FILE' block" in w for w in model.warnings)


def test_mpd_block_shadows_library_file(tmp_path):
    write(
        tmp_path,
        "m.mpd",
        """0 FILE main.ldr
1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat
0 FILE 3001.dat
0 My own 3001
0 !LDRAW_ORG Unofficial_Part
3 16 0 0 0 1 0 0 0 1 0
""",
    )
    model = load_model(tmp_path / "m.mpd")
    assert model.leaves[0].geometry.n_triangles == 1
    assert model.leaves[0].description == "My own 3001"


def test_case_insensitive_and_backslash_lookup(tmp_path):
    write(
        tmp_path,
        "m.ldr",
        """0 Lookups
1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.DAT
1 4 0 0 0 1 0 0 0 1 0 0 0 1 S\\3001S01.DAT
1 4 0 0 0 1 0 0 0 1 0 0 0 1 48/1-4CYLI.DAT
""",
    )
    model = load_model(tmp_path / "m.ldr")
    assert model.missing == []
    names = sorted(leaf.name for leaf in model.leaves)
    assert names == ["3001.dat", "48\\1-4cyli.dat", "s\\3001s01.dat"]
    is_part = {leaf.name: leaf.is_part for leaf in model.leaves}
    assert is_part == {"3001.dat": True, "s\\3001s01.dat": False, "48\\1-4cyli.dat": False}


def test_colour_16_and_24_through_two_levels(tmp_path):
    write(tmp_path, "tplate.dat", PART)
    write(
        tmp_path,
        "sub.ldr",
        "0 Sub\n1 16 0 0 0 1 0 0 0 1 0 0 0 1 tplate.dat\n1 2 0 0 0 1 0 0 0 1 0 0 0 1 tplate.dat\n",
    )
    write(tmp_path, "m.ldr", "0 Main\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 sub.ldr\n")
    model = load_model(tmp_path / "m.ldr")
    assert sorted(model.colour.tolist()) == [2, 4]
    geometry = model.leaves[0].geometry
    assert set(geometry.triangle_colours.tolist()) == {16}  # symbolic: one mesh, any colour
    assert set(geometry.edge_colours.tolist()) == {24}


def test_colour_resolved_inside_a_part_when_given(tmp_path):
    write(
        tmp_path,
        "prim.dat",
        "0 Prim\n0 !LDRAW_ORG Unofficial_Primitive\n0 BFC CERTIFY CCW\n"
        "3 16 0 0 0 1 0 0 0 1 0\n2 24 0 0 0 1 0 0\n",
    )
    write(
        tmp_path,
        "p.dat",
        "0 Part\n0 !LDRAW_ORG Unofficial_Part\n0 BFC CERTIFY CCW\n"
        "1 16 0 0 0 1 0 0 0 1 0 0 0 1 prim.dat\n"
        "1 1 0 0 0 1 0 0 0 1 0 0 0 1 prim.dat\n",
    )
    write(tmp_path, "m.ldr", "0 M\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 p.dat\n")
    geometry = load_model(tmp_path / "m.ldr").leaves[0].geometry
    assert sorted(geometry.triangle_colours.tolist()) == [1, 16]
    assert sorted(geometry.edge_colours.tolist()) == [edge_of(1), 24]


def test_local_colour_definition_applies_to_its_file(tmp_path):
    write(
        tmp_path,
        "m.ldr",
        """0 Local colour
0 !COLOUR My_Pink CODE 4 VALUE #FF00FF EDGE #000000
1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat
""",
    )
    model = load_model(tmp_path / "m.ldr")
    colour = model.colours.get(int(model.colour[0]))
    assert colour.name == "My_Pink"
    assert model.colours.get(4).name == "Red"  # LDConfig's red is untouched elsewhere


def test_local_colour_holds_from_its_line_on_in_lines_parts_and_sub_models(tmp_path):
    """A `!COLOUR` holds from its own line to the end of its file, for the file's own lines,
    the parts it places and the sub-models placed after it (which draw their own lines and
    parts in it too); lines above it keep the colour the code had."""
    write(
        tmp_path,
        "m.mpd",
        """0 FILE main.ldr
0 Main
1 16 0 0 0 1 0 0 0 1 0 0 0 1 sub.ldr
1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat
0 !COLOUR My_Pink CODE 4 VALUE #FF00FF EDGE #000000
1 4 0 -24 0 1 0 0 0 1 0 0 0 1 3001.dat
1 16 0 -48 0 1 0 0 0 1 0 0 0 1 sub.ldr
3 4 0 0 0 10 0 0 0 0 10

0 FILE sub.ldr
0 Sub
1 4 100 0 0 1 0 0 0 1 0 0 0 1 3001.dat
3 4 0 0 0 -10 0 0 0 0 10
""",
    )
    model = load_model(tmp_path / "m.mpd")
    names = {}
    for i in range(model.n_instances):
        leaf = model.leaves[int(model.leaf[i])]
        y = float(model.transform[i][1, 3])
        colour = model.colours.get(int(model.colour[i]))
        if leaf.is_part:
            names[(leaf.name, y, float(model.transform[i][0, 3]))] = colour.name
        else:  # a model file's own lines: the colour of their triangle
            own = model.colours.get(int(leaf.geometry.triangle_colours[0]))
            names[("own", y, float(leaf.geometry.triangles[0, 1, 0]))] = own.name
    assert names == {
        ("3001.dat", 0.0, 100.0): "Red",  # the sub-model placed above the definition
        ("own", 0.0, -10.0): "Red",
        ("3001.dat", 0.0, 0.0): "Red",  # the main file's lines above it
        ("3001.dat", -24.0, 0.0): "My_Pink",  # ... and below it
        ("own", 0.0, 10.0): "My_Pink",
        ("3001.dat", -48.0, 100.0): "My_Pink",  # the sub-model placed below it
        ("own", -48.0, -10.0): "My_Pink",
    }


def test_a_colour_a_sub_model_defines_is_unknown_to_its_parent(tmp_path):
    """A code LDConfig lacks, defined in a sub-model, means nothing in the file that places
    it: its line there is an unknown colour (magenta, a warning), whatever was placed first."""
    write(
        tmp_path,
        "m.mpd",
        """0 FILE main.ldr
1 4 0 0 0 1 0 0 0 1 0 0 0 1 sub.ldr
1 600 0 -24 0 1 0 0 0 1 0 0 0 1 3001.dat
0 FILE sub.ldr
0 !COLOUR SubOnly CODE 600 VALUE #00FFFF EDGE #000000
1 600 0 0 0 1 0 0 0 1 0 0 0 1 3003.dat
""",
    )
    model = load_model(tmp_path / "m.mpd")
    names = {
        model.leaves[int(leaf)].name: model.colours.get(int(code)).name
        for leaf, code in zip(model.leaf, model.colour)
    }
    assert names == {"3003.dat": "SubOnly", "3001.dat": "Unknown 600"}
    assert any("m.mpd:3: unknown colour code 600" in w for w in model.warnings), model.warnings


def _cylinder_normals_point_out(geometry) -> bool:
    normals = triangle_normals(geometry.triangles.astype(np.float64))
    centres = geometry.triangles.mean(axis=1)
    radial = centres[:, [0, 2]]
    side = np.abs(normals[:, 1]) < 0.5  # the cylinder wall, not the top disc
    return bool((np.einsum("ij,ij->i", normals[side][:, [0, 2]], radial[side]) > 0).all())


def test_bfc_stud_cylinder_normals_point_outwards(library):
    # p/stud.dat places 4-4cyli.dat with a -4 Y scale: a mirroring matrix that flips winding.
    model = load_model(library.root / "p" / "stud.dat", library=library)
    assert _cylinder_normals_point_out(model.leaves[0].geometry)


def test_bfc_invertnext_and_mirror(tmp_path):
    write(
        tmp_path,
        "tri.dat",
        "0 Tri\n0 !LDRAW_ORG Unofficial_Primitive\n0 BFC CERTIFY CCW\n3 16 0 0 0 1 0 0 0 1 0\n",
    )
    cases = {
        "plain": ("", "1 0 0 0 1 0 0 0 1", +1),
        "invertnext": ("0 BFC INVERTNEXT\n", "1 0 0 0 1 0 0 0 1", -1),
        # Mirror in X: winding flips, so the front stays +Z after the mirror.
        "mirror": ("", "-1 0 0 0 1 0 0 0 1", +1),
        "mirror+invert": ("0 BFC INVERTNEXT\n", "-1 0 0 0 1 0 0 0 1", -1),
    }
    for name, (meta, matrix, expected_z) in cases.items():
        write(
            tmp_path,
            f"{name}.dat",
            f"0 {name}\n0 !LDRAW_ORG Unofficial_Part\n"
            f"0 BFC CERTIFY CCW\n{meta}1 16 0 0 0 {matrix} tri.dat\n",
        )
        geometry = load_model(tmp_path / f"{name}.dat").leaves[0].geometry
        assert np.sign(triangle_normals(geometry.triangles)[0, 2]) == expected_z, name
        assert not geometry.two_sided.any(), name


def test_bfc_cw_winding_and_nocertify(tmp_path):
    write(
        tmp_path,
        "cw.dat",
        "0 CW\n0 !LDRAW_ORG Unofficial_Part\n0 BFC CERTIFY CW\n3 16 0 0 0 0 1 0 1 0 0\n",
    )
    geometry = load_model(tmp_path / "cw.dat").leaves[0].geometry
    assert triangle_normals(geometry.triangles)[0, 2] > 0
    assert not geometry.two_sided.any()
    write(
        tmp_path,
        "nc.dat",
        "0 NC\n0 !LDRAW_ORG Unofficial_Part\n0 BFC NOCERTIFY\n3 16 0 0 0 1 0 0 0 1 0\n",
    )
    assert load_model(tmp_path / "nc.dat").leaves[0].geometry.two_sided.all()
    # An uncertified parent makes its certified children double-sided too.
    write(
        tmp_path,
        "tri.dat",
        "0 Tri\n0 !LDRAW_ORG Unofficial_Primitive\n0 BFC CERTIFY CCW\n3 16 0 0 0 1 0 0 0 1 0\n",
    )
    write(
        tmp_path,
        "parent.dat",
        "0 P\n0 !LDRAW_ORG Unofficial_Part\n1 16 0 0 0 1 0 0 0 1 0 0 0 1 tri.dat\n",
    )
    assert load_model(tmp_path / "parent.dat").leaves[0].geometry.two_sided.all()


def test_missing_parts_listed_and_rest_loads(tmp_path):
    write(
        tmp_path,
        "m.ldr",
        """0 Missing
1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat
1 4 0 0 0 1 0 0 0 1 0 0 0 1 nosuchpart.dat
""",
    )
    model = load_model(tmp_path / "m.ldr")
    assert model_stats(model)["parts"] == 1
    assert [(m.name, m.line) for m in model.missing] == [("nosuchpart.dat", 3)]
    with pytest.raises(ModelError, match="nosuchpart.dat"):
        load_model(tmp_path / "m.ldr", strict=True)


def test_reference_cycle_is_an_error_naming_it(tmp_path):
    write(tmp_path, "a.ldr", "0 A\n1 16 0 0 0 1 0 0 0 1 0 0 0 1 b.ldr\n")
    write(tmp_path, "b.ldr", "0 B\n1 16 0 0 0 1 0 0 0 1 0 0 0 1 a.ldr\n")
    with pytest.raises(ModelError, match=r"cycle.*b\.ldr -> a\.ldr"):
        load_model(tmp_path / "a.ldr")
    write(
        tmp_path, "x.dat", "0 X\n0 !LDRAW_ORG Unofficial_Part\n1 16 0 0 0 1 0 0 0 1 0 0 0 1 y.dat\n"
    )
    write(
        tmp_path,
        "y.dat",
        "0 Y\n0 !LDRAW_ORG Unofficial_Subpart\n1 16 0 0 0 1 0 0 0 1 0 0 0 1 x.dat\n",
    )
    write(tmp_path, "m.ldr", "0 M\n1 16 0 0 0 1 0 0 0 1 0 0 0 1 x.dat\n")
    with pytest.raises(ModelError, match="cycle"):
        load_model(tmp_path / "m.ldr")


def test_malformed_lines_warn_with_location_and_are_skipped(tmp_path):
    write(
        tmp_path,
        "m.ldr",
        """0 Bad lines
3 4 0 0 0 1 0 0
3 4 0 0 0 1 0 0 0 x 0
3 4 0 0 0 1 0 0 0 nan 0
1 4 0 0 0 0 0 0 0 0 0 0 0 0 3001.dat
1 4 0 0 0 1 0 0 0 1 0 0 0 inf 3001.dat
3 4 0 0 0 1 0 0 0 1 0
1 4 0 0 0 1 0 0 0 0 0 0 0 1 3001.dat
""",
    )
    model = load_model(tmp_path / "m.ldr")
    assert model_stats(model)["triangles"] == 1 + 700  # the good triangle + one flattened 3001
    lines = sorted(int(w.split(":")[1]) for w in model.warnings)
    assert lines == [2, 3, 4, 5, 6]
    assert all(w.startswith(str(tmp_path / "m.ldr")) for w in model.warnings)
    with pytest.raises(ModelError, match=r"m\.ldr:2"):
        load_model(tmp_path / "m.ldr", strict=True)


def test_a_short_line_beside_a_long_one_is_left_out_not_shifted():
    """One number too many on a line and one too few on the next added up to the right count,
    and the fast path read both shifted: the short line drawn in colour 3, no warning."""
    for kind, good in (("2", "2 4 0 0 0 40 0 0"), ("3", "3 4 0 0 0 40 0 0 0 -40 0")):
        long = f"{good} {kind}"  # a stray number at the end (ignored, as trailing junk is)
        short = " ".join(good.split()[:-1])
        parsed = parse_lines(["0 t", long, short], "m.ldr")
        assert parsed.warnings == [
            (3, f"type-{kind} line needs a colour and {3 * int(kind)} numbers, found "
             f"{3 * int(kind) - 1}; it is left out")
        ]  # fmt: skip
        colours = parsed.edge_colours if kind == "2" else parsed.triangle_colours
        assert colours.tolist() == [4]  # the long line, in its own colour; the short one left out


def test_invertnext_is_used_up_by_a_drawing_line():
    """INVERTNEXT before a triangle carried past it onto the next part, which was drawn inside
    out; LDView lets any drawing line use it up (a comment between keeps it)."""
    part = "1 1 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat"
    parsed = parse_lines(
        ["0 t", "0 BFC CERTIFY CCW", "0 BFC INVERTNEXT", "3 4 0 0 0 1 0 0 0 1 0", part,
         "0 BFC INVERTNEXT", "0 a comment", part],
        "m.ldr",
    )  # fmt: skip
    assert parsed.refs.invert.tolist() == [False, True]


def test_a_part_in_the_models_parts_folder_finds_a_primitive_in_its_p_folder(tmp_path):
    """A model's folder is laid out like the library (parts/, p/): its part's primitive in p/
    was 'missing', though the model itself could place it."""
    write(tmp_path, "p/myprim.dat", "0 Prim\n3 16 0 0 0 10 0 0 0 10 0\n")
    write(tmp_path, "parts/myp.dat", "0 Part\n1 16 0 0 0 1 0 0 0 1 0 0 0 1 myprim.dat\n")
    model = load_model(write(tmp_path, "m.ldr", "0 M\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 myp.dat\n"))
    assert not model.missing and model_stats(model)["triangles"] == 1


def test_singular_nonzero_matrix_loads(library):
    model = load_model(library.root / "parts" / "6035.dat", library=library)
    assert model.leaves[0].geometry.n_triangles > 0
    assert model.warnings == []


@pytest.mark.slow  # seconds of work: the full suite keeps it
def test_deep_acyclic_nesting(tmp_path):
    depth = 3000
    lines = []
    for level in range(depth):
        lines += [
            f"0 FILE level{level}.ldr",
            f"0 Level {level}",
            f"1 16 0 -8 0 1 0 0 0 1 0 0 0 1 level{level + 1}.ldr",
            "0 NOFILE",
        ]
    lines += [f"0 FILE level{depth}.ldr", "1 4 0 0 0 1 0 0 0 1 0 0 0 1 3024.dat"]
    (tmp_path / "deep.mpd").write_text("\n".join(lines))
    model = load_model(tmp_path / "deep.mpd")
    assert model_stats(model)["parts"] == 1
    assert model.transform[0, 1, 3] == -8 * depth


def test_zip_library_read_in_place(tmp_path, library):
    import zipfile

    archive = tmp_path / "mini.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("ldraw/LDConfig.ldr", library.read("ldconfig.ldr"))
        out.writestr(
            "ldraw/parts/Brick.dat",
            "0 Brick\n0 !LDRAW_ORG Part\n0 BFC CERTIFY CCW\n"
            "1 16 0 0 0 1 0 0 0 1 0 0 0 1 S\\Brick s01.dat\n",
        )
        out.writestr("ldraw/parts/s/brick s01.dat", "0 Sub\n4 16 0 0 0 1 0 0 1 1 0 0 1 0\n")
    zipped = find_library(archive)
    assert zipped.is_zip and zipped.n_parts == 1
    write(tmp_path, "m.ldr", "0 M\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 brick.dat\n")
    stats = model_stats(load_model(tmp_path / "m.ldr", library=zipped))
    assert (stats["parts"], stats["triangles"], stats["missing"]) == (1, 2, [])


def test_real_complete_zip_matches_folder(library):
    from conftest import COMPLETE_ZIP, OMR

    model_path = OMR / "6879-1 - Blizzard Baron.mpd"
    from_zip = model_stats(load_model(model_path, library=Library(COMPLETE_ZIP), use_cache=False))
    from_dir = model_stats(load_model(model_path, library=library, use_cache=False))
    assert from_zip == from_dir
    assert from_dir["parts"] > 50


def test_local_colours_cannot_take_16_or_24_and_an_edge_code_sees_earlier_ones(tmp_path):
    """16 stays the inherited colour in a file that tries to define it; a later definition's
    EDGE 4 is the file's own 4 from the line above, not LDConfig's red."""
    write(
        tmp_path,
        "m.mpd",
        "0 FILE main.ldr\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 s.ldr\n"
        "0 FILE s.ldr\n0 !COLOUR Sixteen CODE 16 VALUE #00FF00 EDGE #000000\n"
        "0 !COLOUR Lime CODE 4 VALUE #00FF00 EDGE #0000FF\n"
        "0 !COLOUR Rim CODE 601 VALUE #FF0000 EDGE 4\n"
        "1 16 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n1 601 0 -24 0 1 0 0 0 1 0 0 0 1 3001.dat\n",
    )
    model = load_model(tmp_path / "m.mpd")
    colours = [model.colours.get(int(c)) for c in model.colour]
    assert [c.name for c in colours] == ["Red", "Rim"]
    assert colours[1].edge_rgb == (0.0, 1.0, 0.0)
    assert any("m.mpd:4: !COLOUR cannot define code 16" in w for w in model.warnings)
