"""`ldscene render A.mpd B.ldr scenes/*.yaml DIR/ -o OUTDIR/`: many inputs, one farm run.

This process loads and meshes each input in turn and submits one task per (input, view);
the workers (local processes, or a Ray cluster with `--cluster`) render while the next input
loads.  One bad input does not stop the others: its failure is reported with its reason,
and the command exits 1 at the end.  Only this process writes files, each atomically.

An output folder keeps a record of what it holds (`.ldscene-render.json`): for each input,
a digest of the render settings and of ldscene's version, a digest of each file on disk it was
read from (the input, an `.ldr`'s sub-files beside it, a scene's models and parts folders:
`Model.files`), and the size and time of each image written.  A re-run skips an input whose
settings, files and images are unchanged, without loading it; `--force` renders everything
again.  An input that had missing parts is always rendered again (a file added since may
supply them).  The library is not in the record: after updating it, `--force`.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path

from ldscene import __version__
from ldscene.atomic import file_digest
from ldscene.commands.problems import warning_lines
from ldscene.errors import LdsceneError
from ldscene.farm.executor import Executor, open_executor
from ldscene.farm.runner import FarmJob, FarmRun, FarmStats
from ldscene.farm.tasks import RenderTask, TaskOutput, portable_meshes
from ldscene.render.engines import Engine
from ldscene.wording import plural

#: What a folder given as an input contributes: its models and scenes (not its parts).
INPUT_SUFFIXES = (".ldr", ".mpd", ".yaml", ".yml")
MANIFEST = ".ldscene-render.json"
MANIFEST_FORMAT = 3  # 3: an entry per input and settings
#: The fields of a `RenderRequest` that leave its images as they are (the input and output
#: are the record's key and entries; the cache only makes them sooner).
IMAGE_NEUTRAL = frozenset({"input_path", "output", "quiet", "timings", "use_cache"})


@dataclass
class Item:
    """One input and the image file name its views are written under."""

    input: Path
    base: Path  # output for a single view; `stem-<view>.suffix` beside it for several
    files: dict[str, str] | None = None  # file read: its digest (None: not recorded)
    outputs: list[Path] = field(default_factory=list)
    written: dict[str, tuple[int, int]] = field(default_factory=dict)  # name: (size, mtime)
    errors: list[str] = field(default_factory=list)
    remaining: int = 0


@dataclass
class BatchResult:
    written: list[Path]
    up_to_date: list[Path]  # inputs skipped
    failed: dict[Path, str]  # input: reason
    stats: FarmStats
    where: str  # " on 2 local worker processes" ("" when nothing was rendered)


# ----------------------------------------------------------------------------- planning
def expand_inputs(paths: list[Path]) -> list[Path]:
    """Files as given; a folder as its .ldr/.mpd/.yaml files, sorted by name.  A path that
    does not exist is kept (it fails as that input, the rest still render)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            inside = sorted(  # not hidden files (macOS's "._model.mpd" resource forks)
                p
                for p in path.iterdir()
                if p.is_file() and p.suffix.lower() in INPUT_SUFFIXES and p.name[:1] != "."
            )
            if not inside:
                raise LdsceneError("no .ldr, .mpd or .yaml files in this folder", path=str(path))
            found += inside
        else:
            found.append(path)
    seen: set[Path] = set()
    unique = []
    for path in found:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique


def plan_outputs(inputs: list[Path], out_dir: Path, suffix: str) -> list[Item]:
    """`OUTDIR/<input stem><suffix>` for each input; two inputs with one stem are an error."""
    items = [Item(path, out_dir / f"{path.stem}{suffix}") for path in inputs]
    by_name: dict[str, Path] = {}
    for item in items:
        other = by_name.setdefault(item.base.name.lower(), item.input)
        if other is not item.input:
            raise LdsceneError(
                f"{other} and {item.input} would both write {item.base.name}",
                hint="render them into different folders",
            )
    return items


def check_out_dir(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise LdsceneError("the output folder is a file", path=str(out_dir))
    probe = out_dir
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise LdsceneError("cannot write images here: folder is not writable", path=str(out_dir))


def make_out_dir(out_dir: Path) -> None:
    """Make the output folder once the batch is checked, before any input renders (a folder
    that cannot be made failed each input only after all of them had rendered)."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise LdsceneError(
            f"cannot make the output folder ({err.strerror})", path=str(out_dir)
        ) from None


# ----------------------------------------------------------------------------- up to date
def settings_text(req, suffix: str) -> str:
    """Everything of a request that changes its images, as a stable text: every field but
    those that cannot (`IMAGE_NEUTRAL`), so that a new option counts unless said otherwise."""
    settings = {f.name: getattr(req, f.name) for f in fields(req) if f.name not in IMAGE_NEUTRAL}
    settings["library"] = _library_place(req.library)
    # The path engine's settings change only its images (--samples with the raster engine is
    # noted and ignored).
    raster = req.engine.engine is Engine.RASTER
    settings["engine"] = req.engine.engine.value if raster else repr(req.engine)
    settings["format"] = suffix
    settings["ldscene"] = __version__
    return json.dumps(settings, sort_keys=True, default=str)


def _library_place(explicit) -> str | None:
    """Where the library is, as found (--library, else $LDRAWDIR, else the config file or a
    usual place): the same library named two ways is one setting."""
    from ldscene.ldraw.library import candidate_paths

    for _, path in candidate_paths(explicit):
        path = Path(os.path.expanduser(str(path)))
        if path.exists():
            return str(path.resolve())
    return None


#: File times come from the kernel's coarse clock, which may trail `time.time_ns()` by a tick.
CLOCK_SLACK_NS = 20_000_000


def files_read(model, load_started_ns: int) -> dict[str, str] | None:
    """What the record keeps of the files `model` was read from: path → digest.  None (keep no
    record) when a part was missing, or a file can no longer be read, or was modified once the
    load had started (what was rendered may be its older text)."""
    if model.missing:
        return None
    files: dict[str, str] = {}
    for path in model.read_from:
        try:
            modified = path.stat().st_mtime_ns
        except OSError:
            return None
        digest = file_digest(path)
        if digest is None or modified >= load_started_ns - CLOCK_SLACK_NS:
            return None
        files[str(path)] = digest
    for folder in {path.parent for path in model.files}:  # not the library's parts folder
        files[f"{folder}{os.sep}"] = listing_digest(folder)
    return files


def listing_digest(folder: Path) -> str:
    """The sha256 of the part file names (.dat) a model's folder offers its references (the
    resolver's view of it): a part file added there may now stand for a library part the
    model uses.  Other files do not count: not images or notes written there, and not other
    models (.ldr, .mpd), which stand for no library part - a model added to a folder of
    models left every other model of it to render again."""
    from ldscene.ldraw.resolver import FolderIndex

    index = FolderIndex(folder).index
    names = "\n".join(sorted(n for n in index if n.endswith(".dat")))
    return hashlib.sha256(names.encode("utf-8")).hexdigest()


def source_digest(name: str) -> str | None:
    """`file_digest` of a recorded file, `listing_digest` of a recorded folder (`name/`)."""
    if name.endswith(os.sep):
        return listing_digest(Path(name))
    return file_digest(Path(name))


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def load_manifest(out_dir: Path) -> dict:
    try:
        data = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
        return {}
    entries = data.get("inputs")
    return entries if isinstance(entries, dict) else {}


def save_manifest(out_dir: Path, entries: dict) -> None:
    from ldscene.atomic import write_atomic

    text = json.dumps({"format": MANIFEST_FORMAT, "inputs": entries}, indent=1, sort_keys=True)
    data = (text + "\n").encode("utf-8")
    write_atomic(out_dir / MANIFEST, lambda handle: handle.write(data), "the batch record")


def is_up_to_date(entry: dict | None, settings: str, out_dir: Path) -> bool:
    """Whether `entry` (of the record) was rendered with these settings from files that are
    unchanged, into images that are still there as written."""
    if not isinstance(entry, dict) or entry.get("settings") != settings:
        return False
    files, outputs = entry.get("files"), entry.get("outputs")
    if not isinstance(files, dict) or not files or not isinstance(outputs, dict) or not outputs:
        return False
    if any(source_digest(name) != digest for name, digest in files.items()):
        return False
    for name, stamp in outputs.items():
        try:
            if list(_stamp(out_dir / name)) != list(stamp):
                return False
        except OSError:
            return False
    return True


# ----------------------------------------------------------------------------- one input
def _images_at_most(req, items: list, jobs: int | None) -> int | None:
    """How many images one input given can make at most, where that bounds the workers worth
    starting (None: several inputs, or not known before loading).  One input renders in
    this process unless -j asks for more; a model's images are its views."""
    from ldscene.inputs import is_scene
    from ldscene.render.command import build_views

    if len(items) != 1:
        return None
    (item,) = items
    if jobs is None:
        return 1
    if is_scene(item.input):
        return None  # its cameras are known once it is read
    plain = dataclasses.replace(req, cameras=[], all_cameras=False)
    return len(build_views(plain))


def prepare(req, on_loaded=None):
    """Load and mesh one input on this process: (meshes, options, views, model).  Raises
    `LdsceneError` for a bad input, as `ldscene render` does."""
    from ldscene.inputs import check_input, is_scene, load_input
    from ldscene.render.command import build_options, build_views, scene_gl_options
    from ldscene.render.description import RenderDescription
    from ldscene.render.meshes import build_model_meshes
    from ldscene.render.studs import stud_rule

    path = req.input_path
    check_input(path, req.library)  # a file, or a library part's name (`3001`)
    scene_input = is_scene(path)
    if not scene_input:  # scene cameras are for the scenes of a batch
        req = dataclasses.replace(req, cameras=[], all_cameras=False)
    early_options = scene_gl_options(req) if scene_input else build_options(req)
    early_views = None if scene_input else build_views(req)
    studs = stud_rule(req.studs, None if scene_input else early_options, early_views)
    loaded = load_input(path, req.library, req.strict, use_cache=req.use_cache, studs=studs)
    if on_loaded is not None:
        on_loaded(path, loaded.model)
    scene = loaded.scene if scene_input else None
    options = build_options(req, scene)
    views = build_views(req, scene, loaded.model)
    meshes = build_model_meshes(loaded.model, use_cache=req.use_cache)
    RenderDescription(meshes, options)  # "nothing to render" here, not in every worker
    return meshes, options, views


# ----------------------------------------------------------------------------- the run
class _Display:
    """A progress bar over the inputs on a terminal (rich), plain lines otherwise."""

    def __init__(self, total: int, quiet: bool, echo: Callable[[str], None]) -> None:
        self.echo = echo
        self.quiet = quiet
        self.progress = None
        self.task = None
        if not quiet and sys.stderr.isatty():
            from ldscene.progress import counting_bar

            self.progress, self.task = counting_bar("rendering inputs", total)

    def start(self) -> None:
        if self.progress is not None:
            self.progress.start()

    def line(self, text: str) -> None:
        if self.quiet:
            return
        if self.progress is not None:
            self.progress.console.print(text, highlight=False, markup=False, soft_wrap=True)
        else:
            self.echo(text)

    def advance(self, images: int) -> None:
        if self.progress is not None:
            self.progress.update(
                self.task, advance=1, description=f"rendering inputs ({images} images)"
            )

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def run_batch(
    req,
    items: list[Item],
    out_dir: Path | None,
    cluster: str | None = None,
    jobs: int | None = None,
    force: bool = False,
    echo: Callable[[str], None] = print,
    warn: Callable[[str], None] | None = None,
    executor: Executor | None = None,
) -> BatchResult:
    """Render every item (see the module docstring).  `out_dir` keeps the up-to-date record;
    None renders everything and keeps none (one input given with -o FILE).  Never raises for
    a bad input: the result says which failed and why."""
    import contextlib

    from ldscene.atomic import write_atomic
    from ldscene.inputs import is_scene
    from ldscene.render.command import output_paths

    warn = warn or (lambda text: print(text, file=sys.stderr))
    suffix = items[0].base.suffix.lower() if items else ".png"
    settings = hashlib.sha256(settings_text(req, suffix).encode()).hexdigest()
    manifest = load_manifest(out_dir) if out_dir is not None else {}
    changed = False
    written: list[Path] = []
    up_to_date: list[Path] = []
    failed: dict[Path, str] = {}
    display = _Display(len(items), req.quiet, echo)

    def record_key(item: Item) -> str:
        """An input's entry for these settings: a folder rendered with two formats or view
        sets keeps both (one entry per input made each run undo the other's)."""
        return f"{item.input.resolve()} {settings[:16]}"

    def finish_item(item: Item) -> None:
        nonlocal changed
        key = record_key(item)
        if item.errors:
            failed[item.input] = "; ".join(dict.fromkeys(item.errors))
            if manifest.pop(key, None) is not None:
                changed = True
        elif out_dir is not None and item.files is not None:
            manifest[key] = {"settings": settings, "files": item.files, "outputs": item.written}
            changed = True
        elif manifest.pop(key, None) is not None:
            changed = True
        display.advance(len(written))

    def on_loaded(item: Item, started_ns: int, path: Path, model) -> None:
        if out_dir is not None:
            item.files = files_read(model, started_ns)
        if model.missing and not req.quiet:
            names = sorted({m.name for m in model.missing})
            shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
            warn(
                f"warning: {path.name}: {plural(len(names), 'missing part')}, "
                f"drawn as nothing: {shown}"
            )
        if not req.quiet:
            for line in warning_lines(model):
                warn(line)

    try:
        with contextlib.ExitStack() as stack:
            farm: list[FarmRun] = []

            def start_farm() -> FarmRun:
                if not farm:
                    tasks = _images_at_most(req, items, jobs)
                    ex = executor or stack.enter_context(
                        open_executor(cluster, jobs, tasks, engine=req.engine)
                    )
                    farm.append(FarmRun(ex, max_jobs_in_flight=None))
                return farm[0]

            # What is up to date is known before anything loads (digests of files): workers
            # start only if something is left to render, and then at once, while this
            # process is clean (local workers fork cheaply; a cluster is connected to before
            # any load, so an unreachable one costs none).
            todo = []
            for n, item in enumerate(items):
                if out_dir is not None and not force:
                    entry = manifest.get(record_key(item))
                    if is_up_to_date(entry, settings, out_dir):
                        up_to_date.append(item.input)
                        continue
                todo.append((n, item))
            if todo or cluster is not None:
                start_farm()
            display.start()
            for _ in up_to_date:
                display.advance(0)
            for n, item in todo:
                try:
                    sub = dataclasses.replace(req, input_path=item.input, output=item.base)
                    loaded = functools.partial(on_loaded, item, time.time_ns())
                    meshes, options, views = prepare(sub, loaded)
                    named = sub.all_cameras and is_scene(item.input)  # a model: its iso view
                    item.outputs = output_paths(item.base, views, named=named)
                except LdsceneError as err:
                    item.errors.append(str(err))
                    finish_item(item)
                    continue
                except Exception as err:  # a bug or an unforeseen input: report, go on
                    item.errors.append(f"{type(err).__name__}: {err}")
                    finish_item(item)
                    continue
                tasks = [
                    RenderTask(
                        f"{n}",
                        i,
                        view,
                        options,
                        req.engine,
                        encode=suffix,
                        label=f"{item.input.name}, {view.name}",
                    )
                    for i, view in enumerate(views)
                ]
                item.remaining = len(tasks)

                def on_result(task: RenderTask, output: TaskOutput, item: Item = item) -> None:
                    path = item.outputs[task.index]
                    data = output.value
                    try:
                        write_atomic(path, lambda handle: handle.write(data), "the image")
                    except LdsceneError as err:
                        item.errors.append(str(err))
                    else:
                        written.append(path)
                        item.written[path.name] = _stamp(path)
                        w, h = task.options.width, task.options.height
                        display.line(
                            f"wrote {path} ({w}x{h}, {task.view.name}, {output.seconds:.1f} s)"
                        )
                    item.remaining -= 1
                    if item.remaining == 0:
                        finish_item(item)

                def on_error(task: RenderTask, message: str, item: Item = item) -> None:
                    several = len(item.outputs) > 1
                    item.errors.append(f"{task.view.name}: {message}" if several else message)
                    item.remaining -= 1
                    if item.remaining == 0:
                        finish_item(item)

                start_farm().add(
                    FarmJob(f"{n}", portable_meshes(meshes), tasks, on_result, on_error)
                )
                del meshes
            if farm:
                stats = farm[0].finish()
                where = f" {farm[0].executor.preposition} {farm[0].executor.describe()}"
            else:
                stats, where = FarmStats(), ""
    finally:
        display.stop()
        if changed and out_dir is not None:
            with contextlib.suppress(LdsceneError):
                save_manifest(out_dir, manifest)
    return BatchResult(written, up_to_date, failed, stats, where)


def report(result: BatchResult, n_inputs: int, echo, warn, quiet: bool) -> None:
    """The summary line, each failure with its reason; raises (exit 1) if any input failed."""
    stats = result.stats
    if not quiet:
        counts = f"{plural(len(result.written), 'image')} of {plural(n_inputs, 'input')}"
        text = f"rendered {counts} in {time_text(stats.seconds)}{result.where}"
        if stats.nodes and len(stats.nodes) > 1:
            text += f" ({len(stats.nodes)} nodes)"
        if result.up_to_date:
            text += f"; {len(result.up_to_date)} up to date"
        if result.failed:
            text += f"; {len(result.failed)} failed"
        echo(text + stats.summary())
    for path, reason in result.failed.items():
        warn(f"failed: {_with_path(path, reason)}")
    if result.failed:
        n = len(result.failed)
        raise LdsceneError(f"{n} of {plural(n_inputs, 'input')} failed")


def _with_path(path: Path, reason: str) -> str:
    """`PATH: reason`, where the reason may start with the path (and a line) or the name."""
    if reason.startswith(f"{path}:"):
        return reason
    if reason.startswith(f"{path.name}: "):
        reason = reason[len(path.name) + 2 :]
    return f"{path}: {reason}"


def time_text(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"
