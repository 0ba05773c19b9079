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

import pytest

from ldscene.scene import load_scene

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
