"""What `ldscene post` is asked for, and the checks made before anything loads."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ldscene.atomic import file_digest
from ldscene.errors import LdsceneError
from ldscene.inputs import LoadSettings
from ldscene.render.description import Engine
from ldscene.render.engines import EngineSettings

#: Views used when the scene has no cameras, with their captions.
AUTO_VIEWS = {"iso": "Three-quarter view", "front": "Front", "back": "Back", "top": "From above"}
IMAGE_FORMATS = {"jpg": ".jpg", "jpeg": ".jpg", "png": ".png", "webp": ".webp"}
TURNTABLE_FORMATS = {"gif": ".gif", "webp": ".webp", "mp4": ".mp4", "none": ""}
MAX_LONG_SIDE = 1600
#: The names of the files a post wrote, kept in its folder: a folder is replaced by a new post
#: only when it holds those files alone (a `post.md` of the user's own is not a post).
MANIFEST = ".ldscene-post.json"


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
    load: LoadSettings = field(default_factory=LoadSettings)
    #: The stills' engine: path-traced by default, the post being what gets published.
    engine: EngineSettings = field(default_factory=lambda: EngineSettings(Engine.PATH))


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
    check_url_prefix(req.url_prefix)
    check_folder(req.output)
    req.load.check(req.input_path)
    return image, turntable


def check_url_prefix(prefix: str) -> None:
    """--url-prefix is the folder's address online, which a forum post links images by: an
    absolute address (a forum reads others relative to its own pages) that a file name can
    follow (not after a query or fragment)."""
    if not prefix:
        return
    example = "give the folder's full address, for example https://example.org/my-moc/"
    if not re.match(r"^(?:[A-Za-z][A-Za-z0-9+.-]*:)?//", prefix):
        raise LdsceneError(
            f"--url-prefix {prefix!r} is not a full address (no https://): a forum would read "
            "the image links as relative to its own pages",
            hint=example,
        )
    if "?" in prefix or "#" in prefix:
        raise LdsceneError(
            f"--url-prefix {prefix!r} holds a query or fragment ('?', '#'): the image names "
            "cannot follow it",
            hint=example,
        )


def manifest_text(folder: Path) -> str:
    """The `MANIFEST` of a finished post folder: each file's name and the sha256 of what was
    written, by which a later post sees the files the user has since edited."""
    files = sorted(entry.name for entry in folder.iterdir())
    digests = {name: file_digest(folder / name) for name in files if (folder / name).is_file()}
    return json.dumps({"files": files, "sha256": digests}, indent=1) + "\n"


def written_files(out: Path) -> dict[str, str | None] | None:
    """The files an earlier post in `out` wrote (its `MANIFEST`), each with the sha256 it was
    written with (None where the manifest, from an older ldscene, has none); None without a
    readable manifest."""
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        names = data["files"]
        digests = data.get("sha256", {})
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        return None
    if not isinstance(digests, dict):
        digests = {}
    return {MANIFEST: None} | {name: digests.get(name) for name in names}


def _edited(out: Path, written: dict[str, str | None]) -> list[str]:
    """The files of an earlier post that were changed after it was written."""
    edited = []
    for name, digest in written.items():
        path = out / name
        if isinstance(digest, str) and path.is_file() and file_digest(path) != digest:
            edited.append(name)  # (unreadable now: changed too)
    return edited


def check_folder(out: Path) -> None:
    """The post folder can be (re)placed: not a file, not someone else's folder, not an earlier
    post with files of the user's own added, writable."""
    if out.exists() and not out.is_dir():
        raise LdsceneError("cannot write the post here: it is a file, not a folder", path=str(out))
    entries = sorted(out.iterdir()) if out.is_dir() else []
    if entries:
        written = written_files(out)
        if written is None:
            raise LdsceneError(
                "the folder exists and is not an ldscene post; it is left alone",
                path=str(out),
                hint="choose a new folder or empty this one",
            )
        own = [entry.name + ("/" if entry.is_dir() else "") for entry in entries]
        own = [name for name in own if name not in written]
        if own:
            raise LdsceneError(
                f"the post folder also holds files ldscene did not write ({_shown(own)}); it is "
                "left alone",
                path=str(out),
                hint="move them out of the folder, or choose a new one",
            )
        if edited := _edited(out, written):
            raise LdsceneError(
                f"files of the post were changed after ldscene wrote them ({_shown(edited)}); "
                "the folder is left alone",
                path=str(out),
                hint="move the edited files out of the folder (or delete them), or choose a "
                "new one",
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


def _shown(names: list[str]) -> str:
    return ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")


def still_size(req: PostRequest, scene) -> tuple[int, int]:
    """Image size: asked for, else the scene's, else 1600x1200; long side at most 1600."""
    from ldscene.render.command import image_size

    size = getattr(getattr(scene, "render", None), "size", None)
    width, height = image_size(req.width, req.height, tuple(size) if size else None)
    scale = min(1.0, MAX_LONG_SIDE / max(width, height))
    return max(16, round(width * scale)), max(16, round(height * scale))
