"""Errors a user can act on: each names the file (and line) that caused it."""

from __future__ import annotations


class StanceframeError(Exception):
    """Base class for errors reported to the user as one line, without a traceback."""


class LabelFileError(StanceframeError):
    """A label schema or annotated-data file is malformed."""

    def __init__(self, path, message: str, line: int | None = None):
        self.path = str(path)
        self.line = line
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


class InputError(StanceframeError):
    """An input document or table cannot be read."""

    def __init__(self, path, message: str, line: int | None = None):
        self.path = str(path)
        self.line = line
        self.reason = message
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


class ModelDirError(StanceframeError):
    """A model directory is incomplete or does not fit the request."""
