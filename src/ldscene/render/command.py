"""The work behind `ldscene render`: check arguments, load once, render every view, save.

Kept apart from cli.py so the click layer stays thin and this stays testable.
"""

from __future__ import annotations

import contextlib
import gc
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from ldscene.atomic import atomic_path
from ldscene.errors import LdsceneError
from ldscene.inputs import LoadSettings, check_not_a_source, check_outside_library, is_scene
from ldscene.render.description import Engine
from ldscene.render.engines import EngineSettings, open_renderer
from ldscene.render.images import FORMATS, check_output
from ldscene.render.options import RenderOptions, View, parse_colour


@dataclass
class RenderRequest:
    input_path: Path
    output: Path | None = None
    views: list[str] = field(default_factory=list)
    cameras: list[str] = field(default_factory=list)  # scene camera names
    all_cameras: bool = False
    lat: float | None = None
    lon: float | None = None
    fov: float | None = None
    ortho: bool = False
    width: int | None = None
    height: int | None = None
    aa: int = 2
    background: str | None = None
    transparent: bool = False
    ground: bool | None = None  # None: on for models; for scenes only with the path engine
    edges: bool | None = None
    shadows: bool = True
    ambient_occlusion: bool = True
    studs: str = "auto"  # auto, full, fast or logo (see render/studs.py)
    engine: EngineSettings = field(default_factory=EngineSettings)
    quiet: bool = False
    timings: bool = False
    library: Path | None = None
    strict: bool = False
    use_cache: bool = True

    @property
    def load(self) -> LoadSettings:
        return LoadSettings(self.library, self.strict, self.use_cache)


def default_output(input_path: Path) -> Path:
    return Path("renders") / f"{input_path.stem}.png"


def output_paths(base: Path, views: list[View], named: bool = False) -> list[Path]:
    """One path per view: `base` itself for one view, else `stem-<view>.suffix`; always
    the latter when `named` (--all-cameras: `<scene>-<camera>`, however many there are)."""
    if len(views) == 1 and not named:
        return [base]
    return [base.with_name(f"{base.stem}-{file_safe(view.name)}{base.suffix}") for view in views]


def file_safe(name: str) -> str:
    """A view's or camera's name as part of a file name: characters no file name can hold
    here or on Windows (a camera 'Détail/ä' would name a folder) become '_'."""
    return re.sub(r'[\x00-\x1f/\\<>:"|?*]', "_", name).strip(" .") or "view"


def build_views(req: RenderRequest, scene=None, model=None) -> list[View]:
    """Views from --view/--lat/--lon/--camera; a scene's first camera, else iso.  --lat and
    --lon set the elevation and turn of each --view, or make a view of their own."""
    views = [View.named(name) for name in req.views]
    if req.lat is not None or req.lon is not None:
        if views:  # --view front --lat 20: the front view, raised
            views = [view.turned(req.lat, req.lon) for view in views]
        else:
            views.append(
                View.angles(
                    req.lat if req.lat is not None else 30.0,
                    req.lon if req.lon is not None else 45.0,
                )
            )
    names = list(req.cameras)
    if req.all_cameras:
        if scene is None:
            raise LdsceneError("--all-cameras needs a scene file (.yaml)", hint="use --view")
        names += [c.name for c in scene.cameras if c.name not in names]
    for name in names:
        if scene is None:
            raise LdsceneError("--camera needs a scene file (.yaml)", hint="use --view")
        views.append(scene_view(_with_fov(scene.camera(name), req.fov), model))
    if not views:
        if scene is not None and getattr(scene, "cameras", None):
            views.append(scene_view(_with_fov(scene.camera(None), req.fov), model))
        else:
            views.append(View.named("iso"))
    names = [v.name for v in views]
    if len(set(names)) != len(names):
        raise LdsceneError("the same view is asked for twice: " + ", ".join(names))
    return views


def _with_fov(camera, fov: float | None):
    """A scene camera with --fov, when given, for its own `fov:` (as --ortho applies to it)."""
    return camera if fov is None else replace(camera, fov=fov)


def scene_view(camera, model) -> View:
    """A scene camera as a View: auto-framed orbit when it gives no distance, else fixed."""
    from ldscene.scene.cameras import CameraKind

    focus = None if camera.focus is None else tuple(float(v) for v in camera.focus)
    orbit = View(
        camera.name,
        float(camera.lat or 0.0),
        float(camera.lon or 0.0),
        fov=camera.fov,
        focus=focus,
        aperture=camera.aperture,
    )
    if camera.kind is CameraKind.ORBIT and camera.distance is None and camera.target is None:
        return orbit
    from ldscene.ldraw.stats import model_stats

    bbox = model_stats(model)["bbox"]
    if camera.kind is CameraKind.ORBIT and camera.distance is None:  # framed per image shape
        lo, hi = camera.fit_box(bbox["min"], bbox["max"])
        fit = (tuple(map(float, lo)), tuple(map(float, hi)))
        return replace(orbit, target=tuple(map(float, camera.target)), fit=fit)
    eye, target, up = camera.eye_target(bbox["min"], bbox["max"])
    return View.look(
        camera.name, eye, target, up, fov=camera.fov, focus=focus, aperture=camera.aperture
    )


def cameras_inside_parts(model, views: list[View], options: RenderOptions) -> list[str]:
    """A warning for each placed camera that stands inside a part (a scene camera moved into a
    wall): its image would show little but the inside of that part.  A camera aimed at a
    target stands where `options`' image puts it."""
    from ldscene.ldraw.stats import parts_around
    from ldscene.render.camera import fitted_view

    lines = []
    for view in [fitted_view(view, options) for view in views]:
        if view.eye is None:
            continue
        around = parts_around(model, view.eye)
        if len(around):
            i = int(around[0])
            chain = " > ".join(model.paths[int(model.path[i])])
            part = model.leaves[int(model.leaf[i])].name + (f" (in {chain})" if chain else "")
            lines.append(
                f"camera '{view.name}' stands inside part {part}: its image shows little but "
                "that part's inside (move the camera's position out of it)"
            )
    return lines


def image_size(
    width: int | None, height: int | None, default: tuple[int, int] | None = None
) -> tuple[int, int]:
    """The image's (width, height) from --width/--height: both as given; one alone keeps
    the shape of the scene's `render: size:` (`default`) or of the default 1600 x 1200."""
    base_width, base_height = default or (RenderOptions.width, RenderOptions.height)
    if width is not None and height is None:
        return width, max(1, round(width * base_height / base_width))
    if height is not None and width is None:
        return max(1, round(height * base_width / base_height)), height
    if width is None and height is None:
        return base_width, base_height
    return width, height  # type: ignore[return-value]


def build_options(req: RenderRequest, scene=None) -> RenderOptions:
    defaults = getattr(scene, "render", None)
    opts = RenderOptions()
    opts.width, opts.height = image_size(
        req.width, req.height, defaults.size if defaults is not None and defaults.size else None
    )
    opts.aa = req.aa
    if req.fov is not None:
        opts.fov = req.fov
    opts.ortho = req.ortho
    background = req.background
    if background is None and defaults is not None and defaults.background is not None:
        background = defaults.background
    if isinstance(background, str):
        try:
            opts.background = parse_colour(background)
        except LdsceneError as err:
            if req.background is None:  # the scene's, checked where it was read
                raise
            raise LdsceneError(f"--background: {err.message}", hint=err.hint) from None
    elif background is not None:
        values = tuple(float(v) for v in background)
        opts.background = tuple(v / 255.0 if max(values) > 1 else v for v in values[:3])
    opts.transparent = req.transparent
    # A model gets a floor with its shadow by default (it would float otherwise); a scene has
    # its own terrain, so only the path engine adds one under it.
    ground_default = scene is None or req.engine.engine is Engine.PATH
    opts.ground = req.ground if req.ground is not None else ground_default
    edges = req.edges
    if edges is None and defaults is not None and defaults.edges is not None:
        edges = defaults.edges
    opts.edges = True if edges is None else edges
    opts.shadows = req.shadows
    opts.ambient_occlusion = req.ambient_occlusion
    opts.validate()
    return opts


def scene_gl_options(req: RenderRequest) -> RenderOptions:
    """The options a scene will render with, as far as its GL context depends on them: the
    size (the command line's, else the scene file's render size), anti-aliasing, line width."""
    from ldscene.scene.compose import read_spec

    opts = build_options(req)
    size = read_spec(req.input_path).render.size
    if size and req.width is None and req.height is None:
        opts.width, opts.height = size
        opts.validate()
    return opts


def keep_freed_memory() -> None:
    """Let glibc's malloc keep freed memory for reuse instead of returning it to the system.

    Meshing and rendering a large model allocate and free hundreds of megabytes of numpy
    temporaries; by default each large one is a fresh mmap whose pages the kernel must fault
    in and zero again (measured: smooth normals of the Millennium Falcon 0.6-0.75 s cold,
    0.3-0.4 s with this; the whole render about 0.2 s faster).  The price, memory kept until
    exit, is paid by a CLI process that ends after the render anyway.  No-op without glibc.
    """
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD: keep up to 1 GiB of freed heap
        libc.mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD: heap (reusable) below 32 MiB
        libc.mallopt(-2, 64 << 20)  # M_TOP_PAD: grow the heap 64 MiB at a time
    except (OSError, AttributeError):
        pass


@contextlib.contextmanager
def one_shot_process() -> Iterator[None]:
    """Process-wide tuning for a command that renders once and exits (the CLI, not a library
    caller): glibc keeps freed memory (`keep_freed_memory`), and the cyclic garbage collector
    stays off during the work and is then frozen rather than run.

    A render makes millions of small objects (parsed files, the library index) and almost no
    reference cycles, yet the collector kept walking them all: during the load and meshing, on
    the first collection afterwards, and once more at interpreter exit.  Together that was
    0.3-0.5 s of a cold Millennium Falcon render.  Freezing moves the survivors out of the
    collector's sight; they are still freed as usual when their last reference goes, only
    cycles among them wait for exit.
    """
    keep_freed_memory()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.enable()


def run_render(req: RenderRequest, echo=print, on_loaded=None) -> list[Path]:
    """Do the whole `ldscene render`; returns the written paths."""
    from ldscene.progress import ProgressLine
    from ldscene.render.images import filled_by_one_surface, image_writer, shows_nothing
    from ldscene.render.studs import stud_rule

    # Cheap checks first: a bad size or path must not cost a model load.
    engine = req.engine.engine
    if req.width is not None or req.height is not None:
        width = 1600 if req.width is None else req.width
        height = 1200 if req.height is None else req.height
        RenderOptions(width=width, height=height, aa=req.aa).validate()
    for name in req.views:
        View.named(name)
    base = req.output or default_output(req.input_path)
    check_output(base)
    req.load.check(req.input_path)  # a file, or a library part's name (`3001`)

    # A model's options and views are known before it loads, so "auto" studs can be chosen
    # during the load.  A scene's file sets its own (its cameras need the composed model), but
    # its render size is known once the file is read: enough to start the GL context.
    scene_input = is_scene(req.input_path)
    early_options = scene_gl_options(req) if scene_input else build_options(req)
    early_views = None if scene_input else build_views(req)
    studs = stud_rule(req.studs, None if scene_input else early_options, early_views)

    progress = ProgressLine(enabled=None if not req.quiet else False)
    timings: dict[str, float] = {}
    warm = None
    gl: dict[str, str] = {}
    try:
        if engine is Engine.RASTER:
            # The GL context (over a second to create on a GPU) and the shader compiles get
            # ready while the model loads, or the scene composes.
            from ldscene.render.raster.warmup import GlWarmup

            start = time.perf_counter()
            warm = GlWarmup(early_options)  # imports pyrender here, in this thread
            timings["import"] = time.perf_counter() - start
        progress("loading")
        start = time.perf_counter()
        # The cache files are written while the model renders.
        loaded = req.load.load(req.input_path, studs=studs, wait_for_cache=False, progress=progress)
        timings["load"] = time.perf_counter() - start
        if on_loaded is not None:
            progress.done()
            on_loaded(loaded.model)
        scene = loaded.scene if scene_input else None
        options = build_options(req, scene)
        views = build_views(req, scene, loaded.model)
        for line in cameras_inside_parts(loaded.model, views, options):
            print(f"warning: {line}", file=sys.stderr)
        paths = output_paths(base, views, named=req.all_cameras)
        for path in paths:
            check_output(path)
            check_not_a_source(
                path, [req.input_path, *loaded.model.files], "the image", req.library
            )
        written = []
        # All or nothing: each image goes to a temporary file, and they are renamed into
        # place together once every view has rendered (a failure removes them all).
        with (
            open_renderer(
                req.engine, loaded.model, options, progress, use_cache=req.use_cache, warm=warm
            ) as renderer,
            contextlib.ExitStack() as outputs,
        ):
            timings["mesh"] = renderer.timings["mesh"]
            if engine is Engine.PATH:
                renderer.check_views(views)
            for view, path in zip(views, paths, strict=True):
                image = renderer.render(view)
                if shows_nothing(image, options.background):
                    print(
                        f"warning: view '{view.name}' shows nothing of the model, only the "
                        "background (a camera aimed away from it, or from inside a part: check "
                        "its position and look_at)",
                        file=sys.stderr,
                    )
                elif filled_by_one_surface(image, options.background):
                    print(
                        f"warning: view '{view.name}' is all one surface: the camera is right "
                        "against something that hides what it looks at (give it a distance:, "
                        "or a position: clear of the other entries)",
                        file=sys.stderr,
                    )
                # Written into the temporary itself: an error names `path`, not a temporary.
                temporary = outputs.enter_context(atomic_path(path, "the image"))
                with open(temporary, "wb") as handle:
                    image_writer(image, path, background=options.background)(handle)
                written.append(path)
            timings.update(renderer.timings)
            gl = renderer.gl
            for line in getattr(renderer, "warnings", ()):
                print(f"warning: {line}", file=sys.stderr)
    finally:
        progress.done()
        if warm is not None:
            warm.close()  # not taken (an error came first): free it before exit
    if req.timings:
        stages = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in timings.items())
        print(f"timings: {stages}", file=sys.stderr)
        print(f"studs: {loaded.model.studs.label}", file=sys.stderr)
        if gl:
            print(f"gl: {gl['renderer']} ({gl['version']}, {gl['vendor']})", file=sys.stderr)
        if engine is Engine.PATH:
            print(f"path engine: mitsuba {renderer.variant}", file=sys.stderr)
    if not req.quiet:
        for path, view in zip(written, views, strict=True):
            seconds = sum(
                timings.get(f"{stage}:{view.name}", 0.0)
                for stage in ("translate", "render", "denoise")
            )
            echo(f"wrote {path} ({options.width}x{options.height}, {view.name}, {seconds:.1f} s)")
    return written


# ----------------------------------------------------------------------------- many inputs
def is_batch(inputs: list[Path], output: Path | None, output_is_folder: bool = False) -> bool:
    """A batch: several inputs, a folder among them, or -o naming a folder (`OUT/`, or one
    that exists)."""
    if len(inputs) > 1 or any(path.is_dir() for path in inputs):
        return True
    return output is not None and (output_is_folder or output.is_dir())


def run_render_inputs(
    req: RenderRequest,
    inputs: list[Path],
    image_format: str = "png",
    cluster: str | None = None,
    jobs: int | None = None,
    force: bool = False,
    output_is_folder: bool = False,
    echo=print,
    warn=None,
    on_loaded=None,
    one_shot: bool = False,
) -> list[Path]:
    """`ldscene render INPUT... [-o OUT]`: one input on this machine renders in this process
    (`run_render`); a batch (`is_batch`), a render on a cluster, or one input's views on
    `jobs` > 1 local workers run as farm tasks (`ldscene.farm`).  Returns the written paths;
    raises `LdsceneError` (exit 1) when an input of a batch failed, after the others were
    rendered.  `one_shot`: the CLI's process tuning for a single render (`one_shot_process`)."""
    warn = warn or (lambda text: print(text, file=sys.stderr))
    if not inputs:
        raise LdsceneError("nothing to render: give a model, a scene or a folder")
    suffix = "." + image_format.lower().lstrip(".")
    if suffix not in FORMATS:
        raise LdsceneError(f"unknown image format {image_format!r}", hint="use png, jpg or webp")
    if jobs is not None and jobs < 1:
        raise LdsceneError(f"--jobs must be 1 or more, not {jobs}")
    batch = is_batch(inputs, req.output, output_is_folder)
    if not batch and cluster is None and (jobs is None or jobs == 1):
        output = req.output or default_output(inputs[0]).with_suffix(suffix)
        with one_shot_process() if one_shot else contextlib.nullcontext():
            return run_render(
                replace(req, input_path=inputs[0], output=output), echo=echo, on_loaded=on_loaded
            )

    # The farm only from here: a single render in this process needs none of it.
    from ldscene.farm.batch import (
        Item,
        check_out_dir,
        expand_inputs,
        make_out_dir,
        plan_outputs,
        report,
        run_batch,
    )
    from ldscene.farm.cluster import check_cluster_support

    # Cheap checks first, as for one input: a bad size, view or folder costs no load.
    if req.width is not None or req.height is not None:
        width = 1600 if req.width is None else req.width
        height = 1200 if req.height is None else req.height
        RenderOptions(width=width, height=height, aa=req.aa).validate()
    for name in req.views:
        View.named(name)
    if cluster is not None:
        check_cluster_support()
    if batch:
        expanded = expand_inputs(inputs)  # an empty folder is the problem to name first
        out = req.output
        if out is not None and out.suffix and not out.is_dir() and not output_is_folder:
            raise LdsceneError(
                "with several inputs, -o names a folder",
                path=str(out),
                hint="end it with / (images are named after their inputs)",
            )
        out_dir = req.output if req.output is not None else Path("renders")
        check_out_dir(out_dir)
        if (req.cameras or req.all_cameras) and not any(map(is_scene, expanded)):
            raise LdsceneError(
                "--camera and --all-cameras need a scene file (.yaml) among the inputs",
                hint="use --view",
            )
        check_outside_library(out_dir, req.library, "the images")
        items = plan_outputs(expanded, out_dir, suffix)
        make_out_dir(out_dir)
    else:  # one input on a cluster or -j N: the same file names as in this process
        base = req.output or default_output(inputs[0]).with_suffix(suffix)
        check_output(base)
        check_outside_library(base, req.library, "the image")
        out_dir = None
        items = [Item(inputs[0], base)]
    result = run_batch(
        req, items, out_dir, cluster=cluster, jobs=jobs, force=force, echo=echo, warn=warn
    )
    report(result, len(items), echo, warn, req.quiet)
    return result.written
