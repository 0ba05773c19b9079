"""Errors that reach the user as one clear line, never as a traceback."""

from __future__ import annotations


class LdsceneError(Exception):
    """A user-facing error: the CLI prints `str(err)` and exits with code 1."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.path = path
        self.line = line
        self.column = column
        self.hint = hint
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = str(self.path)
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        text = where + self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class LibraryNotFoundError(LdsceneError):
    """No LDraw parts library could be located."""


class ModelError(LdsceneError):
    """An LDraw model cannot be loaded (cycle, unreadable file, strict-mode problem)."""


class LimitError(LdsceneError):
    """A model, part or scene would grow past a limit the user can raise."""
