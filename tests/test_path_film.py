"""The path engine's film: what the denoiser does at an image's border."""

from __future__ import annotations

import numpy as np
import pytest

from ldscene.render.path import film


@pytest.mark.parametrize("height, width", [(111, 333), (333, 111), (64, 64)])
def test_the_denoiser_keeps_the_border_the_colour_of_the_image(height, width):
    """OIDN drifted at the image's border: a 333x111 render's bottom row came out 12 levels
    bluer than traced.  A flat grey with noise keeps every border row and column grey."""
    rng = np.random.default_rng(3)
    colour = 0.5 + rng.normal(0.0, 0.02, (height, width, 3)).astype(np.float32)
    albedo = np.full((height, width, 3), 0.5, np.float32)
    normal = np.zeros((height, width, 3), np.float32)
    normal[..., 2] = 1.0
    out = film.denoise(colour, film.guides(albedo, normal))
    assert out.shape == colour.shape
    borders = [out[0], out[-1], out[:, 0], out[:, -1]]
    drift = max(float(np.abs(line.mean(axis=0) - 0.5).max()) for line in borders)
    assert drift < 0.008, drift  # 0.027 before the mirrored margin; the interior's ~0.003


def test_coverage_denoising_keeps_its_shape_and_range():
    rng = np.random.default_rng(4)
    coverage = np.clip(0.6 + rng.normal(0.0, 0.1, (45, 77)), 0.0, 1.0)
    out = film.denoise_coverage(coverage)
    assert out.shape == coverage.shape
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert abs(float(out.mean()) - float(coverage.mean())) < 0.03
