"""One farm task: one image of one model, and what a worker process does to render it.

The driver meshes a model once and hands the workers `portable_meshes(meshes)`: the instanced
geometry (numpy arrays: one mesh per leaf and colour, the instance poses, the framing points)
with the model reduced to what the renderers read (its colour table and name, each leaf's
triangle colour codes).  That is all a worker needs, so workers need no LDraw library and no
disk cache.  Arrays travel as pickle protocol 5 buffers: Ray maps them from its object store
without a copy.

A worker keeps the renderer of the last model it drew (GL context, uploaded meshes, or the
path engine's merged meshes): the next task for the same model and settings only moves the
camera.
"""

from __future__ import annotations

import dataclasses
import io
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ldscene.errors import LdsceneError
from ldscene.ldraw.geometry import PartGeometry
from ldscene.ldraw.model import Leaf, Model
from ldscene.render.engines import EngineSettings
from ldscene.render.meshes import ModelMeshes
from ldscene.render.options import RenderOptions, View


@dataclass(frozen=True)
class RenderTask:
    """One image: `view` of the model stored under `key`, drawn with `options` and `engine`.

    `encode` (".png", ".jpg", ".webp") makes the worker return the encoded file's bytes (the
    encoding is work too, spread with the rest); None returns the (H, W, 4) uint8 RGBA array.
    """

    key: str
    index: int
    view: View
    options: RenderOptions
    engine: EngineSettings
    encode: str | None = None
    quality: int = 92
    label: str = ""  # what the task is, for messages ("model.mpd, iso")


@dataclass
class TaskOutput:
    """What a task returns: the image, and where and how long it ran."""

    value: Any  # bytes (encoded image) or np.ndarray (RGBA)
    pid: int
    host: str
    node: str  # Ray's node id on a cluster, else the host name
    seconds: float  # rendering time in the worker, set-up included


class TaskError(Exception):
    """A task failed for a reason a retry would not fix (bad input, a renderer error)."""


# ----------------------------------------------------------------------------- payloads
def portable_meshes(meshes: ModelMeshes) -> ModelMeshes:
    """`meshes` with its model reduced to what the renderers read, to ship to workers.

    The leaves keep their names and triangle colour codes (the path engine counts a leaf's
    original triangles from them); their expanded geometry, already in the meshes, is
    dropped, and so are the instance arrays, already in the poses and batches.  Printed
    (TEXMAP) leaves keep their geometry, and the model its leaf and colour arrays, since
    `render/textured.py` groups their textured triangles from them.
    """
    model = meshes.model
    empty = PartGeometry.empty()
    leaves = [
        Leaf(
            leaf.name,
            leaf.description,
            leaf.is_part,
            leaf.geometry
            if leaf.geometry.textured
            else dataclasses.replace(empty, triangle_colours=leaf.geometry.triangle_colours),
            leaf.from_library,
        )
        for leaf in model.leaves
    ]
    printed = any(leaf.geometry.textured for leaf in model.leaves)
    slim = Model(
        name=model.name,
        leaves=leaves,
        leaf=model.leaf if printed else np.zeros(0, np.int32),
        colour=model.colour if printed else np.zeros(0, np.int32),
        transform=np.zeros((0, 4, 4)),
        path=np.zeros(0, np.int32),
        step=np.zeros(0, np.int32),
        paths=[],
        colours=model.colours,
        studs=model.studs,
    )
    return dataclasses.replace(meshes, model=slim)


# ----------------------------------------------------------------------------- worker side
#: The renderer this worker process drew with last, and what it was opened for.
_WORKER: dict[str, Any] = {}


def set_gl_threads(threads: int | None) -> None:
    """llvmpipe threads per worker process: share the cores between workers, not fight."""
    if threads and "LP_NUM_THREADS" not in os.environ:
        os.environ["LP_NUM_THREADS"] = str(max(1, int(threads)))


def _renderer(task: RenderTask, load: Callable[[], ModelMeshes]):
    from ldscene.render.engines import open_renderer

    wanted = (task.key, repr(task.options), task.engine)
    if _WORKER.get("wanted") != wanted:
        close_worker_renderer()
        meshes = load()
        options = dataclasses.replace(task.options, extra=dict(task.options.extra))
        _WORKER["renderer"] = open_renderer(task.engine, meshes, options, use_cache=False)
        _WORKER["wanted"] = wanted
    return _WORKER["renderer"]


def close_worker_renderer() -> None:
    """Free the kept renderer (its GL context must go before another one is made)."""
    renderer = _WORKER.pop("renderer", None)
    _WORKER.pop("wanted", None)
    if renderer is not None:
        renderer.close()


def encode_image(array: np.ndarray, suffix: str, options: RenderOptions, quality: int) -> bytes:
    """An RGBA render as the bytes of a PNG, JPEG or WebP file, as `save_image` writes it."""
    from PIL import Image

    from ldscene.render.images import FORMATS, image_from_array

    fmt, alpha_ok = FORMATS[suffix.lower()]
    image = image_from_array(array, options.transparent)
    if image.mode == "RGBA" and not alpha_ok:
        colour = tuple(int(round(c * 255)) for c in options.background)
        flat = Image.new("RGB", image.size, colour)
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    kwargs = {"quality": quality} if fmt in ("JPEG", "WEBP") else {"optimize": False}
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def run_task(task: RenderTask, load: Callable[[], ModelMeshes], node: str | None = None):
    """Render `task` in this process (`load()` gives the model's meshes when they are not
    already open here); errors become `TaskError` with a one-line message."""
    start = time.perf_counter()
    try:
        renderer = _renderer(task, load)
        array = renderer.render_array(task.view)
        value = (
            encode_image(array, task.encode, task.options, task.quality) if task.encode else array
        )
    except LdsceneError as err:
        close_worker_renderer()
        raise TaskError(str(err)) from None
    except Exception as err:  # a renderer failure: report it, keep the worker usable
        close_worker_renderer()
        raise TaskError(f"{type(err).__name__}: {err}") from None
    host = socket.gethostname()
    return TaskOutput(value, os.getpid(), host, node or host, time.perf_counter() - start)
