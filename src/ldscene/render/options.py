"""What to render: views and render options, validated before any GL work starts."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace

from ldscene.errors import LdsceneError
from ldscene.imaging import MAX_AA, MAX_FOV, MAX_SIDE, MIN_FOV

#: Named views as (latitude, longitude) in degrees.  Latitude is the camera's elevation above
#: the horizontal plane; longitude turns the camera from the model's front (LDraw -Z side)
#: towards its right side (LDraw +X).  "iso" is LDraw's customary 3/4 view.
NAMED_VIEWS: dict[str, tuple[float, float]] = {
    "iso": (30.0, 45.0),
    "front": (0.0, 0.0),
    "right": (0.0, 90.0),
    "back": (0.0, 180.0),
    "left": (0.0, -90.0),
    "top": (90.0, 0.0),
    "bottom": (-90.0, 0.0),
}


@dataclass(frozen=True)
class View:
    """A camera direction (degrees), auto-framed; `name` is used in output file names."""

    name: str = "iso"
    latitude: float = 30.0
    longitude: float = 45.0
    fov: float | None = None  # vertical field of view in degrees; None: the options' fov
    ortho: bool | None = None  # None: the options' choice
    # An explicit camera (LDraw axes) instead of auto-framing: eye, target and up vector.
    eye: tuple[float, float, float] | None = None
    target: tuple[float, float, float] | None = None
    up: tuple[float, float, float] | None = None
    # Depth of field (path engine): the point in focus (LDraw axes) and the lens's f-number.
    focus: tuple[float, float, float] | None = None
    aperture: float | None = None
    # With `target` and no `eye`: an orbit about the target at latitude/longitude whose
    # distance fits this LDraw box (min, max corners) into the image, whatever its shape.
    fit: tuple[tuple[float, float, float], tuple[float, float, float]] | None = None

    def __post_init__(self) -> None:
        """The one check of every view, however it was made (--lat/--lon/--fov, a scene
        camera, a turntable frame): finite numbers, a latitude in -90..90, a field of view
        in `MIN_FOV`..`MAX_FOV` degrees, a positive f-number."""
        fields = {
            "camera position": self.eye or (),
            "camera target": self.target or (),
            "up vector": self.up or (),
            "focus point": self.focus or (),
            "box to frame": sum(self.fit, ()) if self.fit else (),
            "latitude": (self.latitude,),
            "longitude": (self.longitude,),
            "field of view": () if self.fov is None else (self.fov,),
            "aperture": () if self.aperture is None else (self.aperture,),
        }
        for label, values in fields.items():
            if not all(math.isfinite(v) for v in values):
                shown = ", ".join(f"{v:g}" for v in values)
                raise LdsceneError(
                    f"{label} of view {self.name!r} is {shown}: it must be finite",
                    hint="give ordinary numbers, not nan or inf",
                )
        if not -90.0 <= self.latitude <= 90.0:
            raise LdsceneError(f"latitude {self.latitude:g} is outside -90..90 degrees")
        if self.fov is not None and not MIN_FOV <= self.fov <= MAX_FOV:
            raise LdsceneError(
                f"field of view {self.fov:g} of view {self.name!r} is outside "
                f"{MIN_FOV:g}..{MAX_FOV:g} degrees"
            )
        if self.aperture is not None and self.aperture <= 0:
            raise LdsceneError(
                f"aperture f/{self.aperture:g} of view {self.name!r} is not positive"
            )

    @classmethod
    def named(cls, name: str) -> View:
        key = name.strip().lower()
        if key not in NAMED_VIEWS:
            raise LdsceneError(
                f"unknown view {name!r}", hint="choose from " + ", ".join(NAMED_VIEWS)
            )
        lat, lon = NAMED_VIEWS[key]
        return cls(key, lat, lon)

    @classmethod
    def look(
        cls,
        name: str,
        eye,
        target,
        up=(0.0, -1.0, 0.0),
        fov: float | None = None,
        focus=None,
        aperture: float | None = None,
    ) -> View:
        """A fixed camera at `eye` looking at `target` (LDraw axes and units); `focus` and
        `aperture` (an f-number) give it depth of field."""
        eye_t = tuple(float(v) for v in eye)
        target_t = tuple(float(v) for v in target)
        if eye_t == target_t:
            raise LdsceneError(f"camera {name!r} looks at its own position")
        # Latitude/longitude of the viewing direction, for lights that follow the camera.
        d = [e - t for e, t in zip(eye_t, target_t, strict=True)]
        horizontal = math.hypot(d[0], d[2])
        lat = math.degrees(math.atan2(-d[1], horizontal))
        lon = math.degrees(math.atan2(d[0], -d[2])) if horizontal > 1e-9 else 0.0
        return cls(
            name,
            lat,
            lon,
            fov=fov,
            eye=eye_t,
            target=target_t,
            up=tuple(float(v) for v in up),
            focus=None if focus is None else tuple(float(v) for v in focus),
            aperture=aperture,
        )

    def turned(self, latitude: float | None, longitude: float | None) -> View:
        """This view at another elevation and/or turn (None keeps its own), named
        `front_lat20` and the like so that views turned alike keep apart."""
        changes = {"latitude": latitude, "longitude": longitude}
        changes = {key: float(value) for key, value in changes.items() if value is not None}
        tag = "".join(f"_{key[:3]}{value:g}" for key, value in changes.items())
        return replace(self, name=re.sub(r"[^\w.-]", "_", self.name + tag), **changes)

    @classmethod
    def angles(cls, latitude: float, longitude: float) -> View:
        for label, value in (("latitude", latitude), ("longitude", longitude)):
            if not math.isfinite(value):  # before it names the view after them
                raise LdsceneError(
                    f"{label} {value:g} is not a number of degrees",
                    hint="give ordinary numbers, not nan or inf",
                )
        name = f"lat{latitude:g}_lon{longitude:g}"
        return cls(re.sub(r"[^\w.-]", "_", name), latitude, longitude)


#: A light, cool grey (sRGB #E6E8EB): white parts (lit tops near 240 after the tone curve)
#: and light grey ones stay readable on it, and it is bright enough for a forum page.
DEFAULT_BACKGROUND = (230 / 255, 232 / 255, 235 / 255)


@dataclass
class RenderOptions:
    """How to render; defaults give a 1600x1200 anti-aliased PNG with edges and shadows."""

    width: int = 1600
    height: int = 1200
    aa: int = 2  # supersampling factor per axis (1 = off)
    fov: float = 30.0  # vertical field of view, degrees
    ortho: bool = False
    margin: float = 0.04  # free border on each side, as a fraction of the image size
    edges: bool = True
    conditional_lines: bool = True
    shadows: bool = True
    ambient_occlusion: bool = True  # contact shading in crevices (raster engine)
    ground: bool = False  # shadow-catcher plane under the model
    background: tuple[float, float, float] = DEFAULT_BACKGROUND  # sRGB 0..1
    transparent: bool = False  # alpha background (PNG/WebP)
    line_width: float = 1.0  # edge line width in output pixels
    shadow_map_size: int | None = None  # None: 1024, or 2048 for outputs over 1280 px
    extra: dict = field(default_factory=dict)

    @property
    def shadow_size(self) -> int:
        if self.shadow_map_size:
            return int(self.shadow_map_size)
        return 2048 if max(self.width, self.height) > 1280 else 1024

    def validate(self) -> None:
        for label, value in (("width", self.width), ("height", self.height)):
            if not isinstance(value, int) or value <= 0 or value > MAX_SIDE:
                raise LdsceneError(
                    f"impossible image {label} {value!r}", hint=f"use 1..{MAX_SIDE} pixels"
                )
        if not isinstance(self.aa, int) or not 1 <= self.aa <= MAX_AA:
            raise LdsceneError(f"anti-aliasing factor {self.aa!r} is outside 1..{MAX_AA}")
        if self.width * self.aa > MAX_SIDE or self.height * self.aa > MAX_SIDE:
            # Too large to supersample: fall back to the largest factor that fits.
            self.aa = max(1, min(MAX_SIDE // self.width, MAX_SIDE // self.height))
        if not MIN_FOV <= self.fov <= MAX_FOV:
            raise LdsceneError(
                f"field of view {self.fov:g} is outside {MIN_FOV:g}..{MAX_FOV:g} degrees"
            )
        if not 0.0 <= self.margin < 0.45:
            raise LdsceneError(f"margin {self.margin:g} is outside 0..0.45")


def parse_colour(text: str) -> tuple[float, float, float]:
    """`#rrggbb`, `rrggbb`, `#rgb` or a few names -> sRGB 0..1."""
    names = {"white": "ffffff", "black": "000000", "grey": "808080", "gray": "808080"}
    raw = names.get(text.strip().lower(), text.strip().lstrip("#"))
    if re.fullmatch(r"[0-9a-fA-F]{3}", raw):
        raw = "".join(c * 2 for c in raw)
    if not re.fullmatch(r"[0-9a-fA-F]{6}", raw):
        raise LdsceneError(f"cannot read colour {text!r}", hint="use #rrggbb")
    return tuple(int(raw[i : i + 2], 16) / 255.0 for i in (0, 2, 4))  # type: ignore[return-value]
