"""`ldscene post`: one folder with everything a forum post about a scene needs.

    post/
      01-<camera>.jpg ...   one image per scene camera (auto views when it has none)
      turntable.gif         a small animation turning once around the model
      parts.csv             the bill of materials
      bricklink.xml         a BrickLink wanted list
      post.md               the post as Markdown,
      post.bbcode.txt       as BBCode (phpBB, Eurobricks, ...),
      post.html             and as a web page that previews it

The folder is built under a temporary name beside the target and renamed at the end, so a
failed or interrupted run leaves no half-written post behind.
"""

from __future__ import annotations

import contextlib
import html
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ldscene.errors import LdsceneError
from ldscene.render.description import Engine
from ldscene.render.engines import EngineSettings, open_renderer

CREDIT = "LDraw.org Parts Library, CC BY 2.0"
LDRAW_URL = "https://library.ldraw.org"
LICENCE_URL = "https://creativecommons.org/licenses/by/2.0/"
#: External links the post may contain (everything else is a file in the folder).
EXTERNAL_LINKS = (LDRAW_URL, LICENCE_URL)

#: Views used when the scene has no cameras, with their captions.
AUTO_VIEWS = {"iso": "Three-quarter view", "front": "Front", "back": "Back", "top": "From above"}
IMAGE_FORMATS = {"jpg": ".jpg", "jpeg": ".jpg", "png": ".png", "webp": ".webp"}
TURNTABLE_FORMATS = {"gif": ".gif", "webp": ".webp", "mp4": ".mp4", "none": ""}
MAX_LONG_SIDE = 1600
POST_MARKER = "post.md"


@dataclass
class PostRequest:
    input_path: Path
    output: Path
    image_format: str = "jpg"
    turntable: str = "gif"
    width: int | None = None  # still size; default the scene's render size, else 1600x1200
    height: int | None = None
    turntable_width: int = 480
    frames: int = 24
    fps: float = 12.0
    url_prefix: str = ""  # where the folder will be online (Markdown/BBCode image links)
    jobs: int | None = None
    cluster: str | None = None  # a Ray address: render the stills and the frames there
    quiet: bool = False
    library: Path | None = None
    strict: bool = False
    use_cache: bool = True
    #: The stills' engine: path-traced by default, the post being what gets published.
    engine: EngineSettings = field(default_factory=lambda: EngineSettings(Engine.PATH))


@dataclass
class Figure:
    file: str
    caption: str


@dataclass
class PostContent:
    title: str
    description: str
    figures: list[Figure]
    turntable: Figure | None
    total: int
    designs: int
    lots: int
    top_colours: list[tuple[str, str, int]]  # (name, #rrggbb, parts)
    lines: list = field(default_factory=list)  # BomLine
    parts_csv: str = "parts.csv"
    bricklink: str = "bricklink.xml"
    auto_views: bool = False


# ----------------------------------------------------------------------------- checks
def check_request(req: PostRequest) -> tuple[str, str]:
    """Cheap checks before any loading; returns (image suffix, turntable suffix)."""
    image = IMAGE_FORMATS.get(req.image_format.lower().lstrip("."))
    if image is None:
        raise LdsceneError(
            f"unknown image format {req.image_format!r}",
            hint="use " + ", ".join(k for k in IMAGE_FORMATS if k != "jpeg"),
        )
    turntable = TURNTABLE_FORMATS.get(req.turntable.lower().lstrip("."))
    if turntable is None:
        raise LdsceneError(
            f"unknown turntable format {req.turntable!r}",
            hint="use " + ", ".join(TURNTABLE_FORMATS),
        )
    from ldscene.render.turntable import check_encoder

    check_encoder(turntable)
    for label, value in (("width", req.width), ("height", req.height)):
        if value is not None and not 16 <= value <= MAX_LONG_SIDE:
            raise LdsceneError(f"image {label} {value} is outside 16..{MAX_LONG_SIDE}")
    if not 32 <= req.turntable_width <= MAX_LONG_SIDE:
        raise LdsceneError(f"turntable width {req.turntable_width} is outside 32..1600")
    if turntable and not 1 <= req.frames <= 360:
        raise LdsceneError(f"--frames must be 1..360, not {req.frames}")
    check_folder(req.output)
    if not req.input_path.is_file():
        raise LdsceneError(
            "no such file" if not req.input_path.exists() else "not a file",
            path=str(req.input_path),
        )
    return image, turntable


def check_folder(out: Path) -> None:
    """The post folder can be (re)placed: not a file, not someone else's folder, writable."""
    if out.exists() and not out.is_dir():
        raise LdsceneError("cannot write the post here: it is a file, not a folder", path=str(out))
    if out.is_dir() and any(out.iterdir()) and not (out / POST_MARKER).exists():
        raise LdsceneError(
            "the folder exists and is not an ldscene post; it is left alone",
            path=str(out),
            hint="choose a new folder or empty this one",
        )
    probe = out.parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise LdsceneError("cannot create the post folder: a parent is a file", path=str(out))
    if not os.access(probe, os.W_OK | os.X_OK):
        raise LdsceneError(
            "cannot create the post folder: the folder is not writable", path=str(out)
        )


# ----------------------------------------------------------------------------- content
def caption_for(name: str) -> str:
    """'street_corner' -> 'Street corner', 'mg42' -> 'MG42' (a camera name as a caption)."""
    words = re.sub(r"[_\-]+", " ", name).split()
    if not words:
        return "View"
    words = [
        w.upper() if re.search(r"\d", w) and re.search(r"[a-z]", w, re.I) else w for w in words
    ]
    words[0] = words[0][:1].upper() + words[0][1:]
    return " ".join(words)


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "view"


def parts_summary(model, lines) -> tuple[int, int, int, list[tuple[str, str, int]]]:
    """(total parts, distinct designs, lots, top five colours as (name, #hex, count))."""
    from ldscene import bom

    by_colour: dict[int, int] = {}
    for line in lines:
        by_colour[line.colour] = by_colour.get(line.colour, 0) + line.quantity
    top = []
    for code, count in sorted(by_colour.items(), key=lambda kv: (-kv[1], kv[0]))[:5]:
        colour = model.colours.get(code)
        rgb = "#" + "".join(f"{round(max(0.0, min(1.0, c)) * 255):02x}" for c in colour.rgb)
        top.append((colour.name.replace("_", " "), rgb, count))
    designs = len({line.part.lower() for line in lines})
    return bom.total(lines), designs, len(lines), top


def _url(prefix: str, name: str) -> str:
    if not prefix:
        return name
    return prefix if prefix.endswith("/") and not name else prefix.rstrip("/") + "/" + name


def _summary_sentence(post: PostContent) -> str:
    return (
        f"{post.total:,} parts in {post.designs:,} different designs "
        f"({post.lots:,} part and colour combinations)."
    )


def to_markdown(post: PostContent, prefix: str = "") -> str:
    out = [f"# {post.title}", ""]
    if post.description:
        out += [post.description.strip(), ""]
    for fig in post.figures:
        out += [f"![{fig.caption}]({_url(prefix, fig.file)})", f"*{fig.caption}*", ""]
    if post.turntable is not None:
        out += [
            f"![{post.turntable.caption}]({_url(prefix, post.turntable.file)})",
            f"*{post.turntable.caption}*",
            "",
        ]
    out += ["## Parts", "", _summary_sentence(post), ""]
    if post.top_colours:
        out.append(
            "Main colours: "
            + ", ".join(f"{name} ({count:,})" for name, _, count in post.top_colours)
            + "."
        )
        out.append("")
    out += [
        f"Parts list: [CSV]({_url(prefix, post.parts_csv)}) · "
        f"[BrickLink wanted list (XML)]({_url(prefix, post.bricklink)})",
        "",
        "---",
        "",
        f"Parts: [LDraw.org Parts Library]({LDRAW_URL}), "
        f"[CC BY 2.0]({LICENCE_URL}). Rendered with ldscene.",
        "",
    ]
    return "\n".join(out)


def to_bbcode(post: PostContent, prefix: str = "") -> str:
    out = [f"[size=150][b]{post.title}[/b][/size]", ""]
    if post.description:
        out += [post.description.strip(), ""]
    figures = post.figures + ([post.turntable] if post.turntable is not None else [])
    for fig in figures:
        out += [f"[img]{_url(prefix, fig.file)}[/img]", f"[i]{fig.caption}[/i]", ""]
    out += ["[b]Parts[/b]", _summary_sentence(post)]
    if post.top_colours:
        out.append(
            "Main colours: "
            + ", ".join(
                f"[color={rgb}]■[/color] {name} ({count:,})"
                for name, rgb, count in post.top_colours
            )
        )
    out += [
        f"Parts list: [url={_url(prefix, post.parts_csv)}]CSV[/url] · "
        f"[url={_url(prefix, post.bricklink)}]BrickLink wanted list (XML)[/url]",
        "",
        f"[size=85]Parts: [url={LDRAW_URL}]LDraw.org Parts Library[/url], "
        f"[url={LICENCE_URL}]CC BY 2.0[/url]. Rendered with ldscene.[/size]",
        "",
    ]
    return "\n".join(out)


_CSS = """
body { margin: 0; background: #eef1f4; color: #1f2328;
  font: 16px/1.55 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
article { max-width: 880px; margin: 32px auto; background: #fff; border-radius: 10px;
  box-shadow: 0 1px 3px rgba(0,0,0,.08), 0 8px 24px rgba(0,0,0,.06); padding: 36px 44px; }
h1 { font-size: 30px; line-height: 1.2; margin: 0 0 10px; }
h2 { font-size: 21px; margin: 34px 0 12px; padding-top: 18px; border-top: 1px solid #e4e7eb; }
.lead { font-size: 18px; color: #444c56; margin: 0 0 24px; }
figure { margin: 0 0 26px; }
figure img { display: block; width: 100%; height: auto; border-radius: 6px;
  border: 1px solid #e4e7eb; }
figure.spin img { width: auto; max-width: 100%; margin: 0 auto; }
figcaption { text-align: center; color: #6a737d; font-size: 14px; margin-top: 8px; }
.stats { display: flex; gap: 14px; margin: 0 0 18px; }
.stat { flex: 1; background: #f6f8fa; border-radius: 8px; padding: 12px 16px; }
.stat b { display: block; font-size: 24px; }
.stat span { color: #6a737d; font-size: 14px; }
.colours { list-style: none; padding: 0; margin: 0 0 18px; display: flex; flex-wrap: wrap;
  gap: 8px 18px; }
.swatch { display: inline-block; width: 14px; height: 14px; border-radius: 3px;
  vertical-align: -2px; margin-right: 6px; border: 1px solid rgba(0,0,0,.25); }
.downloads a { display: inline-block; margin: 0 10px 10px 0; padding: 7px 14px;
  border-radius: 6px; background: #0b5fce; color: #fff; text-decoration: none; font-size: 15px; }
details { margin-top: 10px; }
summary { cursor: pointer; color: #0b5fce; }
table { border-collapse: collapse; width: 100%; font-size: 14px; margin-top: 10px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #eaecef; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
footer { margin-top: 30px; color: #6a737d; font-size: 13px; }
footer a { color: #6a737d; }
"""


def to_html(post: PostContent) -> str:
    e = html.escape
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(post.title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<article>",
        f"<h1>{e(post.title)}</h1>",
    ]
    for paragraph in [p for p in re.split(r"\n\s*\n", post.description.strip()) if p]:
        out.append(f'<p class="lead">{e(paragraph)}</p>')
    for fig in post.figures:
        out.append(
            f'<figure><img src="{e(fig.file)}" alt="{e(fig.caption)}" loading="lazy">'
            f"<figcaption>{e(fig.caption)}</figcaption></figure>"
        )
    if post.turntable is not None:
        t = post.turntable
        if t.file.endswith(".mp4"):
            media = f'<video src="{e(t.file)}" autoplay loop muted playsinline></video>'
        else:
            media = f'<img src="{e(t.file)}" alt="{e(t.caption)}">'
        out.append(f'<figure class="spin">{media}<figcaption>{e(t.caption)}</figcaption></figure>')
    out += [
        "<h2>Parts</h2>",
        '<div class="stats">',
        f'<div class="stat"><b>{post.total:,}</b><span>parts</span></div>',
        f'<div class="stat"><b>{post.designs:,}</b><span>different designs</span></div>',
        f'<div class="stat"><b>{post.lots:,}</b><span>part/colour lots</span></div>',
        "</div>",
    ]
    if post.top_colours:
        out.append('<ul class="colours">')
        for name, rgb, count in post.top_colours:
            out.append(
                f'<li><span class="swatch" style="background:{rgb}"></span>'
                f"{e(name)} <b>{count:,}</b></li>"
            )
        out.append("</ul>")
    out += [
        '<p class="downloads">',
        f'<a href="{e(post.parts_csv)}" download>Parts list (CSV)</a>',
        f'<a href="{e(post.bricklink)}" download>BrickLink wanted list (XML)</a>',
        "</p>",
    ]
    if post.lines:
        out += [
            f"<details><summary>All {post.lots:,} lots</summary>",
            "<table>",
            "<tr><th>Part</th><th>Description</th><th>Colour</th><th>Qty</th></tr>",
        ]
        for line in post.lines:
            out.append(
                f"<tr><td>{e(line.part)}</td><td>{e(line.description)}</td>"
                f'<td>{e(line.colour_name)}</td><td class="n">{line.quantity:,}</td></tr>'
            )
        out += ["</table>", "</details>"]
    out += [
        f'<footer>Parts: <a href="{LDRAW_URL}">LDraw.org Parts Library</a>, '
        f'<a href="{LICENCE_URL}">CC BY 2.0</a>. Rendered with ldscene.</footer>',
        "</article>",
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(out)


# ----------------------------------------------------------------------------- the command
def still_size(req: PostRequest, scene) -> tuple[int, int]:
    """Image size: asked for, else the scene's, else 1600x1200; long side at most 1600."""
    size = getattr(getattr(scene, "render", None), "size", None)
    width, height = (
        (size if size else (1600, 1200))
        if req.width is None and req.height is None
        else (req.width or 0, req.height or 0)
    )
    if not width:
        width = round(height * 4 / 3)
    if not height:
        height = round(width * 3 / 4)
    scale = min(1.0, MAX_LONG_SIDE / max(width, height))
    return max(16, round(width * scale)), max(16, round(height * scale))


def _write_text(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8", newline="\n")


def make_post(req: PostRequest, echo=print, warn=print, on_loaded=None) -> Path:
    """Do the whole `ldscene post`; returns the folder written.  With `req.cluster` the
    stills and the turntable's frames are farm tasks on that Ray cluster (connected to
    before anything loads, so an unreachable one costs nothing)."""
    if req.cluster is None:
        return _make_post(req, None, echo, warn, on_loaded)
    from ldscene.farm import open_executor
    from ldscene.farm.executor import check_cluster_support

    check_cluster_support()
    check_request(req)
    with open_executor(req.cluster, engine=req.engine) as executor:
        return _make_post(req, executor, echo, warn, on_loaded)


def _make_post(req: PostRequest, executor, echo, warn, on_loaded) -> Path:
    from ldscene import bom
    from ldscene.inputs import load_input
    from ldscene.render.command import RenderRequest, build_options, scene_view
    from ldscene.render.options import View
    from ldscene.render.progress import ProgressLine

    image_suffix, turntable_suffix = check_request(req)
    loaded = load_input(req.input_path, req.library, req.strict, use_cache=req.use_cache)
    if on_loaded is not None:
        on_loaded(loaded.model)
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
    title = (getattr(scene, "title", "") or "").strip() or caption_for(req.input_path.stem)
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
        )
        total, designs, lots, top = parts_summary(model, lines)
        csv_text = bom.to_csv(lines)
        xml_text, unmapped = bom.to_bricklink(lines)
        if unmapped and not req.quiet:
            warn(
                "warning: no BrickLink colour for LDraw colour(s) "
                + ", ".join(f"{code} {name}" for code, name in unmapped)
                + "; those parts are listed without a colour"
            )
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
            auto_views=not cameras,
        )
        _write_text(work, post.parts_csv, csv_text)
        _write_text(work, post.bricklink, xml_text)
        _write_text(work, "post.md", to_markdown(post, req.url_prefix))
        _write_text(work, "post.bbcode.txt", to_bbcode(post, req.url_prefix))
        _write_text(work, "post.html", to_html(post))
        _replace_folder(work, out)
        work = None
    except OSError as err:
        raise LdsceneError(f"cannot write the post: {err.strerror or err}", path=str(out)) from None
    finally:
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
    if not req.quiet:
        echo(
            f"wrote {out}/ ({len(figures)} images"
            + (f", {turntable.file}" if turntable else "")
            + f", {total:,} parts in the parts list, post.md/.bbcode.txt/.html)"
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
) -> list[Figure]:
    """One image per view in `folder`: in this process, or as farm tasks on `executor`."""
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
        _farm_stills(model, views, [f.file for f in figures], options, engine, folder, executor)
        return figures
    try:
        with open_renderer(engine, model, options, progress) as renderer:
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


def _farm_stills(model, views, names, options, engine, folder: Path, executor) -> None:
    from ldscene.atomic import write_atomic
    from ldscene.farm import FarmRun, RenderTask, portable_meshes
    from ldscene.farm.runner import FarmJob
    from ldscene.render.description import RenderDescription
    from ldscene.render.meshes import build_model_meshes

    meshes = build_model_meshes(model)
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
