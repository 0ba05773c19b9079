"""Turntables: frames around a model rendered in parallel, saved as an animation.

The model is meshed once here; each frame is a farm task (`ldscene.farm`) run by local worker
processes or on a Ray cluster (`--cluster`).  A worker opens its own headless GL context
(EGL) on the meshes at its first frame and renders whichever frames it is given; frames come
back as arrays in any order and are put back in sequence.  The camera orbits the model's
centre at one fixed distance, chosen so the model fits in every frame, so it turns without
changing size.

GIF and animated WebP are written with Pillow; MP4 with imageio-ffmpeg when it is installed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ldscene.atomic import atomic_path
from ldscene.errors import LdsceneError
from ldscene.inputs import LoadSettings, check_not_a_source
from ldscene.render.camera import orbit_views
from ldscene.render.description import Engine
from ldscene.render.engines import EngineSettings, open_renderer
from ldscene.render.images import check_output
from ldscene.render.options import RenderOptions
from ldscene.wording import plural

#: Animation formats by suffix.
ANIMATION_FORMATS = (".gif", ".webp", ".mp4")
MP4_HINT = "pip install imageio-ffmpeg, or pip install 'ldscene[video]'"

OnFrame = Callable[[int, int], None]  # (frames done, frames in all)


# ----------------------------------------------------------------------------- frames
def default_jobs(frames: int, engine: EngineSettings) -> int:
    """One raster worker per core; the path engine uses every core for each frame itself."""
    if engine.engine is Engine.PATH:
        return 1
    return max(1, min(os.cpu_count() or 1, frames, 8))


def render_frames(
    model,
    frames: int,
    options: RenderOptions | None = None,
    latitude: float = 30.0,
    start_longitude: float = 45.0,
    jobs: int | None = None,
    on_frame: OnFrame | None = None,
    engine: EngineSettings | None = None,
    executor=None,
    stats=None,
    use_cache: bool = True,
) -> list:
    """Render the turntable's frames (PIL images, in order).

    With one job and no `executor`, in this process; otherwise one farm task per frame on
    `executor` (a `ldscene.farm.executor.Executor`, e.g. a Ray cluster's) or on `jobs` local worker
    processes.  This process meshes the model once; the workers get the meshes, not the
    model.  `stats`, a `FarmStats`, receives the farm's counts (tasks, retries, nodes);
    `use_cache` False (--no-cache) neither reads nor writes the on-disk mesh cache.
    """
    from PIL import Image

    options = options or RenderOptions()
    options.validate()
    engine = engine or EngineSettings()
    if frames < 1:
        raise LdsceneError(f"a turntable needs at least one frame, not {frames}")
    jobs = default_jobs(frames, engine) if jobs is None else jobs
    if jobs < 1:
        raise LdsceneError(f"--jobs must be 1 or more, not {jobs}")
    jobs = min(jobs, frames)
    if executor is None and jobs == 1:
        arrays = []
        with open_renderer(engine, model, options, use_cache=use_cache) as renderer:
            views = orbit_views(
                renderer.meshes.frame_points, frames, options, latitude, start_longitude
            )
            for i, view in enumerate(views):
                arrays.append(renderer.render_array(view))
                if on_frame:
                    on_frame(i + 1, frames)
    else:
        from ldscene.render.meshes import ModelMeshes, build_model_meshes

        meshes = (
            model if isinstance(model, ModelMeshes) else build_model_meshes(model, None, use_cache)
        )
        arrays = _farm_frames(
            meshes, frames, options, latitude, start_longitude, jobs, on_frame, engine, executor,
            stats,
        )  # fmt: skip
    images = []
    for array in arrays:
        if options.transparent:
            images.append(Image.fromarray(array, "RGBA"))
        else:
            images.append(Image.fromarray(np.ascontiguousarray(array[..., :3]), "RGB"))
    return images


def _farm_frames(
    meshes, frames, options, latitude, start_longitude, jobs, on_frame, engine, executor, stats
) -> list[np.ndarray]:
    """One farm task per frame (the workers get `meshes`); the arrays in frame order."""
    import contextlib

    from ldscene.farm.executor import open_executor
    from ldscene.farm.runner import FarmJob, FarmRun
    from ldscene.farm.tasks import RenderTask, portable_meshes
    from ldscene.render.description import RenderDescription

    RenderDescription(meshes, options)  # "nothing to render" here, not in every worker
    views = orbit_views(meshes.frame_points, frames, options, latitude, start_longitude)
    tasks = [
        RenderTask("turntable", i, view, options, engine, label=f"frame {i + 1}")
        for i, view in enumerate(views)
    ]
    arrays: list[np.ndarray | None] = [None] * frames
    errors: list[str] = []

    def on_result(task: RenderTask, output) -> None:
        arrays[task.index] = output.value

    def on_error(task: RenderTask, message: str) -> None:
        errors.append(message)

    done = [0]

    def on_task_done() -> None:
        done[0] += 1
        if on_frame:
            on_frame(done[0], frames)

    own = executor is None
    with open_executor(jobs=jobs, tasks=frames) if own else contextlib.nullcontext(executor) as ex:
        run = FarmRun(ex, on_task_done=on_task_done)
        if stats is not None:
            run.stats = stats
        run.add(FarmJob("turntable", portable_meshes(meshes), tasks, on_result, on_error))
        run.finish()
    if errors:
        raise LdsceneError(errors[0])
    assert all(a is not None for a in arrays)
    return arrays  # type: ignore[return-value]


# ----------------------------------------------------------------------------- writing
def check_animation_path(path: Path) -> None:
    """Fail early: a known suffix, a writable file and folder, an installed encoder."""
    check_encoder(check_output(path, ANIMATION_FORMATS, "animation"))


def check_fps(fps: float) -> None:
    if not 0.5 <= fps <= 100:
        raise LdsceneError(f"--fps {fps:g} is outside 0.5..100", hint="12 is the default")


def check_encoder(suffix: str) -> None:
    """MP4 needs imageio-ffmpeg, an optional dependency: say so before any work."""
    if suffix != ".mp4":
        return
    try:
        import imageio_ffmpeg  # noqa: F401
    except ImportError:
        raise LdsceneError(
            "MP4 output needs imageio-ffmpeg, which is not installed", hint=MP4_HINT
        ) from None


def shared_palette(images: list, colours: int = 255):
    """One palette for all frames (no colour flicker between frames), from a sample of them."""
    from PIL import Image

    sample = images[:: max(1, len(images) // 8)]
    w, h = sample[0].size
    scale = max(1, max(w, h) // 320)
    tiles = [im.convert("RGB").reduce(scale) for im in sample]
    tw, th = tiles[0].size
    sheet = Image.new("RGB", (tw * len(tiles), th))
    for i, tile in enumerate(tiles):
        sheet.paste(tile, (i * tw, 0))
    quantized = sheet.quantize(colours, method=Image.Quantize.MEDIANCUT)
    # Median cut averages its boxes: put the exact background colour (a corner pixel) back,
    # so the animation's background matches a page or a still of the same colour.
    background = np.array(images[0].convert("RGB").getpixel((0, 0)), int)
    palette = np.array(quantized.getpalette()[: 3 * colours], int).reshape(-1, 3)
    nearest = int(np.abs(palette - background).sum(axis=1).argmin())
    palette[nearest] = background
    quantized.putpalette(palette.astype(np.uint8).reshape(-1).tolist())
    return quantized


def quantize_exact(image, palette: np.ndarray):
    """`image` as a "P" image over `palette` (K, 3), each pixel's exactly nearest entry.

    Pillow's own palette mapping is approximate (a coarse colour cache): it turns a white
    background into an off-white palette neighbour.
    """
    from PIL import Image
    from scipy.spatial import cKDTree

    rgb = np.asarray(image.convert("RGB"), np.int32)
    packed = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    unique, inverse = np.unique(packed.reshape(-1), return_inverse=True)
    colours = np.stack([unique >> 16, (unique >> 8) & 255, unique & 255], axis=1)
    _, nearest = cKDTree(palette.astype(np.float64)).query(colours.astype(np.float64))
    indices = nearest.astype(np.uint8)[inverse.reshape(-1)].reshape(packed.shape)
    out = Image.fromarray(indices, "P")
    out.putpalette(palette.astype(np.uint8).reshape(-1).tolist())
    return out


def _save_animated(frames: list, handle, fmt: str, duration_ms: int, **settings) -> None:
    """Pillow's looping animation of `frames` in `fmt` (GIF, WEBP), with its own settings."""
    frames[0].save(
        handle,
        format=fmt,
        save_all=True,
        append_images=frames[1:],
        duration=duration_ms,
        loop=0,
        **settings,
    )


def _encode_gif(images: list, handle, duration_ms: int) -> None:
    quantized = shared_palette(images)
    palette = np.array(quantized.getpalette(), int).reshape(-1, 3)[:255]
    frames = [quantize_exact(im, palette) for im in images]
    _save_animated(frames, handle, "GIF", duration_ms, optimize=False, disposal=1)


def _encode_webp(images: list, handle, duration_ms: int) -> None:
    _save_animated(images, handle, "WEBP", duration_ms, quality=85, method=4)


def _encode_mp4(images: list, tmp: str, fps: float) -> None:
    import imageio_ffmpeg

    first = even_sized(np.asarray(images[0].convert("RGB")))
    writer = imageio_ffmpeg.write_frames(
        tmp,
        (first.shape[1], first.shape[0]),
        fps=fps,
        codec="libx264",
        pix_fmt_out="yuv420p",
        quality=7,
        macro_block_size=1,
        output_params=["-f", "mp4", "-movflags", "+faststart"],
    )
    writer.send(None)
    for im in images:
        writer.send(np.ascontiguousarray(even_sized(np.asarray(im.convert("RGB")))))
    writer.close()


def even_sized(pixels: np.ndarray) -> np.ndarray:
    """An (H, W, 3) frame made even on both sides, as H.264's yuv420p needs: an odd side gets
    its last row or column twice (it was padded black: a stripe along the edge)."""
    h, w = pixels.shape[:2]
    return np.pad(pixels, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")


def frame_seconds(suffix: str, fps: float) -> float:
    """How long a frame of an animation asked for at `fps` lasts in a `suffix` file: a GIF
    keeps hundredths of a second and a WebP milliseconds, at least 20 ms (browsers slow
    shorter frames down), so 12 fps is 80 ms a frame in a GIF; an MP4 keeps `fps`."""
    if suffix == ".mp4":
        return 1.0 / fps
    unit = 0.01 if suffix == ".gif" else 0.001
    return max(0.02, round(1.0 / fps / unit) * unit)


def write_animation(images: list, path: str | os.PathLike, fps: float = 12.0) -> Path:
    """Write `images` as a looping animation (format from the suffix), atomically."""
    path = Path(path)
    check_animation_path(path)
    if not images:
        raise LdsceneError("no frames to write")
    check_fps(fps)
    suffix = path.suffix.lower()
    duration_ms = round(frame_seconds(suffix, fps) * 1000)
    with atomic_path(path, "the animation") as tmp:
        if suffix == ".gif":
            with open(tmp, "wb") as handle:
                _encode_gif(images, handle, duration_ms)
        elif suffix == ".webp":
            with open(tmp, "wb") as handle:
                _encode_webp(images, handle, duration_ms)
        else:
            _encode_mp4(images, tmp, fps)
    return path


# ----------------------------------------------------------------------------- command
def rich_progress(quiet: bool):
    """(on_frame, close) showing a rich progress bar on a terminal; no-ops otherwise."""
    if quiet or not sys.stderr.isatty():
        return None, lambda: None
    from ldscene.progress import counting_bar

    progress, task = counting_bar("rendering frames")
    started = []

    def on_frame(done: int, total: int) -> None:
        # Started on the first finished frame, after the workers were forked: a forked
        # child must not inherit rich's refresh thread holding a lock.
        if not started:
            progress.start()
            started.append(True)
        progress.update(task, completed=done, total=total)

    def close() -> None:
        if started:
            progress.stop()

    return on_frame, close


def make_turntable(
    model,
    output: Path,
    frames: int = 36,
    options: RenderOptions | None = None,
    latitude: float = 30.0,
    start_longitude: float = 45.0,
    fps: float = 12.0,
    jobs: int | None = None,
    quiet: bool = False,
    engine: EngineSettings | None = None,
    executor=None,
    stats=None,
    use_cache: bool = True,
) -> Path:
    """Render and write a turntable animation; returns the path written.  `executor`,
    `stats` and `use_cache`: see `render_frames`."""
    check_animation_path(output)
    check_fps(fps)
    on_frame, close = rich_progress(quiet)
    try:
        images = render_frames(
            model,
            frames,
            options,
            latitude,
            start_longitude,
            jobs,
            on_frame,
            engine,
            executor=executor,
            stats=stats,
            use_cache=use_cache,
        )
    finally:
        close()
    return write_animation(images, output, fps)


#: A turntable frame's width when none is asked for (an animation is many images).
FRAME_WIDTH = 640


def frame_size(width: int | None, height: int | None, scene=None) -> tuple[int, int]:
    """A frame's size: as asked (one side alone keeps the shape), else `FRAME_WIDTH` wide in
    the shape of the scene's `render: size:`, else 4:3."""
    from ldscene.render.command import image_size

    size = getattr(getattr(scene, "render", None), "size", None)
    shape = tuple(size) if size else (4, 3)
    if width is None and height is None:
        width = FRAME_WIDTH
    return image_size(width, height, shape)


@dataclass
class TurntableRequest:
    """What `ldscene turntable` is asked for."""

    input_path: Path
    output: Path
    frames: int = 36
    width: int | None = None  # None: FRAME_WIDTH, the height for the scene's shape (else 4:3)
    height: int | None = None
    fps: float = 12.0
    latitude: float = 30.0
    start_longitude: float = 45.0
    aa: int = 2
    background: str | None = None
    edges: bool | None = None
    shadows: bool = True
    jobs: int | None = None
    quiet: bool = False
    load: LoadSettings = field(default_factory=LoadSettings)
    engine: EngineSettings = field(default_factory=EngineSettings)
    cluster: str | None = None  # a Ray address: the frames are rendered there

    def check(self) -> None:
        """The cheap checks, before the cluster is connected to and the input loads."""
        from ldscene.farm.cluster import check_cluster_support

        check_animation_path(self.output)
        if self.frames < 1 or self.frames > 3600:
            raise LdsceneError(f"--frames must be 1..3600, not {self.frames}")
        check_fps(self.fps)
        if self.jobs is not None and self.jobs < 1:
            raise LdsceneError(f"--jobs must be 1 or more, not {self.jobs}")
        if self.cluster is not None:
            check_cluster_support()
        RenderOptions(
            width=self.width or FRAME_WIDTH, height=self.height or FRAME_WIDTH, aa=self.aa
        ).validate()
        self.load.check(self.input_path)


def turntable_input(req: TurntableRequest, echo=print, on_loaded=None) -> Path:
    """The whole of `ldscene turntable`: cheap checks, load, render in parallel, write."""
    import contextlib
    import time

    from ldscene.farm.executor import open_executor
    from ldscene.farm.runner import FarmStats
    from ldscene.render.command import RenderRequest, build_options

    req.check()
    look = RenderRequest(
        input_path=req.input_path,
        width=req.width,
        height=req.height,
        aa=req.aa,
        background=req.background,
        edges=req.edges,
        shadows=req.shadows,
        engine=req.engine,
    )
    start = time.perf_counter()
    stats = FarmStats()
    # A cluster is connected to first: an unreachable one is reported before the load.
    with (
        open_executor(req.cluster, engine=req.engine)
        if req.cluster is not None
        else contextlib.nullcontext(None)
    ) as executor:
        loaded = req.load.load(req.input_path, on_loaded)
        check_not_a_source(
            req.output,
            [req.input_path, *loaded.model.files],
            "the animation",
            req.load.library,
        )
        width, height = frame_size(req.width, req.height, loaded.scene)
        options = build_options(replace(look, width=width, height=height), loaded.scene)
        path = make_turntable(
            loaded.model,
            req.output,
            req.frames,
            options,
            req.latitude,
            req.start_longitude,
            req.fps,
            req.jobs,
            req.quiet,
            req.engine,
            executor=executor,
            stats=stats,
            use_cache=req.load.use_cache,
        )
        where = executor.describe() if executor is not None else ""
    if not req.quiet:
        ran = f"; {stats.where_text()} of {where}" if executor is not None else ""
        frame = frame_seconds(Path(path).suffix.lower(), req.fps)
        if abs(frame * req.fps - 1.0) > 0.05:  # (12 fps in a GIF is 12.5: not worth a note)
            echo(
                f"note: {Path(path).suffix.lower()} frames last {frame * 1000:.0f} ms: "
                f"{1 / frame:.3g} fps, not {req.fps:g}"
            )
        echo(
            f"wrote {path} ({plural(req.frames, 'frame')}, {options.width}x{options.height}, "
            f"{req.frames * frame:.2f} s long; rendered in {time.perf_counter() - start:.1f} s"
            f"{ran}{stats.summary()})"
        )
    return path
