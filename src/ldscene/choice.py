"""Value types read from command-line or scene words."""

from __future__ import annotations

import enum

from ldscene.errors import LdsceneError


class Choice(enum.Enum):
    """An enum whose members are lower-case words; `parse` turns any other word into one
    clear error naming the choices.  Subclasses say what they are in `__what__`."""

    __what__ = "choice"

    @classmethod
    def parse(cls, text: str):
        try:
            return cls(str(text).strip().lower())
        except ValueError:
            names = ", ".join(member.value for member in cls)
            raise LdsceneError(f"unknown {cls.__what__} {text!r}", hint=f"use {names}") from None
