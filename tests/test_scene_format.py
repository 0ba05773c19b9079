"""The scene format is declared once (`scene/format.py`): its generated files are current."""

import pytest

from ldscene.scene import format as fmt
from ldscene.scene import format_write
from ldscene.scene import spec as sp
from ldscene.scene.schema import scene_schema, schema_text

pytestmark = pytest.mark.unit


def test_the_shipped_schema_is_generated_from_the_format():
    assert schema_text() == format_write.schema_text(), "run python -m ldscene.scene.format_write"


def test_the_docs_key_tables_are_generated_from_the_format():
    text = format_write.DOCS_PATH.read_text("utf-8")
    assert text.count("<!-- end keys -->") == len(format_write.TABLES)
    assert format_write.docs_text(text) == text, "run python -m ldscene.scene.format_write"


def test_the_reader_checks_the_keys_the_schema_lists():
    defs = scene_schema()["$defs"]
    assert tuple(scene_schema()["properties"]) == sp.TOP_KEYS
    assert tuple(defs["placement"]["properties"]) == sp.PLACE_KEYS
    assert tuple(defs["scatter"]["properties"]) == sp.SCATTER_KEYS
    assert tuple(defs["minifig"]["properties"]) == sp.MINIFIG_KEYS


def test_aliases_share_their_keys_schema_and_doc():
    placement = scene_schema()["$defs"]["placement"]["properties"]
    assert placement["colour"] == placement["color"] and placement["position"] == placement["at"]


def test_a_key_table_lists_each_documented_key_with_its_other_spellings():
    table = format_write.key_table(fmt.PLACE)
    assert "| `at:` (or `position:`) | `[x, y, z]`" in table
    assert table.count("\n") == 2 + sum(1 for key in fmt.PLACE.keys if key.doc)
