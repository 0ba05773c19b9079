"""Images out of either engine: RGBA arrays to PIL images, and writing them atomically in the
format their suffix names."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ldscene.atomic import write_atomic
from ldscene.errors import LdsceneError

#: Output formats by suffix (Pillow format name, supports alpha).
FORMATS: dict[str, tuple[str, bool]] = {
    ".png": ("PNG", True),
    ".jpg": ("JPEG", False),
    ".jpeg": ("JPEG", False),
    ".webp": ("WEBP", True),
}


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
    from PIL import Image

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise LdsceneError(
            f"unsupported image format {path.suffix or '(none)'!r}",
            path=str(path),
            hint="use .png, .jpg or .webp",
        )
    fmt, alpha_ok = FORMATS[suffix]
    if image.mode == "RGBA" and not alpha_ok:
        flat = Image.new("RGB", image.size, tuple(int(round(c * 255)) for c in background))
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    kwargs = {"quality": quality} if fmt in ("JPEG", "WEBP") else {"optimize": False}
    write_atomic(path, lambda handle: image.save(handle, format=fmt, **kwargs), "the image")
    return path
