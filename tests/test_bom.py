"""Bill of materials: counts, shop formats and the colour tables behind them."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from ldscene import bom
from ldscene.cli import cli
from ldscene.ldraw import find_library, load_model
from ldscene.ldraw.colours import ColourTable

OMR = Path(__file__).resolve().parent.parent.parent / "shared" / "models" / "omr"
BUGGY = OMR / "1180-1 - Space Port Moon Buggy.mpd"  # 29 parts incl. a minifig sub-model
TUNNELATOR = OMR / "6814-1 - Ice Tunnelator.mpd"

#: LDConfig colours without a verified BrickLink colour (see ldscene.bom).
UNMAPPED_BRICKLINK = {
    16,
    24,
    32,
    147,
    176,
    200,
    234,
    293,
    295,
    367,
    493,
    494,
    495,
    507,
    508,
    10045,
    10046,
    10047,
    10049,
    10351,
    10366,
}


@pytest.fixture(scope="module")
def library():
    return find_library()


@pytest.fixture(scope="module", params=[BUGGY, TUNNELATOR], ids=["buggy", "tunnelator"])
def model(request, library):
    return load_model(request.param, library=library)


@pytest.fixture(scope="module")
def ldconfig(library) -> ColourTable:
    table = ColourTable()
    for line in library.read("ldconfig.ldr").decode("utf-8").splitlines():
        if "!COLOUR" in line:
            table.add_meta(line.strip()[2:])
    return table


def test_totals_equal_part_count(model):
    lines = bom.bill_of_materials(model)
    assert bom.total(lines) == int(model.part_mask().sum())
    assert len({(b.part, b.colour) for b in lines}) == len(lines)  # one line per part+colour


def test_only_real_parts_and_minifig_pieces(library):
    lines = bom.bill_of_materials(load_model(BUGGY, library=library))
    parts = {b.part: b for b in lines}
    assert not any(p.startswith("s\\") or p.endswith(".ldr") for p in parts)
    # the minifig counts its pieces: torso, arms, two hands, hips+legs, head
    assert {"973p8e", "3818", "3819", "3820", "3815c02", "3626bp69"} <= set(parts)
    assert parts["3820"].quantity == 2
    assert parts["3795"].description == "Plate 2 x 6"  # titles, whitespace tidied


def test_csv_format(model):
    lines = bom.bill_of_materials(model)
    rows = list(csv.DictReader(io.StringIO(bom.to_csv(lines))))
    assert list(rows[0]) == ["part", "description", "colour_code", "colour_name", "quantity"]
    assert sum(int(r["quantity"]) for r in rows) == int(model.part_mask().sum())


def test_bricklink_xml_is_well_formed(model):
    lines = bom.bill_of_materials(model)
    shop = bom.to_bricklink(lines)
    text, unmapped = shop.text, shop.unmapped
    root = ET.fromstring(text)
    assert root.tag == "INVENTORY"
    items = root.findall("ITEM")
    assert items and all(i.findtext("ITEMTYPE") == "P" for i in items)
    assert sum(int(i.findtext("MINQTY")) for i in items) == int(model.part_mask().sum())
    assert not unmapped
    colours = {(i.findtext("ITEMID"), i.findtext("COLOR")) for i in items}
    assert len(colours) == len(items)  # same item and colour merged


def test_bricklink_red_is_5(library):
    lines = [
        bom.BomLine("3001", "Brick 2 x 4", 4, "Red", 3),
        bom.BomLine("3001", "Brick 2 x 4", 32, "Trans Black IR Lens", 1),
    ]
    shop = bom.to_bricklink(lines)
    text, unmapped = shop.text, shop.unmapped
    items = ET.fromstring(text).findall("ITEM")
    assert (
        items[0].findtext("ITEMID"),
        items[0].findtext("COLOR"),
        items[0].findtext("MINQTY"),
    ) == ("3001", "5", "3")
    assert items[1].find("COLOR") is None  # no BrickLink colour: any colour, and reported
    assert unmapped == [(32, "Trans Black IR Lens")]


def test_bricklink_colour_table_examples():
    table = bom.bricklink_colours()
    expected = {
        4: 5,
        1: 7,
        0: 11,
        15: 1,
        71: 86,
        72: 85,
        14: 3,
        2: 6,
        19: 2,
        70: 88,
        28: 69,
        288: 80,
        47: 12,
    }
    assert {code: table[code][0] for code in expected} == expected
    assert table[4][1] == "Red" and table[71][1] == "Light Bluish Gray"


def test_bricklink_table_covers_ldconfig(ldconfig):
    table = bom.bricklink_colours()
    assert set(table) <= set(ldconfig.colours)  # nothing invented
    assert set(ldconfig.colours) - set(table) == UNMAPPED_BRICKLINK
    assert all(bl_id > 0 and name for bl_id, name in table.values())


def test_rebrickable_ids_and_exceptions(ldconfig):
    table = bom.rebrickable_colours()
    assert set(table) <= set(ldconfig.colours)
    assert table[4][0] == 4 and table[71][0] == 71  # the usual case: same number
    assert table[43][0] == 41 and table[41][0] == 143  # transparent blues swap around
    lines = [
        bom.BomLine("3001", "Brick 2 x 4", 43, "Trans Light Blue", 2),
        bom.BomLine("3001", "Brick 2 x 4", 16, "Main Colour", 1),
    ]
    shop = bom.to_rebrickable(lines)
    text, unmapped = shop.text, shop.unmapped
    assert text.splitlines() == [
        "Part,Color,Quantity",
        "3001,41,2",
        f"3001,{bom.REBRICKABLE_ANY_COLOUR},1",
    ]
    assert unmapped == [(16, "Main Colour")]


@pytest.mark.parametrize(
    "ldraw, bricklink",
    [
        ("3001", "3001"),
        ("973p8e", "973"),
        ("3626bp69", "3626b"),
        ("3829c01", "3829c01"),
        ("3001d01", "3001"),
        ("2412b", "2412b"),
        ("30027a", "30027a"),
        ("6285 - 2528p31", "2528"),
        ("10252 - 6153754c", "6153754c"),
    ],
)
def test_bricklink_part_ids(ldraw, bricklink):
    assert bom.bricklink_part_id(ldraw) == bricklink


def test_cli_parts_formats(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["parts", str(BUGGY), "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert sum(int(r["quantity"]) for r in rows) == 29
    out = tmp_path / "wanted.xml"
    result = runner.invoke(cli, ["parts", str(BUGGY), "--format", "bricklink", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert ET.parse(out).getroot().tag == "INVENTORY"
    result = runner.invoke(cli, ["parts", str(BUGGY)])
    assert result.exit_code == 0 and "Total" in result.output and "29" in result.output
    # -o FILE.xml without --format is the BrickLink list; any other file is CSV.
    by_name = tmp_path / "by-name.xml"
    result = runner.invoke(cli, ["parts", str(BUGGY), "-o", str(by_name)])
    assert result.exit_code == 0 and ET.parse(by_name).getroot().tag == "INVENTORY"
    assert "(29 parts in " in result.output and " lots)" in result.output
    by_name = tmp_path / "by-name.csv"
    result = runner.invoke(cli, ["parts", str(BUGGY), "-o", str(by_name)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(by_name.read_text())))
    assert sum(int(r["quantity"]) for r in rows) == 29  # CSV, not the box-drawn table


def test_parts_files_say_what_they_hold(tmp_path):
    """A table asked for in a file is the table; the lots reported are the rows written; a
    printed part reduced to its plain BrickLink item is named in a warning."""
    path = tmp_path / "prints.ldr"
    path.write_text(
        "0 prints\n"
        "1 14 0 0 0 1 0 0 0 1 0 0 0 1 973p31.dat\n"
        "1 14 0 0 40 1 0 0 0 1 0 0 0 1 973p32.dat\n"
        "1 14 0 0 80 1 0 0 0 1 0 0 0 1 973.dat\n"
        "1 4 0 0 120 1 0 0 0 1 0 0 0 1 3001.dat\n"
    )
    runner = CliRunner()
    table = tmp_path / "table.txt"
    result = runner.invoke(cli, ["parts", str(path), "--format", "table", "-o", str(table)])
    assert result.exit_code == 0, result.output
    text = table.read_text()
    assert "Total" in text and "973p31" in text and "\x1b[" not in text  # a plain-text table
    assert "(4 parts in 4 lots)" in result.output
    wanted = tmp_path / "wanted.xml"
    result = runner.invoke(cli, ["parts", str(path), "--format", "bricklink", "-o", str(wanted)])
    assert result.exit_code == 0, result.output
    items = ET.parse(wanted).getroot().findall("ITEM")
    assert len(items) == 2  # 973 (three torsos, Yellow) and 3001 (Red)
    assert "(4 parts in 2 lots)" in result.output
    assert "2 printed or stickered parts as their plain part" in result.output
    assert "973p31, 973p32" in result.output


def test_parts_table_names_what_the_library_lacks(tmp_path):
    path = tmp_path / "gap.ldr"
    path.write_text(
        "0 gap\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n"
        "1 4 40 0 0 1 0 0 0 1 0 0 0 1 99999zz.dat\n1 4 80 0 0 1 0 0 0 1 0 0 0 1 99999zz.dat\n"
    )
    result = CliRunner().invoke(cli, ["parts", str(path)])
    assert result.exit_code == 0, result.output
    assert "not counted, not in the library: 99999zz.dat" in " ".join(result.output.split())
    assert "1 lot " in result.output


# BrickLink's wanted-list upload format: <INVENTORY> of <ITEM>s whose children come from this
# set (https://www.bricklink.com/help.asp?helpID=207); ITEMTYPE and ITEMID are required.
BRICKLINK_ITEM_CHILDREN = {
    "ITEMTYPE": r"[PSMBGCIO]",
    "ITEMID": r"[A-Za-z0-9\-._]+",
    "COLOR": r"\d+",
    "MAXPRICE": r"-?\d+(\.\d+)?",
    "MINQTY": r"[1-9]\d*",
    "QTYFILLED": r"\d+",
    "CONDITION": r"[NUX]",
    "REMARKS": r".*",
    "NOTIFY": r"[YN]",
    "WANTEDSHOW": r"[YN]",
    "WANTEDLISTID": r"\d+",
}


def test_bricklink_xml_follows_the_wanted_list_schema(library):
    import re

    from conftest import OMR

    from ldscene.ldraw import load_model

    model = load_model(OMR / "6080 - Kings Castle.mpd", library=library)
    text = bom.to_bricklink(bom.bill_of_materials(model)).text
    root = ET.fromstring(text)
    assert root.tag == "INVENTORY" and not root.attrib and len(root)
    for item in root:
        assert item.tag == "ITEM"
        tags = [child.tag for child in item]
        assert len(tags) == len(set(tags)), tags  # each child at most once
        assert {"ITEMTYPE", "ITEMID"} <= set(tags)
        for child in item:
            assert child.tag in BRICKLINK_ITEM_CHILDREN, child.tag
            assert len(child) == 0
            assert re.fullmatch(BRICKLINK_ITEM_CHILDREN[child.tag], child.text or ""), (
                child.tag,
                child.text,
            )


def test_a_renumbered_part_is_listed_under_its_number_today(tmp_path):
    """6029a.dat is LDraw's stub "~Moved to 87695": it counts as 87695 with that part's title.
    A stub that also moves or turns the part (109.dat: 2910 shifted 30 LDU; 32531.dat:
    32531a turned) keeps its own name, as an export must place the file it names, but the
    parts list gives the part it moved to (it listed "109 ~Moved to 2910" and 32531 beside
    32531a as another design)."""
    path = tmp_path / "moved.ldr"
    path.write_text(
        "0 moved\n1 15 0 0 0 1 0 0 0 1 0 0 0 1 6029a.dat\n"
        "1 15 40 0 0 1 0 0 0 1 0 0 0 1 87695.dat\n1 4 80 0 0 1 0 0 0 1 0 0 0 1 109.dat\n"
        "1 7 0 -100 0 1 0 0 0 1 0 0 0 1 32531.dat\n"
        "1 7 0 -200 0 0 0 -1 0 1 0 1 0 0 32531a.dat\n"
    )
    model = load_model(path)
    lines = {line.part: line for line in bom.bill_of_materials(model)}
    assert sorted(lines) == ["2910", "32531a", "87695"]
    assert lines["87695"].quantity == 2 and not lines["87695"].description.startswith("~")
    assert lines["2910"].description.startswith("Technic Shock Absorber")
    assert lines["32531a"].quantity == 2 and lines["32531a"].description.startswith("Technic")
    assert {"109.dat", "32531.dat"} <= {leaf.name for leaf in model.leaves}  # for exports


def test_a_colour_the_model_defines_is_listed_under_its_own_code_and_no_shop_colour(tmp_path):
    """A file that redefines code 4 for its later lines: two lots of 3001, both code 4 as
    written (not the loader's private number), and only LDConfig's Red gets BrickLink's 5."""
    model_file = tmp_path / "ov.ldr"
    model_file.write_text(
        "0 t\n1 4 0 24 0 1 0 0 0 1 0 0 0 1 3001.dat\n"
        "0 !COLOUR NotRed CODE 4 VALUE #0000FF EDGE #000000\n"
        "1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n"
    )
    lines = bom.bill_of_materials(load_model(model_file))
    assert [(b.part, b.colour, b.colour_name, b.quantity) for b in lines] == [
        ("3001", 4, "Red", 1),
        ("3001", 4, "NotRed", 1),
    ]
    shop = bom.to_bricklink(lines)
    colours = [item.findtext("COLOR") for item in ET.fromstring(shop.text)]
    assert sorted(colours, key=str) == sorted(["5", None], key=str)
    assert shop.unmapped == [(4, "NotRed")]


def test_segments_of_a_bent_hose_are_not_counted_as_parts(tmp_path):
    """WALL-E's hoses are 100 placed 755/756 segments, Cafe Corner's 344 LSynth pieces: the
    parts list counted each as a part.  They are drawn, left out of the counts, and named."""
    path = tmp_path / "hose.ldr"
    segments = "".join(f"1 0 0 {-4 * i} 0 1 0 0 0 1 0 0 0 1 756.dat\n" for i in range(20))
    path.write_text(
        "0 hose\n1 4 0 24 0 1 0 0 0 1 0 0 0 1 3001.dat\n"
        f"1 0 0 4 0 1 0 0 0 1 0 0 0 1 755.dat\n{segments}"
    )
    model = load_model(path)
    assert model.n_instances == 22 and int(model.part_mask().sum()) == 1
    assert [(b.part, b.quantity) for b in bom.bill_of_materials(model)] == [("3001", 1)]
    note = bom.segments_note(model)
    assert "21 segments of bent hoses or cables (755 x1, 756 x20)" in note
    result = CliRunner().invoke(cli, ["parts", str(path), "--format", "csv"])
    assert result.exit_code == 0 and "not counted: 21 segments" in result.stderr
    obsolete = tmp_path / "legs.ldr"  # "~Minifig Hips (Obsolete)" is a real piece: counted
    obsolete.write_text("0 legs\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 3815.dat\n")
    assert int(load_model(obsolete).part_mask().sum()) == 1


def test_shop_lists_warn_of_parts_that_are_not_library_parts(tmp_path):
    """A model's own part went into the BrickLink and Rebrickable lists without a word,
    under an id the shop may not have."""
    path = tmp_path / "own.mpd"
    path.write_text(
        "0 FILE main.ldr\n0 main\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n"
        "1 4 0 -24 0 1 0 0 0 1 0 0 0 1 myblock.dat\n"
        "0 FILE myblock.dat\n0 My Block\n0 !LDRAW_ORG Unofficial_Part\n3 16 0 0 0 10 0 0 0 0 10\n"
    )
    for fmt, shop in (("bricklink", "BrickLink"), ("rebrickable", "Rebrickable")):
        result = CliRunner().invoke(cli, ["parts", str(path), "--format", fmt])
        assert result.exit_code == 0, result.output
        assert f"1 part of the list is not an LDraw library part (myblock): {shop}" in " ".join(
            result.stderr.split()
        )
    plain = CliRunner().invoke(cli, ["parts", "3001", "--format", "bricklink"])
    assert "not LDraw library parts" not in plain.stderr


def test_a_direct_colour_gets_the_nearest_colour_the_shop_sells(tmp_path):
    """A part in #2F6F3F had no shop colour and no hint; the warning now names the nearest
    solid LDraw colour the shop sells (by CIELAB: plain RGB distance picked Dark_Grey)."""
    model_file = tmp_path / "hex.ldr"
    model_file.write_text("0 t\n1 0x22F6F3F 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n")
    for fmt, shop in (("bricklink", "BrickLink"), ("rebrickable", "Rebrickable")):
        result = CliRunner().invoke(cli, ["parts", str(model_file), "--format", fmt])
        assert result.exit_code == 0, result.output
        assert (
            f"warning: no {shop} colour for LDraw colour(s) #2F6F3F (nearest: Dark_Green 288)"
            in result.output
        )


def test_descriptions_drop_ldraw_title_marks_and_stickered_parts_reduce(tmp_path):
    """'=Dish 4 x 4 Inverted' (an alias's mark) reached the CSV, where a spreadsheet reads a
    cell starting with '=' as a formula; a stickered 2431dm3 went to BrickLink as '2431dm3'
    (only d + digits was known as a sticker) without a word."""
    path = tmp_path / "m.ldr"
    path.write_text(
        "0 m\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 30065.dat\n1 4 0 -50 0 1 0 0 0 1 0 0 0 1 2431dm3.dat\n"
    )
    lines = bom.bill_of_materials(load_model(path))
    assert {b.part: b.description for b in lines}["30065"] == "Dish 4 x 4 Inverted"
    rows = list(csv.reader(io.StringIO(bom.to_csv(lines))))[1:]
    assert len(rows) == 2 and not any(row[1].startswith(("=", "~")) for row in rows)
    shop = bom.to_bricklink(lines)
    items = [item.findtext("ITEMID") for item in ET.fromstring(shop.text)]
    assert sorted(items) == ["2431", "30065"] and shop.reduced == ["2431dm3"]


def test_colours_without_a_shop_colour_stay_apart_and_a_kept_name_keeps_its_colour(tmp_path):
    """A model that restates LDConfig's Red and Blue with an older value got one BrickLink
    lot of '2 x 3001, any colour'; direct colours merged into one lot the same way."""
    path = tmp_path / "m.ldr"
    path.write_text(
        "0 !COLOUR Red CODE 4 VALUE #C91A09 EDGE #333333\n"
        "0 !COLOUR Blue CODE 1 VALUE #0055BF EDGE #333333\n"
        "1 4 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n1 1 0 -24 0 1 0 0 0 1 0 0 0 1 3001.dat\n"
        "1 0x27F7F7F 0 -48 0 1 0 0 0 1 0 0 0 1 3001.dat\n"
        "1 0x2FF0000 0 -72 0 1 0 0 0 1 0 0 0 1 3001.dat\n"
        "1 0x2FF0000 0 -96 0 1 0 0 0 1 0 0 0 1 3001.dat\n"
    )
    lines = bom.bill_of_materials(load_model(path))
    shop = bom.to_bricklink(lines)
    lots = sorted(
        (item.findtext("COLOR") or "-", item.findtext("MINQTY"))
        for item in ET.fromstring(shop.text)
    )
    assert lots == [("-", "1"), ("-", "2"), ("5", "1"), ("7", "1")], lots  # Red 5, Blue 7
    assert shop.lots == 4 and len(shop.unmapped) == 2
    rows = list(csv.reader(io.StringIO(bom.to_rebrickable(lines).text)))[1:]
    assert sorted(rows) == [["3001", "1", "1"], ["3001", "4", "1"], ["3001", "9999", "1"],
                            ["3001", "9999", "2"]]  # fmt: skip


def test_the_rebrickable_warning_says_what_the_list_holds():
    """It said 'listed without a colour' while the file held Rebrickable's 9999."""
    from ldscene.ldraw.colours import ColourTable

    lines = [bom.BomLine("3001", "Brick 2 x 4", 16, "Main Colour", 1)]
    shop = bom.to_rebrickable(lines)
    assert "3001,9999,1" in shop.text
    (warning,) = bom.shop_warnings(shop, ColourTable())
    assert "listed in Rebrickable's 'any colour' (9999)" in warning, warning


def test_an_mpds_own_copy_of_a_library_part_is_listed_as_that_part(tmp_path):
    """The OMR names the parts an MPD carries "<set> - <part>.dat": the Black Seas Barracuda
    carries a copy of 2532, which the parts list gave as "6285 - 2532" described "2532", and
    Rebrickable's list warned of it as a part no shop knows. A copy of a library part is now
    listed as that part, with its title, and merges with the library's own; a part the library
    lacks stays the model's own."""
    model = tmp_path / "set.mpd"
    model.write_text(
        "0 FILE main.ldr\n0 Main\n"
        "1 4 0 0 0 1 0 0 0 1 0 0 0 1 1234 - 3001.dat\n"
        "1 4 0 0 60 1 0 0 0 1 0 0 0 1 3001.dat\n"
        "1 1 0 0 120 1 0 0 0 1 0 0 0 1 1234 - 99x9.dat\n"
        "0 FILE 1234 - 3001.dat\n0 3001\n0 !LDRAW_ORG Unofficial_Part\n3 16 0 0 0 1 0 0 0 0 1\n"
        "0 FILE 1234 - 99x9.dat\n0 Odd Thing\n0 !LDRAW_ORG Unofficial_Part\n"
        "3 16 0 0 0 1 0 0 0 0 1\n"
    )
    lines = {line.part: line for line in bom.bill_of_materials(load_model(model))}
    assert set(lines) == {"3001", "1234 - 99x9"}, lines
    assert lines["3001"].quantity == 2 and lines["3001"].description == "Brick 2 x 4"
    assert not lines["3001"].own_part and lines["1234 - 99x9"].own_part


def test_a_list_whose_suffix_says_another_format_gets_a_note(tmp_path):
    """--format rebrickable -o list.xml wrote CSV into an .xml without a word (an .xml with
    no --format is BrickLink's XML)."""
    out = tmp_path / "list.xml"
    result = CliRunner().invoke(cli, ["parts", "3001", "--format", "rebrickable", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "note: list.xml holds a rebrickable list" in result.output
    assert out.read_text().startswith("Part,Color,Quantity")
    same = CliRunner().invoke(cli, ["parts", "3001", "--format", "bricklink", "-o", str(out)])
    assert "note:" not in same.output


def test_an_mpds_own_moved_to_stub_is_listed_as_the_part_it_moved_to(tmp_path):
    """The rule for OMR-named copies took every part of an MPD past the "~Moved to" rule: an
    MPD's own stub was listed as "old", "Moved to 3001"."""
    model = tmp_path / "mv.mpd"
    model.write_text(
        "0 FILE main.ldr\n0 Main\n1 4 0 0 0 1 0 0 0 1 0 0 0 1 old.dat\n"
        "0 FILE old.dat\n0 ~Moved to 3001\n0 !LDRAW_ORG Unofficial_Part\n"
        "1 16 0 0 0 1 0 0 0 1 0 0 0 1 3001.dat\n"
    )
    (line,) = bom.bill_of_materials(load_model(model))
    assert (line.part, line.description, line.quantity) == ("3001", "Brick 2 x 4", 1)
