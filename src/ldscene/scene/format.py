"""The scene format, declared once: each section's keys, value types, ranges, allowed values
and one-line docs.

The reader's key checks (and their did-you-mean hints) read the key names from here
(`spec.*_KEYS`); the JSON Schema (data/scene.schema.json) and the key tables in
docs/scene-format.md are generated from here by `python -m ldscene.scene.format`, and a test
checks both files are current.  Value types are JSON Schema fragments: the schema is the
contract editors see, so the declarations use its vocabulary directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ldscene.imaging import MAX_FOV, MAX_SIDE, MIN_FOV
from ldscene.scene.units import LENGTH_PATTERN, UNITS

Schema = dict[str, Any]

#: The stances a minifig may take, and the points an accessory may attach to.
STANCES = ("stand", "sit", "kneel", "lie_front", "lie_back", "lie_side")
ATTACH_POINTS = ("torso", "head", "hips")
#: The pieces a minifig is made of (each may name its part and colour).
MINIFIG_PIECES = (
    "hat",
    "hair",
    "head",
    "torso",
    "arms",
    "left_arm",
    "right_arm",
    "hands",
    "left_hand",
    "right_hand",
    "hips",
    "legs",
    "left_leg",
    "right_leg",
)
#: The joints a pose may turn (degrees).
JOINTS = ("head", "left_arm", "right_arm", "left_hand", "right_hand", "left_leg", "right_leg")


def ref(name: str) -> Schema:
    return {"$ref": f"#/$defs/{name}"}


def number(low: float | None = None, high: float | None = None) -> Schema:
    out: Schema = {"type": "number"}
    if low is not None:
        out["minimum"] = low
    if high is not None:
        out["maximum"] = high
    return out


def array(items: Schema, low: int | None = None, high: int | None = None) -> Schema:
    out: Schema = {"type": "array", "items": items}
    if low is not None:
        out["minItems"] = low
    if high is not None:
        out["maxItems"] = high
    return out


def named(name: str) -> Schema:
    """A mapping of entry names to `name` definitions."""
    return {"type": "object", "additionalProperties": ref(name)}


def one_of(*choices: Schema) -> Schema:
    return {"oneOf": list(choices)}


TEXT: Schema = {"type": "string"}
BOOLEAN: Schema = {"type": "boolean"}
COUNT: Schema = {"type": "integer", "minimum": 0}
WEIGHT: Schema = {"type": "number", "minimum": 0}
ANGLES: Schema = array({"type": "number"}, 3, 3)
POINT_OR_NAME: Schema = one_of(ref("vec3"), TEXT)
NAMES: Schema = one_of(TEXT, array(TEXT, 1))


@dataclass(frozen=True)
class Key:
    """One key of a mapping: its value's schema, its one-line doc, and other spellings."""

    name: str
    schema: Schema
    doc: str = ""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Section:
    """One kind of mapping: its keys in order, and which must (or may only one) be present."""

    keys: tuple[Key, ...]
    required: tuple[str, ...] = ()
    exactly_one: tuple[str, ...] = ()
    extra: Schema | None = None  # further schema constraints (dependentRequired, ...)

    @property
    def names(self) -> tuple[str, ...]:
        """Every accepted key, each spelling, in declaration order."""
        return tuple(name for key in self.keys for name in (key.name, *key.aliases))

    def schema(self) -> Schema:
        properties: Schema = {}
        for key in self.keys:
            value = {**key.schema, **({"description": key.doc} if key.doc else {})}
            for name in (key.name, *key.aliases):
                properties[name] = value
        out: Schema = {"type": "object", "additionalProperties": False, "properties": properties}
        if self.required:
            out["required"] = list(self.required)
        if self.exactly_one:
            out["oneOf"] = [{"required": [name]} for name in self.exactly_one]
        return {**out, **(self.extra or {})}


def _colour(doc: str = "") -> Key:
    return Key("color", ref("colour"), doc, ("colour",))


def _rotate() -> Key:
    return Key("rotate", ANGLES, "degrees about the scene x, then y, then z axis")


SCENE = Section((Key("title", TEXT), Key("description", TEXT)))
RENDER = Section(
    (
        Key(
            "size",
            one_of(
                array({"type": "integer", "minimum": 1, "maximum": MAX_SIDE}, 2, 2),
                {"type": "string", "pattern": r"^\s*[0-9]+\s*[xX]\s*[0-9]+\s*$"},
            ),
        ),
        Key("background", one_of(TEXT, {"type": "integer"}, array(number(0, 1), 3, 3))),
        Key("edges", BOOLEAN),
    )
)
TOP = Section(
    (
        Key("scene", SCENE.schema(), "`title:`, `description:` (text)"),
        Key(
            "units",
            {"type": "string", "enum": list(UNITS), "default": "ldu"},
            "unit of plain numbers in lengths; default `ldu`",
        ),
        Key(
            "parts_path",
            one_of(TEXT, array(TEXT)),
            "a folder or list of folders with extra parts, relative to the scene file. Default: "
            "`parts/` beside the scene file and `parts/` in its parent folder, when present. "
            "Each folder may have `parts/`, `p/` and `s/` sub-folders like the library.",
        ),
        Key("seed", COUNT, "default seed of every scatter entry (default 0)"),
        Key(
            "models",
            named("model"),
            "named, reusable models",
        ),
        Key(
            "place",
            named("placement"),
            "named placements: what the scene contains",
        ),
        Key(
            "scatter",
            named("scatter"),
            "named procedural placements",
        ),
        Key(
            "cameras",
            named("camera"),
            "named views; the first is the default",
        ),
        Key("render", RENDER.schema(), "render defaults"),
    )
)
MODEL = Section(
    (
        Key("file", TEXT, ".ldr/.mpd relative to the scene file"),
        Key("group", ref("group")),
        Key("minifig", ref("minifig")),
        Key("description", TEXT),
    ),
    exactly_one=("file", "group", "minifig"),
)
REPEAT = Section((Key("count", COUNT), Key("step", ref("vec3"))), required=("count", "step"))
PLACE = Section(
    (
        Key(
            "model",
            TEXT,
            "exactly one of `model:`, `part:`, `group:`: a name from `models:`, an LDraw part, "
            "or nested entries",
        ),
        Key("part", ref("part"), "an LDraw part (instead of `model:`)"),
        Key("group", ref("group"), "nested entries (instead of `model:`)"),
        _colour("colour (for a group: the colour its members inherit)"),
        Key("at", ref("vec3"), "`[x, y, z]`, lengths; default `[0, 0, 0]`", ("position",)),
        _rotate(),
        Key("yaw", {"type": "number"}, "degrees about the vertical axis (instead of `rotate:`)"),
        Key(
            "repeat",
            one_of(ref("repeat"), array(ref("repeat"), 1)),
            "`{count: n, step: [x, y, z]}` copies at `at + k·step` (k = 0..n-1), all with the "
            "same rotation; a list of repeats makes a grid (`[{count: 4, step: [20, 0, 0]}, "
            "{count: 3, step: [0, 0, 20]}]`)",
        ),
        Key(
            "settle",
            BOOLEAN,
            "`true`: moved straight down (or up) until it rests on what is below it "
            "([below](#settling-placed-things)); default `false`",
        ),
        Key("description", TEXT, "free text"),
    ),
    exactly_one=("model", "part", "group"),
)
PIECE = Section((Key("part", ref("part")), _colour()))
HELD = Section(
    (
        Key("part", ref("part")),
        _colour(),
        Key("turn", {"type": "number"}),
        Key("slide", ref("length")),
    ),
    required=("part",),
)
ACCESSORY = Section(
    (
        Key("part", ref("part")),
        _colour(),
        Key("at", ref("vec3")),
        _rotate(),
        Key("attach", {"enum": list(ATTACH_POINTS)}),
    ),
    required=("part",),
)
POSE = Section(tuple(Key(joint, number(-360, 360)) for joint in JOINTS))
HOLD = Section((Key("left", ref("held")), Key("right", ref("held"))))
MINIFIG = Section(
    (
        *(Key(piece, ref("piece")) for piece in MINIFIG_PIECES),
        Key(
            "stance",
            {"enum": list(STANCES)},
            "how the figure is placed: its origin is between its feet (stand), under its seat "
            "(sit), or on the ground under its hips (kneel, lie_*)",
        ),
        Key("pose", POSE.schema()),
        Key("hold", HOLD.schema()),
        Key("accessories", array(ref("accessory"))),
    )
)
CHOICE = Section(
    (Key("part", ref("part")), Key("model", TEXT), _colour(), Key("weight", WEIGHT)),
    exactly_one=("part", "model"),
)
COLOUR_CHOICE = Section((_colour(), Key("weight", WEIGHT)))
AREA = Section(
    (
        Key("rect", array(ref("point2"), 2, 2)),
        Key("polygon", array(ref("point2"), 3)),
        Key("near", TEXT, "a place entry or earlier scatter entry"),
        Key("margin", ref("length")),
        Key("y", ref("length")),
    ),
    exactly_one=("rect", "polygon", "near"),
)
SCATTER = Section(
    (
        Key(
            "parts",
            array(ref("choice"), 1),
            "non-empty list; each item a part name, or `{part:|model:, weight:, color:}` "
            "(weight default 1; a `color:` here overrides the colour list)",
        ),
        Key(
            "colors",
            array(ref("colour_choice"), 1),
            "weighted colour list (items are colours or `{color:, weight:}`)",
            ("colours",),
        ),
        _colour("one colour (instead of `colors:`)"),
        Key("count", COUNT, "number of pieces (0 or more)"),
        Key(
            "area",
            one_of(ref("area"), array(ref("area"), 1)),
            "one of `rect: [[x0, z0], [x1, z1]]` (two corners on the ground), "
            "`polygon: [[x, z], ...]` (three or more corners in order around it, sides not "
            "crossing), `near: NAME` (the ground box of a `place:` entry or an earlier scatter "
            "entry); plus `margin:` (grows a rect or near box; a negative one shrinks it, to "
            "less than half its width) and `y:` (the height unsettled pieces stand on, "
            "default 0). Or a list of such areas: pieces land anywhere in their union, e.g. "
            "`area: [{rect: [[-30, -22], [-27, 10]]}, {near: tank, margin: 2}]`",
        ),
        Key(
            "yaw",
            one_of({"const": "random"}, {"type": "number"}, array({"type": "number"}, 2, 2)),
            "`random` (default), a fixed angle, or a range `[min, max]`",
        ),
        Key(
            "tilt",
            number(0, 90),
            "random tilt up to this many degrees about a random horizontal axis (0..90; rubble)",
        ),
        Key(
            "spacing",
            ref("length"),
            "minimum distance between piece origins on the ground (a length; default 0)",
        ),
        Key(
            "settle",
            BOOLEAN,
            "`true`: each piece falls onto what is below it and comes to rest there (see "
            "below); default `false`: each piece stands on `area.y`, its lowest point (as turned) "
            "at that height, whatever lies there",
        ),
        Key(
            "on",
            NAMES,
            "with `settle: true`: the entries its pieces may rest on, a name or a list: names "
            "of `place:` entries (a group counts as a whole) and of earlier `scatter:` entries. "
            "The entry's own pieces always count, so they pile up on what `on:` allows. "
            "Default: anything",
        ),
        Key(
            "avoid",
            NAMES,
            "with `settle: true`: the entries its pieces may not rest on (same names), e.g. "
            "`avoid: [mg42_crew, wounded]` keeps snow off the figures",
        ),
        Key("seed", COUNT, "random seed (default: the scene's `seed:`, else 0)"),
        Key("description", TEXT, "free text"),
    ),
    required=("parts", "count", "area"),
)
CAMERA = Section(
    (
        Key("lat", number(-90, 90)),
        Key("lon", number(-360, 360)),
        Key("distance", ref("length")),
        Key("target", POINT_OR_NAME),
        Key("position", ref("vec3")),
        Key("look_at", POINT_OR_NAME),
        Key("fov", number(MIN_FOV, MAX_FOV)),
        Key("focus", POINT_OR_NAME),
        Key("aperture", number(0.5, 64)),
    ),
    extra={"dependentRequired": {"aperture": ["focus"]}},
)

#: Value types that are not mappings of keys.
VALUES: dict[str, Schema] = {
    "length": {
        **one_of({"type": "number"}, {"type": "string", "pattern": LENGTH_PATTERN}),
        "description": 'a number in the scene\'s units, or a string such as "12 studs", '
        '"3 plates", "2 bricks + 1 plate", "40 ldu", "5 cm"',
    },
    "vec3": {**array(ref("length"), 3, 3), "description": "[x, y, z], y up"},
    "point2": {**array(ref("length"), 2, 2), "description": "[x, z] on the ground"},
    "colour": {
        **one_of({"type": "integer"}, TEXT),
        "description": 'LDraw colour code, LDConfig name (Light_Bluish_Grey) or "#rrggbb"',
    },
    "part": {
        **one_of({"type": "string", "minLength": 1}, {"type": "integer"}),
        "description": "LDraw part name; .dat is optional (3001, 3070b, 3001.dat)",
    },
}

#: The schema's named definitions, in the order the file lists them.
DEFS: dict[str, Schema] = {
    **VALUES,
    "repeat": REPEAT.schema(),
    "placement": PLACE.schema(),
    "group": one_of(
        named("placement"),
        array(ref("placement")),
    ),
    "model": MODEL.schema(),
    "piece": PIECE.schema(),
    "minifig": MINIFIG.schema(),
    "held": HELD.schema(),
    "accessory": ACCESSORY.schema(),
    "choice": one_of(ref("part"), CHOICE.schema()),
    "colour_choice": one_of(ref("colour"), COLOUR_CHOICE.schema()),
    "area": AREA.schema(),
    "scatter": SCATTER.schema(),
    "camera": CAMERA.schema(),
}


def json_schema() -> Schema:
    """The scene file's JSON Schema, generated from the sections above."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/ldscene/ldscene/scene.schema.json",
        "title": "ldscene scene file",
        "description": "A diorama built from LDraw models, parts, minifigs and scattered "
        "pieces. Positions are [x, y, z] with y up (ground at y = 0) and z towards the viewer; "
        "see docs/scene-format.md.",
        **TOP.schema(),
        "$defs": DEFS,
    }
