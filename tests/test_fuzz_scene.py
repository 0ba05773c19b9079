"""Property-based fuzzing of the scene reader (issue #13): any mutated scene file gives a
scene or one clear `LdsceneError` line, never another exception, and no hang.

A bounded number of examples here (the same ones on every run); `benchmarks/fuzz_scene.py
--long` runs thousands.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from scene_fuzz import case_folder, run_case, scene_cases, seed_scenes

from ldscene.scene.compose import load_scene, read_spec

FUZZ_SETTINGS = settings(
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SEEDS = seed_scenes()


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return case_folder(tmp_path_factory.mktemp("scene-fuzz"))


def check(read, folder: Path, data: bytes, bound_s: float) -> None:
    path = folder / "case.yaml"
    path.write_bytes(data)
    outcome = run_case(read, path, bound_s)
    assert outcome.kind in ("ok", "error"), f"{outcome.kind}: {outcome.detail}\n{data[:2000]!r}"


@pytest.mark.slow  # a 200-case sweep; test_scene_hardening checks each rule at unit grain
@settings(FUZZ_SETTINGS, max_examples=200)
@given(data=scene_cases(SEEDS))
def test_reading_a_mutated_scene_keeps_the_promise(folder, data):
    check(read_spec, folder, data, bound_s=5.0)


@pytest.mark.slow
@settings(FUZZ_SETTINGS, max_examples=40)
@given(data=scene_cases([s for s in SEEDS if "Stalingrad" not in s]))
def test_composing_a_mutated_scene_keeps_the_promise(folder, library, data):
    check(lambda path: load_scene(path, library), folder, data, bound_s=30.0)
