"""What composing a scene makes: the `Scene`, and `Instances`, the arrays placements accumulate
into."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ldscene.errors import LdsceneError
from ldscene.ldraw.colours import resolve_codes
from ldscene.ldraw.model import Interner, Leaf, Model, stack_or
from ldscene.ldraw.studs import StudStyle
from ldscene.scene import spec as sp
from ldscene.scene.cameras import DEFAULT_FOV, DEFAULT_LAT, DEFAULT_LON, Camera, CameraKind
from ldscene.scene.sources import Sources


@dataclass
class RenderDefaults:
    """`render:` settings; None where the scene does not say (the renderer decides)."""

    size: tuple[int, int] | None = None
    background: object = None
    edges: bool | None = None


@dataclass
class Scene:
    """A composed scene.

    `model` holds every instance in LDraw axes; `entries` maps each top-level place and
    scatter name to its slice of the instance arrays (in file order, places first).
    """

    path: Path
    title: str
    description: str
    model: Model
    cameras: list[Camera]
    render: RenderDefaults
    entries: dict[str, slice]
    seed: int
    parts_path: list[Path]
    sources: Sources | None = field(default=None, repr=False)

    def entry_model(self, name: str) -> Model:
        """The instances of one top-level entry as a `Model` (sharing leaves)."""
        return self.model.select(self.entries[name], name)

    def entry_mask(self, name: str) -> np.ndarray:
        mask = np.zeros(self.model.n_instances, bool)
        mask[self.entries[name]] = True
        return mask

    def entry_stats(self) -> dict[str, dict]:
        """{NAME: {"parts", "triangles", "bbox"}} for every top-level place and scatter entry."""
        from ldscene.ldraw.stats import model_stats

        out = {}
        for name in self.entries:
            stats = model_stats(self.model, self.entry_mask(name))
            out[name] = {
                "parts": stats["parts"],
                "triangles": stats["triangles"],
                "bbox": stats["bbox"],
            }
        return out

    def camera(self, name: str | None = None) -> Camera:
        """A camera by name (default: the first; a default orbit view when there is none)."""
        if name is None:
            return (
                self.cameras[0]
                if self.cameras
                else Camera("default", CameraKind.ORBIT, DEFAULT_FOV, DEFAULT_LAT, DEFAULT_LON)
            )
        for camera in self.cameras:
            if camera.name == name:
                return camera
        names = [c.name for c in self.cameras]
        close = difflib.get_close_matches(name, names, n=1)
        raise LdsceneError(
            f"unknown camera '{name}' in {self.path.name}",
            hint=f"did you mean '{close[0]}'?"
            if close
            else ("cameras: " + ", ".join(names))
            if names
            else "the scene has none",
        )


class Instances:
    """Accumulates placed models into one set of instance arrays."""

    def __init__(self) -> None:
        self.leaves: Interner[Leaf] = Interner()
        self.leaf: list[np.ndarray] = []
        self.colour: list[np.ndarray] = []
        self.transform: list[np.ndarray] = []
        self.path: list[np.ndarray] = []
        self.step: list[np.ndarray] = []
        #: Per instance: something a figure holds (`hold:`), which settling checks the figure
        #: is not resting on.
        self.held: list[np.ndarray] = []
        self.paths: Interner[tuple[str, ...]] = Interner([()])
        self.count = 0
        #: Placements with `settle: true` not settled yet, in the order they were completed
        #: (a group's members before the group): (start, end, placement, what).
        self.to_settle: list[tuple[int, int, sp.Placement, str]] = []

    def _leaf_id(self, leaf: Leaf) -> int:
        """Parts are one leaf per name; other leaves one per geometry."""
        return self.leaves.id(leaf, leaf.name if leaf.is_part else (leaf.name, id(leaf.geometry)))

    def add(
        self,
        model: Model,
        transform: np.ndarray,
        colour: int,
        prefix: tuple[str, ...] = (),
        held: np.ndarray | bool = False,
    ) -> None:
        """Place `model`; `held`: per instance of it (or for all), whether a figure holds it."""
        if not model.n_instances:
            return
        remap = np.array([self._leaf_id(leaf) for leaf in model.leaves], np.int32)
        self.leaf.append(remap[model.leaf])
        self.colour.append(resolve_codes(model.colour, colour).astype(np.int64))
        self.transform.append(np.matmul(transform, model.transform))
        path_map = np.array([self.paths.id(prefix + p) for p in model.paths], np.int32)
        self.path.append(path_map[model.path])
        self.step.append(model.step.astype(np.int32))
        self.held.append(np.broadcast_to(np.asarray(held, bool), (model.n_instances,)))
        self.count += model.n_instances

    def held_mask(self) -> np.ndarray:
        """(N,) bool: which instances a figure holds."""
        return stack_or(self.held, (0,), bool)

    def lower(self, start: int, end: int, drop: float) -> None:
        """Move instances start..end down by `drop` LDU (LDraw +y; negative raises them)."""
        if len(self.transform) > 1:
            self.transform = [np.concatenate(self.transform)]
        self.transform[0][start:end, 1, 3] += drop

    def build(self, name: str, like: Model | None, colours, studs: StudStyle) -> Model:
        return Model(
            name=name,
            leaves=list(self.leaves.items),
            leaf=stack_or(self.leaf, (0,), np.int32),
            colour=stack_or(self.colour, (0,), np.int64),
            transform=stack_or(self.transform, (0, 4, 4), np.float64),
            path=stack_or(self.path, (0,), np.int32),
            step=stack_or(self.step, (0,), np.int32),
            paths=list(self.paths.items),
            colours=colours,
            missing=like.missing if like else [],
            warnings=like.warnings if like else [],
            studs=studs,
        )
