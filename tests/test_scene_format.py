"""The scene format is declared once (`scene/format.py`): its generated files are current;
and libyaml reads scene files exactly as PyYAML does."""

from pathlib import Path

import pytest

from ldscene.scene import format as fmt
from ldscene.scene import format_write
from ldscene.scene import spec as sp
from ldscene.scene.schema import scene_schema, schema_text

SCENES = Path(__file__).resolve().parent.parent / "scenes"

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


def _with_marks(value):
    """A parsed value with every mark and raw text it carries, for comparing two readings."""
    from ldscene.scene.yamlload import YList, YMap

    if isinstance(value, YMap):
        return (
            "map",
            value.mark,
            [
                (k, value.key_marks[k], value.value_marks[k], value.raw[k], _with_marks(v))
                for k, v in value.items()
            ],
        )
    if isinstance(value, YList):
        return ("list", value.mark, value.item_marks, value.raw, [_with_marks(v) for v in value])
    return (type(value).__name__, value)


@pytest.mark.parametrize(
    "text",
    [
        *(path.read_text(encoding="utf-8") for path in sorted(SCENES.glob("*.yaml"))),
        "a: ä\nb: {ü: [1, 2.5, 'x', null, true, 0x1F], c: ñ}  # ö\nd: &x [1, 2]\ne: *x\n"
        "f: {<<: {g: 1, h: 3}, h: 2}\nk: 'é' \nl: [é, 'àà', \"ü\\t\", ü, 2026-12-07, ~]\n",
    ],
)
def test_libyaml_reads_the_same_values_and_marks_as_pyyaml(text):
    import yaml

    from ldscene.scene import yamlload

    assert yaml.__with_libyaml__  # PyYAML's wheels bundle libyaml
    fast = yamlload._FastLoader(text, "scene.yaml")
    slow = yamlload._Loader(text, "scene.yaml")
    read = [
        _with_marks(yamlload._build(loader, loader.get_single_node(), "scene.yaml"))
        for loader in (fast, slow)
    ]
    assert read[0] == read[1]
