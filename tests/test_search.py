"""`ldscene search`: parts by words, number and category, colours by name; the stored index."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import run_cli, write

from ldscene import search
from ldscene.errors import LdsceneError

LDCONFIG = """
0 LDraw.org Configuration File
0 !COLOUR Black CODE 0 VALUE #1B2A34 EDGE #808080
0 !COLOUR Red CODE 4 VALUE #B40000 EDGE #333333
0 !COLOUR Trans_Red CODE 36 VALUE #C91A09 EDGE #880000 ALPHA 128
0 !COLOUR Light_Bluish_Grey CODE 71 VALUE #A0A5A9 EDGE #333333
0 !COLOUR Dark_Bluish_Grey CODE 72 VALUE #6C6E68 EDGE #333333
0 !COLOUR Pearl_Gold CODE 297 VALUE #AA7F2E EDGE #333333 PEARLESCENT
0 !COLOUR Pearl_Yellow CODE 178 VALUE #AB673A EDGE #333333 PEARLESCENT
0 !COLOUR Rubber_Red CODE 324 VALUE #B40000 EDGE #333333 RUBBER
"""

PARTS = {
    "3039": "Slope Brick 45  2 x  2",
    "3039p01": "Slope Brick 45  2 x  2 with Headlights Pattern",
    "3043": "Slope Brick 45  2 x  2 Double",
    "3040": "Slope Brick 45  2 x  1",
    "4445": "Slope Brick 45  2 x  24",  # not a 2 x 2 slope
    "3001": "Brick  2 x  4",
    "3001p01": "Brick  2 x  4 with Number 1 Pattern",
    "3001old": "~Moved to 3001",
    "30018": "Belville Bathtub  6 x 12",  # another number that starts with 3001
    "3004": "Brick  1 x  2",
    "3245": "Brick  1 x  2 x  5",
    "98283": "Brick  1 x  2 with Embossed Bricks",
    "973": "Minifig Torso",
    "30162": "Minifig Binoculars Space",
    "3624": "=Minifig Hat Police",
    "3626b": "_Minifig Head Yellow",
    "3068b": "Tile  2 x  2 with Groove",
}
CATEGORIES = {"30162": "Minifig Accessory", "3624": "Minifig Headwear"}
KEYWORDS = {"30162": "spyglass, telescope"}


def part_text(number: str, title: str) -> str:
    lines = [f"0 {title}", f"0 Name: {number}.dat", "0 !LDRAW_ORG Part UPDATE 2020-01", ""]
    if number in CATEGORIES:
        lines.append(f"0 !CATEGORY {CATEGORIES[number]}")
    if number in KEYWORDS:
        lines.append(f"0 !KEYWORDS {KEYWORDS[number]}")
    lines.append("4 16 0 0 0 1 0 0 1 0 1 0 0 1")
    return "\n".join(lines)


@pytest.fixture
def small_library(tmp_path) -> Path:
    root = tmp_path / "ldraw"
    write(root, "LDConfig.ldr", LDCONFIG)
    for number, title in PARTS.items():
        write(root, f"parts/{number}.dat", part_text(number, title))
    write(root, "parts/s/3039s01.dat", "0 ~Slope subpart\n4 16 0 0 0 1 0 0 1 0 1 0 0 1\n")
    return root


def numbers(hits) -> list[str]:
    return [h.part.number for h in hits]


def test_words_make_sizes_one_word():
    assert search.words("Brick  2 x  4") == ["brick", "2x4"]
    assert search.words("slope 2X2") == search.words("Slope 2 x 2") == ["slope", "2x2"]
    assert search.words("Plate  1 x  2 x  2/3") == ["plate", "1x2x2/3"]
    assert search.words("bluish gray 3001.dat") == ["bluish", "grey", "3001"]


def test_parts_by_words_plain_part_first(small_library):
    index = search.load_index(small_library)
    assert len(index.parts) == len(PARTS)  # parts/s/ is not searched
    hits = search.find_parts(index.parts, "slope 2 x 2")
    assert numbers(hits) == ["3039", "3043", "3039p01"]  # never "2 x 24" or "2 x 1"
    assert numbers(search.find_parts(index.parts, "slope 2x2")) == numbers(hits)
    assert numbers(search.find_parts(index.parts, "slop 2x2"))[0] == "3039"  # a word's start
    # a size finds longer sizes only where the next dimension starts
    assert numbers(search.find_parts(index.parts, "brick 1 x 2")) == ["3004", "98283", "3245"]
    assert numbers(search.find_parts(index.parts, "bricks 1x2"))[0] == "3004"  # plural


def test_parts_by_number_first_then_prefix(small_library):
    index = search.load_index(small_library)
    hits = search.find_parts(index.parts, "3001")
    # the part, its variants ("~" files after the others), then longer numbers
    assert numbers(hits) == ["3001", "3001p01", "3001old", "30018"]
    assert [h.number_match for h in hits] == [3, 2, 2, 1]
    assert numbers(search.find_parts(index.parts, "3001.dat"))[0] == "3001"
    # "~Moved to" stubs only for someone who typed their number
    assert "3001old" not in numbers(search.find_parts(index.parts, "moved"))
    assert numbers(search.find_parts(index.parts, "3001old")) == ["3001old"]


def test_kinds_rank_after_plain_parts_and_keywords_count(small_library):
    index = search.load_index(small_library)
    hits = search.find_parts(index.parts, "minifig")
    assert numbers(hits)[:2] == ["973", "30162"]
    assert {h.part.kind for h in hits[2:]} == {"alias", "physical colour"}
    assert numbers(search.find_parts(index.parts, "telescope")) == ["30162"]
    assert numbers(search.find_parts(index.parts, "minifigure torso")) == ["973"]


def test_category_filter_and_unknown_category(small_library):
    index = search.load_index(small_library)
    every = numbers(search.find_parts(index.parts, "", "minifig"))
    assert set(every) == {"973", "30162", "3624", "3626b"}  # Minifig Accessory, Headwear too
    assert numbers(search.find_parts(index.parts, "", "Minifig Accessory")) == ["30162"]
    assert numbers(search.find_parts(index.parts, "space", "minifig")) == ["30162"]
    assert search.categories(index.parts)["Slope"] == 5
    with pytest.raises(LdsceneError) as err:
        search.check_category(index.parts, "minfig")
    assert "unknown part category 'minfig'" in str(err.value)
    assert "Minifig" in str(err.value.hint)


def test_categories_with_words_lists_the_categories_that_hold_them():
    result = run_cli("search", "--categories", "minifig", "--json")
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found and all("minifig" in name.lower() for name in found)
    assert len(json.loads(run_cli("search", "--categories", "--json").stdout)) > len(found)
    result = run_cli("search", "--categories", "zzzq")
    assert result.returncode == 1 and "no part category holds 'zzzq'" in result.stderr


def test_colours_by_name_code_and_shop_name(small_library):
    colours = search.load_index(small_library).colours

    def names(query):
        return [h.colour.name for h in search.find_colours(colours, query)]

    assert names("bluish grey") == ["Light_Bluish_Grey", "Dark_Bluish_Grey"]
    assert names("Bluish Gray") == names("bluish grey")  # BrickLink's spelling
    assert names("71") == ["Light_Bluish_Grey"]
    assert names("red")[0] == "Red"
    assert names("pearl gold") == ["Pearl_Gold"]  # not Pearl_Yellow (BrickLink: Flat Dark Gold)
    gold = search.find_colours(colours, "pearl gold")[0].colour
    assert (gold.rgb, gold.finish, gold.bricklink) == ("#AA7F2E", "pearlescent", "Pearl Gold")
    assert search.find_colours(colours, "trans red")[0].colour.finish == "transparent"
    assert names("xyzzy") == []


def test_index_is_stored_and_follows_the_library(small_library):
    first = search.load_index(small_library)
    assert not first.from_cache
    again = search.load_index(small_library)
    assert again.from_cache and again.parts == first.parts and again.colours == first.colours
    # A new part changes the parts folder: the index is read again and finds it.
    write(small_library, "parts/99999.dat", part_text("99999", "Slope Brick 45  2 x  2 Curved"))
    updated = search.load_index(small_library)
    assert not updated.from_cache
    assert "99999" in numbers(search.find_parts(updated.parts, "slope 2 x 2"))
    assert search.load_index(small_library).from_cache
    assert not search.load_index(small_library, rebuild=True).from_cache
    # A torn or foreign file is rebuilt, never an error.
    search.index_path(small_library).write_text("{not json")
    assert not search.load_index(small_library).from_cache
    assert search.load_index(small_library).from_cache


def test_zip_library(small_library, tmp_path):
    archive = tmp_path / "complete.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in small_library.rglob("*"):
            if path.is_file():
                zf.write(path, "ldraw/" + path.relative_to(small_library).as_posix())
    index = search.load_index(archive)
    assert numbers(search.find_parts(index.parts, "slope 2 x 2"))[0] == "3039"
    assert search.load_index(archive).from_cache


# -- the command, on the real library -------------------------------------------------------


def ldscene(*args: str) -> subprocess.CompletedProcess:
    return run_cli("search", *args, env={"COLUMNS": "120"})


def test_command_parts_colours_and_json():
    done = ldscene("slope", "2", "x", "2", "--json", "--limit", "5")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["parts"][0]["part"] == "3039"
    assert data["parts"][0]["description"] == "Slope Brick 45 2 x 2"
    assert len(data["parts"]) == 5 and data["parts_total"] > 5 and data["colours"] == []
    done = ldscene("--colours", "bluish grey")
    assert done.returncode == 0, done.stderr
    assert "Light_Bluish_Grey" in done.stdout and "Dark_Bluish_Grey" in done.stdout
    assert "color: Light_Bluish_Grey" in done.stdout  # how to write it in a scene
    done = ldscene("--category", "Minifig", "torso", "--limit", "3")
    assert done.returncode == 0, done.stderr
    assert "973 " in done.stdout and "Minifig Torso" in done.stdout
    assert "--limit N for more" in done.stdout


def test_command_empty_result_and_bad_input():
    done = ldscene("xyzzy", "plugh")
    assert done.returncode == 0, done.stderr
    assert "no parts or colours match 'xyzzy plugh'" in done.stdout
    done = ldscene("xyzzy", "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["parts"] == []
    assert "no parts or colours match" in done.stderr
    for args, words in (
        (("--category", "minfig"), "did you mean 'Minifig'"),
        (("!!!",), "nothing to search for"),
        (("--colours", "--category", "Brick"), "do not go together"),
    ):
        done = ldscene(*args)
        assert done.returncode == 1, (args, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:") and words in lines[0], lines
    for args in ((), ("brick", "--limit", "0")):
        done = ldscene(*args)
        assert done.returncode == 2 and "Usage:" in done.stderr and "Traceback" not in done.stderr
