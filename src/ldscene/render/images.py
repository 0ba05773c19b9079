"""Images out of either engine: RGBA arrays to PIL images, and writing them atomically in the
format their suffix names."""

from __future__ import annotations

import os
from collections.abc import Callable, Collection
from pathlib import Path
from typing import IO

import numpy as np

from ldscene.appearance import linear_to_srgb
from ldscene.atomic import check_target, write_atomic
from ldscene.errors import LdsceneError

#: Output formats by suffix (Pillow format name, supports alpha).
FORMATS: dict[str, tuple[str, bool]] = {
    ".png": ("PNG", True),
    ".jpg": ("JPEG", False),
    ".jpeg": ("JPEG", False),
    ".webp": ("WEBP", True),
}


def check_format(path: Path, formats: Collection[str], what: str, error: str | None = None) -> str:
    """`path`'s lower-case suffix when it is one of `formats`, else a one-line error (`error`,
    or "unsupported <what> format") naming the formats there are."""
    suffix = path.suffix.lower()
    names = [name for name in formats if name != ".jpeg"]  # .jpg says it
    if not suffix and path.is_dir():
        raise LdsceneError(
            f"{path} is a folder: give a file name in it",
            hint=f"for example {path / ('model' + names[0])}",
        )
    if suffix not in formats:
        raise LdsceneError(
            error or f"unsupported {what} format {path.suffix or '(none)'!r}",
            path=str(path),
            hint=f"use {', '.join(names[:-1])} or {names[-1]}",
        )
    return suffix


def check_output(path: Path, formats: Collection[str] = FORMATS, what: str = "image") -> str:
    """Fail before any work if `path` cannot be written as an image (or `what`): its suffix,
    the file itself (`atomic.check_target`: not a folder, special or read-only file), and a
    writable folder to create it in.  Returns the suffix."""
    suffix = check_format(path, formats, what)
    check_target(path, f"the {what}")
    probe = path.parent
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise LdsceneError(f"cannot write the {what} here: folder is not writable", path=str(path))
    return suffix


def shows_nothing(image, background: tuple[float, float, float]) -> bool:
    """Whether a rendered image is only its background (`background` in 0..1, or clear where
    it has alpha): nothing of the model in view (a camera aimed away from the scene, or from
    inside something)."""
    pixels = np.asarray(image)
    if pixels.shape[-1] == 4:
        return not pixels[..., 3].any()
    return bool((pixels == np.round(np.asarray(background) * 255).astype(pixels.dtype)).all())


def filled_by_one_surface(image, background: tuple[float, float, float]) -> bool:
    """Whether a render is (nearly) all one colour with no background: a camera right
    against something that hides what it looks at (an auto-framed camera whose eye came
    down in front of another figure), or inside a part's hollow."""
    pixels = np.asarray(image)
    if pixels.shape[0] * pixels.shape[1] < 256:
        return False  # a thumbnail of a few pixels may well be one colour
    if pixels.shape[-1] == 4:
        if (pixels[..., 3] < 255).any():
            return False
        pixels = pixels[..., :3]
    # A sample of about 65,000 pixels tells a share of 95 % as well as all of them do, and
    # this runs after every image.
    step = max(1, int(np.sqrt(pixels.shape[0] * pixels.shape[1] / 65536)))
    sample = pixels[::step, ::step].reshape(-1, 3).astype(np.int32)
    bg = np.round(np.asarray(background) * 255).astype(np.int32)
    if (np.abs(sample - bg).max(axis=-1) <= 2).any():
        return False  # the background shows: something is framed against it
    coarse = sample // 16  # 16 levels a channel, one bin of 4,096 per colour
    counts = np.bincount(coarse[:, 0] * 256 + coarse[:, 1] * 16 + coarse[:, 2], minlength=4096)
    return bool(counts.max() >= 0.95 * len(sample))


def transparent_pixels(
    over: np.ndarray, coverage: np.ndarray, background: tuple[float, float, float]
) -> np.ndarray:
    """A --transparent image, (H, W, 4) uint8 sRGB with straight alpha, from the render over
    `background` (`over`: (H, W, 3) sRGB 0..1) and how much of each pixel the model, its
    shadow and its contact shading cover (`coverage`: (H, W), linear light 0..1).

    Browsers and image editors lay a PNG over what is behind it in sRGB values, not in linear
    light. So alpha is the coverage as they see it (black at that alpha darkens white as
    the coverage does in light), raised where the colour would leave 0..1, and the colour
    is solved for: laid over `background` the image is `over` exactly, and over other
    backgrounds near a render over them (tinted glass, which one alpha cannot hold, keeps
    some of `background` in its colour). Taken linearly, a floor's shadow at coverage 0.5 came
    out twice as dark as rendered, and trans-orange glass muddy tan."""
    b = np.asarray(background, np.float64)
    over = np.asarray(over, np.float64)
    alpha = 1.0 - linear_to_srgb(1.0 - np.clip(coverage, 0.0, 1.0))
    half = 0.5 / 255  # what rounding to 8 bits may move `over` by
    with np.errstate(divide="ignore", invalid="ignore"):
        darker = np.where(b > 0, 1.0 - (over + half) / b, 0.0)  # keeps the colour >= 0
        lighter = np.where(b < 1, (over - half - b) / (1.0 - b), 0.0)  # keeps it <= 1
    alpha = np.clip(np.maximum(alpha, np.maximum(darker, lighter).max(axis=-1)), 0.0, 1.0)
    alpha = np.ceil(alpha * 255 - 1e-6) / 255  # the stored alpha, never under its bound
    colour = (over - b * (1.0 - alpha[..., None])) / np.maximum(alpha, 1e-6)[..., None]
    out = np.empty((*over.shape[:2], 4), np.uint8)
    out[..., :3] = np.round(np.clip(colour, 0.0, 1.0) * 255)
    out[..., 3] = np.round(alpha * 255)
    out[out[..., 3] == 0] = 0  # clear is clear black
    return out


def image_from_array(array: np.ndarray, transparent: bool):
    """An (H, W, 4) uint8 straight-alpha render as a PIL image: RGBA if `transparent`, else
    RGB."""
    from PIL import Image

    if transparent:
        return Image.fromarray(array, "RGBA")
    return Image.fromarray(np.ascontiguousarray(array[..., :3]), "RGB")


def save_image(
    image,
    path: str | os.PathLike,
    background: tuple[float, float, float] = (1, 1, 1),
    quality: int = 92,
) -> Path:
    """Write `image` to `path` atomically; the suffix picks PNG, JPEG or WebP."""
    path = Path(path)
    write_atomic(path, image_writer(image, path, background, quality), "the image")
    return path


def image_writer(
    image,
    path: Path,
    background: tuple[float, float, float] = (1, 1, 1),
    quality: int = 92,
) -> Callable[[IO[bytes]], None]:
    """What writes `image` to an open file in the format `path`'s suffix picks (a format
    without alpha gets the image over `background`)."""
    from PIL import Image

    fmt, alpha_ok = FORMATS[check_format(path, FORMATS, "image")]
    if image.mode == "RGBA" and not alpha_ok:
        flat = Image.new("RGB", image.size, tuple(int(round(c * 255)) for c in background))
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    kwargs = {"quality": quality} if fmt in ("JPEG", "WEBP") else {"optimize": False}
    return lambda handle: image.save(handle, format=fmt, **kwargs)
