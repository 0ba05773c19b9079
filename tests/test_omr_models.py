"""Every official model in ../shared/models/omr loads with nothing missing and stable counts.

The golden counts in data/omr_counts.json were produced by ldscene and cross-checked once against
ldraw2mesh (an independent Rust loader): every model's triangle total agrees exactly.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import OMR, omr_models

from ldscene.ldraw import load_model
from ldscene.ldraw.stats import model_stats

GOLDEN = json.loads((Path(__file__).parent / "data" / "omr_counts.json").read_text())


def test_corpus_is_complete():
    assert sorted(p.name for p in omr_models()) == sorted(GOLDEN)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_model_loads_with_stable_counts(name):
    model = load_model(OMR / name)
    stats = model_stats(model)
    assert stats["missing"] == []
    assert model.warnings == []
    expected = GOLDEN[name]
    for key in ("parts", "unique_parts", "triangles", "lines", "cond_lines"):
        assert stats[key] == expected[key], key
    for corner in ("min", "max"):
        assert stats["bbox"][corner] == pytest.approx(expected["bbox"][corner], abs=1e-3)
