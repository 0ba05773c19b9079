"""The showcase scene scenes/stalingrad_stz.yaml: every named part of the brief is there.

Checks `ldscene info --json` from the outside (named entries and their part counts) and the
scene itself through the Python API (figures, cameras, nothing missing), against the real
LDraw library.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import scatter_geometry as sg

from ldscene.scene import load_scene
from ldscene.scene.compose import read_spec

pytestmark = pytest.mark.slow  # renders, windows or whole scenes: seconds each

SCENE = Path(__file__).resolve().parent.parent / "scenes" / "stalingrad_stz.yaml"
NAMES = ("factory", "t34_line", "workers", "mg42_crew", "wounded", "snow", "debris")


@pytest.fixture(scope="module")
def info() -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "ldscene", "info", str(SCENE), "--json"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def scene():
    return load_scene(SCENE)


def _figures(model) -> int:
    """Minifigs in a model, counted by their heads (3626*)."""
    return sum(1 for i in model.leaf if model.leaves[i].name.lower().startswith("3626"))


def test_every_named_entry_is_present(info):
    models = info["models"]
    for name in NAMES:
        assert name in models, f"{name} missing from info --json models: {sorted(models)}"
        assert models[name]["parts"] > 0, name


def test_nothing_missing(info, scene):
    assert info["missing"] == []
    assert list(scene.model.missing) == []


def test_snow_and_debris_counts(info):
    assert info["models"]["snow"]["parts"] >= 300
    assert info["models"]["debris"]["parts"] >= 200


def test_snow_is_white_and_debris_is_rubble_coloured(scene):
    snow = scene.entry_model("snow")
    assert set(int(c) for c in snow.colour) == {15}
    debris = Counter(int(c) for c in scene.entry_model("debris").colour)
    assert set(debris) <= {0, 8, 70, 71, 72, 308, 320}
    assert debris[70] > debris[72]  # mostly reddish brown brick


def test_people(scene):
    assert _figures(scene.entry_model("workers")) >= 3
    assert _figures(scene.entry_model("mg42_crew")) == 3
    assert _figures(scene.entry_model("wounded")) == 2
    crew_model = scene.entry_model("mg42_crew")
    crew = Counter(crew_model.leaves[i].name.lower() for i in crew_model.leaf)
    assert crew["ldscene_mg42.dat"] == 1  # the machine gun on its bipod
    assert crew["30162.dat"] == 1  # the spotter's binoculars


def test_t34_line_has_a_complete_and_an_unfinished_tank(scene):
    line = scene.entry_model("t34_line")
    names = {line.leaves[i].name.lower() for i in line.leaf}
    models = {name for i in line.path for name in line.paths[i]}  # scene model names used
    assert "3873.dat" in names  # track links
    assert {"t34", "t34_hull", "turret_slung", "crane"} <= models


def test_cameras(scene):
    names = {camera.name for camera in scene.cameras}
    assert {"hero", "mg42", "line", "wounded"} <= names
    assert scene.cameras[0].name == "hero"


def test_base_is_about_64_by_48_studs(info):
    lo, hi = info["bbox"]["min"], info["bbox"]["max"]
    width, depth = (hi[0] - lo[0]) / 20, (hi[2] - lo[2]) / 20
    assert 60 <= width <= 72 and 44 <= depth <= 56, (width, depth)


@pytest.fixture(scope="module")
def settled(scene) -> tuple[np.ndarray, np.ndarray, set[tuple[int, int]]]:
    """The instances of the settled scatter entries (whatever the scene has), of the place
    entries, and the pairs of instances inside one scattered model (a model's own parts
    may touch or overlap: not two pieces)."""
    spec = read_spec(SCENE)
    names = [s.name for s in spec.scatter if s.settle]
    assert names, "the scene settles no scatter"

    def instances(entries: list[str]) -> np.ndarray:
        return np.concatenate(
            [np.arange(scene.entries[n].start, scene.entries[n].stop) for n in entries]
        )

    model = scene.model
    scattered = instances(names)
    in_model = [k for k in scattered if len(model.paths[model.path[k]]) > 1]
    same = {(i, j) for i in in_model for j in in_model if i < j}
    return scattered, instances([p.name for p in spec.place]), same


def test_scatter_never_hangs_past_the_base(scene, settled):
    # Nothing scattered reaches below the base's top outside its footprint (pieces used to
    # slide off the hall's edge and hang 5 to 13 LDU below it, in the air).
    scattered, placed, _ = settled
    hanging = sg.hanging(scene.model, scattered, placed)
    assert hanging == [], [
        (round(d, 1), scene.model.leaves[scene.model.leaf[k]].name) for d, k in hanging[:5]
    ]


def test_scattered_pieces_do_not_pass_into_each_other(scene, settled):
    # Measured on the real part geometry: no two scattered pieces overlap by more than 1 LDU.
    scattered, _, same = settled
    deepest = [p for p in sg.penetrations(scene.model, scattered) if (p[1], p[2]) not in same]
    assert deepest and deepest[0][0] <= 1.0, deepest[:5]


def test_export_is_the_same_bytes_in_every_process(tmp_path):
    outputs = []
    for name in ("a.mpd", "b.mpd"):
        result = subprocess.run(
            [sys.executable, "-m", "ldscene", "export", str(SCENE), "-o", str(tmp_path / name)],
            capture_output=True,
            text=True,
            env=dict(os.environ),
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        outputs.append((tmp_path / name).read_bytes())
    assert outputs[0] == outputs[1]
