"""Resolver and flattener on small handwritten LDraw files: no library needed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import write

from ldscene.errors import ModelError
from ldscene.ldraw.colours import ColourTable, default_main_colours
from ldscene.ldraw.expand import Expander
from ldscene.ldraw.flatten import Flattener
from ldscene.ldraw.library import SourceKey, SourceKind
from ldscene.ldraw.model import Model
from ldscene.ldraw.resolver import FileKind, Files
from ldscene.ldraw.studs import StudStyle

pytestmark = pytest.mark.unit

#: A one-triangle part, certified counter-clockwise, with an edge line.
TRIANGLE_PART = """
0 Triangle
0 Name: tri.dat
0 !LDRAW_ORG Part UPDATE 2024-01
0 BFC CERTIFY CCW
3 16 0 0 0 10 0 0 0 0 10
2 24 0 0 0 10 0 0
"""


def flatten(path: Path) -> Model:
    files = Files(None)
    colours = ColourTable()
    default_main_colours(colours)
    return Flattener(files, Expander(files), colours).flatten(files.open_root(path))


def test_source_key_is_a_value_with_a_stable_text() -> None:
    lib = SourceKey.lib("Parts\\3001.DAT")
    assert lib == SourceKey(SourceKind.LIB, "parts/3001.dat")
    assert hash(lib) == hash(SourceKey.lib("parts/3001.dat"))
    assert str(lib) == "lib:parts/3001.dat"  # written into disk-cache keys: must not change
    block = SourceKey.mpd("/m/a.mpd", "Sub Model.LDR")
    assert str(block) == "mpd:/m/a.mpd#sub model.ldr"
    assert block.container() == SourceKey.fs("/m/a.mpd")
    assert block.folder == Path("/m")
    assert str(block.own_lines()) == "mpd:/m/a.mpd#sub model.ldr#own"
    assert block.own_lines() != block and lib.folder is None


def test_resolver_order_blocks_then_folder(tmp_path: Path) -> None:
    write(tmp_path, "parts/tri.dat", TRIANGLE_PART)
    root = write(
        tmp_path,
        "a.mpd",
        """
0 FILE main.ldr
1 16 0 0 0 1 0 0 0 1 0 0 0 1 SUB.LDR
0 FILE sub.ldr
1 4 0 0 0 1 0 0 0 1 0 0 0 1 TRI.DAT
1 4 0 0 0 1 0 0 0 1 0 0 0 1 nowhere.dat
""",
    )
    files = Files(None)
    key = files.open_root(root)
    main = files.records[key]
    (sub,) = main.children
    assert sub is not None and sub.key == SourceKey.mpd(root.resolve(), "sub.ldr")
    tri, missing = files.record(sub).children
    assert tri is not None and tri.key.kind is SourceKind.FS
    assert Path(tri.key.path) == (tmp_path / "parts" / "tri.dat").resolve()
    assert missing is None
    assert files.kind(sub) is FileKind.MODEL and files.kind(tri) is FileKind.PART


def test_flatten_places_a_sub_model_twice_sharing_one_leaf(tmp_path: Path) -> None:
    write(tmp_path, "tri.dat", TRIANGLE_PART)
    root = write(
        tmp_path,
        "a.mpd",
        """
0 FILE main.ldr
1 4 0 0 0 1 0 0 0 1 0 0 0 1 sub.ldr
1 2 100 0 0 1 0 0 0 1 0 0 0 1 sub.ldr
0 FILE sub.ldr
1 16 0 -8 0 1 0 0 0 1 0 0 0 1 tri.dat
1 1 5 0 0 1 0 0 0 1 0 0 0 1 missing.dat
""",
    )
    model = flatten(root)
    assert model.n_instances == 2 and len(model.leaves) == 1
    assert model.leaves[0].name == "tri.dat" and model.leaves[0].is_part
    assert model.colour.tolist() == [4, 2] and model.colour.dtype == np.int64
    assert model.transform[:, :3, 3].tolist() == [[0, -8, 0], [100, -8, 0]]
    assert [model.paths[i] for i in model.path] == [("sub.ldr",), ("sub.ldr",)]
    assert [(m.name, m.line) for m in model.missing] == [("missing.dat", 6)]


def test_flatten_own_lines_and_inverted_variant(tmp_path: Path) -> None:
    write(tmp_path, "tri.dat", TRIANGLE_PART)
    root = write(
        tmp_path,
        "m.ldr",
        """
0 Model
0 BFC CERTIFY CCW
3 1 0 0 0 1 0 0 0 1 0
0 BFC INVERTNEXT
1 16 0 0 0 1 0 0 0 1 0 0 0 1 tri.dat
1 16 0 0 0 1 0 0 0 1 0 0 0 1 tri.dat
""",
    )
    model = flatten(root)
    names = [leaf.name for leaf in model.leaves]
    assert names == ["m.ldr", "tri.dat", "tri.dat"]  # own lines, inverted tri, plain tri
    inverted, plain = model.leaves[1].geometry, model.leaves[2].geometry
    assert np.array_equal(inverted.triangles, plain.triangles[:, [0, 2, 1]])
    assert not model.leaves[0].is_part and model.n_instances == 3


def test_flatten_reports_a_cycle(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        "a.mpd",
        """
0 FILE a.ldr
1 16 0 0 0 1 0 0 0 1 0 0 0 1 b.ldr
0 FILE b.ldr
1 16 0 0 0 1 0 0 0 1 0 0 0 1 a.ldr
""",
    )
    with pytest.raises(ModelError, match="reference cycle") as caught:
        flatten(root)
    assert caught.value.line == 4  # b.ldr's reference back to a.ldr, where the cycle closes


def test_model_select_keeps_every_field(tmp_path: Path) -> None:
    write(tmp_path, "tri.dat", TRIANGLE_PART)
    root = write(
        tmp_path,
        "m.ldr",
        "1 4 0 0 0 1 0 0 0 1 0 0 0 1 tri.dat\n1 16 9 0 0 1 0 0 0 1 0 0 0 1 tri.dat",
    )
    model = flatten(root)
    model.studs = StudStyle.LOGO
    picked = model.select(np.array([False, True]), "one")
    assert picked.name == "one" and picked.studs is StudStyle.LOGO
    assert picked.colour.tolist() == [16] and picked.leaves is model.leaves


def test_flatten_reference_places_a_part_as_a_line_would(tmp_path: Path) -> None:
    write(tmp_path, "parts/tri.dat", TRIANGLE_PART)
    write(tmp_path, "parts/s/half.dat", TRIANGLE_PART.replace("Part UPDATE", "Subpart UPDATE"))
    files = Files(None, [tmp_path])
    colours = ColourTable()
    flattener = Flattener(files, Expander(files), colours)
    for name, is_part in (("TRI.DAT", True), ("s/half.dat", False)):
        source = files.resolve(name, None, None)
        assert source is not None
        model = flattener.flatten_reference(source, name)
        assert [leaf.name for leaf in model.leaves] == [name.lower().replace("/", "\\")]
        assert model.leaves[0].is_part is is_part and model.colour.tolist() == [16]
        assert model.paths == [()] and np.array_equal(model.transform[0], np.eye(4))


def test_disk_files_are_the_files_read_outside_the_library(tmp_path: Path) -> None:
    """What `ldscene view` watches: the root, a part and an MPD beside it (once, however many
    of its blocks are read), resolved; a name that resolves nowhere adds nothing."""
    write(tmp_path, "tri.dat", TRIANGLE_PART)
    mpd = "0 FILE pair.ldr\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 b.ldr\n"
    write(tmp_path, "pair.mpd", mpd + "0 FILE b.ldr\n1 16 0 0 0 1 0 0 0 1 0 0 0 1 tri.dat\n")
    write(tmp_path, "unused.ldr", "1 4 0 0 0 1 0 0 0 1 0 0 0 1 tri.dat\n")
    root = write(
        tmp_path,
        "main.ldr",
        "1 4 0 0 0 1 0 0 0 1 0 0 0 1 tri.dat\n1 1 0 0 0 1 0 0 0 1 0 0 0 1 pair.mpd\n"
        "1 2 0 0 0 1 0 0 0 1 0 0 0 1 nowhere.dat\n",
    )
    files = Files(None)
    colours = ColourTable()
    default_main_colours(colours)
    Flattener(files, Expander(files), colours).flatten(files.open_root(root))
    expected = [(tmp_path / name).resolve() for name in ("main.ldr", "pair.mpd", "tri.dat")]
    assert files.disk_files() == tuple(sorted(expected))


def test_a_file_in_a_sub_folder_of_the_model_is_found(tmp_path):
    """`sub\\inner.ldr` (LDraw's separator, any case) is the model folder's `sub/inner.ldr`;
    `..` may not lead out of the folder."""
    from ldscene.ldraw import load_model

    (tmp_path / "m" / "Sub").mkdir(parents=True)
    write(tmp_path / "m" / "Sub", "Inner.ldr", "0 inner\n1 16 0 0 0 1 0 0 0 1 0 0 0 1 3004.dat\n")
    write(tmp_path, "outside.ldr", "0 outside\n1 16 0 0 0 1 0 0 0 1 0 0 0 1 3004.dat\n")
    model_file = write(
        tmp_path / "m",
        "up.ldr",
        "0 up\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 sub\\inner.ldr\n"
        "1 1 40 0 0 1 0 0 0 1 0 0 0 1 SUB/INNER.LDR\n"
        "1 2 80 0 0 1 0 0 0 1 0 0 0 1 ..\\outside.ldr\n"
        "1 14 120 0 0 1 0 0 0 1 0 0 0 1 sub\\..\\.\\sub\\inner.ldr\n",
    )
    model = load_model(model_file)
    assert sorted(model.colour.tolist()) == [1, 4, 14]  # `..` that stays inside is fine
    assert [m.name for m in model.missing] == ["..\\outside.ldr"]


def test_a_second_block_of_the_same_name_is_warned_about(tmp_path):
    from ldscene.ldraw import load_model

    model_file = write(
        tmp_path,
        "dup.mpd",
        "0 FILE main.ldr\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 sub.ldr\n"
        "0 FILE sub.ldr\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n"
        "0 FILE SUB.LDR\n1 1 0 0 0 1 0 0 0 1 0 0 0 1 3003.dat\n",
    )
    model = load_model(model_file)
    assert [leaf.name for leaf in model.leaves] == ["3001.dat"]  # the first block is used
    assert any(
        ":5: a second '0 FILE SUB.LDR' block is ignored: the one at line 3 is used" in w
        for w in model.warnings
    ), model.warnings
