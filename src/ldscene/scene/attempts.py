"""What each attempt of a settling scatter read and found, so that a scene composed again after
an edit elsewhere (a model moved across the yard) settles again only the pieces it touches.

Where a piece comes to rest depends on its draw, its shape and the heights and owners of the
field cells that settling looks up (`HeightField.watch` notes a window holding them).  Attempt
n of a scatter draws the same numbers in every run (the picker always draws eight), so when
the window attempt n read holds the same values as when it was recorded, and it was as strict
(`Shape.settle`: the scatter's count decides which attempts are), its outcome is the recorded
one, bit for bit.  Attempts whose window changed (the moved model, or pieces that
landed elsewhere because of it) settle again, and what they find is recorded in turn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ldscene.scene.heightfield import HeightField

Window = tuple[int, int, int, int]


@dataclass(frozen=True)
class Rest:
    """Where an attempt's piece came to rest: its turn, x-z and height (up); `steep`: on the
    steep side of a heap, which does not hold it (an over-filled area's last pieces)."""

    rotation: np.ndarray
    xz: np.ndarray
    height: float
    steep: bool = False


#: An attempt's outcome: a `Rest`, or the code (1, 2, ...) of why it placed nothing.
Outcome = Rest | int


class Attempts:
    """Attempts in the order a run made them: number, whether strict, window read, its digest,
    outcome."""

    def __init__(self) -> None:
        self.numbers: list[int] = []
        self.stricts: list[bool] = []
        self.windows: list[Window] = []
        self.digests: list[bytes] = []
        self.outcomes: list[Outcome] = []
        self._index: dict[int, int] | None = None

    def add(
        self, number: int, strict: bool, window: Window, digest: bytes, outcome: Outcome
    ) -> None:
        self.numbers.append(number)
        self.stricts.append(strict)
        self.windows.append(window)
        self.digests.append(digest)
        self.outcomes.append(outcome)

    def reuse(
        self, number: int, strict: bool, field: HeightField
    ) -> tuple[Outcome, Window, bytes] | None:
        """Attempt `number`'s recorded outcome (with its window and digest) if it was as
        `strict` and the window it read holds the same values in `field` now; else None."""
        if self._index is None:
            self._index = {n: i for i, n in enumerate(self.numbers)}
        i = self._index.get(number)
        if i is None or self.stricts[i] != strict:
            return None
        window = self.windows[i]
        digest = field.window_digest(window)
        if digest != self.digests[i]:
            return None
        return self.outcomes[i], window, digest

    def to_entry(self) -> dict[str, np.ndarray]:
        """Plain arrays for the disk cache."""
        count = len(self.numbers)
        rotation, xz, height = np.zeros((count, 3, 3)), np.zeros((count, 2)), np.zeros(count)
        missed, steep = np.zeros(count, np.int64), np.zeros(count, bool)
        for i, outcome in enumerate(self.outcomes):
            if isinstance(outcome, Rest):
                rotation[i], xz[i], height[i] = outcome.rotation, outcome.xz, outcome.height
                steep[i] = outcome.steep
            else:
                missed[i] = outcome
        return {
            "number": np.array(self.numbers, np.int64),
            "strict": np.array(self.stricts, bool),
            "window": np.array(self.windows, np.int64).reshape(count, 4),
            "digest": np.frombuffer(b"".join(self.digests), np.uint8).reshape(count, -1),
            "missed": missed,
            "rotation": rotation,
            "xz": xz,
            "height": height,
            "steep": steep,
        }

    @classmethod
    def from_entry(cls, found: object) -> Attempts | None:
        """Attempts from a cache entry, or None when it is not a well-formed one."""
        names = ("number", "strict", "window", "digest", "missed", "rotation", "xz", "height")
        names += ("steep",)
        if not isinstance(found, dict) or not all(name in found for name in names):
            return None
        number, strict, window, digest, missed, rotation, xz, height, steep = (
            np.asarray(found[name]) for name in names
        )
        count = len(number)
        well_formed = (
            number.shape == (count,)
            and strict.shape == (count,)
            and window.shape == (count, 4)
            and digest.shape == (count, 16)
            and digest.dtype == np.uint8
            and missed.shape == (count,)
            and rotation.shape == (count, 3, 3)
            and xz.shape == (count, 2)
            and height.shape == (count,)
            and steep.shape == (count,)
        )
        if not well_formed:
            return None
        attempts = cls()
        rotation, xz, height = (a.astype(np.float64) for a in (rotation, xz, height))
        for i in range(count):
            outcome: Outcome = (
                int(missed[i])
                if missed[i]
                else Rest(rotation[i], xz[i], float(height[i]), bool(steep[i]))
            )
            w = window[i]
            attempts.add(
                int(number[i]),
                bool(strict[i]),
                (int(w[0]), int(w[1]), int(w[2]), int(w[3])),
                digest[i].tobytes(),
                outcome,
            )
        return attempts
