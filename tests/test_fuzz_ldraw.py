"""Property-based fuzzing of the LDraw reader (issue #13): any mutated LDraw file gives a model
(with strict-JSON `info`) or one clear `LdsceneError` line, never another exception, no hang.

A bounded, derandomised number of examples here; `benchmarks/fuzz_ldraw.py --long` runs
10,000.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from ldraw_fuzz import ldraw_cases, read_model, seed_files
from scene_fuzz import run_case

from ldscene.ldraw.library import find_library

LIBRARY = find_library(None)
SEEDS = seed_files(LIBRARY)
READ = read_model(LIBRARY)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("ldraw-fuzz")


def test_the_seeds_are_real_files() -> None:
    assert len(SEEDS) >= 10
    assert all(any(line[:2] in ("1 ", "2 ", "3 ", "4 ") for line in s.splitlines()) for s in SEEDS)


@settings(
    deadline=None,
    database=None,
    derandomize=True,
    max_examples=150,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=ldraw_cases(SEEDS))
def test_mutated_ldraw_files_keep_the_promise(folder: Path, case: tuple[str, bytes]) -> None:
    suffix, data = case
    path = folder / f"case{suffix}"
    path.write_bytes(data)
    outcome = run_case(READ, path, 20.0)
    assert outcome.kind in ("ok", "error"), f"{outcome.kind}: {outcome.detail}\n{data[:2000]!r}"
