"""Which engine renders, with which settings, and the one way to open its renderer.

`EngineSettings` is what `render`, `turntable` and `post` take from the command line
(`--engine`, and for the path engine `--samples --denoise --seed --light --device`);
`open_renderer` gives either engine's renderer for a model: a context manager whose
`render(view)` returns a PIL image and `render_array(view)` an RGBA array.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ldscene.errors import LdsceneError
from ldscene.render.description import Engine, LightPreset
from ldscene.render.path.setup import MITSUBA_HINT, Device

#: Samples per pixel when none are asked for: after denoising, two seeds of the Stalingrad
#: hero camera differ by 1.9 levels of 255 on average (2.2 at 16 samples).
DEFAULT_SAMPLES = 24
MAX_SAMPLES = 1 << 16


@dataclass(frozen=True)
class PathSettings:
    """The path engine's own choices (sizes, views and background are `RenderOptions`)."""

    samples: int = DEFAULT_SAMPLES
    denoise: bool = True
    seed: int = 0
    light: LightPreset = LightPreset.STUDIO
    device: Device = Device.AUTO

    def validate(self) -> None:
        if not isinstance(self.samples, int) or not 1 <= self.samples <= MAX_SAMPLES:
            raise LdsceneError(
                f"samples per pixel must be 1..{MAX_SAMPLES}, not {self.samples!r}",
                hint=f"the default is {DEFAULT_SAMPLES}",
            )
        if not isinstance(self.seed, int) or not 0 <= self.seed < 2**31:
            raise LdsceneError(f"seed must be a whole number 0..{2**31 - 1}, not {self.seed!r}")


@dataclass(frozen=True)
class EngineSettings:
    engine: Engine = Engine.RASTER
    path: PathSettings = field(default_factory=PathSettings)

    @classmethod
    def parse(
        cls,
        engine: str = "raster",
        samples: int | None = None,
        denoise: bool = True,
        seed: int = 0,
        light: str = "studio",
        device: str = "auto",
    ) -> EngineSettings:
        """Settings from command-line words, checked (one-line errors before any load)."""
        path = PathSettings(
            samples=DEFAULT_SAMPLES if samples is None else samples,
            denoise=denoise,
            seed=seed,
            light=LightPreset.parse(light),
            device=Device.parse(device),
        )
        path.validate()
        settings = cls(Engine.parse(engine), path)
        if settings.engine is Engine.PATH:
            check_path_engine_installed(path.denoise)
        return settings


def check_path_engine_installed(denoise: bool) -> None:
    """Fail before any work when Mitsuba (or, to denoise, pyoidn) is not installed: their
    wheels exist for x86-64 (and Mitsuba's for macOS), not for every platform."""
    import importlib.util

    if importlib.util.find_spec("mitsuba") is None:
        raise LdsceneError(
            "the path engine needs Mitsuba 3, which is not installed", hint=MITSUBA_HINT
        )
    if denoise and importlib.util.find_spec("pyoidn") is None:
        raise LdsceneError(
            "denoising needs Intel Open Image Denoise (pyoidn), which is not installed",
            hint="pip install pyoidn (x86-64 only), or use --no-denoise with more --samples",
        )


def open_renderer(
    settings: EngineSettings, model, options, progress=None, use_cache: bool = True, warm=None
):
    """The renderer of `settings.engine` for `model` (a Model or its ModelMeshes)."""
    if settings.engine is Engine.PATH:
        from ldscene.render.path.renderer import PathRenderer

        return PathRenderer(model, options, settings.path, progress, use_cache=use_cache)
    from ldscene.render.raster.offscreen import ModelRenderer

    return ModelRenderer(model, options, progress, use_cache=use_cache, warm=warm)
