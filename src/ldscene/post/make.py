"""The `ldscene post` driver: load, render the stills and the turntable, write the folder
(under a temporary name, renamed into place at the end)."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from ldscene.errors import LdsceneError
from ldscene.post.content import (
    Figure,
    PostContent,
    caption_for,
    kit_title,
    parts_summary,
    slug,
)
from ldscene.post.formats import to_bbcode, to_html, to_markdown
from ldscene.post.request import (
    AUTO_VIEWS,
    MANIFEST,
    PostRequest,
    check_folder,
    check_request,
    manifest_text,
    still_size,
)
from ldscene.render.engines import EngineSettings, open_renderer
from ldscene.wording import plural


def _write_text(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8", newline="\n")


def make_post(req: PostRequest, echo=print, warn=print, on_loaded=None) -> Path:
    """Do the whole `ldscene post`; returns the folder written.  With `req.cluster` the
    stills and the turntable's frames are farm tasks on that Ray cluster (connected to
    before anything loads, so an unreachable one costs nothing)."""
    if req.cluster is None:
        return _make_post(req, None, echo, warn, on_loaded)
    from ldscene.farm.cluster import check_cluster_support
    from ldscene.farm.executor import open_executor

    check_cluster_support()
    check_request(req)
    with open_executor(req.cluster, engine=req.engine) as executor:
        return _make_post(req, executor, echo, warn, on_loaded)


def _make_post(req: PostRequest, executor, echo, warn, on_loaded) -> Path:
    from ldscene import bom
    from ldscene.progress import ProgressLine
    from ldscene.render.command import RenderRequest, build_options, scene_view
    from ldscene.render.options import View

    image_suffix, turntable_suffix = check_request(req)
    loaded = req.load.load(req.input_path, on_loaded)
    scene, model = loaded.scene, loaded.model
    lines = bom.bill_of_materials(model)
    if not lines:
        raise LdsceneError("nothing to post: the input has no parts", path=str(req.input_path))

    cameras = list(getattr(scene, "cameras", None) or [])
    if cameras:
        views = [scene_view(camera, model) for camera in cameras]
        captions = [caption_for(camera.name) for camera in cameras]
    else:
        views = [View.named(name) for name in AUTO_VIEWS]
        captions = list(AUTO_VIEWS.values())
        warn(
            f"note: {req.input_path.name} has no cameras; using the auto views "
            + ", ".join(AUTO_VIEWS)
        )
    width, height = still_size(req, scene)
    options = build_options(
        RenderRequest(input_path=req.input_path, width=width, height=height, engine=req.engine),
        scene,
    )
    title = kit_title(getattr(scene, "title", "") or "", model.title, req.input_path)
    description = (getattr(scene, "description", "") or "").strip()

    out = req.output
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    except OSError as err:
        raise LdsceneError(
            f"cannot create the post folder: {err.strerror or err}", path=str(out)
        ) from None
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(work, 0o777 & ~umask)
        turntable = None
        if turntable_suffix:
            # First, while this process has no GL context: the workers can fork cheaply.
            from ldscene.render.turntable import make_turntable

            spin = build_options(
                RenderRequest(
                    input_path=req.input_path,
                    width=req.turntable_width,
                    height=max(16, round(req.turntable_width * height / width)),
                ),
                scene,
            )
            name = f"turntable{turntable_suffix}"
            make_turntable(
                model,
                work / name,
                req.frames,
                spin,
                fps=req.fps,
                jobs=req.jobs,
                quiet=req.quiet,
                executor=executor,
                use_cache=req.load.use_cache,
            )
            turntable = Figure(name, "A full turn around the model")
        figures = _render_stills(
            model,
            views,
            captions,
            options,
            req.engine,
            work,
            image_suffix,
            ProgressLine(enabled=None if not req.quiet else False),
            executor,
            req.load.use_cache,
        )
        total, designs, lots, top = parts_summary(model, lines)
        csv_text = bom.to_csv(lines)
        shop = bom.to_bricklink(lines)
        xml_text = shop.text
        for line in [] if req.quiet else bom.shop_warnings(shop, model.colours):
            warn(line)
        post = PostContent(
            title,
            description,
            figures,
            turntable,
            total,
            designs,
            lots,
            top,
            lines,
            [
                note
                for note in (
                    bom.not_counted(m.name for m in model.missing),
                    bom.segments_note(model),
                )
                if note
            ],
        )
        _write_text(work, post.parts_csv, csv_text)
        _write_text(work, post.bricklink, xml_text)
        _write_text(work, "post.md", to_markdown(post, req.url_prefix))
        _write_text(work, "post.bbcode.txt", to_bbcode(post, req.url_prefix))
        _write_text(work, "post.html", to_html(post))
        _write_text(work, MANIFEST, manifest_text(work))
        check_folder(out)  # nothing of the user's was added to it while this post rendered
        _replace_folder(work, out)
        work = None
    except OSError as err:
        raise LdsceneError(f"cannot write the post: {err.strerror or err}", path=str(out)) from None
    finally:
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
    if not req.quiet:
        echo(
            f"wrote {out}/ ({plural(len(figures), 'image')}"
            + (f", {turntable.file}" if turntable else "")
            + f", {plural(total, 'part')} in the parts list, post.md/.bbcode.txt/.html)"
        )
        if not req.url_prefix:
            echo(
                "note: the Markdown and BBCode link the images by file name; give --url-prefix "
                "with the address you upload them to, for a forum to show them"
            )
    return out


def _render_stills(
    model,
    views,
    captions,
    options,
    engine: EngineSettings,
    folder: Path,
    suffix: str,
    progress,
    executor=None,
    use_cache: bool = True,
) -> list[Figure]:
    """One image per view in `folder`: in this process, or as farm tasks on `executor`
    (`use_cache` False: --no-cache, the on-disk mesh cache neither read nor written)."""
    from ldscene.render.images import save_image

    figures = []
    used: set[str] = set()
    for i, (view, caption) in enumerate(zip(views, captions, strict=True), 1):
        name = f"{i:02d}-{slug(view.name)}{suffix}"
        while name in used:
            name = name.replace(suffix, f"-{i}{suffix}")
        used.add(name)
        figures.append(Figure(name, caption))
    if executor is not None:
        names = [f.file for f in figures]
        _farm_stills(model, views, names, options, engine, folder, executor, use_cache)
        return figures
    try:
        with open_renderer(engine, model, options, progress, use_cache=use_cache) as renderer:
            for i, (view, figure) in enumerate(zip(views, figures, strict=True), 1):
                progress(f"rendering {view.name} ({i}/{len(views)})")
                save_image(
                    renderer.render(view),
                    folder / figure.file,
                    background=options.background,
                    quality=90,
                )
    finally:
        progress.done()
    return figures


def _farm_stills(
    model, views, names, options, engine, folder: Path, executor, use_cache: bool = True
) -> None:
    from ldscene.atomic import write_atomic
    from ldscene.farm.runner import FarmJob, FarmRun
    from ldscene.farm.tasks import RenderTask, portable_meshes
    from ldscene.render.description import RenderDescription
    from ldscene.render.meshes import build_model_meshes

    meshes = build_model_meshes(model, None, use_cache)
    RenderDescription(meshes, options)  # "nothing to render" here, not in every worker
    suffix = Path(names[0]).suffix
    tasks = [
        RenderTask("stills", i, view, options, engine, encode=suffix, quality=90)
        for i, view in enumerate(views)
    ]
    errors: list[str] = []

    def on_result(task: RenderTask, output) -> None:
        data = output.value
        write_atomic(folder / names[task.index], lambda handle: handle.write(data), "the image")

    run = FarmRun(executor)
    run.add(
        FarmJob(
            "stills",
            portable_meshes(meshes),
            tasks,
            on_result,
            lambda task, message: errors.append(f"{task.view.name}: {message}"),
        )
    )
    run.finish()
    if errors:
        raise LdsceneError(errors[0])


def _replace_folder(work: Path, out: Path) -> None:
    """Move the finished folder into place; a previous post there is replaced."""
    if not out.exists():
        os.rename(work, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
    os.rmdir(old)
    os.rename(out, old)
    try:
        os.rename(work, out)
    except OSError:
        os.rename(old, out)  # put the old post back
        raise
    with contextlib.suppress(OSError):
        shutil.rmtree(old)
